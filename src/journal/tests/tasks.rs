//! Team journal writes from the tasks of a multi-threaded runtime (`db::pg_task`): one
//! statement each, sent on a connection the runtime drives, with the same answers, guard and
//! failures as the blocking way.

use super::team::hold_card_guard;
use super::*;
use crate::journal::db::pg::Pool;
use crate::journal::group::Durability;
use std::time::{Duration, Instant};

fn pool(j: &Journal) -> &Arc<Pool> {
    match &j.backend {
        Backend::Team(pool) => pool,
        Backend::Lite(_) => panic!("a team journal was opened"),
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap()
}

fn captured() -> OrderUpdate {
    OrderUpdate { state: Some(OrderState::Captured), captured_minor: Some(1250), ..OrderUpdate::default() }
}

fn approved() -> OpResult {
    result(OpState::Approved, "14000")
}

#[test]
fn an_intent_an_outcome_and_the_token_book_go_out_on_a_task_connection() {
    let j = Journal::open_team(&fresh_team_database()).unwrap();
    let rt = runtime();
    let new = order("TASK-1");
    let guarded = Journal::order_intent_write(&new, Some(t(-10))).unwrap();
    let id = rt.block_on(j.commit_async(guarded)).unwrap().unwrap();
    assert_eq!(pool(&j).task_connections(), 1, "the intent went out on a task connection");
    assert_eq!(j.operation(id).unwrap().unwrap().state, OpState::Intent);

    let token = TokenRecord {
        profile: "main".into(),
        token_name: "tok_task".into(),
        masked_card: Some("400555******0001".into()),
        expiry: Some("2705".into()),
        brand: Some("VISA".into()),
        holder_name: None,
        customers: vec![TokenCustomer::new(Some("Sara Ali"), Some("sara@example.com"), None)],
        status: "ACTIVE".into(),
    };
    let outcome =
        Journal::outcome_write(id, &approved(), &captured()).unwrap().remembering_token(Some(&token));
    let order = rt.block_on(j.commit_async(outcome)).unwrap().expect("the order as the outcome left it");
    assert_eq!((order.state, order.captured_minor), (OrderState::Captured, 1250));
    assert_eq!(j.operation(id).unwrap().unwrap().state, OpState::Approved);
    let book = j.token("main", "tok_task").unwrap().expect("the token remembered");
    assert_eq!(book.customers.len(), 1);
    assert_eq!(pool(&j).task_connections(), 1, "one connection served the three writes");

    // The guard shows the order to a second call on the same card, and records nothing.
    let again = NewOrder { merchant_reference: "TASK-2".into(), ..new.clone() };
    let shown = rt.block_on(j.commit_async(Journal::order_intent_write(&again, Some(t(-10))).unwrap()));
    assert_eq!(shown.unwrap().unwrap_err().merchant_reference, "TASK-1");
    assert!(j.order("main", "TASK-2").unwrap().is_none());
    // A reference already taken is refused in the journal's words.
    let taken = NewOrder { amount: aed(999), ..new };
    let taken = rt.block_on(j.commit_async(Journal::order_intent_write(&taken, Some(t(-10))).unwrap()));
    assert!(matches!(taken, Err(JournalError::DuplicateReference { .. })), "{taken:?}");
}

/// An intent with the guard overridden takes the card's lock in a transaction of its own: more
/// than one statement, so it runs the blocking way, and is recorded all the same.
#[test]
fn a_write_of_more_than_one_statement_runs_the_blocking_way() {
    let j = Journal::open_team(&fresh_team_database()).unwrap();
    let rt = runtime();
    let id = rt.block_on(j.commit_async(Journal::order_intent_write(&order("TASK-LOCK"), None).unwrap()));
    assert_eq!(j.operation(id.unwrap().unwrap()).unwrap().unwrap().state, OpState::Intent);
    assert_eq!(pool(&j).task_connections(), 0, "nothing went out on a task connection");
}

/// The guard holds for a task's intent too: it waits while another desk holds the card's lock,
/// without holding up the runtime's other tasks, and goes ahead once the lock is let go.
#[test]
fn a_task_intent_waits_for_the_guard_lock_without_blocking_the_runtime() {
    let url = fresh_team_database();
    let j = Arc::new(Journal::open_team(&url).unwrap());
    let rt = runtime();
    let (unlock, held) = hold_card_guard(&url);
    let new = NewOrder { method: card(), ..order("TASK-WAIT") };
    let write = Journal::order_intent_write(&new, Some(t(-10))).unwrap();
    let intent = rt.spawn({
        let j = Arc::clone(&j);
        async move { j.commit_async(write).await }
    });
    // Both workers stay free for other tasks while the intent waits for the lock.
    let started = Instant::now();
    let ticks = rt.block_on(async {
        let mut ticks = 0;
        while started.elapsed() < Duration::from_millis(300) {
            let others: Vec<_> =
                (0..2).map(|_| tokio::spawn(tokio::time::sleep(Duration::from_millis(5)))).collect();
            for other in others {
                other.await.unwrap();
            }
            ticks += 1;
        }
        ticks
    });
    assert!(ticks > 10, "other tasks ran while the intent waited ({ticks} rounds)");
    assert!(!intent.is_finished(), "the intent waits while the guard is held");
    unlock.send(()).unwrap();
    held.join().unwrap();
    let id = rt.block_on(intent).unwrap().unwrap().unwrap();
    assert_eq!(j.operation(id).unwrap().unwrap().state, OpState::Intent);
}

/// A task connection runs on the runtime that opened it: once that runtime has ended, the next
/// write opens another on the runtime of the task asking.
#[test]
fn a_task_connection_whose_runtime_ended_is_replaced() {
    let j = Journal::open_team(&fresh_team_database()).unwrap();
    let first = runtime();
    first
        .block_on(j.commit_async(Journal::order_intent_write(&order("RT-1"), Some(t(-10))).unwrap()))
        .unwrap()
        .unwrap();
    drop(first);
    let second = runtime();
    let again = NewOrder { amount: aed(999), ..order("RT-2") };
    let id = second.block_on(j.commit_async(Journal::order_intent_write(&again, Some(t(-10))).unwrap()));
    assert_eq!(j.operation(id.unwrap().unwrap()).unwrap().unwrap().state, OpState::Intent);
    assert_eq!(pool(&j).task_connections(), 1, "the closed one was let go");
}

/// A write is run twice, once to note its statement and once with the answer: a second run
/// that asks for another statement is refused, and says to look the order up.
#[test]
fn a_write_that_asks_for_another_statement_with_its_answer_is_refused() {
    let j = Journal::open_team(&fresh_team_database()).unwrap();
    let rt = runtime();
    let mut runs = 0;
    let write = Write::alone(Durability::Committed, move |db: Db<'_>| {
        runs += 1;
        let sql = if runs == 1 { "SELECT 1 AS one" } else { "SELECT 2 AS two" };
        db.pipeline(&[(sql, &[])], true).map(drop)
    });
    let err = rt.block_on(j.commit_async(write)).unwrap_err();
    assert!(err.to_string().contains("look the order up"), "{err}");
}

/// The token book's refresh goes in the outcome's round trip; when it fails as it runs (here a
/// trigger refuses its customers), the outcome is recorded all the same.
#[test]
fn a_token_book_refresh_that_fails_beside_its_outcome_leaves_the_outcome_recorded() {
    let j = Journal::open_team(&fresh_team_database()).unwrap();
    let rt = runtime();
    j.write_now(|db| {
        db.execute(
            "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE 'refused'; END $$",
            &[],
        )?;
        db.execute(
            "CREATE TRIGGER refuse_customers BEFORE INSERT ON token_customers FOR EACH ROW EXECUTE FUNCTION refuse()",
            &[],
        )
        .map(drop)
    })
    .unwrap();
    let id =
        rt.block_on(j.commit_async(Journal::order_intent_write(&order("TRAIL-1"), Some(t(-10))).unwrap()));
    let id = id.unwrap().unwrap();
    let token = TokenRecord {
        profile: "main".into(),
        token_name: "tok_refused".into(),
        masked_card: Some("400555******0001".into()),
        expiry: None,
        brand: None,
        holder_name: None,
        customers: vec![TokenCustomer::new(None, Some("sara@example.com"), None)],
        status: "ACTIVE".into(),
    };
    let outcome =
        Journal::outcome_write(id, &approved(), &captured()).unwrap().remembering_token(Some(&token));
    let order = rt.block_on(j.commit_async(outcome)).unwrap().expect("the order read back");
    assert_eq!(order.state, OrderState::Captured);
    assert_eq!(j.operation(id).unwrap().unwrap().state, OpState::Approved);
    assert_eq!(j.token("main", "tok_refused").unwrap(), None, "the refresh is one statement: none of it");
}

/// A task connection the server ended (a restart, an administrator) is let go, and the next
/// write goes out on a new one.
#[test]
fn a_task_connection_the_server_closed_is_replaced() {
    let j = Journal::open_team(&fresh_team_database()).unwrap();
    let rt = runtime();
    let intent = |reference: &str, minor| {
        Journal::order_intent_write(&NewOrder { amount: aed(minor), ..order(reference) }, Some(t(-10)))
            .unwrap()
    };
    rt.block_on(j.commit_async(intent("GONE-1", 1001))).unwrap().unwrap();
    let ended: i64 = j
        .write_now(|db| {
            db.query_one(
                "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                 WHERE datname = current_database() AND pid <> pg_backend_pid()) AS ended",
                &[],
                |r| r.get(0),
            )
        })
        .unwrap();
    assert!(ended >= 1, "the task connection was ended");
    let deadline = Instant::now() + Duration::from_secs(5);
    while pool(&j).task_connections() > 0 {
        assert!(Instant::now() < deadline, "the ended connection was noticed");
        // The runtime's workers run the connection's task meanwhile.
        std::thread::sleep(Duration::from_millis(10));
    }
    let id = rt.block_on(j.commit_async(intent("GONE-2", 1002))).unwrap().unwrap();
    assert_eq!(j.operation(id).unwrap().unwrap().state, OpState::Intent);
}

/// Many tasks writing at once on a journal with no task connection yet open at most as many
/// as the pool's sessions: the others wait for the first to open, and share them.
#[test]
fn tasks_starting_together_open_no_more_task_connections_than_the_limit() {
    let j = Arc::new(Journal::open_team(&fresh_team_database()).unwrap());
    let rt = runtime();
    rt.block_on(async {
        let tasks: Vec<_> = (0..32u64)
            .map(|i| {
                let j = Arc::clone(&j);
                tokio::spawn(async move {
                    let new = NewOrder { amount: aed(2_000 + i), ..order(&format!("MANY-{i}")) };
                    j.commit_async(Journal::order_intent_write(&new, Some(t(-10))).unwrap()).await
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap().unwrap().unwrap();
        }
    });
    let open = pool(&j).task_connections();
    assert!((1..=crate::journal::db::pg::MAX_SESSIONS).contains(&open), "{open} task connections");
    assert_eq!(j.search(&Filter::default()).unwrap().len(), 32);
}

/// An outcome for an operation already finished changes nothing; the journal is then asked
/// why, and says so, from a task as from a thread.
#[test]
fn a_task_outcome_for_a_finished_operation_says_so() {
    let j = Journal::open_team(&fresh_team_database()).unwrap();
    let rt = runtime();
    let id =
        rt.block_on(j.commit_async(Journal::order_intent_write(&order("TWICE-1"), Some(t(-10))).unwrap()));
    let id = id.unwrap().unwrap();
    let outcome = || Journal::outcome_write(id, &approved(), &captured()).unwrap();
    rt.block_on(j.commit_async(outcome())).unwrap();
    let again = rt.block_on(j.commit_async(outcome())).unwrap_err();
    assert!(matches!(again, JournalError::OperationAlreadyFinished { .. }), "{again}");
}
