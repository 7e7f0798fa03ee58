//! The fault matrix: PURCHASE, AUTHORIZATION, CAPTURE and REFUND under every fault the simulator
//! can inject. After the command (and `reconcile` where it is still unknown), the journal must
//! agree with what the simulator really committed, the operation must have been sent exactly
//! once, and at most one money movement may exist for it.

use super::rig::{PROFILE, Rig};
use moto_terminal::aps::command::ChargeKind;
use moto_terminal::aps::response::Kind;
use moto_terminal::service::{OrderState, Progress};
use moto_terminal::sim::{Fault, FaultKind, MovementKind};

pub const FAULTS: [FaultKind; 8] = [
    FaultKind::DropAfterCommit,
    FaultKind::DropBeforeCommit,
    FaultKind::Delay,
    FaultKind::Http500Committed,
    FaultKind::Http500Uncommitted,
    FaultKind::GarbledBody,
    FaultKind::BadSignature,
    FaultKind::UncertainCommitted,
];

pub fn fault(kind: FaultKind, command: &str) -> Fault {
    let f = if kind == FaultKind::Delay { Fault::delay(1000) } else { Fault::new(kind) };
    f.for_command(command)
}

/// Journal and simulator agree on the order's money, and the state names the same thing.
pub async fn assert_agrees_with_truth(rig: &Rig, reference: &str, case: &str) {
    let order = rig.journal.order(PROFILE, reference).expect("journal reads").expect("order journaled");
    match rig.sim.order(reference) {
        None => {
            assert_eq!(order.state, OrderState::NotSent, "{case}: APS has no order, so nothing was charged");
            assert_eq!(order.captured_minor + order.authorized_minor, 0, "{case}");
        }
        Some(truth) => {
            assert_eq!(
                (order.authorized_minor, order.captured_minor, order.refunded_minor),
                (truth.authorized_amount, truth.captured_amount, truth.refunded_amount),
                "{case}: amounts (journal state {:?}, simulator state {:?})",
                order.state,
                truth.state
            );
            let expected = OrderState::from_amounts(
                truth.authorized_amount,
                truth.captured_amount,
                truth.refunded_amount,
                false,
            );
            assert_eq!(order.state, expected, "{case}: state");
        }
    }
    assert!(
        order.needs_attention.is_none(),
        "{case}: resolved, nothing for a person to do: {:?}",
        order.needs_attention
    );
}

/// How many times the simulator received `command` for this reference.
pub fn sent_count(rig: &Rig, command: &str, reference: &str) -> usize {
    rig.sim
        .requests()
        .iter()
        .filter(|r| {
            r.command.as_deref() == Some(command) && r.merchant_reference.as_deref() == Some(reference)
        })
        .count()
}

pub async fn settle_if_unknown(rig: &Rig, kind: Kind) {
    if kind == Kind::Uncertain {
        rig.service.reconcile(Some(PROFILE), &Progress::none()).await.expect("reconcile runs");
    }
}

async fn first_charge_under_faults(command: &str, charge_kind: ChargeKind, movement: MovementKind) {
    let rig = Rig::new().await;
    for (i, kind) in FAULTS.into_iter().enumerate() {
        let case = format!("{command} {kind:?}");
        let mut draft = rig.token_sale("DEMO-VISA-0001", &format!("{}.00", 100 + i));
        draft.kind = charge_kind;
        rig.sim.inject(fault(kind, command));
        let outcome = rig.service.charge(draft, &Progress::none()).await.expect("the request was sent");
        settle_if_unknown(&rig, outcome.verdict.kind).await;
        let reference = outcome.merchant_reference.clone();
        assert_agrees_with_truth(&rig, &reference, &case).await;
        assert_eq!(sent_count(&rig, command, &reference), 1, "{case}: never re-sent");
        let moved = rig.movements(&reference).iter().filter(|m| m.kind == movement).count();
        assert_eq!(moved, usize::from(kind.commits()), "{case}: money moved exactly as committed");
        rig.sim.clear_faults();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn purchase_under_every_fault() {
    first_charge_under_faults("PURCHASE", ChargeKind::Sale, MovementKind::Purchase).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authorization_under_every_fault() {
    first_charge_under_faults("AUTHORIZATION", ChargeKind::AuthorizeOnly, MovementKind::Authorization).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn capture_under_every_fault() {
    let rig = Rig::new().await;
    for (i, kind) in FAULTS.into_iter().enumerate() {
        let case = format!("CAPTURE {kind:?}");
        let mut draft = rig.token_sale("DEMO-MC-2346", &format!("{}.00", 200 + i));
        draft.kind = ChargeKind::AuthorizeOnly;
        let auth = rig.service.charge(draft, &Progress::none()).await.expect("authorized");
        assert_eq!(auth.verdict.kind, Kind::Approved, "{case}: setup");
        let reference = auth.merchant_reference;
        rig.sim.inject(fault(kind, "CAPTURE"));
        let outcome =
            rig.service.capture(PROFILE, &reference, "40.00", &Progress::none()).await.expect("sent");
        settle_if_unknown(&rig, outcome.verdict.kind).await;
        assert_agrees_with_truth(&rig, &reference, &case).await;
        assert_eq!(sent_count(&rig, "CAPTURE", &reference), 1, "{case}: never re-sent");
        let captures = rig.movements(&reference).iter().filter(|m| m.kind == MovementKind::Capture).count();
        assert_eq!(captures, usize::from(kind.commits()), "{case}");
        let timeline = rig.journal.timeline(PROFILE, &reference).expect("timeline");
        assert!(
            timeline.iter().all(|op| !op.state.is_open()),
            "{case}: every operation settled: {timeline:?}"
        );
        rig.sim.clear_faults();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refund_under_every_fault() {
    let rig = Rig::new().await;
    for (i, kind) in FAULTS.into_iter().enumerate() {
        let case = format!("REFUND {kind:?}");
        let sale = rig
            .service
            .charge(rig.token_sale("DEMO-AMEX-4564", &format!("{}.00", 300 + i)), &Progress::none())
            .await
            .expect("sale");
        assert_eq!(sale.verdict.kind, Kind::Approved, "{case}: setup");
        let reference = sale.merchant_reference;
        rig.sim.inject(fault(kind, "REFUND"));
        let outcome =
            rig.service.refund(PROFILE, &reference, "30.00", None, &Progress::none()).await.expect("sent");
        settle_if_unknown(&rig, outcome.verdict.kind).await;
        assert_agrees_with_truth(&rig, &reference, &case).await;
        assert_eq!(sent_count(&rig, "REFUND", &reference), 1, "{case}: never re-sent");
        let refunds = rig.movements(&reference).iter().filter(|m| m.kind == MovementKind::Refund).count();
        assert_eq!(refunds, usize::from(kind.commits()), "{case}");
        rig.sim.clear_faults();
    }
}
