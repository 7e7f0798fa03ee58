//! Rows played against the orders they name, and the totals.

use super::*;
use crate::aps::money::{Currency, format_grouped};

fn sar() -> Currency {
    Currency::parse("SAR").unwrap_or_else(|e| panic!("{e}"))
}

/// The journal: A1 an authorization of SAR 100.00, S1 a sale of SAR 50.00.
fn journal(reference: &str) -> Option<OrderFacts> {
    match reference {
        "A1" => Some(OrderFacts {
            currency: sar(),
            capturable_minor: 10_000,
            refundable_minor: 0,
            voidable: true,
        }),
        "S1" => Some(OrderFacts {
            currency: sar(),
            capturable_minor: 0,
            refundable_minor: 5_000,
            voidable: false,
        }),
        _ => None,
    }
}

fn problems(rows: &str) -> Vec<String> {
    let batch = parsed(&format!("{HEAD}{rows}"));
    assert!(batch.is_valid(), "{batch:?}");
    check_against(&batch.rows, journal).iter().map(ToString::to_string).collect()
}

#[test]
fn captures_are_checked_against_what_is_left() {
    assert!(problems("capture,A1,60,SAR,,\ncapture,A1,40,SAR,,\nrefund,A1,100,SAR,,\n").is_empty());
    assert_eq!(
        problems("capture,A1,60,SAR,,\ncapture,A1,40.01,SAR,,\n"),
        [
            "row 3: amount SAR 40.01 is more than the SAR 40.00 order 'A1' has left to capture: capture at most SAR 40.00"
        ]
    );
    assert_eq!(
        problems("capture,S1,1,SAR,,\n"),
        [
            "row 2: order 'S1' has nothing left to capture: it is a sale, or already fully captured or voided; remove this row"
        ]
    );
    assert_eq!(
        problems("capture,A1,1,KWD,,\n"),
        ["row 2: currency KWD does not match order 'A1', which is in SAR: write SAR"]
    );
}

#[test]
fn refunds_need_captured_money() {
    assert_eq!(
        problems("refund,A1,1,SAR,,\n"),
        [
            "row 2: order 'A1' has nothing captured to refund: capture it first, or void it to cancel the authorization"
        ]
    );
    assert_eq!(
        problems("refund,S1,30,SAR,,\nrefund,S1,30,SAR,,\n"),
        [
            "row 3: amount SAR 30.00 is more than the SAR 20.00 order 'S1' has left to refund: refund at most SAR 20.00"
        ]
    );
}

#[test]
fn a_void_needs_an_untouched_authorization() {
    assert!(problems("void,A1,,,,\n").is_empty());
    let void_refused = "order 'A1' cannot be voided: only an authorization with nothing captured can be; to give money back, use refund";
    assert_eq!(problems("capture,A1,10,SAR,,\nvoid,A1,,,,\n"), [format!("row 3: {void_refused}")]);
    assert_eq!(
        problems("void,A1,,,,\ncapture,A1,10,SAR,,\n"),
        [
            "row 3: order 'A1' has nothing left to capture: it is a sale, or already fully captured or voided; remove this row"
        ]
    );
    assert_eq!(problems("void,S1,,,,\n").len(), 1);
}

#[test]
fn an_unknown_order_is_named() {
    assert_eq!(
        problems("capture,NOPE,1,SAR,,\n"),
        [
            "row 2: merchant_reference 'NOPE' names no order of this profile, nor a sale or authorize row above this one: check the reference"
        ]
    );
    // Created later in the file is not created yet.
    let later = problems("capture,N1,1,SAR,,\nauthorize,N1,5,SAR,T1,a@example.com\n");
    assert_eq!(later.len(), 1);
    assert!(later[0].starts_with("row 2: merchant_reference 'N1' names no order"));
}

#[test]
fn orders_created_earlier_in_the_file_can_be_captured_refunded_and_voided() {
    let rows = "authorize,N1,10,SAR,T1,a@example.com\nauthorize,N2,1.250,KWD,T1,a@example.com\nsale,N3,5,SAR,T1,a@example.com\n\
        capture,N1,4,SAR,,\ncapture,N1,6,SAR,,\nrefund,N1,10,SAR,,\nvoid,N2,,,,\nrefund,N3,5,SAR,,\n";
    assert!(problems(rows).is_empty(), "{:?}", problems(rows));
    let too_much = "authorize,N1,10,SAR,T1,a@example.com\ncapture,N1,4,SAR,,\nrefund,N1,5,SAR,,\n";
    assert_eq!(
        problems(too_much),
        [
            "row 4: amount SAR 5.00 is more than the SAR 4.00 order 'N1' has left to refund: refund at most SAR 4.00"
        ]
    );
}

#[test]
fn the_journal_is_asked_once_per_order_and_invalid_rows_are_passed_over() {
    let asked = std::cell::Cell::new(0);
    let batch = parsed(&format!(
        "{HEAD}capture,A1,1,SAR,,\ncapture,A1,1,SAR,,\ncapture,A1,x,SAR,,\nrefund,A1,2,SAR,,\n"
    ));
    let found = check_against(&batch.rows, |r| {
        asked.set(asked.get() + 1);
        journal(r)
    });
    assert!(found.is_empty(), "{found:?}");
    assert_eq!(asked.get(), 1);
}

#[test]
fn money_is_formatted_with_separators_and_the_currency_exponent() {
    let cur = |c: &str| Currency::parse(c).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(format_grouped(246_900, cur("SAR")), "SAR 2,469.00");
    assert_eq!(format_grouped(1_250, cur("KWD")), "KWD 1.250");
    assert_eq!(format_grouped(5, cur("KWD")), "KWD 0.005");
    assert_eq!(format_grouped(0, cur("AED")), "AED 0.00");
    assert_eq!(format_grouped(999, cur("AED")), "AED 9.99");
    assert_eq!(format_grouped(1_234_567, cur("JPY")), "JPY 1,234,567");
    assert_eq!(format_grouped(100, cur("JPY")), "JPY 100");
    assert_eq!(format_grouped(123_456_789_012_345, cur("SAR")), "SAR 1,234,567,890,123.45");
}

#[test]
fn the_summary_counts_rows_and_totals_per_currency() {
    let batch = parsed(&format!(
        "{HEAD}sale,,1234.50,SAR,T1,a@example.com\nsale,,1234.50,SAR,T1,a@example.com\nsale,,1.250,KWD,T1,a@example.com\n\
         sale,,1,XYZ,T1,a@example.com\ncapture,A1,10,SAR,,\nvoid,A1,,,,\n"
    ));
    let summary = Summary::of(&batch);
    assert_eq!((summary.rows, summary.invalid, summary.valid()), (6, 1, 5));
    let sales = summary.op(BatchOp::Sale).unwrap_or_else(|| panic!("sales"));
    assert_eq!(sales.count, 3);
    assert_eq!(sales.totals.to_string(), "SAR 2,469.00 + KWD 1.250");
    assert_eq!(sales.totals.get(sar()), 246_900);
    assert_eq!(summary.op(BatchOp::Void).map(|e| (e.count, e.totals.is_empty())), Some((1, true)));
    assert_eq!(summary.op(BatchOp::Refund).map(|e| e.totals.to_string()).as_deref(), Some("no amounts"));
    assert_eq!(summary.totals.to_string(), "SAR 2,479.00 + KWD 1.250");
    assert_eq!(
        summary.to_string(),
        "6 rows: 3 sale (SAR 2,469.00 + KWD 1.250), 1 capture (SAR 10.00), 1 void; 1 invalid"
    );
}
