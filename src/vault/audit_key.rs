//! The audit trail's key: one per journal, in the OS keychain under the journal's id. A desk
//! journal's is made on first use; a team journal's is made by the first desk to audit and
//! copied to every other member's keychain by an admin (`audit key export` / `audit key import`).

use super::{SERVICE, Vault, VaultError, store};
use crate::aps::secret::Secret;
use keyring_core::Entry;

fn entry_name(journal_id: &str) -> String {
    format!("audit-key/{journal_id}")
}

impl Vault {
    /// The audit key of the journal `journal_id`, if this keychain has it.
    ///
    /// # Errors
    /// The keychain refuses.
    pub fn audit_key(&self, journal_id: &str) -> Result<Option<Secret>, VaultError> {
        match self.audit_entry(journal_id)?.get_password() {
            Ok(v) if !v.is_empty() => Ok(Some(Secret::new(v))),
            Ok(_) | Err(keyring_core::Error::NoEntry) => Ok(None),
            Err(source) => Err(VaultError::Keychain { action: "read the audit key", source }),
        }
    }

    /// Stores the audit key of the journal `journal_id`.
    ///
    /// # Errors
    /// The keychain refuses.
    pub fn set_audit_key(&self, journal_id: &str, key: &Secret) -> Result<(), VaultError> {
        self.audit_entry(journal_id)?
            .set_password(key.expose())
            .map_err(|source| VaultError::Keychain { action: "store the audit key", source })
    }

    /// A new random audit key (32 bytes, hex), not yet stored.
    ///
    /// # Errors
    /// The random generator fails.
    pub fn new_audit_key() -> Result<Secret, VaultError> {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).map_err(|e| VaultError::Random(e.to_string()))?;
        Ok(Secret::new(store::hex(&bytes)))
    }

    fn audit_entry(&self, journal_id: &str) -> Result<Entry, VaultError> {
        Entry::new_in_store(&self.store, SERVICE, &entry_name(journal_id))
            .map_err(|source| VaultError::Keychain { action: "open the audit key's keychain entry", source })
    }
}
