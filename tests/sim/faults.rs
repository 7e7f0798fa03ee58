//! Every fault kind: what the client sees, and what the simulator really committed.

use super::*;
use moto_terminal::sim::{Fault, FaultKind};
use std::time::{Duration, Instant};

fn purchase_body(sim: &Sim, reference: &str) -> Params {
    let mut params = sim.request(json!({
        "command": "PURCHASE", "merchant_reference": reference, "amount": "4200", "currency": "AED",
        "customer_email": "agent@example.com", "eci": "MOTO", "token_name": "DEMO-VISA-0001"
    }));
    sim.sign(&mut params);
    params
}

async fn post(sim: &Sim, params: &Params) -> reqwest::Result<reqwest::Response> {
    sim.http.post(sim.handle.payment_api_url()).json(params).send().await
}

/// Queues a fault through the HTTP control API.
async fn inject(sim: &Sim, fault: Value) {
    let response =
        sim.http.post(format!("{}/faults", sim.handle.control_url())).json(&fault).send().await.unwrap();
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
}

async fn committed(sim: &Sim, reference: &str) -> bool {
    let order = sim.truth_of(reference).await;
    if let Some(order) = &order {
        assert_eq!(order.captured_amount, 4200);
        assert_eq!(order.movements.len(), 1);
    }
    order.is_some()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drop_after_commit_loses_the_answer_but_not_the_charge() {
    let sim = demo().await;
    inject(&sim, json!({"fault": "drop_after_commit", "command": "PURCHASE"})).await;
    let r = reference("F-DAC");
    let error = post(&sim, &purchase_body(&sim, &r)).await.unwrap_err();
    assert!(!error.is_status(), "{error}");
    assert!(committed(&sim, &r).await);
    assert_eq!(field(&sim.check(&r).await, "transaction_code"), "14000");
    let log = sim.handle.requests();
    let hit = log.iter().find(|h| h.merchant_reference.as_deref() == Some(r.as_str())).unwrap();
    assert_eq!(hit.fault, Some(FaultKind::DropAfterCommit));
    assert_eq!(hit.response_code.as_deref(), Some("14000"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drop_before_commit_charges_nothing() {
    let sim = demo().await;
    sim.handle.inject(Fault::new(FaultKind::DropBeforeCommit));
    let r = reference("F-DBC");
    assert!(post(&sim, &purchase_body(&sim, &r)).await.is_err());
    assert!(!committed(&sim, &r).await);
    assert_eq!(code(&sim.check(&r).await), "11036");
    // The same reference can then be charged, once.
    assert_eq!(
        code(&sim.post_signed(&sim.handle.payment_api_url(), &purchase_body(&sim, &r)).await),
        "14000"
    );
    assert!(committed(&sim, &r).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delay_answers_late_but_commits_at_once() {
    let sim = demo().await;
    sim.handle.inject(Fault::delay(600).for_command("PURCHASE"));
    let r = reference("F-DLY");
    let impatient = super::client();
    let started = Instant::now();
    let error = impatient
        .post(sim.handle.payment_api_url())
        .timeout(Duration::from_millis(200))
        .json(&purchase_body(&sim, &r))
        .send()
        .await
        .unwrap_err();
    assert!(error.is_timeout(), "{error}");
    assert!(started.elapsed() < Duration::from_millis(550));
    assert!(committed(&sim, &r).await, "committed before the client gave up");

    inject(&sim, json!({"fault": "delay", "delay_ms": 300})).await;
    let started = Instant::now();
    let r2 = reference("F-DLY");
    let answer = sim.post_signed(&sim.handle.payment_api_url(), &purchase_body(&sim, &r2)).await;
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(code(&answer), "14000");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_500_committed_or_not() {
    let sim = demo().await;
    for (fault, expect_commit) in [("http500_committed", true), ("http500_uncommitted", false)] {
        inject(&sim, json!({"fault": fault})).await;
        let r = reference("F-500");
        let response = post(&sim, &purchase_body(&sim, &r)).await.unwrap();
        assert_eq!(response.status(), 500, "{fault}");
        assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
        assert_eq!(committed(&sim, &r).await, expect_commit, "{fault}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbled_body_is_unreadable_but_committed() {
    let sim = demo().await;
    sim.handle.inject(Fault::new(FaultKind::GarbledBody));
    let r = reference("F-GRB");
    let response = post(&sim, &purchase_body(&sim, &r)).await.unwrap();
    assert_eq!(response.status(), 200);
    let body = response.bytes().await.unwrap();
    assert!(serde_json::from_slice::<Value>(&body).is_err());
    assert!(committed(&sim, &r).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_signature_is_detectable_and_committed() {
    let sim = demo().await;
    sim.handle.inject(Fault::new(FaultKind::BadSignature));
    let r = reference("F-SIG");
    let answer: Params = post(&sim, &purchase_body(&sim, &r)).await.unwrap().json().await.unwrap();
    assert_eq!(code(&answer), "14000");
    assert!(sign::verify(&answer, DEMO_RESPONSE_PHRASE, Algorithm::Sha256).is_err());
    assert!(committed(&sim, &r).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uncertain_code_while_the_payment_was_committed() {
    let sim = demo().await;
    sim.handle.inject(Fault::new(FaultKind::UncertainCommitted).for_command("PURCHASE"));
    let r = reference("F-UNC");
    let answer = sim.post_signed(&sim.handle.payment_api_url(), &purchase_body(&sim, &r)).await;
    assert_eq!(code(&answer), "15777");
    assert_eq!(field(&answer, "status"), "15");
    assert_eq!(field(&answer, "response_message"), moto_terminal::aps::response::message_text("777"));
    assert!(committed(&sim, &r).await);
    assert_eq!(field(&sim.check(&r).await, "transaction_code"), "14000");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_are_limited_to_one_command_and_counted() {
    let sim = demo().await;
    inject(&sim, json!({"fault": "drop_before_commit", "command": "PURCHASE", "count": 2})).await;
    let r = reference("F-CMD");
    // CHECK_STATUS goes through while the PURCHASE fault waits.
    assert_eq!(code(&sim.check(&r).await), "11036");
    assert!(post(&sim, &purchase_body(&sim, &r)).await.is_err());
    assert!(post(&sim, &purchase_body(&sim, &r)).await.is_err());
    assert!(!committed(&sim, &r).await);
    assert_eq!(
        code(&sim.post_signed(&sim.handle.payment_api_url(), &purchase_body(&sim, &r)).await),
        "14000"
    );

    // Listing and clearing.
    inject(&sim, json!({"fault": "garbled_body", "count": 3})).await;
    let listed: Value = sim
        .http
        .get(format!("{}/faults", sim.handle.control_url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed["faults"][0]["count"], 3);
    assert_eq!(sim.handle.faults().len(), 1);
    let cleared = sim.http.delete(format!("{}/faults", sim.handle.control_url())).send().await.unwrap();
    assert_eq!(cleared.status(), 200);
    assert!(sim.handle.faults().is_empty());
    assert_eq!(code(&sim.check(&r).await), "12000");
    sim.handle.inject(Fault::new(FaultKind::GarbledBody));
    sim.handle.clear_faults();
    assert_eq!(code(&sim.check(&r).await), "12000");

    let bad = sim
        .http
        .post(format!("{}/faults", sim.handle.control_url()))
        .body("{\"fault\":\"meteor\"}")
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    assert!(bad.text().await.unwrap().contains("drop_after_commit"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_hit_maintenance_too() {
    let sim = demo().await;
    let r = reference("F-CAP");
    sim.authorize(&r, 5_000, "DEMO-VISA-0001").await;
    sim.handle.inject(Fault::new(FaultKind::DropAfterCommit).for_command("CAPTURE"));
    let mut capture = sim
        .request(json!({"command": "CAPTURE", "merchant_reference": r, "amount": "2000", "currency": "AED"}));
    sim.sign(&mut capture);
    assert!(post(&sim, &capture).await.is_err());
    assert_eq!(sim.truth_of(&r).await.unwrap().captured_amount, 2_000);
    let status = sim.check(&r).await;
    assert_eq!((field(&status, "transaction_code"), field(&status, "captured_amount")), ("04000", "2000"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_control_api_needs_this_runs_token() {
    let sim = demo().await;
    let r = reference("F-TOKEN");
    let faults = format!("{}/faults", sim.handle.control_url());
    let fault = json!({"fault": "drop_after_commit"});
    let other = demo().await;
    for (what, http) in [
        ("no token", client()),
        ("a wrong token", client_with_token("0123456789abcdef0123456789abcdef")),
        ("another run's token", client_with_token(other.handle.control_token())),
    ] {
        let injected = http.post(&faults).json(&fault).send().await.unwrap();
        assert_eq!(injected.status(), 403, "{what}");
        assert!(
            injected.text().await.unwrap().contains("x-sim-control-token"),
            "the refusal says what to send"
        );
        for path in ["faults", "orders", "requests"] {
            let url = format!("{}/{path}", sim.handle.control_url());
            assert_eq!(http.get(url).send().await.unwrap().status(), 403, "{what}: GET {path}");
        }
        assert_eq!(http.delete(&faults).send().await.unwrap().status(), 403, "{what}");
    }
    assert!(sim.handle.faults().is_empty(), "nothing was queued");
    assert_eq!(
        code(&sim.post_signed(&sim.handle.payment_api_url(), &purchase_body(&sim, &r)).await),
        "14000"
    );

    // The token is random per start, 32 hex digits, and opens the control API.
    let token = sim.handle.control_token();
    assert!(token.len() == 32 && token.bytes().all(|b| b.is_ascii_hexdigit()), "{token}");
    assert_ne!(token, other.handle.control_token());
    inject(&sim, fault).await;
    assert_eq!(sim.handle.faults().len(), 1);
}
