//! What the journal keeps of APS's answers beyond the verdict: the authorization code a
//! receipt needs and the card network's codes, from a charge's own answer or from the
//! CHECK_STATUS that settled it, shown in `journal --format json` and History.

use super::cli::{CliRig, text};
use super::rig::{PROFILE, Rig};
use moto_terminal::aps::response::Kind;
use moto_terminal::service::Progress;
use moto_terminal::sim::{Fault, FaultKind};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_journal_keeps_the_authorization_code_of_an_approved_charge() {
    let rig = CliRig::new("authcode").await;
    let p = rig.profile.clone();
    let sale = [
        "charge",
        "--profile",
        &p,
        "--token",
        "DEMO-VISA-0001",
        "--currency",
        "AED",
        "--email",
        "a@example.com",
    ];
    let approved =
        rig.run(&[&sale[..], &["--amount", "12", "--reference", "CLI-AUTH-CODE-1"]].concat()).await;
    assert_eq!(approved.status.code(), Some(0), "{}", text(&approved.stderr));
    let row = rig.journal_json("CLI-AUTH-CODE-1").await;
    let code = row["authorization_code"].as_str().unwrap_or_else(|| panic!("{row}"));
    assert!(code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()), "{code}");
    let declined =
        rig.run(&[&sale[..], &["--amount", "10.51", "--reference", "CLI-AUTH-CODE-2"]].concat()).await;
    assert_eq!(declined.status.code(), Some(1));
    assert!(rig.journal_json("CLI-AUTH-CODE-2").await["authorization_code"].is_null(), "a decline has none");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_charge_settled_by_check_status_keeps_the_codes_status_reported() {
    let rig = Rig::new().await;
    rig.sim.inject(Fault::new(FaultKind::DropAfterCommit).for_command("PURCHASE"));
    let outcome =
        rig.service.charge(rig.token_sale("DEMO-VISA-0001", "33.00"), &Progress::none()).await.unwrap();
    assert!(outcome.reconciled && outcome.verdict.kind == Kind::Approved, "{:?}", outcome.verdict);
    let order = rig.journal.order(PROFILE, &outcome.merchant_reference).unwrap().unwrap();
    let code = order.extra.get("authorization_code").and_then(|v| v.as_str()).unwrap_or_default();
    assert_eq!(code.len(), 6, "{:?}", order.extra);
    assert_eq!(order.extra.get("processor_response_code").and_then(|v| v.as_str()), Some("APPROVED"));
    assert_eq!(order.extra.get("acquirer_response_code").and_then(|v| v.as_str()), Some("00"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_operation_in_the_timeline_shows_the_card_networks_codes() {
    let rig = Rig::new().await;
    let note = |reference: &str| {
        let timeline = rig.journal.timeline(PROFILE, reference).unwrap();
        timeline[0].note.clone().unwrap_or_default()
    };
    let declined =
        rig.service.charge(rig.token_sale("DEMO-VISA-0001", "10.51"), &Progress::none()).await.unwrap();
    assert_eq!(declined.verdict.kind, Kind::Declined);
    assert_eq!(
        note(&declined.merchant_reference),
        "card network: processor INSUFFICIENT_FUNDS, acquirer 51 (insufficient funds)"
    );
    let order = rig.journal.order(PROFILE, &declined.merchant_reference).unwrap().unwrap();
    assert_eq!(order.extra.get("acquirer_response_code").and_then(|v| v.as_str()), Some("51"));

    let approved =
        rig.service.charge(rig.token_sale("DEMO-VISA-0001", "10.00"), &Progress::none()).await.unwrap();
    assert_eq!(
        note(&approved.merchant_reference),
        "card network: processor APPROVED, acquirer 00 (approved)"
    );

    rig.sim.inject(Fault::new(FaultKind::DropAfterCommit).for_command("PURCHASE"));
    let settled =
        rig.service.charge(rig.token_sale("DEMO-MC-2346", "14.00"), &Progress::none()).await.unwrap();
    assert!(settled.reconciled, "{:?}", settled.verdict);
    let line = note(&settled.merchant_reference);
    assert!(line.contains("confirmed by CHECK_STATUS (14000); card network: processor APPROVED"), "{line}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn journal_json_carries_a_declines_card_network_codes() {
    let rig = CliRig::new("netcodes").await;
    let p = rig.profile.clone();
    let args = [
        "charge",
        "--profile",
        &p,
        "--token",
        "DEMO-VISA-0001",
        "--currency",
        "AED",
        "--email",
        "a@example.com",
    ];
    let out = rig.run(&[&args[..], &["--amount", "10.51", "--reference", "CLI-NET-1"]].concat()).await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let row = rig.journal_json("CLI-NET-1").await;
    assert_eq!(
        (row["processor_response_code"].as_str(), row["acquirer_response_code"].as_str()),
        (Some("INSUFFICIENT_FUNDS"), Some("51"))
    );
}
