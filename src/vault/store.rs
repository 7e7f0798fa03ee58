//! Choosing the OS keychain. `main` calls [`platform_store`] once and hands the store to
//! [`super::Vault::open`]; nothing installs a global default store, so tests and the demo can
//! use the mock store side by side with a real one.

use super::{SERVICE, VaultError};
use keyring_core::{CredentialStore, Entry};
use std::sync::Arc;

/// Which keychain backs a store, for the settings screen and the start-up log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StoreKind {
    /// The desktop keychain over D-Bus (GNOME Keyring, KWallet, KeePassXC): persistent.
    SecretService,
    /// The Linux kernel keyring: survives log-outs only while the persistent keyring lasts, and
    /// never a reboot.
    KernelKeyring,
    /// The macOS login keychain.
    MacKeychain,
    /// The Windows Credential Manager.
    WindowsCredentialManager,
    /// keyring-core's in-memory mock (tests).
    Mock,
    Other,
}

impl StoreKind {
    /// Identifies the backend of `store`.
    pub fn of(store: &Arc<CredentialStore>) -> StoreKind {
        let any = store.as_any();
        if any.is::<keyring_core::mock::Store>() {
            return StoreKind::Mock;
        }
        #[cfg(target_os = "linux")]
        {
            if any.is::<zbus_secret_service_keyring_store::Store>() {
                return StoreKind::SecretService;
            }
            if any.is::<linux_keyutils_keyring_store::Store>() {
                return StoreKind::KernelKeyring;
            }
        }
        #[cfg(target_os = "macos")]
        {
            if any.is::<apple_native_keyring_store::keychain::Store>() {
                return StoreKind::MacKeychain;
            }
        }
        #[cfg(target_os = "windows")]
        {
            if any.is::<windows_native_keyring_store::Store>() {
                return StoreKind::WindowsCredentialManager;
            }
        }
        StoreKind::Other
    }

    /// What the agent should know about where secrets are kept.
    pub fn describe(self) -> &'static str {
        match self {
            StoreKind::SecretService => "the desktop keychain (Secret Service)",
            StoreKind::KernelKeyring => {
                "the Linux kernel keyring: secrets are lost at reboot and must be entered again; install gnome-keyring to keep them"
            }
            StoreKind::MacKeychain => "the macOS login keychain",
            StoreKind::WindowsCredentialManager => "the Windows Credential Manager",
            StoreKind::Mock => {
                "memory only (no OS keychain works here): secrets would be lost when the app closes"
            }
            StoreKind::Other => "the OS keychain",
        }
    }
}

/// Proves a store works by writing, reading back and deleting a throw-away entry. A keychain can
/// be reachable yet locked or read-only; finding out now beats failing in the middle of a charge.
///
/// # Errors
/// [`VaultError::Keychain`] saying which step failed.
pub fn probe_store(store: &Arc<CredentialStore>) -> Result<(), VaultError> {
    let mut nonce = [0u8; 8];
    getrandom::fill(&mut nonce).map_err(|e| VaultError::Random(e.to_string()))?;
    let user = format!("probe-{}", hex(&nonce));
    let value = format!("probe {user}");
    let entry = Entry::new_in_store(store, SERVICE, &user).map_err(|e| keychain("create a test entry", e))?;
    entry.set_password(&value).map_err(|e| keychain("store a test entry", e))?;
    let back = entry.get_password();
    let deleted = entry.delete_credential();
    match back {
        Ok(v) if v == value => {}
        Ok(_) => {
            return Err(VaultError::KeychainUnusable(
                "the keychain returned a different value than was stored".to_owned(),
            ));
        }
        Err(e) => return Err(keychain("read a test entry back", e)),
    }
    deleted.map_err(|e| keychain("delete a test entry", e))
}

/// Tries at the Secret Service before it is given up. GNOME Keyring's daemon sometimes dies in
/// the middle of a call (a GLib abort), and D-Bus starts a fresh one at the next call; without
/// another try the desk would fall back to the kernel keyring, where the merchant's secrets are
/// not.
#[cfg(target_os = "linux")]
const CONNECT_ATTEMPTS: u32 = 3;
/// The pause between two tries.
#[cfg(target_os = "linux")]
const CONNECT_PAUSE: std::time::Duration = std::time::Duration::from_millis(250);

/// Connects with `connect` and probes the store it gives, up to `attempts` times, `pause`
/// apart, each time on a fresh connection: a restarted daemon knows nothing of the session the
/// last one opened. Given up at once: a keychain that cannot be reached at the first try (so a
/// computer without one starts without delay), unless its daemon went away in the middle of that
/// call; and one that refuses (locked, or its unlock prompt dismissed: another try would only
/// prompt again). Returns the last failure.
#[cfg(any(target_os = "linux", test))]
pub(crate) fn connect_and_probe<C>(
    attempts: u32,
    pause: std::time::Duration,
    mut connect: C,
) -> Result<Arc<CredentialStore>, VaultError>
where
    C: FnMut() -> keyring_core::Result<Arc<CredentialStore>>,
{
    let mut attempt = 1;
    loop {
        let failure = match connect() {
            Err(e) if attempt == 1 && !went_away(&e) => {
                return Err(keychain("connect to the Secret Service", e));
            }
            Err(e) => keychain("connect to the Secret Service", e),
            Ok(store) => match probe_store(&store) {
                Ok(()) => return Ok(store),
                Err(e) => e,
            },
        };
        match &failure {
            VaultError::Keychain { action, source: source @ keyring_core::Error::PlatformFailure(_) }
                if attempt < attempts =>
            {
                log::warn!(
                    "the desktop keychain stopped answering as it was asked to {action} ({source}); connecting to it again"
                );
            }
            _ => return Err(failure),
        }
        attempt += 1;
        std::thread::sleep(pause);
    }
}

/// A D-Bus call whose service was there and went away before it answered (its daemon died).
#[cfg(any(target_os = "linux", test))]
fn went_away(e: &keyring_core::Error) -> bool {
    matches!(e, keyring_core::Error::PlatformFailure(inner) if inner.to_string().contains("org.freedesktop.DBus.Error.NoReply"))
}

fn keychain(action: &'static str, source: keyring_core::Error) -> VaultError {
    VaultError::Keychain { action, source }
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// The keychain for this computer: on Linux the Secret Service (the desktop keychain) if it
/// answers and works, else the kernel keyring. Each candidate is probed before it is trusted.
/// Use [`StoreKind::of`] to tell the agent which one was chosen.
///
/// Blocks (D-Bus round trips): call it at start-up, off the UI thread, outside async tasks.
///
/// # Errors
/// [`VaultError::KeychainUnusable`] naming why each candidate failed and what to install.
#[cfg(target_os = "linux")]
pub fn platform_store() -> Result<Arc<CredentialStore>, VaultError> {
    let secret_service = connect_and_probe(CONNECT_ATTEMPTS, CONNECT_PAUSE, || {
        zbus_secret_service_keyring_store::Store::new().map(|s| -> Arc<CredentialStore> { s })
    });
    let secret_service_error = match secret_service {
        Ok(store) => return Ok(store),
        Err(e) => e,
    };
    log::info!("Secret Service keychain unusable ({secret_service_error}); trying the kernel keyring");
    let kernel = linux_keyutils_keyring_store::Store::new()
        .map(|s| -> Arc<CredentialStore> { s })
        .map_err(|e| keychain("open the kernel keyring", e))
        .and_then(|s| probe_store(&s).map(|()| s));
    match kernel {
        Ok(store) => {
            log::warn!("{}", StoreKind::KernelKeyring.describe());
            Ok(store)
        }
        Err(kernel_error) => Err(VaultError::KeychainUnusable(format!(
            "no usable keychain. Secret Service: {secret_service_error}. Kernel keyring: {kernel_error}. \
             Install and unlock a desktop keychain (sudo apt install gnome-keyring, then log in to the desktop), \
             or on a server install keyutils and run moto-terminal inside `keyctl session`; \
             for automation set APS_ACCESS_CODE, APS_REQUEST_PHRASE and APS_RESPONSE_PHRASE instead"
        ))),
    }
}

/// The keychain for this computer on macOS: the user's login keychain, probed before it is
/// trusted. Not built or run on macOS by us yet (see the README).
///
/// # Errors
/// [`VaultError::KeychainUnusable`] saying why and what to do instead.
#[cfg(target_os = "macos")]
pub fn platform_store() -> Result<Arc<CredentialStore>, VaultError> {
    let store: Arc<CredentialStore> = apple_native_keyring_store::keychain::Store::new()
        .map_err(|e| keychain("open the macOS login keychain", e))?;
    match probe_store(&store) {
        Ok(()) => Ok(store),
        Err(e) => Err(VaultError::KeychainUnusable(format!(
            "the macOS login keychain does not work ({e}). Unlock it in Keychain Access, \
             or for automation set APS_ACCESS_CODE, APS_REQUEST_PHRASE and APS_RESPONSE_PHRASE instead"
        ))),
    }
}

/// The keychain for this computer on Windows: the user's Credential Manager, probed before it is
/// trusted. Not built or run on Windows by us yet (see the README).
///
/// # Errors
/// [`VaultError::KeychainUnusable`] saying why and what to do instead.
#[cfg(target_os = "windows")]
pub fn platform_store() -> Result<Arc<CredentialStore>, VaultError> {
    let store: Arc<CredentialStore> = windows_native_keyring_store::Store::new()
        .map_err(|e| keychain("open the Windows Credential Manager", e))?;
    match probe_store(&store) {
        Ok(()) => Ok(store),
        Err(e) => Err(VaultError::KeychainUnusable(format!(
            "the Windows Credential Manager does not work ({e}); \
             for automation set APS_ACCESS_CODE, APS_REQUEST_PHRASE and APS_RESPONSE_PHRASE instead"
        ))),
    }
}

/// Any other system: this build has no keychain backend for it.
///
/// # Errors
/// Always [`VaultError::KeychainUnusable`].
#[cfg(not(any(target_os = "linux", target_os = "macos", target_os = "windows")))]
pub fn platform_store() -> Result<Arc<CredentialStore>, VaultError> {
    Err(VaultError::KeychainUnusable(
        "this build of moto-terminal has no keychain backend for this operating system; \
         set APS_ACCESS_CODE, APS_REQUEST_PHRASE and APS_RESPONSE_PHRASE to supply the secrets"
            .to_owned(),
    ))
}
