//! Transaction feedback, both ends over real HTTP: the simulator posts every final result and
//! every payment-link attempt (form fields or JSON, with APS's retries), and the receiver
//! (`moto-terminal feedback-server`, here also started in-process) checks each post's signature
//! and brings the journal in line.

use super::cli::{CliRig, text};
use super::link_status::open_link;
use super::rig::{PROFILE, Rig};
use crate::util::Running;
use moto_terminal::aps::Params;
use moto_terminal::aps::sign::{self, Algorithm};
use moto_terminal::cli::feedback::FeedbackServer;
use moto_terminal::service::{LinkStatus, OrderState, Progress};
use moto_terminal::sim::{self, Delivery, Fault, FaultKind, FeedbackFormat, FeedbackTarget};
use std::io::BufRead;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

async fn receiver_on(rig: &Rig, listen: SocketAddr) -> FeedbackServer {
    FeedbackServer::start(rig.restart(), PROFILE.into(), listen).await.expect("the receiver listens")
}

async fn receiver(rig: &Rig) -> FeedbackServer {
    receiver_on(rig, "127.0.0.1:0".parse().unwrap()).await
}

/// APS's schedule, shortened: 200 ms between attempts.
fn target(url: &str, format: FeedbackFormat) -> FeedbackTarget {
    FeedbackTarget { format, interval: Duration::from_millis(200), ..FeedbackTarget::new(url) }
}

/// Waits up to 10 s for `done`.
async fn eventually<T>(what: &str, mut done: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(value) = done() {
            return value;
        }
        assert!(start.elapsed() < Duration::from_secs(10), "waited 10 s for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn state(rig: &Rig, reference: &str) -> OrderState {
    rig.journal.order(PROFILE, reference).unwrap().expect("the order is in the journal").state
}

fn delivered(rig: &Rig, reference: &str) -> Vec<Delivery> {
    rig.sim.feedback_deliveries().into_iter().filter(|d| d.merchant_reference == reference).collect()
}

/// A post as APS would send it for `reference`, signed with `phrase`.
fn post_fields(reference: &str, command: &str, code: &str, phrase: &str) -> Params {
    let mut p = Params::new();
    for (k, v) in [
        ("command", command),
        ("merchant_identifier", sim::DEMO_MERCHANT_IDENTIFIER),
        ("merchant_reference", reference),
        ("response_code", code),
        ("status", &code[..2]),
        ("language", "en"),
    ] {
        p.insert(k.into(), v.into());
    }
    let signature = sign::sign(&p, phrase, Algorithm::Sha256);
    p.insert("signature".into(), signature.into());
    p
}

async fn post_json(url: &str, fields: &Params) -> (u16, String) {
    let response = reqwest::Client::new().post(url).json(fields).send().await.expect("the receiver answers");
    (response.status().as_u16(), response.text().await.unwrap_or_default())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paid_link_is_captured_in_the_journal_as_soon_as_aps_posts_it() {
    let rig = Rig::new().await;
    let server = receiver(&rig).await;
    rig.sim.set_feedback(Some(target(&server.url(), FeedbackFormat::Form)));
    let (reference, id) = open_link(&rig, "80.00").await;
    rig.sim.mark_link_paid(&id).unwrap();
    eventually("the paid link in the journal", || {
        (state(&rig, &reference) == OrderState::Captured).then_some(())
    })
    .await;
    let order = rig.journal.order(PROFILE, &reference).unwrap().unwrap();
    assert_eq!(order.captured_minor, 8_000);
    assert!(order.fort_id.is_some(), "APS's Fort ID is kept");
    let links = rig.journal.links(Some(PROFILE), None).unwrap();
    assert_eq!(links.iter().find(|l| l.merchant_reference == reference).unwrap().status, LinkStatus::Paid);
    // The journal changes while the receiver answers; the simulator records the attempt only
    // once that answer has reached it, a moment later. Creating the link posted nothing: the
    // payment's post is the only one.
    let attempts = eventually("the delivery recorded", || {
        let all = delivered(&rig, &reference);
        (!all.is_empty()).then_some(all)
    })
    .await;
    assert_eq!(attempts.len(), 1, "taken at the first attempt: {attempts:?}");
    assert_eq!((attempts[0].http_status, attempts[0].delivered), (Some(200), true));
    assert_eq!((attempts[0].command.as_str(), attempts[0].response_code.as_str()), ("PURCHASE", "14000"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_posts_are_taken_and_a_declined_link_attempt_leaves_the_link_open() {
    let rig = Rig::new().await;
    let server = receiver(&rig).await;
    rig.sim.set_feedback(Some(target(&server.url(), FeedbackFormat::Json)));
    let (reference, id) = open_link(&rig, "25.00").await;
    rig.sim.decline_link_payment(&id).unwrap();
    let attempt = eventually("the declined attempt posted", || delivered(&rig, &reference).pop()).await;
    assert_eq!((attempt.response_code.as_str(), attempt.http_status), ("13666", Some(200)));
    assert_eq!(state(&rig, &reference), OrderState::Pending, "the link can still be paid");
    rig.sim.mark_link_paid(&id).unwrap();
    eventually("the paid link", || (state(&rig, &reference) == OrderState::Captured).then_some(())).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_late_final_result_settles_an_order_left_in_doubt() {
    let rig = Rig::new().await;
    // The receiver is down while the charge runs: APS keeps trying.
    let addr = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let mut schedule = target(&format!("http://{addr}"), FeedbackFormat::Form);
    schedule.retries = 40;
    rig.sim.set_feedback(Some(schedule));
    rig.sim.inject(Fault { command: Some("PURCHASE".into()), ..Fault::new(FaultKind::DropAfterCommit) });
    rig.sim.inject(Fault {
        command: Some("CHECK_STATUS".into()),
        count: 50,
        ..Fault::new(FaultKind::Http500Uncommitted)
    });
    let draft = rig.token_sale("DEMO-VISA-0001", "61.00");
    let outcome = rig.service.charge(draft, &Progress::none()).await.unwrap();
    let reference = outcome.merchant_reference.clone();
    assert_eq!(state(&rig, &reference), OrderState::Unknown, "{:?}", outcome.verdict);
    rig.sim.clear_faults();

    let _server = receiver_on(&rig, addr).await;
    eventually("the late result in the journal", || {
        (state(&rig, &reference) == OrderState::Captured).then_some(())
    })
    .await;
    let order = rig.journal.order(PROFILE, &reference).unwrap().unwrap();
    assert_eq!((order.captured_minor, order.needs_attention.clone()), (6_100, None));
    let attempts = eventually("the delivery", || {
        let all = delivered(&rig, &reference);
        all.iter().any(|d| d.delivered).then_some(all)
    })
    .await;
    let last = attempts.last().unwrap();
    assert!(attempts.len() >= 2 && attempts[0].http_status.is_none(), "retried: {attempts:?}");
    assert_eq!((last.http_status, last.attempt as usize), (Some(200), attempts.len()));
    assert_eq!(rig.movements(&reference).len(), 1, "charged once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn posts_that_cannot_be_believed_get_400_and_change_nothing() {
    let rig = Rig::new().await;
    let server = receiver(&rig).await;
    let (reference, _) = open_link(&rig, "30.00").await;
    let before = rig.journal.timeline(PROFILE, &reference).unwrap().len();
    let client = reqwest::Client::new();

    let mut unsigned = post_fields(&reference, "PURCHASE", "14000", sim::DEMO_RESPONSE_PHRASE);
    unsigned.remove("signature");
    let (status, body) = post_json(&server.url(), &unsigned).await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("signature"), "{body}");

    let forged = post_fields(&reference, "PURCHASE", "14000", sim::DEMO_REQUEST_PHRASE);
    let (status, body) = post_json(&server.url(), &forged).await;
    assert_eq!(status, 400, "signed with the request phrase, not the response phrase: {body}");

    let mut other = post_fields(&reference, "PURCHASE", "14000", "x");
    other.insert("merchant_identifier".into(), "SOMEONEELSE".into());
    other.remove("signature");
    let signature = sign::sign(&other, sim::DEMO_RESPONSE_PHRASE, Algorithm::Sha256);
    other.insert("signature".into(), signature.into());
    let (status, body) = post_json(&server.url(), &other).await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("another merchant"), "{body}");

    let garbage = client.post(server.url()).body("not a post at all").send().await.unwrap();
    assert_eq!(garbage.status().as_u16(), 400);
    let get = client.get(server.url()).send().await.unwrap();
    assert_eq!(get.status().as_u16(), 405);

    assert_eq!(state(&rig, &reference), OrderState::Pending, "nothing applied");
    assert_eq!(rig.journal.timeline(PROFILE, &reference).unwrap().len(), before, "nothing written");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_repeated_post_changes_nothing_and_an_order_taken_elsewhere_is_acknowledged() {
    let rig = Rig::new().await;
    let server = receiver(&rig).await;
    let outcome =
        rig.service.charge(rig.token_sale("DEMO-VISA-0001", "12.00"), &Progress::none()).await.unwrap();
    let reference = outcome.merchant_reference;
    let post = post_fields(&reference, "PURCHASE", "14000", sim::DEMO_RESPONSE_PHRASE);
    let (status, body) = post_json(&server.url(), &post).await;
    assert_eq!((status, body.trim()), (200, format!("applied: order {reference} is captured").as_str()));
    let timeline = rig.journal.timeline(PROFILE, &reference).unwrap();
    for _ in 0..3 {
        assert_eq!(post_json(&server.url(), &post).await.0, 200, "APS's retry is answered the same");
    }
    assert_eq!(rig.journal.timeline(PROFILE, &reference).unwrap(), timeline, "and changes nothing");
    assert_eq!(rig.movements(&reference).len(), 1);

    let elsewhere = post_fields("WEBSHOP-991", "PURCHASE", "14000", sim::DEMO_RESPONSE_PHRASE);
    let (status, body) = post_json(&server.url(), &elsewhere).await;
    assert_eq!((status, body.trim()), (200, "not an order of this journal: nothing applied"));
    assert!(rig.journal.order(PROFILE, "WEBSHOP-991").unwrap().is_none(), "no order is made up");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_post_that_cannot_be_applied_yet_gets_503_so_aps_posts_it_again() {
    let rig = Rig::new().await;
    let server = receiver(&rig).await;
    rig.sim.inject(Fault { command: Some("PURCHASE".into()), ..Fault::new(FaultKind::DropAfterCommit) });
    let status_down = Fault {
        command: Some("CHECK_STATUS".into()),
        count: 50,
        ..Fault::new(FaultKind::Http500Uncommitted)
    };
    rig.sim.inject(status_down);
    let outcome =
        rig.service.charge(rig.token_sale("DEMO-VISA-0001", "33.00"), &Progress::none()).await.unwrap();
    let reference = outcome.merchant_reference;
    assert_eq!(state(&rig, &reference), OrderState::Unknown);
    let post = post_fields(&reference, "PURCHASE", "14000", sim::DEMO_RESPONSE_PHRASE);
    let (status, body) = post_json(&server.url(), &post).await;
    assert_eq!(status, 503, "APS cannot confirm it now: {body}");
    assert!(body.contains("post again later"), "{body}");
    assert_eq!(state(&rig, &reference), OrderState::Unknown);
    rig.sim.clear_faults();
    let (status, body) = post_json(&server.url(), &post).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(state(&rig, &reference), OrderState::Captured);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_simulator_retries_a_post_ten_times_then_gives_up() {
    let rig = Rig::new().await;
    let addr = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let mut schedule = target(&format!("http://{addr}"), FeedbackFormat::Form);
    schedule.interval = Duration::from_millis(20);
    assert_eq!(schedule.retries, 10, "APS's schedule: 10 retries");
    rig.sim.set_feedback(Some(schedule));
    let outcome =
        rig.service.charge(rig.token_sale("DEMO-VISA-0001", "5.00"), &Progress::none()).await.unwrap();
    let reference = outcome.merchant_reference;
    let attempts = eventually("eleven attempts", || {
        let all = delivered(&rig, &reference);
        (all.len() >= 11).then_some(all)
    })
    .await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(delivered(&rig, &reference).len(), 11, "then no more");
    assert!(attempts.iter().all(|d| !d.delivered && d.http_status.is_none()));
    assert_eq!(attempts.iter().map(|d| d.attempt).collect::<Vec<_>>(), (1..=11).collect::<Vec<_>>());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_feedback_server_command_prints_where_it_listens_and_applies_a_paid_link() {
    let rig = CliRig::new("feedback").await;
    let p = rig.profile.clone();
    let mut server = Running::new(
        rig.command(&["feedback-server", "--profile", &p, "--listen", "127.0.0.1:0"]).spawn().unwrap(),
    );
    let stdout = server.child().stdout.take().unwrap();
    let first = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        std::io::BufReader::new(stdout).read_line(&mut line).map(|_| line)
    })
    .await
    .unwrap()
    .unwrap();
    let url = first.trim().strip_prefix("listening on ").unwrap_or_else(|| panic!("first line: {first}"));
    assert!(url.starts_with("http://127.0.0.1:") && !url.ends_with(":0"), "{url}");
    rig.sim.set_feedback(Some(target(url, FeedbackFormat::Form)));
    let create = rig
        .run(&[
            "link",
            "create",
            "--profile",
            &p,
            "--amount",
            "45",
            "--currency",
            "AED",
            "--email",
            "b@example.com",
            "--reference",
            "CLI-FB-1",
        ])
        .await;
    assert_eq!(create.status.code(), Some(0), "{}", text(&create.stderr));
    let id = rig.sim.order("CLI-FB-1").and_then(|o| o.payment_link_id).expect("a link id");
    rig.sim.mark_link_paid(&id).unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let row = rig.journal_json("CLI-FB-1").await;
        if row["state"] == "captured" {
            assert_eq!(row["captured_minor"].as_u64(), Some(4_500));
            break;
        }
        assert!(Instant::now() < deadline, "the receiver did not apply the post: {row}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // The receiver logs before it answers: once the simulator has the answer, the line is out.
    eventually("the answer to the post", || {
        rig.sim
            .feedback_deliveries()
            .iter()
            .any(|d| d.merchant_reference == "CLI-FB-1" && d.delivered)
            .then_some(())
    })
    .await;
    let log = text(&server.stop().stderr);
    assert!(log.contains("feedback CLI-FB-1 PURCHASE 14000: applied: order CLI-FB-1 is captured"), "{log}");
    assert!(!log.contains(sim::DEMO_ACCESS_CODE), "the access code in the post is never logged");
}
