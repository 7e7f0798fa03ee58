//! `--state FILE`: orders and tokens survive a restart, and no card number reaches the file.

use super::*;
use moto_terminal::sim::{Fault, FaultKind, OrderState, SimError};

fn config_with(path: &std::path::Path) -> SimConfig {
    let mut config = SimConfig::demo();
    config.state_file = Some(path.to_owned());
    config
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_keeps_orders_tokens_and_links() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sim-state.json");
    let sale = reference("P-SALE");
    let auth = reference("P-AUTH");
    let lost = reference("P-LOST");
    let link = reference("P-LINK");
    let (token, old_fort_ids) = {
        let sim = start(config_with(&path)).await;
        let charged = sim.purchase(&sale, 9_900, "DEMO-VISA-0001").await;
        assert_eq!(code(&charged), "14000");
        sim.authorize(&auth, 5_000, "DEMO-MC-2346").await;
        sim.capture(&auth, 1_000).await;
        sim.refund(&sale, 900, Some("P-RF-1")).await;
        let created = sim
            .send(json!({
                "service_command": "CREATE_TOKEN", "merchant_reference": reference("P-TOK"),
                "card_number": "4557012345678902", "expiry_date": "3303", "return_url": "https://m.example/r"
            }))
            .await;
        sim.send(json!({"service_command": "UPDATE_TOKEN", "merchant_reference": reference("P-UPD"),
                         "token_name": "DEMO-AMEX-4564", "token_status": "INACTIVE"}))
            .await;
        let created_link = sim
            .send(json!({
                "service_command": "PAYMENT_LINK", "merchant_reference": link, "amount": "700", "currency": "AED",
                "customer_email": "c@example.com", "request_expiry_date": "2099-01-01T00:00:00+04:00",
                "notification_type": "NONE", "payment_link_id": "P-LINK-1"
            }))
            .await;
        assert_eq!(code(&created_link), "48000");
        // Committed but never answered: still on disk when the process stops.
        sim.handle.inject(Fault::new(FaultKind::DropAfterCommit));
        let mut lost_charge = sim.request(json!({
            "command": "PURCHASE", "merchant_reference": lost, "amount": "100", "currency": "AED",
            "customer_email": "c@example.com", "eci": "MOTO", "token_name": "DEMO-VISA-0001"
        }));
        sim.sign(&mut lost_charge);
        assert!(sim.http.post(sim.handle.payment_api_url()).json(&lost_charge).send().await.is_err());
        let fort_ids: Vec<String> = sim.handle.orders().into_iter().map(|o| o.fort_id).collect();
        sim.handle.shutdown().await;
        (field(&created, "token_name").to_owned(), fort_ids)
    };

    let saved = std::fs::read_to_string(&path).unwrap();
    for pan in
        ["4005550000000001", "5123456789012346", "345678901234564", "4557012345678902", "4916783391760242"]
    {
        assert!(!saved.contains(pan), "the state file holds a full card number");
    }
    // Nor anything to test guessed card numbers against: no hash, no salt.
    for word in ["fingerprint", "salt"] {
        assert!(!saved.contains(word), "the state file holds a card {word}");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "the state file is readable by its owner only");
    }
    assert!(!path.with_file_name("sim-state.json.tmp").exists());

    let sim = start(config_with(&path)).await;
    let sale_status = sim.check(&sale).await;
    assert_eq!(field(&sale_status, "transaction_code"), "06000");
    assert_eq!(
        (field(&sale_status, "captured_amount"), field(&sale_status, "refunded_amount")),
        ("9900", "900")
    );
    let lost_status = sim.check(&lost).await;
    assert_eq!(field(&lost_status, "transaction_code"), "14000", "the committed charge survived");
    assert_eq!(code(&sim.purchase(&sale, 100, "DEMO-VISA-0001").await), "00066");
    assert_eq!(code(&sim.capture(&auth, 4_000).await), "04000");
    assert_eq!(code(&sim.capture(&auth, 1).await), "05034");
    assert_eq!(code(&sim.refund(&sale, 100, Some("P-RF-1")).await), "07047");
    assert_eq!(code(&sim.purchase(&reference("P-NEW"), 100, &token).await), "14000");
    assert_eq!(
        code(&sim.purchase(&reference("P-NEW"), 100, "DEMO-AMEX-4564").await),
        "13014",
        "still INACTIVE"
    );
    let paid = sim.handle.mark_link_paid("P-LINK-1").unwrap();
    assert_eq!(paid.state, OrderState::Captured);
    let new_ids: Vec<String> = sim.handle.orders().into_iter().map(|o| o.fort_id).collect();
    let fresh = new_ids.iter().filter(|id| !old_fort_ids.contains(id)).count();
    assert_eq!(fresh, 1, "one new order, with a fort_id never used before");
    assert_eq!(
        sim.handle.money_movements().iter().map(|m| m.seq).collect::<Vec<_>>(),
        (1..=8).collect::<Vec<u64>>()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_corrupt_or_unwritable_state_file_stops_the_start() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.json");
    std::fs::write(&path, "not json").unwrap();
    let error =
        moto_terminal::sim::start(config_with(&path), "127.0.0.1:0".parse().unwrap()).await.unwrap_err();
    assert!(matches!(error, SimError::StateFile { .. }), "{error}");
    assert!(error.to_string().contains("move it away"), "{error}");

    let nowhere = dir.path().join("missing-dir").join("state.json");
    let error =
        moto_terminal::sim::start(config_with(&nowhere), "127.0.0.1:0".parse().unwrap()).await.unwrap_err();
    assert!(matches!(error, SimError::StateFile { .. }), "{error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_state_file_a_restart_forgets() {
    let sim = demo().await;
    let r = reference("P-MEM");
    sim.purchase(&r, 100, "DEMO-VISA-0001").await;
    sim.handle.shutdown().await;
    let sim = demo().await;
    assert_eq!(code(&sim.check(&r).await), "11036");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unique_tokens_survive_a_restart_without_fingerprints() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sim-state.json");
    let mut config = config_with(&path);
    config.unique_tokens = true;
    let card = json!({
        "service_command": "CREATE_TOKEN", "merchant_reference": "", "card_number": "5313581000123430",
        "expiry_date": "3105", "return_url": "https://merchant.example/return"
    });
    let with_reference = |r: String| {
        let mut fields = object(card.clone());
        fields.insert("merchant_reference".into(), json!(r));
        Value::Object(fields)
    };
    let first = {
        let sim = start(config.clone()).await;
        let created = sim.send(with_reference(reference("P-UT"))).await;
        assert_eq!(code(&created), "52062");
        sim.handle.shutdown().await;
        field(&created, "token_name").to_owned()
    };
    let sim = start(config).await;
    let again = sim.send(with_reference(reference("P-UT"))).await;
    assert_eq!(field(&again, "token_name"), first, "the same card maps to its token after a restart");
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_symlinked_state_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("elsewhere.txt");
    std::fs::write(&target, "not yours").unwrap();
    let path = dir.path().join("sim-state.json");
    std::os::unix::fs::symlink(&target, &path).unwrap();
    let error =
        moto_terminal::sim::start(config_with(&path), "127.0.0.1:0".parse().unwrap()).await.unwrap_err();
    assert!(error.to_string().contains("symbolic link"), "{error}");
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "not yours");
}
