//! Merchant profiles and their secrets.
//!
//! Profiles and app settings are plain facts in `config.json` under the data directory, changed
//! under a lock and written atomically, readable by the owner only (see [`config`]). The access
//! code and the two SHA phrases of each profile live only in the OS keychain (through
//! `keyring-core`, the store chosen once by `main` with [`platform_store`]), or, for headless
//! runs, in the `APS_*` environment variables captured at start-up.
//!
//! Which endpoint a profile may use is decided in one place, [`check_endpoint`]: the published
//! APS address of its environment, a simulator on this computer for a sandbox profile, or any
//! other address only when the profile is marked as a custom endpoint. The Demo merchant is
//! built in ([`Vault::add_built_in`]) and never stored.
//!
//! Every method blocks (file and keychain I/O; the Secret Service store runs its own D-Bus
//! runtime and must not be called from inside an async task): the service calls the vault
//! through `spawn_blocking`. [`Vault`] is `Send + Sync`; share it in an `Arc`.

mod audit_key;
mod built_in;
mod config;
mod kinds;
mod profile;
mod recent;
mod secrets;
mod store;
mod team;

pub use built_in::Starter;
pub use config::{CONFIG_FILE, CONFIG_LOCK_FILE};
pub use kinds::{Credentials, EnvSource, SecretKind, SecretStatus};
pub use profile::{
    CARD_WIPE_SECS, Environment, IDLE_LOCK_MINS, MAX_PROFILE_NAME, PRODUCTION_HOST, Profile, SANDBOX_HOST,
    Settings, check_endpoint,
};
use secrets::validate_secret;
pub use secrets::{card_fingerprint, check_secret, team_card_key};
pub use store::{StoreKind, platform_store, probe_store};
pub use team::{TEAM_JOURNAL_ENTRY, TeamAddress, has_password, split_password, with_password};

use crate::aps::field::Field;
use crate::aps::secret::Secret;
use built_in::BuiltIn;
use config::ConfigFile;
use hmac::{Hmac, KeyInit, Mac};
use keyring_core::{CredentialStore, Entry};
use sha2::Sha256;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

/// The keychain service name every entry of this app uses.
pub const SERVICE: &str = "moto-terminal";
/// Keychain user name of the per-installation fingerprint key.
pub const INSTALLATION_KEY_ENTRY: &str = "installation-key";

/// Why a vault call failed. Messages say what to do; none contains a secret.
#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    /// A field of a profile or of the app settings is wrong.
    #[error("{}", .field.named(.problem))]
    Invalid { field: Field, problem: String },
    #[error("a profile named \"{0}\" already exists; choose another name")]
    ProfileExists(String),
    #[error("no profile named \"{0}\"; add it in Settings, Profiles or with `moto-terminal profile add`")]
    ProfileNotFound(String),
    #[error("the built-in profile \"{0}\" cannot be changed")]
    ProfileReadOnly(String),
    #[error(
        "profile \"{profile}\" has no {kind}: Settings, Profiles, {profile}, enter the {kind} (or set {env} for this run)",
        env = kind.env_var()
    )]
    MissingSecret { profile: String, kind: SecretKind },
    /// A secret as typed (or as given by `source_name`, an environment variable) is wrong.
    #[error("{source_name}: {problem}")]
    InvalidSecret { kind: SecretKind, source_name: String, problem: String },
    #[error(
        "the keychain could not {action}: {source}; unlock the keychain (log in to the desktop session) and try again"
    )]
    Keychain {
        action: &'static str,
        #[source]
        source: keyring_core::Error,
    },
    #[error("{0}")]
    KeychainUnusable(String),
    #[error(
        "cannot read {path}: {problem}; fix or move the file away (it holds no secrets) and add the profiles again"
    )]
    Config { path: String, problem: String },
    #[error("cannot save {path}: {source}; check the data directory is writable")]
    ConfigWrite { path: String, source: std::io::Error },
    #[error("the system random generator failed: {0}")]
    Random(String),
    #[error(
        "the built-in profile \"{profile}\" could not start: {problem}; restart moto-terminal or choose another profile"
    )]
    BuiltInUnavailable { profile: String, problem: String },
}

#[derive(Default)]
struct State {
    config: ConfigFile,
    /// Built-in profiles (the demo merchant), in memory only, never written anywhere.
    built_in: Vec<BuiltIn>,
}

impl State {
    fn find_profile(&self, name: &str) -> Option<Profile> {
        self.config
            .profiles
            .iter()
            .chain(self.built_in.iter().map(|b| &b.profile))
            .find(|p| p.name == name)
            .cloned()
    }

    fn name_taken(&self, name: &str) -> bool {
        let built_in: Vec<&Profile> = self.built_in.iter().map(|b| &b.profile).collect();
        name_taken(&self.config, &built_in, name)
    }
}

/// A stored or built-in profile already has this name, ignoring case.
fn name_taken(config: &ConfigFile, built_in: &[&Profile], name: &str) -> bool {
    let lower = name.to_lowercase();
    config.profiles.iter().chain(built_in.iter().copied()).any(|p| p.name.to_lowercase() == lower)
}

/// Profiles, settings and secrets. See the module docs for the threading contract.
pub struct Vault {
    dir: PathBuf,
    store: Arc<CredentialStore>,
    env: EnvSource,
    state: Mutex<State>,
    installation_key: Mutex<Option<Secret>>,
    recent: recent::RecentSecrets,
}

impl fmt::Debug for Vault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Vault")
            .field("dir", &self.dir)
            .field("store", &StoreKind::of(&self.store))
            .field("env", &self.env)
            .finish()
    }
}

impl Vault {
    /// Loads `config.json` from `data_dir` (none yet is fine: no profiles). Secrets come from
    /// `store`; no environment overrides until [`Vault::with_env`].
    ///
    /// # Errors
    /// [`VaultError::Config`] when the file exists but cannot be read (or is a symbolic link),
    /// is not valid, holds a stored "demo" profile, or comes from a newer version. The file is
    /// left untouched.
    pub fn open(data_dir: &Path, store: Arc<CredentialStore>) -> Result<Vault, VaultError> {
        let config = config::load(data_dir)?;
        Ok(Vault {
            dir: data_dir.to_owned(),
            store,
            env: EnvSource::none(),
            state: Mutex::new(State { config, built_in: Vec::new() }),
            installation_key: Mutex::new(None),
            recent: recent::RecentSecrets::default(),
        })
    }

    /// Uses `env` (captured at start-up) to supply secrets ahead of the keychain for this run.
    /// Built-in (ephemeral) profiles keep their own credentials.
    pub fn with_env(mut self, env: EnvSource) -> Vault {
        self.env = env;
        self
    }

    pub fn config_path(&self) -> PathBuf {
        self.dir.join(CONFIG_FILE)
    }

    /// Which keychain holds the secrets.
    pub fn store_kind(&self) -> StoreKind {
        StoreKind::of(&self.store)
    }

    /// Which secrets the environment overrides this run.
    pub fn env_overrides(&self) -> SecretStatus {
        self.env.status()
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Every profile: those in the config file in their saved order, then built-in ones.
    pub fn profiles(&self) -> Vec<Profile> {
        let state = self.lock();
        state
            .config
            .profiles
            .iter()
            .cloned()
            .chain(state.built_in.iter().map(|b| b.profile.clone()))
            .collect()
    }

    /// A profile to use. A built-in one whose server has not started yet is started now; if
    /// that fails its endpoint stays empty and [`Vault::credentials`] says why.
    pub fn profile(&self, name: &str) -> Option<Profile> {
        let mut state = self.lock();
        if let Err(e) = state.start_built_in(name) {
            log::warn!("{e}");
        }
        state.find_profile(name)
    }

    /// The environment of a stored or built-in profile (starts nothing).
    pub fn environment_of(&self, name: &str) -> Option<Environment> {
        self.lock().find_profile(name).map(|p| p.environment)
    }

    /// True when a stored or built-in profile has this name (starts nothing).
    pub fn has_profile(&self, name: &str) -> bool {
        self.lock().find_profile(name).is_some()
    }

    /// Adds a profile to the config file. Its secrets are set separately ([`Vault::set_credentials`]).
    ///
    /// # Errors
    /// Invalid profile (a demo one included: the Demo is built in), a name already taken
    /// (ignoring case), or the file cannot be saved.
    pub fn add_profile(&self, profile: Profile) -> Result<(), VaultError> {
        profile.validate_stored()?;
        // AUDIT HOOK: once the audit trail exists, record a custom endpoint here (profile, host, operator).
        self.update(|config, built_in| {
            if name_taken(config, built_in, &profile.name) {
                return Err(VaultError::ProfileExists(profile.name.clone()));
            }
            config.profiles.push(profile);
            Ok(())
        })
    }

    /// Replaces the stored profile of the same name.
    ///
    /// # Errors
    /// Invalid profile, no such stored profile, a built-in profile, or the file cannot be saved.
    pub fn update_profile(&self, profile: Profile) -> Result<(), VaultError> {
        if self.is_ephemeral(&profile.name) {
            return Err(VaultError::ProfileReadOnly(profile.name));
        }
        profile.validate_stored()?;
        // AUDIT HOOK: once the audit trail exists, record a custom endpoint here (profile, host, operator).
        self.update(|config, _| {
            let slot = config
                .profiles
                .iter_mut()
                .find(|p| p.name == profile.name)
                .ok_or_else(|| VaultError::ProfileNotFound(profile.name.clone()))?;
            *slot = profile;
            Ok(())
        })
    }

    /// Removes a profile and deletes its secrets from the keychain (secrets first, so a locked
    /// keychain leaves the profile in place to retry rather than orphaned secrets behind).
    ///
    /// # Errors
    /// No such profile, the keychain refuses, or the file cannot be saved.
    pub fn remove_profile(&self, name: &str) -> Result<(), VaultError> {
        {
            let mut state = self.lock();
            if let Some(i) = state.built_in.iter().position(|b| b.profile.name == name) {
                state.built_in.remove(i);
                return Ok(());
            }
            if !state.config.profiles.iter().any(|p| p.name == name) {
                return Err(VaultError::ProfileNotFound(name.to_owned()));
            }
        }
        // Forgotten before and after: a read in between must not keep what it found.
        self.recent.forget(name);
        let deleted = SecretKind::ALL.into_iter().try_for_each(|kind| {
            match self.entry(name, kind)?.delete_credential() {
                Ok(()) | Err(keyring_core::Error::NoEntry) => Ok(()),
                Err(source) => Err(VaultError::Keychain { action: "delete the profile's secrets", source }),
            }
        });
        self.recent.forget(name);
        deleted?;
        self.update(|config, _| {
            config.profiles.retain(|p| p.name != name);
            if config.settings.default_profile.as_deref() == Some(name) {
                config.settings.default_profile = None;
            }
            Ok(())
        })
    }

    pub fn settings(&self) -> Settings {
        self.lock().config.settings.clone()
    }

    /// Saves the app settings. Only the settings that differ from what this process last saw
    /// are written, so another process's change to a different setting is kept.
    ///
    /// # Errors
    /// An unknown default profile, a setting out of its range ([`Settings::validate`]), or the
    /// file cannot be saved.
    pub fn set_settings(&self, settings: Settings) -> Result<(), VaultError> {
        settings.validate()?;
        let seen = self.settings();
        self.update(|config, built_in| {
            if let Some(name) = &settings.default_profile
                && !config.profiles.iter().chain(built_in.iter().copied()).any(|p| &p.name == name)
            {
                return Err(VaultError::ProfileNotFound(name.clone()));
            }
            let now = &mut config.settings;
            if settings.operator != seen.operator {
                now.operator.clone_from(&settings.operator);
            }
            if settings.default_profile != seen.default_profile {
                now.default_profile.clone_from(&settings.default_profile);
            }
            if settings.default_currency != seen.default_currency {
                now.default_currency = settings.default_currency;
            }
            if settings.card_idle_wipe_secs != seen.card_idle_wipe_secs {
                now.card_idle_wipe_secs = settings.card_idle_wipe_secs;
            }
            if settings.idle_lock_mins != seen.idle_lock_mins {
                now.idle_lock_mins = settings.idle_lock_mins;
            }
            Ok(())
        })
    }

    /// Applies `change` to the config file as it is on disk now (another process may have
    /// changed it), under the file lock, then adopts the result in memory. `change` also sees
    /// the built-in profiles, for name checks.
    fn update(
        &self,
        change: impl FnOnce(&mut ConfigFile, &[&Profile]) -> Result<(), VaultError>,
    ) -> Result<(), VaultError> {
        let mut state = self.lock();
        let built_in: Vec<Profile> = state.built_in.iter().map(|b| b.profile.clone()).collect();
        let built_in: Vec<&Profile> = built_in.iter().collect();
        let config = config::update(&self.dir, |config| change(config, &built_in))?;
        state.config = config;
        Ok(())
    }

    /// Stores all three secrets of a profile in the keychain (or in memory for a built-in one).
    ///
    /// # Errors
    /// No such profile, an invalid secret, or the keychain refuses.
    pub fn set_credentials(&self, profile: &str, credentials: &Credentials) -> Result<(), VaultError> {
        credentials.validate()?;
        if self.set_ephemeral(profile, |c| *c = credentials.clone())? {
            return Ok(());
        }
        self.recent.forget(profile);
        let written = SecretKind::ALL
            .into_iter()
            .try_for_each(|kind| self.write_secret(profile, kind, credentials.get(kind)));
        self.recent.forget(profile);
        written
    }

    /// Stores one secret (the agent changed only the response phrase, say).
    ///
    /// # Errors
    /// No such profile, an invalid secret, or the keychain refuses.
    pub fn set_secret(&self, profile: &str, kind: SecretKind, secret: &Secret) -> Result<(), VaultError> {
        validate_secret(kind, secret, None)?;
        let value = secret.clone();
        if self.set_ephemeral(profile, |c| match kind {
            SecretKind::AccessCode => c.access_code = value,
            SecretKind::RequestPhrase => c.request_phrase = value,
            SecretKind::ResponsePhrase => c.response_phrase = value,
        })? {
            return Ok(());
        }
        self.recent.forget(profile);
        let written = self.write_secret(profile, kind, secret);
        self.recent.forget(profile);
        written
    }

    /// The secrets to sign with: each from the environment if it was set at start-up, else
    /// from the keychain.
    ///
    /// # Errors
    /// [`VaultError::MissingSecret`] naming the first missing secret and where to enter it;
    /// an invalid environment value; no such profile; the keychain refuses.
    pub fn credentials(&self, profile: &str) -> Result<Credentials, VaultError> {
        if let Some(c) = self.ephemeral_credentials(profile)? {
            return Ok(c);
        }
        if let Some(c) = self.recent.get(profile) {
            return Ok(c);
        }
        let started = self.recent.read_started();
        let get = |kind| {
            self.read_secret(profile, kind)?
                .ok_or_else(|| VaultError::MissingSecret { profile: profile.to_owned(), kind })
        };
        let credentials = Credentials {
            access_code: get(SecretKind::AccessCode)?,
            request_phrase: get(SecretKind::RequestPhrase)?,
            response_phrase: get(SecretKind::ResponsePhrase)?,
        };
        self.recent.keep(profile, &credentials, started);
        Ok(credentials)
    }

    /// Which secrets are available to the profile (environment or keychain).
    ///
    /// # Errors
    /// No such profile or the keychain refuses.
    pub fn secret_status(&self, profile: &str) -> Result<SecretStatus, VaultError> {
        // Listing a built-in profile must not start the server behind it.
        if self.is_ephemeral(profile) {
            return Ok(SecretStatus { access_code: true, request_phrase: true, response_phrase: true });
        }
        let mut status = SecretStatus::default();
        for kind in SecretKind::ALL {
            let present = self.env.get(kind).is_some() || self.keychain_secret(profile, kind)?.is_some();
            status.set(kind, present);
        }
        Ok(status)
    }

    fn entry(&self, profile: &str, kind: SecretKind) -> Result<Entry, VaultError> {
        Entry::new_in_store(&self.store, SERVICE, &format!("{profile}/{}", kind.key()))
            .map_err(|source| VaultError::Keychain { action: "open a keychain entry", source })
    }

    fn write_secret(&self, profile: &str, kind: SecretKind, secret: &Secret) -> Result<(), VaultError> {
        self.entry(profile, kind)?
            .set_password(secret.expose())
            .map_err(|source| VaultError::Keychain { action: "store the secret", source })
    }

    fn keychain_secret(&self, profile: &str, kind: SecretKind) -> Result<Option<Secret>, VaultError> {
        match self.entry(profile, kind)?.get_password() {
            Ok(v) if !v.is_empty() => Ok(Some(Secret::new(v))),
            Ok(_) | Err(keyring_core::Error::NoEntry) => Ok(None),
            Err(source) => Err(VaultError::Keychain { action: "read the secret", source }),
        }
    }

    fn read_secret(&self, profile: &str, kind: SecretKind) -> Result<Option<Secret>, VaultError> {
        if let Some(secret) = self.env.get(kind) {
            validate_secret(kind, secret, Some(kind.env_var()))?;
            return Ok(Some(secret.clone()));
        }
        self.keychain_secret(profile, kind)
    }
}

#[cfg(test)]
mod safety_tests;
#[cfg(test)]
mod tests;
