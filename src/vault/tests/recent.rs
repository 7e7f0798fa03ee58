//! Secrets kept a short while after a keychain read.

use super::*;

#[test]
fn secrets_read_from_the_keychain_are_kept_a_while_and_a_change_here_applies_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let store = mock_store();
    let v = Vault::open(dir.path(), store.clone()).unwrap();
    v.add_profile(sandbox("Main")).unwrap();
    v.set_credentials("Main", &creds()).unwrap();
    assert!(v.ready_now("Main").is_none(), "nothing read yet: the keychain must be asked");
    assert_eq!(v.credentials("Main").unwrap(), creds());
    // Another program changes the keychain: a run of charges does not ask it again each time.
    let entry = Entry::new_in_store(&store, SERVICE, "Main/request-phrase").unwrap();
    entry.set_password("changed-elsewhere").unwrap();
    assert_eq!(v.credentials("Main").unwrap(), creds(), "kept, not read again");
    let (profile, at_hand) = v.ready_now("Main").unwrap();
    assert_eq!((profile.name.as_str(), at_hand), ("Main", creds()));
    // A change made through this vault is used at once.
    v.set_secret("Main", SecretKind::RequestPhrase, &Secret::from("new-phrase")).unwrap();
    assert!(v.ready_now("Main").is_none());
    assert_eq!(v.credentials("Main").unwrap().request_phrase.expose(), "new-phrase");
    v.remove_profile("Main").unwrap();
    assert!(v.ready_now("Main").is_none());
    assert!(matches!(v.credentials("Main"), Err(VaultError::ProfileNotFound(_))));
}

#[test]
fn a_read_that_began_before_a_change_keeps_nothing() {
    let recent = crate::vault::recent::RecentSecrets::default();
    // A read starts, the secret is changed meanwhile, the read ends with the old value.
    let started = recent.read_started();
    recent.forget("Main");
    recent.keep("Main", &creds(), started);
    assert!(recent.get("Main").is_none(), "the old secret is not kept");
    let started = recent.read_started();
    recent.keep("Main", &creds(), started);
    assert_eq!(recent.get("Main"), Some(creds()), "a read after the change is");
}
