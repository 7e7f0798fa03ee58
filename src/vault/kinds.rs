//! The three secrets of a merchant account, which of them a profile has, and the `APS_*`
//! environment overrides captured at start-up.

use super::VaultError;
use super::secrets::validate_secret;
use crate::aps::field::Field;
use crate::aps::secret::Secret;
use serde::Serialize;
use std::collections::HashMap;
use std::fmt;

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

    /// The field an error about this secret names.
    pub fn field(self) -> Field {
        match self {
            Self::AccessCode => Field::AccessCode,
            Self::RequestPhrase => Field::RequestPhrase,
            Self::ResponsePhrase => Field::ResponsePhrase,
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

    pub(super) fn set(&mut self, kind: SecretKind, value: bool) {
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
