//! Search, export, agreements and payment links.

use super::*;

fn seeded() -> group::FileJournal {
    let j = journal();
    type Seed = (
        &'static str,
        &'static str,
        u64,
        &'static str,
        i64,
        OrderState,
        &'static str,
        &'static str,
        &'static str,
    );
    let rows: [Seed; 5] = [
        ("main", "MO-100", 1250, "AED", 0, OrderState::Captured, "sara", "4001", "fatima@example.com"),
        ("main", "MO-101", 5000, "AED", 60, OrderState::Declined, "omar", "0002", "john@example.org"),
        ("main", "PH_200", 1250, "USD", 120, OrderState::Authorized, "sara", "0003", "li@example.net"),
        ("second", "MO-102", 990, "KWD", 180, OrderState::Unknown, "omar", "0004", "fatima@example.com"),
        ("main", "PH%300", 77, "AED", 240, OrderState::Refunded, "Sara", "0005", "zed@example.com"),
    ];
    for (i, (profile, reference, minor, currency, minutes, state, operator, last4, email)) in
        rows.into_iter().enumerate()
    {
        j.record_order_intent(&NewOrder {
            profile: profile.into(),
            merchant_reference: reference.into(),
            amount: Money::from_minor(minor, cur(currency)).unwrap(),
            method: PaymentMethod::Card {
                masked_card: MaskedCard::parse(&format!("400555******{last4}")).unwrap(),
                fingerprint: fingerprint('a'),
            },
            customer_email: Some(email.into()),
            customer_name: Some(format!("Customer {i}")),
            description: Some(if i == 2 { "Deluxe suite".into() } else { "room".into() }),
            operator: operator.into(),
            terminal: "desk-1".into(),
            created_at: t(minutes),
            ..order(reference)
        })
        .unwrap();
        j.update_order(
            profile,
            reference,
            &OrderUpdate { state: Some(state), fort_id: Some(format!("9000{i}")), ..Default::default() },
        )
        .unwrap();
    }
    j
}

fn refs(j: &Journal, filter: Filter) -> Vec<String> {
    let found: Vec<String> = j.search(&filter).unwrap().into_iter().map(|o| o.merchant_reference).collect();
    assert!(j.count(&Filter { limit: None, offset: 0, ..filter }).unwrap() as usize >= found.len());
    found
}

on_both! {
fn search_with_no_filter_lists_everything_newest_first() {
    let j = seeded();
    assert_eq!(refs(&j, Filter::default()), ["PH%300", "MO-102", "PH_200", "MO-101", "MO-100"]);
    assert_eq!(j.count(&Filter::default()).unwrap(), 5);
}
}

on_both! {
fn search_filters_each_on_its_own() {
    let j = seeded();
    let f = Filter::default;
    assert_eq!(refs(&j, Filter { profile: Some("second".into()), ..f() }), ["MO-102"]);
    assert_eq!(refs(&j, Filter { reference: Some("mo-10".into()), ..f() }), ["MO-102", "MO-101", "MO-100"]);
    assert_eq!(refs(&j, Filter { reference: Some("PH_".into()), ..f() }), ["PH_200"], "_ is literal");
    assert_eq!(refs(&j, Filter { reference: Some("%".into()), ..f() }), ["PH%300"], "% is literal");
    assert_eq!(refs(&j, Filter { fort_id: Some("90001".into()), ..f() }), ["MO-101"]);
    assert_eq!(refs(&j, Filter { last4: Some("0003".into()), ..f() }), ["PH_200"]);
    assert_eq!(refs(&j, Filter { amount_minor: Some(1250), ..f() }), ["PH_200", "MO-100"]);
    assert_eq!(refs(&j, Filter { currency: Some(cur("AED")), ..f() }), ["PH%300", "MO-101", "MO-100"]);
    assert_eq!(
        refs(&j, Filter { from: Some(t(120)), ..f() }),
        ["PH%300", "MO-102", "PH_200"],
        "from is inclusive"
    );
    assert_eq!(refs(&j, Filter { to: Some(t(120)), ..f() }), ["MO-101", "MO-100"], "to is exclusive");
    assert_eq!(refs(&j, Filter { from: Some(t(30)), to: Some(t(150)), ..f() }), ["PH_200", "MO-101"]);
    assert_eq!(refs(&j, Filter { states: vec![OrderState::Unknown], ..f() }), ["MO-102"]);
    assert_eq!(
        refs(&j, Filter { states: vec![OrderState::Captured, OrderState::Refunded], ..f() }),
        ["PH%300", "MO-100"]
    );
    assert_eq!(refs(&j, Filter { operator: Some("sara".into()), ..f() }), ["PH%300", "PH_200", "MO-100"]);
    assert_eq!(refs(&j, Filter { text: Some("FATIMA@".into()), ..f() }), ["MO-102", "MO-100"], "email");
    assert_eq!(refs(&j, Filter { text: Some("customer 1".into()), ..f() }), ["MO-101"], "name");
    assert_eq!(refs(&j, Filter { text: Some("ph_2".into()), ..f() }), ["PH_200"], "reference");
    assert_eq!(refs(&j, Filter { text: Some("deluxe".into()), ..f() }), ["PH_200"], "description");
    assert!(refs(&j, Filter { needs_attention: Some(true), ..f() }).is_empty());
    assert_eq!(refs(&j, Filter { needs_attention: Some(false), ..f() }).len(), 5);
    assert_eq!(refs(&j, Filter { limit: Some(2), ..f() }), ["PH%300", "MO-102"]);
    assert_eq!(refs(&j, Filter { limit: Some(2), offset: 2, ..f() }), ["PH_200", "MO-101"]);
    assert_eq!(refs(&j, Filter { offset: 4, ..f() }), ["MO-100"]);
    assert_eq!(j.count(&Filter { profile: Some("main".into()), limit: Some(1), ..f() }).unwrap(), 4);
    assert_eq!(
        refs(
            &j,
            Filter {
                profile: Some("main".into()),
                currency: Some(cur("AED")),
                amount_minor: Some(1250),
                ..f()
            }
        ),
        ["MO-100"],
        "criteria combine with AND"
    );
}
}

on_both! {
fn csv_export_has_a_header_quoting_and_formatted_amounts() {
    let j = seeded();
    j.update_order(
        "second",
        "MO-102",
        &OrderUpdate { last_message: Some("Declined, \"insufficient funds\"".into()), ..Default::default() },
    )
    .unwrap();
    let mut out = Vec::new();
    let n = j.export_csv(&Filter { profile: Some("second".into()), ..Filter::default() }, &mut out).unwrap();
    assert_eq!(n, 1);
    let text = String::from_utf8(out).unwrap();
    let lines: Vec<&str> = text.split("\r\n").collect();
    assert_eq!(lines.len(), 3, "header, one row, trailing CRLF: {text:?}");
    assert_eq!(lines[0], search::CSV_HEADER.join(","));
    assert!(lines[1].starts_with("2025-03-01T12:00:00.000000Z,second,MO-102,sale,phone,unknown,KWD,0.990,0.000,0.000,0.000,400555******0004,0004,90003,"), "{}", lines[1]);
    assert!(lines[1].contains(",\"Declined, \"\"insufficient funds\"\"\","), "{}", lines[1]);
    assert_eq!(lines[2], "");

    let mut all = Vec::new();
    assert_eq!(j.export_csv(&Filter::default(), &mut all).unwrap(), 5);
    let all = String::from_utf8(all).unwrap();
    assert!(all.contains(",AED,12.50,"), "{all}");
    assert!(!all.contains(&"a".repeat(64)), "fingerprints stay out of exports");
}
}

on_both! {
fn agreements_are_added_listed_updated_and_come_due() {
    let j = journal();
    let day = |d| NaiveDate::from_ymd_opt(2025, 3, d).unwrap();
    let new = |profile: &str, token: &str, due| NewAgreement {
        profile: profile.into(),
        token_name: token.into(),
        agreement_id: Some("AG-1".into()),
        customer_email: "fatima@example.com".into(),
        customer_name: Some("Fatima".into()),
        amount: aed(9900),
        cycle: Cycle::Days(30),
        next_due: due,
        created_at: t(0),
        limit: None,
    };
    let a = j.add_agreement(&new("main", "tok_a", day(5))).unwrap();
    let b = j.add_agreement(&new("main", "tok_b", day(1))).unwrap();
    let c = j.add_agreement(&new("second", "tok_c", day(2))).unwrap();

    let got = j.agreement(a).unwrap().unwrap();
    assert_eq!((got.token_name.as_str(), got.amount_minor, got.currency.code()), ("tok_a", 9900, "AED"));
    assert_eq!((got.cycle, got.next_due, got.active), (Cycle::Days(30), day(5), true));
    assert_eq!(got.last_charge_reference, None);
    assert_eq!(j.agreements(None).unwrap().iter().map(|a| a.id).collect::<Vec<_>>(), [b, c, a]);
    assert_eq!(j.agreements(Some("main")).unwrap().len(), 2);

    assert_eq!(j.due_agreements(None, day(2)).unwrap().iter().map(|a| a.id).collect::<Vec<_>>(), [b, c]);
    assert_eq!(j.due_agreements(Some("main"), day(2)).unwrap().iter().map(|a| a.id).collect::<Vec<_>>(), [b]);
    assert!(j.due_agreements(None, day(1).pred_opt().unwrap()).unwrap().is_empty());

    j.mark_charged(b, "REC-b-2025-03-01", day(31)).unwrap();
    let got = j.agreement(b).unwrap().unwrap();
    assert_eq!((got.last_charge_reference.as_deref(), got.next_due), (Some("REC-b-2025-03-01"), day(31)));
    assert_eq!(j.due_agreements(Some("main"), day(5)).unwrap().iter().map(|a| a.id).collect::<Vec<_>>(), [a]);

    j.update_agreement(a, &AgreementUpdate { active: Some(false), ..Default::default() }).unwrap();
    assert!(j.due_agreements(Some("main"), day(5)).unwrap().is_empty(), "inactive agreements never come due");
    j.update_agreement(
        c,
        &AgreementUpdate {
            amount: Some(Money::from_minor(500, cur("KWD")).unwrap()),
            cycle: Some(Cycle::Monthly),
            agreement_id: Some(None),
            customer_name: Some(Some("Ali".into())),
            token_name: Some("tok_c2".into()),
            ..Default::default()
        },
    )
    .unwrap();
    let got = j.agreement(c).unwrap().unwrap();
    assert_eq!((got.amount_minor, got.currency.code(), got.cycle), (500, "KWD", Cycle::Monthly));
    assert_eq!(
        (got.agreement_id, got.customer_name.as_deref(), got.token_name.as_str()),
        (None, Some("Ali"), "tok_c2")
    );
    assert_eq!(got.customer_email, "fatima@example.com");

    assert!(j.update_agreement(99, &AgreementUpdate::default()).is_err());
    assert!(j.mark_charged(99, "R", day(1)).is_err());
    assert!(j.add_agreement(&NewAgreement { cycle: Cycle::Days(0), ..new("main", "t", day(1)) }).is_err());
    assert!(
        j.add_agreement(&NewAgreement { token_name: String::new(), ..new("main", "t", day(1)) }).is_err()
    );
    assert_eq!(j.agreement(99).unwrap(), None);
}
}

on_both! {
fn payment_links_belong_to_an_order_and_track_status() {
    let j = journal();
    let link_order = |reference: &str| NewOrder {
        kind: OrderKind::PaymentLink,
        method: PaymentMethod::Link,
        ..order(reference)
    };
    let new = |reference: &str, minutes| NewLink {
        profile: "main".into(),
        merchant_reference: reference.into(),
        payment_link_id: Some(format!("PL-{reference}")),
        url: Some("https://checkout.payfort.com/dfc3d762".into()),
        amount: aed(1250),
        customer_email: "fatima@example.com".into(),
        notification: "EMAIL".into(),
        expires_at: t(60 * 24),
        created_at: t(minutes),
    };
    let err = j.record_link(&new("L-0", 0)).unwrap_err();
    assert!(matches!(err, JournalError::OrderNotFound { .. }), "{err}");
    j.record_order_intent(&link_order("L-1")).unwrap();
    j.record_order_intent(&link_order("L-2")).unwrap();
    j.record_link(&new("L-1", 0)).unwrap();
    j.record_link(&new("L-2", 1)).unwrap();
    assert!(matches!(j.record_link(&new("L-1", 2)), Err(JournalError::DuplicateReference { .. })));

    let l = j.link("main", "L-1").unwrap().unwrap();
    assert_eq!(l.status, LinkStatus::Open);
    assert_eq!((l.payment_link_id.as_deref(), l.amount_minor, l.expires_at), (Some("PL-L-1"), 1250, t(1440)));
    assert_eq!(
        j.links(None, None).unwrap().iter().map(|l| l.merchant_reference.as_str()).collect::<Vec<_>>(),
        ["L-2", "L-1"]
    );

    j.update_link_status("main", "L-1", LinkStatus::Paid).unwrap();
    assert_eq!(j.links(Some("main"), Some(LinkStatus::Paid)).unwrap().len(), 1);
    assert_eq!(j.links(Some("main"), Some(LinkStatus::Open)).unwrap()[0].merchant_reference, "L-2");
    assert!(j.links(Some("second"), None).unwrap().is_empty());
    assert!(matches!(
        j.update_link_status("main", "L-9", LinkStatus::Expired),
        Err(JournalError::OrderNotFound { .. })
    ));
    assert_eq!(j.link("main", "L-9").unwrap(), None);
}
}

#[test]
fn agreements_from_before_calendar_cycles_keep_their_days_and_new_ones_their_calendar() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.sqlite");
    {
        let old = Journal::open_at_version(&path, 9).unwrap();
        old.lock()
            .execute(
                "INSERT INTO agreements (profile, token_name, customer_email, amount_minor, currency,
                    interval_days, next_due, active, created_at)
                 VALUES ('main', 'tok_old', 'a@example.com', 100, 'AED', 14, '2027-01-31', 1, '2027-01-01T00:00:00Z')",
                [],
            )
            .unwrap();
    }
    let j = Journal::open(&path).unwrap();
    let old = j.agreements(Some("main")).unwrap().remove(0);
    assert_eq!((old.cycle, old.anchor_day), (Cycle::Days(14), 31), "read as before the upgrade");
    let first_due = NaiveDate::from_ymd_opt(2027, 3, 31).unwrap();
    let id = j
        .add_agreement(&NewAgreement {
            profile: "main".into(),
            token_name: "tok_new".into(),
            agreement_id: Some("AG2".into()),
            customer_email: "b@example.com".into(),
            customer_name: None,
            amount: aed(500),
            cycle: Cycle::Monthly,
            next_due: first_due,
            created_at: t(0),
            limit: None,
        })
        .unwrap();
    let monthly = j.agreement(id).unwrap().unwrap();
    assert_eq!((monthly.cycle, monthly.anchor_day), (Cycle::Monthly, 31));
    j.update_agreement(id, &AgreementUpdate { cycle: Some(Cycle::Weekly), ..Default::default() }).unwrap();
    assert_eq!(j.agreement(id).unwrap().unwrap().cycle, Cycle::Weekly);
}

on_both! {
fn operations_between_keeps_to_the_period_the_profile_and_the_operator() {
    let j = seeded();
    let ops = |profile: Option<&str>, operator: Option<&str>, from: i64, to: i64| -> Vec<String> {
        let found = j.operations_between(profile, operator, t(from), t(to)).unwrap();
        found.into_iter().map(|o| o.merchant_reference).collect()
    };
    assert_eq!(ops(None, None, 0, 1000), ["MO-100", "MO-101", "PH_200", "MO-102", "PH%300"], "oldest first");
    assert_eq!(ops(None, None, 60, 180), ["MO-101", "PH_200"], "from inclusive, to exclusive");
    assert_eq!(ops(Some("second"), None, 0, 1000), ["MO-102"]);
    assert_eq!(ops(None, Some("SARA"), 0, 1000), ["MO-100", "PH_200", "PH%300"], "operator in any case");
    assert!(ops(None, Some("nobody"), 0, 1000).is_empty());
}
}

on_both! {
/// A second outcome of the same operation changes neither it nor its order (on the team
/// journal the outcome is one statement that updates the order only through the operation it
/// finished).
fn a_second_outcome_changes_nothing() {
    let j = journal();
    let id = j.record_order_intent(&order("R-1")).unwrap();
    let captured = OrderUpdate { state: Some(OrderState::Captured), ..OrderUpdate::default() };
    j.record_outcome(id, &result(OpState::Approved, "14000"), &captured).unwrap();
    let declined = OrderUpdate { state: Some(OrderState::Declined), ..OrderUpdate::default() };
    let err = j.record_outcome(id, &result(OpState::Declined, "14060"), &declined).unwrap_err();
    assert!(matches!(err, JournalError::OperationAlreadyFinished { state: OpState::Approved, .. }), "{err}");
    assert_eq!(j.order("main", "R-1").unwrap().unwrap().state, OrderState::Captured);
    assert_eq!(j.operation(id).unwrap().unwrap().response_code.as_deref(), Some("14000"));
    let err = j.record_outcome(OpId(999), &result(OpState::Approved, "14000"), &captured).unwrap_err();
    assert!(matches!(err, JournalError::OperationNotFound(OpId(999))), "{err}");
}
}

on_both! {
/// A token name is APS's identifier: one whose digits pass the Luhn check inside it (APS may
/// name tokens so) is kept in the token book, an order and an agreement; one that is a card's
/// digits is refused everywhere.
fn a_token_name_aps_issued_is_kept_though_its_digits_pass_luhn() {
    let j = journal();
    let (issued, card) = ("a3f4005550000000001bc9e7d2f0a1b2", "4005 5500 0000 0001");
    assert!(crate::aps::card::contains_card_number(issued));
    let record = |name: &str| TokenRecord {
        profile: "main".into(),
        token_name: name.into(),
        masked_card: Some("400555******0001".into()),
        expiry: Some("3012".into()),
        brand: Some("VISA".into()),
        holder_name: None,
        customers: vec![TokenCustomer::new(Some("Layla Haddad"), Some("layla@example.com"), None)],
        status: "ACTIVE".into(),
    };
    j.upsert_token(&record(issued)).unwrap();
    assert_eq!(j.token("main", issued).unwrap().map(|t| t.token_name).as_deref(), Some(issued));
    j.record_order_intent(&NewOrder { method: token(issued), ..order("MO-ISSUED") }).unwrap();
    assert_eq!(j.order("main", "MO-ISSUED").unwrap().unwrap().token_name.as_deref(), Some(issued));
    let agreement = |name: &str| NewAgreement {
        profile: "main".into(),
        token_name: name.into(),
        agreement_id: None,
        customer_email: "layla@example.com".into(),
        customer_name: None,
        amount: aed(9900),
        cycle: Cycle::Days(30),
        next_due: NaiveDate::from_ymd_opt(2025, 3, 5).unwrap(),
        created_at: t(0),
        limit: None,
    };
    j.add_agreement(&agreement(issued)).unwrap();

    let refused = |e: JournalError| matches!(e, JournalError::LooksLikeCardNumber { field: "token name" });
    assert!(refused(j.upsert_token(&record(card)).unwrap_err()));
    assert!(refused(j.record_order_intent(&NewOrder { method: token(card), ..order("MO-CARD") }).unwrap_err()));
    assert!(refused(j.add_agreement(&agreement(card)).unwrap_err()));
    assert!(j.token("main", card).unwrap().is_none() && j.order("main", "MO-CARD").unwrap().is_none());
}
}
