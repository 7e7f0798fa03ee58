//! Running a batch through the service: every row once, rows of one order in file order,
//! resuming finds what each row did, faults on a row never lead to a second charge.

use super::faults::{FAULTS, assert_agrees_with_truth, fault, sent_count};
use super::rig::{PROFILE, Rig};
use moto_terminal::aps::Operation;
use moto_terminal::aps::money::{Currency, Money};
use moto_terminal::service::batch::outcome::{RowOutcome, results_csv};
use moto_terminal::service::batch::run::{BatchJob, BatchPlan, PlanRow, RunOptions};
use moto_terminal::sim::MovementKind;

fn aed(text: &str) -> Money {
    Money::parse(text, Currency::parse("AED").unwrap()).unwrap()
}

fn job(op: Operation, reference: &str, amount: Option<&str>, token: &str) -> BatchJob {
    BatchJob {
        op,
        merchant_reference: reference.into(),
        money: amount.map(aed),
        token_name: token.into(),
        customer_email: "member@example.com".into(),
        customer_name: "Member".into(),
        description: "monthly membership".into(),
        agreement_id: String::new(),
        new_reference: false,
    }
}

fn row(n: u32, job: BatchJob) -> PlanRow {
    PlanRow {
        row: n,
        operation: job.op.wire_name().to_lowercase(),
        merchant_reference: job.merchant_reference.clone(),
        amount: job.money,
        job: Ok(job),
    }
}

fn plan(hash: &str, rows: Vec<PlanRow>) -> BatchPlan {
    BatchPlan {
        profile: PROFILE.into(),
        file_name: "stack.csv".into(),
        file_hash: hash.into(),
        source: None,
        rows,
    }
}

/// Two sales, an authorization captured in two parts further down, a refund, and a bad row.
fn mixed(hash: &str, tag: &str) -> BatchPlan {
    let r = |n: &str| format!("BT-{tag}-{n}");
    let mut rows = vec![
        row(2, job(Operation::Purchase, &r("2"), Some("30.00"), "DEMO-VISA-0001")),
        row(3, job(Operation::Authorization, &r("3"), Some("100.00"), "DEMO-MC-2346")),
        row(4, job(Operation::Purchase, &r("4"), Some("45.00"), "DEMO-AMEX-4564")),
        row(5, job(Operation::Capture, &r("3"), Some("60.00"), "")),
        row(6, job(Operation::Capture, &r("3"), Some("40.00"), "")),
        row(7, job(Operation::Refund, &r("2"), Some("10.00"), "")),
    ];
    rows.push(PlanRow {
        row: 8,
        operation: "sale".into(),
        merchant_reference: String::new(),
        amount: None,
        job: Err("row 8: currency 'XYZ' is not an ISO 4217 code: use a code such as AED".into()),
    });
    plan(hash, rows)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_row_runs_once_and_one_orders_rows_in_file_order() {
    let rig = Rig::new().await;
    let run = rig.service.run_batch(mixed("h1", "A"), RunOptions::default()).await.unwrap();
    let outcomes: Vec<(u32, RowOutcome)> = run.results.iter().map(|r| (r.row, r.outcome)).collect();
    use RowOutcome::*;
    assert_eq!(
        outcomes,
        [
            (2, Approved),
            (3, Approved),
            (4, Approved),
            (5, Approved),
            (6, Approved),
            (7, Approved),
            (8, Invalid)
        ]
    );
    assert!(!run.resumed);
    let auth = rig.journal.order(PROFILE, "BT-A-3").unwrap().unwrap();
    assert_eq!(auth.captured_minor, 10_000, "both captures, in order: 60 then the last 40");
    let sale = rig.journal.order(PROFILE, "BT-A-2").unwrap().unwrap();
    assert_eq!(sale.refunded_minor, 1_000);
    assert_eq!(rig.sim.money_movements().len(), 6, "2 sales, 1 authorization, 2 captures, 1 refund");

    let csv = results_csv(&run.results);
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some(
            "row,operation,merchant_reference,amount,currency,outcome,response_code,response_message,fort_id"
        )
    );
    assert!(lines.next().unwrap().starts_with("2,purchase,BT-A-2,30.00,AED,approved,14000,"));
    assert!(csv.contains("8,sale,,,,invalid,,row 8: currency 'XYZ'"), "{csv}");

    let (batch, shown) = rig.service.batch_results(run.batch.id).await.unwrap().unwrap();
    assert_eq!(batch.file_name, "stack.csv");
    let shown: Vec<(u32, RowOutcome)> = shown.iter().map(|r| (r.row, r.outcome)).collect();
    assert_eq!(shown, outcomes, "batch show reads the same outcomes back from the journal");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn running_the_same_file_again_sends_nothing_twice() {
    let rig = Rig::new().await;
    let first = rig.service.run_batch(mixed("h2", "B"), RunOptions::default()).await.unwrap();
    // Stopped by the operator: the batch is not finished, so the same file resumes it.
    let id = first.batch.id;
    rig.journal.set_batch_state(id, moto_terminal::journal::BatchState::Stopped, chrono::Utc::now()).unwrap();
    let before = rig.sim.requests().len();
    let again = rig.service.run_batch(mixed("h2", "B"), RunOptions::default()).await.unwrap();
    assert!(again.resumed);
    assert_eq!(again.batch.id, id);
    let outcomes = |r: &[moto_terminal::service::batch::outcome::RowResult]| {
        r.iter().map(|r| (r.row, r.outcome)).collect::<Vec<_>>()
    };
    assert_eq!(outcomes(&again.results), outcomes(&first.results));
    let sent_again = rig.sim.requests().len() - before;
    assert_eq!(sent_again, 0, "every row was settled: nothing went to APS again");
    assert_eq!(rig.sim.money_movements().len(), 6);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_finished_file_run_again_is_a_new_batch_that_charges_nothing_twice() {
    let rig = Rig::new().await;
    rig.service.run_batch(mixed("h3", "C"), RunOptions::default()).await.unwrap();
    let again = rig.service.run_batch(mixed("h3", "C"), RunOptions::default()).await.unwrap();
    assert!(!again.resumed, "the first batch finished");
    // Sale rows find their orders by reference; capture, refund and void rows find the
    // operations the first run sent for them: no money moves twice.
    let sales = ["BT-C-2", "BT-C-3", "BT-C-4"];
    for reference in sales {
        assert_eq!(sent_count(&rig, "PURCHASE", reference) + sent_count(&rig, "AUTHORIZATION", reference), 1);
    }
    let captured = rig.journal.order(PROFILE, "BT-C-3").unwrap().unwrap().captured_minor;
    assert_eq!(captured, 10_000, "never more than the authorization");
    // The batch began with these orders in the journal: each row shows its order's outcome.
    let shown: Vec<(u32, RowOutcome)> =
        again.results.iter().filter(|r| r.row <= 4).map(|r| (r.row, r.outcome)).collect();
    assert_eq!(shown, [(2, RowOutcome::Approved), (3, RowOutcome::Approved), (4, RowOutcome::Approved)]);
    let refunded = rig.journal.order(PROFILE, "BT-C-2").unwrap().unwrap().refunded_minor;
    assert_eq!(refunded, 1_000, "the refund row refunded once");
    assert_eq!(sent_count(&rig, "REFUND", "BT-C-2"), 1);
    assert_eq!(sent_count(&rig, "CAPTURE", "BT-C-3"), 2);
    assert_eq!(rig.sim.money_movements().len(), 6, "three orders, two captures, one refund");
    let maintenance: Vec<(u32, RowOutcome)> =
        again.results.iter().filter(|r| (5..=7).contains(&r.row)).map(|r| (r.row, r.outcome)).collect();
    assert_eq!(
        maintenance,
        [(5, RowOutcome::Approved), (6, RowOutcome::Approved), (7, RowOutcome::Approved)]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fault_on_a_row_never_charges_it_twice_even_when_run_again() {
    let rig = Rig::new().await;
    for (i, kind) in FAULTS.into_iter().enumerate() {
        let case = format!("{kind:?}");
        let tag = format!("F{i}");
        let reference = format!("BT-{tag}-3");
        let rows = vec![
            // The only PURCHASE of the file is the faulted row.
            row(
                2,
                job(
                    Operation::Authorization,
                    &format!("BT-{tag}-2"),
                    Some(&format!("{}.00", 11 + i)),
                    "DEMO-VISA-0001",
                ),
            ),
            row(3, job(Operation::Purchase, &reference, Some(&format!("{}.00", 31 + i)), "DEMO-MC-2346")),
        ];
        rig.sim.inject(fault(kind, "PURCHASE"));
        let hash = format!("faults-{i}");
        let first = rig.service.run_batch(plan(&hash, rows.clone()), RunOptions::default()).await.unwrap();
        rig.sim.clear_faults();
        if first.results.iter().any(|r| r.outcome == RowOutcome::Unknown) {
            rig.service.reconcile(Some(PROFILE), &moto_terminal::service::Progress::none()).await.unwrap();
        }
        rig.journal
            .set_batch_state(first.batch.id, moto_terminal::journal::BatchState::Stopped, chrono::Utc::now())
            .unwrap();
        rig.service.run_batch(plan(&hash, rows), RunOptions::default()).await.unwrap();
        assert_agrees_with_truth(&rig, &reference, &case).await;
        // Whatever the fault, after the run and its resumption the customer is charged once: a
        // row APS committed is never sent again, a row it never received is sent again under
        // its own reference.
        let moved = rig.movements(&reference).iter().filter(|m| m.kind == MovementKind::Purchase).count();
        assert_eq!(moved, 1, "{case}: charged exactly once");
        let sent = sent_count(&rig, "PURCHASE", &reference);
        assert!(sent <= 3, "{case}: at most three attempts, got {sent}");
        if kind.commits() {
            assert_eq!(sent, 1, "{case}: APS had it, so it was never sent again");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sale_row_naming_an_order_this_file_did_not_send_is_refused_never_taken_as_its_own() {
    use moto_terminal::aps::response::Kind;
    use moto_terminal::service::Progress;
    let rig = Rig::new().await;
    // Keyed at a desk: one approved, one that never reached APS (which a row must not resend).
    for (reference, amount, lost) in [("MEMBER-42", "50.00", false), ("MEMBER-43", "51.00", true)] {
        let mut draft = rig.token_sale("DEMO-MC-2346", amount);
        draft.merchant_reference = reference.into();
        if lost {
            rig.sim.inject(fault(moto_terminal::sim::FaultKind::DropBeforeCommit, "PURCHASE"));
        }
        let outcome = rig.service.charge(draft, &Progress::none()).await.unwrap();
        rig.sim.clear_faults();
        assert_eq!(outcome.verdict.kind == Kind::Approved, !lost, "{reference}: {:?}", outcome.verdict);
    }
    let rows = vec![
        row(2, job(Operation::Purchase, "MEMBER-42", Some("30.00"), "DEMO-VISA-0001")),
        row(3, job(Operation::Purchase, "MEMBER-43", Some("30.00"), "DEMO-VISA-0001")),
    ];
    let run = rig.service.run_batch(plan("foreign", rows), RunOptions::default()).await.unwrap();
    for (result, reference) in run.results.iter().zip(["MEMBER-42", "MEMBER-43"]) {
        assert_eq!(result.outcome, RowOutcome::Invalid, "{result:?}");
        let said = &result.response_message;
        assert!(said.contains(&format!("'{reference}' is already another charge")), "{said}");
        assert_eq!(sent_count(&rig, "PURCHASE", reference), 1, "{reference}: only the desk's request");
    }
    assert_eq!(rig.sim.money_movements().len(), 1, "the desk's approved charge alone");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_whose_end_cannot_be_recorded_still_reports_its_rows() {
    let rig = Rig::new().await;
    // The journal refuses to mark any batch finished (as a full disk would, at that moment).
    let conn = rusqlite::Connection::open(rig.dir.path().join("journal.sqlite3")).unwrap();
    conn.execute_batch(
        "CREATE TRIGGER no_end BEFORE UPDATE OF state ON batches WHEN NEW.state = 'finished'
         BEGIN SELECT RAISE(ABORT, 'disk full'); END;",
    )
    .unwrap();
    let rows = vec![row(2, job(Operation::Purchase, "BT-E-2", Some("21.00"), "DEMO-VISA-0001"))];
    let run = rig
        .service
        .run_batch(plan("end", rows), RunOptions::default())
        .await
        .expect("not 'nothing was sent'");
    assert_eq!(run.results[0].outcome, RowOutcome::Approved);
    assert_eq!(sent_count(&rig, "PURCHASE", "BT-E-2"), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_edited_after_a_run_reports_its_charged_rows_never_refuses_or_charges_them_again() {
    let rig = Rig::new().await;
    let sale = || row(2, job(Operation::Purchase, "BT-EDIT-2", Some("19.00"), "DEMO-VISA-0001"));
    let first =
        rig.service.run_batch(plan("before-edit", vec![sale()]), RunOptions::default()).await.unwrap();
    assert_eq!(first.results[0].outcome, RowOutcome::Approved);
    // A row fixed further down makes another file (another hash); this row is the same charge.
    let fixed = row(3, job(Operation::Purchase, "BT-EDIT-3", Some("7.00"), "DEMO-MC-2346"));
    let again =
        rig.service.run_batch(plan("after-edit", vec![sale(), fixed]), RunOptions::default()).await.unwrap();
    assert_eq!(again.results[0].outcome, RowOutcome::Approved, "{:?}", again.results[0]);
    assert_eq!(sent_count(&rig, "PURCHASE", "BT-EDIT-2"), 1, "never charged again");
}
