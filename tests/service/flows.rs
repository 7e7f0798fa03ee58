//! Everyday flows through the service against the simulator.

use super::rig::{PROFILE, Rig};
use moto_terminal::aps::command::{ChargeKind, TokenStatus};
use moto_terminal::aps::response::Kind;
use moto_terminal::service::{
    AppSettings, CardDraft, Field, OrderState, PaymentDraft, Progress, ServiceError, TokenUpdateDraft,
    check_app_settings,
};
use moto_terminal::sim::Fault;
use zeroize::Zeroizing;

fn none() -> Progress {
    Progress::none()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn approved_sale_is_journaled_with_the_simulators_fort_id() {
    let rig = Rig::new().await;
    let outcome = rig.service.charge(rig.token_sale("DEMO-VISA-0001", "125.50"), &none()).await.unwrap();
    assert_eq!(outcome.verdict.kind, Kind::Approved, "{:?}", outcome.verdict);
    assert_eq!(outcome.verdict.code, "14000");
    let order = outcome.order.expect("journaled");
    assert_eq!(order.state, OrderState::Captured);
    assert_eq!(order.captured_minor, 12550);
    let truth = rig.sim.order(&outcome.merchant_reference).expect("committed");
    assert_eq!(order.fort_id.as_deref(), Some(truth.fort_id.as_str()));
    assert_eq!(order.masked_card.as_deref(), Some("400555******0001"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn declines_say_why_and_move_nothing() {
    let rig = Rig::new().await;
    let outcome =
        rig.service.charge(rig.token_sale("DEMO-VISA-DECLINED-0242", "20.00"), &none()).await.unwrap();
    assert_eq!(outcome.verdict.kind, Kind::Declined);
    assert!(!outcome.verdict.next_step.is_empty());
    assert_eq!(outcome.order.unwrap().state, OrderState::Declined);
    let status = rig.service.check_status(PROFILE, &outcome.merchant_reference, &none()).await.unwrap();
    assert_eq!(status.verdict.kind, Kind::Declined, "a found order can be a decline: {:?}", status.verdict);
    let funds = rig.service.charge(rig.token_sale("DEMO-MC-2346", "10.51"), &none()).await.unwrap();
    assert_eq!(funds.verdict.code, "13029", "amounts ending in 51 decline for insufficient funds");
    assert!(rig.sim.money_movements().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicate_guard_asks_before_a_second_charge() {
    let rig = Rig::new().await;
    let first = rig.service.charge(rig.token_sale("DEMO-VISA-0001", "75.00"), &none()).await.unwrap();
    assert_eq!(first.verdict.kind, Kind::Approved);
    let err = rig.service.charge(rig.token_sale("DEMO-VISA-0001", "75.00"), &none()).await.unwrap_err();
    match &err {
        ServiceError::PossibleDuplicate { existing } => {
            assert_eq!(existing.merchant_reference, first.merchant_reference)
        }
        other => panic!("expected the duplicate guard, got {other:?}"),
    }
    assert!(err.to_string().contains("possible duplicate"), "{err}");
    // A different amount is not a duplicate; an explicit override charges again.
    let other = rig.service.charge(rig.token_sale("DEMO-VISA-0001", "76.00"), &none()).await.unwrap();
    assert_eq!(other.verdict.kind, Kind::Approved);
    let mut again = rig.token_sale("DEMO-VISA-0001", "75.00");
    again.allow_duplicate = true;
    assert_eq!(rig.service.charge(again, &none()).await.unwrap().verdict.kind, Kind::Approved);
    assert_eq!(rig.sim.money_movements().len(), 3);
}

fn visa_card() -> CardDraft {
    CardDraft {
        number: Zeroizing::new("4005 5500 0000 0001".into()),
        expiry: "05/30".into(),
        cvv: Zeroizing::new("123".into()),
        holder_name: "Layla Haddad".into(),
        remember: true,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keyed_card_charge_creates_a_token_and_never_stores_the_number() {
    let rig = Rig::new().await;
    let mut draft = rig.token_sale("", "42.00");
    draft.payment = PaymentDraft::Card(visa_card());
    let outcome = rig.service.charge(draft, &none()).await.unwrap();
    assert_eq!(outcome.verdict.kind, Kind::Approved, "{:?}", outcome.verdict);
    let token = outcome.token_name.clone().expect("a trusted-channel charge returns a token");
    let book = rig.service.tokens(PROFILE, "0001").await.unwrap();
    assert!(book.iter().any(|t| t.token_name == token), "{book:?}");
    // The same card again within minutes: the fingerprint finds it.
    let mut again = rig.token_sale("", "42.00");
    again.payment = PaymentDraft::Card(visa_card());
    assert!(matches!(rig.service.charge(again, &none()).await, Err(ServiceError::PossibleDuplicate { .. })));
    let bytes = std::fs::read(rig.dir.path().join("journal.sqlite3")).unwrap();
    let text = String::from_utf8_lossy(&bytes);
    assert!(!text.contains("4005550000000001"), "the journal never holds a full card number");
    let wal = rig.dir.path().join("journal.sqlite3-wal");
    if let Ok(bytes) = std::fs::read(wal) {
        assert!(!String::from_utf8_lossy(&bytes).contains("4005550000000001"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn field_errors_name_the_field_and_record_nothing() {
    let rig = Rig::new().await;
    let mut bad = rig.token_sale("DEMO-VISA-0001", "12.345");
    let err = rig.service.charge(bad.clone(), &none()).await.unwrap_err();
    assert!(matches!(&err, ServiceError::Invalid { field, .. } if *field == Field::Amount), "{err:?}");
    bad.amount = "12.00".into();
    bad.customer_email = "no-at-sign".into();
    let err = rig.service.charge(bad, &none()).await.unwrap_err();
    assert!(matches!(&err, ServiceError::Invalid { field, .. } if *field == Field::CustomerEmail), "{err:?}");
    let mut card = rig.token_sale("", "12.00");
    card.payment =
        PaymentDraft::Card(CardDraft { number: Zeroizing::new("4005550000000002".into()), ..visa_card() });
    let err = rig.service.charge(card, &none()).await.unwrap_err();
    assert!(matches!(&err, ServiceError::Invalid { field, .. } if *field == Field::CardNumber), "{err:?}");
    assert!(!err.to_string().contains("4005550000000002"));
    assert!(rig.journal.search(&Default::default()).unwrap().is_empty(), "nothing journaled for a typo");
    assert!(rig.sim.requests().is_empty(), "nothing sent");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partial_captures_then_void_rules_then_refunds() {
    let rig = Rig::new().await;
    let mut draft = rig.token_sale("DEMO-VISA-0001", "100.00");
    draft.kind = ChargeKind::AuthorizeOnly;
    let auth = rig.service.charge(draft, &none()).await.unwrap();
    let r = auth.merchant_reference.clone();
    assert_eq!(auth.order.as_ref().unwrap().state, OrderState::Authorized);
    let c1 = rig.service.capture(PROFILE, &r, "30", &none()).await.unwrap();
    assert_eq!(c1.verdict.kind, Kind::Approved);
    assert!(c1.verdict.next_step.starts_with("AED 70.00 is still authorized"), "{}", c1.verdict.next_step);
    let c2 = rig.service.capture(PROFILE, &r, "50.00", &none()).await.unwrap();
    assert_eq!(c2.order.as_ref().unwrap().captured_minor, 8000);
    assert!(c2.verdict.next_step.starts_with("AED 20.00 is still authorized"), "{}", c2.verdict.next_step);
    let too_much = rig.service.capture(PROFILE, &r, "20.01", &none()).await.unwrap_err();
    assert!(too_much.to_string().contains("AED 20.00"), "says what is left: {too_much}");
    let void = rig.service.void(PROFILE, &r, None, &none()).await.unwrap_err();
    assert!(matches!(void, ServiceError::Invalid { .. }), "no void after a capture");
    rig.service.refund(PROFILE, &r, "10.00", None, &none()).await.unwrap();
    let rf = rig.service.refund(PROFILE, &r, "70.00", None, &none()).await.unwrap();
    assert_eq!(rf.order.as_ref().unwrap().state, OrderState::Refunded);
    assert!(rig.service.refund(PROFILE, &r, "0.01", None, &none()).await.is_err());
    let truth = rig.sim.order(&r).unwrap();
    assert_eq!((truth.captured_amount, truth.refunded_amount), (8000, 8000));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_whole_capture_leaves_nothing_to_do() {
    let rig = Rig::new().await;
    let mut draft = rig.token_sale("DEMO-VISA-0001", "25.00");
    draft.kind = ChargeKind::AuthorizeOnly;
    let r = rig.service.charge(draft, &none()).await.unwrap().merchant_reference;
    let capture = rig.service.capture(PROFILE, &r, "25.00", &none()).await.unwrap();
    assert_eq!(
        (capture.verdict.kind, capture.verdict.next_step.as_str()),
        (Kind::Approved, "Nothing more to do")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn void_releases_an_untouched_authorization() {
    let rig = Rig::new().await;
    let mut draft = rig.token_sale("DEMO-MADA-5689", "55.00");
    draft.kind = ChargeKind::AuthorizeOnly;
    let auth = rig.service.charge(draft, &none()).await.unwrap();
    let v = rig.service.void(PROFILE, &auth.merchant_reference, None, &none()).await.unwrap();
    assert_eq!(v.verdict.kind, Kind::Approved, "{:?}", v.verdict);
    assert_eq!(v.order.unwrap().state, OrderState::Voided);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_check_and_unknown_orders() {
    let rig = Rig::new().await;
    let sale = rig.service.charge(rig.token_sale("DEMO-VISA-0001", "9.00"), &none()).await.unwrap();
    let report = rig.service.check_status(PROFILE, &sale.merchant_reference, &none()).await.unwrap();
    assert_eq!(report.verdict.kind, Kind::Approved);
    assert!(report.verdict.explanation.contains("captured AED 9.00"), "{}", report.verdict.explanation);
    let missing = rig.service.check_status(PROFILE, "NO-SUCH-ORDER-1", &none()).await.unwrap();
    assert!(missing.verdict.headline.contains("no order"), "{}", missing.verdict.headline);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_charge_aborted_mid_flight_is_reconciled_after_restart() {
    let rig = Rig::new().await;
    rig.sim.inject(Fault::delay(800).for_command("PURCHASE"));
    let service = rig.service.clone();
    let draft = rig.token_sale("DEMO-VISA-0001", "61.00");
    let task = tokio::spawn(async move { service.charge(draft, &Progress::none()).await });
    // Wait until the request has reached the simulator, then "crash": drop the task.
    for _ in 0..100 {
        if rig.sim.requests().iter().any(|r| r.command.as_deref() == Some("PURCHASE")) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    task.abort();
    let pending = rig.journal.unresolved(Some(PROFILE)).unwrap();
    assert_eq!(pending.len(), 1, "the intent survived the crash");
    let reference = pending[0].order.merchant_reference.clone();
    let restarted = rig.restart();
    let outcomes = restarted.reconcile(Some(PROFILE), &none()).await.unwrap();
    assert_eq!(outcomes.len(), 1);
    assert_eq!(outcomes[0].verdict.kind, Kind::Approved, "{:?}", outcomes[0].verdict);
    assert_eq!(rig.journal.order(PROFILE, &reference).unwrap().unwrap().state, OrderState::Captured);
    assert_eq!(rig.movements(&reference).len(), 1, "charged exactly once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_inactive_token_cannot_be_charged() {
    let rig = Rig::new().await;
    let update = TokenUpdateDraft {
        token_name: "DEMO-MC-2346".into(),
        status: Some(TokenStatus::Inactive),
        ..Default::default()
    };
    let out = rig.service.update_token(PROFILE, update, &none()).await.unwrap();
    assert_eq!(out.verdict.kind, Kind::Approved, "{:?}", out.verdict);
    let charge = rig.service.charge(rig.token_sale("DEMO-MC-2346", "5.00"), &none()).await.unwrap();
    assert_eq!(charge.verdict.kind, Kind::Declined, "{:?}", charge.verdict);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paid_payment_link_shows_as_paid() {
    let rig = Rig::new().await;
    let draft = moto_terminal::service::LinkDraft {
        amount: "150.00".into(),
        currency: "AED".into(),
        customer_email: "buyer@example.com".into(),
        ..Default::default()
    };
    let out = rig.service.payment_link(PROFILE, draft, &none()).await.unwrap();
    assert_eq!(out.verdict.kind, Kind::Approved, "{:?}", out.verdict);
    assert!(out.payment_link.is_some());
    assert!(
        rig.service.unresolved(Some(PROFILE)).await.unwrap().is_empty(),
        "an open link is not an order in doubt"
    );
    let links = rig.service.refresh_links(PROFILE).await.unwrap();
    assert_eq!(links.len(), 1);
    let id = links[0].payment_link_id.clone().expect("APS gave an id");
    rig.sim.mark_link_paid(&id).unwrap();
    let links = rig.service.refresh_links(PROFILE).await.unwrap();
    assert_eq!(links[0].status, moto_terminal::service::LinkStatus::Paid);
    let order = rig.journal.order(PROFILE, &out.merchant_reference).unwrap().unwrap();
    assert_eq!(order.captured_minor, 15000);
    // The open link was never mistaken for an unknown charge.
    assert!(rig.service.reconcile(Some(PROFILE), &none()).await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_endpoint_means_not_sent() {
    let rig = Rig::new().await;
    // A second service pointed at a port where nothing listens.
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = dead.local_addr().unwrap().port();
    drop(dead);
    let store = keyring_core::mock::Store::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let vault = std::sync::Arc::new(moto_terminal::vault::Vault::open(dir.path(), store).unwrap());
    vault
        .add_ephemeral(
            super::rig::profile(&format!("http://127.0.0.1:{port}/FortAPI/paymentApi")),
            super::rig::demo_credentials(),
        )
        .unwrap();
    let journal =
        std::sync::Arc::new(moto_terminal::journal::Journal::open(&dir.path().join("j.sqlite3")).unwrap());
    let gateway = moto_terminal::gateway::HttpGateway::new(&Default::default()).unwrap();
    let service =
        moto_terminal::service::Service::new(vault, journal.clone(), gateway, super::rig::fast_settings());
    let out = service.charge(rig.token_sale("DEMO-VISA-0001", "1.00"), &none()).await.unwrap();
    assert_eq!(out.verdict.kind, Kind::Rejected, "{:?}", out.verdict);
    assert!(out.verdict.headline.contains("Not sent"));
    assert_eq!(out.order.unwrap().state, OrderState::NotSent);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn start_up_reconciliation_runs_before_the_first_new_charge() {
    let rig = Rig::new().await;
    rig.sim.inject(Fault::delay(600).for_command("PURCHASE"));
    let service = rig.service.clone();
    let draft = rig.token_sale("DEMO-VISA-0001", "44.00");
    let task = tokio::spawn(async move { service.charge(draft, &Progress::none()).await });
    while !rig.sim.requests().iter().any(|r| r.command.as_deref() == Some("PURCHASE")) {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    task.abort();
    let reference = rig.journal.unresolved(Some(PROFILE)).unwrap()[0].order.merchant_reference.clone();

    // A slow status answer: a charge that did not wait would finish first.
    rig.sim.inject(Fault::delay(300).for_command("CHECK_STATUS"));
    let restarted = rig.restart();
    restarted.start_reconciler(
        &tokio::runtime::Handle::current(),
        std::time::Duration::from_secs(3600),
        Progress::none(),
    );
    let next = restarted.charge(rig.token_sale("DEMO-MC-2346", "45.00"), &none()).await.unwrap();
    assert_eq!(next.verdict.kind, Kind::Approved);
    let earlier = rig.journal.order(PROFILE, &reference).unwrap().unwrap();
    assert_eq!(
        earlier.state,
        OrderState::Captured,
        "the order in doubt was settled before the new charge went out"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_keychain_secrets_are_refused_and_nothing_is_half_saved() {
    use moto_terminal::aps::secret::Secret;
    use moto_terminal::service::{SecretKind, Service, ServiceSettings};
    let rig = Rig::new().await;
    let store = keyring_core::mock::Store::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let vault = std::sync::Arc::new(moto_terminal::vault::Vault::open(dir.path(), store).unwrap());
    let journal = std::sync::Arc::new(moto_terminal::journal::Journal::open_in_memory().unwrap());
    let gateway = moto_terminal::gateway::HttpGateway::new(&Default::default()).unwrap();
    let settings = ServiceSettings { secrets_persist: false, ..super::rig::fast_settings() };
    let service = Service::new(vault, journal, gateway, settings);
    let mut profile = super::rig::profile(&rig.sim.payment_api_url());
    profile.name = "No keychain".into();
    // A stored profile: the rig's own is the built-in kind (demo), which is never stored.
    profile.environment = moto_terminal::vault::Environment::Sandbox;
    let err = service
        .save_profile(profile.clone(), vec![(SecretKind::AccessCode, Secret::from("AbC123"))])
        .await
        .unwrap_err();
    assert!(err.to_string().contains("keychain"), "{err}");
    assert!(
        service.profiles().await.unwrap().iter().all(|p| p.profile.name != "No keychain"),
        "not half-saved"
    );
    // A bad secret is refused before the profile is written, keychain or not.
    let err = service
        .save_profile(profile.clone(), vec![(SecretKind::AccessCode, Secret::from("bad code!"))])
        .await
        .unwrap_err();
    assert!(!err.to_string().contains("bad code!"), "never echoes a secret: {err}");
    assert!(service.profiles().await.unwrap().iter().all(|p| p.profile.name != "No keychain"));
    // The profile alone (secrets from APS_* variables) can still be saved.
    service.save_profile(profile, Vec::new()).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_charge_in_flight_is_left_to_its_sender_by_reconciliation() {
    let rig = Rig::new().await;
    rig.sim.inject(Fault::delay(300).for_command("PURCHASE"));
    let service = rig.service.clone();
    let draft = rig.token_sale("DEMO-VISA-0001", "71.00");
    let charge = tokio::spawn(async move { service.charge(draft, &Progress::none()).await });
    while !rig.sim.requests().iter().any(|r| r.command.as_deref() == Some("PURCHASE")) {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    // The background reconciler wakes while the answer is still on its way.
    let settled = rig.service.reconcile(Some(PROFILE), &none()).await.unwrap();
    assert!(settled.is_empty(), "an order in flight is not reconciled behind its sender's back");
    let outcome = charge.await.unwrap().expect("the charge records its own answer");
    assert_eq!(outcome.verdict.kind, Kind::Approved, "{:?}", outcome.verdict);
    assert_eq!(outcome.order.unwrap().state, OrderState::Captured);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_quick_pass_asks_once_and_leaves_a_stuck_order_flagged() {
    use moto_terminal::sim::FaultKind;
    let rig = Rig::new().await;
    rig.sim.inject(Fault::delay(300).for_command("PURCHASE"));
    let service = rig.service.clone();
    let draft = rig.token_sale("DEMO-VISA-0001", "81.00");
    let task = tokio::spawn(async move { service.charge(draft, &Progress::none()).await });
    while !rig.sim.requests().iter().any(|r| r.command.as_deref() == Some("PURCHASE")) {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    task.abort();
    // APS cannot answer status checks right now.
    rig.sim.inject(Fault::new(FaultKind::Http500Uncommitted).for_command("CHECK_STATUS").times(50));
    let started = std::time::Instant::now();
    let outcomes = rig.restart().reconcile_quick(super::rig::PROFILE, &none()).await.unwrap();
    assert!(started.elapsed() < std::time::Duration::from_millis(1000), "one check, no back-off");
    assert_eq!(outcomes.len(), 1);
    assert_eq!(outcomes[0].verdict.kind, Kind::Uncertain);
    let order = rig.journal.order(PROFILE, &outcomes[0].merchant_reference).unwrap().unwrap();
    assert!(order.needs_attention.is_some(), "flagged for a person");
    let checks = rig.sim.requests().iter().filter(|r| r.command.as_deref() == Some("CHECK_STATUS")).count();
    assert_eq!(checks, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_is_found_by_its_reference_or_its_fort_id() {
    let rig = Rig::new().await;
    let outcome =
        rig.service.charge(rig.token_sale("DEMO-VISA-0001", "9.00"), &Progress::none()).await.unwrap();
    let reference = outcome.merchant_reference.clone();
    let fort_id = outcome.order.and_then(|o| o.fort_id).expect("APS gave a Fort ID");
    for key in [reference.as_str(), fort_id.as_str(), &format!("  {fort_id} ")] {
        let (order, timeline) = rig.service.find_order(PROFILE, key).await.unwrap().expect(key);
        assert_eq!(order.merchant_reference, reference, "{key}");
        assert!(!timeline.is_empty());
    }
    assert!(rig.service.find_order(PROFILE, "MT-NOPE").await.unwrap().is_none());
    assert!(rig.service.find_order("another profile", &reference).await.unwrap().is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_card_wipe_out_of_range_is_refused_by_the_service_naming_it() {
    let rig = Rig::new().await;
    let before = rig.service.app_settings();
    for secs in [10, 4000] {
        let settings = AppSettings { card_idle_wipe_secs: secs, ..before.clone() };
        let err = rig.service.set_app_settings(settings.clone()).await.unwrap_err();
        assert!(matches!(&err, ServiceError::Invalid { field: Field::CardWipe, .. }), "{secs}: {err:?}");
        assert_eq!(err.to_string(), "card wipe must be 30 to 3600 seconds without activity");
        let checked = check_app_settings(&settings).unwrap_err();
        assert!(matches!(checked, ServiceError::Invalid { field: Field::CardWipe, .. }), "the same rule");
    }
    assert_eq!(rig.service.app_settings(), before, "nothing was saved");
    rig.service.set_app_settings(AppSettings { card_idle_wipe_secs: 45, ..before }).await.unwrap();
    assert_eq!(rig.service.app_settings().card_idle_wipe_secs, 45);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_merchant_reference_used_before_is_refused_naming_the_field() {
    let rig = Rig::new().await;
    let first = rig.service.charge(rig.token_sale("DEMO-VISA-0001", "5.00"), &none()).await.unwrap();
    let mut again = rig.token_sale("DEMO-VISA-0001", "6.00");
    again.merchant_reference = first.merchant_reference.clone();
    let err = rig.service.charge(again, &none()).await.unwrap_err();
    assert!(matches!(&err, ServiceError::Invalid { field: Field::MerchantReference, .. }), "{err:?}");
    assert!(err.to_string().contains("is already used"), "{err}");

    // A payment link with that reference too: the field, not a journal failure.
    let link = moto_terminal::service::LinkDraft {
        merchant_reference: first.merchant_reference.clone(),
        amount: "7.00".into(),
        currency: "AED".into(),
        customer_email: "buyer@example.com".into(),
        ..Default::default()
    };
    let err = rig.service.payment_link(PROFILE, link, &none()).await.unwrap_err();
    assert!(matches!(&err, ServiceError::Invalid { field: Field::MerchantReference, .. }), "{err:?}");
    assert_eq!(rig.sim.money_movements().len(), 1, "only the first charge moved money");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recurring_charge_without_an_agreement_id_is_refused_before_anything_is_sent() {
    let rig = Rig::new().await;
    let agreement = moto_terminal::service::AgreementDraft {
        token_name: "DEMO-MC-2346".into(),
        agreement_id: String::new(),
        customer_email: "member@example.com".into(),
        customer_name: String::new(),
        amount: "15.00".into(),
        currency: "AED".into(),
        cycle: "30".into(),
        first_due: String::new(),
        ..Default::default()
    };
    rig.service.add_agreement(PROFILE, agreement).await.unwrap();
    let results = rig.service.run_due_recurring(PROFILE, &none()).await.unwrap();
    let Err(ServiceError::Invalid { field, message }) = &results[0] else {
        panic!("refused locally, not sent to APS: {results:?}");
    };
    assert_eq!(*field, Field::AgreementId);
    assert!(message.contains("agreement id"), "{message}");
    assert!(rig.sim.requests().is_empty(), "nothing went to APS");
    assert_eq!(rig.journal.count(&Default::default()).unwrap(), 0, "nothing was recorded");
}
