use super::*;
use crate::aps::Params;
use serde_json::json;

/// Every status of spec 5.1, copied from the spec table independently of `status_text`.
const SPEC_STATUSES: &[&str] = &[
    "00", "01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "12", "13", "14", "15", "17",
    "18", "19", "20", "21", "22", "23", "24", "27", "28", "29", "30", "31", "32", "40", "42", "43", "44",
    "45", "46", "47", "48", "49", "50", "51", "52", "53", "54", "55", "56", "57", "58", "59", "62", "63",
    "66", "70", "71", "72", "73", "74", "75", "76", "77", "80", "81", "88", "89", "90", "91", "92", "93",
];

/// Every message code of spec 5.2 (052–060 expanded, plus the third-party 061).
const SPEC_MESSAGES: &[&str] = &[
    "000", "001", "002", "003", "004", "005", "006", "007", "008", "009", "010", "011", "012", "013", "014",
    "015", "016", "017", "018", "019", "020", "021", "023", "024", "025", "026", "027", "029", "030", "031",
    "032", "033", "034", "035", "036", "037", "038", "039", "040", "042", "043", "044", "046", "047", "048",
    "049", "050", "051", "052", "053", "054", "055", "056", "057", "058", "059", "060", "061", "062", "063",
    "064", "065", "066", "067", "068", "069", "070", "071", "072", "073", "074", "075", "076", "077", "078",
    "079", "080", "082", "083", "084", "086", "087", "088", "089", "090", "092", "093", "094", "095", "096",
    "097", "098", "099", "100", "101", "102", "103", "104", "105", "106", "107", "110", "111", "112", "113",
    "114", "115", "116", "117", "118", "119", "120", "121", "122", "123", "124", "125", "126", "127", "128",
    "129", "134", "136", "137", "138", "140", "141", "142", "144", "146", "147", "148", "149", "150", "151",
    "152", "154", "155", "181", "221", "225", "662", "666", "746", "747", "748", "773", "777", "778", "779",
    "780", "781", "783", "784", "785", "787", "788", "789", "790", "983",
];

/// The on-hold codes of spec 5.4, by exact value and by example of each open status/message.
const ON_HOLD: &[&str] = &[
    "15777", "15778", "15779", "15780", "15781", "00006", "01006", "02006", "03006", "04006", "05006",
    "06006", "07006", "08006", "09006", "11006", "13006", "17006", "15000", "15001", "19000", "19065",
    "10000", "10064", "20000", "20065", "40000", "40090", "14090", "13090", "13051", "14051", "00051",
    "14777", "13777", "04778", "13784", "00784", "06784",
];

fn params(v: Value) -> Params {
    match v {
        Value::Object(map) => map,
        _ => panic!("object expected"),
    }
}

#[test]
fn response_code_parses_exactly_five_ascii_digits() {
    let code = ResponseCode::parse("03001").unwrap();
    assert_eq!((code.status(), code.message(), code.as_str()), ("03", "001", "03001"));
    assert_eq!(code.to_string(), "03001");
    assert_eq!(format!("{code:?}"), "ResponseCode(03001)");
    for bad in ["", "1400", "140000", "14 00", "1400a", " 14000", "14000\n", "١٤٠٠٠", "+1400", "-1400"] {
        assert_eq!(ResponseCode::parse(bad), None, "{bad:?}");
    }
    assert_eq!(ResponseCode::from_value(&json!(2000)), ResponseCode::parse("02000"));
    assert_eq!(ResponseCode::from_value(&json!("14000")), ResponseCode::parse("14000"));
    assert_eq!(ResponseCode::from_value(&json!(100000)), None);
    assert_eq!(ResponseCode::from_value(&json!(-1)), None);
    assert_eq!(ResponseCode::from_value(&json!(14000.5)), None);
    assert_eq!(ResponseCode::from_value(&json!(null)), None);
}

#[test]
fn every_spec_status_and_message_has_words() {
    for status in SPEC_STATUSES {
        assert_ne!(status_text(status), UNKNOWN_STATUS, "status {status}");
    }
    for message in SPEC_MESSAGES {
        assert_ne!(message_text(message), UNKNOWN_MESSAGE, "message {message}");
    }
    assert_eq!(status_text("16"), UNKNOWN_STATUS);
    assert_eq!(status_text("99"), UNKNOWN_STATUS);
    assert_eq!(status_text("1"), UNKNOWN_STATUS);
    assert_eq!(message_text("022"), UNKNOWN_MESSAGE);
    assert_eq!(message_text("999"), UNKNOWN_MESSAGE);
    assert_eq!(message_text("29"), UNKNOWN_MESSAGE);
    assert_eq!(message_text("029"), "Insufficient funds");
    assert_eq!(message_text("020"), "Processor is inactive");
}

#[test]
fn the_tables_hold_nothing_the_spec_lacks() {
    for n in 0..100 {
        let status = format!("{n:02}");
        assert_eq!(
            status_text(&status) != UNKNOWN_STATUS,
            SPEC_STATUSES.contains(&status.as_str()),
            "{status}"
        );
    }
    for n in 0..1000 {
        let message = format!("{n:03}");
        assert_eq!(
            message_text(&message) != UNKNOWN_MESSAGE,
            SPEC_MESSAGES.contains(&message.as_str()),
            "{message}"
        );
    }
}

#[test]
fn arabic_messages_cover_the_simulator_codes() {
    for message in [
        "000", "001", "002", "003", "004", "005", "006", "007", "008", "009", "010", "012", "013", "016",
        "020", "032", "033", "036", "042", "044", "047", "048", "066", "666",
    ] {
        let text = message_text_ar(message).unwrap_or_else(|| panic!("no Arabic for {message}"));
        assert!(text.chars().any(|c| ('\u{0600}'..='\u{06FF}').contains(&c)), "{message}: {text}");
    }
    assert_eq!(message_text_ar("999"), None);
}

/// An operation, the code APS answered, how it is classified, and words its headline holds.
type Row = (Operation, &'static str, Kind, &'static str);

/// Approved answers, and answers that leave the outcome in doubt.
fn approved_and_in_doubt() -> Vec<Row> {
    use Kind::*;
    use Operation::*;
    vec![
        // Approved (spec 5.3).
        (Purchase, "14000", Approved, "Approved"),
        (Authorization, "02000", Approved, "Approved"),
        (Capture, "04000", Approved, "Approved"),
        (VoidAuthorization, "08000", Approved, "Approved"),
        (Refund, "06000", Approved, "Approved"),
        (CheckStatus, "12000", Approved, "Approved"),
        (CreateToken, "52062", Approved, "Approved"),
        (CreateToken, "52000", Approved, "Approved"),
        (CreateToken, "18000", Approved, "Approved"),
        (CreateToken, "18062", Approved, "Approved"),
        (UpdateToken, "58000", Approved, "Approved"),
        (UpdateToken, "18063", Approved, "Approved"),
        (PaymentLink, "48000", Approved, "Approved"),
        (UploadBatchFile, "50000", Approved, "Approved"),
        (GetBatchResults, "70000", Approved, "Approved"),
        (ProcessBatch, "72147", Approved, "Approved"),
        // A success of another operation is not this operation's success.
        (Capture, "14000", Uncertain, "Outcome unknown"),
        (Purchase, "02000", Uncertain, "Outcome unknown"),
        (Refund, "04000", Uncertain, "Outcome unknown"),
        (Purchase, "12000", Uncertain, "Outcome unknown"),
        (CheckStatus, "14000", Uncertain, "Status unknown"),
        (UpdateToken, "52062", Uncertain, "Outcome unknown"),
        (Purchase, "18000", Uncertain, "Outcome unknown"),
        (PaymentLink, "72147", Uncertain, "Outcome unknown"),
        // On hold (spec 5.4).
        (Purchase, "15777", Uncertain, "Outcome unknown"),
        (Purchase, "13006", Uncertain, "Outcome unknown"),
        (Authorization, "03006", Uncertain, "Outcome unknown"),
        (Purchase, "00006", Uncertain, "Outcome unknown"),
        (Refund, "07006", Uncertain, "Outcome unknown"),
        (Purchase, "19000", Uncertain, "Outcome unknown"),
        (Purchase, "20000", Uncertain, "Outcome unknown"),
        (Purchase, "10000", Uncertain, "Outcome unknown"),
        (Purchase, "40090", Uncertain, "Outcome unknown"),
        (Purchase, "13051", Uncertain, "Outcome unknown"),
        (Purchase, "13777", Uncertain, "Outcome unknown"),
        (Purchase, "00778", Uncertain, "Outcome unknown"),
        (Capture, "00784", Uncertain, "Outcome unknown"),
        (Purchase, "20064", Uncertain, "Outcome unknown"),
        (CheckStatus, "11006", Uncertain, "Status unknown"),
        // Missing or unreadable codes.
        (Purchase, "", Uncertain, "Outcome unknown"),
        (Refund, "abc", Uncertain, "Outcome unknown"),
        (CheckStatus, "", Uncertain, "Status unknown"),
        (CreateToken, "5206", Uncertain, "Outcome unknown"),
        // Unknown codes for money-moving operations stay open.
        (Purchase, "17016", Uncertain, "Outcome unknown"),
        (Purchase, "53012", Uncertain, "Outcome unknown"),
        (Capture, "99999", Uncertain, "Outcome unknown"),
        (Purchase, "14001", Uncertain, "Outcome unknown"),
        (Purchase, "11036", Uncertain, "Outcome unknown"),
    ]
}

/// Answers that were refused before processing, or declined.
fn refused() -> Vec<Row> {
    use Kind::*;
    use Operation::*;
    vec![
        // Rejected before processing.
        (Purchase, "00001", Rejected, "Not sent: the request was refused (missing parameter)"),
        (Purchase, "00002", Rejected, "(invalid parameter format)"),
        (Purchase, "00004", Rejected, "(invalid command)"),
        (Purchase, "00005", Rejected, "(invalid amount)"),
        (Purchase, "00007", Rejected, "(duplicate order number)"),
        (Purchase, "00066", Rejected, "(merchant reference already exists)"),
        (Purchase, "00008", Rejected, "(signature mismatch)"),
        (CheckStatus, "00008", Rejected, "(signature mismatch)"),
        (Purchase, "00009", Rejected, "(invalid merchant identifier)"),
        (Purchase, "00010", Rejected, "(invalid access code)"),
        (Purchase, "00013", Rejected, "(invalid currency)"),
        (Purchase, "00032", Rejected, "(invalid parameter length)"),
        (Purchase, "00033", Rejected, "(parameter value not allowed)"),
        (Purchase, "00047", Rejected, "(order already processed)"),
        (Authorization, "00049", Rejected, "(operation not valid for this payment option)"),
        (Purchase, "00072", Rejected, "(transaction has been cancelled by the consumer)"),
        (Refund, "00998", Rejected, "(message 998)"),
        // Declined: processed, nothing moved.
        (Purchase, "13029", Declined, "Declined: insufficient funds"),
        (Purchase, "13012", Declined, "Declined: card expired"),
        (Purchase, "13016", Declined, "Declined: invalid card number"),
        (Purchase, "13666", Declined, "Declined: transaction declined"),
        (Purchase, "13020", Declined, "Declined: processor is inactive"),
        (Purchase, "13044", Declined, "Declined: token name does not exist"),
        (Authorization, "03029", Declined, "Declined: insufficient funds"),
        (Capture, "05042", Declined, "Declined: operation amount exceeds the authorized amount"),
        (Refund, "07048", Declined, "Declined: operation amount exceeds captured amount"),
        (VoidAuthorization, "09043", Declined, "Declined: inactive operation"),
        (Purchase, "13999", Declined, "Declined: message 999"),
        (CheckStatus, "11036", Declined, "Order not found"),
        (CheckStatus, "11010", Declined, "Status check failed: invalid access code"),
        (CreateToken, "17016", Declined, "Declined: invalid card number"),
        (CreateToken, "53012", Declined, "Declined: card expired"),
        (UpdateToken, "59043", Declined, "Declined: inactive operation"),
        (PaymentLink, "49005", Declined, "Declined: invalid amount"),
        (GetBatchResults, "71141", Declined, "Declined: batch reference does not exist"),
        (ProcessBatch, "73144", Declined, "Declined: invalid batch file"),
        (UploadBatchFile, "77136", Declined, "Declined: batch file validation failed"),
        (CreateToken, "20064", Declined, "Declined: 3-D Secure check requested"),
        (CreateToken, "99999", Declined, "Declined: message 999"),
    ]
}

#[test]
fn classify_table() {
    let table = [approved_and_in_doubt(), refused()].concat();
    assert!(table.len() >= 60);
    for (op, code, kind, headline) in &table {
        let v = classify(*op, code);
        assert_eq!(v.kind, *kind, "{op} {code}: {v:?}");
        assert!(v.headline.contains(headline), "{op} {code}: headline {:?} lacks {headline:?}", v.headline);
        assert_eq!(v.code, *code);
        if ResponseCode::parse(code).is_some() {
            assert!(v.explanation.contains(&format!("APS code {code}")), "{op} {code}: {v:?}");
        }
    }
}

#[test]
fn next_steps_say_the_right_thing() {
    use Operation::*;
    let cases: &[(Operation, &str, &str)] = &[
        (
            Purchase,
            "00007",
            "This reference was already used: check its status in History before charging again",
        ),
        (
            Purchase,
            "00066",
            "This reference was already used: check its status in History before charging again",
        ),
        (Purchase, "00008", "Check the SHA request phrase and SHA type in Settings"),
        (Purchase, "00009", "merchant identifier in Settings"),
        (Purchase, "00010", "access code in Settings"),
        (Purchase, "00047", "check its status in History"),
        (Purchase, "13029", "Ask the customer for another card"),
        (Purchase, "13012", "another card"),
        (Capture, "05042", "Capture at most the remaining authorized amount"),
        (Refund, "07048", "Refund at most the captured amount"),
        (Purchase, "13044", "card details again"),
        (CreateToken, "53043", "stored card is inactive"),
        (Purchase, "15777", "Do not charge again: the terminal is checking the status with APS"),
        (Refund, "07006", "Do not refund again"),
        (Capture, "", "Do not capture again"),
        (CheckStatus, "11036", "few minutes"),
    ];
    for (op, code, step) in cases {
        let v = classify(*op, code);
        assert!(v.next_step.contains(step), "{op} {code}: {:?} lacks {step:?}", v.next_step);
    }
    for code in ["00007", "00066", "00047"] {
        let v = classify(Purchase, code);
        assert!(!v.next_step.to_lowercase().contains("send again"), "{code} invites a retry: {v:?}");
        assert!(v.explanation.contains("earlier"), "{code}: {v:?}");
    }
}

#[test]
fn every_on_hold_code_is_uncertain_for_every_operation() {
    for op in Operation::ALL {
        for code in ON_HOLD {
            let v = classify(op, code);
            assert_eq!(v.kind, Kind::Uncertain, "{op} {code}: {v:?}");
        }
    }
}

#[test]
fn every_code_of_every_operation_has_words_and_xx006_never_closes_a_payment() {
    for op in Operation::ALL {
        let mut approved = 0;
        for n in 0..100_000u32 {
            let code = format!("{n:05}");
            let v = classify(op, &code);
            assert!(
                !v.headline.is_empty() && !v.explanation.is_empty() && !v.next_step.is_empty(),
                "{op} {code}"
            );
            assert_eq!(v.code, code);
            if v.kind == Kind::Approved {
                approved += 1;
            }
            if op.moves_money() && (code.ends_with("006") || ON_HOLD.contains(&code.as_str())) {
                assert_eq!(v.kind, Kind::Uncertain, "{op} {code}");
            }
            if op.moves_money() && matches!(v.kind, Kind::Declined | Kind::Rejected) {
                let status = &code[..2];
                assert!(status == "00" || PAYMENT_FAILURES.contains(&status), "{op} {code}: {v:?}");
            }
        }
        let expected = match op {
            Operation::CreateToken => 1000 + 3,
            Operation::UpdateToken => 1 + 3,
            _ => 1,
        };
        assert_eq!(approved, expected, "{op}");
    }
}

#[test]
fn unreadable_codes_never_echo_long_text() {
    let v = classify(Operation::Purchase, "4005550000000001");
    assert_eq!(v.kind, Kind::Uncertain);
    assert_eq!(v.code, "4005550000");
    assert!(!v.explanation.contains("4005550000000001"));
}

#[test]
fn check_status_found_with_amounts_as_strings() {
    let answer = interpret_check_status(&params(json!({
        "query_command": "CHECK_STATUS", "response_code": "12000", "status": "12",
        "response_message": "Success", "fort_id": "169996200000001", "transaction_status": "04",
        "transaction_code": "04000", "transaction_message": "Success", "authorized_amount": "10000",
        "captured_amount": "7500", "refunded_amount": "", "authorization_code": "A1B2C3",
    })));
    let StatusAnswer::Found(order) = answer else { panic!("{answer:?}") };
    assert_eq!(order.transaction_status, "04");
    assert_eq!(order.transaction_code, "04000");
    assert_eq!(order.transaction_message, "Success");
    assert_eq!((order.authorized_minor, order.captured_minor, order.refunded_minor), (10000, 7500, 0));
    assert_eq!(order.fort_id.as_deref(), Some("169996200000001"));
    assert_eq!(order.authorization_code.as_deref(), Some("A1B2C3"));
    assert_eq!(order.last_operation(), Some(Operation::Capture));
    assert_eq!(order.transaction_verdict().map(|v| v.kind), Some(Kind::Approved));
}

#[test]
fn check_status_found_with_numbers() {
    let answer = interpret_check_status(&params(json!({
        "response_code": 12000, "transaction_status": 6, "transaction_code": 6000,
        "authorized_amount": 25000, "captured_amount": 25000, "refunded_amount": 5000, "fort_id": 1234567,
    })));
    let StatusAnswer::Found(order) = answer else { panic!("{answer:?}") };
    assert_eq!(order.transaction_status, "06");
    assert_eq!(order.transaction_code, "06000");
    assert_eq!((order.authorized_minor, order.captured_minor, order.refunded_minor), (25000, 25000, 5000));
    assert_eq!(order.fort_id.as_deref(), Some("1234567"));
    assert_eq!(order.authorization_code, None);
    assert_eq!(order.transaction_message, "");
    assert_eq!(order.last_operation(), Some(Operation::Refund));
}

#[test]
fn check_status_purchase_and_failed_purchase_are_final() {
    let paid = interpret_check_status(&params(json!({
        "response_code": "12000", "transaction_code": "14000", "transaction_status": "14",
        "authorized_amount": "10000", "captured_amount": "10000",
    })));
    let StatusAnswer::Found(order) = paid else { panic!("{paid:?}") };
    assert_eq!((order.authorized_minor, order.captured_minor, order.refunded_minor), (10000, 10000, 0));
    assert_eq!(order.transaction_verdict().map(|v| v.kind), Some(Kind::Approved));

    let failed = interpret_check_status(&params(json!({
        "response_code": "12000", "transaction_code": "13029", "transaction_status": "13",
    })));
    let StatusAnswer::Found(order) = failed else { panic!("{failed:?}") };
    assert_eq!(order.authorized_minor + order.captured_minor, 0);
    assert_eq!(order.transaction_verdict().map(|v| v.kind), Some(Kind::Declined));
}

#[test]
fn check_status_on_hold_keeps_polling() {
    for transaction_code in ["15777", "13006", "19000", "20064", "02006", "14777", "40090"] {
        let answer = interpret_check_status(&params(json!({
            "response_code": "12000", "transaction_code": transaction_code, "authorized_amount": "100",
        })));
        let StatusAnswer::StillUncertain(order) = answer else { panic!("{transaction_code}: {answer:?}") };
        assert_eq!(order.transaction_code, transaction_code);
        assert_eq!(order.transaction_status, &transaction_code[..2]);
        assert_eq!(order.authorized_minor, 100);
    }
    let missing = interpret_check_status(&params(json!({ "response_code": "12000" })));
    assert!(matches!(missing, StatusAnswer::StillUncertain(_)), "{missing:?}");
}

#[test]
fn check_status_not_found_only_for_11036() {
    assert_eq!(interpret_check_status(&params(json!({ "response_code": "11036" }))), StatusAnswer::NotFound);
    assert_eq!(interpret_check_status(&params(json!({ "response_code": 11036 }))), StatusAnswer::NotFound);
    for code in ["11006", "11010", "00036", "12036"] {
        let answer = interpret_check_status(&params(json!({ "response_code": code })));
        assert!(matches!(answer, StatusAnswer::QueryFailed(_)), "{code}: {answer:?}");
    }
}

#[test]
fn check_status_bad_answers_leave_the_order_unknown() {
    let StatusAnswer::QueryFailed(v) = interpret_check_status(&params(json!({ "response_code": "00008" })))
    else {
        panic!("signature mismatch must fail the query")
    };
    assert_eq!(v.kind, Kind::Rejected);
    assert!(v.next_step.contains("SHA request phrase"));

    let StatusAnswer::QueryFailed(v) = interpret_check_status(&params(json!({ "status": "12" }))) else {
        panic!("a missing response_code must fail the query")
    };
    assert_eq!(v.kind, Kind::Uncertain);
    assert_eq!(v.code, "");

    let StatusAnswer::QueryFailed(v) = interpret_check_status(&params(json!({ "response_code": "1200" })))
    else {
        panic!("a short response_code must fail the query")
    };
    assert_eq!(v.kind, Kind::Uncertain);

    for (field, value) in [
        ("captured_amount", json!("12.50")),
        ("captured_amount", json!(-5)),
        ("authorized_amount", json!(10.5)),
        ("refunded_amount", json!("1 000")),
        ("transaction_code", json!(["14000"])),
        ("fort_id", json!({"id": 1})),
    ] {
        let mut response = params(json!({ "response_code": "12000", "transaction_code": "14000" }));
        response.insert(field.to_owned(), value);
        let StatusAnswer::QueryFailed(v) = interpret_check_status(&response) else {
            panic!("unreadable {field} must fail the query")
        };
        assert_eq!(v.kind, Kind::Uncertain, "{field}");
        assert!(v.explanation.contains(field), "{field}: {v:?}");
    }
}

#[test]
fn kind_serializes_in_snake_case() {
    assert_eq!(serde_json::to_string(&Kind::Uncertain).unwrap(), "\"uncertain\"");
    assert_eq!(serde_json::from_str::<Kind>("\"declined\"").unwrap(), Kind::Declined);
    assert_eq!(Kind::Uncertain.label(), "Outcome unknown");
}

#[test]
fn order_stored_is_not_final_and_order_already_processed_leaves_money_in_doubt() {
    // Status 01, "Order stored": APS holds the order without a result yet (spec 5.1).
    assert!(is_on_hold(&ResponseCode::parse("01000").unwrap()));
    // Message 047, "Order already processed", answers a repeat (spec 8): the earlier request
    // under the reference may have moved money, even where the status reads as a failure.
    for (op, code) in
        [(Operation::Refund, "07047"), (Operation::Capture, "05047"), (Operation::Purchase, "13047")]
    {
        let verdict = classify(op, code);
        assert_eq!(verdict.kind, Kind::Uncertain, "{op:?} {code}: {verdict:?}");
        assert!(!verdict.explanation.contains("no money"), "{op:?} {code}: {}", verdict.explanation);
    }
    assert_eq!(
        classify(Operation::CheckStatus, "12047").kind,
        Kind::Declined,
        "a status check moves nothing"
    );
}
