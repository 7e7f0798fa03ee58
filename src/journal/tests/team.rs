//! Several desks on one team journal: what one terminal alone gets from SQLite's single writer
//! (a check and the insert it guards are one step) holds between terminals too.

use super::*;
use std::sync::Barrier;
use std::time::{Duration, Instant};

/// `n` desks, each with its own sessions, on one new team database.
fn desks(n: usize) -> Vec<Arc<Journal>> {
    let url = fresh_team_database();
    (0..n).map(|_| Arc::new(Journal::open_team(&url).unwrap())).collect()
}

/// Runs `work(desk, i)` on `per_desk` threads of every desk at once; the answers in order.
fn race<T: Send + 'static>(
    desks: &[Arc<Journal>],
    per_desk: usize,
    work: impl Fn(&Journal, usize) -> T + Send + Sync + 'static,
) -> Vec<T> {
    let work = Arc::new(work);
    let start = Arc::new(Barrier::new(desks.len() * per_desk));
    let threads: Vec<_> = (0..desks.len() * per_desk)
        .map(|i| {
            let (desk, work, start) =
                (Arc::clone(&desks[i % desks.len()]), Arc::clone(&work), Arc::clone(&start));
            std::thread::spawn(move || {
                start.wait();
                work(&desk, i)
            })
        })
        .collect();
    threads.into_iter().map(|t| t.join().unwrap()).collect()
}

#[test]
fn desks_racing_on_one_card_and_amount_record_one_order() {
    let desks = desks(2);
    let answers = race(&desks, 4, |j, i| {
        let order = NewOrder { method: card(), ..order(&format!("CALL-{i}")) };
        j.record_order_intent_guarded(&order, Some(t(-10))).unwrap().map_err(|shown| shown.merchant_reference)
    });
    let recorded = answers.iter().filter(|a| a.is_ok()).count();
    assert_eq!(recorded, 1, "one desk records the charge, every other one is shown it: {answers:?}");
    let first = answers.iter().find_map(|a| a.as_ref().ok()).copied().unwrap();
    for shown in answers.iter().filter_map(|a| a.as_ref().err()) {
        assert_eq!(&desks[0].operation(first).unwrap().unwrap().merchant_reference, shown);
    }
}

/// Another desk (a journal of its own on `url`) holding the guard lock of [`card`] until told
/// to let it go; returns once it is held.
pub(super) fn hold_card_guard(url: &str) -> (std::sync::mpsc::Sender<()>, std::thread::JoinHandle<()>) {
    let holder = Journal::open_team(url).unwrap();
    let key = guard_key("main", &card()).unwrap();
    let (locked_tx, locked_rx) = std::sync::mpsc::channel();
    let (unlock_tx, unlock_rx) = std::sync::mpsc::channel::<()>();
    let held = std::thread::spawn(move || {
        holder
            .write_now(|db| {
                db.lock(&key)?;
                // The lock travels with the transaction's next statement.
                db.query_one("SELECT 1", &[], |r| r.get::<i64>(0))?;
                locked_tx.send(()).unwrap();
                unlock_rx.recv().unwrap();
                Ok(())
            })
            .unwrap();
    });
    locked_rx.recv().unwrap();
    (unlock_tx, held)
}

/// The guard's proof: while another session holds the card's guard lock, an intent on that
/// card waits; it goes ahead once the lock is let go. The check and the insert are therefore
/// one step for every desk (an advisory lock in the intent's transaction).
#[test]
fn a_guarded_intent_waits_for_the_card_guard_lock() {
    let url = fresh_team_database();
    let desk = Arc::new(Journal::open_team(&url).unwrap());
    let (unlock, held) = hold_card_guard(&url);
    let started = Instant::now();
    let intent = std::thread::spawn(move || {
        let order = NewOrder { method: card(), ..order("CALL-1") };
        (desk.record_order_intent_guarded(&order, Some(t(-10))).unwrap(), started.elapsed())
    });
    std::thread::sleep(Duration::from_millis(300));
    assert!(!intent.is_finished(), "the intent waits while the guard is held");
    unlock.send(()).unwrap();
    held.join().unwrap();
    let (answer, waited) = intent.join().unwrap();
    assert!(answer.is_ok() && waited >= Duration::from_millis(300), "{answer:?} after {waited:?}");
}

/// The guard reads after its lock is held: an order on the card that another desk commits
/// while this desk's intent waits for the lock is shown, and no second order is recorded. (A
/// guard whose query began before the lock was held would read without that order.)
#[test]
fn a_guarded_intent_sees_the_order_another_desk_committed_while_it_waited() {
    let url = fresh_team_database();
    let desk = Arc::new(Journal::open_team(&url).unwrap());
    let holder = Journal::open_team(&url).unwrap();
    let key = guard_key("main", &card()).unwrap();
    let (locked_tx, locked_rx) = std::sync::mpsc::channel();
    let (commit_tx, commit_rx) = std::sync::mpsc::channel::<()>();
    let held = std::thread::spawn(move || {
        let first = NewOrder { method: card(), ..order("CALL-FIRST") };
        holder
            .write_now(|db| {
                db.lock(&key)?;
                let checked = orders::check_new_order(&first)?;
                orders::insert_order_intent(db, &first, &checked)?;
                locked_tx.send(()).unwrap();
                commit_rx.recv().unwrap();
                Ok(())
            })
            .unwrap();
    });
    locked_rx.recv().unwrap();
    let waiting = Arc::clone(&desk);
    let intent = std::thread::spawn(move || {
        let second = NewOrder { method: card(), ..order("CALL-SECOND") };
        waiting
            .record_order_intent_guarded(&second, Some(t(-10)))
            .unwrap()
            .map_err(|shown| shown.merchant_reference)
    });
    std::thread::sleep(Duration::from_millis(300));
    assert!(!intent.is_finished(), "the intent waits while the guard is held");
    commit_tx.send(()).unwrap();
    held.join().unwrap();
    let answer = intent.join().unwrap();
    assert_eq!(answer, Err("CALL-FIRST".to_owned()), "the order committed meanwhile is shown");
    let recorded = desk.search(&Filter::default()).unwrap();
    assert_eq!(recorded.len(), 1, "no second order: {recorded:?}");
}

#[test]
fn a_reference_is_recorded_by_one_desk_only() {
    let desks = desks(2);
    let answers = race(&desks, 3, |j, _| j.record_order_intent(&order("SAME-REF")));
    assert_eq!(answers.iter().filter(|a| a.is_ok()).count(), 1, "{answers:?}");
    for refused in answers.iter().filter_map(|a| a.as_ref().err()) {
        assert!(matches!(refused, JournalError::DuplicateReference { .. }), "{refused}");
    }
}

#[test]
fn two_desks_refunding_the_same_order_cannot_refund_it_twice() {
    let desks = desks(2);
    let paid = OrderUpdate {
        state: Some(OrderState::Captured),
        authorized_minor: Some(1250),
        captured_minor: Some(1250),
        ..OrderUpdate::default()
    };
    // Several orders, each refunded in full by four agents at once (a race is a matter of luck
    // once; eight times over, a missing lock shows).
    for n in 0..8 {
        let reference = format!("PAID-{n}");
        let id = desks[0].record_order_intent(&order(&reference)).unwrap();
        desks[0].record_outcome(id, &result(OpState::Approved, "14000"), &paid).unwrap();
        let answers = race(&desks, 2, move |j, i| {
            let refund = op(&reference, Operation::Refund, Some(aed(1250)));
            j.record_maintenance_intent(&refund, move |k| format!("R{k}-{i}"))
        });
        assert_eq!(answers.iter().filter(|a| a.is_ok()).count(), 1, "{answers:?}");
        for refused in answers.iter().filter_map(|a| a.as_ref().err()) {
            assert!(matches!(refused, JournalError::Busy(_)), "the first refund is in doubt: {refused}");
        }
    }
}

#[test]
fn a_desks_presence_ends_with_it() {
    let desks = desks(2);
    desks[0].announce("desk-a|boot|1|1").unwrap();
    assert_eq!(desks[1].owner_present("desk-a|boot|1|1").unwrap(), Some(true));
    assert_eq!(desks[0].owner_present("desk-a|boot|1|1").unwrap(), Some(true), "seen from itself too");
    assert_eq!(desks[1].owner_present("desk-b|boot|2|2").unwrap(), Some(false), "never announced");
    let [first, second]: [Arc<Journal>; 2] = desks.try_into().unwrap();
    drop(first);
    let deadline = Instant::now() + Duration::from_secs(5);
    while second.owner_present("desk-a|boot|1|1").unwrap() == Some(true) {
        assert!(Instant::now() < deadline, "a closed desk's presence must end with its session");
        std::thread::sleep(Duration::from_millis(20));
    }
    let desk = Journal::open(&tempfile::tempdir().unwrap().path().join("j.sqlite")).unwrap();
    assert_eq!(desk.owner_present("desk-a|boot|1|1").unwrap(), None, "a desk journal cannot tell");
}

/// PostgreSQL rolls back, without an error, a transaction whose statement failed: a write that
/// swallowed such a failure must not be reported as committed.
#[test]
fn a_write_that_swallowed_a_refused_statement_is_not_reported_as_committed() {
    let desks = desks(1);
    let swallowed = order("SWALLOWED-1");
    let written = desks[0].write(Durability::Synced, move |db| {
        orders::insert_order_intent(db, &swallowed, &orders::check_new_order(&swallowed)?)?;
        drop(db.execute("SELECT no_such_column FROM orders", &[]));
        Ok(())
    });
    assert!(written.is_err(), "{written:?}");
    assert!(desks[0].order("main", "SWALLOWED-1").unwrap().is_none(), "nothing of it was kept");
}

#[test]
fn two_desks_finishing_one_operation_at_once_finish_it_once() {
    let desks = desks(2);
    for n in 0..6 {
        let id = desks[0].record_order_intent(&order(&format!("FIN-{n}"))).unwrap();
        let answers = race(&desks, 2, move |j, i| {
            let state = if i % 2 == 0 { OpState::Approved } else { OpState::Declined };
            j.finish_operation(id, &result(state, "14000")).map_err(|e| e.to_string())
        });
        assert_eq!(answers.iter().filter(|a| a.is_ok()).count(), 1, "{answers:?}");
    }
}

#[test]
fn every_journal_of_a_process_keeps_its_presence() {
    let url = fresh_team_database();
    let (first, second) = (Journal::open_team(&url).unwrap(), Journal::open_team(&url).unwrap());
    first.announce("desk-c|boot|3|3").unwrap();
    second.announce("desk-c|boot|3|3").unwrap();
    drop(first);
    let other = Journal::open_team(&url).unwrap();
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(other.owner_present("desk-c|boot|3|3").unwrap(), Some(true), "the second still holds it");
}

/// A URL naming the server's Unix socket reaches the team journal, both to copy a desk's
/// journal into it (`postgres::connect`, which asked TLS for the socket's path as a host name
/// and failed) and to work on it (`Journal::open_team`).
#[test]
fn a_unix_socket_url_reaches_the_team_journal() {
    let dir = std::env::var("MOTO_TEST_POSTGRES_SOCKET")
        .unwrap_or_else(|_| panic!("MOTO_TEST_POSTGRES_SOCKET is not set: run scripts/postgres-test-env"));
    let tcp = fresh_team_database();
    let (server, name) = tcp.rsplit_once('/').unwrap();
    let port = server.rsplit_once(':').unwrap().1;
    let url = format!("postgres://moto@/{name}?host={dir}&port={port}");
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let client = postgres::connect(&url).await.unwrap_or_else(|e| panic!("{e}"));
        client.batch_execute("SELECT 1").await.unwrap();
    });
    let j = Journal::open_team(&url).unwrap_or_else(|e| panic!("{e}"));
    j.record_order_intent(&order("SOCKET-1")).unwrap();
    assert!(j.order("main", "SOCKET-1").unwrap().is_some());
}

/// Sessions the server closed while they sat idle (a restart, an idle limit) are noticed
/// before they are used: the next write opens a new one instead of failing.
#[test]
fn sessions_closed_by_the_server_while_idle_are_replaced() {
    let url = fresh_team_database();
    let j = Journal::open_team(&url).unwrap();
    j.record_order_intent(&order("BEFORE-1")).unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let admin = postgres::connect(&url).await.unwrap();
        let ended = "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()";
        admin
            .batch_execute(&format!("SELECT pg_terminate_backend(pid) FROM ({}) AS s", ended.replace("count(*)", "pid")))
            .await
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(5);
        while admin.query_one(ended, &[]).await.unwrap().get::<_, i64>(0) > 0 {
            assert!(Instant::now() < deadline, "the server ends the sessions");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    });
    j.record_order_intent(&order("AFTER-1")).unwrap_or_else(|e| panic!("a closed session was used: {e}"));
    assert!(j.order("main", "AFTER-1").unwrap().is_some());
}

#[test]
fn the_server_gives_up_on_a_vanished_desk_within_minutes() {
    let url = fresh_team_database();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let client = crate::journal::postgres::connect(&url).await.unwrap();
        let sql = "SELECT setting FROM pg_settings WHERE name = $1";
        for (name, want) in
            [("tcp_keepalives_idle", "60"), ("tcp_keepalives_interval", "10"), ("tcp_keepalives_count", "6")]
        {
            let setting: String = client.query_one(sql, &[&name]).await.unwrap().get(0);
            assert_eq!(setting, want, "{name}: the server's own watch on this desk's connection");
        }
    });
}

#[test]
fn a_desk_whose_presence_session_is_lost_takes_it_again_while_it_runs() {
    let url = fresh_team_database();
    let desks: Vec<_> = (0..2).map(|_| Arc::new(Journal::open_team(&url).unwrap())).collect();
    desks[0].announce("desk-a|boot|1|1").unwrap();
    assert_eq!(desks[1].owner_present("desk-a|boot|1|1").unwrap(), Some(true));
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let admin = runtime.block_on(crate::journal::postgres::connect(&url)).unwrap();
    let holders = || {
        let sql = "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND mode = 'ShareLock' AND granted
                   AND database = (SELECT oid FROM pg_database WHERE datname = current_database())";
        let rows = runtime.block_on(admin.query(sql, &[])).unwrap();
        rows.iter().map(|r| r.get::<_, i32>(0)).collect::<Vec<_>>()
    };
    let before = holders();
    assert_eq!(before.len(), 1, "one session holds the presence lock");
    // The server ends that session (a restart, an idle-session limit, an administrator).
    let sql = "SELECT pg_terminate_backend($1)";
    assert!(runtime.block_on(admin.query_one(sql, &[&before[0]])).unwrap().get::<_, bool>(0));
    let deadline = Instant::now() + Duration::from_secs(10);
    while holders().iter().all(|pid| *pid == before[0]) {
        assert!(Instant::now() < deadline, "a running desk takes its presence again on a new session");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(desks[1].owner_present("desk-a|boot|1|1").unwrap(), Some(true));
}
