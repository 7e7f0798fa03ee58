//! Secrets read from the keychain, kept a short while so that a run of charges does not ask
//! the keychain three times for each one. A keychain behind the Secret Service answers over
//! D-Bus, and may block; a batch file of thousands of rows made three such calls per row.
//!
//! A change made through this vault takes effect at once (it forgets what it kept); a change
//! made by another program (the CLI while the desktop runs) is seen within [`KEPT_FOR`].
//! Nothing here is written anywhere: the secrets stay in this process's memory, wiped when
//! they are dropped, as they are while a request is signed.

use super::{Credentials, Profile, Vault};
use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// How long secrets read from the keychain are used without asking it again.
pub const KEPT_FOR: Duration = Duration::from_secs(30);

#[derive(Default)]
pub(super) struct RecentSecrets {
    entries: Mutex<Kept>,
}

/// The secrets kept, and how many times anything was forgotten: a read that began before a
/// change must not keep what it read (it may be the old secret, or half old and half new).
#[derive(Default)]
struct Kept {
    by_profile: HashMap<String, (Instant, Credentials)>,
    changes: u64,
}

/// Taken before a keychain read, handed back to [`RecentSecrets::keep`] with what was read.
pub(super) struct ReadStarted(u64);

impl RecentSecrets {
    fn lock(&self) -> MutexGuard<'_, Kept> {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(super) fn read_started(&self) -> ReadStarted {
        ReadStarted(self.lock().changes)
    }

    /// The profile's secrets, if they were read less than [`KEPT_FOR`] ago.
    pub(super) fn get(&self, profile: &str) -> Option<Credentials> {
        let mut kept = self.lock();
        match kept.by_profile.get(profile) {
            Some((read, credentials)) if read.elapsed() < KEPT_FOR => Some(credentials.clone()),
            Some(_) => {
                kept.by_profile.remove(profile);
                None
            }
            None => None,
        }
    }

    /// Keeps what a read found, unless a secret changed since the read began.
    pub(super) fn keep(&self, profile: &str, credentials: &Credentials, started: ReadStarted) {
        let mut kept = self.lock();
        if kept.changes == started.0 {
            kept.by_profile.insert(profile.to_owned(), (Instant::now(), credentials.clone()));
        }
    }

    /// Called before and after every change of a profile's secrets (or the profile itself).
    pub(super) fn forget(&self, profile: &str) {
        let mut kept = self.lock();
        kept.by_profile.remove(profile);
        kept.changes += 1;
    }
}

impl Vault {
    /// A profile and its secrets when both are at hand without waiting: a profile whose server
    /// (if any) has started, with secrets in memory or read from the keychain within
    /// [`KEPT_FOR`]. `None` means ask [`Vault::profile`] and [`Vault::credentials`],
    /// which may block.
    pub fn ready_now(&self, name: &str) -> Option<(Profile, Credentials)> {
        let state = self.lock();
        if let Some(built_in) = state.built_in.iter().find(|b| b.profile.name == name) {
            return built_in
                .starter
                .is_none()
                .then(|| (built_in.profile.clone(), built_in.credentials.clone()));
        }
        let profile = state.config.profiles.iter().find(|p| p.name == name)?.clone();
        drop(state);
        Some((profile, self.recent.get(name)?))
    }
}
