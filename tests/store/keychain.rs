//! The vault against the real OS keychain. Needs `MOTO_REAL_KEYCHAIN=1` (it fails, saying so,
//! without it: a missing keychain must not pass as a skipped test), which
//! `scripts/keychain-test-env` sets after starting a throw-away D-Bus session, an unlocked GNOME
//! Keyring and a kernel session keyring:
//!
//! ```text
//! scripts/keychain-test-env cargo test --test tests store::keychain
//! ```

use moto_terminal::aps::money::Currency;
use moto_terminal::aps::secret::Secret;
use moto_terminal::vault::{
    CONFIG_FILE, Credentials, Environment, Profile, SERVICE, SecretKind, StoreKind, Vault, VaultError,
    platform_store,
};
use std::process::Command;

/// Set in the child process that checks the kernel keyring fallback.
const CHILD: &str = "MOTO_KEYCHAIN_FALLBACK_CHILD";

fn require_real_keychain() {
    assert!(
        std::env::var("MOTO_REAL_KEYCHAIN").is_ok_and(|v| v == "1"),
        "this test needs the real keychain: run it with scripts/test, or scripts/keychain-test-env cargo test"
    );
}

/// A profile name no other run can have left behind.
fn unique_name(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    format!("{prefix} {} {nanos}", std::process::id())
}

fn credentials() -> Credentials {
    Credentials {
        access_code: "SILgpo7pWbmzuURp2qri".into(),
        request_phrase: "$2y$10$Req.Phrase/42".into(),
        response_phrase: "$2y$10$Resp.Phrase/43".into(),
    }
}

/// Adds a profile with secrets through one vault, reads them through a second vault on a fresh
/// store (a new connection, as the next run would), then removes it and checks the secrets went.
fn round_trip(expected: StoreKind) {
    let store = platform_store().unwrap();
    assert_eq!(StoreKind::of(&store), expected, "{}", StoreKind::of(&store).describe());
    let dir = tempfile::tempdir().unwrap();
    let name = unique_name("keychain test");
    let writer = Vault::open(dir.path(), store).unwrap();
    writer
        .add_profile(Profile::new(&name, Environment::Sandbox, "MxvOupuG", Currency::parse("AED").unwrap()))
        .unwrap();
    writer.set_credentials(&name, &credentials()).unwrap();
    let key = writer.installation_key().unwrap();

    let reader = Vault::open(dir.path(), platform_store().unwrap()).unwrap();
    assert_eq!(reader.store_kind(), expected);
    assert_eq!(reader.credentials(&name).unwrap(), credentials());
    assert!(reader.secret_status(&name).unwrap().is_complete());
    assert_eq!(reader.installation_key().unwrap(), key, "the installation key persists");
    reader.set_secret(&name, SecretKind::ResponsePhrase, &Secret::from("rotated-phrase")).unwrap();
    assert_eq!(writer.credentials(&name).unwrap().response_phrase.expose(), "rotated-phrase");

    let config = std::fs::read_to_string(dir.path().join(CONFIG_FILE)).unwrap();
    assert!(config.contains(&name));
    for secret in ["SILgpo7pWbmzuURp2qri", "Req.Phrase", "rotated-phrase", key.expose()] {
        assert!(!config.contains(secret), "config.json holds a secret");
    }

    writer.remove_profile(&name).unwrap();
    let store = platform_store().unwrap();
    for kind in SecretKind::ALL {
        let entry =
            keyring_core::Entry::new_in_store(&store, SERVICE, &format!("{name}/{}", kind.key())).unwrap();
        assert!(
            matches!(entry.get_password(), Err(keyring_core::Error::NoEntry)),
            "{kind} was left in the keychain"
        );
    }
    let gone = Vault::open(dir.path(), store).unwrap();
    assert!(matches!(gone.credentials(&name), Err(VaultError::ProfileNotFound(_))));
}

#[test]
fn secret_service_is_chosen_and_round_trips_secrets() {
    if std::env::var(CHILD).is_ok() {
        return;
    }
    require_real_keychain();
    round_trip(StoreKind::SecretService);
}

#[test]
fn kernel_keyring_is_the_fallback_without_a_secret_service() {
    if std::env::var(CHILD).is_ok() {
        return;
    }
    require_real_keychain();
    // The fallback is decided once per process from the D-Bus address, so it is checked in a
    // child run of this test binary whose session bus address leads nowhere.
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "store::keychain::fallback_child", "--nocapture", "--test-threads=1"])
        .env(CHILD, "1")
        .env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/moto-terminal-test-bus")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "child failed:\n{stdout}\n{stderr}");
    assert!(stdout.contains("fallback child: kernel keyring round trip passed"), "{stdout}");
}

/// Runs only as the child of the test above.
#[test]
fn fallback_child() {
    if std::env::var(CHILD).is_err() {
        return;
    }
    round_trip(StoreKind::KernelKeyring);
    println!("fallback child: kernel keyring round trip passed");
}
