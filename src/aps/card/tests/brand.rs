//! Telling a card's scheme from its digits.

use super::*;
use crate::aps::card::brand::{MADA_BINS_6, MADA_BINS_8, MAX_PREFIX_LEN, prefix_rules};

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
