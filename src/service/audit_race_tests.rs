//! Two processes of one computer (one keychain), one starting or renewing a journal's audit
//! key while the other loads it: whatever the order in which the loader reads the journal's
//! record, the keychain and the head, it takes the new key, never a refusal.

use super::*;
use keyring_core::api::{Credential, CredentialApi, CredentialStore, CredentialStoreApi};
use keyring_core::{Entry, Result as KeyringResult};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, mpsc};

/// Where the gated read of the keychain pauses.
#[derive(Clone, Copy, Debug)]
enum Pause {
    BeforeRead,
    AfterRead,
}

/// The test's hold on the first read once armed: `paused` says it waits, `go` lets it on.
#[derive(Debug)]
struct Gate {
    pause: Pause,
    armed: AtomicBool,
    paused: Mutex<mpsc::Sender<()>>,
    go: Mutex<mpsc::Receiver<()>>,
}

impl Gate {
    fn read(&self, read: impl FnOnce() -> KeyringResult<Vec<u8>>) -> KeyringResult<Vec<u8>> {
        if !self.armed.swap(false, Ordering::SeqCst) {
            return read();
        }
        let hold = || {
            self.paused.lock().unwrap().send(()).unwrap();
            // A test that fails before letting the read on fails rather than hangs.
            let go = self.go.lock().unwrap().recv_timeout(std::time::Duration::from_secs(10));
            go.expect("the test lets the read on");
        };
        match self.pause {
            Pause::BeforeRead => {
                hold();
                read()
            }
            Pause::AfterRead => {
                let answer = read();
                hold();
                answer
            }
        }
    }
}

/// The one keychain of this computer, seen through `gate` by one of its processes.
#[derive(Debug)]
struct GatedStore {
    inner: Arc<CredentialStore>,
    gate: Arc<Gate>,
}

#[derive(Debug)]
struct GatedEntry {
    inner: Entry,
    gate: Arc<Gate>,
}

impl CredentialStoreApi for GatedStore {
    fn vendor(&self) -> String {
        "gated".into()
    }
    fn id(&self) -> String {
        "gated".into()
    }
    fn build(&self, service: &str, user: &str, mods: Option<&HashMap<&str, &str>>) -> KeyringResult<Entry> {
        let inner = self.inner.build(service, user, mods)?;
        let gated: Arc<Credential> = Arc::new(GatedEntry { inner, gate: self.gate.clone() });
        Ok(Entry::new_with_credential(gated))
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

impl CredentialApi for GatedEntry {
    fn set_secret(&self, secret: &[u8]) -> KeyringResult<()> {
        self.inner.set_secret(secret)
    }
    fn get_secret(&self) -> KeyringResult<Vec<u8>> {
        self.gate.read(|| self.inner.get_secret())
    }
    fn delete_credential(&self) -> KeyringResult<()> {
        self.inner.delete_credential()
    }
    fn get_credential(&self) -> KeyringResult<Option<Arc<Credential>>> {
        Ok(None)
    }
    fn get_specifiers(&self) -> Option<(String, String)> {
        self.inner.get_specifiers()
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

/// A new journal file; the process that wins the race (plain keychain), and the one that loses
/// it (the same keychain, its next read of it held at `pause` once armed).
struct Race {
    _dir: tempfile::TempDir,
    journal: Journal,
    winner: Vault,
    loser: Vault,
    gate: Arc<Gate>,
    paused: mpsc::Receiver<()>,
    go: mpsc::Sender<()>,
}

fn race(pause: Pause) -> Race {
    let dir = tempfile::tempdir().unwrap();
    let keychain: Arc<CredentialStore> = keyring_core::mock::Store::new().unwrap();
    let ((paused_tx, paused), (go, go_rx)) = (mpsc::channel(), mpsc::channel());
    let gate = Arc::new(Gate {
        pause,
        armed: AtomicBool::new(false),
        paused: Mutex::new(paused_tx),
        go: Mutex::new(go_rx),
    });
    let gated: Arc<CredentialStore> = Arc::new(GatedStore { inner: keychain.clone(), gate: gate.clone() });
    let winner = Vault::open(dir.path(), keychain).unwrap();
    let loser = Vault::open(dir.path(), gated).unwrap();
    let journal = Journal::open(&dir.path().join("journal.sqlite3")).unwrap();
    Race { _dir: dir, journal, winner, loser, gate, paused, go }
}

impl Race {
    /// The loser loads the key; `meanwhile` runs while its read of the keychain is held.
    fn lose(&self, meanwhile: impl FnOnce()) -> Result<Chain, String> {
        self.gate.armed.store(true, Ordering::SeqCst);
        std::thread::scope(|s| {
            let (loser, journal) = (&self.loser, &self.journal);
            let loading = s.spawn(move || load_key(loser, journal));
            // A loader that never reaches the keychain fails the test rather than hanging it.
            self.paused
                .recv_timeout(std::time::Duration::from_secs(10))
                .expect("the loader reads the keychain");
            meanwhile();
            self.go.send(()).unwrap();
            loading.join().unwrap()
        })
    }
}

#[test]
fn a_key_stored_after_its_record_was_read_is_the_winners_not_a_removed_record() {
    let race = race(Pause::BeforeRead);
    let mut won = None;
    // The loser has read no record; the winner writes it, stores its key and starts the head
    // before the loser reads the keychain.
    let lost = race.lose(|| won = Some(load_key(&race.winner, &race.journal).unwrap()));
    let (won, lost) = (won.unwrap(), lost.expect("the winner's key"));
    assert_eq!(lost.check(), won.check());
}

#[test]
fn an_entry_sealed_after_the_keychain_was_read_is_the_winners_not_a_key_made_elsewhere() {
    let race = race(Pause::AfterRead);
    let id = journal_id(&race.journal).unwrap();
    // The winner has started the trail (its record and head); the loser reads the record, then
    // finds no key: the winner stores its key and seals an entry before the loser reads the
    // head, which then names an entry (so no wait for a key on its way).
    race.journal.start_audit(chain()).unwrap();
    let lost = race.lose(|| {
        race.winner.set_audit_key(&id, &chain().key).unwrap();
        race.journal.append_audit(super::tests::entry(0, "sale"), chain()).unwrap();
    });
    assert_eq!(lost.expect("the winner's key").check(), chain().check());
}

#[test]
fn a_key_renewed_after_the_record_was_read_is_taken_with_its_new_record() {
    let race = race(Pause::AfterRead);
    // A trail sealed with a key this computer's keychain does not hold (it was reset).
    let elsewhere = tempfile::tempdir().unwrap();
    let lost = Vault::open(elsewhere.path(), keyring_core::mock::Store::new().unwrap()).unwrap();
    let sealing = load_key(&lost, &race.journal).unwrap();
    for _ in 0..3 {
        race.journal.append_audit(super::tests::entry(0, "sale"), sealing.clone()).unwrap();
    }
    // The loser reads the old record and finds no key; an admin's process on this computer
    // renews the key (its record, its entry, then its key) before the loser reads the head.
    let mut renewed = None;
    let loaded = race.lose(|| {
        renewed = Some(renew_key(&race.winner, &race.journal, super::tests::entry(0, "x")).unwrap().1);
    });
    let loaded = loaded.expect("the renewed key, with the record read again");
    assert_eq!(loaded.check(), renewed.unwrap().check());
}

fn chain() -> Chain {
    Chain::new(Secret::from("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"))
}
