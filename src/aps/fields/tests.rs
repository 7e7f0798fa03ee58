use super::*;
use proptest::prelude::*;
use serde_json::json;

fn params(value: serde_json::Value) -> Params {
    match value {
        serde_json::Value::Object(map) => map,
        other => panic!("not an object: {other}"),
    }
}

/// The field of an APS parameter name: the tables below are written in wire names.
fn f(name: &str) -> Field {
    Field::from_wire(name).unwrap_or_else(|| panic!("no field named {name}"))
}

/// [`super::check`] by wire name.
fn check(name: &str, value: &str) -> Result<(), FieldError> {
    super::check(f(name), value)
}

fn rule(name: &str) -> Option<&'static Rule> {
    super::rule(f(name))
}

fn problem(name: &str, value: &str) -> Option<Problem> {
    check(name, value).err().map(|e| e.problem)
}

/// One row per rule: a valid value, a value with a refused character, and (for value
/// lists) a value of the right shape that is not on the list. Too-long values are built
/// from the rule itself in the test below.
const TABLE: &[(&str, &str, &str, Option<&str>)] = &[
    ("command", "VOID_AUTHORIZATION", "PURCHASE-1", Some("SALE")),
    ("query_command", "CHECK_STATUS", "CHECK STATUS", Some("GET_TOKENS")),
    ("service_command", "PAYMENT_LINK", "PAYMENT-LINK", Some("DELETE_TOKEN")),
    ("access_code", "zx0IPmPy5jp1vAz8Kpg7", "zx0IPmPy5jp1vAz8Kp-7", None),
    ("merchant_identifier", "CycHZxVj", "CycH_ZxVj", None),
    ("merchant_reference", "ORD-2025_01.7", "ORD/2025", None),
    ("language", "ar", "e1", Some("fr")),
    ("signature", "7cad05f0212ed933c9a5d5dffa31661acf2c827a", "7cad05f0+212", None),
    ("amount", "10000", "100.00", None),
    ("currency", "SAR", "sar", None),
    ("customer_email", "test.user+1@example-mail.com", "test(user)@example.com", None),
    ("eci", "MOTO", "MOTO_1", Some("MAIL")),
    ("token_name", "Op9Vmp.a-b_c@d", "Op9Vmp a", None),
    ("new_token_name", "tok_123", "tok#123", None),
    ("customer_ip", "2001:db8::ff00:42:8329", "192.168.0.1/24", None),
    ("payment_option", "MADA", "MADA1", Some("PAYPAL")),
    ("order_description", "Order #12: 2 items / $40 - it's 'ok'. طلب", "Order!", None),
    ("customer_name", "Anne-Marie O'Neil \\ J./K._L محمد", "Agent 007", None),
    ("card_holder_name", "Ahmed Al-Farsi Jr. أحمد", "Ahmed_Al", None),
    ("phone_number", "+966 (50) 123-4567", "+966#501234567", None),
    ("settlement_reference", "SET-2025_01.1", "SET 1", None),
    ("merchant_extra", "a.b;c/d_e-f,g'h@i", "a+b", None),
    ("merchant_extra1", "x;y", "x y", None),
    ("merchant_extra2", "x;y", "x=y", None),
    ("merchant_extra3", "x;y", "x!y", None),
    ("merchant_extra4", "x;y", "x:y", None),
    ("merchant_extra5", "x;y", "x?y", None),
    ("return_url", "https://shop.example/ret?a=1&b=$2#!x_y-z", "https://shop.example/ret a", None),
    ("remember_me", "NO", "N0", Some("YEP")),
    ("card_number", "4005550000000001", "4005 5500 0000 0001", None),
    ("expiry_date", "2705", "27/5", None),
    ("card_security_code", "1234", "12a", None),
    ("fort_id", "169996200001734981", "1699-962", None),
    ("maintenance_reference", "REF-1_a.2", "REF 1", None),
    ("return_third_party_response_codes", "YES", "Y3S", Some("NON")),
    ("agreement_id", "115170000001", "1151-70000001", None),
    ("recurring_mode", "FIXED", "FIX3D", Some("MONTHLY")),
    ("recurring_transactions_count", "12", "1a", None),
    ("recurring_expiry_date", "2027-12-31", "2027/12/31", None),
    ("recurring_days_between_payments", "28", "2 8", None),
    ("token_status", "INACTIVE", "IN_ACTIVE", Some("DELETED")),
    ("link_command", "AUTHORIZATION", "AUTHORIZATION_", Some("CAPTURE")),
    ("payment_link_id", "pl-1_2.3", "pl/1", None),
    ("customer_phone", "00962797219966", "+962797219966", None),
    ("request_expiry_date", "2017-12-20T15:36:55+03:00", "2017-12-20 15:36", None),
    ("notification_type", "EMAIL,SMS", "EMAIL;SMS", Some("EMAIL,FAX")),
    ("batch_reference", "BATCH-2025/01_a.b", "BATCH 1", None),
    ("batch_id", "123456", "12-34", None),
];

/// A value that passes the character check and is one character too long.
fn too_long(rule: &Rule) -> String {
    let c = match rule.kind {
        Kind::Numeric => '1',
        _ => 'A',
    };
    std::iter::repeat_n(c, rule.max + 1).collect()
}

#[test]
fn every_rule_has_a_table_row_and_every_row_a_rule() {
    for r in RULES {
        assert!(TABLE.iter().any(|row| row.0 == r.field.name()), "no test row for {}", r.field.name());
    }
    for row in TABLE {
        assert!(rule(row.0).is_some(), "no rule for {}", row.0);
    }
    assert_eq!(TABLE.len(), RULES.len());
}

#[test]
fn table_valid_format_length_value() {
    for &(name, valid, bad_char, bad_value) in TABLE {
        let r = rule(name).unwrap();
        assert_eq!(check(name, valid), Ok(()), "{name} = {valid:?}");
        assert_eq!(problem(name, bad_char), Some(Problem::Format), "{name} = {bad_char:?}");
        let long = too_long(r);
        assert_eq!(problem(name, &long), Some(Problem::Length), "{name}: {} chars", long.len());
        // The maximum itself is fine as far as length goes.
        let at_max: String = long.chars().skip(1).collect();
        assert_ne!(problem(name, &at_max), Some(Problem::Length), "{name} at max");
        match bad_value {
            Some(v) => {
                assert!(!r.allowed.is_empty(), "{name}");
                assert_eq!(problem(name, v), Some(Problem::Value), "{name} = {v:?}");
            }
            None => {
                assert!(r.allowed.is_empty(), "{name} has a value list but no bad value in the table")
            }
        }
        assert_eq!(problem(name, ""), Some(Problem::Missing), "{name} empty");
    }
}

#[test]
fn rules_table_is_consistent() {
    for (i, r) in RULES.iter().enumerate() {
        assert!(RULES[..i].iter().all(|o| o.field != r.field), "duplicate rule {}", r.field);
        assert!(r.field.wire_name().is_some(), "{} is not an APS parameter", r.field);
        assert!(1 <= r.min && r.min <= r.max, "{}", r.field);
        for v in r.allowed {
            assert_eq!(r.check(v), Ok(()), "{} refuses its own allowed value {v}", r.field);
        }
    }
}

#[test]
fn exact_lengths_and_minimums() {
    let cases = [
        ("currency", "SA", Some(Problem::Length)),
        ("currency", "SARR", Some(Problem::Length)),
        ("currency", "usd", Some(Problem::Format)),
        ("currency", "Usd", Some(Problem::Format)),
        ("currency", "USD", None),
        ("language", "e", Some(Problem::Length)),
        ("language", "EN", Some(Problem::Value)),
        ("language", "en", None),
        ("expiry_date", "275", Some(Problem::Length)),
        ("expiry_date", "27055", Some(Problem::Length)),
        ("card_security_code", "12", Some(Problem::Length)),
        ("card_security_code", "123", None),
        ("card_security_code", "12345", Some(Problem::Length)),
        ("card_number", "400555000000", Some(Problem::Length)),
        ("card_number", "4005550000001", None),
        ("card_number", "9818950527886700002", None),
        ("card_number", "40055500000000000001", Some(Problem::Length)),
        ("amount", "1", None),
        ("amount", "9999999999", None),
        ("amount", "10000000000", Some(Problem::Length)),
        ("amount", "-100", Some(Problem::Format)),
        ("amount", "1e3", Some(Problem::Format)),
        ("amount", "١٠٠", Some(Problem::Format)),
        ("remember_me", "Y", Some(Problem::Length)),
        ("command", "purchase", Some(Problem::Value)),
        ("command", "PURCHASE ", Some(Problem::Format)),
    ];
    for (name, value, want) in cases {
        assert_eq!(problem(name, value), want, "{name} = {value:?}");
    }
}

#[test]
fn emails_need_one_at_with_text_around_it() {
    let cases = [
        ("a@b", None),
        ("first.last+tag@sub.example.co", None),
        ("ab", Some(Problem::Format)),
        ("@example.com", Some(Problem::Format)),
        ("name@", Some(Problem::Format)),
        ("a@b@c", Some(Problem::Format)),
        ("a b@c", Some(Problem::Format)),
        ("ahmed@مثال.com", Some(Problem::Format)),
    ];
    for (value, want) in cases {
        assert_eq!(problem("customer_email", value), want, "{value:?}");
    }
    let err = check("customer_email", "test(user)@example.com").unwrap_err();
    assert_eq!(
        err.to_string(),
        "customer_email has characters APS does not accept: use letters, digits and _ - . @ +, not \"(\""
    );
    let err = check("customer_email", "a@b@c").unwrap_err();
    assert!(err.hint.contains("exactly one @"), "{err}");
    let mut long = "a@".to_string();
    long.push_str(&"b".repeat(252));
    assert_eq!(check("customer_email", &long), Ok(()));
    long.push('b');
    assert_eq!(problem("customer_email", &long), Some(Problem::Length));
}

#[test]
fn notification_type_lists() {
    for ok in ["NONE", "EMAIL,SMS", "SMS,EMAIL,NONE", "SMS,SMS"] {
        assert_eq!(check("notification_type", ok), Ok(()), "{ok}");
    }
    for bad in ["EMAIL,", ",SMS", "EMAIL,,SMS", "email", "EMAIL,PUSH"] {
        assert_eq!(problem("notification_type", bad), Some(Problem::Value), "{bad}");
    }
    assert_eq!(problem("notification_type", "EMAIL, SMS"), Some(Problem::Format));
}

#[test]
fn unicode_letters_only_where_spec_leaves_it_open() {
    assert_eq!(check("customer_name", "محمد العتيبي"), Ok(()));
    assert_eq!(check("card_holder_name", "فاطمة الزهراء"), Ok(()));
    assert_eq!(check("order_description", "طلب رقم 12"), Ok(()));
    // Letters only: Arabic-Indic digits and Arabic punctuation stay out.
    assert_eq!(problem("order_description", "طلب ١٢"), Some(Problem::Format));
    assert_eq!(problem("customer_name", "محمد، علي"), Some(Problem::Format));
    // Other fields stay ASCII.
    assert_eq!(problem("merchant_reference", "طلب"), Some(Problem::Format));
    assert_eq!(problem("token_name", "é"), Some(Problem::Format));
    assert_eq!(problem("customer_email", "josé@example.com"), Some(Problem::Format));
}

#[test]
fn lengths_count_characters_not_bytes() {
    let name: String = "م".repeat(40);
    assert_eq!(name.len(), 80);
    assert_eq!(check("customer_name", &name), Ok(()));
    let longer = format!("{name}م");
    let err = check("customer_name", &longer).unwrap_err();
    assert_eq!(err.problem, Problem::Length);
    assert_eq!(err.hint, "use at most 40 characters, not 41");
}

#[test]
fn messages_and_codes() {
    let err = check("merchant_reference", "A".repeat(41).as_str()).unwrap_err();
    assert_eq!(err.message_code(), "032");
    assert_eq!(err.to_string(), "merchant_reference has the wrong length: use at most 40 characters, not 41");
    let err = check("currency", "SR").unwrap_err();
    assert_eq!(err.to_string(), "currency has the wrong length: use exactly 3 letters, not 2");
    let err = check("currency", "sar").unwrap_err();
    assert_eq!(
        err.to_string(),
        "currency has characters APS does not accept: use 3 capital letters, like SAR"
    );
    let err = check("card_security_code", "12").unwrap_err();
    assert_eq!(err.hint, "use 3 to 4 digits, not 2");
    let err = check("command", "SALE").unwrap_err();
    assert_eq!(err.message_code(), "033");
    assert_eq!(
        err.to_string(),
        "command has a value APS does not accept: use one of PURCHASE, AUTHORIZATION, CAPTURE, VOID_AUTHORIZATION, REFUND"
    );
    let err = check("command", "SALE-1").unwrap_err();
    assert_eq!(err.message_code(), "002");
    assert_eq!(err.hint, "use letters and _, not \"-\"");
    let err = check("amount", "").unwrap_err();
    assert_eq!(err.message_code(), "001");
    assert_eq!(err.to_string(), "amount is missing: fill it in, or leave the field out if it is optional");
    assert_eq!(check("amount", "1.5").unwrap_err().hint, "use digits only, not \".\"");
    assert_eq!(
        check("customer_name", "A2").unwrap_err().hint,
        "use letters, spaces and _ \\ / - . ', not \"2\""
    );
    assert_eq!(
        check("merchant_reference", "a b").unwrap_err().hint,
        "use letters, digits and - _ ., not the space"
    );
    assert_eq!(
        check("merchant_reference", "a\tb").unwrap_err().hint,
        "use letters, digits and - _ ., not the invisible character U+0009"
    );
    assert_eq!(check_param("no_such_field", "anything at all!"), Ok(()));
    assert_eq!(check_param("no_such_field", ""), Ok(()));
    assert_eq!(super::check(Field::ExportFile, ""), Ok(()), "a field without a rule passes");
    assert_eq!(Problem::Missing.message_code(), "001");
    assert_eq!(Problem::Format.message_code(), "002");
    assert_eq!(Problem::Length.message_code(), "032");
    assert_eq!(Problem::Value.message_code(), "033");
}

#[test]
fn secrets_are_never_echoed() {
    for (name, value) in [
        ("card_number", "4005550000000001x"),
        ("card_number", "4005550000000001 "),
        ("card_number", "40055500000000010001"),
        ("card_security_code", "12x4"),
        ("card_security_code", "12345"),
        ("access_code", "zx0IPmPy5jp1v#Az8Kpg7"),
        ("signature", "7cad05f0212ed933c9a5d5dffa31661acf2c827a!"),
    ] {
        let err = check(name, value).unwrap_err();
        let shown = format!("{err} {err:?}");
        assert!(!shown.contains(value), "{shown}");
        assert!(!shown.contains("0001") && !shown.contains("12x") && !shown.contains('#'), "{shown}");
        assert!(!shown.contains("not \""), "no refused character for {name}: {shown}");
    }
}

#[test]
fn check_params_reports_the_first_problem_in_order() {
    let good = params(json!({
        "command": "PURCHASE",
        "access_code": "zx0IPmPy5jp1vAz8Kpg7",
        "merchant_identifier": "CycHZxVj",
        "merchant_reference": "XYZ9239-yu898",
        "amount": 10000,
        "currency": "AED",
        "language": "en",
        "customer_email": "test@payfort.com",
        "eci": "MOTO",
        "token_name": "Op9Vmp",
        "apple_data": {"header": "anything #!"},
        "installment_detail": ["any", "thing"],
        "unknown_field": "any text #!",
    }));
    assert_eq!(check_params(&good), Ok(()));
    assert_eq!(check_params(&Params::new()), Ok(()));

    let bad = params(json!({
        "command": "PURCHASE",
        "currency": "aed",
        "amount": 100.5,
        "language": "fr",
    }));
    let err = check_params(&bad).unwrap_err();
    assert_eq!((err.field, err.problem), (Field::Currency, Problem::Format));

    let cases = [
        (json!({"amount": 100.5}), "amount", Problem::Format),
        (json!({"amount": -5}), "amount", Problem::Format),
        (json!({"amount": 12345678901u64}), "amount", Problem::Length),
        (json!({"language": "fr", "currency": "x"}), "language", Problem::Value),
        (json!({"merchant_reference": null}), "merchant_reference", Problem::Missing),
        (json!({"remember_me": true}), "remember_me", Problem::Length),
        (json!({"eci": false}), "eci", Problem::Value),
        (json!({"order_description": ""}), "order_description", Problem::Missing),
    ];
    for (value, field, want) in cases {
        let err = check_params(&params(value.clone())).unwrap_err();
        assert_eq!((err.field, err.problem), (f(field), want), "{value}");
    }
    // Values of fields without a rule, of any JSON type, pass.
    let free = params(json!({"x": null, "y": true, "z": 1.5, "w": ""}));
    assert_eq!(check_params(&free), Ok(()));
}

#[test]
fn require_reports_absent_and_empty_in_the_order_given() {
    let p = params(json!({
        "command": "REFUND",
        "amount": 500,
        "currency": "",
        "fort_id": null,
        "merchant_extra": "   ",
        "remember_me": false,
        "merchant_extra1": [],
        "merchant_extra2": {},
        "merchant_extra3": [1],
    }));
    let require = |names: &[&str]| require(&p, &names.iter().map(|n| f(n)).collect::<Vec<_>>());
    assert_eq!(require(&["command", "amount", "remember_me", "merchant_extra3"]), Ok(()));
    assert_eq!(require(&[]), Ok(()));
    for missing in
        ["currency", "fort_id", "merchant_extra", "merchant_extra1", "merchant_extra2", "merchant_reference"]
    {
        let err = require(&["command", missing, "amount"]).unwrap_err();
        assert_eq!(err.field, f(missing));
        assert_eq!(err.problem, Problem::Missing);
        assert_eq!(err.message_code(), "001");
        assert!(err.to_string().starts_with(&format!("{missing} is missing: ")), "{err}");
    }
    let err = require(&["merchant_reference", "currency"]).unwrap_err();
    assert_eq!(err.field, Field::MerchantReference);
}

proptest! {
    #[test]
    fn checks_never_panic_and_card_errors_hold_no_digits(value in "\\PC{0,60}|[0-9 x-]{0,30}") {
        for r in RULES {
            let _ = r.check(&value);
        }
        for name in ["card_number", "card_security_code"] {
            if let Err(err) = check(name, &value) {
                let shown = err.to_string();
                let longest_digit_run = shown
                    .split(|c: char| !c.is_ascii_digit())
                    .map(str::len)
                    .max()
                    .unwrap_or(0);
                prop_assert!(longest_digit_run <= 2, "{}", shown);
            }
        }
    }

    #[test]
    fn numeric_fields_accept_exactly_digit_strings_in_range(value in "[0-9]{1,25}") {
        let len = value.len();
        prop_assert_eq!(check("amount", &value).is_ok(), len <= 10);
        prop_assert_eq!(check("card_number", &value).is_ok(), (13..=19).contains(&len));
        prop_assert_eq!(check("fort_id", &value).is_ok(), len <= 20);
    }
}
