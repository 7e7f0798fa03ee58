//! This installation's keys. The card fingerprint key: one per installation, made on first use.
//! The audit trail's key: one per journal, in the OS keychain under the journal's id. A desk
//! journal's is made on first use; a team journal's is made by the first desk to audit and
//! copied to every other member's keychain by an admin (`audit key export` / `audit key import`).

use super::{INSTALLATION_KEY_ENTRY, SERVICE, Vault, VaultError, store};
use crate::aps::secret::Secret;
use keyring_core::Entry;

fn entry_name(journal_id: &str) -> String {
    format!("audit-key/{journal_id}")
}

impl Vault {
    /// The per-installation key for card fingerprints: 32 random bytes as hex, created on first
    /// use and kept in the keychain, so the same card gives the same fingerprint across runs
    /// while the journal alone cannot be used to test guessed card numbers.
    ///
    /// # Errors
    /// The keychain refuses or the random generator fails.
    pub fn installation_key(&self) -> Result<Secret, VaultError> {
        let mut cached = self.installation_key.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(key) = cached.as_ref() {
            return Ok(key.clone());
        }
        let entry = Entry::new_in_store(&self.store, SERVICE, INSTALLATION_KEY_ENTRY)
            .map_err(|source| VaultError::Keychain { action: "open the installation key", source })?;
        let key = match entry.get_password() {
            Ok(v) if !v.is_empty() => Secret::new(v),
            Ok(_) | Err(keyring_core::Error::NoEntry) => {
                let mut bytes = [0u8; 32];
                getrandom::fill(&mut bytes).map_err(|e| VaultError::Random(e.to_string()))?;
                let fresh = Secret::new(store::hex(&bytes));
                entry.set_password(fresh.expose()).map_err(|source| VaultError::Keychain {
                    action: "store the installation key",
                    source,
                })?;
                // Read back: if another process created one at the same moment, both use the
                // stored one from here on.
                match entry.get_password() {
                    Ok(v) if !v.is_empty() => Secret::new(v),
                    _ => fresh,
                }
            }
            Err(source) => return Err(VaultError::Keychain { action: "read the installation key", source }),
        };
        *cached = Some(key.clone());
        Ok(key)
    }

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

    /// Records that this desk's operators are defined in journal `journal_id` (once).
    ///
    /// # Errors
    /// The settings file cannot be written.
    pub fn bind_operators_journal(&self, journal_id: &str) -> Result<(), VaultError> {
        if self.settings().operators_journal.is_some() {
            return Ok(());
        }
        let id = journal_id.to_owned();
        self.update(move |config, _| {
            config.settings.operators_journal.get_or_insert(id);
            Ok(())
        })
    }

    fn audit_entry(&self, journal_id: &str) -> Result<Entry, VaultError> {
        Entry::new_in_store(&self.store, SERVICE, &entry_name(journal_id))
            .map_err(|source| VaultError::Keychain { action: "open the audit key's keychain entry", source })
    }
}
