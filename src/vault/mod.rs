//! Merchant profiles and their secrets.
//!
//! Profiles and app settings are plain facts in `config.json` under the data directory, written
//! atomically. The access code and the two SHA phrases of each profile live only in the OS
//! keychain (through `keyring-core`, the store chosen once by `main` with [`platform_store`]),
//! or, for headless runs, in the `APS_*` environment variables captured at start-up.
//!
//! Every method blocks (file and keychain I/O; the Secret Service store runs its own D-Bus
//! runtime and must not be called from inside an async task): the service calls the vault
//! through `spawn_blocking`. [`Vault`] is `Send + Sync`; share it in an `Arc`.

mod profile;
mod secrets;
mod store;

pub use profile::{Environment, MAX_PROFILE_NAME, PRODUCTION_HOST, Profile, SANDBOX_HOST, Settings};
use secrets::validate_secret;
pub use secrets::{card_fingerprint, check_secret};
pub use store::{StoreKind, platform_store, probe_store};

use crate::aps::secret::Secret;
use hmac::{Hmac, KeyInit, Mac};
use keyring_core::{CredentialStore, Entry};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use std::collections::HashMap;
use std::fmt;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

/// The keychain service name every entry of this app uses.
pub const SERVICE: &str = "moto-terminal";
/// Keychain user name of the per-installation fingerprint key.
pub const INSTALLATION_KEY_ENTRY: &str = "installation-key";
/// The config file's name inside the data directory.
pub const CONFIG_FILE: &str = "config.json";
/// The config file format this build writes.
const CONFIG_VERSION: u32 = 1;

/// One of the three secrets of a merchant account.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SecretKind {
    AccessCode,
    RequestPhrase,
    ResponsePhrase,
}

impl SecretKind {
    pub const ALL: [SecretKind; 3] = [Self::AccessCode, Self::RequestPhrase, Self::ResponsePhrase];

    /// The keychain entry suffix: `<profile>/<key>`.
    pub fn key(self) -> &'static str {
        match self {
            Self::AccessCode => "access-code",
            Self::RequestPhrase => "request-phrase",
            Self::ResponsePhrase => "response-phrase",
        }
    }

    /// The name the APS back office uses.
    pub fn label(self) -> &'static str {
        match self {
            Self::AccessCode => "access code",
            Self::RequestPhrase => "SHA request phrase",
            Self::ResponsePhrase => "SHA response phrase",
        }
    }

    /// The environment variable that overrides it for one run.
    pub fn env_var(self) -> &'static str {
        match self {
            Self::AccessCode => "APS_ACCESS_CODE",
            Self::RequestPhrase => "APS_REQUEST_PHRASE",
            Self::ResponsePhrase => "APS_RESPONSE_PHRASE",
        }
    }
}

impl fmt::Display for SecretKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// The three secrets of one merchant account. `Debug` shows none of them.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    pub access_code: Secret,
    pub request_phrase: Secret,
    pub response_phrase: Secret,
}

impl Credentials {
    pub fn get(&self, kind: SecretKind) -> &Secret {
        match kind {
            SecretKind::AccessCode => &self.access_code,
            SecretKind::RequestPhrase => &self.request_phrase,
            SecretKind::ResponsePhrase => &self.response_phrase,
        }
    }

    /// Checks all three, naming the first wrong one.
    ///
    /// # Errors
    /// [`VaultError::InvalidSecret`].
    pub fn validate(&self) -> Result<(), VaultError> {
        SecretKind::ALL.into_iter().try_for_each(|k| validate_secret(k, self.get(k), None))
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Credentials(<redacted>)")
    }
}

/// Which secrets a profile has (from the keychain or the environment), for the profile screen.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize)]
pub struct SecretStatus {
    pub access_code: bool,
    pub request_phrase: bool,
    pub response_phrase: bool,
}

impl SecretStatus {
    pub fn has(&self, kind: SecretKind) -> bool {
        match kind {
            SecretKind::AccessCode => self.access_code,
            SecretKind::RequestPhrase => self.request_phrase,
            SecretKind::ResponsePhrase => self.response_phrase,
        }
    }

    pub fn is_complete(&self) -> bool {
        SecretKind::ALL.into_iter().all(|k| self.has(k))
    }

    pub fn missing(&self) -> Vec<SecretKind> {
        SecretKind::ALL.into_iter().filter(|k| !self.has(*k)).collect()
    }

    fn set(&mut self, kind: SecretKind, value: bool) {
        match kind {
            SecretKind::AccessCode => self.access_code = value,
            SecretKind::RequestPhrase => self.request_phrase = value,
            SecretKind::ResponsePhrase => self.response_phrase = value,
        }
    }
}

/// The `APS_*` secret overrides, captured once at start-up so nothing reads the process
/// environment later (and tests need not change it). Empty values count as unset.
#[derive(Clone, Default)]
pub struct EnvSource {
    values: HashMap<SecretKind, Secret>,
}

impl EnvSource {
    /// No overrides.
    pub fn none() -> EnvSource {
        EnvSource::default()
    }

    /// Reads `APS_ACCESS_CODE`, `APS_REQUEST_PHRASE` and `APS_RESPONSE_PHRASE` now.
    pub fn from_process() -> EnvSource {
        let values = SecretKind::ALL
            .into_iter()
            .filter_map(|k| {
                std::env::var(k.env_var()).ok().filter(|v| !v.is_empty()).map(|v| (k, Secret::new(v)))
            })
            .collect();
        EnvSource { values }
    }

    /// Overrides from a map of variable names to values (tests, or a caller's own parsing).
    pub fn from_map(map: &HashMap<String, String>) -> EnvSource {
        let values = SecretKind::ALL
            .into_iter()
            .filter_map(|k| {
                map.get(k.env_var()).filter(|v| !v.is_empty()).map(|v| (k, Secret::from(v.as_str())))
            })
            .collect();
        EnvSource { values }
    }

    pub fn get(&self, kind: SecretKind) -> Option<&Secret> {
        self.values.get(&kind)
    }

    /// Which secrets the environment supplies.
    pub fn status(&self) -> SecretStatus {
        let mut status = SecretStatus::default();
        for k in SecretKind::ALL {
            status.set(k, self.values.contains_key(&k));
        }
        status
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }
}

impl fmt::Debug for EnvSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let set: Vec<&str> = SecretKind::ALL
            .into_iter()
            .filter(|k| self.values.contains_key(k))
            .map(SecretKind::env_var)
            .collect();
        write!(f, "EnvSource(set: {set:?})")
    }
}

/// Why a vault call failed. Messages say what to do; none contains a secret.
#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    #[error("{field}: {problem}")]
    InvalidProfile { field: &'static str, problem: String },
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
    #[error("{source_name}: {problem}")]
    InvalidSecret { source_name: String, problem: String },
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
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct ConfigFile {
    #[serde(default)]
    version: u32,
    #[serde(default)]
    settings: Settings,
    #[serde(default)]
    profiles: Vec<Profile>,
}

#[derive(Default)]
struct State {
    config: ConfigFile,
    /// In-memory profiles (the built-in demo merchant), never written anywhere.
    ephemeral: Vec<(Profile, Credentials)>,
}

/// Profiles, settings and secrets. See the module docs for the threading contract.
pub struct Vault {
    dir: PathBuf,
    store: Arc<CredentialStore>,
    env: EnvSource,
    state: Mutex<State>,
    installation_key: Mutex<Option<Secret>>,
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
    /// [`VaultError::Config`] when the file exists but cannot be read, is not valid, or comes
    /// from a newer version. The file is left untouched.
    pub fn open(data_dir: &Path, store: Arc<CredentialStore>) -> Result<Vault, VaultError> {
        let path = data_dir.join(CONFIG_FILE);
        let config = match std::fs::read_to_string(&path) {
            Ok(text) => parse_config(&text)
                .map_err(|problem| VaultError::Config { path: path.display().to_string(), problem })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                ConfigFile { version: CONFIG_VERSION, ..Default::default() }
            }
            Err(e) => {
                return Err(VaultError::Config { path: path.display().to_string(), problem: e.to_string() });
            }
        };
        Ok(Vault {
            dir: data_dir.to_owned(),
            store,
            env: EnvSource::none(),
            state: Mutex::new(State { config, ephemeral: Vec::new() }),
            installation_key: Mutex::new(None),
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
        state.config.profiles.iter().cloned().chain(state.ephemeral.iter().map(|(p, _)| p.clone())).collect()
    }

    pub fn profile(&self, name: &str) -> Option<Profile> {
        let state = self.lock();
        find_profile(&state, name)
    }

    /// True for a built-in profile that lives only in memory.
    pub fn is_ephemeral(&self, name: &str) -> bool {
        self.lock().ephemeral.iter().any(|(p, _)| p.name == name)
    }

    /// Adds a profile to the config file. Its secrets are set separately ([`Vault::set_credentials`]).
    ///
    /// # Errors
    /// Invalid profile, a name already taken (ignoring case), or the file cannot be saved.
    pub fn add_profile(&self, profile: Profile) -> Result<(), VaultError> {
        profile.validate()?;
        let mut state = self.lock();
        if name_taken(&state, &profile.name) {
            return Err(VaultError::ProfileExists(profile.name));
        }
        let mut config = state.config.clone();
        config.profiles.push(profile);
        self.save(&mut state, config)
    }

    /// Replaces the stored profile of the same name.
    ///
    /// # Errors
    /// Invalid profile, no such stored profile, a built-in profile, or the file cannot be saved.
    pub fn update_profile(&self, profile: Profile) -> Result<(), VaultError> {
        profile.validate()?;
        let mut state = self.lock();
        if state.ephemeral.iter().any(|(p, _)| p.name == profile.name) {
            return Err(VaultError::ProfileReadOnly(profile.name));
        }
        let mut config = state.config.clone();
        let slot = config
            .profiles
            .iter_mut()
            .find(|p| p.name == profile.name)
            .ok_or_else(|| VaultError::ProfileNotFound(profile.name.clone()))?;
        *slot = profile;
        self.save(&mut state, config)
    }

    /// Removes a profile and deletes its secrets from the keychain (secrets first, so a locked
    /// keychain leaves the profile in place to retry rather than orphaned secrets behind).
    ///
    /// # Errors
    /// No such profile, the keychain refuses, or the file cannot be saved.
    pub fn remove_profile(&self, name: &str) -> Result<(), VaultError> {
        {
            let mut state = self.lock();
            if let Some(i) = state.ephemeral.iter().position(|(p, _)| p.name == name) {
                state.ephemeral.remove(i);
                return Ok(());
            }
            if !state.config.profiles.iter().any(|p| p.name == name) {
                return Err(VaultError::ProfileNotFound(name.to_owned()));
            }
        }
        for kind in SecretKind::ALL {
            match self.entry(name, kind)?.delete_credential() {
                Ok(()) | Err(keyring_core::Error::NoEntry) => {}
                Err(source) => {
                    return Err(VaultError::Keychain { action: "delete the profile's secrets", source });
                }
            }
        }
        let mut state = self.lock();
        let mut config = state.config.clone();
        config.profiles.retain(|p| p.name != name);
        if config.settings.default_profile.as_deref() == Some(name) {
            config.settings.default_profile = None;
        }
        self.save(&mut state, config)
    }

    /// Keeps a profile and its credentials in memory only (the built-in demo merchant): listed
    /// with the others, never written to the config file or the keychain.
    ///
    /// # Errors
    /// Invalid profile or credentials, or a name already taken.
    pub fn add_ephemeral(&self, profile: Profile, credentials: Credentials) -> Result<(), VaultError> {
        profile.validate()?;
        credentials.validate()?;
        let mut state = self.lock();
        if name_taken(&state, &profile.name) {
            return Err(VaultError::ProfileExists(profile.name));
        }
        state.ephemeral.push((profile, credentials));
        Ok(())
    }

    pub fn settings(&self) -> Settings {
        self.lock().config.settings.clone()
    }

    /// # Errors
    /// An unknown default profile, a bad operator name, or the file cannot be saved.
    pub fn set_settings(&self, settings: Settings) -> Result<(), VaultError> {
        if settings.operator.chars().count() > 50 || settings.operator.chars().any(char::is_control) {
            return Err(VaultError::InvalidProfile {
                field: "operator",
                problem: "must be at most 50 characters on one line".to_owned(),
            });
        }
        let mut state = self.lock();
        if let Some(name) = &settings.default_profile
            && find_profile(&state, name).is_none()
        {
            return Err(VaultError::ProfileNotFound(name.clone()));
        }
        let mut config = state.config.clone();
        config.settings = settings;
        self.save(&mut state, config)
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
        for kind in SecretKind::ALL {
            self.write_secret(profile, kind, credentials.get(kind))?;
        }
        Ok(())
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
        self.write_secret(profile, kind, secret)
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
        let get = |kind| {
            self.read_secret(profile, kind)?
                .ok_or_else(|| VaultError::MissingSecret { profile: profile.to_owned(), kind })
        };
        Ok(Credentials {
            access_code: get(SecretKind::AccessCode)?,
            request_phrase: get(SecretKind::RequestPhrase)?,
            response_phrase: get(SecretKind::ResponsePhrase)?,
        })
    }

    /// Which secrets are available to the profile (environment or keychain).
    ///
    /// # Errors
    /// No such profile or the keychain refuses.
    pub fn secret_status(&self, profile: &str) -> Result<SecretStatus, VaultError> {
        if self.ephemeral_credentials(profile)?.is_some() {
            return Ok(SecretStatus { access_code: true, request_phrase: true, response_phrase: true });
        }
        let mut status = SecretStatus::default();
        for kind in SecretKind::ALL {
            let present = self.env.get(kind).is_some() || self.keychain_secret(profile, kind)?.is_some();
            status.set(kind, present);
        }
        Ok(status)
    }

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

    fn entry(&self, profile: &str, kind: SecretKind) -> Result<Entry, VaultError> {
        Entry::new_in_store(&self.store, SERVICE, &format!("{profile}/{}", kind.key()))
            .map_err(|source| VaultError::Keychain { action: "open a keychain entry", source })
    }

    /// Applies `change` to a built-in profile's credentials; false when `profile` is a stored one.
    fn set_ephemeral(
        &self,
        profile: &str,
        change: impl FnOnce(&mut Credentials),
    ) -> Result<bool, VaultError> {
        let mut state = self.lock();
        if let Some((_, c)) = state.ephemeral.iter_mut().find(|(p, _)| p.name == profile) {
            change(c);
            return Ok(true);
        }
        if state.config.profiles.iter().any(|p| p.name == profile) {
            Ok(false)
        } else {
            Err(VaultError::ProfileNotFound(profile.to_owned()))
        }
    }

    /// A built-in profile's credentials; `None` for a stored profile.
    fn ephemeral_credentials(&self, profile: &str) -> Result<Option<Credentials>, VaultError> {
        let state = self.lock();
        if let Some((_, c)) = state.ephemeral.iter().find(|(p, _)| p.name == profile) {
            return Ok(Some(c.clone()));
        }
        if state.config.profiles.iter().any(|p| p.name == profile) {
            Ok(None)
        } else {
            Err(VaultError::ProfileNotFound(profile.to_owned()))
        }
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

    /// Writes `config` atomically (temporary file, fsync, rename, fsync the folder), then
    /// adopts it in memory: memory and disk never disagree after a failed save.
    fn save(&self, state: &mut State, mut config: ConfigFile) -> Result<(), VaultError> {
        config.version = CONFIG_VERSION;
        let path = self.config_path();
        let shown = path.display().to_string();
        let fail = |source| VaultError::ConfigWrite { path: shown.clone(), source };
        let text = serde_json::to_string_pretty(&config).map_err(|e| fail(std::io::Error::other(e)))?;
        std::fs::create_dir_all(&self.dir).map_err(fail)?;
        let tmp = self.dir.join(format!("{CONFIG_FILE}.tmp-{}", std::process::id()));
        let written = (|| {
            let mut file = std::fs::File::create(&tmp)?;
            file.write_all(text.as_bytes())?;
            file.write_all(b"\n")?;
            file.sync_all()?;
            std::fs::rename(&tmp, &path)?;
            sync_dir(&self.dir)
        })();
        if let Err(e) = written {
            let _ = std::fs::remove_file(&tmp);
            return Err(fail(e));
        }
        state.config = config;
        Ok(())
    }
}

#[cfg(unix)]
fn sync_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::File::open(dir)?.sync_all()
}

#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> std::io::Result<()> {
    Ok(())
}

fn parse_config(text: &str) -> Result<ConfigFile, String> {
    let config: ConfigFile = serde_json::from_str(text).map_err(|e| e.to_string())?;
    if config.version > CONFIG_VERSION {
        return Err(format!(
            "it was written by a newer moto-terminal (format {}, this version reads {CONFIG_VERSION}); update moto-terminal",
            config.version
        ));
    }
    for p in &config.profiles {
        p.validate().map_err(|e| format!("profile \"{}\": {e}", p.name))?;
    }
    Ok(config)
}

fn find_profile(state: &State, name: &str) -> Option<Profile> {
    state
        .config
        .profiles
        .iter()
        .chain(state.ephemeral.iter().map(|(p, _)| p))
        .find(|p| p.name == name)
        .cloned()
}

fn name_taken(state: &State, name: &str) -> bool {
    state
        .config
        .profiles
        .iter()
        .chain(state.ephemeral.iter().map(|(p, _)| p))
        .any(|p| p.name.to_lowercase() == name.to_lowercase())
}

#[cfg(test)]
mod tests;
