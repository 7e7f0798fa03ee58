//! The order state machine: charges, captures, voids, refunds, duplicates, check status and the
//! documented declines.

use super::*;
use moto_terminal::sim::{MovementKind, OrderState};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn moto_purchase_by_token_takes_the_money_at_once() {
    let sim = demo().await;
    let r = reference("BUY");
    let answer = sim.purchase(&r, 12_50, "DEMO-VISA-0001").await;
    assert_eq!(code(&answer), "14000");
    assert_eq!(field(&answer, "eci"), "MOTO");
    assert_eq!(field(&answer, "token_name"), "DEMO-VISA-0001");
    assert_eq!(field(&answer, "card_number"), "400555******0001");
    assert_eq!(field(&answer, "expiry_date"), "3012");
    assert_eq!(field(&answer, "payment_option"), "VISA");
    let order = sim.truth_of(&r).await.unwrap();
    assert_eq!(order.state, OrderState::Captured);
    assert_eq!((order.authorized_amount, order.captured_amount, order.refunded_amount), (1250, 1250, 0));
    assert_eq!(order.fort_id, field(&answer, "fort_id"));
    assert_eq!(order.movements.len(), 1);
    assert_eq!(order.movements[0].kind, MovementKind::Purchase);
    assert_eq!(order.movements[0].amount, 1250);

    let status = sim.check(&r).await;
    assert_eq!(code(&status), "12000");
    assert_eq!(field(&status, "status"), "12");
    assert_eq!(field(&status, "transaction_status"), "14");
    assert_eq!(field(&status, "transaction_code"), "14000");
    assert_eq!(field(&status, "transaction_message"), moto_terminal::aps::response::message_text("000"));
    assert_eq!(field(&status, "authorized_amount"), "1250");
    assert_eq!(field(&status, "captured_amount"), "1250");
    assert_eq!(field(&status, "refunded_amount"), "0");
    assert_eq!(field(&status, "fort_id"), field(&answer, "fort_id"));
    assert_eq!(field(&status, "authorization_code"), field(&answer, "authorization_code"));
    // By fort_id alone too.
    let by_id =
        sim.send(json!({"query_command": "CHECK_STATUS", "fort_id": field(&answer, "fort_id")})).await;
    assert_eq!(field(&by_id, "transaction_code"), "14000");
    // A fort_id of another order does not match this reference.
    let other = sim.purchase(&reference("BUY"), 100, "DEMO-VISA-0001").await;
    let mismatch = sim
        .send(json!({"query_command": "CHECK_STATUS", "merchant_reference": r, "fort_id": field(&other, "fort_id")}))
        .await;
    assert_eq!(code(&mismatch), "11036");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_status_of_an_unknown_order_is_a_check_status_failure() {
    let sim = demo().await;
    let answer = sim.check("NEVER-SENT").await;
    assert_eq!(code(&answer), "11036");
    assert_eq!(field(&answer, "status"), "11");
    assert!(!answer.contains_key("transaction_code"));
    assert!(!answer.contains_key("fort_id"), "no order, so no fort_id");
    let mut unsigned =
        sim.request(json!({"query_command": "CHECK_STATUS", "merchant_reference": "NEVER-SENT"}));
    unsigned.insert("signature".into(), json!("00"));
    let refused = sim.post_signed(&sim.handle.payment_api_url(), &unsigned).await;
    assert_eq!(code(&refused), "00008");
    assert!(!refused.contains_key("fort_id"), "a refused status query carries no made-up fort_id");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn several_partial_captures_up_to_the_authorized_amount() {
    let sim = demo().await;
    let r = reference("CAP");
    let auth = sim.authorize(&r, 10_000, "DEMO-MC-2346").await;
    assert_eq!(code(&auth), "02000");
    assert_eq!(field(&auth, "status"), "02");
    let order = sim.truth_of(&r).await.unwrap();
    assert_eq!(order.state, OrderState::Authorized);
    assert_eq!((order.authorized_amount, order.captured_amount), (10_000, 0));
    let status = sim.check(&r).await;
    assert_eq!(field(&status, "transaction_code"), "02000");
    assert_eq!(field(&status, "captured_amount"), "0");

    let first = sim.capture(&r, 4_000).await;
    assert_eq!(code(&first), "04000");
    assert_eq!(field(&first, "fort_id"), field(&auth, "fort_id"));
    assert_eq!(sim.truth_of(&r).await.unwrap().state, OrderState::PartiallyCaptured);
    assert_eq!(code(&sim.capture(&r, 6_001).await), "05042");
    assert_eq!(code(&sim.capture(&r, 6_000).await), "04000");
    assert_eq!(code(&sim.capture(&r, 1).await), "05034", "fully captured: nothing left to capture");

    let order = sim.truth_of(&r).await.unwrap();
    assert_eq!(order.state, OrderState::Captured);
    assert_eq!(order.captured_amount, 10_000);
    let kinds: Vec<(MovementKind, u64)> = order.movements.iter().map(|m| (m.kind, m.amount)).collect();
    assert_eq!(
        kinds,
        [
            (MovementKind::Authorization, 10_000),
            (MovementKind::Capture, 4_000),
            (MovementKind::Capture, 6_000)
        ]
    );
    let status = sim.check(&r).await;
    assert_eq!(field(&status, "transaction_code"), "04000");
    assert_eq!(field(&status, "captured_amount"), "10000");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn capture_is_refused_for_unknown_orders_purchases_and_other_currencies() {
    let sim = demo().await;
    assert_eq!(code(&sim.capture("NO-SUCH-ORDER", 100).await), "05036");
    let purchase = reference("CAPP");
    sim.purchase(&purchase, 1000, "DEMO-VISA-0001").await;
    assert_eq!(code(&sim.capture(&purchase, 100).await), "05034");
    let auth = reference("CAPC");
    sim.authorize(&auth, 1000, "DEMO-VISA-0001").await;
    let usd = sim
        .send(json!({"command": "CAPTURE", "merchant_reference": auth, "amount": "100", "currency": "USD"}))
        .await;
    assert_eq!(code(&usd), "05013");
    // By fort_id only.
    let fort_id = sim.truth_of(&auth).await.unwrap().fort_id;
    let by_id = sim
        .send(json!({"command": "CAPTURE", "merchant_reference": auth, "fort_id": fort_id, "amount": "100", "currency": "AED"}))
        .await;
    assert_eq!(code(&by_id), "04000");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn void_only_before_any_capture() {
    let sim = demo().await;
    let r = reference("VOID");
    sim.authorize(&r, 5_000, "DEMO-VISA-0001").await;
    let void = sim.void(&r).await;
    assert_eq!(code(&void), "08000");
    assert!(!void.contains_key("amount"));
    let order = sim.truth_of(&r).await.unwrap();
    assert_eq!(order.state, OrderState::Voided);
    assert_eq!(order.movements.last().map(|m| (m.kind, m.amount)), Some((MovementKind::Void, 5_000)));
    assert_eq!(field(&sim.check(&r).await, "transaction_code"), "08000");
    assert_eq!(code(&sim.void(&r).await), "09034", "already voided");
    assert_eq!(code(&sim.capture(&r, 100).await), "05034", "voided cannot be captured");

    let captured = reference("VOIDC");
    sim.authorize(&captured, 5_000, "DEMO-VISA-0001").await;
    sim.capture(&captured, 1_000).await;
    assert_eq!(code(&sim.void(&captured).await), "09034");
    let purchase = reference("VOIDP");
    sim.purchase(&purchase, 5_000, "DEMO-VISA-0001").await;
    assert_eq!(code(&sim.void(&purchase).await), "09034");
    assert_eq!(code(&sim.void("NO-SUCH-ORDER").await), "09036");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn several_partial_refunds_up_to_the_captured_amount() {
    let sim = demo().await;
    let r = reference("REF");
    sim.purchase(&r, 10_000, "DEMO-VISA-0001").await;
    let first = sim.refund(&r, 3_000, Some("RF-1")).await;
    assert_eq!(code(&first), "06000");
    assert_eq!(field(&first, "maintenance_reference"), "RF-1");
    assert_eq!(sim.truth_of(&r).await.unwrap().state, OrderState::PartiallyRefunded);
    let too_much = sim.refund(&r, 7_001, Some("RF-2")).await;
    assert_eq!(code(&too_much), "07048");
    // The declined refund's reference may be retried.
    assert_eq!(code(&sim.refund(&r, 2_000, Some("RF-2")).await), "06000");
    // A successful refund's reference is never refunded twice.
    assert_eq!(code(&sim.refund(&r, 1_000, Some("RF-1")).await), "07047");
    assert_eq!(code(&sim.refund(&r, 5_000, None).await), "06000");
    assert_eq!(code(&sim.refund(&r, 1, None).await), "07048");

    let order = sim.truth_of(&r).await.unwrap();
    assert_eq!(order.state, OrderState::Refunded);
    assert_eq!(order.refunded_amount, 10_000);
    let refunds: Vec<(u64, Option<String>)> = order
        .movements
        .iter()
        .filter(|m| m.kind == MovementKind::Refund)
        .map(|m| (m.amount, m.maintenance_reference.clone()))
        .collect();
    assert_eq!(refunds, [(3_000, Some("RF-1".into())), (2_000, Some("RF-2".into())), (5_000, None)]);

    let status = sim.check(&r).await;
    assert_eq!(field(&status, "transaction_code"), "06000");
    assert_eq!(field(&status, "refunded_amount"), "10000");
    let of_refund = |mref: &str| json!({"query_command": "CHECK_STATUS", "merchant_reference": r, "maintenance_reference": mref});
    let rf1 = sim.send(of_refund("RF-1")).await;
    assert_eq!((code(&rf1), field(&rf1, "transaction_code")), ("12000", "06000"));
    assert_eq!(code(&sim.send(of_refund("RF-404")).await), "11036");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refund_needs_a_capture_first() {
    let sim = demo().await;
    let r = reference("REFA");
    sim.authorize(&r, 4_000, "DEMO-VISA-0001").await;
    assert_eq!(code(&sim.refund(&r, 100, None).await), "07034");
    sim.capture(&r, 1_500).await;
    assert_eq!(code(&sim.refund(&r, 1_501, None).await), "07048");
    assert_eq!(code(&sim.refund(&r, 1_500, None).await), "06000");
    assert_eq!(code(&sim.refund("NO-SUCH-ORDER", 100, None).await), "07036");
    let usd = sim
        .send(json!({"command": "REFUND", "merchant_reference": r, "amount": "1", "currency": "USD"}))
        .await;
    assert_eq!(code(&usd), "07013");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_repeated_merchant_reference_is_refused_and_moves_no_money() {
    let sim = demo().await;
    let r = reference("DUP");
    assert_eq!(code(&sim.purchase(&r, 1_000, "DEMO-VISA-0001").await), "14000");
    let again = sim.purchase(&r, 1_000, "DEMO-VISA-0001").await;
    assert_eq!(code(&again), "00066");
    assert_eq!(code(&sim.authorize(&r, 1_000, "DEMO-MC-2346").await), "00066");
    let (orders, movements) = sim.truth().await;
    assert_eq!(orders.len(), 1);
    assert_eq!(movements.len(), 1, "exactly one charge for one merchant reference");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn documented_declines() {
    let sim = demo().await;
    // The issuer declines the documented card.
    let r = reference("DECL");
    let declined = sim.purchase(&r, 1_000, "DEMO-VISA-DECLINED-0242").await;
    assert_eq!(code(&declined), "13666");
    assert!(!declined.contains_key("authorization_code"));
    let order = sim.truth_of(&r).await.unwrap();
    assert_eq!(order.state, OrderState::Declined);
    assert!(order.movements.is_empty());
    let status = sim.check(&r).await;
    assert_eq!((field(&status, "transaction_code"), field(&status, "captured_amount")), ("13666", "0"));
    assert_eq!(
        code(&sim.purchase(&r, 1_000, "DEMO-VISA-0001").await),
        "00066",
        "a declined reference is used"
    );

    // Minor units ending in 51: insufficient funds, for AUTHORIZATION too.
    assert_eq!(code(&sim.purchase(&reference("DECL"), 10_51, "DEMO-VISA-0001").await), "13029");
    assert_eq!(code(&sim.authorize(&reference("DECL"), 151, "DEMO-MC-2346").await), "03029");
    assert_eq!(code(&sim.authorize(&reference("DECL"), 500, "DEMO-VISA-DECLINED-0242").await), "03666");
    // Expired and unknown tokens: refused, no order.
    let expired = reference("DECL");
    assert_eq!(code(&sim.purchase(&expired, 1_000, "DEMO-MC-EXPIRED-2346").await), "13012");
    assert!(sim.truth_of(&expired).await.is_none());
    assert_eq!(code(&sim.purchase(&expired, 1_000, "NO-SUCH-TOKEN").await), "13044");
    assert_eq!(code(&sim.authorize(&expired, 1_000, "NO-SUCH-TOKEN").await), "03044");
    // Declines can be retried under a new reference and then succeed.
    assert_eq!(code(&sim.purchase(&expired, 1_000, "DEMO-MADA-5689").await), "14000");
    let with_third_party = sim
        .send(json!({"query_command": "CHECK_STATUS", "merchant_reference": r, "return_third_party_response_codes": "YES"}))
        .await;
    assert_eq!(field(&with_third_party, "processor_response_code"), "DECLINED");
    let (_, movements) = sim.truth().await;
    assert_eq!(movements.len(), 1, "no declined charge moved money");
}

fn trusted(reference: &str, card: &str, expiry: &str) -> Value {
    json!({
        "command": "PURCHASE", "merchant_reference": reference, "amount": "2000", "currency": "AED",
        "customer_email": "agent@example.com", "eci": "MOTO", "card_number": card, "expiry_date": expiry,
        "card_holder_name": "Omar Haddad"
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trusted_channel_checks_the_card_and_creates_a_token() {
    let sim = demo().await;
    let luhn = sim.send(trusted(&reference("TC"), "4005550000000002", "3012")).await;
    assert_eq!(code(&luhn), "13016");
    assert_eq!(field(&luhn, "card_number"), "400555******0002");
    let expired = sim.send(trusted(&reference("TC"), "4005550000000001", "2001")).await;
    assert_eq!(code(&expired), "13012");
    let bad_month = sim.send(trusted(&reference("TC"), "4005550000000001", "3013")).await;
    assert!(["00002", "13100"].contains(&code(&bad_month)), "{bad_month:?}");
    assert!(sim.truth().await.0.is_empty());

    let r = reference("TC");
    let ok = sim.send(trusted(&r, "4005550000000001", "3011")).await;
    assert_eq!(code(&ok), "14000", "{ok:?}");
    let token = field(&ok, "token_name").to_owned();
    assert!(!token.is_empty());
    // The new token charges by MOTO.
    assert_eq!(code(&sim.purchase(&reference("TC"), 700, &token).await), "14000");
    // Without unique tokens, the same card gets a new token each time.
    let again = sim.send(trusted(&reference("TC"), "4005550000000001", "3011")).await;
    assert_ne!(field(&again, "token_name"), token);
    // A chosen token name is used, then reused for the same card, refused for another card.
    let named = sim
        .send(json!({
            "command": "AUTHORIZATION", "merchant_reference": reference("TC"), "amount": "100", "currency": "AED",
            "customer_email": "agent@example.com", "eci": "MOTO", "card_number": "345678901234564",
            "expiry_date": "3001", "token_name": "CUSTOMER-42"
        }))
        .await;
    assert_eq!((code(&named), field(&named, "token_name")), ("02000", "CUSTOMER-42"));
    let mut same = object(trusted(&reference("TC"), "345678901234564", "3002"));
    same.insert("token_name".into(), json!("CUSTOMER-42"));
    assert_eq!(field(&sim.send(Value::Object(same)).await, "token_name"), "CUSTOMER-42");
    let mut other = object(trusted(&reference("TC"), "5123456789012346", "3002"));
    other.insert("token_name".into(), json!("CUSTOMER-42"));
    assert_eq!(code(&sim.send(Value::Object(other)).await), "13114");
    // remember_me=NO keeps no token.
    let mut forget = object(trusted(&reference("TC"), "5297412542005689", "3002"));
    forget.insert("remember_me".into(), json!("NO"));
    let forgot = sim.send(Value::Object(forget)).await;
    assert_eq!(code(&forgot), "14000");
    assert!(!forgot.contains_key("token_name"));
    // ECOMMERCE needs the CVV.
    let mut ecommerce = object(trusted(&reference("TC"), "4005550000000001", "3012"));
    ecommerce.insert("eci".into(), json!("ECOMMERCE"));
    assert_eq!(code(&sim.send(Value::Object(ecommerce.clone())).await), "00001");
    ecommerce.insert("card_security_code".into(), json!("123"));
    assert_eq!(code(&sim.send(Value::Object(ecommerce)).await), "14000");
    // The documented declined card declines here too, and gets no token.
    let declined = sim.send(trusted(&reference("TC"), "4916783391760242", "3012")).await;
    assert_eq!(code(&declined), "13666");
    assert!(!declined.contains_key("token_name"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unique_tokens_map_one_card_to_one_token() {
    let mut config = SimConfig::demo();
    config.unique_tokens = true;
    let sim = start(config).await;
    let first = sim.send(trusted(&reference("UT"), "5123456789012346", "3105")).await;
    // The Demo merchant already has a token for this card: unique mode returns it.
    assert_eq!(field(&first, "token_name"), "DEMO-MC-2346");
    let fresh_card = "4557012345678902";
    let a = sim.send(trusted(&reference("UT"), fresh_card, "3105")).await;
    let b = sim.send(trusted(&reference("UT"), fresh_card, "3106")).await;
    assert_eq!(code(&a), "14000");
    assert_eq!(field(&a, "token_name"), field(&b, "token_name"));
    let created = sim
        .send(json!({
            "service_command": "CREATE_TOKEN", "merchant_reference": reference("UT"), "card_number": fresh_card,
            "expiry_date": "3107", "return_url": "https://merchant.example/return"
        }))
        .await;
    assert_eq!(field(&created, "token_name"), field(&a, "token_name"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recurring_needs_a_token_and_an_agreement() {
    let sim = demo().await;
    let recurring = |r: &str, agreement: Option<&str>| {
        json!({
            "command": "PURCHASE", "merchant_reference": r, "amount": "999", "currency": "AED",
            "customer_email": "agent@example.com", "eci": "RECURRING", "token_name": "DEMO-MC-2346",
            "agreement_id": agreement
        })
    };
    let r = reference("REC");
    let ok = sim.send(recurring(&r, Some("AGR202401"))).await;
    assert_eq!(code(&ok), "14000");
    assert_eq!(field(&ok, "eci"), "RECURRING");
    assert_eq!(field(&ok, "agreement_id"), "AGR202401");
    assert_eq!(sim.truth_of(&r).await.unwrap().eci.as_deref(), Some("RECURRING"));
    assert_eq!(code(&sim.send(recurring(&reference("REC"), None)).await), "00001");
    let mut with_card = object(recurring(&reference("REC"), Some("AGR7")));
    with_card.insert("card_number".into(), json!("4005550000000001"));
    with_card.insert("expiry_date".into(), json!("3012"));
    assert_eq!(code(&sim.send(Value::Object(with_card)).await), "00033");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_decimal_currencies_keep_minor_units() {
    let sim = demo().await;
    let r = reference("KWD");
    let answer = sim
        .send(json!({
            "command": "AUTHORIZATION", "merchant_reference": r, "amount": "1250", "currency": "KWD",
            "customer_email": "agent@example.com", "eci": "MOTO", "token_name": "DEMO-VISA-0001"
        }))
        .await;
    assert_eq!(code(&answer), "02000");
    let capture = sim
        .send(json!({"command": "CAPTURE", "merchant_reference": r, "amount": "1250", "currency": "KWD"}))
        .await;
    assert_eq!(code(&capture), "04000");
    let order = sim.truth_of(&r).await.unwrap();
    assert_eq!((order.currency.as_str(), order.captured_amount), ("KWD", 1250));
}

#[test]
fn the_terminal_reads_every_documented_decline_as_a_decline() {
    use moto_terminal::aps::Operation;
    use moto_terminal::aps::response::{Kind, classify};
    for (op, code) in [
        (Operation::Purchase, "13666"),
        (Operation::Purchase, "13029"),
        (Operation::Purchase, "13012"),
        (Operation::Purchase, "13016"),
        (Operation::Purchase, "13003"),
        (Operation::Purchase, "13044"),
        (Operation::Purchase, "13014"),
        (Operation::Authorization, "03666"),
        (Operation::Authorization, "03029"),
    ] {
        let verdict = classify(op, code);
        assert!(matches!(verdict.kind, Kind::Declined | Kind::Rejected), "{op} {code}: {verdict:?}");
    }
    assert_eq!(classify(Operation::Purchase, "13666").kind, Kind::Declined);
    assert_eq!(classify(Operation::Purchase, "13029").kind, Kind::Declined);
    assert_eq!(classify(Operation::Purchase, "15777").kind, Kind::Uncertain, "the uncertain_committed fault");
}
