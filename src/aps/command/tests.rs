use super::*;
use crate::aps::fields::{Field, Problem};
use serde_json::Value;

fn merchant(code: &Secret) -> Merchant<'_> {
    Merchant { merchant_identifier: "CycHZxVj", access_code: code, language: "en" }
}

fn aed(text: &str) -> Money {
    Money::parse(text, Currency::parse("AED").unwrap()).unwrap()
}

fn moto_sale(reference: &str, email: &str) -> Command {
    Command::Charge(Charge {
        kind: ChargeKind::Sale,
        merchant_reference: reference.into(),
        money: aed("1250.50"),
        customer_email: email.into(),
        source: PaymentSource::Token("Op9Vmp".into()),
        recurring: false,
        agreement_id: None,
        recurring_setup: None,
        details: OrderDetails {
            order_description: Some("Phone order #187".into()),
            customer_ip: Some("10.20.30.40".into()),
            ..Default::default()
        },
    })
}

#[test]
fn moto_purchase_by_token_matches_the_shared_vector_fields() {
    let code = Secret::from("zx0IPmPy5jp1vAz8Kpg7");
    let p = moto_sale("MOTO-2024-000187", "caller@example.com").to_params(&merchant(&code)).unwrap();
    let get = |k: &str| p.get(k).and_then(Value::as_str).unwrap_or_default().to_owned();
    assert_eq!(get("command"), "PURCHASE");
    assert_eq!(get("amount"), "125050");
    assert_eq!(get("currency"), "AED");
    assert_eq!(get("eci"), "MOTO");
    assert_eq!(get("token_name"), "Op9Vmp");
    assert!(!p.contains_key("signature"));
    assert!(!p.contains_key("customer_name"), "empty optional values are not sent");
}

#[test]
fn refuses_bad_fields_naming_them() {
    let code = Secret::from("zx0IPmPy5jp1vAz8Kpg7");
    let err = moto_sale("MOTO 187!", "caller@example.com").to_params(&merchant(&code)).unwrap_err();
    assert_eq!(err.field, Field::MerchantReference);
    let err = moto_sale("MOTO-187", "not an email").to_params(&merchant(&code)).unwrap_err();
    assert_eq!(err.field, Field::CustomerEmail);
    let err = moto_sale("MOTO-187", "").to_params(&merchant(&code)).unwrap_err();
    assert_eq!((err.field, err.problem), (Field::CustomerEmail, Problem::Missing));
}

#[test]
fn keyed_card_is_sent_without_cvv_and_debug_masks_it() {
    let code = Secret::from("a");
    let card = KeyedCard {
        number: CardNumber::parse("4005 5500 0000 0001").unwrap(),
        expiry: Expiry::parse("05/27").unwrap(),
        cvv: Some(Cvv::parse("123", crate::aps::card::Brand::Visa).unwrap()),
        holder_name: Some("Layla Haddad".into()),
        token_name: None,
        remember: true,
    };
    let cmd = Command::Charge(Charge {
        kind: ChargeKind::AuthorizeOnly,
        merchant_reference: "MAIL-1".into(),
        money: aed("10"),
        customer_email: "a@b.co".into(),
        source: PaymentSource::Card(card),
        recurring: false,
        agreement_id: None,
        recurring_setup: None,
        details: OrderDetails::default(),
    });
    let shown = format!("{cmd:?}");
    assert!(!shown.contains("4005550000000001"), "{shown}");
    let p = cmd.to_params(&merchant(&code)).unwrap();
    assert_eq!(p["command"], "AUTHORIZATION");
    assert_eq!(p["card_number"], "4005550000000001");
    assert_eq!(p["expiry_date"], "2705");
    assert_eq!(p["remember_me"], "YES");
    assert!(!p.contains_key("card_security_code"));
}

#[test]
fn recurring_uses_eci_recurring() {
    let code = Secret::from("a");
    let cmd = Command::Charge(Charge {
        kind: ChargeKind::Sale,
        merchant_reference: "SUB-2026-11".into(),
        money: aed("99"),
        customer_email: "a@b.co".into(),
        source: PaymentSource::Token("tok_1".into()),
        recurring: true,
        agreement_id: Some("AGR77".into()),
        recurring_setup: None,
        details: OrderDetails::default(),
    });
    let p = cmd.to_params(&merchant(&code)).unwrap();
    assert_eq!(p["eci"], "RECURRING");
    assert_eq!(p["agreement_id"], "AGR77");
}

#[test]
fn maintenance_commands() {
    let code = Secret::from("a");
    let m = merchant(&code);
    let void = Command::Void(Void {
        merchant_reference: "R1".into(),
        fort_id: Some("1699".into()),
        order_description: None,
    });
    let p = void.to_params(&m).unwrap();
    assert_eq!(p["command"], "VOID_AUTHORIZATION");
    assert!(!p.contains_key("amount") && !p.contains_key("currency"), "spec 3.6: no amount on void");
    let refund = Command::Refund(Refund {
        merchant_reference: "R1".into(),
        money: aed("5"),
        fort_id: None,
        maintenance_reference: Some("R1-RF1".into()),
        order_description: None,
    });
    let p = refund.to_params(&m).unwrap();
    assert_eq!((p["amount"].as_str(), p["maintenance_reference"].as_str()), (Some("500"), Some("R1-RF1")));
    let status = Command::CheckStatus(CheckStatus {
        merchant_reference: "R1".into(),
        fort_id: None,
        maintenance_reference: None,
        third_party_codes: true,
    });
    let p = status.to_params(&m).unwrap();
    assert_eq!(p["query_command"], "CHECK_STATUS");
    assert_eq!(p["return_third_party_response_codes"], "YES");
    assert!(!p.contains_key("command"));
    // By Fort ID alone (spec 3.8, NEW-DOC): no reference sent; with neither, it is missing.
    let by_fort = |fort_id: Option<&str>| {
        Command::CheckStatus(CheckStatus {
            merchant_reference: String::new(),
            fort_id: fort_id.map(str::to_owned),
            maintenance_reference: None,
            third_party_codes: false,
        })
    };
    let p = by_fort(Some("169996200012345678")).to_params(&m).unwrap();
    assert!(!p.contains_key("merchant_reference") && p["fort_id"] == "169996200012345678");
    assert_eq!(by_fort(None).to_params(&m).unwrap_err().field, Field::MerchantReference);
}

#[test]
fn tokens_links_and_batches() {
    let code = Secret::from("a");
    let m = merchant(&code);
    let upd = Command::UpdateToken(UpdateToken {
        merchant_reference: "TK-1".into(),
        token_name: "tok_1".into(),
        token_status: Some(TokenStatus::Inactive),
        ..Default::default()
    });
    let p = upd.to_params(&m).unwrap();
    assert_eq!(
        (p["service_command"].as_str(), p["token_status"].as_str()),
        (Some("UPDATE_TOKEN"), Some("INACTIVE"))
    );
    let link = PaymentLink {
        merchant_reference: "INV-9".into(),
        money: aed("20"),
        customer_email: "a@b.co".into(),
        request_expiry_date: "2026-12-01T18:00:00+04:00".into(),
        notification: Notification::Sms,
        link_command: ChargeKind::Sale,
        customer_name: None,
        customer_phone: None,
        order_description: None,
    };
    let err = Command::PaymentLink(link.clone()).to_params(&m).unwrap_err();
    assert_eq!(err.field, Field::CustomerPhone);
    let ok = Command::PaymentLink(PaymentLink { customer_phone: Some("00971501234567".into()), ..link })
        .to_params(&m)
        .unwrap();
    assert_eq!(ok["notification_type"], "SMS");
    assert_eq!(ok["link_command"], "PURCHASE");
    let batch = Command::Batch(BatchRequest {
        operation: Operation::GetBatchResults,
        batch_reference: "B-2026-11-25".into(),
        batch_id: None,
    });
    let p = batch.to_params(&m).unwrap();
    assert_eq!(p["service_command"], "GET_BATCH_RESULTS");
    assert!(!p.contains_key("merchant_reference"));
}
