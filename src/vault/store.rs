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

/// Probes of a keychain that answered before it is given up: GNOME Keyring's daemon sometimes
/// dies in the middle of a call (a GLib abort), and D-Bus starts a fresh one at the next call.
/// Without a second try the desk would fall back to the kernel keyring, where the merchant's
/// secrets are not. A keychain that does not answer at all is not retried (no start-up delay on
/// a computer without one).
const PROBE_ATTEMPTS: u32 = 3;
/// The pause between two probes.
const PROBE_PAUSE: std::time::Duration = std::time::Duration::from_millis(250);

/// [`probe_store`] up to `attempts` times, `pause` apart; the last failure if none works.
pub(crate) fn probe_with_retries(
    store: &Arc<CredentialStore>,
    attempts: u32,
    pause: std::time::Duration,
) -> Result<(), VaultError> {
    let mut attempt = 1;
    loop {
        match probe_store(store) {
            Ok(()) => return Ok(()),
            Err(e) if attempt >= attempts => return Err(e),
            Err(e) => log::info!("keychain probe {attempt} of {attempts} failed ({e}); trying again"),
        }
        attempt += 1;
        std::thread::sleep(pause);
    }
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
    let secret_service = zbus_secret_service_keyring_store::Store::new()
        .map(|s| -> Arc<CredentialStore> { s })
        .map_err(|e| keychain("connect to the Secret Service", e))
        .and_then(|s| probe_with_retries(&s, PROBE_ATTEMPTS, PROBE_PAUSE).map(|()| s));
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
