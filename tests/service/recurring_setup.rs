//! Recurring agreements registered with APS through the customer's first payment (spec 3.4):
//! the set-up fields go with it, the agreement id APS returns is kept, the agreement's limits
//! hold here and at APS, and a declined or refused first payment registers nothing.

use super::cli::{CliRig, text};
use super::rig::{PROFILE, Rig};
use moto_terminal::aps::response::Kind;
use moto_terminal::journal::AgreementUpdate;
use moto_terminal::service::{AgreementDraft, AgreementLimit, Cycle, Progress};
use moto_terminal::sim::RecurringAgreement;

fn member(payments: &str, until: &str) -> AgreementDraft {
    AgreementDraft {
        token_name: "DEMO-VISA-0001".into(),
        customer_email: "member@example.com".into(),
        customer_name: "Layla Haddad".into(),
        amount: "49.00".into(),
        currency: "AED".into(),
        cycle: "monthly".into(),
        payments: payments.into(),
        until: until.into(),
        ..Default::default()
    }
}

fn today() -> chrono::NaiveDate {
    chrono::Utc::now().date_naive()
}

/// Brings an agreement's next charge to today, as if a cycle had passed.
fn due_now(rig: &Rig, id: i64) {
    let update = AgreementUpdate { next_due: Some(today()), ..Default::default() };
    rig.journal.update_agreement(id, &update).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_payment_sets_up_the_agreement_and_its_id_from_aps_is_kept() {
    let rig = Rig::new().await;
    let set_up = rig.service.set_up_agreement(PROFILE, member("12", ""), &Progress::none()).await.unwrap();
    assert_eq!(set_up.outcome.verdict.kind, Kind::Approved, "{:?}", set_up.outcome.verdict);
    let aps_id = set_up.agreement_id.clone().expect("APS named the agreement");
    assert_eq!(
        rig.sim.recurring_agreement(&aps_id),
        Some(RecurringAgreement {
            token_name: "DEMO-VISA-0001".into(),
            mode: "FIXED".into(),
            transactions_count: Some(12),
            expiry_date: None,
            days_between_payments: 28,
            payments: 1,
        }),
        "the set-up fields reached APS"
    );
    let first = rig.sim.order(&set_up.outcome.merchant_reference).unwrap();
    assert_eq!((first.eci.as_deref(), first.amount), (Some("MOTO"), 4_900), "a customer-initiated payment");

    let agreement = rig.journal.agreement(set_up.agreement.unwrap()).unwrap().unwrap();
    assert_eq!(agreement.agreement_id.as_deref(), Some(aps_id.as_str()));
    let trail = rig.service.audit_entries(None, None).await.unwrap();
    assert!(trail.iter().any(|e| e.action == "recurring-add"), "the agreement is in the audit trail");
    assert_eq!((agreement.cycle, agreement.limit), (Cycle::Monthly, Some(AgreementLimit::PaymentsLeft(11))));
    assert_eq!(agreement.next_due, Cycle::Monthly.next(today(), chrono::Datelike::day(&today())));
    assert_eq!(agreement.last_charge_reference.as_deref(), Some(set_up.outcome.merchant_reference.as_str()));
    assert!(
        rig.service.run_due_recurring(PROFILE, &Progress::none()).await.unwrap().is_empty(),
        "not due yet"
    );

    due_now(&rig, agreement.id);
    let charged = rig.service.run_due_recurring(PROFILE, &Progress::none()).await.unwrap();
    let outcome = charged[0].as_ref().unwrap();
    assert_eq!(outcome.verdict.kind, Kind::Approved, "{:?}", outcome.verdict);
    assert_eq!(rig.sim.order(&outcome.merchant_reference).unwrap().eci.as_deref(), Some("RECURRING"));
    assert_eq!(rig.sim.recurring_agreement(&aps_id).unwrap().payments, 2);
    let agreement = rig.journal.agreement(agreement.id).unwrap().unwrap();
    assert_eq!(agreement.limit, Some(AgreementLimit::PaymentsLeft(10)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agreement_is_never_charged_past_the_payments_agreed() {
    let rig = Rig::new().await;
    let set_up = rig.service.set_up_agreement(PROFILE, member("2", ""), &Progress::none()).await.unwrap();
    let id = set_up.agreement.unwrap();
    due_now(&rig, id);
    assert_eq!(rig.service.run_due_recurring(PROFILE, &Progress::none()).await.unwrap().len(), 1);
    assert_eq!(rig.journal.agreement(id).unwrap().unwrap().limit, Some(AgreementLimit::PaymentsLeft(0)));
    due_now(&rig, id);
    assert!(
        rig.service.run_due_recurring(PROFILE, &Progress::none()).await.unwrap().is_empty(),
        "two payments agreed, two taken"
    );

    // APS holds the same line: a third RECURRING purchase on that agreement is refused.
    let mut third = rig.token_sale("DEMO-VISA-0001", "49.00");
    third.recurring = true;
    third.agreement_id = set_up.agreement_id.clone();
    third.allow_duplicate = true;
    let refused = rig.service.charge(third, &Progress::none()).await.unwrap();
    assert_eq!((refused.verdict.kind, refused.verdict.code.as_str()), (Kind::Rejected, "00033"));
    assert_eq!(rig.sim.money_movements().len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_last_payment_date_and_the_merchants_own_agreement_id_are_used() {
    let rig = Rig::new().await;
    let until = (today() + chrono::Days::new(365)).to_string();
    let draft = AgreementDraft {
        agreement_id: "MEMBER20260042".into(),
        mode: "variable".into(),
        cycle: "weekly".into(),
        ..member("", &until)
    };
    let set_up = rig.service.set_up_agreement(PROFILE, draft.clone(), &Progress::none()).await.unwrap();
    assert_eq!(set_up.agreement_id.as_deref(), Some("MEMBER20260042"));
    let at_aps = rig.sim.recurring_agreement("MEMBER20260042").unwrap();
    assert_eq!(
        (at_aps.mode.as_str(), at_aps.expiry_date.as_deref(), at_aps.days_between_payments),
        ("VARIABLE", Some(until.as_str()), 7)
    );
    let agreement = rig.journal.agreement(set_up.agreement.unwrap()).unwrap().unwrap();
    assert_eq!(agreement.limit, Some(AgreementLimit::Until(until.parse().unwrap())));

    // The same id again is refused by APS: no second agreement, no money.
    let again = AgreementDraft { token_name: "DEMO-MC-2346".into(), ..draft };
    let refused = rig.service.set_up_agreement(PROFILE, again, &Progress::none()).await.unwrap();
    assert_eq!((refused.outcome.verdict.code.as_str(), refused.agreement), ("00033", None));
    assert_eq!(rig.journal.agreements(Some(PROFILE)).unwrap().len(), 1);
    assert_eq!(rig.sim.money_movements().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_declined_first_payment_registers_no_agreement() {
    let rig = Rig::new().await;
    let declined = AgreementDraft { amount: "10.51".into(), ..member("12", "") };
    let set_up = rig.service.set_up_agreement(PROFILE, declined, &Progress::none()).await.unwrap();
    assert_eq!(set_up.outcome.verdict.kind, Kind::Declined);
    assert_eq!((set_up.agreement, set_up.agreement_id), (None, None));
    assert!(rig.journal.agreements(Some(PROFILE)).unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_command_line_takes_the_first_payment_unless_the_agreement_exists() {
    let rig = CliRig::new("recurring-setup").await;
    let p = rig.profile.clone();
    let base = [
        "recurring",
        "add",
        "--profile",
        &p,
        "--token",
        "DEMO-VISA-0001",
        "--amount",
        "30",
        "--currency",
        "AED",
        "--email",
        "m@example.com",
    ];
    let no_limit = rig.run(&base).await;
    assert_eq!(no_limit.status.code(), Some(2), "{}", text(&no_limit.stdout));
    assert!(text(&no_limit.stderr).contains("how many payments"), "{}", text(&no_limit.stderr));
    assert!(rig.sim.requests().is_empty(), "nothing sent");

    let out = rig.run(&[&base[..], &["--payments", "6", "--every", "weekly"]].concat()).await;
    assert_eq!(out.status.code(), Some(0), "{}{}", text(&out.stdout), text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("Approved") || stdout.contains("approved"), "{stdout}");
    assert!(stdout.contains("agreement 1 registered with APS as "), "{stdout}");
    let listed = text(&rig.run(&["recurring", "list", "--profile", &p]).await.stdout);
    assert!(listed.contains("5 payments left"), "{listed}");

    let existing = rig.run(&[&base[..], &["--existing"]].concat()).await;
    assert_eq!(existing.status.code(), Some(2), "--existing needs the agreement id APS gave");
    let existing = rig.run(&[&base[..], &["--existing", "--agreement-id", "AGR9"]].concat()).await;
    assert_eq!(existing.status.code(), Some(0), "{}", text(&existing.stderr));
    assert_eq!(rig.sim.money_movements().len(), 1, "only the first payment moved money");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_agreement_keeps_its_id_when_the_first_payments_answer_is_lost() {
    let rig = Rig::new().await;
    rig.sim.inject(
        moto_terminal::sim::Fault::new(moto_terminal::sim::FaultKind::DropAfterCommit)
            .for_command("PURCHASE"),
    );
    let set_up = rig.service.set_up_agreement(PROFILE, member("6", ""), &Progress::none()).await.unwrap();
    assert!(
        set_up.outcome.reconciled && set_up.outcome.verdict.kind == Kind::Approved,
        "{:?}",
        set_up.outcome.verdict
    );
    let id = set_up.agreement_id.expect("the id sent with the payment");
    assert!(id.starts_with("AG"), "{id}");
    assert!(rig.sim.recurring_agreement(&id).is_some(), "APS holds the agreement under the id sent");
    let agreement = rig.journal.agreement(set_up.agreement.unwrap()).unwrap().unwrap();
    assert_eq!(agreement.agreement_id.as_deref(), Some(id.as_str()));
    assert_eq!(rig.sim.money_movements().len(), 1, "paid once");
}
