//! The journal on disk: what survives, what never reaches the file, and two writers at once.

use chrono::{TimeZone, Utc};
use moto_terminal::aps::Operation;
use moto_terminal::aps::money::{Currency, Money};
use moto_terminal::aps::secret::Secret;
use moto_terminal::journal::{
    CardFingerprint, Channel, Extra, Filter, Journal, JournalError, MaskedCard, NewOperation, NewOrder,
    OpResult, OpState, OrderKind, OrderState, OrderUpdate, PaymentMethod,
};
use moto_terminal::vault::card_fingerprint;
use std::path::Path;
use std::sync::Arc;

const PAN: &str = "4005550000000001";

fn aed(minor: u64) -> Money {
    Money::from_minor(minor, Currency::parse("AED").unwrap()).unwrap()
}

fn keyed_order(reference: &str) -> NewOrder {
    let key = Secret::from("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
    NewOrder {
        profile: "main".into(),
        merchant_reference: reference.into(),
        kind: OrderKind::Sale,
        channel: Channel::Mail,
        amount: aed(12_50),
        method: PaymentMethod::Card {
            masked_card: MaskedCard::parse("400555******0001").unwrap(),
            fingerprint: CardFingerprint::parse(&card_fingerprint(&key, PAN)).unwrap(),
        },
        customer_email: Some("fatima@example.com".into()),
        customer_name: Some("Fatima".into()),
        description: Some("mail order slip MO-77".into()),
        operator: "sara".into(),
        terminal: "desk-1".into(),
        created_at: Utc.with_ymd_and_hms(2025, 3, 1, 9, 0, 0).unwrap(),
        extra: Extra::from_iter([("slip".to_owned(), serde_json::json!("MO-77"))]),
        lease: None,
        batch_row: None,
    }
}

fn approved() -> OpResult {
    OpResult {
        state: OpState::Approved,
        response_code: Some("14000".into()),
        response_message: Some("Success".into()),
        note: None,
        at: Utc::now(),
    }
}

fn captured() -> OrderUpdate {
    OrderUpdate {
        state: Some(OrderState::Captured),
        authorized_minor: Some(12_50),
        captured_minor: Some(12_50),
        fort_id: Some("169996200012345680".into()),
        last_response_code: Some("14000".into()),
        masked_card: Some(MaskedCard::parse("400555******0001").unwrap()),
        ..OrderUpdate::default()
    }
}

/// Every byte of every file SQLite keeps for the journal (main file, WAL, shared memory).
fn journal_bytes(dir: &Path) -> Vec<u8> {
    let mut all = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            all.extend(std::fs::read(&path).unwrap());
        }
    }
    all
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle.as_bytes())
}

#[test]
fn an_intent_is_on_disk_when_record_returns_and_survives_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data/journal.sqlite");
    let journal = Journal::open(&path).unwrap();
    let op = journal.record_order_intent(&keyed_order("MO-1")).unwrap();

    // A second connection (another process, or the next start after a crash) sees the intent
    // while the first is still open: it was committed, not buffered.
    let other = Journal::open(&path).unwrap();
    let pending = other.unresolved(Some("main")).unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].open_operations[0].id, op);
    drop(other);

    journal.record_outcome(op, &approved(), &captured()).unwrap();
    let refund = journal
        .record_operation_intent(&NewOperation {
            profile: "main".into(),
            merchant_reference: "MO-1".into(),
            operation: Operation::Refund,
            maintenance_reference: Some("MO-1-R1".into()),
            amount: Some(aed(2_50)),
            operator: "sara".into(),
            at: Utc::now(),
            note: Some("customer returned one item".into()),
            lease: None,
            batch_row: None,
            approved_by: None,
        })
        .unwrap();
    drop(journal);

    let reopened = Journal::open(&path).unwrap();
    let order = reopened.order("main", "MO-1").unwrap().unwrap();
    assert_eq!(order.state, OrderState::Captured);
    assert_eq!(order.fort_id.as_deref(), Some("169996200012345680"));
    let timeline = reopened.timeline("main", "MO-1").unwrap();
    assert_eq!(
        timeline.iter().map(|o| (o.operation, o.state)).collect::<Vec<_>>(),
        [(Operation::Purchase, OpState::Approved), (Operation::Refund, OpState::Intent)]
    );
    let unresolved = reopened.unresolved(None).unwrap();
    assert_eq!(unresolved.len(), 1, "the refund whose answer never came is still waiting");
    assert_eq!(unresolved[0].open_operations[0].id, refund);
    assert_eq!(unresolved[0].open_operations[0].maintenance_reference.as_deref(), Some("MO-1-R1"));
}

#[test]
fn no_card_number_reaches_the_journal_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.sqlite");
    let journal = Journal::open(&path).unwrap();
    let op = journal.record_order_intent(&keyed_order("MO-1")).unwrap();
    journal.record_outcome(op, &approved(), &captured()).unwrap();
    let mut out = Vec::new();
    journal.export_csv(&Filter::default(), &mut out).unwrap();

    // The ways a card number could be pushed in are closed.
    assert!(MaskedCard::parse(PAN).is_err());
    let mut leaky = keyed_order("MO-2");
    leaky.description = Some(format!("card {PAN} exp 05/30"));
    assert!(matches!(journal.record_order_intent(&leaky), Err(JournalError::LooksLikeCardNumber { .. })));
    let leaky_update =
        OrderUpdate { needs_attention: Some(Some(format!("check {PAN}"))), ..OrderUpdate::default() };
    assert!(journal.update_order("main", "MO-1", &leaky_update).is_err());

    let spaced = "4005 5500 0000 0001";
    for bytes in [journal_bytes(dir.path()), out.clone()] {
        assert!(contains(&bytes, "400555******0001"), "the scan reads the stored text");
        assert!(!contains(&bytes, PAN) && !contains(&bytes, spaced), "the card number is in the journal");
        assert!(!contains(&bytes, "0000000001"), "no long run of the hidden digits either");
    }
    drop(journal);
    // After close SQLite folds the WAL into the main file; scan again.
    let bytes = journal_bytes(dir.path());
    assert!(contains(&bytes, "400555******0001"));
    assert!(!contains(&bytes, PAN) && !contains(&bytes, spaced));
}

#[cfg(unix)]
#[test]
fn the_journal_file_is_private_to_its_owner() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.sqlite");
    let journal = Journal::open(&path).unwrap();
    journal.record_order_intent(&keyed_order("MO-1")).unwrap();
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
}

#[test]
fn two_journals_on_one_file_write_at_once_and_a_reference_is_taken_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = Arc::new(dir.path().join("journal.sqlite"));
    // Like the desktop app and a CLI run: separate connections to the same file.
    let handles: Vec<_> = (0..2)
        .map(|n| {
            let path = Arc::clone(&path);
            std::thread::spawn(move || {
                let journal = Journal::open(&path).unwrap();
                let mut won = 0;
                for i in 0..40 {
                    let own = journal.record_order_intent(&keyed_order(&format!("W{n}-{i}"))).unwrap();
                    journal.record_outcome(own, &approved(), &captured()).unwrap();
                    match journal.record_order_intent(&keyed_order(&format!("SHARED-{i}"))) {
                        Ok(_) => won += 1,
                        Err(JournalError::DuplicateReference { .. }) => {}
                        Err(e) => panic!("{e}"),
                    }
                }
                won
            })
        })
        .collect();
    let won: u32 = handles.into_iter().map(|h| h.join().unwrap()).sum();
    assert_eq!(won, 40, "each shared reference was recorded by exactly one writer");
    let journal = Journal::open(&path).unwrap();
    assert_eq!(journal.count(&Filter::default()).unwrap(), 120);
    assert_eq!(
        journal.count(&Filter { states: vec![OrderState::Captured], ..Filter::default() }).unwrap(),
        80
    );
    assert_eq!(journal.unresolved(None).unwrap().len(), 40, "the shared ones are still pending");
}
