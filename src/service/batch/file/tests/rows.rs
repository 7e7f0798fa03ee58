//! Every row problem, by operation and column.

use super::*;

#[test]
fn operations_in_file_words_or_aps_names_any_case() {
    let cases = [
        ("sale", BatchOp::Sale),
        ("SALE", BatchOp::Sale),
        ("Purchase", BatchOp::Sale),
        ("authorize", BatchOp::Authorize),
        ("AUTHORIZATION", BatchOp::Authorize),
        ("payment_link", BatchOp::PaymentLink),
        ("PAYMENT_LINK", BatchOp::PaymentLink),
        ("capture", BatchOp::Capture),
        ("void", BatchOp::Void),
        ("void_authorization", BatchOp::Void),
        (" Refund ", BatchOp::Refund),
    ];
    for (typed, op) in cases {
        assert_eq!(BatchOp::parse(typed), Some(op), "{typed}");
    }
    assert_eq!(BatchOp::Sale.wire_name(), "PURCHASE");
    assert_eq!(BatchOp::Void.wire_name(), "VOID_AUTHORIZATION");
    assert_eq!(
        problem("sell,,1,SAR,T1,a@example.com"),
        "row 2: operation 'sell' is not known: write sale, authorize, capture, void, refund or payment_link"
    );
    assert_eq!(
        problem(",R1,1,SAR,T1,a@example.com"),
        "row 2: operation is empty: write sale, authorize, capture, void, refund or payment_link"
    );
    let long = "x".repeat(60);
    let message = problem(&format!("{long},,1,SAR,T1,a@example.com"));
    assert!(!message.contains(&long) && message.contains("(60 characters)"), "{message}");
}

#[test]
fn each_operation_names_what_it_is_missing() {
    let sale = "a sale row needs amount, currency, token_name and customer_email; fill it in";
    assert_eq!(problem("sale,,,SAR,T1,a@example.com"), format!("row 2: amount is empty: {sale}"));
    assert_eq!(problem("sale,,1,,T1,a@example.com"), format!("row 2: currency is empty: {sale}"));
    assert_eq!(problem("sale,,1,SAR,,a@example.com"), format!("row 2: token_name is empty: {sale}"));
    assert_eq!(problem("sale,,1,SAR,T1,"), format!("row 2: customer_email is empty: {sale}"));
    assert_eq!(
        problem("authorize,,1,SAR,T1,"),
        "row 2: customer_email is empty: an authorize row needs amount, currency, token_name and customer_email; fill it in"
    );
    let capture = "a capture row needs merchant_reference, amount and currency; fill it in";
    assert_eq!(problem("capture,,1,SAR,,"), format!("row 2: merchant_reference is empty: {capture}"));
    assert_eq!(problem("capture,R1,,SAR,,"), format!("row 2: amount is empty: {capture}"));
    assert_eq!(problem("capture,R1,1,,,"), format!("row 2: currency is empty: {capture}"));
    assert_eq!(
        problem("refund,R1,,SAR,,"),
        "row 2: amount is empty: a refund row needs merchant_reference, amount and currency; fill it in"
    );
    assert_eq!(
        problem("void,,,,,"),
        "row 2: merchant_reference is empty: a void row needs merchant_reference; fill it in"
    );
    assert!(
        problem("void,R1,5,SAR,,").starts_with("row 2: amount: a void cancels the whole authorization"),
        "{}",
        problem("void,R1,5,SAR,,")
    );
    assert!(problem("void,R1,,SAR,,").starts_with("row 2: currency: a void cancels"));
    // A void, a capture and a refund need no token or email.
    let batch = parsed(&format!("{HEAD}void,R1,,,,\ncapture,R1,1,SAR,,\nrefund,R1,1,SAR,,\n"));
    assert!(batch.is_valid(), "{batch:?}");
    assert_eq!(valid(&batch.rows[0]).money, None);
}

#[test]
fn money_problems_say_how_to_write_it() {
    assert_eq!(
        problem("sale,,1,XYZ,T1,a@example.com"),
        "row 2: currency 'XYZ' is not an ISO 4217 code: write three letters such as SAR, AED or KWD"
    );
    assert_eq!(
        problem("sale,,1.2345,KWD,T1,a@example.com"),
        "row 2: amount has 4 decimals but KWD allows 3: type at most 3 digits after the point"
    );
    assert_eq!(
        problem("sale,,1500.5,JPY,T1,a@example.com"),
        "row 2: amount has decimals but JPY has none: write a whole number"
    );
    assert_eq!(
        problem("sale,,-5,SAR,T1,a@example.com"),
        "row 2: amount must not be negative: type the amount without a minus sign"
    );
    assert_eq!(
        problem("sale,,0.00,SAR,T1,a@example.com"),
        "row 2: amount must be more than zero: write the amount, for example 12.50"
    );
    assert!(problem("sale,,twelve,SAR,T1,a@example.com").starts_with("row 2: amount is not a number"));
    let batch = parsed(&format!("{HEAD}sale,,1.250,kwd,T1,a@example.com\nsale,,1500,JPY,T1,a@example.com\n"));
    assert_eq!(valid(&batch.rows[0]).money.map(|m| m.to_string()).as_deref(), Some("KWD 1.250"));
    assert_eq!(valid(&batch.rows[1]).money.map(|m| m.minor_units()), Some(1500));
}

#[test]
fn text_cells_follow_the_aps_rules() {
    assert!(
        problem("sale,,1,SAR,T1,not-an-email")
            .starts_with("row 2: customer_email has characters APS does not accept"),
        "{}",
        problem("sale,,1,SAR,T1,not-an-email")
    );
    assert!(
        problem("sale,,1,SAR,T 1,a@example.com")
            .starts_with("row 2: token_name has characters APS does not accept")
    );
    assert!(
        problem("sale,R#1,1,SAR,T1,a@example.com").starts_with("row 2: merchant_reference has characters")
    );
    let long = "R".repeat(41);
    assert_eq!(
        problem(&format!("capture,{long},1,SAR,,")),
        "row 2: merchant_reference has the wrong length: use at most 40 characters, not 41"
    );
    let head =
        "operation,amount,currency,token_name,customer_email,customer_name,phone_number,agreement_id\n";
    let batch = parsed(&format!(
        "{head}sale,1,SAR,T1,a@example.com,Layla 9,,\nsale,1,SAR,T1,a@example.com,,+971 50,A-1\n"
    ));
    assert!(problem_of(&batch.rows[0]).starts_with("row 2: customer_name has characters"));
    assert!(problem_of(&batch.rows[1]).starts_with("row 3: agreement_id has characters"));
}

#[test]
fn a_second_sale_with_one_reference_is_refused_on_the_later_row() {
    let text = format!(
        "{HEAD}sale,R1,1,SAR,T1,a@example.com\ncapture,R1,1,SAR,,\nvoid,R1,,,,\nauthorize,R1,2,SAR,T1,a@example.com\n"
    );
    let batch = parsed(&text);
    assert!(batch.rows[..3].iter().all(|l| l.checked.is_ok()));
    assert_eq!(
        problem_of(&batch.rows[3]),
        "row 5: merchant_reference 'R1' is already used by row 2: every sale, authorize or payment_link row needs its own reference; leave it empty and the terminal makes one"
    );
}

#[test]
fn a_card_number_in_any_cell_is_refused_and_never_kept() {
    let cards = ["4005550000000001", "5123 4567 8901 2346", "3456-789012-34564"];
    let head =
        "operation,merchant_reference,amount,currency,token_name,customer_email,customer_name,description\n";
    for card in cards {
        for (i, column) in
            ["token_name", "customer_name", "description", "merchant_reference"].iter().enumerate()
        {
            let mut cells = ["sale", "", "1", "SAR", "T1", "a@example.com", "", ""];
            cells[[4, 6, 7, 1][i]] = card;
            let batch = parsed(&format!("{head}{}\n", cells.join(",")));
            let line = &batch.rows[0];
            let message = problem_of(line);
            assert!(
                message.starts_with(&format!("row 2: {column}: this looks like a card number")),
                "{message}"
            );
            let everything = format!("{batch:?} {message} {}", Summary::of(&batch));
            let digits: String = card.chars().filter(char::is_ascii_digit).collect();
            assert!(!everything.contains(card) && !everything.contains(&digits), "{everything}");
            assert_eq!(line.input.get(Column::ALL[[4, 6, 7, 1][i]]), CARD_REMOVED);
        }
    }
    // The advice fits the column.
    assert!(problem("sale,,1,SAR,4005550000000001,a@example.com").contains("chosen by its token name"));
    // A phone number in international form is not a card number.
    let head = "operation,amount,currency,token_name,customer_email,phone_number\n";
    assert!(parsed(&format!("{head}sale,1,SAR,T1,a@example.com,+971501234567890\n")).is_valid());
}
