//! The Demo merchant's payment links keep their URL across restarts: their pages have a port of
//! their own, kept in the state file, while the API takes a free port at every start.

use super::*;
use moto_terminal::sim::OrderState;

fn link(reference: &str) -> Value {
    json!({
        "service_command": "PAYMENT_LINK", "merchant_reference": reference, "amount": "15000", "currency": "AED",
        "customer_email": "layla@example.com", "request_expiry_date": "2099-12-20T15:36:55+03:00",
        "notification_type": "EMAIL", "order_description": "Invoice 78"
    })
}

async fn page(url: &str) -> (u16, String) {
    let answer = client().get(url).send().await.unwrap();
    (answer.status().as_u16(), answer.text().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_demo_link_opens_and_is_paid_after_a_restart_on_another_port() {
    let dir = tempfile::tempdir().unwrap();
    let config = SimConfig::demo_in(dir.path());
    let r = reference("PL-KEPT");
    let sim = start(config.clone()).await;
    let created = sim.send(link(&r)).await;
    assert_eq!(code(&created), "48000", "{created:?}");
    let id = field(&created, "payment_link_id").to_owned();
    let url = field(&created, "payment_link").to_owned();
    assert!(url.starts_with("http://127.0.0.1:") && url.ends_with(&format!("/pay/{id}")), "{url}");
    assert!(!url.starts_with(sim.handle.base_url()), "not on the API's port: {url}");
    assert_eq!(url, sim.handle.link_page_url(&id));
    let (status, html) = page(&url).await;
    assert_eq!(status, 200);
    assert!(html.contains("Waiting for payment") && html.contains("150.00"), "{html}");
    // Only the pages are served there.
    let api = client()
        .post(format!("{}/FortAPI/paymentApi", sim.handle.link_base_url()))
        .json(&sim.request(link(&reference("PL-KEPT"))))
        .send()
        .await
        .unwrap();
    assert_eq!(api.status(), 404);
    let old_api = sim.handle.addr();
    sim.handle.shutdown().await;
    assert!(client().get(&url).send().await.is_err(), "nothing serves it while the simulator is stopped");

    // Restarted, the API cannot have its old port back: it listens on another one.
    let _taken = std::net::TcpListener::bind(old_api).unwrap();
    let sim = start(config).await;
    assert_ne!(sim.handle.addr(), old_api);
    assert_eq!(sim.handle.link_page_url(&id), url, "the same URL");
    let (status, html) = page(&url).await;
    assert_eq!(status, 200, "the link given out opens again: {html}");
    assert!(html.contains("Waiting for payment") && html.contains("Invoice 78"), "{html}");
    // The customer pays through it, and the API of this run knows.
    let paid = client().post(&url).send().await.unwrap();
    assert_eq!(paid.status(), 200);
    assert!(paid.text().await.unwrap().contains("Paid"));
    assert_eq!(sim.truth_of(&r).await.unwrap().state, OrderState::Captured);
    assert_eq!(field(&sim.check(&r).await, "transaction_code"), "14000");
    // Links made now have the same address.
    let next = sim.send(link(&reference("PL-KEPT"))).await;
    assert!(field(&next, "payment_link").starts_with(sim.handle.link_base_url()));
    assert!(sim.handle.link_base_url().starts_with(url.split("/pay/").next().unwrap()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_taken_link_port_leaves_the_links_on_the_api_and_an_address_given_must_be_free() {
    let dir = tempfile::tempdir().unwrap();
    let config = SimConfig::demo_in(dir.path());
    let sim = start(config.clone()).await;
    let kept = sim.handle.link_base_url().to_owned();
    sim.handle.shutdown().await;
    let port: u16 = kept.rsplit(':').next().unwrap().parse().unwrap();
    let _taken = std::net::TcpListener::bind(("127.0.0.1", port)).unwrap();
    // The kept port is taken: this run's links are on its own address, and the port stays kept.
    let sim = start(config.clone()).await;
    assert_eq!(sim.handle.link_base_url(), sim.handle.base_url());
    let created = sim.send(link(&reference("PL-TAKEN"))).await;
    assert!(field(&created, "payment_link").starts_with(sim.handle.base_url()));
    sim.handle.shutdown().await;
    drop(_taken);
    let sim = start(config).await;
    assert_eq!(sim.handle.link_base_url(), kept, "the kept port, once it is free again");
    sim.handle.shutdown().await;

    // An address given with its port is that address, or the simulator does not start.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let given = SimConfig { link_pages: Some(taken.local_addr().unwrap()), ..SimConfig::demo() };
    let refused = moto_terminal::sim::start(given, "127.0.0.1:0".parse().unwrap()).await;
    assert!(matches!(refused, Err(moto_terminal::sim::SimError::Bind { .. })), "{refused:?}");
}
