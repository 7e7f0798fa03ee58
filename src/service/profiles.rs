//! Merchant profiles, their secrets and the app settings, through the service so the screens and
//! the CLI never touch the keychain or the config file themselves. Keychain calls can block
//! (D-Bus round trips), so each runs on the blocking pool.

use super::{Field, Service, ServiceError};
use crate::aps::secret::Secret;
use crate::vault::{Credentials, Profile, SecretKind, SecretStatus, Settings, Vault, VaultError};
use std::sync::Arc;

/// A profile as the Settings screen lists it: never a secret, only whether each one is set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProfileSummary {
    pub profile: Profile,
    pub secrets: SecretStatus,
    /// Built in (the Demo merchant): cannot be edited or removed.
    pub built_in: bool,
}

/// A wrong field (a profile's, a secret's, a setting's) stays a field error naming it, so the
/// screens can put the cursor there; anything else is about the profile store as a whole.
fn vault_error(e: VaultError) -> ServiceError {
    let field = match &e {
        VaultError::Invalid { field, .. } => *field,
        VaultError::InvalidSecret { kind, .. } => kind.field(),
        VaultError::ProfileExists(_) => Field::ProfileName,
        _ => return ServiceError::Profile(e.to_string()),
    };
    ServiceError::Invalid { field, message: e.to_string() }
}

/// Checks a profile by the rules it must meet to be stored, before anything (a secret
/// included) leaves a form.
///
/// # Errors
/// [`ServiceError::Invalid`] naming the first wrong field.
pub fn check_stored_profile(profile: &Profile) -> Result<(), ServiceError> {
    profile.validate_stored().map_err(vault_error)
}

/// Checks the app settings by the rules saving them applies ([`Settings::validate`]), so a
/// form can say what is wrong before it starts the save.
///
/// # Errors
/// [`ServiceError::Invalid`] naming the wrong setting.
pub fn check_app_settings(settings: &Settings) -> Result<(), ServiceError> {
    settings.validate().map_err(vault_error)
}

impl Service {
    pub(super) async fn vault_call<T, F>(&self, f: F) -> Result<T, ServiceError>
    where
        T: Send + 'static,
        F: FnOnce(&Vault) -> Result<T, VaultError> + Send + 'static,
    {
        let vault: Arc<Vault> = self.vault().clone();
        tokio::task::spawn_blocking(move || f(&vault))
            .await
            .map_err(|e| ServiceError::Profile(format!("keychain task failed: {e}")))?
            .map_err(vault_error)
    }

    /// Every profile with the state of its secrets.
    ///
    /// # Errors
    /// The keychain cannot be read.
    pub async fn profiles(&self) -> Result<Vec<ProfileSummary>, ServiceError> {
        self.vault_call(|v| {
            v.profiles()
                .into_iter()
                .map(|profile| {
                    let secrets = v.secret_status(&profile.name)?;
                    let built_in = v.is_ephemeral(&profile.name);
                    Ok(ProfileSummary { profile, secrets, built_in })
                })
                .collect()
        })
        .await
    }

    /// Adds a new profile or replaces an existing one; secrets given are saved to the keychain,
    /// secrets left `None` keep their stored value.
    ///
    /// # Errors
    /// An invalid field (named), a built-in profile, or the keychain refusing the secrets.
    pub async fn save_profile(
        &self,
        profile: Profile,
        secrets: Vec<(SecretKind, Secret)>,
    ) -> Result<(), ServiceError> {
        self.allow(crate::service::access::Right::Profiles).await?;
        let persistent = self.settings().secrets_persist;
        // Which secrets changed, never what they are.
        let kinds: Vec<&str> = secrets.iter().map(|(k, _)| k.label()).collect();
        let detail = format!(
            "{}; secrets saved: {}",
            profile.name,
            if kinds.is_empty() { "none".into() } else { kinds.join(", ") }
        );
        let saved = self.vault_call(move |v| {
            // Everything is checked before anything is written, so a typo never leaves a
            // half-made profile behind.
            profile.validate()?;
            for (kind, secret) in &secrets {
                crate::vault::check_secret(*kind, secret)?;
            }
            if !secrets.is_empty() && !persistent {
                return Err(VaultError::KeychainUnusable(
                    "no keychain is usable on this computer, so secrets cannot be saved: install and unlock a desktop keychain (gnome-keyring), or set APS_ACCESS_CODE, APS_REQUEST_PHRASE and APS_RESPONSE_PHRASE when starting moto-terminal".into(),
                ));
            }
            let existed = v.profile(&profile.name).is_some();
            if existed {
                v.update_profile(profile.clone())?;
            } else {
                v.add_profile(profile.clone())?;
            }
            for (kind, secret) in &secrets {
                if let Err(e) = v.set_secret(&profile.name, *kind, secret) {
                    if !existed {
                        // The keychain refused: take the new profile back out rather than leave
                        // it without its secrets.
                        let _ = v.remove_profile(&profile.name);
                    }
                    return Err(e);
                }
            }
            Ok(())
        })
        .await;
        self.note_if_ok(&saved, "profile-save", &detail).await;
        saved
    }

    /// Appends an audit entry for a change that was made.
    async fn note_if_ok<T>(&self, result: &Result<T, ServiceError>, action: &str, detail: &str) {
        if result.is_ok() {
            self.note(action, "ok", detail).await;
        }
    }

    /// Saves all three secrets of a profile at once.
    ///
    /// # Errors
    /// The keychain refuses them.
    pub async fn set_credentials(&self, profile: &str, credentials: Credentials) -> Result<(), ServiceError> {
        self.allow(crate::service::access::Right::Profiles).await?;
        let name = profile.to_owned();
        let saved = self.vault_call(move |v| v.set_credentials(&name, &credentials)).await;
        self.note_if_ok(&saved, "credentials", &format!("{profile}: all three secrets")).await;
        saved
    }

    /// Removes a profile and its secrets (its journal history stays).
    ///
    /// # Errors
    /// A built-in or unknown profile, or the keychain refusing the deletion.
    pub async fn remove_profile(&self, profile: &str) -> Result<(), ServiceError> {
        self.allow(crate::service::access::Right::Profiles).await?;
        let name = profile.to_owned();
        let removed = self.vault_call(move |v| v.remove_profile(&name)).await;
        self.note_if_ok(&removed, "profile-remove", profile).await;
        removed
    }

    /// The app settings (operator, default profile, card wipe delay).
    pub fn app_settings(&self) -> Settings {
        self.vault().settings()
    }

    /// Saves the app settings, checked first ([`check_app_settings`]).
    ///
    /// # Errors
    /// [`ServiceError::Invalid`] naming a setting out of its range, an unknown default profile,
    /// or the config file cannot be written.
    pub async fn set_app_settings(&self, settings: Settings) -> Result<(), ServiceError> {
        self.allow(crate::service::access::Right::Settings).await?;
        let detail = format!(
            "operator '{}', default profile {}, card wipe {} s, idle lock {} min",
            settings.operator,
            settings.default_profile.as_deref().unwrap_or("(none)"),
            settings.card_idle_wipe_secs,
            settings.idle_lock_mins
        );
        let saved = self.vault_call(move |v| v.set_settings(settings)).await;
        self.note_if_ok(&saved, "settings", &detail).await;
        saved
    }

    /// Where secrets are kept, in words for the Settings screen.
    pub fn keychain_description(&self) -> &'static str {
        self.vault().store_kind().describe()
    }
}
