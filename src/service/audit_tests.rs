use super::*;
use chrono::TimeZone;

fn chain() -> Chain {
    Chain::new(Secret::from("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"))
}

fn entry(seq: i64, action: &str) -> AuditEntry {
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
    assert_eq!(verify(&entries, head.as_ref(), &chain(), true), Ok(4));
    let empty = AuditHead { seq: 0, mac: String::new(), seal: chain().head(0, "") };
    assert_eq!(verify(&[], Some(&empty), &chain(), true), Ok(0));
    assert_eq!(verify(&[], None, &chain(), false), Ok(0), "no key yet: nothing to verify");
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
    assert!(broken.why.contains("removed from the end"), "{}", broken.why);
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
    // The other process won the race to start the trail: its check is in the journal, and its
    // key reaches this computer's keychain a moment later.
    journal.meta_once(KEY_CHECK, &chain().check()).unwrap();
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
