//! Proving a keychain works before it is trusted, and trying a keychain that answered again.

use super::*;
use std::sync::atomic::{AtomicU32, Ordering};

/// A store whose first `failures` entries cannot be made; the rest are the mock store's.
#[derive(Debug)]
struct Flaky {
    failures: AtomicU32,
    inner: Arc<CredentialStore>,
}

impl keyring_core::api::CredentialStoreApi for Flaky {
    fn vendor(&self) -> String {
        "flaky".into()
    }
    fn id(&self) -> String {
        "flaky".into()
    }
    fn build(
        &self,
        service: &str,
        user: &str,
        mods: Option<&HashMap<&str, &str>>,
    ) -> keyring_core::Result<Entry> {
        let left = self.failures.load(Ordering::SeqCst);
        if left > 0 {
            self.failures.store(left - 1, Ordering::SeqCst);
            return Err(keyring_core::Error::NoStorageAccess("the daemon went away".into()));
        }
        self.inner.build(service, user, mods)
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

fn flaky(failures: u32) -> Arc<CredentialStore> {
    Arc::new(Flaky { failures: AtomicU32::new(failures), inner: mock_store() })
}

#[test]
fn a_keychain_that_fails_a_probe_or_two_is_tried_again_before_it_is_given_up() {
    let pause = std::time::Duration::from_millis(1);
    store::probe_with_retries(&flaky(2), 3, pause).expect("the third probe works");
    let err = store::probe_with_retries(&flaky(3), 3, pause).unwrap_err();
    assert!(matches!(err, VaultError::Keychain { .. }), "{err}");
    assert!(probe_store(&flaky(1)).is_err(), "one probe alone gives up at once");
}

#[test]
fn a_store_that_fails_the_probe_is_reported() {
    // The mock store hands out the same credential for the same name, so an error can be
    // planted on every entry the probe might create by failing the store itself.
    #[derive(Debug)]
    struct Broken;
    impl keyring_core::api::CredentialStoreApi for Broken {
        fn vendor(&self) -> String {
            "broken".into()
        }
        fn id(&self) -> String {
            "broken".into()
        }
        fn build(&self, _: &str, _: &str, _: Option<&HashMap<&str, &str>>) -> keyring_core::Result<Entry> {
            Err(keyring_core::Error::NoStorageAccess("locked".into()))
        }
        fn as_any(&self) -> &dyn std::any::Any {
            self
        }
    }
    let store: Arc<CredentialStore> = Arc::new(Broken);
    let err = probe_store(&store).unwrap_err();
    assert!(matches!(err, VaultError::Keychain { .. }), "{err}");
    assert_eq!(StoreKind::of(&store), StoreKind::Other);
}
