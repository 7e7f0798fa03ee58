//! PAYMENT_LINK, the pay page, marking a link paid, and CHECK_STATUS tracking it.

use super::*;
use moto_terminal::sim::{OrderState, SimError};

fn link(reference: &str, extra: Value) -> Value {
    let mut fields = object(json!({
        "service_command": "PAYMENT_LINK", "merchant_reference": reference, "amount": "15000", "currency": "AED",
        "customer_email": "customer@example.com", "request_expiry_date": "2099-12-20T15:36:55+03:00",
        "notification_type": "EMAIL", "order_description": "Invoice 77"
    }));
    fields.extend(object(extra));
    Value::Object(fields)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paid_link_shows_in_check_status() {
    let sim = demo().await;
    let r = reference("PL");
    let created = sim.send(link(&r, json!({}))).await;
    assert_eq!(code(&created), "48000", "{created:?}");
    assert_eq!(field(&created, "status"), "48");
    let id = field(&created, "payment_link_id").to_owned();
    assert!(!id.is_empty() && id.len() <= 20);
    let url = field(&created, "payment_link").to_owned();
    assert_eq!(url, format!("{}/pay/{id}", sim.handle.base_url()));
    assert_eq!(url, sim.handle.link_page_url(&id));

    let waiting = sim.check(&r).await;
    assert_eq!(code(&waiting), "12000");
    assert_eq!(field(&waiting, "transaction_code"), "48000");
    assert_eq!(field(&waiting, "captured_amount"), "0");
    assert_eq!(field(&waiting, "payment_link_id"), id);
    assert_eq!(sim.truth_of(&r).await.unwrap().state, OrderState::LinkOpen);
    assert_eq!(code(&sim.capture(&r, 100).await), "05034");

    let page = sim.http.get(&url).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("150.00") && html.contains("AED") && html.contains("Invoice 77"), "{html}");
    assert!(html.contains(&format!("action=\"/pay/{id}\"")), "{html}");

    let paid = sim.http.post(format!("{}/links/{id}/pay", sim.handle.control_url())).send().await.unwrap();
    assert_eq!(paid.status(), 200);
    let view: moto_terminal::sim::OrderView = paid.json().await.unwrap();
    assert_eq!(view.state, OrderState::Captured);

    let done = sim.check(&r).await;
    assert_eq!(field(&done, "transaction_code"), "14000");
    assert_eq!(field(&done, "captured_amount"), "15000");
    let again = sim.http.post(format!("{}/links/{id}/pay", sim.handle.control_url())).send().await.unwrap();
    assert_eq!(again.status(), 409);
    let missing = sim.http.post(format!("{}/links/NOPE/pay", sim.handle.control_url())).send().await.unwrap();
    assert_eq!(missing.status(), 404);
    let page = client().get(sim.handle.link_page_url("NOPE")).send().await.unwrap();
    assert_eq!(page.status(), 404);
    assert!(sim.http.get(&url).send().await.unwrap().text().await.unwrap().contains("Paid"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authorization_links_and_the_rust_api() {
    let sim = demo().await;
    let r = reference("PLA");
    let created =
        sim.send(link(&r, json!({"link_command": "AUTHORIZATION", "payment_link_id": "INV-0001"}))).await;
    assert_eq!(field(&created, "payment_link_id"), "INV-0001");
    let view = sim.handle.mark_link_paid("INV-0001").unwrap();
    assert_eq!(view.state, OrderState::Authorized);
    assert_eq!(field(&sim.check(&r).await, "transaction_code"), "02000");
    assert_eq!(code(&sim.capture(&r, 15_000).await), "04000");
    assert!(matches!(sim.handle.mark_link_paid("INV-0001"), Err(SimError::LinkAlreadyPaid(_))));
    assert!(matches!(sim.handle.mark_link_paid("INV-9999"), Err(SimError::LinkNotFound(_))));

    let duplicate_id = sim.send(link(&reference("PLA"), json!({"payment_link_id": "INV-0001"}))).await;
    assert_eq!(code(&duplicate_id), "49126");
    assert_eq!(code(&sim.send(link(&r, json!({}))).await), "49125", "its link is paid: invoice already paid");
    let sale = reference("PLA-SALE");
    sim.purchase(&sale, 1_000, "DEMO-VISA-0001").await;
    assert_eq!(code(&sim.send(link(&sale, json!({}))).await), "00066", "not a link: a duplicate order");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn link_checks() {
    let sim = demo().await;
    let sms = sim.send(link(&reference("PLC"), json!({"notification_type": "SMS"}))).await;
    assert_eq!(code(&sms), "00001", "SMS needs customer_phone");
    let sms = sim
        .send(link(
            &reference("PLC"),
            json!({"notification_type": "EMAIL,SMS", "customer_phone": "00962797219966"}),
        ))
        .await;
    assert_eq!(code(&sms), "48000");
    let none_wins = sim.send(link(&reference("PLC"), json!({"notification_type": "SMS,NONE"}))).await;
    assert_eq!(code(&none_wins), "48000");
    assert_eq!(
        code(&sim.send(link(&reference("PLC"), json!({"notification_type": "PIGEON"}))).await),
        "00033"
    );
    assert_eq!(code(&sim.send(link(&reference("PLC"), json!({"link_command": "REFUND"}))).await), "00033");
    assert_eq!(
        code(&sim.send(link(&reference("PLC"), json!({"request_expiry_date": "tomorrow"}))).await),
        "00002"
    );
    assert_eq!(code(&sim.send(link(&reference("PLC"), json!({"request_expiry_date": null}))).await), "00001");

    let r = reference("PLC");
    let past = sim.send(link(&r, json!({"request_expiry_date": "2020-01-01T00:00:00+00:00"}))).await;
    let id = field(&past, "payment_link_id").to_owned();
    assert!(matches!(sim.handle.mark_link_paid(&id), Err(SimError::LinkExpired(_))));
    let gone = sim.http.post(format!("{}/links/{id}/pay", sim.handle.control_url())).send().await.unwrap();
    assert_eq!(gone.status(), 410);
    assert!(sim.truth().await.1.is_empty(), "no link was paid");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_customer_pays_on_the_page_without_the_control_token() {
    let sim = demo().await;
    let r = reference("PLP");
    let id = field(&sim.send(link(&r, json!({}))).await, "payment_link_id").to_owned();
    // The control endpoint needs the token: a page or program without it changes nothing.
    let forged = client().post(format!("{}/links/{id}/pay", sim.handle.control_url())).send().await.unwrap();
    assert_eq!(forged.status(), 403);
    assert_eq!(sim.truth_of(&r).await.unwrap().state, OrderState::LinkOpen);

    // The customer has only the link: its page and its Pay button.
    let page = client().get(sim.handle.link_page_url(&id)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("Waiting for payment"), "{page}");
    let paid = client().post(sim.handle.link_page_url(&id)).send().await.unwrap();
    assert_eq!(paid.status(), 200);
    assert!(paid.text().await.unwrap().contains("Paid"));
    assert_eq!(sim.truth_of(&r).await.unwrap().state, OrderState::Captured);
    let again = client().post(sim.handle.link_page_url(&id)).send().await.unwrap();
    assert_eq!(again.status(), 200, "paying twice shows the paid page");
    assert_eq!(sim.truth().await.1.len(), 1, "charged once");
    assert_eq!(client().post(sim.handle.link_page_url("NOPE")).send().await.unwrap().status(), 404);
}
