//! Prepared writes committed from async code: straight to the group writer, answered only
//! after their commit, and an outcome that brings the order and the token book back with it.

use super::group::{stall, wait_until_queued};
use super::*;
use std::time::Duration;

/// As the application's: on the team journal, its tasks' writes go out on task connections
/// (`db::pg_task`); `#[tokio::test]`'s single-threaded runtimes elsewhere take the blocking way.
fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap()
}

fn token_record(name: &str, masked: &str) -> TokenRecord {
    TokenRecord {
        profile: "main".into(),
        token_name: name.into(),
        masked_card: Some(masked.into()),
        expiry: Some("2705".into()),
        brand: Some("VISA".into()),
        holder_name: None,
        customers: vec![TokenCustomer::new(None, Some("sara@example.com"), Some("+971 50 123 4567"))],
        status: "ACTIVE".into(),
    }
}

#[test]
fn an_async_intent_is_answered_only_after_its_commit() {
    let j = Arc::new(journal());
    let (release, stalled) = stall(&j);
    let write = Journal::order_intent_write(&order("ASYNC-1"), None).unwrap();
    // Queued when the future is made, before anyone polls it.
    let mut pending = Box::pin(j.commit_async(write));
    wait_until_queued(&j, 1);
    let rt = runtime();
    let early = rt.block_on(async { tokio::time::timeout(Duration::from_millis(200), &mut pending).await });
    assert!(early.is_err(), "answered before its commit: {early:?}");
    assert!(j.order("main", "ASYNC-1").unwrap().is_none(), "not committed yet");
    release.send(()).unwrap();
    stalled.join().unwrap();
    let id = rt.block_on(pending).unwrap().unwrap();
    assert_eq!(j.operation(id).unwrap().unwrap().state, OpState::Intent);
    assert!(j.order("main", "ASYNC-1").unwrap().is_some());
}

on_both! {
fn an_async_intent_keeps_the_duplicate_guard_and_the_reference_check() {
    let j = journal();
    let rt = runtime();
    let mut first = order("GUARD-1");
    first.created_at = t(0);
    rt.block_on(j.commit_async(Journal::order_intent_write(&first, None).unwrap())).unwrap().unwrap();
    let mut same_card_again = order("GUARD-2");
    same_card_again.created_at = t(1);
    let guarded = Journal::order_intent_write(&same_card_again, Some(t(-10))).unwrap();
    let existing = rt.block_on(j.commit_async(guarded)).unwrap().unwrap_err();
    assert_eq!(existing.merchant_reference, "GUARD-1");
    let taken = Journal::order_intent_write(&first, None).unwrap();
    let err = rt.block_on(j.commit_async(taken)).unwrap_err();
    assert!(matches!(err, JournalError::DuplicateReference { .. }), "{err}");
    assert!(Journal::order_intent_write(&order(""), None).is_err(), "checked before anything is queued");
}
}

#[test]
fn an_outcome_returns_the_order_and_remembers_the_token_in_one_commit() {
    let j = journal();
    let rt = runtime();
    let id = j.record_order_intent(&order("OUT-1")).unwrap();
    let before = j.group_stats().unwrap();
    let update = OrderUpdate {
        state: Some(OrderState::Captured),
        captured_minor: Some(1250),
        fort_id: Some("169996200012345680".into()),
        ..OrderUpdate::default()
    };
    let token = token_record("tok_new", "400555******0001");
    let write = Journal::outcome_write(id, &result(OpState::Approved, "14000"), &update)
        .unwrap()
        .remembering_token(Some(&token));
    let order = rt.block_on(j.commit_async(write)).unwrap().expect("the order read back");
    assert_eq!(order.state, OrderState::Captured);
    assert_eq!(order.captured_minor, 1250);
    assert_eq!(order.fort_id.as_deref(), Some("169996200012345680"));
    let mut book = j.token("main", "tok_new").unwrap().expect("the token remembered");
    assert!(book.customers.iter().all(|c| c.last_seen.is_some()), "when each customer was seen");
    book.customers.iter_mut().for_each(|c| c.last_seen = None);
    assert_eq!(book, token);
    assert_eq!(j.group_stats().unwrap().since(&before).commits, 1, "outcome and token book together");
}

on_both! {
fn an_outcome_without_a_customer_in_the_answer_gives_the_token_the_orders() {
    let j = journal();
    let rt = runtime();
    let mut new_order = order("OUT-3");
    new_order.customer_email = Some("Omar@Example.com".into());
    new_order.customer_name = Some("Omar Khalil".into());
    let id = j.record_order_intent(&new_order).unwrap();
    let update = OrderUpdate { state: Some(OrderState::Captured), ..OrderUpdate::default() };
    let mut token = token_record("tok_omar", "400555******0001");
    token.customers.clear();
    let write = Journal::outcome_write(id, &result(OpState::Approved, "14000"), &update)
        .unwrap()
        .remembering_token(Some(&token));
    rt.block_on(j.commit_async(write)).unwrap();
    let book = j.token("main", "tok_omar").unwrap().unwrap();
    let seen: Vec<_> = book.customers.iter().map(|c| (c.name.as_deref(), c.email.as_deref())).collect();
    assert_eq!(seen, [(Some("Omar Khalil"), Some("Omar@Example.com"))]);
    assert_eq!(j.tokens("main", "omar@example").unwrap().len(), 1);
}
}

on_both! {
fn a_token_the_book_cannot_take_leaves_the_outcome_recorded() {
    let j = journal();
    let rt = runtime();
    let id = j.record_order_intent(&order("OUT-2")).unwrap();
    // A masked card that shows too much is refused by the token book, not by the outcome.
    let bad = token_record("tok_bad", "4005550000000001");
    let update = OrderUpdate { state: Some(OrderState::Captured), ..OrderUpdate::default() };
    let write = Journal::outcome_write(id, &result(OpState::Approved, "14000"), &update)
        .unwrap()
        .remembering_token(Some(&bad));
    assert_eq!(rt.block_on(j.commit_async(write)).unwrap().map(|o| o.state), Some(OrderState::Captured));
    assert_eq!(j.operation(id).unwrap().unwrap().state, OpState::Approved);
    assert_eq!(j.token("main", "tok_bad").unwrap(), None);
}
}

on_both! {
/// The token book's write failing as it runs (here a trigger refuses its customers) costs
/// the outcome nothing: the operation and the order are recorded, on both backends.
fn a_token_book_write_that_fails_as_it_runs_leaves_the_outcome_recorded() {
    let j = journal();
    let rt = runtime();
    let refuse = if j.is_team() {
        "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE 'refused'; END $$;
         CREATE TRIGGER refuse_customers BEFORE INSERT ON token_customers
             FOR EACH ROW EXECUTE FUNCTION refuse()"
    } else {
        "CREATE TRIGGER refuse_customers BEFORE INSERT ON token_customers
             BEGIN SELECT RAISE(ABORT, 'refused'); END"
    };
    for statement in refuse.split(";\n") {
        j.write_now(|db| db.execute(statement, &[]).map(drop)).unwrap();
    }
    let id = j.record_order_intent(&order("OUT-4")).unwrap();
    let update = OrderUpdate { state: Some(OrderState::Captured), ..OrderUpdate::default() };
    let write = Journal::outcome_write(id, &result(OpState::Approved, "14000"), &update)
        .unwrap()
        .remembering_token(Some(&token_record("tok_refused", "400555******0001")));
    let order = rt.block_on(j.commit_async(write)).unwrap().expect("the order read back");
    assert_eq!(order.state, OrderState::Captured);
    assert_eq!(j.operation(id).unwrap().unwrap().state, OpState::Approved);
    let book = j.token("main", "tok_refused").unwrap();
    assert!(book.as_ref().is_none_or(|t| t.customers.is_empty()), "no customer was remembered: {book:?}");
}
}

on_both! {
/// An order this version cannot read back (a currency it does not know, say) still has its
/// outcome recorded, alone and with the token book: the answer is only missing the order.
fn an_outcome_is_recorded_when_its_order_cannot_be_read_back() {
    let j = journal();
    let rt = runtime();
    let update = OrderUpdate { state: Some(OrderState::Captured), ..OrderUpdate::default() };
    for (reference, token) in [("UNREAD-1", None), ("UNREAD-2", Some(token_record("tok_un", "400555******0001")))] {
        let id = j.record_order_intent(&order(reference)).unwrap();
        let unreadable = format!("UPDATE orders SET currency = 'XQQ' WHERE merchant_reference = '{reference}'");
        j.write_now(|db| db.execute(&unreadable, &[]).map(drop)).unwrap();
        let write = Journal::outcome_write(id, &result(OpState::Approved, "14000"), &update)
            .unwrap()
            .remembering_token(token.as_ref());
        assert!(rt.block_on(j.commit_async(write)).unwrap().is_none(), "{reference}");
        assert_eq!(j.operation(id).unwrap().unwrap().state, OpState::Approved, "{reference}");
    }
}
}

on_both! {
/// The keys an update brings replace those of the same name and keep the others; a value that
/// is not text is refused (the statement's merge is a replacement of keys only for text); and
/// an update without keys leaves the stored details unread, so an order whose details cannot
/// be read still has its outcome recorded.
fn extra_keys_replace_their_namesakes_and_an_outcome_without_keys_leaves_them_unread() {
    let j = journal();
    let keys = |pairs: &[(&str, serde_json::Value)]| OrderUpdate {
        extra: Some(pairs.iter().map(|(k, v)| ((*k).to_owned(), v.clone())).collect()),
        ..OrderUpdate::default()
    };
    let first = j.record_order_intent(&order("EXTRA-A")).unwrap();
    j.record_outcome(first, &result(OpState::Approved, "14000"), &keys(&[("slip", "MO-1".into()), ("code", "A".into())]))
        .unwrap();
    j.update_order("main", "EXTRA-A", &keys(&[("code", "B".into())])).unwrap();
    let extra = j.order("main", "EXTRA-A").unwrap().unwrap().extra;
    assert_eq!(extra.get("code"), Some(&"B".into()), "replaced");
    assert_eq!(extra.get("slip"), Some(&"MO-1".into()), "kept");
    for value in [serde_json::Value::Null, serde_json::json!({"nested": "x"}), serde_json::json!(5)] {
        let refused = j.update_order("main", "EXTRA-A", &keys(&[("code", value.clone())]));
        assert!(refused.is_err(), "{value} refused");
    }
    assert_eq!(j.order("main", "EXTRA-A").unwrap().unwrap().extra.get("code"), Some(&"B".into()));

    let id = j.record_order_intent(&order("EXTRA-B")).unwrap();
    j.write_now(|db| db.execute("UPDATE orders SET extra = 'not json' WHERE merchant_reference = 'EXTRA-B'", &[]))
        .unwrap();
    let update = OrderUpdate { state: Some(OrderState::Captured), ..OrderUpdate::default() };
    j.record_outcome(id, &result(OpState::Approved, "14000"), &update).unwrap();
    assert_eq!(j.operation(id).unwrap().unwrap().state, OpState::Approved);
}
}

on_both! {
/// Many tasks of a multi-threaded runtime (as the desktop and the command line run the
/// service) commit intents and outcomes at once: each is recorded, and a write that blocks its
/// thread (the team journal's) does not hold up the runtime's other tasks meanwhile.
fn writes_from_a_multi_threaded_runtime_are_each_recorded_and_block_no_other_task() {
    let j = Arc::new(journal());
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let ticks = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    rt.block_on(async {
        let ticker = {
            let ticks = Arc::clone(&ticks);
            tokio::spawn(async move {
                loop {
                    ticks.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    tokio::time::sleep(Duration::from_millis(1)).await;
                }
            })
        };
        let tasks: Vec<_> = (0..16)
            .map(|t| {
                let j = Arc::clone(&j);
                tokio::spawn(async move {
                    for i in 0..5 {
                        let new = order(&format!("MT-{t}-{i}"));
                        let id = j.commit_async(Journal::order_intent_write(&new, None).unwrap()).await;
                        let id = id.unwrap().unwrap();
                        let update = OrderUpdate { state: Some(OrderState::Captured), ..OrderUpdate::default() };
                        let write = Journal::outcome_write(id, &result(OpState::Approved, "14000"), &update);
                        j.commit_async(write.unwrap()).await.unwrap();
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
        ticker.abort();
    });
    for t in 0..16 {
        for i in 0..5 {
            let order = j.order("main", &format!("MT-{t}-{i}")).unwrap().unwrap();
            assert_eq!(order.state, OrderState::Captured, "MT-{t}-{i}");
        }
    }
    assert!(ticks.load(std::sync::atomic::Ordering::Relaxed) > 1, "the other task ran meanwhile");
    // A write that panics is an error for its caller, and the runtime goes on.
    let bug = Write::new(crate::journal::group::Durability::Synced, |_| -> Result<(), JournalError> {
        panic!("a bug")
    });
    let panicked = rt.block_on(async { tokio::spawn(j.commit_async(bug)).await });
    assert!(matches!(panicked, Ok(Err(JournalError::Internal(_)))), "{panicked:?}");
    let after = rt.block_on(j.commit_async(Journal::order_intent_write(&order("MT-after"), None).unwrap()));
    assert!(after.unwrap().is_ok());
}
}

#[test]
fn a_journal_in_memory_commits_prepared_writes_too() {
    let j = Journal::open_in_memory().unwrap();
    let rt = runtime();
    let id = rt.block_on(j.commit_async(Journal::order_intent_write(&order("MEM-1"), None).unwrap()));
    let id = id.unwrap().unwrap();
    let update = OrderUpdate { state: Some(OrderState::Declined), ..OrderUpdate::default() };
    let write = Journal::outcome_write(id, &result(OpState::Declined, "14060"), &update).unwrap();
    assert_eq!(rt.block_on(j.commit_async(write)).unwrap().map(|o| o.state), Some(OrderState::Declined));
}

on_both! {
/// A refresh writes the token's row only when the record tells the book something new: its
/// status, or a masked card or expiry that differs (a field the record leaves out keeps the
/// book's value and changes nothing).
fn a_refresh_writes_the_token_only_when_the_record_tells_something_new() {
    let j = journal();
    let first = token_record("tok_ref", "400555******0001");
    j.refresh_token(&first).unwrap();
    let book = |j: &Journal| j.token("main", "tok_ref").unwrap().expect("in the book");
    assert_eq!(book(&j).expiry.as_deref(), Some("2705"), "a token the book lacks is added");
    // Brand and holder alone are not news: the row is left as it is.
    j.refresh_token(&TokenRecord { brand: Some("MASTERCARD".into()), ..first.clone() }).unwrap();
    assert_eq!(book(&j).brand.as_deref(), Some("VISA"));
    for (change, check) in [
        (TokenRecord { expiry: Some("2812".into()), ..first.clone() }, "expiry"),
        (TokenRecord { masked_card: Some("400555******0002".into()), ..first.clone() }, "masked card"),
        (TokenRecord { status: "INACTIVE".into(), ..first.clone() }, "status"),
    ] {
        // The brand rides along, so the test sees whether the row was written.
        let change = TokenRecord { brand: Some(format!("BRAND {check}")), ..change };
        j.refresh_token(&change).unwrap();
        let now = book(&j);
        assert_eq!(now.brand, change.brand, "{check}: written");
        assert_eq!((now.expiry, now.masked_card, now.status), (change.expiry, change.masked_card, change.status));
    }
    // Left out, masked card and expiry keep the book's values and are no news.
    let (status, brand) = ("INACTIVE".to_owned(), Some("X".to_owned()));
    j.refresh_token(&TokenRecord { masked_card: None, expiry: None, brand, status, ..first.clone() }).unwrap();
    let kept = book(&j);
    assert_eq!((kept.brand.as_deref(), kept.expiry.as_deref()), (Some("BRAND status"), Some("2705")));
}
}
