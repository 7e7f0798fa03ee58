use super::*;

fn cur(code: &str) -> Currency {
    Currency::parse(code).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn parses_exactly_per_exponent() {
    let cases: &[(&str, &str, u64)] = &[
        ("AED", "12.50", 1250),
        ("AED", "12.5", 1250),
        ("AED", "12", 1200),
        ("AED", "0.01", 1),
        ("AED", ".5", 50),
        ("AED", "19.99", 1999),
        ("AED", "  100.00 ", 10000),
        ("AED", "12.500", 1250),
        ("USD", "100.50", 10050),
        ("AED", "500", 50000),
        ("JOD", "100", 100000),
        ("KWD", "1.250", 1250),
        ("KWD", "1.25", 1250),
        ("BHD", "0.005", 5),
        ("OMR", "12.345", 12345),
        ("TND", "1", 1000),
        ("LYD", "2.1", 2100),
        ("IQD", "3.333", 3333),
        ("JPY", "1500", 1500),
        ("JPY", "1500.0", 1500),
        ("CLF", "1.2345", 12345),
        ("AED", "99999999.99", 9_999_999_999),
        ("AED", "0012.30", 1230),
    ];
    for &(code, text, minor) in cases {
        let m = Money::parse(text, cur(code)).unwrap_or_else(|e| panic!("{code} {text}: {e}"));
        assert_eq!(m.minor_units(), minor, "{code} {text}");
        assert_eq!(m.wire_amount(), minor.to_string());
    }
}

#[test]
fn refuses_bad_text_with_the_reason() {
    let aed = cur("AED");
    let kwd = cur("KWD");
    let jpy = cur("JPY");
    assert_eq!(Money::parse("", aed), Err(MoneyError::Empty));
    assert_eq!(Money::parse("   ", aed), Err(MoneyError::Empty));
    assert_eq!(Money::parse("-5", aed), Err(MoneyError::Negative));
    assert_eq!(Money::parse("0", aed), Err(MoneyError::Zero));
    assert_eq!(Money::parse("0.00", aed), Err(MoneyError::Zero));
    assert_eq!(Money::parse("1,250.00", aed), Err(MoneyError::ThousandsSeparator));
    // As an Arabic keyboard writes them: the same amounts, exactly.
    assert_eq!(Money::parse("١٢٫٥٠", aed).unwrap().minor_units(), 1250);
    assert_eq!(Money::parse("۱۲۵", aed).unwrap().minor_units(), 12_500);
    assert_eq!(Money::parse("１２.５", aed).unwrap().minor_units(), 1250);
    assert_eq!(Money::parse("١٬٢٥٠", aed), Err(MoneyError::ThousandsSeparator));
    assert_eq!(Money::parse("1,250", aed), Err(MoneyError::ThousandsSeparator), "three digits: thousands");
    assert_eq!(Money::parse("12,50", aed), Err(MoneyError::DecimalComma("12.50".into())));
    assert_eq!(Money::parse(",50", aed), Err(MoneyError::DecimalComma("0.50".into())));
    assert_eq!(
        Money::parse("12,500", kwd).unwrap_err().to_string(),
        "amount 12,500 is unclear: type 12.500 for the decimals, or 12500 without the comma"
    );
    assert_eq!(Money::parse("12,5", kwd), Err(MoneyError::DecimalComma("12.5".into())));
    assert_eq!(
        Money::parse("12345678901,50", aed),
        Err(MoneyError::ThousandsSeparator),
        "too long to be one"
    );
    assert_eq!(
        Money::parse("12,5", aed).unwrap_err().to_string(),
        "amount has a comma where the decimal point goes: type 12.5"
    );
    assert_eq!(Money::parse("1 250", aed), Err(MoneyError::ThousandsSeparator));
    assert_eq!(Money::parse("1'250", aed), Err(MoneyError::ThousandsSeparator));
    assert!(matches!(Money::parse("12.345", aed), Err(MoneyError::TooManyDecimals { allowed: 2, .. })));
    assert!(matches!(Money::parse("1.2345", kwd), Err(MoneyError::TooManyDecimals { allowed: 3, .. })));
    assert!(matches!(Money::parse("10.5", jpy), Err(MoneyError::TooManyDecimals { allowed: 0, .. })));
    assert!(matches!(Money::parse("100000000.00", aed), Err(MoneyError::TooLarge { .. })));
    assert!(matches!(Money::parse("99999999999999999999999", aed), Err(MoneyError::TooLarge { .. })));
    for bad in ["abc", "1.2.3", "1e5", ".", "12.a", "١٢a"] {
        assert!(matches!(Money::parse(bad, aed), Err(MoneyError::NotANumber)), "{bad}");
    }
}

#[test]
fn errors_name_the_fix() {
    let e = Money::parse("12.345", cur("AED")).unwrap_err().to_string();
    assert!(e.contains("AED allows 2"), "{e}");
    let e = Money::parse("1,000", cur("AED")).unwrap_err().to_string();
    assert!(e.contains("1250.00"), "{e}");
    let pasted = Money::parse("4005-5500-0000-0001", cur("AED")).unwrap_err().to_string();
    assert!(!pasted.contains("0001"), "a pasted card number is never repeated: {pasted}");
    let e = Currency::parse("XYZ").unwrap_err().to_string();
    assert!(e.contains("XYZ") && e.contains("three letters"), "{e}");
}

#[test]
fn formats_back() {
    assert_eq!(format_minor(1250, cur("AED")), "12.50");
    assert_eq!(format_minor(5, cur("AED")), "0.05");
    assert_eq!(format_minor(0, cur("AED")), "0.00");
    assert_eq!(format_minor(1250, cur("KWD")), "1.250");
    assert_eq!(format_minor(5, cur("BHD")), "0.005");
    assert_eq!(format_minor(1500, cur("JPY")), "1500");
    let m = Money::parse("1.5", cur("OMR")).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(m.to_string(), "OMR 1.500");
}

#[test]
fn wire_form_round_trips() {
    let aed = cur("AED");
    let m = Money::from_wire("125050", aed).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(m.format_amount(), "1250.50");
    assert!(Money::from_wire("12.50", aed).is_err());
    assert!(Money::from_wire("", aed).is_err());
    assert!(Money::from_wire("12345678901", aed).is_err());
    assert_eq!(Money::from_wire("0", aed), Err(MoneyError::Zero));
    assert!(Money::from_minor(10_000_000_000, aed).is_err());
}

#[test]
fn three_decimal_currencies_per_spec() {
    for code in ["KWD", "BHD", "OMR", "JOD", "TND", "LYD", "IQD"] {
        assert_eq!(cur(code).exponent(), 3, "{code}");
    }
    assert_eq!(cur("aed").code(), "AED");
    assert_eq!(cur("JPY").exponent(), 0);
}

proptest::proptest! {
    #[test]
    fn format_then_parse_is_identity(minor in 1u64..=9_999_999_999, idx in 0usize..CURRENCIES.len()) {
        let c = Currency::all().nth(idx).unwrap_or_else(|| panic!("index"));
        let text = format_minor(minor, c);
        let back = Money::parse(&text, c).unwrap_or_else(|e| panic!("{text}: {e}"));
        proptest::prop_assert_eq!(back.minor_units(), minor);
    }
}
