//! A payment link as CHECK_STATUS shows it (spec 3.10, 3.8, 5.2), in the words an agent needs:
//! open and not paid yet, paid, expired, or a payment attempt the card issuer declined.
//!
//! UNKNOWN in the spec, read on the safe side:
//! - What CHECK_STATUS reports for a link nobody has paid. The simulator (and the link's own
//!   answer) says `48000`: the link was created and nothing happened since. Read as open.
//! - Whether APS reports an expired link as `115` or keeps `48000` past the expiry. Both are
//!   handled: `115` is expired at once; `48000` after the expiry is left to the service, which
//!   declares a link expired only after its expiry plus a grace period, confirmed twice.
//! - Whether `117` / `125` ("already processed", "already paid") come with the amounts. Money is
//!   booked only from the amounts APS reports: without them the link is not marked paid, and the
//!   agent is told to look at it in the APS back office.

use super::texts::message_text;
use super::{Kind, OrderStatus, ResponseCode, Verdict, classify, verdict};
use crate::aps::Operation;

/// Where a payment link stands at APS.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkState {
    /// Sent to the customer, not paid yet (`48000`, or `150` "already open").
    Open,
    /// The customer paid: APS reports the money authorized or captured.
    Paid,
    /// The link can no longer be paid (`115`).
    Expired,
    /// The customer tried to pay and the payment was declined; the link stays open until it
    /// expires.
    AttemptDeclined,
    /// Anything else (`117`, `125` without amounts, `126`, `149`, a code the terminal does not
    /// know): nothing in the journal changes on it.
    Unclear,
}

impl OrderStatus {
    /// The link's state from this answer. Money speaks first: any amount authorized or captured
    /// means the customer paid, whatever the code.
    pub fn link_state(&self) -> LinkState {
        if self.authorized_minor > 0 || self.captured_minor > 0 {
            return LinkState::Paid;
        }
        let Some(code) = ResponseCode::parse(&self.transaction_code) else { return LinkState::Unclear };
        match (code.status(), code.message()) {
            (_, "115") => LinkState::Expired,
            ("48", "000") | (_, "150") => LinkState::Open,
            _ => match self.last_operation() {
                Some(op @ (Operation::Purchase | Operation::Authorization))
                    if matches!(classify(op, code.as_str()).kind, Kind::Declined | Kind::Rejected) =>
                {
                    LinkState::AttemptDeclined
                }
                _ => LinkState::Unclear,
            },
        }
    }
}

/// The Status screen's and `status`'s words for a payment link. `money` writes an amount in the
/// order's currency.
pub fn describe_link(status: &OrderStatus, state: LinkState, money: &dyn Fn(u64) -> String) -> Verdict {
    let code = status.transaction_code.as_str();
    let meaning = ResponseCode::parse(code).map_or("", |c| message_text(c.message()));
    match state {
        LinkState::Open => verdict(
            Kind::Approved,
            code,
            "Payment link open, not paid yet".to_owned(),
            "APS has the link; the customer has not paid it yet.".to_owned(),
            "Nothing to do now: check again later, or resend the link from Payment link if the customer lost it",
        ),
        LinkState::Paid => verdict(
            Kind::Approved,
            code,
            "Payment link paid".to_owned(),
            format!(
                "The customer paid the link: authorized {}, captured {}, refunded {}.",
                money(status.authorized_minor),
                money(status.captured_minor),
                money(status.refunded_minor)
            ),
            "The journal now shows the payment; capture it first if it was only authorized",
        ),
        LinkState::Expired => verdict(
            Kind::Declined,
            code,
            "Payment link expired, not paid".to_owned(),
            format!("APS: {meaning}. The customer can no longer pay this link."),
            "If the customer still wants to pay, send a new payment link",
        ),
        LinkState::AttemptDeclined => verdict(
            Kind::Declined,
            code,
            "Payment attempt declined; the link is still open".to_owned(),
            format!(
                "The customer tried to pay the link and the payment was declined (APS: {}).",
                if status.transaction_message.is_empty() { meaning } else { &status.transaction_message }
            ),
            "The customer can pay again with another card until the link expires",
        ),
        LinkState::Unclear => verdict(
            Kind::Uncertain,
            code,
            format!("Payment link: APS says \"{meaning}\" ({code})"),
            "APS's answer does not show whether the customer paid, and it reports no amounts, so the journal is left as it was.".to_owned(),
            "Check the link in the APS back office before sending another",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn aed(minor: u64) -> String {
        format!("AED {}.{:02}", minor / 100, minor % 100)
    }

    #[test]
    fn every_link_answer_has_a_state() {
        use LinkState::*;
        let cases = [
            ("48000", 0, 0, Open),
            ("48150", 0, 0, Open),
            ("49150", 0, 0, Open),
            ("48115", 0, 0, Expired),
            ("49115", 0, 0, Expired),
            ("14000", 30_000, 30_000, Paid),
            ("02000", 30_000, 0, Paid),
            ("48125", 30_000, 30_000, Paid),
            ("48125", 0, 0, Unclear),
            ("48117", 0, 0, Unclear),
            ("49126", 0, 0, Unclear),
            ("49149", 0, 0, Unclear),
            ("13666", 0, 0, AttemptDeclined),
            ("13029", 0, 0, AttemptDeclined),
            ("03014", 0, 0, AttemptDeclined),
            ("14777", 0, 0, Unclear),
            ("", 0, 0, Unclear),
            ("garbage", 0, 0, Unclear),
        ];
        for (code, authorized, captured, state) in cases {
            assert_eq!(OrderStatus::sample(code, authorized, captured).link_state(), state, "{code}");
        }
    }

    #[test]
    fn each_state_is_told_in_words_and_only_open_and_paid_are_done() {
        let words = |code: &str, captured: u64| {
            let s = OrderStatus::sample(code, captured, captured);
            describe_link(&s, s.link_state(), &aps_money)
        };
        fn aps_money(minor: u64) -> String {
            aed(minor)
        }
        let open = words("48000", 0);
        assert_eq!((open.kind, open.headline.as_str()), (Kind::Approved, "Payment link open, not paid yet"));
        let paid = words("14000", 30_000);
        assert_eq!(paid.kind, Kind::Approved);
        assert!(paid.explanation.contains("captured AED 300.00"), "{}", paid.explanation);
        let expired = words("48115", 0);
        assert_eq!(expired.kind, Kind::Declined);
        assert!(expired.explanation.contains("Expired invoice payment link"), "{}", expired.explanation);
        assert!(expired.next_step.contains("send a new payment link"));
        let declined = words("13666", 0);
        assert_eq!(declined.kind, Kind::Declined);
        assert!(declined.headline.contains("the link is still open"));
        for (code, meaning) in [
            ("48117", "Invoice payment link already processed"),
            ("48125", "Invoice already paid"),
            ("49126", "Duplicate invoice ID"),
            ("49149", "Payment link request ID not found"),
        ] {
            let unclear = words(code, 0);
            assert_eq!(unclear.kind, Kind::Uncertain, "{code}");
            assert!(unclear.headline.contains(meaning), "{code}: {}", unclear.headline);
            assert!(unclear.next_step.contains("APS back office"), "{code}");
        }
        assert!(words("48150", 0).headline.contains("open"));
    }
}
