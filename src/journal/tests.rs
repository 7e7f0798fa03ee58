use super::*;
use chrono::{NaiveDate, TimeZone};
use std::sync::Arc;

mod bulk;
mod group;
mod outside;
mod prepared;
mod records;
mod rides;
mod storage;
mod tasks;
mod team;
mod text_search;
mod upgrade;

use group::FileJournal;

mod both;

pub(super) use both::{fresh_team_database, journal, on_both, use_team};

fn cur(code: &str) -> Currency {
    Currency::parse(code).unwrap()
}

fn aed(minor: u64) -> Money {
    Money::from_minor(minor, cur("AED")).unwrap()
}

/// Minutes after a fixed instant, so tests never depend on the clock.
fn t(minutes: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 3, 1, 9, 0, 0).unwrap() + chrono::Duration::minutes(minutes)
}

fn fingerprint(c: char) -> CardFingerprint {
    CardFingerprint::parse(&c.to_string().repeat(64)).unwrap()
}

fn card() -> PaymentMethod {
    PaymentMethod::Card {
        masked_card: MaskedCard::parse("400555******0001").unwrap(),
        fingerprint: fingerprint('a'),
    }
}

fn token(name: &str) -> PaymentMethod {
    PaymentMethod::Token { token_name: name.into(), masked_card: None }
}

fn order(reference: &str) -> NewOrder {
    NewOrder {
        profile: "main".into(),
        merchant_reference: reference.into(),
        kind: OrderKind::Sale,
        channel: Channel::Phone,
        amount: aed(1250),
        method: token("tok_1"),
        customer_email: Some("fatima@example.com".into()),
        customer_name: Some("Fatima Al Zahra".into()),
        description: Some("2 nights".into()),
        operator: "sara".into(),
        terminal: "desk-1".into(),
        created_at: t(0),
        extra: Extra::new(),
        lease: None,
        batch_row: None,
    }
}

fn op(reference: &str, operation: Operation, amount: Option<Money>) -> NewOperation {
    NewOperation {
        profile: "main".into(),
        merchant_reference: reference.into(),
        operation,
        maintenance_reference: None,
        amount,
        operator: "sara".into(),
        at: t(5),
        note: None,
        lease: None,
        batch_row: None,
        approved_by: None,
    }
}

fn result(state: OpState, code: &str) -> OpResult {
    OpResult {
        state,
        response_code: Some(code.into()),
        response_message: Some("Success".into()),
        note: None,
        at: t(1),
    }
}

on_both! {
fn order_intent_records_pending_order_and_first_operation() {
    let j = journal();
    let id = j.record_order_intent(&order("R-1")).unwrap();
    let o = j.order("main", "R-1").unwrap().unwrap();
    assert_eq!(o.state, OrderState::Pending);
    assert_eq!((o.amount_minor, o.currency.code()), (1250, "AED"));
    assert_eq!((o.authorized_minor, o.captured_minor, o.refunded_minor), (0, 0, 0));
    assert_eq!(o.kind, OrderKind::Sale);
    assert_eq!(o.channel, Channel::Phone);
    assert_eq!(o.payment_method, "tok_1");
    assert_eq!(o.token_name.as_deref(), Some("tok_1"));
    assert_eq!(o.created_at, t(0));
    assert_eq!((o.operator.as_str(), o.terminal.as_str()), ("sara", "desk-1"));
    assert_eq!(o.needs_attention, None);
    let ops = j.timeline("main", "R-1").unwrap();
    assert_eq!(ops.len(), 1);
    assert_eq!(ops[0].id, id);
    assert_eq!(ops[0].operation, Operation::Purchase);
    assert_eq!(ops[0].state, OpState::Intent);
    assert_eq!(ops[0].amount, Some(aed(1250)));
    assert_eq!(ops[0].at, t(0));
    assert_eq!(j.operation(id).unwrap().unwrap(), ops[0]);

    let mut auth = order("R-2");
    auth.kind = OrderKind::AuthorizeOnly;
    let id = j.record_order_intent(&auth).unwrap();
    assert_eq!(j.operation(id).unwrap().unwrap().operation, Operation::Authorization);
}
}

on_both! {
fn keyed_card_order_keeps_only_masked_card_last4_and_fingerprint() {
    let j = journal();
    let mut o = order("K-1");
    o.method = card();
    j.record_order_intent(&o).unwrap();
    let row = j.order("main", "K-1").unwrap().unwrap();
    assert_eq!(row.payment_method, "400555******0001");
    assert_eq!(row.last4.as_deref(), Some("0001"));
    assert_eq!(row.card_fingerprint.as_deref(), Some("a".repeat(64).as_str()));
    assert_eq!(row.token_name, None);
    let json = serde_json::to_string(&row).unwrap();
    assert!(!json.contains(&"a".repeat(64)), "the fingerprint stays out of JSON output: {json}");
}
}

on_both! {
fn a_reference_is_used_once_per_profile() {
    let j = journal();
    j.record_order_intent(&order("R-1")).unwrap();
    let err = j.record_order_intent(&order("R-1")).unwrap_err();
    assert!(matches!(err, JournalError::DuplicateReference { .. }), "{err}");
    assert!(err.to_string().contains("\"R-1\"") && err.to_string().contains("\"main\""), "{err}");
    assert_eq!(j.timeline("main", "R-1").unwrap().len(), 1, "the refused intent left no operation");
    let mut other = order("R-1");
    other.profile = "second".into();
    j.record_order_intent(&other).unwrap();
}
}

on_both! {
fn order_intent_refuses_bad_input_and_card_numbers() {
    let j = journal();
    let cases: Vec<(NewOrder, &str)> = vec![
        (NewOrder { profile: " ".into(), ..order("A") }, "profile"),
        (NewOrder { merchant_reference: String::new(), ..order("A") }, "merchant reference"),
        (NewOrder { operator: String::new(), ..order("A") }, "operator"),
        (NewOrder { description: Some("card 4005550000000001".into()), ..order("A") }, "description"),
        (NewOrder { customer_name: Some("4005 5500 0000 0001".into()), ..order("A") }, "customer name"),
        (NewOrder { kind: OrderKind::PaymentLink, ..order("A") }, "payment method"),
        (NewOrder { kind: OrderKind::Recurring, method: card(), ..order("A") }, "payment method"),
        (NewOrder { method: PaymentMethod::Link, ..order("A") }, "payment method"),
    ];
    for (o, field) in cases {
        let err = j.record_order_intent(&o).unwrap_err();
        assert!(err.to_string().starts_with(field), "{field}: {err}");
    }
    let mut extra = order("A");
    extra.extra.insert("slip".into(), "4005550000000001".into());
    assert!(matches!(j.record_order_intent(&extra), Err(JournalError::LooksLikeCardNumber { .. })));
    assert_eq!(j.count(&Filter::default()).unwrap(), 0, "nothing was written");
}
}

on_both! {
fn payment_link_and_recurring_orders() {
    let j = journal();
    let mut link = order("L-1");
    link.kind = OrderKind::PaymentLink;
    link.method = PaymentMethod::Link;
    let id = j.record_order_intent(&link).unwrap();
    assert_eq!(j.operation(id).unwrap().unwrap().operation, Operation::PaymentLink);
    assert_eq!(j.order("main", "L-1").unwrap().unwrap().payment_method, "payment link");
    let mut rec = order("REC-1");
    rec.kind = OrderKind::Recurring;
    rec.channel = Channel::Recurring;
    rec.extra.insert("agreement_id".into(), "AG-1".into());
    j.record_order_intent(&rec).unwrap();
    let row = j.order("main", "REC-1").unwrap().unwrap();
    assert_eq!(row.extra.get("agreement_id").and_then(|v| v.as_str()), Some("AG-1"));
}
}

on_both! {
fn operation_intents_need_an_order_except_token_and_status_queries() {
    let j = journal();
    j.record_order_intent(&order("R-1")).unwrap();
    let capture = j.record_operation_intent(&op("R-1", Operation::Capture, Some(aed(500)))).unwrap();
    let row = j.operation(capture).unwrap().unwrap();
    assert_eq!((row.operation, row.state, row.amount), (Operation::Capture, OpState::Intent, Some(aed(500))));

    let err = j.record_operation_intent(&op("NOPE", Operation::Refund, Some(aed(1)))).unwrap_err();
    assert!(matches!(err, JournalError::OrderNotFound { .. }), "{err}");
    for orderless in [Operation::CreateToken, Operation::UpdateToken, Operation::CheckStatus] {
        j.record_operation_intent(&op("TOK-9", orderless, None)).unwrap();
    }
    assert_eq!(j.timeline("main", "TOK-9").unwrap().len(), 3);

    let usd = Money::from_minor(500, cur("USD")).unwrap();
    let err = j.record_operation_intent(&op("R-1", Operation::Refund, Some(usd))).unwrap_err();
    assert!(matches!(err, JournalError::CurrencyMismatch { .. }), "{err}");
    assert!(err.to_string().contains("USD") && err.to_string().contains("AED"), "{err}");

    let mut noted = op("R-1", Operation::Refund, Some(aed(1)));
    noted.note = Some("customer read 4005550000000001 aloud".into());
    assert!(matches!(
        j.record_operation_intent(&noted),
        Err(JournalError::LooksLikeCardNumber { field: "note" })
    ));
}
}

on_both! {
fn finishing_an_operation_is_done_once() {
    let j = journal();
    let id = j.record_order_intent(&order("R-1")).unwrap();
    let err = j.finish_operation(id, &result(OpState::Intent, "")).unwrap_err();
    assert!(matches!(err, JournalError::Invalid { .. }), "{err}");

    j.finish_operation(
        id,
        &OpResult { note: Some("timeout after send".into()), ..result(OpState::Unknown, "") },
    )
    .unwrap();
    let row = j.operation(id).unwrap().unwrap();
    assert_eq!(row.state, OpState::Unknown);
    assert_eq!(row.note.as_deref(), Some("timeout after send"));

    // An unknown outcome may still be resolved, once.
    j.finish_operation(id, &OpResult { at: t(9), ..result(OpState::Resolved, "14000") }).unwrap();
    let row = j.operation(id).unwrap().unwrap();
    assert_eq!(row.state, OpState::Resolved);
    assert_eq!(row.response_code.as_deref(), Some("14000"));
    assert_eq!(row.response_message.as_deref(), Some("Success"));
    assert_eq!(row.finished_at, Some(t(9)));
    assert_eq!(row.note.as_deref(), Some("timeout after send"), "a result without a note keeps the old one");

    let err = j.finish_operation(id, &result(OpState::Approved, "14000")).unwrap_err();
    assert!(matches!(err, JournalError::OperationAlreadyFinished { state: OpState::Resolved, .. }), "{err}");
    let err = j.finish_operation(OpId(999), &result(OpState::Approved, "14000")).unwrap_err();
    assert!(matches!(err, JournalError::OperationNotFound(OpId(999))), "{err}");
}
}

on_both! {
fn record_outcome_finishes_the_operation_and_updates_the_order_together() {
    let j = journal();
    let id = j.record_order_intent(&order("R-1")).unwrap();
    let update = OrderUpdate {
        state: Some(OrderState::Captured),
        authorized_minor: Some(1250),
        captured_minor: Some(1250),
        fort_id: Some("169996200012345680".into()),
        last_response_code: Some("14000".into()),
        last_message: Some("Success".into()),
        masked_card: Some(MaskedCard::parse("400555******0001").unwrap()),
        ..OrderUpdate::default()
    };
    j.record_outcome(id, &result(OpState::Approved, "14000"), &update).unwrap();
    let o = j.order("main", "R-1").unwrap().unwrap();
    assert_eq!(o.state, OrderState::Captured);
    assert_eq!((o.authorized_minor, o.captured_minor), (1250, 1250));
    assert_eq!(o.fort_id.as_deref(), Some("169996200012345680"));
    assert_eq!(o.last_response_code.as_deref(), Some("14000"));
    assert_eq!(o.last4.as_deref(), Some("0001"), "learned from the token charge's response");
    assert_eq!(o.payment_method, "tok_1 (400555******0001)");
    assert_eq!(j.operation(id).unwrap().unwrap().state, OpState::Approved);

    // An orderless operation cannot update an order; the whole call changes nothing.
    let tok = j.record_operation_intent(&op("TOK-1", Operation::CreateToken, None)).unwrap();
    assert!(j.record_outcome(tok, &result(OpState::Approved, "52062"), &update).is_err());
    assert_eq!(j.operation(tok).unwrap().unwrap().state, OpState::Intent, "rolled back");
}
}

on_both! {
fn update_order_changes_only_what_is_set() {
    let j = journal();
    j.record_order_intent(&order("R-1")).unwrap();
    j.update_order(
        "main",
        "R-1",
        &OrderUpdate {
            state: Some(OrderState::Authorized),
            authorized_minor: Some(1250),
            ..Default::default()
        },
    )
    .unwrap();
    j.update_order(
        "main",
        "R-1",
        &OrderUpdate {
            needs_attention: Some(Some("capture window closes in 1 day".into())),
            extra: Some(Extra::from_iter([("slip".to_owned(), serde_json::json!("MO-77"))])),
            ..Default::default()
        },
    )
    .unwrap();
    j.update_order(
        "main",
        "R-1",
        &OrderUpdate {
            extra: Some(Extra::from_iter([("order_date".to_owned(), serde_json::json!("2025-02-28"))])),
            ..Default::default()
        },
    )
    .unwrap();
    let o = j.order("main", "R-1").unwrap().unwrap();
    assert_eq!(o.state, OrderState::Authorized);
    assert_eq!(o.authorized_minor, 1250);
    assert_eq!(o.needs_attention.as_deref(), Some("capture window closes in 1 day"));
    assert_eq!(o.extra.get("slip"), Some(&serde_json::json!("MO-77")), "extra keys are merged, not replaced");
    assert_eq!(o.extra.get("order_date"), Some(&serde_json::json!("2025-02-28")));
    assert!(o.updated_at >= o.created_at);

    j.update_order("main", "R-1", &OrderUpdate { needs_attention: Some(None), ..Default::default() })
        .unwrap();
    assert_eq!(j.order("main", "R-1").unwrap().unwrap().needs_attention, None);

    let err = j.update_order("main", "NOPE", &OrderUpdate::default()).unwrap_err();
    assert!(matches!(err, JournalError::OrderNotFound { .. }), "{err}");
    let err = j
        .update_order("main", "R-1", &OrderUpdate { fort_id: Some("12ab".into()), ..Default::default() })
        .unwrap_err();
    assert!(err.to_string().starts_with("Fort ID"), "{err}");
    let err = j
        .update_order(
            "main",
            "R-1",
            &OrderUpdate {
                needs_attention: Some(Some("card 4005550000000001".into())),
                ..Default::default()
            },
        )
        .unwrap_err();
    assert!(matches!(err, JournalError::LooksLikeCardNumber { .. }), "{err}");
}
}

on_both! {
fn find_by_fort_id_within_a_profile_or_across_all() {
    let j = journal();
    for (profile, reference, fort) in
        [("main", "R-1", "111"), ("main", "R-2", "222"), ("second", "S-1", "333")]
    {
        let mut o = order(reference);
        o.profile = profile.into();
        j.record_order_intent(&o).unwrap();
        j.update_order(profile, reference, &OrderUpdate { fort_id: Some(fort.into()), ..Default::default() })
            .unwrap();
    }
    assert_eq!(j.find_by_fort_id(None, "333").unwrap().unwrap().merchant_reference, "S-1");
    assert_eq!(j.find_by_fort_id(Some("main"), "222").unwrap().unwrap().merchant_reference, "R-2");
    assert_eq!(j.find_by_fort_id(Some("main"), "333").unwrap(), None);
    assert_eq!(j.find_by_fort_id(None, "999").unwrap(), None);
}
}

on_both! {
fn timeline_lists_every_operation_oldest_first() {
    let j = journal();
    let first = j.record_order_intent(&order("R-1")).unwrap();
    j.finish_operation(first, &result(OpState::Approved, "14000")).unwrap();
    let refund = j.record_operation_intent(&op("R-1", Operation::Refund, Some(aed(250)))).unwrap();
    let status = j.record_operation_intent(&op("R-1", Operation::CheckStatus, None)).unwrap();
    let ids: Vec<OpId> = j.timeline("main", "R-1").unwrap().iter().map(|o| o.id).collect();
    assert_eq!(ids, [first, refund, status]);
    assert!(j.timeline("main", "NOPE").unwrap().is_empty());
}
}

on_both! {
fn unresolved_lists_unknown_orders_and_lost_operations() {
    let j = journal();
    // Settled: approved sale.
    let done = j.record_order_intent(&order("DONE")).unwrap();
    j.record_outcome(
        done,
        &result(OpState::Approved, "14000"),
        &OrderUpdate { state: Some(OrderState::Captured), captured_minor: Some(1250), ..Default::default() },
    )
    .unwrap();
    // Pending (crashed before an answer) and unknown (timeout).
    j.record_order_intent(&NewOrder { created_at: t(1), ..order("PEND") }).unwrap();
    let unk = j.record_order_intent(&NewOrder { created_at: t(2), ..order("UNK") }).unwrap();
    j.record_outcome(
        unk,
        &result(OpState::Unknown, ""),
        &OrderUpdate { state: Some(OrderState::Unknown), ..Default::default() },
    )
    .unwrap();
    // Approved sale whose refund answer was lost.
    let sale = j.record_order_intent(&NewOrder { created_at: t(3), ..order("REF") }).unwrap();
    j.record_outcome(
        sale,
        &result(OpState::Approved, "14000"),
        &OrderUpdate { state: Some(OrderState::Captured), captured_minor: Some(1250), ..Default::default() },
    )
    .unwrap();
    let refund = j.record_operation_intent(&op("REF", Operation::Refund, Some(aed(250)))).unwrap();
    // A lost status query on the settled order does not make it unresolved.
    j.record_operation_intent(&op("DONE", Operation::CheckStatus, None)).unwrap();
    // Another profile.
    j.record_order_intent(&NewOrder { profile: "second".into(), created_at: t(4), ..order("OTHER") })
        .unwrap();

    let all = j.unresolved(None).unwrap();
    let refs: Vec<&str> = all.iter().map(|u| u.order.merchant_reference.as_str()).collect();
    assert_eq!(refs, ["PEND", "UNK", "REF", "OTHER"], "oldest first");
    assert_eq!(all[0].open_operations.len(), 1, "the pending purchase intent");
    assert_eq!(all[1].open_operations[0].state, OpState::Unknown);
    assert_eq!(all[2].order.state, OrderState::Captured);
    assert_eq!(all[2].open_operations.iter().map(|o| o.id).collect::<Vec<_>>(), [refund]);

    let main: Vec<String> =
        j.unresolved(Some("main")).unwrap().into_iter().map(|u| u.order.merchant_reference).collect();
    assert_eq!(main, ["PEND", "UNK", "REF"]);

    j.finish_operation(refund, &result(OpState::Approved, "06000")).unwrap();
    let refs: Vec<String> =
        j.unresolved(Some("main")).unwrap().into_iter().map(|u| u.order.merchant_reference).collect();
    assert_eq!(refs, ["PEND", "UNK"]);
}
}

on_both! {
fn lost_token_operations_are_listed_apart() {
    let j = journal();
    let lost = j.record_operation_intent(&op("TOK-1", Operation::CreateToken, None)).unwrap();
    let done = j.record_operation_intent(&op("TOK-2", Operation::UpdateToken, None)).unwrap();
    j.finish_operation(done, &result(OpState::Approved, "58000")).unwrap();
    j.record_operation_intent(&op("X", Operation::CheckStatus, None)).unwrap();
    let open = j.open_operations_without_order(None).unwrap();
    assert_eq!(open.iter().map(|o| o.id).collect::<Vec<_>>(), [lost]);
    assert!(j.open_operations_without_order(Some("second")).unwrap().is_empty());
    assert!(j.unresolved(None).unwrap().is_empty());
}
}

on_both! {
fn duplicate_guard_finds_same_card_or_token_and_amount_recently() {
    let j = journal();
    let mut keyed = order("K-1");
    keyed.method = card();
    keyed.created_at = t(0);
    j.record_order_intent(&keyed).unwrap();
    j.record_order_intent(&NewOrder { created_at: t(1), ..order("T-1") }).unwrap();

    let since = t(-10);
    let found = |method: &PaymentMethod, amount: Money, since| {
        j.recent_duplicate("main", method, amount, since).unwrap().map(|o| o.merchant_reference)
    };
    assert_eq!(found(&card(), aed(1250), since).as_deref(), Some("K-1"), "pending orders count");
    assert_eq!(found(&token("tok_1"), aed(1250), since).as_deref(), Some("T-1"));
    assert_eq!(found(&token("tok_2"), aed(1250), since), None, "other token");
    assert_eq!(found(&card(), aed(1251), since), None, "other amount");
    assert_eq!(found(&card(), Money::from_minor(1250, cur("USD")).unwrap(), since), None, "other currency");
    assert_eq!(found(&card(), aed(1250), t(1)), None, "older than the window");
    let other_card = PaymentMethod::Card {
        masked_card: MaskedCard::parse("400555******0001").unwrap(),
        fingerprint: fingerprint('b'),
    };
    assert_eq!(found(&other_card, aed(1250), since), None, "same mask, different card");
    assert_eq!(found(&PaymentMethod::Link, aed(1250), since), None);
    assert_eq!(j.recent_duplicate("second", &card(), aed(1250), since).unwrap(), None, "other profile");

    for (state, counts) in [
        (OrderState::Declined, false),
        (OrderState::Rejected, false),
        (OrderState::NotSent, false),
        (OrderState::Unknown, true),
        (OrderState::Captured, true),
        (OrderState::Authorized, true),
        (OrderState::Voided, true),
    ] {
        j.update_order("main", "K-1", &OrderUpdate { state: Some(state), ..Default::default() }).unwrap();
        assert_eq!(found(&card(), aed(1250), since).is_some(), counts, "{state}");
    }
}
}
