use super::*;
use chrono::TimeZone;

fn chain() -> Chain {
    Chain::new(Secret::from("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"))
}

pub(super) fn entry(seq: i64, action: &str) -> AuditEntry {
    AuditEntry {
        seq,
        at: chrono::Utc.with_ymd_and_hms(2026, 12, 6, 9, 0, seq as u32).unwrap(),
        operator: "amal".into(),
        terminal: "desk-3".into(),
        action: action.into(),
        profile: Some("Demo".into()),
        reference: Some(format!("ORD-{seq}")),
        amount_minor: Some(1_000 * seq),
        currency: Some("SAR".into()),
        result: "approved".into(),
        detail: String::new(),
        mac: String::new(),
    }
}

/// Seals entries as `Journal::append_audit` does, and the head after the last.
fn sealed(actions: &[&str]) -> (Vec<AuditEntry>, Option<AuditHead>) {
    let c = chain();
    let mut previous = String::new();
    let mut out = Vec::new();
    for (i, a) in actions.iter().enumerate() {
        let mut e = entry(i as i64 + 1, a);
        e.mac = c.entry(&e, &previous);
        previous.clone_from(&e.mac);
        out.push(e);
    }
    let head = out.last().map(|e| AuditHead { seq: e.seq, mac: e.mac.clone(), seal: c.head(e.seq, &e.mac) });
    (out, head)
}

#[test]
fn an_untouched_chain_verifies_and_an_empty_one_too() {
    let (entries, head) = sealed(&["sign-in", "sale", "refund", "sign-out"]);
    assert_eq!(verify(&entries, head.as_ref(), &chain(), true), Ok(Intact { entries: 4, unverified: 0 }));
    let empty = AuditHead { seq: 0, mac: String::new(), seal: chain().head(0, "") };
    assert_eq!(verify(&[], Some(&empty), &chain(), true), Ok(Intact { entries: 0, unverified: 0 }));
    assert_eq!(
        verify(&[], None, &chain(), false),
        Ok(Intact { entries: 0, unverified: 0 }),
        "no key yet: nothing to verify"
    );
    assert!(verify(&[], None, &chain(), true).unwrap_err().why.contains("head is missing"), "all removed");
}

#[test]
fn an_edited_entry_is_named() {
    let (mut entries, head) = sealed(&["sign-in", "sale", "refund", "sign-out"]);
    entries[2].amount_minor = Some(1);
    let broken = verify(&entries, head.as_ref(), &chain(), true).unwrap_err();
    assert_eq!(broken.seq, 3, "{broken:?}");
    assert!(broken.why.contains("does not verify"), "{}", broken.why);
}

#[test]
fn a_deleted_entry_is_named() {
    let (mut entries, head) = sealed(&["sign-in", "sale", "refund", "sign-out"]);
    entries.remove(1);
    let broken = verify(&entries, head.as_ref(), &chain(), true).unwrap_err();
    assert_eq!(broken.seq, 2, "{broken:?}");
    assert!(broken.why.contains("missing"), "{}", broken.why);
}

#[test]
fn entries_removed_from_the_end_are_named_by_the_head() {
    let (mut entries, head) = sealed(&["sign-in", "sale", "refund", "sign-out"]);
    entries.truncate(2);
    let broken = verify(&entries, head.as_ref(), &chain(), true).unwrap_err();
    assert_eq!(broken.seq, 3, "{broken:?}");
    assert_eq!(broken.why, "entries 3 to 4 are missing: they were removed from the end");
    entries.push(sealed(&["sign-in", "sale", "refund"]).0.remove(2));
    let one = verify(&entries, head.as_ref(), &chain(), true).unwrap_err();
    assert_eq!(one.why, "entry 4 is missing: it was removed from the end", "one entry is named alone");
    let broken = verify(&entries, None, &chain(), true).unwrap_err();
    assert!(broken.why.contains("head is missing"), "{}", broken.why);
}

#[test]
fn swapped_entries_are_named_even_with_their_numbers_kept() {
    let (mut entries, head) = sealed(&["sign-in", "sale", "refund", "sign-out"]);
    // Contents moved, numbers left in order (what an UPDATE of every column but seq does).
    let (a, b) = (entries[1].clone(), entries[2].clone());
    entries[1] = AuditEntry { seq: 2, ..b };
    entries[2] = AuditEntry { seq: 3, ..a };
    assert_eq!(verify(&entries, head.as_ref(), &chain(), true).unwrap_err().seq, 2);
}

#[test]
fn a_forged_head_or_another_key_does_not_verify() {
    let (entries, head) = sealed(&["sign-in", "sale"]);
    let mut forged = head.clone().unwrap();
    forged.seq = 1;
    forged.mac.clone_from(&entries[0].mac);
    assert!(
        verify(&entries[..1], Some(&forged), &chain(), true)
            .unwrap_err()
            .why
            .contains("head does not verify")
    );
    let other = Chain::new(Secret::from("another key"));
    assert_eq!(verify(&entries, head.as_ref(), &other, true).unwrap_err().seq, 1);
}

#[test]
fn the_sealed_text_cannot_be_shifted_between_fields() {
    let mut a = entry(1, "sale");
    let mut b = entry(1, "sale");
    (a.operator, a.terminal) = ("amal".into(), "desk-3".into());
    (b.operator, b.terminal) = ("amal|".into(), "desk-3".into());
    assert_ne!(canonical(&a, ""), canonical(&b, ""));
    (b.operator, b.terminal) = ("ama".into(), "ldesk-3".into());
    assert_ne!(chain().entry(&a, ""), chain().entry(&b, ""));
}

#[test]
fn a_trail_another_process_started_a_moment_ago_waits_for_its_key() {
    let dir = tempfile::tempdir().unwrap();
    let vault =
        std::sync::Arc::new(Vault::open(dir.path(), keyring_core::mock::Store::new().unwrap()).unwrap());
    let journal = Journal::open_in_memory().unwrap();
    let id = journal_id(&journal).unwrap();
    // The other process won the race to start the trail: its record and head are in the
    // journal, and its key reaches this computer's keychain a moment later.
    journal.start_audit(chain()).unwrap();
    let storing = {
        let (vault, id) = (std::sync::Arc::clone(&vault), id.clone());
        std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(300));
            vault.set_audit_key(&id, &chain().key).unwrap();
        })
    };
    let loaded = load_key(&vault, &journal).expect("the winner's key, once it is stored");
    assert_eq!(loaded.check(), chain().check());
    storing.join().unwrap();
}

/// Entries sealed with `old`, then a renewal sealed with `new` over the last one's seal, then
/// `after` more entries and the head, sealed with `new` (as `renew_key` and later appends do).
fn renewed(before: usize, after: usize, new: &Chain) -> (Vec<AuditEntry>, Option<AuditHead>) {
    let actions: Vec<&str> = vec!["sale"; before];
    let (mut entries, _) = sealed(&actions);
    let mut previous = entries.last().map(|e| e.mac.clone()).unwrap_or_default();
    for i in 0..=after {
        let seq = entries.len() as i64 + 1;
        let mut e = entry(seq, if i == 0 { RENEWED } else { "sale" });
        e.mac = new.entry(&e, &previous);
        previous.clone_from(&e.mac);
        entries.push(e);
    }
    let last = entries.last().unwrap();
    let head = AuditHead { seq: last.seq, mac: last.mac.clone(), seal: new.head(last.seq, &last.mac) };
    (entries, Some(head))
}

#[test]
fn a_renewed_key_verifies_the_chain_from_the_renewal_and_counts_the_rest() {
    let new = Chain::new(Secret::from("a new key"));
    let (entries, head) = renewed(3, 2, &new);
    assert_eq!(verify(&entries, head.as_ref(), &new, true), Ok(Intact { entries: 6, unverified: 3 }));
    // The junction is sealed: the renewal names the last entry's seal as it was.
    let mut moved = entries.clone();
    moved[2].mac = "00".repeat(32);
    assert_eq!(verify(&moved, head.as_ref(), &new, true).unwrap_err().seq, 4);
    // After the renewal, changes show as before.
    let mut edited = entries.clone();
    edited[5].amount_minor = Some(1);
    assert_eq!(verify(&edited, head.as_ref(), &new, true).unwrap_err().seq, 6);
    // Before it, entries are still counted: one removed is named.
    let mut removed = entries.clone();
    removed.remove(1);
    assert_eq!(verify(&removed, head.as_ref(), &new, true).unwrap_err().seq, 2);
    // The lost key does not verify the new part.
    assert_eq!(verify(&entries, head.as_ref(), &chain(), true).unwrap_err().seq, 4);
}

#[test]
fn a_renewal_cannot_be_forged_without_the_new_key() {
    let (mut entries, _) = sealed(&["sale", "sale", "sale"]);
    // Someone with the database but no key turns an entry into a renewal, or appends one.
    entries[2].action = RENEWED.to_owned();
    let key = Chain::new(Secret::from("their own key"));
    let head = AuditHead { seq: 3, mac: entries[2].mac.clone(), seal: key.head(3, &entries[2].mac) };
    assert_eq!(verify(&entries, Some(&head), &chain(), true).unwrap_err().seq, 3);
    let new = Chain::new(Secret::from("a new key"));
    let (entries, head) = renewed(2, 1, &new);
    assert_eq!(verify(&entries, head.as_ref(), &key, true).unwrap_err().seq, 3);
}

#[test]
fn a_desk_journal_whose_keychain_lost_its_key_renews_it_once() {
    let dir = tempfile::tempdir().unwrap();
    let open = |name: &str| {
        let store = keyring_core::mock::Store::new().unwrap();
        Vault::open(&dir.path().join(name), store).unwrap()
    };
    let (first, second) = (open("a"), open("b"));
    let journal = Journal::open_in_memory().unwrap();
    let sealing = load_key(&first, &journal).unwrap();
    for _ in 0..3 {
        journal.append_audit(entry(0, "sale"), sealing.clone()).unwrap();
    }
    // The keychain was reset: the key is gone, and the way out is named.
    let lost = load_key(&second, &journal).err().unwrap();
    assert!(lost.contains("audit key renew"), "{lost}");
    let (stored, chain) = renew_key(&second, &journal, entry(0, "whatever")).unwrap();
    assert_eq!((stored.seq, stored.action.as_str()), (4, RENEWED));
    journal.append_audit(entry(0, "sale"), chain).unwrap();
    let loaded = load_key(&second, &journal).expect("the new key is the journal's now");
    let (entries, head) = (journal.audit_entries(None, None).unwrap(), journal.audit_head().unwrap());
    assert_eq!(verify(&entries, head.as_ref(), &loaded, true), Ok(Intact { entries: 5, unverified: 3 }));
    let again = renew_key(&second, &journal, entry(0, "x")).err().unwrap();
    assert!(again.contains("nothing to renew"), "{again}");
    // The desk that kept the old key is told its key is not the journal's any more.
    assert!(load_key(&first, &journal).is_err());
}

/// A desk journal file with three audited sales, sealed with a key this keychain (`first`)
/// holds; and a second keychain without it, as after a reset.
fn desk_with_trail(dir: &std::path::Path) -> (Journal, Vault, Vault) {
    let open = |name: &str| Vault::open(&dir.join(name), keyring_core::mock::Store::new().unwrap()).unwrap();
    let (first, second) = (open("a"), open("b"));
    let journal = Journal::open(&dir.join("journal.sqlite3")).unwrap();
    let sealing = load_key(&first, &journal).unwrap();
    for _ in 0..3 {
        journal.append_audit(entry(0, "sale"), sealing.clone()).unwrap();
    }
    (journal, first, second)
}

/// Plain SQL on the journal file, the append-only guard taken off first.
fn tamper(dir: &std::path::Path, sql: &str) {
    let conn = rusqlite::Connection::open(dir.join("journal.sqlite3")).unwrap();
    conn.execute_batch("DROP TRIGGER IF EXISTS audit_no_update; DROP TRIGGER IF EXISTS audit_no_delete;")
        .unwrap();
    conn.execute_batch(sql).unwrap();
}

#[test]
fn a_renewal_never_seals_over_a_trail_changed_where_no_key_is_needed_to_see_it() {
    for sql in ["DELETE FROM audit WHERE seq = 2;", "DELETE FROM audit WHERE seq = 3;"] {
        let dir = tempfile::tempdir().unwrap();
        let (journal, _, second) = desk_with_trail(dir.path());
        tamper(dir.path(), sql);
        let refused = renew_key(&second, &journal, entry(0, "x")).err().unwrap();
        assert!(refused.contains("changed outside moto-terminal"), "{sql}: {refused}");
        assert_eq!(journal.audit_entries(None, None).unwrap().len(), 2, "nothing appended");
    }
}

#[test]
fn a_key_the_journal_does_not_match_is_evidence_and_never_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let (journal, first, _) = desk_with_trail(dir.path());
    let original = journal.meta(AUDIT_KEY_CHECK).unwrap().unwrap();
    // Someone points the journal's record at another key.
    tamper(
        dir.path(),
        &format!("UPDATE meta SET value = '{}' WHERE key = '{AUDIT_KEY_CHECK}';", "ab".repeat(32)),
    );
    let wrong = load_key(&first, &journal).err().unwrap();
    assert!(!wrong.contains("renew"), "no renewal is suggested: {wrong}");
    let refused = renew_key(&first, &journal, entry(0, "x")).err().unwrap();
    assert!(refused.contains("nothing was done"), "{refused}");
    let id = journal_id(&journal).unwrap();
    let kept = first.audit_key(&id).unwrap().expect("the key is kept");
    assert_eq!(Chain::new(kept).check(), original, "the key that sealed the trail");
    // And a record removed altogether (with the trail) is not started afresh.
    tamper(
        dir.path(),
        &format!("DELETE FROM audit; DELETE FROM meta WHERE key IN ('{AUDIT_KEY_CHECK}', 'audit_head');"),
    );
    let gone = load_key(&first, &journal).err().unwrap();
    assert!(gone.contains("record of its audit key is gone"), "{gone}");
}

#[test]
fn a_process_still_holding_the_lost_key_appends_nothing_after_a_renewal() {
    let dir = tempfile::tempdir().unwrap();
    let (journal, first, second) = desk_with_trail(dir.path());
    let stale = load_key(&first, &journal).unwrap();
    // The keychain was reset under a running process: another renews.
    drop(first);
    renew_key(&second, &journal, entry(0, "x")).unwrap();
    assert!(journal.append_audit(entry(0, "sale"), stale).is_err(), "it would break the chain");
    let (entries, head) = (journal.audit_entries(None, None).unwrap(), journal.audit_head().unwrap());
    let fresh = load_key(&second, &journal).unwrap();
    assert_eq!(verify(&entries, head.as_ref(), &fresh, true), Ok(Intact { entries: 4, unverified: 3 }));
}

#[test]
fn a_trail_whose_key_was_never_stored_is_renewed() {
    // The trail was started, then the keychain refused the key: no entry, no key. This version
    // starts a trail with its record and head; an earlier one wrote the record alone first.
    let started: [fn(&Journal); 2] = [
        |journal| drop(journal.start_audit(chain()).unwrap()),
        |journal| drop(journal.meta_once(AUDIT_KEY_CHECK, &chain().check()).unwrap()),
    ];
    for start in started {
        let dir = tempfile::tempdir().unwrap();
        let vault = Vault::open(dir.path(), keyring_core::mock::Store::new().unwrap()).unwrap();
        let journal = Journal::open_in_memory().unwrap();
        start(&journal);
        assert!(load_key(&vault, &journal).is_err());
        assert!(key_lost(&vault, &journal).unwrap());
        let (stored, _) = renew_key(&vault, &journal, entry(0, "x")).unwrap();
        assert_eq!(stored.seq, 1);
        let loaded = load_key(&vault, &journal).unwrap();
        let (entries, head) = (journal.audit_entries(None, None).unwrap(), journal.audit_head().unwrap());
        assert_eq!(verify(&entries, head.as_ref(), &loaded, true), Ok(Intact { entries: 1, unverified: 0 }));
    }
}

#[test]
fn entries_removed_from_the_end_stay_visible_and_nothing_is_appended_over_them() {
    let dir = tempfile::tempdir().unwrap();
    let (journal, first, _) = desk_with_trail(dir.path());
    tamper(dir.path(), "DELETE FROM audit WHERE seq = 3;");
    let sealing = load_key(&first, &journal).unwrap();
    let refused = journal.append_audit(entry(0, "sale"), sealing.clone()).unwrap_err().to_string();
    assert!(refused.contains("its head names entry 3, its last entry is 2"), "{refused}");
    let (entries, head) = (journal.audit_entries(None, None).unwrap(), journal.audit_head().unwrap());
    assert_eq!(entries.len(), 2, "nothing appended");
    assert_eq!(
        verify(&entries, head.as_ref(), &sealing, true).unwrap_err().seq,
        3,
        "the removal still shows"
    );
}

/// Entries removed with the head (some, or the whole trail): the key's record is kept, and the
/// next load does not start the trail again over them.
#[test]
fn entries_removed_with_the_head_stay_visible_and_nothing_is_appended_over_them() {
    for (removed, left) in [("seq = 3", 2), ("seq > 0", 0)] {
        let dir = tempfile::tempdir().unwrap();
        let (journal, first, _) = desk_with_trail(dir.path());
        tamper(
            dir.path(),
            &format!("DELETE FROM audit WHERE {removed}; DELETE FROM meta WHERE key = 'audit_head';"),
        );
        let sealing = load_key(&first, &journal).unwrap();
        let (entries, head) = (journal.audit_entries(None, None).unwrap(), journal.audit_head().unwrap());
        let broken = verify(&entries, head.as_ref(), &sealing, true).unwrap_err();
        assert!(broken.why.contains("head is missing"), "{removed}: {broken:?}");
        let refused = journal.append_audit(entry(0, "sale"), sealing).unwrap_err().to_string();
        assert!(refused.contains("its head is missing"), "{removed}: {refused}");
        assert_eq!(journal.audit_entries(None, None).unwrap().len(), left, "{removed}: nothing appended");
    }
}

#[test]
fn nothing_is_appended_once_the_record_of_the_key_is_removed() {
    let dir = tempfile::tempdir().unwrap();
    let (journal, first, _) = desk_with_trail(dir.path());
    // A process that loaded the key before the record was removed.
    let sealing = load_key(&first, &journal).unwrap();
    tamper(dir.path(), &format!("DELETE FROM meta WHERE key = '{AUDIT_KEY_CHECK}';"));
    let refused = journal.append_audit(entry(0, "sale"), sealing).unwrap_err().to_string();
    assert!(refused.contains("record of its audit key is gone"), "{refused}");
    assert_eq!(journal.audit_entries(None, None).unwrap().len(), 3, "nothing appended");
}

#[test]
fn an_imported_key_never_starts_a_trail_whose_record_was_removed() {
    let dir = tempfile::tempdir().unwrap();
    let (journal, _, second) = desk_with_trail(dir.path());
    tamper(dir.path(), &format!("DELETE FROM meta WHERE key = '{AUDIT_KEY_CHECK}';"));
    let refused = import_key(&second, &journal, chain().key).unwrap_err();
    assert!(refused.contains("record of its audit key is gone"), "{refused}");
    let id = journal_id(&journal).unwrap();
    assert!(second.audit_key(&id).unwrap().is_none(), "nothing stored");
    assert_eq!(journal.meta(AUDIT_KEY_CHECK).unwrap(), None, "no record started");
}
