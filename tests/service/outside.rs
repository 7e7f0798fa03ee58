//! Orders taken outside this terminal (the merchant's website, here a signed request straight to
//! the simulator): `status` brings one into the journal from CHECK_STATUS, marked as such, and
//! capture, refund and void then work on it. Bringing it in never charges anything.

use super::cli::{CliRig, text};
use super::rig::{PROFILE, Rig};
use moto_terminal::aps::Params;
use moto_terminal::aps::money::Currency;
use moto_terminal::aps::response::Kind;
use moto_terminal::aps::sign::{self, Algorithm};
use moto_terminal::service::{Channel, OrderState, Progress};
use moto_terminal::sim::{self, SimHandle};

/// A charge the merchant's website sent to APS itself: this terminal's journal never saw it.
pub async fn website_charge(
    sim: &SimHandle,
    command: &str,
    reference: &str,
    amount_minor: u64,
    token: &str,
) -> Params {
    let mut p = Params::new();
    for (k, v) in [
        ("command", command),
        ("access_code", sim::DEMO_ACCESS_CODE),
        ("merchant_identifier", sim::DEMO_MERCHANT_IDENTIFIER),
        ("merchant_reference", reference),
        ("amount", &amount_minor.to_string()),
        ("currency", "AED"),
        ("language", "en"),
        ("customer_email", "web@example.com"),
        ("token_name", token),
        ("eci", "MOTO"),
    ] {
        p.insert(k.into(), v.into());
    }
    let signature = sign::sign(&p, sim::DEMO_REQUEST_PHRASE, Algorithm::Sha256);
    p.insert("signature".into(), signature.into());
    let answer = reqwest::Client::new().post(sim.payment_api_url()).json(&p).send().await.unwrap();
    answer.json::<Params>().await.unwrap()
}

fn aed() -> Currency {
    Currency::parse("AED").unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sale_taken_on_the_website_is_brought_in_by_status_then_refunded_here() {
    let rig = Rig::new().await;
    let web = website_charge(&rig.sim, "PURCHASE", "WEB-1001", 10_000, "DEMO-VISA-0001").await;
    assert_eq!(web["response_code"], "14000", "{web:?}");

    // Without its currency it is described, not brought in.
    let report = rig.service.check_status(PROFILE, "WEB-1001", &Progress::none()).await.unwrap();
    assert!(report.taken_outside && report.order.is_none(), "{report:?}");
    assert!(report.verdict.headline.contains("taken outside this terminal"), "{}", report.verdict.headline);
    assert!(report.verdict.next_step.contains("--currency"), "{}", report.verdict.next_step);
    assert!(rig.journal.order(PROFILE, "WEB-1001").unwrap().is_none());

    let report =
        rig.service.check_status_in(PROFILE, "WEB-1001", Some(aed()), &Progress::none()).await.unwrap();
    assert!(report.taken_outside);
    let order = report.order.expect("brought in");
    assert_eq!(order.channel, Channel::Outside);
    assert_eq!(order.payment_method, "taken outside this terminal");
    assert_eq!(
        (order.state, order.amount_minor, order.captured_minor),
        (OrderState::Captured, 10_000, 10_000)
    );
    assert_eq!(order.fort_id.as_ref(), web["fort_id"].as_str().map(str::to_owned).as_ref());
    let timeline = rig.journal.timeline(PROFILE, "WEB-1001").unwrap();
    assert_eq!(timeline.len(), 1, "one status check, no charge: {timeline:?}");
    assert!(timeline[0].note.as_deref().unwrap_or_default().contains("taken outside this terminal"));
    assert_eq!(rig.movements("WEB-1001").len(), 1, "bringing it in charged nothing");

    let refund = rig.service.refund(PROFILE, "WEB-1001", "40.00", None, &Progress::none()).await.unwrap();
    assert_eq!(refund.verdict.kind, Kind::Approved, "{:?}", refund.verdict);
    let order = rig.journal.order(PROFILE, "WEB-1001").unwrap().unwrap();
    assert_eq!((order.state, order.refunded_minor), (OrderState::PartiallyRefunded, 4_000));
    assert_eq!(rig.movements("WEB-1001").len(), 2);

    // Asking again changes nothing: it is an order of this journal now.
    let again =
        rig.service.check_status_in(PROFILE, "WEB-1001", Some(aed()), &Progress::none()).await.unwrap();
    assert_eq!(again.order.unwrap().refunded_minor, 4_000);
    assert_eq!(rig.journal.timeline(PROFILE, "WEB-1001").unwrap().len(), 2, "the refund joined it");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_authorization_taken_elsewhere_can_be_captured_or_voided_here() {
    let rig = Rig::new().await;
    website_charge(&rig.sim, "AUTHORIZATION", "WEB-AUTH-1", 5_000, "DEMO-VISA-0001").await;
    website_charge(&rig.sim, "AUTHORIZATION", "WEB-AUTH-2", 7_000, "DEMO-MC-2346").await;
    for reference in ["WEB-AUTH-1", "WEB-AUTH-2"] {
        let report =
            rig.service.check_status_in(PROFILE, reference, Some(aed()), &Progress::none()).await.unwrap();
        let order = report.order.unwrap();
        assert_eq!((order.state, order.authorized_minor), (OrderState::Authorized, order.amount_minor));
    }
    let capture = rig.service.capture(PROFILE, "WEB-AUTH-1", "30.00", &Progress::none()).await.unwrap();
    assert_eq!(capture.verdict.kind, Kind::Approved, "{:?}", capture.verdict);
    assert_eq!(rig.journal.order(PROFILE, "WEB-AUTH-1").unwrap().unwrap().captured_minor, 3_000);
    let void = rig.service.void(PROFILE, "WEB-AUTH-2", None, &Progress::none()).await.unwrap();
    assert_eq!(void.verdict.kind, Kind::Approved, "{:?}", void.verdict);
    assert_eq!(rig.journal.order(PROFILE, "WEB-AUTH-2").unwrap().unwrap().state, OrderState::Voided);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_with_no_money_on_it_is_not_brought_in() {
    let rig = Rig::new().await;
    let web = website_charge(&rig.sim, "PURCHASE", "WEB-DECL-1", 2_000, "DEMO-VISA-DECLINED-0242").await;
    assert_eq!(web["status"], "13", "{web:?}");
    let report =
        rig.service.check_status_in(PROFILE, "WEB-DECL-1", Some(aed()), &Progress::none()).await.unwrap();
    assert!(!report.taken_outside && report.order.is_none(), "{report:?}");
    assert_eq!(report.verdict.kind, Kind::Declined);
    assert!(rig.journal.order(PROFILE, "WEB-DECL-1").unwrap().is_none(), "nothing to capture or refund");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_command_line_brings_a_website_order_in_and_refunds_it() {
    let rig = CliRig::new("outside").await;
    let p = rig.profile.clone();
    website_charge(&rig.sim, "PURCHASE", "WEB-CLI-1", 2_500, "DEMO-VISA-0001").await;
    let ask = rig.run(&["status", "--profile", &p, "--reference", "WEB-CLI-1"]).await;
    assert_eq!(ask.status.code(), Some(2), "{}", text(&ask.stdout));
    assert!(text(&ask.stdout).contains("taken outside this terminal"), "{}", text(&ask.stdout));
    assert!(text(&ask.stderr).contains("add --currency"), "{}", text(&ask.stderr));

    let bad = rig.run(&["status", "--profile", &p, "--reference", "WEB-CLI-1", "--currency", "XYZ"]).await;
    assert_eq!(bad.status.code(), Some(2));
    assert!(text(&bad.stderr).contains("--currency"), "{}", text(&bad.stderr));

    let bring = rig.run(&["status", "--profile", &p, "--reference", "WEB-CLI-1", "--currency", "AED"]).await;
    assert_eq!(bring.status.code(), Some(0), "{}{}", text(&bring.stdout), text(&bring.stderr));
    assert!(text(&bring.stdout).contains("journal: state captured | AED 25.00"), "{}", text(&bring.stdout));
    let row = rig.journal_json("WEB-CLI-1").await;
    assert_eq!(
        (row["channel"].as_str(), row["payment_method"].as_str()),
        (Some("outside"), Some("taken outside this terminal"))
    );

    let fort_id = row["fort_id"].as_str().unwrap().to_owned();
    let by_fort = rig.run(&["status", "--profile", &p, "--fort-id", &fort_id]).await;
    assert_eq!(by_fort.status.code(), Some(0), "{}", text(&by_fort.stderr));
    assert!(text(&by_fort.stdout).starts_with("WEB-CLI-1:"), "{}", text(&by_fort.stdout));

    let refund = rig.run(&["refund", "--profile", &p, "--reference", "WEB-CLI-1", "--amount", "25"]).await;
    assert_eq!(refund.status.code(), Some(0), "{}{}", text(&refund.stdout), text(&refund.stderr));
    assert_eq!(rig.journal_json("WEB-CLI-1").await["state"], "refunded");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_taken_elsewhere_is_found_by_its_fort_id_alone() {
    let rig = Rig::new().await;
    let web = website_charge(&rig.sim, "AUTHORIZATION", "WEB-FORT-1", 4_200, "DEMO-MC-2346").await;
    let fort_id = web["fort_id"].as_str().unwrap().to_owned();
    let report =
        rig.service.check_status_by_fort_id(PROFILE, &fort_id, Some(aed()), &Progress::none()).await.unwrap();
    let order = report.order.expect("brought in under the reference APS names");
    assert_eq!((order.merchant_reference.as_str(), order.state), ("WEB-FORT-1", OrderState::Authorized));
    assert_eq!(order.fort_id.as_deref(), Some(fort_id.as_str()));
    let asked =
        rig.sim.requests().into_iter().rev().find(|r| r.command.as_deref() == Some("CHECK_STATUS")).unwrap();
    assert_eq!(asked.merchant_reference, None, "asked by Fort ID alone");

    // Known now: asked again by Fort ID, it is the journal's order.
    let again =
        rig.service.check_status_by_fort_id(PROFILE, &fort_id, None, &Progress::none()).await.unwrap();
    assert_eq!(again.order.unwrap().merchant_reference, "WEB-FORT-1");
    let none =
        rig.service.check_status_by_fort_id(PROFILE, "171796999999999999", None, &Progress::none()).await;
    assert_eq!(none.unwrap().verdict.headline, "APS has no order with this Fort ID");
    let bad = rig.service.check_status_by_fort_id(PROFILE, "17-A", None, &Progress::none()).await;
    assert!(matches!(
        bad,
        Err(moto_terminal::service::ServiceError::Invalid {
            field: moto_terminal::service::Field::FortId,
            ..
        })
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_command_line_brings_an_order_in_by_fort_id() {
    let rig = CliRig::new("outside-fort").await;
    let p = rig.profile.clone();
    let web = website_charge(&rig.sim, "PURCHASE", "WEB-CLI-F", 1_500, "DEMO-VISA-0001").await;
    let fort_id = web["fort_id"].as_str().unwrap().to_owned();
    let out = rig.run(&["status", "--profile", &p, "--fort-id", &fort_id, "--currency", "AED"]).await;
    assert_eq!(out.status.code(), Some(0), "{}{}", text(&out.stdout), text(&out.stderr));
    assert!(text(&out.stdout).starts_with("WEB-CLI-F: "), "{}", text(&out.stdout));
    assert_eq!(rig.journal_json("WEB-CLI-F").await["channel"], "outside");
}
