//! Orders taken outside this terminal: brought in whole, in one write, and only as such.

use super::*;

fn outside(reference: &str) -> NewOrder {
    NewOrder { channel: Channel::Outside, method: PaymentMethod::Outside, ..order(reference) }
}

fn answer() -> (OpResult, OrderUpdate) {
    let result = OpResult {
        state: OpState::Resolved,
        response_code: Some("14000".into()),
        response_message: Some("Success".into()),
        note: Some("brought in".into()),
        at: t(1),
    };
    let update = OrderUpdate {
        state: Some(OrderState::Captured),
        authorized_minor: Some(1250),
        captured_minor: Some(1250),
        fort_id: Some("169996200000001".into()),
        ..Default::default()
    };
    (result, update)
}

on_both! {
fn an_outside_order_comes_in_with_one_resolved_status_check_and_apss_amounts() {
    let j = journal();
    let (result, update) = answer();
    j.import_order(&outside("WEB-1"), &result, &update).unwrap();
    let row = j.order("main", "WEB-1").unwrap().unwrap();
    assert_eq!((row.channel, row.state, row.captured_minor), (Channel::Outside, OrderState::Captured, 1250));
    assert_eq!(row.payment_method, "taken outside this terminal");
    let ops = j.timeline("main", "WEB-1").unwrap();
    assert_eq!(ops.len(), 1);
    assert_eq!((ops[0].operation, ops[0].state), (Operation::CheckStatus, OpState::Resolved));
    assert!(j.unresolved(None).unwrap().is_empty(), "nothing in doubt: nothing was sent");
    assert!(matches!(
        j.import_order(&outside("WEB-1"), &result, &update),
        Err(JournalError::DuplicateReference { .. })
    ));
}
}

on_both! {
fn only_an_outside_order_is_brought_in_and_an_outside_method_needs_the_outside_channel() {
    let j = journal();
    let (result, update) = answer();
    let phone = NewOrder { method: PaymentMethod::Outside, ..order("WEB-2") };
    assert!(j.import_order(&phone, &result, &update).is_err());
    assert!(j.record_order_intent(&phone).is_err(), "an intent cannot claim an unknown method");
    let keyed = NewOrder { channel: Channel::Outside, ..order("WEB-3") };
    assert!(j.import_order(&keyed, &result, &update).is_err());
    assert!(j.order("main", "WEB-2").unwrap().is_none() && j.order("main", "WEB-3").unwrap().is_none());
}
}

on_both! {
fn apss_agreement_ids_are_kept_even_when_they_pass_the_luhn_check_but_a_card_is_not() {
    // 115170000000 passes the Luhn check: APS's own id, like a Fort ID, not a card.
    assert!(crate::aps::card::luhn_valid("115170000000"));
    assert!(check_agreement_id("115170000000").is_ok());
    assert!(check_agreement_id("MEMBER-2026_0042").is_ok());
    for card in ["4005550000000001", "4005-5500-0000-0001", "4005 5500 0000 0001", "5123456789012346"] {
        assert!(matches!(check_agreement_id(card), Err(JournalError::LooksLikeCardNumber { .. })), "{card}");
    }
    assert!(matches!(check_agreement_id("a;b"), Err(JournalError::Invalid { .. })));
    let mut extra = Extra::new();
    extra.insert("agreement_id".into(), "115170000000".into());
    assert!(card_guard::refuse_card_numbers_in_extra(&extra).is_ok());
    extra.insert("note".into(), "115170000000".into());
    assert!(card_guard::refuse_card_numbers_in_extra(&extra).is_err(), "only the agreement id is APS's");
}
}

#[test]
fn a_payment_link_whose_id_holds_a_luhn_valid_run_of_digits_is_kept() {
    // A hex id as the simulator makes them, whose 13 digits in a row pass the Luhn check.
    let id = "A1234567890128B";
    assert!(crate::aps::card::contains_card_number(id));
    let mut extra = Extra::new();
    extra.insert("payment_link".into(), format!("https://checkout.example/pay/{id}?lang=en").into());
    extra.insert("payment_link_id".into(), id.into());
    assert!(card_guard::refuse_card_numbers_in_extra(&extra).is_ok());
    extra.insert("payment_link_id".into(), "4005550000000001".into());
    assert!(card_guard::refuse_card_numbers_in_extra(&extra).is_err(), "an id that is a card number");
    extra.insert("payment_link_id".into(), id.into());
    extra.insert("payment_link".into(), "https://checkout.example/pay/4005550000000001".into());
    assert!(card_guard::refuse_card_numbers_in_extra(&extra).is_err(), "a card number in the address");
    // An id of digits only is not taken out of the address: it could be part of a card there.
    extra.insert("payment_link_id".into(), "0001".into());
    extra.insert("payment_link".into(), "https://checkout.example/pay/0001/4005550000000001".into());
    assert!(card_guard::refuse_card_numbers_in_extra(&extra).is_err(), "the card is still seen");
}
