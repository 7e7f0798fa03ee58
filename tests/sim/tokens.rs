//! CREATE_TOKEN and UPDATE_TOKEN.

use super::*;

fn create(reference: &str, card: &str, expiry: &str, name: Option<&str>) -> Value {
    json!({
        "service_command": "CREATE_TOKEN", "merchant_reference": reference, "card_number": card,
        "expiry_date": expiry, "return_url": "https://merchant.example/return", "token_name": name,
        "card_holder_name": "Lina K"
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_token_then_charge_it() {
    let sim = demo().await;
    let created = sim.send(create(&reference("CT"), "5123456789012346", "3201", None)).await;
    assert_eq!(code(&created), "52062", "{created:?}");
    assert_eq!(field(&created, "status"), "52");
    assert_eq!(field(&created, "card_number"), "512345******2346");
    assert_eq!(field(&created, "expiry_date"), "3201");
    assert_eq!(field(&created, "card_holder_name"), "Lina K");
    assert_eq!(field(&created, "card_bin"), "512345");
    assert!(!serde_json::to_string(&created).unwrap().contains("5123456789012346"));
    let token = field(&created, "token_name").to_owned();
    assert!(!token.is_empty());
    assert_eq!(code(&sim.purchase(&reference("CT"), 300, &token).await), "14000");

    let named = sim.send(create(&reference("CT"), "4005550000000001", "3201", Some("MY.TOKEN@1"))).await;
    assert_eq!(field(&named, "token_name"), "MY.TOKEN@1");
    let clash = sim.send(create(&reference("CT"), "5123456789012346", "3201", Some("MY.TOKEN@1"))).await;
    assert_eq!(code(&clash), "53114");
    assert_eq!(code(&sim.send(create(&reference("CT"), "4005550000000002", "3201", None)).await), "53016");
    assert_eq!(code(&sim.send(create(&reference("CT"), "4005550000000001", "1901", None)).await), "53012");
    let no_url = sim
        .send(json!({"service_command": "CREATE_TOKEN", "merchant_reference": reference("CT"),
                     "card_number": "4005550000000001", "expiry_date": "3201"}))
        .await;
    assert_eq!(code(&no_url), "00001");
    assert!(sim.truth().await.1.len() == 1, "tokens move no money");
}

fn update(token: &str, extra: Value) -> Value {
    let mut fields = object(json!({
        "service_command": "UPDATE_TOKEN", "merchant_reference": reference("UT"), "token_name": token
    }));
    fields.extend(object(extra));
    Value::Object(fields)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_inactive_token_cannot_be_charged_until_reactivated() {
    let sim = demo().await;
    let off = sim.send(update("DEMO-VISA-0001", json!({"token_status": "INACTIVE"}))).await;
    assert_eq!(code(&off), "58000", "{off:?}");
    assert_eq!(field(&off, "status"), "58");
    assert_eq!(field(&off, "token_status"), "INACTIVE");
    assert_eq!(field(&off, "card_number"), "400555******0001");
    assert_eq!(field(&off, "card_brand"), "VISA");
    assert_eq!(field(&off, "card_bin"), "400555");
    assert!(!field(&off, "creation_date").is_empty());
    let refused = sim.purchase(&reference("IN"), 1000, "DEMO-VISA-0001").await;
    assert_eq!(code(&refused), "13014");
    assert_eq!(code(&sim.authorize(&reference("IN"), 1000, "DEMO-VISA-0001").await), "03014");
    assert!(sim.truth().await.0.is_empty());
    let on = sim.send(update("DEMO-VISA-0001", json!({"token_status": "ACTIVE"}))).await;
    assert_eq!(field(&on, "token_status"), "ACTIVE");
    assert_eq!(code(&sim.purchase(&reference("IN"), 1000, "DEMO-VISA-0001").await), "14000");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn update_token_renames_and_changes_expiry_and_holder() {
    let sim = demo().await;
    let renamed = sim
        .send(update(
            "DEMO-MC-EXPIRED-2346",
            json!({"new_token_name": "MC-RENEWED", "expiry_date": "3208", "card_holder_name": "New Holder"}),
        ))
        .await;
    assert_eq!(code(&renamed), "58000", "{renamed:?}");
    assert_eq!(field(&renamed, "expiry_date"), "3208");
    assert_eq!(field(&renamed, "new_token_name"), "MC-RENEWED");
    // The old name is gone; the new one charges now that the expiry is in the future.
    assert_eq!(code(&sim.purchase(&reference("RN"), 100, "DEMO-MC-EXPIRED-2346").await), "13044");
    assert_eq!(code(&sim.purchase(&reference("RN"), 100, "MC-RENEWED").await), "14000");

    assert_eq!(code(&sim.send(update("NO-SUCH-TOKEN", json!({"token_status": "INACTIVE"}))).await), "59044");
    assert_eq!(
        code(&sim.send(update("MC-RENEWED", json!({"new_token_name": "DEMO-VISA-0001"}))).await),
        "59114"
    );
    assert_eq!(code(&sim.send(update("MC-RENEWED", json!({"token_status": "DELETED"}))).await), "00033");
    assert_eq!(code(&sim.send(update("MC-RENEWED", json!({"token_name": null}))).await), "00001");
}
