use super::*;
use crate::aps::money::Currency;
use crate::journal::refuse_card_numbers;
use chrono::Utc;

#[test]
fn from_amounts_table() {
    use OrderState::*;
    let table: &[(u64, u64, u64, bool, OrderState)] = &[
        (1000, 0, 0, false, Authorized),
        (1000, 1000, 0, false, Captured),
        (1000, 400, 0, false, Captured),
        (1000, 1000, 1, false, PartiallyRefunded),
        (1000, 1000, 999, false, PartiallyRefunded),
        (1000, 1000, 1000, false, Refunded),
        (1000, 400, 400, false, Refunded),
        (1000, 0, 0, true, Voided),
        // Amounts no approved order can have: checked again, never trusted.
        (0, 0, 0, false, Unknown),
        (1000, 0, 10, false, Unknown),
        (1000, 1000, 1001, false, Unknown),
        (1000, 1000, 0, true, Unknown),
        (0, 0, 0, true, Voided),
    ];
    for &(a, c, r, v, want) in table {
        assert_eq!(
            OrderState::from_amounts(a, c, r, v),
            want,
            "authorized {a} captured {c} refunded {r} voided {v}"
        );
    }
}

#[test]
fn state_names_round_trip_and_match_serde() {
    for s in OrderState::ALL {
        assert_eq!(s.as_str().parse::<OrderState>().unwrap(), s);
        assert_eq!(serde_json::to_string(&s).unwrap(), format!("\"{}\"", s.as_str()));
    }
    assert_eq!("Partially-Refunded".parse::<OrderState>().unwrap(), OrderState::PartiallyRefunded);
    let err = "paid".parse::<OrderState>().unwrap_err().to_string();
    assert!(err.contains("not_sent") && err.contains("\"paid\""), "{err}");
    for k in OrderKind::ALL {
        assert_eq!(serde_json::to_string(&k).unwrap(), format!("\"{}\"", k.as_str()));
    }
    for c in Channel::ALL {
        assert_eq!(serde_json::to_string(&c).unwrap(), format!("\"{}\"", c.as_str()));
    }
    for s in OpState::ALL {
        assert_eq!(serde_json::to_string(&s).unwrap(), format!("\"{}\"", s.as_str()));
    }
}

#[test]
fn final_and_reconciliation_sets() {
    use OrderState::*;
    let finals: Vec<_> = OrderState::ALL.into_iter().filter(|s| s.is_final()).collect();
    assert_eq!(finals, [NotSent, Declined, Rejected, Refunded, Voided]);
    let recon: Vec<_> = OrderState::ALL.into_iter().filter(|s| s.needs_reconciliation()).collect();
    assert_eq!(recon, [Pending, Unknown]);
    for s in OrderState::ALL {
        assert!(!(s.is_final() && s.needs_reconciliation()), "{s}");
    }
}

#[test]
fn first_operation_per_kind() {
    assert_eq!(OrderKind::Sale.first_operation(), Operation::Purchase);
    assert_eq!(OrderKind::AuthorizeOnly.first_operation(), Operation::Authorization);
    assert_eq!(OrderKind::Recurring.first_operation(), Operation::Purchase);
    assert_eq!(OrderKind::PaymentLink.first_operation(), Operation::PaymentLink);
}

#[test]
fn masked_card_refuses_full_numbers() {
    assert!(MaskedCard::parse("4005550000000001").is_err());
    assert!(MaskedCard::parse("4005 5500 0000 0001").is_err());
    assert!(MaskedCard::parse("4005550*00000001").is_err(), "11 digits visible");
    assert!(MaskedCard::parse("").is_err());
    assert!(MaskedCard::parse("4005550000000001; DROP").is_err());
    let m = MaskedCard::parse("400555******0001").unwrap();
    assert_eq!(m.last4().as_deref(), Some("0001"));
    assert_eq!(MaskedCard::parse("************0001").unwrap().last4().as_deref(), Some("0001"));
    assert_eq!(MaskedCard::parse("4005 55** **** 0001").unwrap().last4().as_deref(), Some("0001"));
    assert_eq!(MaskedCard::parse("400555**********").unwrap().last4(), None);
    let built = MaskedCard::from_parts("400555", "0001", 16).unwrap();
    assert_eq!(built.as_str(), "400555******0001");
    assert_eq!(MaskedCard::from_parts("345678", "1234", 15).unwrap().as_str(), "345678*****1234");
    assert!(MaskedCard::from_parts("40055", "0001", 16).is_err());
    assert!(MaskedCard::from_parts("400555", "0001", 25).is_err());
}

#[test]
fn fingerprint_must_be_hex_hmac() {
    let hex = "a".repeat(64);
    assert_eq!(CardFingerprint::parse(&hex).unwrap().as_str(), hex);
    assert_eq!(CardFingerprint::parse(&"AB".repeat(32)).unwrap().as_str(), "ab".repeat(32));
    assert!(CardFingerprint::parse("4005550000000001").is_err());
    assert!(CardFingerprint::parse(&"g".repeat(64)).is_err());
}

#[test]
fn card_numbers_in_free_text_are_refused() {
    for text in [
        "4005550000000001",
        "card 4005 5500 0000 0001 exp 05/30",
        "5123-4567-8901-2346",
        "x4005550000000001x",
        "371449635398431",
    ] {
        assert!(
            matches!(
                refuse_card_numbers("note", text),
                Err(JournalError::LooksLikeCardNumber { field: "note" })
            ),
            "{text}"
        );
    }
    for text in [
        "",
        "order 12345 for Fatima",
        "4005550000000002",           // fails Luhn
        "fort_id 169996200012345680", // 18 digits, fails Luhn
        "phone +971 50 123 4567",
        "400555******0001",
        "12345678901234567890123", // longer than any card
    ] {
        assert!(refuse_card_numbers("note", text).is_ok(), "{text}");
    }
}

#[test]
fn remaining_amounts() {
    let mut row = sample_row();
    row.state = OrderState::Authorized;
    row.authorized_minor = 1000;
    assert_eq!((row.capturable_minor(), row.refundable_minor()), (1000, 0));
    row.state = OrderState::Captured;
    row.captured_minor = 400;
    assert_eq!((row.capturable_minor(), row.refundable_minor()), (600, 400));
    row.state = OrderState::PartiallyRefunded;
    row.refunded_minor = 100;
    assert_eq!((row.capturable_minor(), row.refundable_minor()), (0, 300));
    row.state = OrderState::Voided;
    assert_eq!((row.capturable_minor(), row.refundable_minor()), (0, 0));
}

pub(crate) fn sample_row() -> OrderRow {
    OrderRow {
        profile: "p".into(),
        merchant_reference: "r".into(),
        kind: OrderKind::Sale,
        channel: Channel::Phone,
        currency: Currency::parse("AED").unwrap(),
        amount_minor: 1000,
        state: OrderState::Pending,
        authorized_minor: 0,
        captured_minor: 0,
        refunded_minor: 0,
        fort_id: None,
        last_response_code: None,
        last_message: None,
        payment_method: "tok".into(),
        token_name: Some("tok".into()),
        masked_card: None,
        last4: None,
        card_fingerprint: None,
        customer_email: None,
        customer_name: None,
        description: None,
        operator: "op".into(),
        terminal: "desk-1".into(),
        created_at: Utc::now(),
        updated_at: Utc::now(),
        needs_attention: None,
        extra: Extra::new(),
    }
}

#[test]
fn every_order_state_reads_as_words_on_screen() {
    for state in OrderState::ALL {
        assert!(!state.words().contains('_'), "{state}");
    }
    assert_eq!(OrderState::PartiallyRefunded.words(), "partially refunded");
    assert_eq!(OrderState::NotSent.as_str(), "not_sent", "the stored name stays");
    for state in OpState::ALL {
        assert!(!state.words().contains('_'), "{state:?}");
    }
    assert_eq!(OpState::Intent.words(), "awaiting answer");
}
