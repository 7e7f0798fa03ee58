//! Built-in profiles (the Demo merchant): kept in memory with their credentials, never written
//! to the config file or the keychain.
//!
//! A built-in profile may come with a [`Starter`] that starts the server behind it (the Demo
//! merchant's simulator) and answers its address. It runs on the profile's first use (looking
//! it up to send something, or asking for its credentials), not at start-up, so a run that never
//! uses the Demo merchant never opens a listening port.

use super::{Credentials, Profile, State, Vault, VaultError, check_endpoint};

/// Starts the server behind a built-in profile and answers its endpoint URL, or why it could
/// not start. Called again on the next use after a failure.
pub type Starter = Box<dyn FnMut() -> Result<String, String> + Send>;

pub(super) struct BuiltIn {
    pub profile: Profile,
    pub credentials: Credentials,
    /// `Some` until the server behind the profile has started.
    pub starter: Option<Starter>,
}

impl State {
    pub(super) fn built_in(&self, name: &str) -> Option<&BuiltIn> {
        self.built_in.iter().find(|b| b.profile.name == name)
    }

    /// Runs the starter of a built-in profile that has not started yet.
    ///
    /// # Errors
    /// [`VaultError::BuiltInUnavailable`] with the starter's reason.
    pub(super) fn start_built_in(&mut self, name: &str) -> Result<(), VaultError> {
        let Some(entry) = self.built_in.iter_mut().find(|b| b.profile.name == name) else { return Ok(()) };
        let Some(starter) = entry.starter.as_mut() else { return Ok(()) };
        let unavailable =
            |problem: String| VaultError::BuiltInUnavailable { profile: name.to_owned(), problem };
        let endpoint = starter().map_err(unavailable)?;
        let profile = &entry.profile;
        check_endpoint(profile.environment, &endpoint, profile.custom_endpoint)
            .map_err(|e| unavailable(e.to_string()))?;
        entry.profile.endpoint = endpoint;
        entry.starter = None;
        Ok(())
    }
}

impl Vault {
    /// Keeps a profile and its credentials in memory only (the built-in demo merchant): listed
    /// with the others, never written to the config file or the keychain.
    ///
    /// # Errors
    /// Invalid profile or credentials, or a name already taken.
    pub fn add_ephemeral(&self, profile: Profile, credentials: Credentials) -> Result<(), VaultError> {
        profile.validate()?;
        self.push_built_in(BuiltIn { profile, credentials, starter: None })
    }

    /// As [`Vault::add_ephemeral`] for a profile whose server starts on first use: `starter`
    /// runs then and its answer becomes the endpoint (checked against the environment).
    /// Until then the profile's endpoint is empty.
    ///
    /// # Errors
    /// Invalid profile fields or credentials, or a name already taken.
    pub fn add_built_in(
        &self,
        mut profile: Profile,
        credentials: Credentials,
        starter: Starter,
    ) -> Result<(), VaultError> {
        profile.validate_fields()?;
        profile.endpoint.clear();
        self.push_built_in(BuiltIn { profile, credentials, starter: Some(starter) })
    }

    fn push_built_in(&self, entry: BuiltIn) -> Result<(), VaultError> {
        entry.credentials.validate()?;
        let mut state = self.lock();
        if state.name_taken(&entry.profile.name) {
            return Err(VaultError::ProfileExists(entry.profile.name));
        }
        state.built_in.push(entry);
        Ok(())
    }

    /// True for a built-in profile that lives only in memory.
    pub fn is_ephemeral(&self, name: &str) -> bool {
        self.lock().built_in(name).is_some()
    }

    /// True once the server behind a built-in profile has started (always true for one that
    /// needs none, and for a stored profile).
    pub fn is_started(&self, name: &str) -> bool {
        self.lock().built_in(name).is_none_or(|b| b.starter.is_none())
    }

    /// Applies `change` to a built-in profile's credentials; false when `profile` is a stored one.
    pub(super) fn set_ephemeral(
        &self,
        profile: &str,
        change: impl FnOnce(&mut Credentials),
    ) -> Result<bool, VaultError> {
        let mut state = self.lock();
        if let Some(entry) = state.built_in.iter_mut().find(|b| b.profile.name == profile) {
            change(&mut entry.credentials);
            return Ok(true);
        }
        if state.config.profiles.iter().any(|p| p.name == profile) {
            Ok(false)
        } else {
            Err(VaultError::ProfileNotFound(profile.to_owned()))
        }
    }

    /// A built-in profile's credentials (starting its server first); `None` for a stored one.
    pub(super) fn ephemeral_credentials(&self, profile: &str) -> Result<Option<Credentials>, VaultError> {
        let mut state = self.lock();
        if state.built_in(profile).is_some() {
            state.start_built_in(profile)?;
            return Ok(state.built_in(profile).map(|b| b.credentials.clone()));
        }
        if state.config.profiles.iter().any(|p| p.name == profile) {
            Ok(None)
        } else {
            Err(VaultError::ProfileNotFound(profile.to_owned()))
        }
    }
}
