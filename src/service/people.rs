//! Operators at the terminal: signing in and out, PINs (Argon2id, five wrong in a row lock the
//! operator for five minutes), and the check every service call makes before it journals or
//! sends anything ([`Service::allow`]).
//!
//! With no operator defined the terminal is in single-user mode and allows everything, as it
//! always did. Once one exists, every call needs someone signed in with the right.

use super::access::{self, Right, Role};
use super::audit::Chain;
use super::{Service, ServiceError};
use crate::aps::field::Field;
use crate::aps::secret::Secret;
use crate::journal::{AuditEntry, OperatorRecord};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Wrong PINs in a row before the operator is locked.
pub const PIN_TRIES: i64 = 5;
/// How long a lockout lasts.
pub const LOCKOUT: Duration = Duration::from_secs(5 * 60);
/// Shortest PIN or password.
pub const MIN_PIN: usize = 6;
/// How long "no operator is defined" is believed before the journal is asked again (another
/// desk of a team may add the first).
const SINGLE_USER_RECHECK: Duration = Duration::from_secs(5);

/// Someone signed in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Operator {
    pub name: String,
    pub role: Role,
}

/// Who is doing something: the operator signed in, or in single-user mode the desk's operator
/// name with no role (everything allowed).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor {
    pub name: String,
    pub role: Option<Role>,
}

/// A supervisor's approval typed into the same flow as the refund or void it approves.
pub struct Approval {
    pub name: String,
    pub pin: Secret,
}

/// The service's state about people: who is signed in, whether operators exist, the audit key.
#[derive(Default)]
pub(crate) struct People {
    signed_in: Mutex<Option<Operator>>,
    defined: Mutex<Option<(bool, Instant)>>,
    pub(super) chain: Mutex<Option<Chain>>,
    /// Why the last audited action's entry was not written (`None` once one is again).
    pub(super) audit_failure: Mutex<Option<String>>,
    /// The entries not written, in words, for the trail itself to name once it is written
    /// again (`audit-gap` entries): the banner clears then, and the loss stays in the trail.
    pub(super) unwritten: Mutex<Vec<String>>,
}

pub(super) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

pub(crate) fn not_allowed(text: impl Into<String>) -> ServiceError {
    ServiceError::NotAllowed(text.into())
}

/// An operator name: lower case letters, digits, `.`, `_` and `-`, 1 to 32 of them.
///
/// # Errors
/// [`ServiceError::Invalid`] naming the fix.
pub fn check_name(name: &str) -> Result<String, ServiceError> {
    let name = name.trim().to_ascii_lowercase();
    let fine = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');
    if name.is_empty() || name.len() > 32 || !name.chars().all(fine) {
        return Err(ServiceError::invalid(
            Field::Operator,
            "operator name must be 1 to 32 letters, digits, '.', '_' or '-' (e.g. amal.h)",
        ));
    }
    Ok(name)
}

/// Hashes a new PIN (at least [`MIN_PIN`] characters) with Argon2id and a random salt.
///
/// # Errors
/// A short PIN, or the random generator fails.
pub fn hash_pin(pin: &Secret) -> Result<String, ServiceError> {
    use argon2::password_hash::{PasswordHasher, SaltString};
    if pin.expose().chars().count() < MIN_PIN {
        return Err(ServiceError::invalid(Field::Pin, format!("PIN must be at least {MIN_PIN} characters")));
    }
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| ServiceError::Journal(format!("no random salt: {e}")))?;
    let salt = SaltString::encode_b64(&bytes).map_err(|e| ServiceError::Journal(e.to_string()))?;
    argon2::Argon2::default()
        .hash_password(pin.expose().as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| ServiceError::Journal(format!("the PIN could not be hashed: {e}")))
}

/// True when `pin` matches the stored hash.
pub fn pin_matches(hash: &str, pin: &Secret) -> bool {
    use argon2::password_hash::{PasswordHash, PasswordVerifier};
    PasswordHash::new(hash)
        .is_ok_and(|h| argon2::Argon2::default().verify_password(pin.expose().as_bytes(), &h).is_ok())
}

impl Service {
    /// Whoever is signed in (`None` in single-user mode or before sign-in).
    pub fn signed_in(&self) -> Option<Operator> {
        lock(&self.inner.people.signed_in).clone()
    }

    /// True once any operator is defined (then someone must sign in). Asks the journal again
    /// while it says no, at most every few seconds.
    ///
    /// # Errors
    /// The journal cannot be read.
    pub async fn operators_defined(&self) -> Result<bool, ServiceError> {
        if let Some((defined, at)) = *lock(&self.inner.people.defined)
            && (defined || at.elapsed() < SINGLE_USER_RECHECK)
        {
            return Ok(defined);
        }
        let defined = self.journal(|j| j.has_operators()).await?;
        if defined && self.inner.vault.settings().operators_journal.is_none() {
            let (vault, journal) = (self.inner.vault.clone(), self.inner.journal.clone());
            let bound = tokio::task::spawn_blocking(move || {
                let id = journal.meta("journal_id").map_err(|e| e.to_string())?.unwrap_or_default();
                vault.bind_operators_journal(&id).map_err(|e| e.to_string())
            })
            .await;
            if let Ok(Err(e)) | Err(e) = bound.map_err(|e| e.to_string()) {
                log::warn!("this desk could not record where its operators are kept: {e}");
            }
        }
        *lock(&self.inner.people.defined) = Some((defined, Instant::now()));
        Ok(defined)
    }

    /// Asks the journal again at the next check (an operator was just added).
    pub(super) fn forget_operators_defined(&self) {
        *lock(&self.inner.people.defined) = None;
    }

    /// Checks `name` and `pin` against the journal's operators: counts a wrong PIN (and locks the
    /// operator at the fifth in a row, audited) and refuses a disabled or locked operator.
    pub(super) async fn check_pin(
        &self,
        name: &str,
        pin: &Secret,
        purpose: &str,
    ) -> Result<Operator, ServiceError> {
        let name = name.trim().to_ascii_lowercase();
        let n = name.clone();
        let record = self.journal(move |j| j.operator(&n)).await?;
        let Some(record) = record else {
            // The typed name is not kept: it may be a PIN typed in the wrong field.
            let typed = format!("unknown operator name ({} characters)", name.chars().count());
            self.note_as("(unknown)", purpose, "refused", &typed).await;
            return Err(not_allowed(format!("not allowed: there is no operator \"{name}\"; check the name")));
        };
        if record.disabled {
            self.note_as(&name, purpose, "refused", "disabled").await;
            return Err(not_allowed(format!(
                "not allowed: operator {name} is disabled; an admin can enable them"
            )));
        }
        let now = chrono::Utc::now();
        let n = name.clone();
        // The try is counted before the PIN is checked: parallel tries cannot add up to more.
        let Some(record) = self.journal(move |j| j.claim_pin_try(&n, PIN_TRIES, now)).await? else {
            self.note_as(&name, purpose, "refused", "locked").await;
            let until = record.locked_until.filter(|u| *u > now).unwrap_or(now + lockout());
            return Err(not_allowed(locked_words(&name, until)));
        };
        let (hash, p) = (record.pin_hash.clone(), pin.clone());
        let good = tokio::task::spawn_blocking(move || pin_matches(&hash, &p)).await.unwrap_or(false);
        if good {
            let n = name.clone();
            self.journal(move |j| j.pin_accepted(&n)).await?;
            return role_of(&record).map(|role| Operator { name, role });
        }
        self.wrong_pin(&name, purpose).await
    }

    async fn wrong_pin(&self, name: &str, purpose: &str) -> Result<Operator, ServiceError> {
        let until = chrono::Utc::now() + lockout();
        let n = name.to_owned();
        let after = self.journal(move |j| j.pin_failed(&n, PIN_TRIES, until)).await?;
        let locked = after.as_ref().and_then(|r| r.locked_until).filter(|u| *u > chrono::Utc::now());
        if let Some(until) = locked {
            self.note_as(name, "lockout", "locked", &format!("{PIN_TRIES} wrong PINs in a row")).await;
            return Err(not_allowed(locked_words(name, until)));
        }
        self.note_as(name, purpose, "wrong-pin", "").await;
        let left = PIN_TRIES - after.map_or(0, |r| r.failed_pins);
        let tries = if left == 1 {
            "one more wrong PIN locks".to_owned()
        } else {
            format!("{left} more wrong PINs lock")
        };
        Err(not_allowed(format!(
            "not allowed: wrong PIN for {name}; {tries} {name} out for {} minutes",
            LOCKOUT.as_secs() / 60
        )))
    }

    /// Signs `name` in with `pin`; the audit trail records it, and any failure.
    ///
    /// # Errors
    /// [`ServiceError::NotAllowed`] for an unknown, disabled or locked operator or a wrong PIN.
    pub async fn sign_in(&self, name: &str, pin: &Secret) -> Result<Operator, ServiceError> {
        let operator = self.check_pin(name, pin, "sign-in").await?;
        *lock(&self.inner.people.signed_in) = Some(operator.clone());
        self.note("sign-in", "ok", operator.role.as_str()).await;
        Ok(operator)
    }

    /// Signs the operator out (audited).
    pub async fn sign_out(&self) {
        if self.signed_in().is_some() {
            self.note("sign-out", "ok", "").await;
        }
        *lock(&self.inner.people.signed_in) = None;
    }

    /// Who may do `right` now: in single-user mode the desk's operator; else the signed-in
    /// operator if their role has it. A refusal is audited.
    ///
    /// # Errors
    /// [`ServiceError::NotAllowed`]: nobody signed in, or the role lacks the right.
    pub async fn allow(&self, right: Right) -> Result<Actor, ServiceError> {
        if !matches!(right, Right::OwnHistory | Right::EveryonesHistory | Right::Reports | Right::Audit) {
            // What is done must be auditable: a desk that cannot sign the trail does nothing.
            self.chain().await?;
        }
        if !self.operators_defined().await? {
            if self.inner.vault.settings().operators_journal.is_some() {
                return Err(not_allowed(
                    "not allowed: this desk's operators are defined in another journal, and this one has none: \
                     open the journal they are defined in (Settings, or --journal) so that sign-in and roles apply",
                ));
            }
            return Ok(Actor { name: self.desk_operator(), role: None });
        }
        let Some(op) = self.signed_in() else {
            return Err(not_allowed(format!(
                "not allowed: nobody is signed in, and operators are defined; sign in first (on the command line: \
                 --operator NAME, with the PIN in MOTO_TERMINAL_PIN or at the prompt) to {}",
                right.words()
            )));
        };
        let op = self.still_signed_in(op).await?;
        if !access::allows(op.role, right) {
            self.note(right.action(), "refused", &format!("{} may not {}", op.role, right.words())).await;
            return Err(not_allowed(access::refusal(&op.name, op.role, right)));
        }
        Ok(Actor { name: op.name, role: Some(op.role) })
    }

    /// The signed-in operator as the journal has them now: disabled, locked or re-roled on
    /// another desk takes effect at the next action, not at the next sign-in.
    async fn still_signed_in(&self, op: Operator) -> Result<Operator, ServiceError> {
        let n = op.name.clone();
        let now = chrono::Utc::now();
        match self.journal(move |j| j.operator(&n)).await? {
            Some(r) if !r.disabled && r.locked_until.is_none_or(|u| u <= now) => {
                Ok(Operator { role: role_of(&r)?, ..op })
            }
            _ => {
                *lock(&self.inner.people.signed_in) = None;
                Err(not_allowed(format!(
                    "not allowed: {} can no longer sign in (disabled or locked meanwhile); signed out",
                    op.name
                )))
            }
        }
    }

    /// The operator name orders are recorded under when nobody is signed in.
    pub(super) fn desk_operator(&self) -> String {
        self.settings()
            .operator
            .clone()
            .unwrap_or_else(|| super::operator_name(&self.inner.vault.settings().operator))
    }

    /// Appends a plain entry (no order) for whoever is acting.
    pub(super) async fn note(&self, action: &str, result: &str, detail: &str) {
        let who = self.signed_in().map_or_else(|| self.desk_operator(), |o| o.name);
        self.note_as(&who, action, result, detail).await;
    }

    async fn note_as(&self, who: &str, action: &str, result: &str, detail: &str) {
        let entry = self.entry(who, action, result, detail);
        self.audit(entry).await;
    }

    /// A new entry for this desk, now.
    pub(super) fn entry(&self, who: &str, action: &str, result: &str, detail: &str) -> AuditEntry {
        AuditEntry {
            seq: 0,
            at: chrono::Utc::now(),
            operator: who.to_owned(),
            terminal: self.settings().terminal.clone(),
            action: action.to_owned(),
            profile: None,
            reference: None,
            amount_minor: None,
            currency: None,
            result: result.to_owned(),
            detail: detail.to_owned(),
            mac: String::new(),
        }
    }
}

fn lockout() -> chrono::Duration {
    chrono::Duration::from_std(LOCKOUT).unwrap_or_default()
}

fn role_of(record: &OperatorRecord) -> Result<Role, ServiceError> {
    Role::parse(&record.role).map_err(|e| ServiceError::Journal(format!("operator {}: {e}", record.name)))
}

fn locked_words(name: &str, until: chrono::DateTime<chrono::Utc>) -> String {
    format!(
        "not allowed: {name} is locked after {PIN_TRIES} wrong PINs in a row, until {} UTC; try again then, or ask an admin to reset the PIN",
        until.format("%H:%M")
    )
}
