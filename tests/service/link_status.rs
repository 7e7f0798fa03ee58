//! Status in words. A payment link seen from Status, `status` and the Payment link screen: open
//! and not paid yet (not an order in doubt), paid (the order takes APS's money and Fort ID), a
//! declined attempt (the link stays open), expired, and every answer recorded in the journal.
//! And a declined card: the card network's reason, which CHECK_STATUS now asks for.

use super::cli::{CliRig, text};
use super::rig::{PROFILE, Rig};
use moto_terminal::aps::response::Kind;
use moto_terminal::service::{LinkDraft, LinkStatus, OrderState, Progress};

pub(super) async fn open_link(rig: &Rig, amount: &str) -> (String, String) {
    let draft = LinkDraft {
        amount: amount.into(),
        currency: "AED".into(),
        customer_email: "buyer@example.com".into(),
        ..Default::default()
    };
    let out = rig.service.payment_link(PROFILE, draft, &Progress::none()).await.unwrap();
    assert_eq!(out.verdict.kind, Kind::Approved, "{:?}", out.verdict);
    let reference = out.merchant_reference;
    let p = PROFILE.to_owned();
    let link =
        rig.journal.links(Some(&p), None).unwrap().into_iter().find(|l| l.merchant_reference == reference);
    let id = link.and_then(|l| l.payment_link_id).expect("APS gave the link an id");
    (reference, id)
}

fn link_status(rig: &Rig, reference: &str) -> LinkStatus {
    let links = rig.journal.links(Some(PROFILE), None).unwrap();
    links.into_iter().find(|l| l.merchant_reference == reference).map(|l| l.status).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unpaid_link_is_open_not_paid_yet_then_paid_with_apss_money() {
    let rig = Rig::new().await;
    let (reference, id) = open_link(&rig, "150.00").await;
    let report = rig.service.check_status(PROFILE, &reference, &Progress::none()).await.unwrap();
    assert_eq!(report.verdict.kind, Kind::Approved, "not 'APS has not finished': {:?}", report.verdict);
    assert_eq!(report.verdict.headline, "Payment link open, not paid yet");
    assert_eq!(report.verdict.code, "48000");
    let order = report.order.unwrap();
    assert_eq!((order.state, order.captured_minor), (OrderState::Pending, 0));
    assert_eq!(link_status(&rig, &reference), LinkStatus::Open);

    let paid = rig.sim.mark_link_paid(&id).unwrap();
    let report = rig.service.check_status(PROFILE, &reference, &Progress::none()).await.unwrap();
    assert_eq!(
        (report.verdict.kind, report.verdict.headline.as_str()),
        (Kind::Approved, "Payment link paid")
    );
    assert!(report.verdict.explanation.contains("captured AED 150.00"), "{}", report.verdict.explanation);
    let order = report.order.unwrap();
    assert_eq!((order.state, order.captured_minor), (OrderState::Captured, 15_000));
    assert_eq!(order.fort_id.as_deref(), Some(paid.fort_id.as_str()));
    assert_eq!(order.last_response_code.as_deref(), Some("14000"));
    assert_eq!(link_status(&rig, &reference), LinkStatus::Paid, "seen from Status, the link is paid too");
    assert!(rig.service.reconcile(Some(PROFILE), &Progress::none()).await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_declined_attempt_is_recorded_and_the_link_stays_open_to_pay() {
    let rig = Rig::new().await;
    let (reference, id) = open_link(&rig, "80.00").await;
    rig.sim.decline_link_payment(&id).unwrap();
    let report = rig.service.check_status(PROFILE, &reference, &Progress::none()).await.unwrap();
    assert_eq!(report.verdict.kind, Kind::Declined);
    assert_eq!(report.verdict.headline, "Payment attempt declined; the link is still open");
    assert!(report.verdict.next_step.contains("another card"), "{}", report.verdict.next_step);
    let order = report.order.unwrap();
    assert_eq!((order.state, order.last_response_code.as_deref()), (OrderState::Pending, Some("13666")));
    assert_eq!(link_status(&rig, &reference), LinkStatus::Open);

    // The Payment link screen's refresh reads the same answers: still open, then paid.
    let links = rig.service.refresh_links(PROFILE).await.unwrap();
    assert_eq!(links.iter().find(|l| l.merchant_reference == reference).unwrap().status, LinkStatus::Open);
    rig.sim.mark_link_paid(&id).unwrap();
    let links = rig.service.refresh_links(PROFILE).await.unwrap();
    assert_eq!(links.iter().find(|l| l.merchant_reference == reference).unwrap().status, LinkStatus::Paid);
    let order = rig.journal.order(PROFILE, &reference).unwrap().unwrap();
    assert_eq!((order.state, order.captured_minor), (OrderState::Captured, 8_000));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_on_the_command_line_exits_0_for_an_open_link() {
    let rig = CliRig::new("links").await;
    let p = rig.profile.clone();
    let create = rig
        .run(&[
            "link",
            "create",
            "--profile",
            &p,
            "--amount",
            "75",
            "--currency",
            "AED",
            "--email",
            "b@example.com",
            "--reference",
            "CLI-LINK-1",
        ])
        .await;
    assert_eq!(create.status.code(), Some(0), "{}", text(&create.stderr));
    let status = rig.run(&["status", "--profile", &p, "--reference", "CLI-LINK-1"]).await;
    assert_eq!(status.status.code(), Some(0), "an open link is not unknown: {}", text(&status.stderr));
    assert!(text(&status.stdout).contains("Payment link open, not paid yet"), "{}", text(&status.stdout));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_link_aps_says_expired_115_is_closed_at_once_and_told_in_words() {
    let rig = Rig::new().await;
    let (reference, id) = open_link(&rig, "40.00").await;
    rig.sim.expire_link(&id).unwrap();
    let report = rig.service.check_status(PROFILE, &reference, &Progress::none()).await.unwrap();
    assert_eq!(report.verdict.kind, Kind::Declined);
    assert_eq!(report.verdict.code, "48115");
    assert_eq!(report.verdict.headline, "Payment link expired, not paid");
    assert!(
        report.verdict.explanation.contains("Expired invoice payment link"),
        "{}",
        report.verdict.explanation
    );
    assert!(report.verdict.next_step.contains("send a new payment link"));
    let order = report.order.unwrap();
    assert_eq!((order.state, order.captured_minor), (OrderState::NotSent, 0));
    assert_eq!(link_status(&rig, &reference), LinkStatus::Expired);
    assert!(rig.sim.mark_link_paid(&id).is_err(), "an expired link cannot be paid");
    assert!(rig.service.reconcile(Some(PROFILE), &Progress::none()).await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_says_why_the_issuer_declined_a_card() {
    let rig = CliRig::new("issuer").await;
    let p = rig.profile.clone();
    let charge = rig
        .run(&[
            "charge",
            "--profile",
            &p,
            "--token",
            "DEMO-VISA-0001",
            "--amount",
            "10.51",
            "--currency",
            "AED",
            "--email",
            "a@example.com",
            "--reference",
            "CLI-NSF-1",
        ])
        .await;
    assert_eq!(charge.status.code(), Some(1), "declined: {}", text(&charge.stderr));
    let status = rig.run(&["status", "--profile", &p, "--reference", "CLI-NSF-1"]).await;
    let out = text(&status.stdout);
    assert!(
        out.contains("card network: processor INSUFFICIENT_FUNDS, acquirer 51 (insufficient funds)"),
        "{out}"
    );
    let asked =
        rig.sim.requests().into_iter().filter(|r| r.command.as_deref() == Some("CHECK_STATUS")).count();
    assert_eq!(asked, 1);
}

/// A second desk (its own journal) sends a link for an order the first desk already sent one for.
async fn second_link(rig: &Rig, reference: &str) -> moto_terminal::service::Outcome {
    let (other, _journal, _dir) = rig.other_installation();
    let draft = LinkDraft {
        amount: "40.00".into(),
        currency: "AED".into(),
        customer_email: "buyer@example.com".into(),
        merchant_reference: reference.into(),
        ..Default::default()
    };
    other.payment_link(PROFILE, draft, &Progress::none()).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_link_for_one_order_is_refused_150_125_117_and_told_in_words() {
    let rig = Rig::new().await;
    let (reference, id) = open_link(&rig, "40.00").await;
    let open = second_link(&rig, &reference).await;
    assert_eq!(
        (open.verdict.kind, open.verdict.code.as_str()),
        (Kind::Declined, "49150"),
        "{:?}",
        open.verdict
    );
    assert_eq!(open.verdict.headline, "Declined: payment link is already open");
    assert!(open.verdict.next_step.contains("before sending another"), "{:?}", open.verdict);
    rig.sim.mark_link_paid(&id).unwrap();
    let paid = second_link(&rig, &reference).await;
    assert_eq!(paid.verdict.code, "49125");
    assert!(paid.verdict.explanation.to_lowercase().contains("already paid"), "{:?}", paid.verdict);

    let (expiring, expiring_id) = open_link(&rig, "41.00").await;
    rig.sim.expire_link(&expiring_id).unwrap();
    let processed = second_link(&rig, &expiring).await;
    assert_eq!(processed.verdict.code, "49117");
    assert!(
        processed.verdict.explanation.to_lowercase().contains("already processed"),
        "{:?}",
        processed.verdict
    );
    assert!(rig.sim.money_movements().len() == 1, "only the customer's one payment");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_link_whose_answer_was_lost_is_kept_watched_and_taken_once_paid() {
    let rig = Rig::new().await;
    rig.sim.inject(super::faults::fault(moto_terminal::sim::FaultKind::UncertainCommitted, "PAYMENT_LINK"));
    let draft = LinkDraft {
        amount: "40.00".into(),
        currency: "AED".into(),
        customer_email: "buyer@example.com".into(),
        ..Default::default()
    };
    let out = rig.service.payment_link(PROFILE, draft, &Progress::none()).await.unwrap();
    rig.sim.clear_faults();
    assert_eq!(out.verdict.kind, Kind::Uncertain, "{:?}", out.verdict);
    let reference = out.merchant_reference;
    assert_eq!(link_status(&rig, &reference), LinkStatus::Open, "kept though its answer was lost");
    let id = rig.sim.order(&reference).and_then(|o| o.payment_link_id).expect("APS made it");
    rig.sim.mark_link_paid(&id).unwrap();
    let report = rig.service.check_status(PROFILE, &reference, &Progress::none()).await.unwrap();
    assert_eq!(report.verdict.headline, "Payment link paid", "{:?}", report.verdict);
    assert_eq!(report.order.unwrap().captured_minor, 4_000);
    assert_eq!(link_status(&rig, &reference), LinkStatus::Paid);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_validity_out_of_range_is_refused_naming_it_never_changed() {
    let rig = CliRig::new("link-hours").await;
    let p = rig.profile.clone();
    for hours in ["0", "721"] {
        let base =
            ["link", "create", "--profile", &p, "--amount", "5", "--currency", "AED", "--email", "a@b.co"];
        let out = rig.run(&[&base[..], &["--valid-hours", hours]].concat()).await;
        assert_eq!(out.status.code(), Some(2), "{hours}: {}", text(&out.stderr));
        assert!(text(&out.stderr).contains("--valid-hours"), "{}", text(&out.stderr));
    }
    assert!(rig.sim.requests().is_empty(), "nothing was sent");
}
