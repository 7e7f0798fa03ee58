//! The file itself: migrations, pragmas, indexes, and several writers at once.

use super::*;

#[test]
fn opening_an_older_journal_upgrades_it_and_keeps_its_orders() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.sqlite");
    {
        let old = Journal::open_at_version(&path, 1).unwrap();
        assert_eq!(old.schema_version().unwrap(), 1);
        // Written as version 1 wrote it: today's writer knows columns version 1 did not have.
        old.lock()
            .execute_batch(
                "INSERT INTO orders (profile, merchant_reference, kind, channel, currency, amount_minor, token_name,
                    operator, created_at, updated_at, state)
                 VALUES ('main', 'OLD-1', 'sale', 'phone', 'AED', 1250, 'tok_1', 'sara',
                    '2025-01-01T00:00:00.000000Z', '2025-01-01T00:00:00.000000Z', 'pending');
                 INSERT INTO operations (order_id, profile, merchant_reference, operation, amount_minor, currency,
                    state, operator, at)
                 VALUES (1, 'main', 'OLD-1', 'PURCHASE', 1250, 'AED', 'intent', 'sara', '2025-01-01T00:00:00.000000Z');",
            )
            .unwrap();
    }
    let j = Journal::open(&path).unwrap();
    assert_eq!(j.schema_version().unwrap(), SCHEMA_VERSION);
    assert_eq!(SCHEMA_VERSION, schema::MIGRATIONS.len() as u32);
    let old = j.order("main", "OLD-1").unwrap().unwrap();
    assert_eq!((old.state, old.operator.as_str(), old.terminal.as_str()), (OrderState::Pending, "sara", ""));
    j.add_agreement(&NewAgreement {
        profile: "main".into(),
        token_name: "tok".into(),
        agreement_id: None,
        customer_email: "a@b.c".into(),
        customer_name: None,
        amount: aed(100),
        cycle: Cycle::Days(30),
        next_due: NaiveDate::from_ymd_opt(2025, 4, 1).unwrap(),
        created_at: t(0),
        limit: None,
    })
    .unwrap();
    drop(j);
    assert_eq!(
        Journal::open(&path).unwrap().schema_version().unwrap(),
        SCHEMA_VERSION,
        "reopening is a no-op"
    );
}

#[test]
fn a_journal_from_a_newer_version_is_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.sqlite");
    drop(Journal::open(&path).unwrap());
    let conn = Connection::open(&path).unwrap();
    conn.pragma_update(None, "user_version", 99).unwrap();
    drop(conn);
    let err = Journal::open(&path).unwrap_err();
    assert!(matches!(err, JournalError::TooNew { found: 99, .. }), "{err}");
    assert!(err.to_string().contains("update moto-terminal"), "{err}");
    let conn = Connection::open(&path).unwrap();
    assert_eq!(schema::user_version(&conn).unwrap(), 99);
}

#[test]
fn file_journal_uses_wal_full_sync_and_foreign_keys() {
    let dir = tempfile::tempdir().unwrap();
    let j = Journal::open(&dir.path().join("nested/dir/journal.sqlite")).unwrap();
    let conn = j.lock();
    let mode: String = conn.query_row("PRAGMA journal_mode", [], |r| r.get(0)).unwrap();
    let sync: i64 = conn.query_row("PRAGMA synchronous", [], |r| r.get(0)).unwrap();
    let fk: i64 = conn.query_row("PRAGMA foreign_keys", [], |r| r.get(0)).unwrap();
    let busy: i64 = conn.query_row("PRAGMA busy_timeout", [], |r| r.get(0)).unwrap();
    assert_eq!((mode.as_str(), sync, fk), ("wal", 2, 1));
    assert!(busy >= 1000, "{busy}");
}

#[test]
fn outcomes_leave_the_journal_in_full_sync_for_the_next_intent() {
    let dir = tempfile::tempdir().unwrap();
    let j = Journal::open(&dir.path().join("journal.sqlite")).unwrap();
    let sync = |j: &Journal| -> i64 { j.lock().query_row("PRAGMA synchronous", [], |r| r.get(0)).unwrap() };
    let id = j.record_order_intent(&order("SYNC-1")).unwrap();
    j.record_outcome(id, &result(OpState::Approved, "14000"), &OrderUpdate::default()).unwrap();
    assert_eq!(sync(&j), 2, "FULL again after an outcome");
    // A failed outcome (already finished) restores FULL too.
    assert!(j.record_outcome(id, &result(OpState::Approved, "14000"), &OrderUpdate::default()).is_err());
    assert_eq!(sync(&j), 2);
}

#[test]
fn queries_use_the_indexes() {
    let j = journal();
    let conn = j.lock();
    for (sql, index) in [
        // As the journal asks: a bound value, which a partial index of filled values answers.
        ("SELECT id FROM orders WHERE fort_id = ?1", "orders_fort_id"),
        ("SELECT id FROM orders WHERE last4 = ?1", "orders_last4"),
        ("SELECT id FROM orders WHERE state = 'pending'", "orders_state"),
        (
            "SELECT id FROM orders WHERE profile = 'p' AND merchant_reference = 'R'",
            "sqlite_autoindex_orders_1",
        ),
        ("SELECT id FROM orders WHERE created_at >= '2025'", "orders_created_at"),
        ("SELECT id FROM orders WHERE operator = 'sara' COLLATE NOCASE", "orders_operator_created"),
        (
            "SELECT order_id FROM operations WHERE state IN ('intent', 'unknown') AND operation <> 'CHECK_STATUS'",
            "operations_unsettled",
        ),
    ] {
        let mut explain = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
        let unbound = vec![rusqlite::types::Null; explain.parameter_count()];
        let plan: Vec<String> = explain
            .query_map(rusqlite::params_from_iter(unbound), |r| r.get::<_, String>(3))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert!(plan.iter().any(|p| p.contains(index)), "{sql}: {plan:?}");
    }
    // Ending an APS batch's leases reads only that batch's operations: a range of the index, not
    // every batch operation ever recorded.
    let mut explain = conn.prepare(&format!("EXPLAIN QUERY PLAN {}", *aps_batch::END_LEASES_LITE)).unwrap();
    let plan: Vec<String> = explain
        .query_map(rusqlite::params_from_iter(vec![rusqlite::types::Null; 3]), |r| r.get::<_, String>(3))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(
        plan.iter().any(|p| p.contains("operations_batch_row (batch_row>? AND batch_row<?)")),
        "{plan:?}"
    );
}

#[test]
fn two_threads_write_to_one_journal() {
    let j = Arc::new(journal());
    let handles: Vec<_> = (0..2)
        .map(|n| {
            let j = Arc::clone(&j);
            std::thread::spawn(move || {
                for i in 0..100 {
                    let id = j.record_order_intent(&order(&format!("T{n}-{i}"))).unwrap();
                    j.record_outcome(
                        id,
                        &result(OpState::Approved, "14000"),
                        &OrderUpdate {
                            state: Some(OrderState::Captured),
                            captured_minor: Some(1250),
                            ..Default::default()
                        },
                    )
                    .unwrap();
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    assert_eq!(j.count(&Filter::default()).unwrap(), 200);
    assert_eq!(j.count(&Filter { states: vec![OrderState::Captured], ..Filter::default() }).unwrap(), 200);
    assert!(j.unresolved(None).unwrap().is_empty());
}

#[test]
fn the_duplicate_guard_lets_only_one_of_two_simultaneous_terminals_through() {
    let dir = tempfile::tempdir().unwrap();
    let path = Arc::new(dir.path().join("journal.sqlite"));
    Journal::open(&path).unwrap();
    let barrier = Arc::new(std::sync::Barrier::new(2));
    let handles: Vec<_> = (0..2)
        .map(|n| {
            let (path, barrier) = (Arc::clone(&path), Arc::clone(&barrier));
            std::thread::spawn(move || {
                let journal = Journal::open(&path).unwrap();
                let mut o = order(&format!("TERMINAL-{n}"));
                o.method = card();
                o.created_at = Utc::now();
                barrier.wait();
                journal
                    .record_order_intent_guarded(&o, Some(Utc::now() - chrono::Duration::minutes(10)))
                    .unwrap()
                    .is_ok()
            })
        })
        .collect();
    let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    assert_eq!(
        results.iter().filter(|went_ahead| **went_ahead).count(),
        1,
        "exactly one charge of the card goes ahead"
    );
    let journal = Journal::open(&path).unwrap();
    assert_eq!(journal.count(&Filter::default()).unwrap(), 1);
}

#[test]
fn journal_is_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<Journal>();
}
