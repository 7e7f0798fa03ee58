//! Proving a keychain works before it is trusted, and connecting again to one whose service
//! failed.

use super::*;
use std::cell::Cell;
use std::time::Duration;

/// A connection whose entries cannot be made: `error` says why (it names the connection).
#[derive(Debug)]
struct Failing {
    error: fn(String) -> keyring_core::Error,
    connection: u32,
}

impl keyring_core::api::CredentialStoreApi for Failing {
    fn vendor(&self) -> String {
        "failing".into()
    }
    fn id(&self) -> String {
        "failing".into()
    }
    fn build(&self, _: &str, _: &str, _: Option<&HashMap<&str, &str>>) -> keyring_core::Result<Entry> {
        Err((self.error)(format!("connection {}", self.connection)))
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

fn daemon_died(why: String) -> keyring_core::Error {
    keyring_core::Error::PlatformFailure(format!("org.freedesktop.DBus.Error.NoReply: {why}").into())
}

fn locked(why: String) -> keyring_core::Error {
    keyring_core::Error::NoStorageAccess(why.into())
}

/// What one connection to the keychain does.
#[derive(Clone, Copy)]
enum Try {
    /// Nobody provides the service.
    Unknown,
    /// The daemon dies before it answers the connection.
    WentAway,
    /// Connects; its probe fails so.
    ProbeFails(fn(String) -> keyring_core::Error),
    Works,
}

/// Connects to a keychain that does what `plan` says, in turn; counts the connections.
fn run(plan: &[Try]) -> (Result<Arc<CredentialStore>, VaultError>, u32) {
    let connections = Cell::new(0u32);
    let result = store::connect_and_probe(3, Duration::from_millis(1), || {
        let connection = connections.get() + 1;
        connections.set(connection);
        let why = format!("connection {connection}");
        match plan[connection as usize - 1] {
            Try::Unknown => Err(keyring_core::Error::PlatformFailure(
                format!("org.freedesktop.DBus.Error.ServiceUnknown: {why}").into(),
            )),
            Try::WentAway => Err(daemon_died(why)),
            Try::ProbeFails(error) => Ok(Arc::new(Failing { error, connection }) as Arc<CredentialStore>),
            Try::Works => Ok(mock_store()),
        }
    });
    (result, connections.get())
}

#[test]
fn a_keychain_whose_daemon_dies_is_connected_again_up_to_three_times() {
    let (result, connections) = run(&[Try::WentAway, Try::ProbeFails(daemon_died), Try::Works]);
    result.expect("the third connection works");
    assert_eq!(connections, 3, "a fresh connection each time");

    let (result, connections) = run(&[Try::ProbeFails(daemon_died); 3]);
    let err = result.unwrap_err().to_string();
    assert_eq!(connections, 3);
    assert!(err.contains("connection 3"), "the last failure is told: {err}");
}

#[test]
fn no_keychain_or_a_locked_one_is_given_up_at_once() {
    let (result, connections) = run(&[Try::Unknown, Try::Works, Try::Works]);
    assert!(result.is_err(), "nothing answers: the kernel keyring is next, without delay");
    assert_eq!(connections, 1);

    let (result, connections) = run(&[Try::ProbeFails(locked), Try::Works, Try::Works]);
    let err = result.unwrap_err().to_string();
    assert_eq!(connections, 1, "another try would only prompt again: {err}");
}

#[test]
fn a_store_that_fails_the_probe_is_reported() {
    let store: Arc<CredentialStore> = Arc::new(Failing { error: locked, connection: 1 });
    let err = probe_store(&store).unwrap_err();
    assert!(matches!(err, VaultError::Keychain { .. }), "{err}");
    assert_eq!(StoreKind::of(&store), StoreKind::Other);
}
