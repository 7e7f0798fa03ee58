//! The journal's last guard: a card number in any identifier or free-text field is refused,
//! whichever way it is split, and the field is named. APS's own `fort_id` is the one exception.

use chrono::{NaiveDate, Utc};
use moto_terminal::aps::Operation;
use moto_terminal::aps::money::{Currency, Money};
use moto_terminal::journal::{
    AgreementUpdate, Channel, Journal, JournalError, NewAgreement, NewLink, NewOperation, NewOrder, OpResult,
    OpState, OrderKind, OrderUpdate, PaymentMethod, TokenCustomer, TokenRecord,
};

const CARDS: [&str; 4] =
    ["4005550000000001", "4005 5500 0000 0001", "4005-5500-0000-0001", "4005.5500.0000.0001"];

fn aed(minor: u64) -> Money {
    Money::from_minor(minor, Currency::parse("AED").unwrap()).unwrap()
}

fn journal() -> (tempfile::TempDir, Journal) {
    let dir = tempfile::tempdir().unwrap();
    let journal = Journal::open(&dir.path().join("journal.sqlite")).unwrap();
    (dir, journal)
}

fn token_order(reference: &str) -> NewOrder {
    NewOrder {
        profile: "main".into(),
        merchant_reference: reference.into(),
        kind: OrderKind::Sale,
        channel: Channel::Phone,
        amount: aed(10_00),
        method: PaymentMethod::Token { token_name: "jane-visa".into(), masked_card: None },
        customer_email: Some("jane@example.com".into()),
        customer_name: None,
        description: None,
        operator: "sara".into(),
        terminal: "desk-1".into(),
        created_at: Utc::now(),
        extra: Default::default(),
        lease: None,
        batch_row: None,
    }
}

fn operation(reference: &str) -> NewOperation {
    NewOperation {
        profile: "main".into(),
        merchant_reference: reference.into(),
        operation: Operation::CheckStatus,
        maintenance_reference: None,
        amount: None,
        operator: "sara".into(),
        at: Utc::now(),
        note: None,
        lease: None,
        batch_row: None,
        approved_by: None,
    }
}

fn agreement() -> NewAgreement {
    NewAgreement {
        profile: "main".into(),
        token_name: "jane-visa".into(),
        agreement_id: None,
        customer_email: "jane@example.com".into(),
        customer_name: None,
        amount: aed(25_00),
        cycle: moto_terminal::journal::Cycle::Days(30),
        next_due: NaiveDate::from_ymd_opt(2030, 1, 1).unwrap(),
        created_at: Utc::now(),
        limit: None,
    }
}

#[track_caller]
fn refused<T: std::fmt::Debug>(result: Result<T, JournalError>, field: &str) {
    match result {
        Err(JournalError::LooksLikeCardNumber { field: named }) => assert_eq!(named, field),
        other => panic!("expected {field} to be refused as a card number, got {other:?}"),
    }
}

#[test]
fn orders_refuse_a_card_number_in_every_field() {
    let (_dir, j) = journal();
    for card in CARDS {
        type Edit = fn(&mut NewOrder, &str);
        let cases: [(&str, Edit); 7] = [
            ("merchant reference", |o, c| o.merchant_reference = format!("ORD-{c}")),
            ("operator", |o, c| o.operator = c.into()),
            ("customer email", |o, c| o.customer_email = Some(format!("{c}@example.com"))),
            ("customer name", |o, c| o.customer_name = Some(c.into())),
            ("description", |o, c| o.description = Some(c.into())),
            ("extra order details", |o, c| {
                o.extra.insert("slip_number".into(), c.into());
            }),
            ("token name", |o, c| {
                o.method = PaymentMethod::Token { token_name: c.into(), masked_card: None }
            }),
        ];
        for (field, edit) in cases {
            let mut order = token_order("ORD-1");
            edit(&mut order, card);
            refused(j.record_order_intent(&order), field);
        }
    }
    assert_eq!(j.count(&Default::default()).unwrap(), 0, "nothing was recorded");
}

#[test]
fn operations_and_outcomes_refuse_a_card_number() {
    let (_dir, j) = journal();
    let op = j.record_order_intent(&token_order("ORD-1")).unwrap();
    for card in CARDS {
        refused(j.record_operation_intent(&operation(card)), "merchant reference");
        refused(
            j.record_operation_intent(&NewOperation {
                maintenance_reference: Some(format!("ORD-1-{card}")),
                ..operation("ORD-1")
            }),
            "maintenance reference",
        );
        refused(
            j.record_operation_intent(&NewOperation { note: Some(card.into()), ..operation("ORD-1") }),
            "note",
        );
        let result = OpResult {
            state: OpState::Declined,
            response_code: None,
            response_message: None,
            note: None,
            at: Utc::now(),
        };
        refused(j.finish_operation(op, &OpResult { note: Some(card.into()), ..result.clone() }), "note");
        let update = OrderUpdate { last_message: Some(card.into()), ..Default::default() };
        refused(j.update_order("main", "ORD-1", &update), "response message");
    }
}

#[test]
fn fort_id_is_the_one_identifier_not_scanned() {
    let (_dir, j) = journal();
    j.record_order_intent(&token_order("ORD-1")).unwrap();
    // An 18-digit fort_id that happens to pass the Luhn check: APS's own id, stored as given.
    let update = OrderUpdate { fort_id: Some("169996200012345687".into()), ..Default::default() };
    j.update_order("main", "ORD-1", &update).unwrap();
    assert_eq!(j.order("main", "ORD-1").unwrap().unwrap().fort_id.as_deref(), Some("169996200012345687"));
}

#[test]
fn tokens_refuse_a_card_number_as_name() {
    let (_dir, j) = journal();
    let record = |name: &str| TokenRecord {
        profile: "main".into(),
        token_name: name.into(),
        masked_card: None,
        expiry: None,
        brand: None,
        holder_name: None,
        customers: Vec::new(),
        status: "ACTIVE".into(),
    };
    j.upsert_token(&record("jane-visa")).unwrap();
    for card in CARDS {
        refused(j.upsert_token(&record(card)), "token name");
        refused(j.update_token("main", "jane-visa", Some(card), None, None, None), "new token name");
        refused(j.update_token("main", "jane-visa", None, None, None, Some(card)), "holder name");
        for (field, customer) in [
            ("customer name", TokenCustomer::new(Some(card), None, None)),
            ("customer email", TokenCustomer::new(None, Some(&format!("{card}@example.com")), None)),
            ("customer phone", TokenCustomer::new(None, None, Some(card))),
        ] {
            let with_customer = TokenRecord { customers: vec![customer.clone()], ..record("jane-visa") };
            refused(j.upsert_token(&with_customer), field);
            refused(j.add_token_customers("main", "jane-visa", &[customer]), field);
        }
    }
    assert_eq!(j.tokens("main", "").unwrap().len(), 1);
    assert!(j.token("main", "jane-visa").unwrap().unwrap().customers.is_empty());
}

#[test]
fn agreements_and_links_refuse_a_card_number() {
    let (_dir, j) = journal();
    let id = j.add_agreement(&agreement()).unwrap();
    for card in CARDS {
        refused(j.add_agreement(&NewAgreement { token_name: card.into(), ..agreement() }), "token name");
        refused(
            j.add_agreement(&NewAgreement { agreement_id: Some(card.into()), ..agreement() }),
            "agreement id",
        );
        let update = AgreementUpdate { agreement_id: Some(Some(card.into())), ..Default::default() };
        refused(j.update_agreement(id, &update), "agreement id");
        let update = AgreementUpdate { token_name: Some(card.into()), ..Default::default() };
        refused(j.update_agreement(id, &update), "token name");
        refused(j.mark_charged(id, card, NaiveDate::from_ymd_opt(2030, 2, 1).unwrap()), "merchant reference");
        let link = NewLink {
            profile: "main".into(),
            merchant_reference: card.into(),
            payment_link_id: None,
            url: None,
            amount: aed(10_00),
            customer_email: "jane@example.com".into(),
            notification: "EMAIL".into(),
            expires_at: Utc::now(),
            created_at: Utc::now(),
        };
        refused(j.record_link(&link), "merchant reference");
    }
    assert_eq!(j.agreements(None).unwrap()[0].agreement_id, None);
}
