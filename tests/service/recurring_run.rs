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
