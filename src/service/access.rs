//! Who may do what: roles, rights and supervisor approval, as pure rules. The service asks
//! [`allows`] and [`refund_or_void`] before anything is journaled or sent, so the desktop and
//! the command line cannot disagree.

use std::fmt;

/// An operator's role. Each has every right of the one before it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    Agent,
    Supervisor,
    Admin,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Agent, Role::Supervisor, Role::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Agent => "agent",
            Role::Supervisor => "supervisor",
            Role::Admin => "admin",
        }
    }

    /// Parses `agent`, `supervisor` or `admin` (any case).
    ///
    /// # Errors
    /// Anything else, with the three in words.
    pub fn parse(text: &str) -> Result<Role, String> {
        let t = text.trim().to_ascii_lowercase();
        Self::ALL
            .into_iter()
            .find(|r| r.as_str() == t)
            .ok_or_else(|| format!("role '{}' is not one of agent, supervisor, admin", text.trim()))
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Something an operator does that a role may or may not allow.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Right {
    /// Sale or authorization, keyed or on a stored card.
    Charge,
    Capture,
    /// Ask APS about an order; reconcile orders in doubt.
    Status,
    /// Look up, create and update stored cards.
    Tokens,
    PaymentLinks,
    Recurring,
    Batch,
    /// History of one's own orders.
    OwnHistory,
    Refund,
    Void,
    /// Approve an agent's refund or void.
    Approve,
    /// History of every operator's orders, and exports of it.
    EveryonesHistory,
    Reports,
    /// Read and verify the audit trail.
    Audit,
    /// Merchant profiles and their credentials.
    Profiles,
    Operators,
    Settings,
}

impl Right {
    /// The least role that has it.
    pub fn least_role(self) -> Role {
        use Right::*;
        match self {
            Charge | Capture | Status | Tokens | PaymentLinks | Recurring | Batch | OwnHistory => Role::Agent,
            Refund | Void | Approve | EveryonesHistory | Reports | Audit => Role::Supervisor,
            Profiles | Operators | Settings => Role::Admin,
        }
    }

    /// In words, after "may not": "refund", "change merchant profiles"...
    pub fn words(self) -> &'static str {
        use Right::*;
        match self {
            Charge => "charge a card",
            Capture => "capture an authorization",
            Status => "check or reconcile orders",
            Tokens => "look up or change stored cards",
            PaymentLinks => "send payment links",
            Recurring => "run recurring charges",
            Batch => "run batch files",
            OwnHistory => "read the history",
            Refund => "refund",
            Void => "void an authorization",
            Approve => "approve refunds and voids",
            EveryonesHistory => "read every operator's history",
            Reports => "read reports",
            Audit => "read the audit trail",
            Profiles => "change merchant profiles or their credentials",
            Operators => "add or change operators",
            Settings => "change the settings",
        }
    }

    /// One word for the audit trail.
    pub fn action(self) -> &'static str {
        use Right::*;
        match self {
            Charge => "charge",
            Capture => "capture",
            Status => "status",
            Tokens => "tokens",
            PaymentLinks => "payment-link",
            Recurring => "recurring",
            Batch => "batch",
            OwnHistory | EveryonesHistory => "history",
            Refund => "refund",
            Void => "void",
            Approve => "approve",
            Reports => "report",
            Audit => "audit",
            Profiles => "profile",
            Operators => "operator",
            Settings => "settings",
        }
    }
}

/// True when `role` has `right`.
pub fn allows(role: Role, right: Right) -> bool {
    role >= right.least_role()
}

/// The refusal, in words, for an operator whose role lacks `right`.
pub fn refusal(name: &str, role: Role, right: Right) -> String {
    format!(
        "not allowed: {name} is signed in as {} {role}, who may not {}; ask {} {} to do it",
        article(role),
        right.words(),
        article(right.least_role()),
        right.least_role()
    )
}

fn article(role: Role) -> &'static str {
    if role == Role::Supervisor { "a" } else { "an" }
}

/// What a refund or void asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    Allowed,
    /// An agent above the profile's limit: a supervisor approves in the same flow.
    NeedsApproval,
}

/// An agent may refund or void up to `limit_minor` (in the profile's currency; any amount in
/// another currency needs approval, as the two cannot be compared); supervisors and admins may
/// always.
pub fn refund_or_void(role: Role, amount_minor: u64, same_currency: bool, limit_minor: u64) -> Decision {
    if role >= Role::Supervisor || (same_currency && amount_minor <= limit_minor) {
        Decision::Allowed
    } else {
        Decision::NeedsApproval
    }
}

/// Nobody approves their own request (checked before the approver's PIN is, too).
///
/// # Errors
/// The same person, in words.
pub fn not_oneself(requester: &str, approver: &str) -> Result<(), String> {
    if requester.eq_ignore_ascii_case(approver.trim()) {
        return Err(format!(
            "not allowed: {requester} cannot approve their own request; another supervisor must"
        ));
    }
    Ok(())
}

/// Whether `approver` (with `role`) may approve a request of `requester`.
///
/// # Errors
/// Why not, in words: the same person, or a role that cannot approve.
pub fn check_approver(requester: &str, approver: &str, role: Role) -> Result<(), String> {
    not_oneself(requester, approver)?;
    if !allows(role, Right::Approve) {
        return Err(format!(
            "not allowed: {approver} is {} {role} and cannot approve; a supervisor must",
            article(role)
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_role_has_exactly_its_rights() {
        use Right::*;
        let all = [
            Charge,
            Capture,
            Status,
            Tokens,
            PaymentLinks,
            Recurring,
            Batch,
            OwnHistory,
            Refund,
            Void,
            Approve,
            EveryonesHistory,
            Reports,
            Audit,
            Profiles,
            Operators,
            Settings,
        ];
        let agent = [Charge, Capture, Status, Tokens, PaymentLinks, Recurring, Batch, OwnHistory];
        let supervisor = [Refund, Void, Approve, EveryonesHistory, Reports, Audit];
        for right in all {
            assert_eq!(allows(Role::Agent, right), agent.contains(&right), "agent {right:?}");
            assert_eq!(
                allows(Role::Supervisor, right),
                agent.contains(&right) || supervisor.contains(&right),
                "supervisor {right:?}"
            );
            assert!(allows(Role::Admin, right), "admin {right:?}");
        }
    }

    #[test]
    fn an_agent_needs_approval_above_the_limit_only() {
        assert_eq!(refund_or_void(Role::Agent, 1, true, 0), Decision::NeedsApproval);
        assert_eq!(refund_or_void(Role::Agent, 5_000, true, 5_000), Decision::Allowed);
        assert_eq!(refund_or_void(Role::Agent, 5_001, true, 5_000), Decision::NeedsApproval);
        assert_eq!(refund_or_void(Role::Agent, 1, false, 5_000), Decision::NeedsApproval);
        assert_eq!(refund_or_void(Role::Supervisor, 1_000_000, false, 0), Decision::Allowed);
        assert_eq!(refund_or_void(Role::Admin, 1_000_000, true, 0), Decision::Allowed);
    }

    #[test]
    fn nobody_approves_their_own_request_and_agents_never_approve() {
        assert!(check_approver("amal", "sara", Role::Supervisor).is_ok());
        assert!(check_approver("amal", "root", Role::Admin).is_ok());
        let own = check_approver("sara", "SARA", Role::Supervisor).unwrap_err();
        assert!(own.contains("own request"), "{own}");
        let agent = check_approver("amal", "omar", Role::Agent).unwrap_err();
        assert!(agent.contains("cannot approve"), "{agent}");
    }

    #[test]
    fn roles_parse_in_any_case_and_refusals_name_who_and_what() {
        assert_eq!(Role::parse(" Supervisor "), Ok(Role::Supervisor));
        assert!(Role::parse("boss").unwrap_err().contains("agent, supervisor, admin"));
        let text = refusal("amal", Role::Agent, Right::Refund);
        assert_eq!(
            text,
            "not allowed: amal is signed in as an agent, who may not refund; ask a supervisor to do it"
        );
    }
}
