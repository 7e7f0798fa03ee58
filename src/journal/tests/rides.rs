//! Writes that ride together on the team journal when every connection is busy (`pg_ride`):
//! each keeps its own transaction, its own answer and its own failure.

use super::*;
use crate::journal::db::pg::{MAX_SESSIONS, Pool};
use std::time::{Duration, Instant};

fn pool(j: &Journal) -> &Arc<Pool> {
    match &j.backend {
        Backend::Team(pool) => pool,
        Backend::Lite(_) => panic!("a team journal was opened"),
    }
}

/// Holds every connection of `j`'s pool, runs `work` on `n` threads (each to its first write,
/// which queues to ride), waits until all `n` are queued, then lets one connection go (which
/// the first write queued is given, to send them all), and the rest once all are answered.
fn ride<T: Send + 'static>(
    j: &Arc<Journal>,
    n: usize,
    work: impl Fn(&Journal, usize) -> T + Send + Sync + 'static,
) -> Vec<T> {
    let mut held: Vec<_> = (0..MAX_SESSIONS).map(|_| j.hold().unwrap()).collect();
    let work = Arc::new(work);
    let threads: Vec<_> = (0..n)
        .map(|i| {
            let (j, work) = (Arc::clone(j), Arc::clone(&work));
            std::thread::spawn(move || work(&j, i))
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(10);
    while pool(j).queued_rides() < n {
        assert!(Instant::now() < deadline, "{} of {n} writes queued to ride", pool(j).queued_rides());
        std::thread::sleep(Duration::from_millis(5));
    }
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
    // Ten tokens of their own, two calls on one card for the same amount, and a reference
    // already taken: all queued at once, and sent in one round trip.
    let answers = ride(&j, 13, |j, i| {
        let order = match i {
            0..10 => NewOrder { method: token(&format!("tok_ride_{i}")), ..order(&format!("RIDE-{i}")) },
            10 | 11 => NewOrder { method: card(), ..order(&format!("RIDE-{i}")) },
            _ => NewOrder { method: token("tok_other"), ..order("TAKEN-1") },
        };
        j.record_order_intent_guarded(&order, Some(t(-10)))
            .map(|a| a.map_err(|shown| shown.merchant_reference))
    });
    let rides = pool(&j).rides();
    assert_eq!((rides.0 - before.0, rides.1 - before.1), (12, 1), "all rode on the first one's round trip");
    for (i, answer) in answers[..10].iter().enumerate() {
        let id = answer.as_ref().unwrap().as_ref().unwrap_or_else(|shown| panic!("{i}: shown {shown}"));
        assert_eq!(j.operation(*id).unwrap().unwrap().merchant_reference, format!("RIDE-{i}"));
    }
    let card_calls: Vec<_> = answers[10..12].iter().map(|a| a.as_ref().unwrap().clone()).collect();
    assert_eq!(
        card_calls.iter().filter(|a| a.is_ok()).count(),
        1,
        "one card call is recorded: {card_calls:?}"
    );
    let shown = card_calls.iter().find_map(|a| a.as_ref().err()).unwrap();
    assert!(shown == "RIDE-10" || shown == "RIDE-11", "the other is shown it: {shown}");
    let taken = answers[12].as_ref().unwrap_err();
    assert!(matches!(taken, JournalError::DuplicateReference { .. }), "{taken:?}");
    let first = j.order("main", "TAKEN-1").unwrap().unwrap();
    assert_eq!((first.amount_minor, first.state), (1250, OrderState::Pending), "the first one stands");
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

/// A write of more than one round trip (an outcome that also merges keys into the order's
/// extra object) does not ride: it waits for a connection of its own, and gets one.
#[test]
fn a_write_of_several_round_trips_waits_for_a_connection_of_its_own() {
    let j = Arc::new(Journal::open_team(&fresh_team_database()).unwrap());
    let id = j.record_order_intent(&order("EXTRA-1")).unwrap();
    let held: Vec<_> = (0..MAX_SESSIONS).map(|_| j.hold().unwrap()).collect();
    let writer = {
        let j = Arc::clone(&j);
        std::thread::spawn(move || {
            let mut extra = Extra::new();
            extra.insert("link_id".into(), "L-9".into());
            let update = OrderUpdate { extra: Some(extra), ..OrderUpdate::default() };
            j.record_outcome(id, &result(OpState::Approved, "14000"), &update)
        })
    };
    std::thread::sleep(Duration::from_millis(200));
    assert!(!writer.is_finished(), "it waits while every connection is held");
    assert_eq!(pool(&j).queued_rides(), 0, "it does not ride");
    drop(held);
    writer.join().unwrap().unwrap();
    let row = j.order("main", "EXTRA-1").unwrap().unwrap();
    assert_eq!(row.extra.get("link_id").and_then(|v| v.as_str()), Some("L-9"));
}
