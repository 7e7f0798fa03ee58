//! Running due agreements: one period per agreement per run, none charged twice, none left
//! stuck by an earlier run's answer, none charged once cancelled.

use super::faults::fault;
use super::rig::{PROFILE, Rig};
use moto_terminal::aps::response::Kind;
use moto_terminal::journal::AgreementUpdate;
use moto_terminal::service::{AgreementDraft, Progress, ServiceError};
use moto_terminal::sim::FaultKind;

fn member(token: &str, amount: &str, first_due: &str) -> AgreementDraft {
    AgreementDraft {
        token_name: token.into(),
        agreement_id: "AGRRUN1".into(),
        customer_email: "member@example.com".into(),
        customer_name: "Layla Haddad".into(),
        amount: amount.into(),
        currency: "AED".into(),
        cycle: "monthly".into(),
        first_due: first_due.into(),
        ..Default::default()
    }
}

fn today() -> chrono::NaiveDate {
    chrono::Utc::now().date_naive()
}

fn purchases(rig: &Rig) -> usize {
    rig.sim.requests().iter().filter(|r| r.command.as_deref() == Some("PURCHASE")).count()
}

async fn run(rig: &Rig) -> Vec<Result<moto_terminal::service::Outcome, ServiceError>> {
    rig.service.run_due_recurring(PROFILE, &Progress::none()).await.expect("the run runs")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_period_left_unknown_is_settled_by_the_next_run_and_the_agreement_moves_on() {
    let rig = Rig::new().await;
    let id = rig.service.add_agreement(PROFILE, member("DEMO-VISA-0001", "49.00", "")).await.unwrap();
    rig.sim.inject(fault(FaultKind::DropAfterCommit, "PURCHASE"));
    rig.sim.inject(fault(FaultKind::Http500Uncommitted, "CHECK_STATUS").times(1000));
    let first = run(&rig).await.remove(0).expect("recorded");
    rig.sim.clear_faults();
    assert_eq!(first.verdict.kind, Kind::Uncertain, "{:?}", first.verdict);
    assert_eq!(rig.journal.agreement(id).unwrap().unwrap().next_due, today(), "the period is kept");

    let second = run(&rig).await.remove(0).expect("settled, not refused as a used reference");
    assert_eq!(second.verdict.kind, Kind::Approved, "{:?}", second.verdict);
    assert_eq!(second.merchant_reference, first.merchant_reference);
    assert_eq!(purchases(&rig), 1, "charged once");
    assert!(rig.journal.agreement(id).unwrap().unwrap().next_due > today(), "moved on to the next period");
    assert!(run(&rig).await.is_empty(), "nothing more is due today");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_declined_period_ends_unpaid_and_the_next_period_is_charged_on_its_day() {
    let rig = Rig::new().await;
    let id =
        rig.service.add_agreement(PROFILE, member("DEMO-VISA-DECLINED-0242", "49.00", "")).await.unwrap();
    let declined = run(&rig).await.remove(0).expect("recorded");
    assert_eq!(declined.verdict.kind, Kind::Declined, "{:?}", declined.verdict);
    let agreement = rig.journal.agreement(id).unwrap().unwrap();
    assert!(agreement.next_due > today(), "not stuck on the declined period");
    assert_eq!(agreement.last_charge_reference, None, "a decline paid nothing");
    assert!(run(&rig).await.is_empty(), "not charged again today");
    assert_eq!(purchases(&rig), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agreement_behind_is_charged_for_its_latest_period_only() {
    let rig = Rig::new().await;
    let long_ago = (today() - chrono::Duration::days(95)).to_string();
    let id = rig.service.add_agreement(PROFILE, member("DEMO-VISA-0001", "49.00", &long_ago)).await.unwrap();
    for _ in 0..3 {
        run(&rig).await;
    }
    assert_eq!(purchases(&rig), 1, "three months behind, charged once");
    assert!(rig.journal.agreement(id).unwrap().unwrap().next_due > today());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agreement_cancelled_during_a_run_is_not_charged() {
    let rig = Rig::new().await;
    rig.service.add_agreement(PROFILE, member("DEMO-VISA-0001", "49.00", "")).await.unwrap();
    let second = rig.service.add_agreement(PROFILE, member("DEMO-MC-2346", "29.00", "")).await.unwrap();
    // The first charge takes a while; the second agreement is cancelled meanwhile.
    rig.sim.inject(moto_terminal::sim::Fault::delay(1500).for_command("PURCHASE"));
    let service = rig.service.clone();
    let running = tokio::spawn(async move { service.run_due_recurring(PROFILE, &Progress::none()).await });
    // Once the first charge is on its way, the run has read both agreements as due.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while purchases(&rig) == 0 {
        assert!(std::time::Instant::now() < deadline, "the first charge was never sent");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    rig.service.cancel_agreement(second).await.unwrap();
    let results = running.await.unwrap().unwrap();
    assert_eq!(results.len(), 2);
    assert!(
        matches!(&results[1], Err(ServiceError::NotFound(m)) if m.contains("no longer due")),
        "{:?}",
        results[1]
    );
    assert_eq!(purchases(&rig), 1, "only the agreement still active");
}

/// A stale update may move the due date back over periods already charged: the latest of them
/// is found in the journal and reported, never charged again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_due_date_moved_back_over_a_charged_period_charges_nothing_again() {
    let rig = Rig::new().await;
    let id = rig.service.add_agreement(PROFILE, member("DEMO-VISA-0001", "49.00", "")).await.unwrap();
    let first = run(&rig).await.remove(0).unwrap();
    let back = AgreementUpdate { next_due: Some(today() - chrono::Duration::days(62)), ..Default::default() };
    rig.journal.update_agreement(id, &back).unwrap();
    let again = run(&rig).await.remove(0).expect("read back from the journal");
    assert_eq!((again.verdict.kind, again.merchant_reference), (Kind::Approved, first.merchant_reference));
    assert!(run(&rig).await.is_empty());
    assert_eq!(purchases(&rig), 1, "today's period, charged once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_period_is_counted_once_however_often_it_is_noted() {
    let rig = Rig::new().await;
    let draft = AgreementDraft { payments: "3".into(), ..member("DEMO-VISA-0001", "49.00", "") };
    let id = rig.service.add_agreement(PROFILE, draft).await.unwrap();
    let left = |rig: &Rig| rig.journal.agreement(id).unwrap().unwrap().limit;
    let before = left(&rig);
    let next = today() + chrono::Duration::days(30);
    rig.journal.mark_charged(id, "RC-TEST-1", next).unwrap();
    let once = left(&rig);
    rig.journal.mark_charged(id, "RC-TEST-1", next).unwrap();
    assert_ne!(before, once, "a payment counts");
    assert_eq!(left(&rig), once, "the same period noted again (two desks, a rerun) counts once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agreement_that_ended_is_not_charged_for_a_period_after_its_end() {
    let rig = Rig::new().await;
    let first = today() - chrono::Duration::days(95);
    let until = today() - chrono::Duration::days(50);
    let id = rig
        .service
        .add_agreement(PROFILE, member("DEMO-VISA-0001", "49.00", &first.to_string()))
        .await
        .unwrap();
    // It ended 50 days ago (set as the journal keeps it: a past end cannot be typed today).
    let conn = rusqlite::Connection::open(rig.dir.path().join("journal.sqlite3")).unwrap();
    conn.execute(
        "UPDATE agreements SET ends_on = ?1 WHERE id = ?2",
        rusqlite::params![until.to_string(), id],
    )
    .unwrap();
    let charged = run(&rig).await.remove(0).expect("one period charged");
    let date = charged.merchant_reference.split('-').nth(2).unwrap().to_owned();
    assert!(
        date <= until.format("%Y%m%d").to_string(),
        "{} after the end, {until}",
        charged.merchant_reference
    );
    assert!(run(&rig).await.is_empty(), "and nothing after it");
    assert_eq!(purchases(&rig), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_period_still_in_doubt_is_settled_before_any_later_one_is_charged() {
    let rig = Rig::new().await;
    let yesterday = today() - chrono::Duration::days(1);
    let draft =
        AgreementDraft { cycle: "daily".into(), ..member("DEMO-VISA-0001", "49.00", &yesterday.to_string()) };
    let id = rig.service.add_agreement(PROFILE, draft).await.unwrap();
    // Yesterday's charge was recorded and never answered (a crash): it waits on that period.
    let prefix = rig.journal.reference_prefix().unwrap();
    let waiting = format!("RC-{prefix}-{}-N{id}", yesterday.format("%Y%m%d"));
    let mut intent = rig.token_sale("DEMO-VISA-0001", "49.00");
    intent.merchant_reference = waiting.clone();
    let new = moto_terminal::journal::NewOrder {
        profile: PROFILE.into(),
        merchant_reference: waiting.clone(),
        kind: moto_terminal::journal::OrderKind::Recurring,
        channel: moto_terminal::journal::Channel::Recurring,
        amount: moto_terminal::aps::money::Money::parse(
            "49.00",
            moto_terminal::aps::money::Currency::parse("AED").unwrap(),
        )
        .unwrap(),
        method: moto_terminal::journal::PaymentMethod::Token {
            token_name: "DEMO-VISA-0001".into(),
            masked_card: None,
        },
        customer_email: Some("member@example.com".into()),
        customer_name: None,
        description: None,
        operator: "amal".into(),
        terminal: "desk-1".into(),
        created_at: chrono::Utc::now(),
        extra: Default::default(),
        lease: None,
        batch_row: None,
    };
    rig.journal.record_order_intent(&new).unwrap();
    run(&rig).await;
    let todays = format!("RC-{prefix}-{}-N{id}", today().format("%Y%m%d"));
    let sent_today = rig
        .sim
        .requests()
        .iter()
        .filter(|r| r.merchant_reference.as_deref() == Some(todays.as_str()))
        .count();
    assert_eq!(sent_today, 0, "today's period waits for yesterday's to be settled");
}
