use super::*;
use proptest::prelude::*;

/// Every public APS test card of spec 6, with its brand. All of them pass Luhn (checked
/// here, and by hand when this table was written), so Luhn stays mandatory.
const TEST_CARDS: [(&str, Brand); 9] = [
    ("4005550000000001", Brand::Visa),
    ("5123456789012346", Brand::Mastercard),
    ("345678901234564", Brand::Amex),
    ("4557012345678902", Brand::Visa),
    ("5313581000123430", Brand::Mastercard),
    ("374200000000004", Brand::Amex),
    ("5297412542005689", Brand::Mada),
    ("9818950527886700002", Brand::Meeza),
    ("5078036221028566", Brand::Meeza),
];

/// Makes a Luhn-valid number from a prefix by filling with zeros and fixing the last digit.
fn with_check_digit(prefix: &str, len: usize) -> String {
    let mut body = format!("{prefix:0<width$}", width = len - 1);
    for d in 0..10 {
        body.push(char::from(b'0' + d));
        if luhn_valid(&body) {
            return body;
        }
        body.pop();
    }
    unreachable!("one check digit always fits")
}

/// True when `text` holds any run of `n` consecutive characters of `digits`.
fn leaks(text: &str, digits: &str, n: usize) -> bool {
    digits.as_bytes().windows(n).any(|w| text.contains(std::str::from_utf8(w).unwrap()))
}

#[test]
fn every_spec_test_card_parses_with_its_brand() {
    for (number, brand) in TEST_CARDS {
        assert!(luhn_valid(number), "{number} fails Luhn");
        assert_eq!(detect_brand(number), Some(brand), "{number}");
        let card = CardNumber::parse(number).unwrap_or_else(|e| panic!("{number}: {e}"));
        assert_eq!(card.brand(), brand);
        assert_eq!(card.expose(), number);
        assert_eq!(card.last4(), &number[number.len() - 4..]);
    }
}

#[test]
fn luhn_examples() {
    assert!(luhn_valid("79927398713"));
    assert!(!luhn_valid("79927398710"));
    assert!(luhn_valid("0"));
    assert!(!luhn_valid(""));
    assert!(!luhn_valid("4005 5500 0000 0001"));
    assert!(!luhn_valid("400555000000000a"));
    assert!(!luhn_valid("٤٠٠٥"));
    // A single changed digit and a swap of two adjacent digits are both caught.
    assert!(!luhn_valid("4005550000000002"));
    assert!(!luhn_valid("4005550000000010"));
}

#[test]
fn wrong_luhn_is_refused() {
    for (number, _) in TEST_CARDS {
        let last = number.as_bytes()[number.len() - 1] - b'0';
        let wrong = format!("{}{}", &number[..number.len() - 1], (last + 1) % 10);
        assert_eq!(CardNumber::parse(&wrong), Err(CardError::Checksum), "{wrong}");
    }
}

#[test]
fn separators_are_ignored() {
    let card = CardNumber::parse(" 4005 5500-0000 0001 ").unwrap();
    assert_eq!(card.expose(), "4005550000000001");
    assert_eq!(CardNumber::parse("3456-789012-34564").unwrap().brand(), Brand::Amex);
}

#[test]
fn bad_input_errors() {
    let cases = [
        ("", CardError::NumberEmpty),
        ("   ", CardError::NumberEmpty),
        (" - ", CardError::NumberEmpty),
        ("4005550000000OO1", CardError::NumberNotDigits),
        ("4005.5500.0000.0001", CardError::NumberNotDigits),
        ("four005550000000001", CardError::NumberNotDigits),
        ("٤٠٠٥٥٥٠٠٠٠٠٠٠٠٠١", CardError::NumberNotDigits),
        ("400555000001", CardError::NumberLength { got: 12 }),
        ("40055500000000000000", CardError::NumberLength { got: 20 }),
        // Unknown brands: Diners, Discover, JCB, UnionPay, a Mastercard-looking 56, 2220/2721.
        ("30569309025904", CardError::UnknownBrand),
        ("6011111111111117", CardError::UnknownBrand),
        ("3530111333300000", CardError::UnknownBrand),
        ("6200000000000005", CardError::UnknownBrand),
        (&with_check_digit("56", 16), CardError::UnknownBrand),
        (&with_check_digit("2220", 16), CardError::UnknownBrand),
        (&with_check_digit("2721", 16), CardError::UnknownBrand),
    ];
    for (text, want) in cases {
        assert_eq!(CardNumber::parse(text), Err(want.clone()), "{text:?}");
    }
}

#[test]
fn length_is_checked_per_brand() {
    let cases = [
        ("4005", 13, Brand::Visa),
        ("4005", 15, Brand::Visa),
        ("4005", 17, Brand::Visa),
        ("5123", 15, Brand::Mastercard),
        ("5123", 19, Brand::Mastercard),
        ("2221", 17, Brand::Mastercard),
        ("34", 16, Brand::Amex),
        ("37", 14, Brand::Amex),
        ("529741", 15, Brand::Mada),
        ("529741", 19, Brand::Mada),
        ("9818", 18, Brand::Meeza),
        ("507803", 17, Brand::Meeza),
    ];
    for (start, len, brand) in cases {
        let number = with_check_digit(start, len);
        assert_eq!(CardNumber::parse(&number), Err(CardError::BrandLength { brand, got: len }), "{number}");
    }
    let good = [
        ("4005", 16, Brand::Visa),
        ("4005", 19, Brand::Visa),
        ("2720", 16, Brand::Mastercard),
        ("55", 16, Brand::Mastercard),
        ("37", 15, Brand::Amex),
        ("440647", 16, Brand::Mada),
        ("9818", 19, Brand::Meeza),
        ("507803", 16, Brand::Meeza),
    ];
    for (start, len, brand) in good {
        let number = with_check_digit(start, len);
        assert_eq!(CardNumber::parse(&number).map(|c| c.brand()), Ok(brand), "{number}");
    }
}

#[test]
fn brand_ranges() {
    let cases = [
        ("4", None), // mada BINs start with 4 too
        ("40", None),
        ("400", Some(Brand::Visa)),
        ("4111111111111111", Some(Brand::Visa)),
        ("5", None),
        ("51", None), // mada 513213
        ("510", Some(Brand::Mastercard)),
        ("55", None), // mada 554180, 558563
        ("550", Some(Brand::Mastercard)),
        ("53", None),
        ("533", Some(Brand::Mastercard)),
        ("52", None), // 529741 and others are mada
        ("5299", Some(Brand::Mastercard)),
        ("56", None),
        ("50", None),
        ("2", None),
        ("22", None),
        ("2220", None),
        ("2221", Some(Brand::Mastercard)),
        ("2233", None), // 8-digit mada BINs 22337902, 22337986
        ("22337902", Some(Brand::Mada)),
        ("22337903", Some(Brand::Mastercard)),
        ("23", Some(Brand::Mastercard)),
        ("2720", Some(Brand::Mastercard)),
        ("2721", None),
        ("3", None),
        ("34", Some(Brand::Amex)),
        ("37", Some(Brand::Amex)),
        ("35", None),
        ("9", None),
        ("981", None),
        ("9818", Some(Brand::Meeza)),
        ("507", None),
        ("507803", Some(Brand::Meeza)),
        ("50780830", Some(Brand::Meeza)),
        ("50781029", Some(Brand::Meeza)),
        ("50781030", None),
        ("4268", None),
        ("42689700", Some(Brand::Mada)),
        ("42689701", Some(Brand::Visa)),
        ("", None),
        ("4005 55", Some(Brand::Visa)),
        ("4005x", None),
    ];
    for (digits, want) in cases {
        assert_eq!(detect_brand(digits), want, "{digits:?}");
    }
}

#[test]
fn mada_wins_over_visa_and_mastercard() {
    for bin in [
        "529741", "440647", "440795", "446404", "457865", "968208", "588845", "636120", "968201", "968205",
        "504300",
    ] {
        assert_eq!(detect_brand(bin), Some(Brand::Mada), "{bin}");
        let number = with_check_digit(bin, 16);
        assert_eq!(CardNumber::parse(&number).unwrap().brand(), Brand::Mada, "{number}");
    }
    for bin in MADA_BINS_6.iter().chain(MADA_BINS_8) {
        assert_eq!(detect_brand(&bin.to_string()), Some(Brand::Mada), "{bin}");
    }
}

#[test]
fn prefix_decides_brand_only_when_every_continuation_agrees() {
    // Wherever a prefix names a brand, the full numbers at and next to every rule's edges
    // that start with it have that brand too: an early decision is never taken back.
    let mut checked = 0;
    for rule in prefix_rules() {
        let width = rule.len as usize;
        for edge in [rule.lo, rule.hi, rule.lo.saturating_sub(1), rule.hi + 1] {
            for pad in ['0', '9'] {
                let mut full = format!("{edge:0>width$}");
                while full.len() < MAX_PREFIX_LEN {
                    full.push(pad);
                }
                let full_brand = detect_brand(&full);
                for k in 1..=full.len() {
                    if let Some(brand) = detect_brand(&full[..k]) {
                        assert_eq!(full_brand, Some(brand), "{} decided too early for {full}", &full[..k]);
                        checked += 1;
                    }
                }
            }
        }
    }
    assert!(checked > 500, "{checked}");
    // Typing more digits after a decision never changes it.
    for (number, brand) in TEST_CARDS {
        let mut decided = None;
        for end in 1..=number.len() {
            let now = detect_brand(&number[..end]);
            if decided.is_some() {
                assert_eq!(now, decided, "{}", &number[..end]);
            }
            decided = decided.or(now);
        }
        assert_eq!(decided, Some(brand));
    }
}

#[test]
fn brand_facts() {
    assert_eq!(Brand::Amex.cvv_len(), 4);
    for brand in [Brand::Visa, Brand::Mastercard, Brand::Mada, Brand::Meeza] {
        assert_eq!(brand.cvv_len(), 3);
    }
    assert_eq!(Brand::Amex.label(), "American Express");
    assert_eq!(Brand::Mada.to_string(), "mada");
    for brand in Brand::ALL {
        let json = serde_json::to_string(&brand).unwrap();
        assert_eq!(json, format!("\"{}\"", brand.payment_option()));
        assert_eq!(serde_json::from_str::<Brand>(&json).unwrap(), brand);
        assert_eq!(Brand::from_payment_option(brand.payment_option()), Some(brand));
        // The value passes the APS field rule for payment_option (spec 7).
        assert_eq!(
            crate::aps::fields::check(crate::aps::field::Field::PaymentOption, brand.payment_option()),
            Ok(())
        );
    }
    assert_eq!(Brand::from_payment_option("KNET"), None);
    assert_eq!(Brand::from_payment_option("visa"), None);
}

#[test]
fn masking() {
    assert_eq!(mask_pan("4005550000000001"), "400555******0001");
    assert_eq!(mask_pan("345678901234564"), "345678*****4564");
    assert_eq!(mask_pan("9818950527886700002"), "981895*********0002");
    assert_eq!(mask_pan("4005550000001"), "400555***0001");
    assert_eq!(mask_pan("400555******0001"), "400555******0001");
    assert_eq!(mask_pan("400555000001"), "************");
    assert_eq!(mask_pan("1234"), "****");
    assert_eq!(mask_pan(""), "");
    let card = CardNumber::parse("9818950527886700002").unwrap();
    assert_eq!(card.masked(), "981895*********0002");
    assert_eq!(card.bin(), "98189505");
    let card = CardNumber::parse("5078036221028566").unwrap();
    assert_eq!(card.bin(), "507803");
    let card = CardNumber::parse("4005550000000001").unwrap();
    assert_eq!(card.bin(), "400555");
    assert_eq!(card.last4(), "0001");
}

#[test]
fn debug_and_display_show_only_the_masked_number() {
    for (number, _) in TEST_CARDS {
        let card = CardNumber::parse(number).unwrap();
        for shown in [format!("{card:?}"), format!("{card}"), format!("{:?}", Some(card.clone()))] {
            assert!(!shown.contains(number), "{shown}");
            let middle = &number[6..number.len() - 4];
            assert!(!shown.contains(middle), "{shown}");
            assert!(shown.contains(&mask_pan(number)), "{shown}");
        }
    }
    assert_eq!(format!("{}", CardNumber::parse("4005550000000001").unwrap()), "400555******0001");
    assert_eq!(
        format!("{:?}", CardNumber::parse("4005550000000001").unwrap()),
        "CardNumber(400555******0001)"
    );
}

#[test]
fn card_errors_never_repeat_the_digits() {
    let typed = [
        "4005550000000002",
        "4005 5500 0000 001",
        "40055500000000000000",
        "6011111111111117",
        "4005550000000O01",
        "400555000000000000",
    ];
    for text in typed {
        let err = CardNumber::parse(text).unwrap_err();
        let message = err.to_string();
        let digits: String = text.chars().filter(char::is_ascii_digit).collect();
        assert!(!leaks(&message, &digits, 3), "{message}");
        assert!(message.starts_with("card number"), "{message}");
        assert!(message.contains(':'), "every message says how to fix it: {message}");
    }
}

#[test]
fn expiry_parsing_table() {
    let good = [
        ("05/27", 2027, 5),
        ("0527", 2027, 5),
        ("05-27", 2027, 5),
        ("5/27", 2027, 5),
        ("05/2027", 2027, 5),
        ("5/2027", 2027, 5),
        ("052027", 2027, 5),
        (" 05 / 27 ", 2027, 5),
        ("12/99", 2099, 12),
        ("01/00", 2000, 1),
        ("10/23", 2023, 10), // past dates parse; expiry is checked against today separately
    ];
    for (text, year, month) in good {
        let e = Expiry::parse(text).unwrap_or_else(|err| panic!("{text:?}: {err}"));
        assert_eq!((e.year(), e.month()), (year, month), "{text:?}");
    }
    let bad = [
        ("13/27", CardError::ExpiryMonth),
        ("00/27", CardError::ExpiryMonth),
        ("1327", CardError::ExpiryMonth),
        ("2705", CardError::ExpiryMonth), // YYMM typed by mistake
        ("05/1999", CardError::ExpiryYear),
        ("05/2100", CardError::ExpiryYear),
        ("05/0027", CardError::ExpiryYear),
        ("1/2", CardError::ExpiryFormat),
        ("527", CardError::ExpiryFormat),
        ("05/270", CardError::ExpiryFormat),
        ("005/27", CardError::ExpiryFormat),
        ("05/27/27", CardError::ExpiryFormat),
        ("ab/cd", CardError::ExpiryFormat),
        ("May 27", CardError::ExpiryFormat),
        ("05/2a", CardError::ExpiryFormat),
        ("+5/27", CardError::ExpiryFormat),
        ("05", CardError::ExpiryFormat),
        ("", CardError::ExpiryFormat),
        ("٠٥/٢٧", CardError::ExpiryFormat),
        ("0é27", CardError::ExpiryFormat),
    ];
    for (text, want) in bad {
        assert_eq!(Expiry::parse(text), Err(want), "{text:?}");
    }
}

#[test]
fn expiry_wire_form_is_yymm() {
    let e = Expiry::from_wire("2705").unwrap();
    assert_eq!((e.year(), e.month()), (2027, 5));
    assert_eq!(e.wire(), "2705");
    assert_eq!(e.display(), "05/27");
    assert_eq!(Expiry::parse("05/27").unwrap(), e);
    assert_eq!(Expiry::parse("01/2005").unwrap().wire(), "0501");
    for bad in ["0527x", "270", "27050", "2713", "2700", "27-5", "", "２７０５"] {
        assert_eq!(Expiry::from_wire(bad), Err(CardError::ExpiryWire), "{bad:?}");
    }
    for year in 2000..=2099u16 {
        for month in 1..=12u8 {
            let e = Expiry::new(year, month).unwrap();
            assert_eq!(Expiry::from_wire(&e.wire()), Ok(e));
            assert_eq!(Expiry::parse(&e.display()), Ok(e));
        }
    }
}

#[test]
fn expired_versus_current_month() {
    let e = Expiry::parse("05/27").unwrap();
    assert!(!e.is_expired(2027, 5), "valid through the end of its month");
    assert!(!e.is_expired(2027, 4));
    assert!(!e.is_expired(2026, 12));
    assert!(e.is_expired(2027, 6));
    assert!(e.is_expired(2028, 1));
    assert_eq!(e.check_not_expired(2027, 5), Ok(()));
    assert_eq!(e.check_not_expired(2027, 6), Err(CardError::Expired));
    // Spec 6 test-card expiry 10/23 is past by now.
    assert!(Expiry::parse("10/23").unwrap().is_expired(2025, 1));
}

#[test]
fn expiry_serde_rechecks_the_values() {
    let e = Expiry::parse("05/27").unwrap();
    let json = serde_json::to_string(&e).unwrap();
    assert_eq!(json, r#"{"year":2027,"month":5}"#);
    assert_eq!(serde_json::from_str::<Expiry>(&json).unwrap(), e);
    assert!(serde_json::from_str::<Expiry>(r#"{"year":2027,"month":13}"#).is_err());
    assert!(serde_json::from_str::<Expiry>(r#"{"year":27,"month":5}"#).is_err());
}

#[test]
fn cvv_length_per_brand() {
    assert_eq!(Cvv::parse("123", Brand::Visa).unwrap().expose(), "123");
    assert_eq!(Cvv::parse(" 350 ", Brand::Mada).unwrap().expose(), "350");
    assert_eq!(Cvv::parse("422", Brand::Meeza).unwrap().expose(), "422");
    assert_eq!(Cvv::parse("1234", Brand::Amex).unwrap().expose(), "1234");
    let bad = [
        ("1234", Brand::Visa),
        ("12", Brand::Mastercard),
        ("123", Brand::Amex),
        ("12345", Brand::Amex),
        ("12a", Brand::Visa),
        ("", Brand::Mada),
        ("1 3", Brand::Meeza),
        ("١٢٣", Brand::Visa),
    ];
    for (text, brand) in bad {
        assert_eq!(Cvv::parse(text, brand), Err(CardError::Cvv { brand }), "{text:?}");
    }
    let message = CardError::Cvv { brand: Brand::Amex }.to_string();
    assert_eq!(
        message,
        "CVV must be 4 digits for American Express cards: read it from the front of the card"
    );
    let message = CardError::Cvv { brand: Brand::Visa }.to_string();
    assert!(message.contains("3 digits") && message.contains("back"), "{message}");
}

#[test]
fn cvv_debug_is_starred() {
    let cvv = Cvv::parse("1234", Brand::Amex).unwrap();
    assert_eq!(format!("{cvv:?}"), "Cvv(***)");
    assert_eq!(format!("{:?}", Some(cvv)), "Some(Cvv(***))");
}

#[test]
fn every_error_names_its_field_and_a_fix() {
    let all = [
        CardError::NumberEmpty,
        CardError::NumberNotDigits,
        CardError::NumberLength { got: 12 },
        CardError::UnknownBrand,
        CardError::BrandLength { brand: Brand::Meeza, got: 17 },
        CardError::Checksum,
        CardError::ExpiryFormat,
        CardError::ExpiryMonth,
        CardError::ExpiryYear,
        CardError::ExpiryWire,
        CardError::Expired,
        CardError::Cvv { brand: Brand::Visa },
    ];
    for err in all {
        let message = err.to_string();
        assert!(["card number", "expiry date", "CVV"].iter().any(|f| message.starts_with(f)), "{message}");
        let (_, fix) = message.split_once(": ").unwrap();
        assert!(fix.len() > 10, "{message}");
    }
    assert_eq!(
        CardError::BrandLength { brand: Brand::Meeza, got: 17 }.to_string(),
        "card number has 17 digits, but Meeza card numbers have 16 or 19: check for a missing or extra digit"
    );
    assert_eq!(lengths_phrase(&[15]), "15");
    assert_eq!(lengths_phrase(&[13, 16, 19]), "13, 16 or 19");
}

proptest! {
    #[test]
    fn mask_pan_never_reveals_more_than_ten_digits(text in "[0-9 *-]{0,40}|\\PC{0,40}") {
        let masked = mask_pan(&text);
        prop_assert!(masked.chars().filter(char::is_ascii_digit).count() <= 10);
        prop_assert_eq!(masked.chars().count(), text.chars().count());
    }

    #[test]
    fn card_debug_never_reveals_more_than_ten_digits(
        start in prop::sample::select(vec!["4005", "5123", "37", "529741", "9818", "507803"]),
        len in 13usize..=19,
        fill in "[0-9]{20}",
    ) {
        let body = format!("{start}{fill}");
        let number = with_check_digit(&body[..len - 1], len);
        if let Ok(card) = CardNumber::parse(&number) {
            let shown = format!("{card:?} {card}");
            prop_assert!(shown.chars().filter(char::is_ascii_digit).count() <= 20);
            prop_assert!(!leaks(&shown, &number, 11));
            prop_assert!(!shown.contains(&number[6..len - 4]));
        }
    }

    #[test]
    fn parse_never_panics(text in "\\PC{0,30}") {
        let _ = CardNumber::parse(&text);
        let _ = detect_brand(&text);
        let _ = Expiry::parse(&text);
        let _ = Expiry::from_wire(&text);
        let _ = Cvv::parse(&text, Brand::Amex);
    }
}
