//! Writes that ride together on the team journal when every connection is busy (`pg_ride`):
//! each keeps its own transaction, its own answer and its own failure.

use super::*;
use crate::journal::db::Value;
use crate::journal::db::pg::{MAX_SESSIONS, Pool};
use crate::journal::group::Durability;
use std::time::{Duration, Instant};

fn pool(j: &Journal) -> &Arc<Pool> {
    match &j.backend {
        Backend::Team(pool) => pool,
        Backend::Lite(_) => panic!("a team journal was opened"),
    }
}

/// Every connection of `j`'s pool, held.
fn hold_all(j: &Journal) -> Vec<super::super::backend::Held<'_>> {
    (0..MAX_SESSIONS).map(|_| j.hold().unwrap()).collect()
}

/// Runs `work` on `n` threads, one after another once the one before has queued its first
/// write to ride: the queue's order is theirs.
fn queue<T: Send + 'static>(
    j: &Arc<Journal>,
    n: usize,
    work: impl Fn(&Journal, usize) -> T + Send + Sync + 'static,
) -> Vec<std::thread::JoinHandle<T>> {
    let work = Arc::new(work);
    let before = pool(j).queued_rides();
    (0..n)
        .map(|i| {
            let (journal, work) = (Arc::clone(j), Arc::clone(&work));
            let thread = std::thread::spawn(move || work(&journal, i));
            let deadline = Instant::now() + Duration::from_secs(10);
            while pool(j).queued_rides() < before + i + 1 {
                assert!(Instant::now() < deadline, "write {i} queued to ride");
                std::thread::sleep(Duration::from_millis(2));
            }
            thread
        })
        .collect()
}

/// Holds every connection, queues `n` writes, lets one connection go (the first write queued
/// is given it, to send them all), and the rest once all are answered.
fn ride<T: Send + 'static>(
    j: &Arc<Journal>,
    n: usize,
    work: impl Fn(&Journal, usize) -> T + Send + Sync + 'static,
) -> Vec<T> {
    let mut held = hold_all(j);
    let threads = queue(j, n, work);
    held.pop();
    let answers = threads.into_iter().map(|t| t.join().unwrap()).collect();
    drop(held);
    answers
}

#[test]
fn intents_queued_while_every_connection_is_busy_ride_together_each_in_its_own_transaction() {
    let j = Arc::new(Journal::open_team(&fresh_team_database()).unwrap());
    j.record_order_intent(&order("TAKEN-1")).unwrap();
    let before = pool(&j).rides();
    // A reference already taken, queued second: the writes before and after it are kept. Two
    // calls on one card for the same amount: the second is shown the first. The rest on
    // tokens of their own. All sent in one round trip, in the order queued.
    let answers = ride(&j, 14, |j, i| {
        let order = match i {
            1 => NewOrder { method: token("tok_other"), ..order("TAKEN-1") },
            2 | 3 => NewOrder { method: card(), ..order(&format!("RIDE-{i}")) },
            _ => NewOrder { method: token(&format!("tok_ride_{i}")), ..order(&format!("RIDE-{i}")) },
        };
        j.record_order_intent_guarded(&order, Some(t(-10)))
            .map(|a| a.map_err(|shown| shown.merchant_reference))
    });
    let rides = pool(&j).rides();
    assert_eq!((rides.0 - before.0, rides.1 - before.1), (13, 1), "all rode on the first one's round trip");
    for i in (0..14).filter(|i| ![1, 3].contains(i)) {
        let id = answers[i].as_ref().unwrap().as_ref().unwrap_or_else(|shown| panic!("{i}: shown {shown}"));
        assert_eq!(j.operation(*id).unwrap().unwrap().merchant_reference, format!("RIDE-{i}"));
    }
    let taken = answers[1].as_ref().unwrap_err();
    assert!(matches!(taken, JournalError::DuplicateReference { .. }), "{taken:?}");
    let first = j.order("main", "TAKEN-1").unwrap().unwrap();
    assert_eq!((first.amount_minor, first.state), (1250, OrderState::Pending), "the first one stands");
    assert_eq!(answers[3].as_ref().unwrap().as_ref().unwrap_err(), "RIDE-2", "the same card is shown");
    assert!(j.order("main", "RIDE-3").unwrap().is_none());
}

/// A ride takes its guard's lock: while another desk holds the card's lock, the card's intent
/// waits, and the writes queued behind it on the same round trip wait with it.
#[test]
fn a_ride_waits_for_its_guard_lock() {
    let url = fresh_team_database();
    let j = Arc::new(Journal::open_team(&url).unwrap());
    let (unlock, lock_holder) = super::team::hold_card_guard(&url);
    let mut held = hold_all(&j);
    let threads = queue(&j, 2, |j, i| {
        let method = if i == 0 { card() } else { token("tok_behind") };
        j.record_order_intent_guarded(&NewOrder { method, ..order(&format!("LOCKED-{i}")) }, Some(t(-10)))
    });
    held.pop();
    std::thread::sleep(Duration::from_millis(300));
    assert!(threads.iter().all(|t| !t.is_finished()), "both wait for the card's lock");
    unlock.send(()).unwrap();
    lock_holder.join().unwrap();
    for thread in threads {
        thread.join().unwrap().unwrap().unwrap();
    }
}

/// Connections the server closed while sessions held them (a restart) are not used to carry
/// the writes queued behind them: the carrier opens another.
#[test]
fn rides_given_a_connection_the_server_closed_open_another() {
    let url = fresh_team_database();
    let j = Arc::new(Journal::open_team(&url).unwrap());
    let mut held = hold_all(&j);
    let threads = queue(&j, 3, |j, i| j.record_order_intent(&order(&format!("AFTER-CUT-{i}"))));
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let admin = postgres::connect(&url).await.unwrap();
        let others = "FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()";
        admin.batch_execute(&format!("SELECT pg_terminate_backend(pid) {others}")).await.unwrap();
        while admin.query_one(&format!("SELECT count(*) {others}"), &[]).await.unwrap().get::<_, i64>(0) > 0 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    });
    held.pop();
    for (i, thread) in threads.into_iter().enumerate() {
        thread.join().unwrap().unwrap_or_else(|e| panic!("{i}: {e}"));
    }
    drop(held);
}

#[test]
fn outcomes_ride_together_and_a_refused_one_fails_alone() {
    let j = Arc::new(Journal::open_team(&fresh_team_database()).unwrap());
    let ids: Vec<OpId> =
        (0..6).map(|i| j.record_order_intent(&order(&format!("OUT-{i}"))).unwrap()).collect();
    // The last one is finished already: its outcome is refused; the others' are kept.
    j.finish_operation(ids[5], &result(OpState::Declined, "14000")).unwrap();
    let before = pool(&j).rides().0;
    let answers = ride(&j, 6, move |j, i| {
        let update = OrderUpdate { state: Some(OrderState::Captured), ..OrderUpdate::default() };
        j.record_outcome(ids[i], &result(OpState::Approved, "14000"), &update)
    });
    assert_eq!(pool(&j).rides().0 - before, 5, "the outcomes rode on the first one's round trip");
    for (i, answer) in answers[..5].iter().enumerate() {
        answer.as_ref().unwrap_or_else(|e| panic!("{i}: {e}"));
        assert_eq!(j.order("main", &format!("OUT-{i}")).unwrap().unwrap().state, OrderState::Captured);
    }
    assert!(matches!(answers[5], Err(JournalError::OperationAlreadyFinished { .. })), "{:?}", answers[5]);
}

/// A write of more than one round trip (one that reads before it writes) does not ride: it
/// waits for a connection of its own, and gets one.
#[test]
fn a_write_of_several_round_trips_waits_for_a_connection_of_its_own() {
    let j = Arc::new(Journal::open_team(&fresh_team_database()).unwrap());
    j.record_order_intent(&order("READ-1")).unwrap();
    let held: Vec<_> = (0..MAX_SESSIONS).map(|_| j.hold().unwrap()).collect();
    let writer = {
        let j = Arc::clone(&j);
        std::thread::spawn(move || {
            j.write_ending(Durability::Committed, true, |db| {
                let id: i64 =
                    db.query_one("SELECT id FROM orders WHERE merchant_reference = 'READ-1'", &[], |r| {
                        r.get(0)
                    })?;
                db.execute("UPDATE orders SET last_message = 'read first' WHERE id = ?1", &[Value::Int(id)])
            })
        })
    };
    std::thread::sleep(Duration::from_millis(200));
    assert!(!writer.is_finished(), "it waits while every connection is held");
    assert_eq!(pool(&j).queued_rides(), 0, "it does not ride");
    drop(held);
    assert_eq!(writer.join().unwrap().unwrap(), 1);
    let row = j.order("main", "READ-1").unwrap().unwrap();
    assert_eq!(row.last_message.as_deref(), Some("read first"));
}

/// An outcome that merges keys into the order's extra object is one statement like any other
/// outcome: it rides, and keeps the keys the order had.
#[test]
fn an_outcome_with_extra_keys_rides_and_merges_them() {
    let j = Arc::new(Journal::open_team(&fresh_team_database()).unwrap());
    let mut first = order("EXTRA-1");
    first.extra.insert("slip".into(), "MO-77".into());
    let id = j.record_order_intent(&first).unwrap();
    let before = pool(&j).rides().0;
    let answers = ride(&j, 2, move |j, i| {
        if i == 0 {
            return j.record_order_intent(&order("EXTRA-2")).map(drop);
        }
        let extra = Extra::from_iter([("authorization_code".to_owned(), "A1B2".into())]);
        let update = OrderUpdate { extra: Some(extra), ..OrderUpdate::default() };
        j.record_outcome(id, &result(OpState::Approved, "14000"), &update)
    });
    assert!(answers.iter().all(Result::is_ok), "{answers:?}");
    assert_eq!(pool(&j).rides().0 - before, 1, "the outcome rode on the intent's round trip");
    let row = j.order("main", "EXTRA-1").unwrap().unwrap();
    assert_eq!(row.extra.get("authorization_code").and_then(|v| v.as_str()), Some("A1B2"));
    assert_eq!(row.extra.get("slip").and_then(|v| v.as_str()), Some("MO-77"), "merged, not replaced");
}

/// An outcome that also brings the token book up to date is still the one statement that
/// rides; the book follows in a transaction of its own (one round trip, no read first), with
/// the token and the order's customer.
#[test]
fn an_outcome_remembering_a_token_rides_and_the_book_follows_in_its_own_transaction() {
    let j = Arc::new(Journal::open_team(&fresh_team_database()).unwrap());
    let id = j.record_order_intent(&order("BOOK-1")).unwrap();
    let before = pool(&j).rides().0;
    let answers = ride(&j, 2, move |j, i| {
        if i == 0 {
            return j.record_order_intent(&order("BOOK-2")).map(drop);
        }
        let token = TokenRecord {
            profile: "main".into(),
            token_name: "tok_book".into(),
            masked_card: Some("400555******0001".into()),
            expiry: Some("2705".into()),
            brand: None,
            holder_name: None,
            customers: Vec::new(),
            status: "ACTIVE".into(),
        };
        let update = OrderUpdate { state: Some(OrderState::Captured), ..OrderUpdate::default() };
        let write = Journal::outcome_write(id, &result(OpState::Approved, "14000"), &update)
            .unwrap()
            .remembering_token(Some(&token));
        j.commit(write).map(drop)
    });
    assert!(answers.iter().all(Result::is_ok), "{answers:?}");
    assert_eq!(pool(&j).rides().0 - before, 1, "the outcome rode on the intent's round trip");
    assert_eq!(j.order("main", "BOOK-1").unwrap().unwrap().state, OrderState::Captured);
    let book = j.token("main", "tok_book").unwrap().expect("the book has the token");
    assert_eq!(book.masked_card.as_deref(), Some("400555******0001"));
    let emails: Vec<_> = book.customers.iter().filter_map(|c| c.email.as_deref()).collect();
    assert_eq!(emails, ["fatima@example.com"], "the order's customer");
}
