//! The audit trail from the service's side: appending an entry for whatever was done, reading
//! the trail, verifying it, and moving its key between desks of a team.

use super::access::Right;
use super::audit::{self, Broken, Chain};
use super::people::{lock, not_allowed};
use super::{Service, ServiceError};
use crate::aps::secret::Secret;
use crate::journal::AuditEntry;

/// What `audit verify` found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verified {
    /// `unverified`: the entries before the last key renewal (see `audit::renew_key`).
    Intact {
        entries: usize,
        unverified: usize,
    },
    Broken(Broken),
}

/// `audit verify`'s words for an intact chain, `unverified` entries of which were sealed with
/// a key since renewed.
pub fn intact_words(entries: usize, unverified: usize) -> String {
    let count = if entries == 1 { "1 entry".to_owned() } else { format!("{entries} entries") };
    if unverified == 0 {
        return format!("{count}, chain intact");
    }
    format!(
        "{count}: chain intact from entry {} on, where the audit key was renewed; {}",
        unverified + 1,
        lost_key_words(unverified)
    )
}

/// What a renewal of the audit key did, `lost` entries having been sealed with the lost key
/// ([`Service::renew_audit_key`]'s answer): the same words on the desktop and the command line.
pub fn renewed_words(lost: usize) -> String {
    let done = "A new audit key is in this computer's keychain";
    match lost {
        0 => format!("{done}."),
        n => format!("{done}. Entry {} records the renewal; {}.", n + 1, lost_key_words(n)),
    }
}

/// "entries 1 to N were sealed with a lost key and cannot be verified".
fn lost_key_words(n: usize) -> String {
    let which = if n == 1 { "entry 1 was".to_owned() } else { format!("entries 1 to {n} were") };
    format!("{which} sealed with a lost key and cannot be verified")
}

impl Service {
    /// The audit chain's key, loaded once.
    ///
    /// # Errors
    /// [`ServiceError::NotAllowed`] when this desk cannot sign the trail (the message says why
    /// and what to do).
    pub(super) async fn chain(&self) -> Result<Chain, ServiceError> {
        if let Some(chain) = lock(&self.inner.people.chain).clone() {
            return Ok(chain);
        }
        let (vault, journal) = (self.inner.vault.clone(), self.inner.journal.clone());
        let chain = tokio::task::spawn_blocking(move || audit::load_key(&vault, &journal))
            .await
            .map_err(|e| ServiceError::Journal(e.to_string()))?
            .map_err(|e| not_allowed(format!("not allowed: {e}")))?;
        *lock(&self.inner.people.chain) = Some(chain.clone());
        Ok(chain)
    }

    /// Appends `entry` to the trail. The action it records has happened already, so a failure
    /// here is logged and kept for [`Service::audit_failure`], never turned into a failure of
    /// the action (the journal has the order).
    pub(super) async fn audit(&self, mut entry: AuditEntry) {
        withhold_card_numbers(&mut entry);
        let (action, who, at) = (entry.action.clone(), entry.operator.clone(), entry.at);
        let what =
            [Some(action.as_str()), entry.reference.as_deref()].into_iter().flatten().collect::<Vec<_>>();
        let lost = format!(
            "'{}' by {who} at {} was not written",
            what.join(" "),
            at.format("%Y-%m-%d %H:%M:%S UTC")
        );
        if let Err(e) = self.append(entry).await {
            let failure = format!("the audit entry for '{action}' was not written: {e}");
            log::error!("{failure}");
            lock(&self.inner.people.unwritten).push(format!("{lost}: {e}"));
            *lock(&self.inner.people.audit_failure) = Some(failure);
            return;
        }
        // Written again: the entries lost since are named in the trail, then the banner clears.
        let gaps = std::mem::take(&mut *lock(&self.inner.people.unwritten));
        for (i, gap) in gaps.iter().enumerate() {
            let note = self.entry(&who, "audit-gap", "lost", gap);
            if let Err(e) = self.append(note).await {
                lock(&self.inner.people.unwritten).splice(0..0, gaps[i..].iter().cloned());
                *lock(&self.inner.people.audit_failure) =
                    Some(format!("audit entries lost earlier are not named yet: {e}"));
                return;
            }
        }
        // Unless another entry was lost meanwhile: that one is named by the next entry written.
        let unwritten = lock(&self.inner.people.unwritten);
        if unwritten.is_empty() {
            *lock(&self.inner.people.audit_failure) = None;
        }
    }

    /// Appends one entry, sealed with this desk's key.
    async fn append(&self, entry: AuditEntry) -> Result<(), String> {
        let chain = self.chain().await.map_err(|e| e.to_string())?;
        self.journal(move |j| j.append_audit(entry, chain)).await.map(drop).map_err(|e| {
            // The key may have been renewed meanwhile: the next action loads it again.
            *lock(&self.inner.people.chain) = None;
            e.to_string()
        })
    }

    /// Why the last audited action's entry could not be written to the trail (a changed trail,
    /// a key this desk lacks, the journal failing), until an entry is written again: the
    /// desktop's banner shows it, for a supervisor to look at the trail.
    pub fn audit_failure(&self) -> Option<String> {
        lock(&self.inner.people.audit_failure).clone()
    }

    /// Entries from `since` (all when `None`), of one operator or all, oldest first.
    ///
    /// # Errors
    /// Not allowed (supervisors and admins read the trail), or the journal fails.
    pub async fn audit_entries(
        &self,
        since: Option<chrono::DateTime<chrono::Utc>>,
        operator: Option<String>,
    ) -> Result<Vec<AuditEntry>, ServiceError> {
        self.allow(Right::Audit).await?;
        self.journal(move |j| j.audit_entries(since, operator.as_deref())).await
    }

    /// Verifies the whole chain with this desk's key.
    ///
    /// # Errors
    /// Not allowed, no key, or the journal fails.
    pub async fn audit_verify(&self) -> Result<Verified, ServiceError> {
        self.allow(Right::Audit).await?;
        let chain = self.chain().await?;
        let (entries, head, started) = self
            .journal(|j| {
                let started = audit::started(j).map_err(crate::journal::JournalError::Internal)?;
                Ok((j.audit_entries(None, None)?, j.audit_head()?, started))
            })
            .await?;
        let verdict = match audit::verify(&entries, head.as_ref(), &chain, started) {
            Ok(intact) => Verified::Intact { entries: intact.entries, unverified: intact.unverified },
            Err(broken) => Verified::Broken(broken),
        };
        let result = if matches!(verdict, Verified::Intact { .. }) { "intact" } else { "broken" };
        self.note("audit-verify", result, "").await;
        Ok(verdict)
    }

    /// The audit key, for `audit key import` on another member's desk (admins only; audited).
    ///
    /// # Errors
    /// Not allowed, or no key here.
    pub async fn export_audit_key(&self) -> Result<Secret, ServiceError> {
        self.allow(Right::Operators).await?;
        let chain = self.chain().await?;
        self.note("audit-key-export", "ok", "").await;
        Ok(audit::exported(&chain))
    }

    /// Stores the journal's audit key on this desk (admins, or anyone before operators exist).
    ///
    /// # Errors
    /// The key is not this journal's, or the keychain fails.
    pub async fn import_audit_key(&self, key: Secret) -> Result<(), ServiceError> {
        if self.operators_defined().await?
            && self.signed_in().is_none_or(|o| o.role < super::access::Role::Admin)
        {
            return Err(not_allowed(
                "not allowed: importing the audit key needs an admin signed in (--operator NAME with the PIN)",
            ));
        }
        let (vault, journal) = (self.inner.vault.clone(), self.inner.journal.clone());
        tokio::task::spawn_blocking(move || audit::import_key(&vault, &journal, key))
            .await
            .map_err(|e| ServiceError::Journal(e.to_string()))?
            .map_err(ServiceError::Profile)?;
        *lock(&self.inner.people.chain) = None;
        self.note("audit-key-import", "ok", "").await;
        Ok(())
    }
}

impl Service {
    /// Whether this desk journal's audit key is missing from this keychain, so that
    /// [`Service::renew_audit_key`] is the way out (the desktop offers it then). `false` when it
    /// cannot be told.
    pub async fn audit_key_lost(&self) -> bool {
        let (vault, journal) = (self.inner.vault.clone(), self.inner.journal.clone());
        tokio::task::spawn_blocking(move || audit::key_lost(&vault, &journal))
            .await
            .is_ok_and(|lost| lost.unwrap_or(false))
    }

    /// Starts a new audit key on a desk journal whose key this keychain has lost (admins, or
    /// anyone before operators exist): see `audit::renew_key`. Returns how many entries were
    /// sealed with the lost key (they can no longer be verified).
    ///
    /// # Errors
    /// Not allowed, a team journal, nothing to renew, or the keychain or journal fails.
    pub async fn renew_audit_key(&self) -> Result<usize, ServiceError> {
        if self.operators_defined().await?
            && self.signed_in().is_none_or(|o| o.role < super::access::Role::Admin)
        {
            return Err(not_allowed(
                "not allowed: renewing the audit key needs an admin signed in (--operator NAME with the PIN)",
            ));
        }
        let who = self.signed_in().map_or_else(|| self.desk_operator(), |o| o.name);
        let (vault, journal) = (self.inner.vault.clone(), self.inner.journal.clone());
        // `renew_key` writes the detail: the head and key record it replaced.
        let entry = self.entry(&who, audit::RENEWED, "ok", "");
        let (stored, chain) = tokio::task::spawn_blocking(move || audit::renew_key(&vault, &journal, entry))
            .await
            .map_err(|e| ServiceError::Journal(e.to_string()))?
            .map_err(ServiceError::Profile)?;
        *lock(&self.inner.people.chain) = Some(chain);
        // The renewal is itself an entry written: the trail is written again.
        *lock(&self.inner.people.audit_failure) = None;
        Ok(usize::try_from(stored.seq - 1).unwrap_or_default())
    }
}

/// A card number typed where it does not belong (a reference, say) never reaches the trail.
fn withhold_card_numbers(e: &mut AuditEntry) {
    let hide = |text: &mut String| {
        if crate::journal::refuse_card_numbers("audit", text).is_err() {
            *text = "(withheld: it looked like a card number)".to_owned();
        }
    };
    for text in [&mut e.operator, &mut e.action, &mut e.result, &mut e.detail] {
        hide(text);
    }
    for text in [e.profile.as_mut(), e.reference.as_mut()].into_iter().flatten() {
        hide(text);
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_renewal_and_a_partly_verified_chain_say_which_entries_cannot_be_verified() {
        use super::{intact_words, renewed_words};
        assert_eq!(intact_words(1, 0), "1 entry, chain intact");
        assert_eq!(
            intact_words(5, 1),
            "5 entries: chain intact from entry 2 on, where the audit key was renewed; entry 1 was sealed with a lost key and cannot be verified"
        );
        assert_eq!(renewed_words(0), "A new audit key is in this computer's keychain.");
        assert_eq!(
            renewed_words(3),
            "A new audit key is in this computer's keychain. Entry 4 records the renewal; entries 1 to 3 were sealed with a lost key and cannot be verified."
        );
    }

    #[test]
    fn card_numbers_never_reach_the_trail() {
        let mut e = crate::journal::AuditEntry {
            seq: 0,
            at: chrono::Utc::now(),
            operator: "amal".into(),
            terminal: "desk".into(),
            action: "sale".into(),
            profile: Some("Demo".into()),
            reference: Some("4005550000000001".into()),
            amount_minor: None,
            currency: None,
            result: "failed".into(),
            detail: "token 4005 5500 0000 0001 refused".into(),
            mac: String::new(),
        };
        super::withhold_card_numbers(&mut e);
        assert_eq!(e.reference.as_deref(), Some("(withheld: it looked like a card number)"));
        assert!(e.detail.starts_with("(withheld"), "{}", e.detail);
        assert_eq!(e.operator, "amal");
    }
}
