//! `bulk_load` (benchmarks' million-order journals) writes the rows the public calls write.

use super::*;

on_both! {
/// The same orders and operations, once through the public calls and once in one bulk load.
fn a_bulk_load_writes_what_the_public_calls_write() {
    let (public, bulk) = (journal(), journal());
    let mut keyed = order("BULK-2");
    keyed.method = card();
    keyed.kind = OrderKind::AuthorizeOnly;
    let orders = [order("BULK-1"), keyed, order("BULK-3")];
    let approved = OrderUpdate {
        state: Some(OrderState::Captured),
        captured_minor: Some(1250),
        fort_id: Some("169000000000000001".into()),
        masked_card: Some(MaskedCard::parse("400555******0001").unwrap()),
        ..Default::default()
    };
    let refund = op("BULK-1", Operation::Refund, Some(aed(250)));
    let check = op("BULK-3", Operation::CheckStatus, None);

    let first = public.record_order_intent(&orders[0]).unwrap();
    public.record_outcome(first, &result(OpState::Approved, "14000"), &approved).unwrap();
    let refunding = public.record_operation_intent(&refund).unwrap();
    public.finish_operation(refunding, &result(OpState::Unknown, "")).unwrap();
    public.record_order_intent(&orders[1]).unwrap();
    public.record_order_intent(&orders[2]).unwrap();
    public.record_operation_intent(&check).unwrap();

    bulk.bulk_load(|b| {
        let first = b.order_intent(&orders[0])?;
        b.outcome(first, &result(OpState::Approved, "14000"), &approved)?;
        let refunding = b.operation_intent(&refund)?;
        b.finish(refunding, &result(OpState::Unknown, ""))?;
        b.order_intent(&orders[1])?;
        b.order_intent(&orders[2])?;
        b.operation_intent(&check)?;
        Ok(())
    })
    .unwrap();

    for o in &orders {
        let (mut a, b) = (
            public.order("main", &o.merchant_reference).unwrap().unwrap(),
            bulk.order("main", &o.merchant_reference).unwrap().unwrap(),
        );
        // The one column written from the clock.
        a.updated_at = b.updated_at;
        assert_eq!(a, b);
        assert_eq!(
            public.timeline("main", &o.merchant_reference).unwrap(),
            bulk.timeline("main", &o.merchant_reference).unwrap()
        );
    }
    assert_eq!(public.unresolved(None).unwrap().len(), bulk.unresolved(None).unwrap().len());
}
}

on_both! {
fn a_bulk_load_checks_its_input_and_keeps_nothing_of_a_failed_load() {
    let j = journal();
    let mut card_in_name = order("BULK-4");
    card_in_name.customer_name = Some("4005550000000001".into());
    let err = j
        .bulk_load(|b| {
            b.order_intent(&order("BULK-5"))?;
            b.order_intent(&card_in_name)
        })
        .unwrap_err();
    assert!(matches!(err, JournalError::LooksLikeCardNumber { field: "customer name" }), "{err}");
    assert!(j.order("main", "BULK-5").unwrap().is_none(), "the whole load rolled back");
    let missing =
        j.bulk_load(|b| b.operation_intent(&op("NONE", Operation::Capture, Some(aed(1))))).unwrap_err();
    assert!(matches!(missing, JournalError::OrderNotFound { .. }), "{missing}");
    j.bulk_load(|b| b.order_intent(&order("BULK-6"))).unwrap();
    let usd = Money::from_minor(100, cur("USD")).unwrap();
    let mismatch =
        j.bulk_load(|b| b.operation_intent(&op("BULK-6", Operation::Capture, Some(usd)))).unwrap_err();
    assert!(matches!(mismatch, JournalError::CurrencyMismatch { .. }), "{mismatch}");
}
}
