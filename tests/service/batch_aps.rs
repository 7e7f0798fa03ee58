//! `batch run --via aps` through the service against the simulator: the checked rows go as one
//! file through UPLOAD_BATCH_FILE, GET_BATCH_RESULTS and PROCESS_BATCH, and every row is booked
//! in the journal as a single request's answer would be. A run cut off at any step carries on
//! under the same batch reference: never a second upload of a batch APS has, never a row
//! charged or booked twice.

use super::rig::{PROFILE, Rig};
use moto_terminal::aps::Operation;
use moto_terminal::aps::command::ChargeKind;
use moto_terminal::aps::money::{Currency, Money};
use moto_terminal::journal::{ApsStage, BatchState, OpState, OrderKind, OrderState};
use moto_terminal::service::Progress;
use moto_terminal::service::batch::outcome::{RowOutcome, RowResult, results_csv};
use moto_terminal::service::batch::run::{BatchJob, BatchPlan, PlanRow, RunOptions};
use moto_terminal::sim::{Fault, FaultKind, MovementKind};

fn aed(text: &str) -> Money {
    Money::parse(text, Currency::parse("AED").unwrap()).unwrap()
}

fn row(n: u32, op: Operation, reference: &str, amount: Option<&str>, token: &str) -> PlanRow {
    let job = BatchJob {
        op,
        merchant_reference: reference.into(),
        money: amount.map(aed),
        token_name: token.into(),
        customer_email: "member@example.com".into(),
        customer_name: "Member".into(),
        description: "monthly membership".into(),
        agreement_id: if op == Operation::Purchase { format!("AGR{n}") } else { String::new() },
        new_reference: false,
    };
    PlanRow {
        row: n,
        operation: op.wire_name().to_lowercase(),
        merchant_reference: reference.into(),
        amount: job.money,
        job: Ok(job),
    }
}

fn plan(hash: &str, rows: Vec<PlanRow>) -> BatchPlan {
    BatchPlan {
        profile: PROFILE.into(),
        file_name: "members.csv".into(),
        file_hash: hash.into(),
        source: None,
        rows,
    }
}

/// Requests the simulator received for a batch command, with their answers.
fn batch_calls(rig: &Rig, command: &str) -> Vec<Option<String>> {
    rig.sim
        .requests()
        .into_iter()
        .filter(|r| r.command.as_deref() == Some(command))
        .map(|r| r.response_code)
        .collect()
}

fn outcomes(results: &[RowResult]) -> Vec<(u32, RowOutcome)> {
    results.iter().map(|r| (r.row, r.outcome)).collect()
}

/// An authorization and a sale made earlier, one at a time, for the file's capture and refund.
async fn earlier_orders(rig: &Rig, tag: &str) -> (String, String) {
    let mut auth = rig.token_sale("DEMO-MC-2346", "100.00");
    auth.kind = ChargeKind::AuthorizeOnly;
    auth.merchant_reference = format!("EARLY-{tag}-A");
    let mut sale = rig.token_sale("DEMO-AMEX-4564", "80.00");
    sale.merchant_reference = format!("EARLY-{tag}-S");
    let progress = Progress::none();
    let a = rig.service.charge(auth, &progress).await.unwrap();
    let s = rig.service.charge(sale, &progress).await.unwrap();
    assert_eq!(
        (a.verdict.kind, s.verdict.kind),
        (moto_terminal::aps::response::Kind::Approved, moto_terminal::aps::response::Kind::Approved)
    );
    (a.merchant_reference, s.merchant_reference)
}

/// Two recurring sales, a capture and a refund of earlier orders, and an invalid row.
async fn members(rig: &Rig, hash: &str, tag: &str) -> BatchPlan {
    let (auth, sale) = earlier_orders(rig, tag).await;
    let mut rows = vec![
        row(2, Operation::Purchase, &format!("M-{tag}-2"), Some("30.00"), "DEMO-VISA-0001"),
        row(3, Operation::Capture, &auth, Some("60.00"), ""),
        row(4, Operation::Purchase, &format!("M-{tag}-4"), Some("45.00"), "DEMO-MC-2346"),
        row(5, Operation::Refund, &sale, Some("20.00"), ""),
    ];
    rows.push(PlanRow {
        row: 6,
        operation: "sale".into(),
        merchant_reference: String::new(),
        amount: None,
        job: Err("row 6: currency 'XYZ' is not an ISO 4217 code: use a code such as AED".into()),
    });
    plan(hash, rows)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_row_of_the_file_is_booked_from_the_aps_results() {
    let rig = Rig::new().await;
    let plan = members(&rig, "aps-h1", "A").await;
    let before = rig.sim.money_movements().len();
    let run = rig.service.run_batch_via_aps(plan.clone(), RunOptions::default()).await.unwrap();
    use RowOutcome::*;
    assert_eq!(
        outcomes(&run.results),
        [(2, Approved), (3, Approved), (4, Approved), (5, Approved), (6, Invalid)]
    );
    assert!(!run.resumed);
    assert_eq!((run.batch.via.as_str(), run.batch.state), ("aps", BatchState::Finished));
    assert_eq!(batch_calls(&rig, "UPLOAD_BATCH_FILE"), [Some("50000".to_owned())]);
    assert_eq!(batch_calls(&rig, "PROCESS_BATCH"), [Some("72147".to_owned())]);
    assert_eq!(rig.sim.money_movements().len() - before, 4, "two purchases, a capture, a refund");
    assert!(
        rig.sim.requests().iter().all(|r| !r
            .merchant_reference
            .as_deref()
            .unwrap_or_default()
            .starts_with("M-A-")),
        "no row went row by row"
    );

    // Booked as single answers are: the order, its money, its Fort ID, its timeline.
    let sale = rig.journal.order(PROFILE, "M-A-2").unwrap().unwrap();
    assert_eq!(
        (sale.kind, sale.state, sale.captured_minor),
        (OrderKind::Recurring, OrderState::Captured, 3_000)
    );
    let truth = rig.sim.order("M-A-2").unwrap();
    assert_eq!(sale.fort_id.as_deref(), Some(truth.fort_id.as_str()));
    assert_eq!(rig.journal.order(PROFILE, "EARLY-A-A").unwrap().unwrap().captured_minor, 6_000);
    assert_eq!(rig.journal.order(PROFILE, "EARLY-A-S").unwrap().unwrap().refunded_minor, 2_000);
    let timeline = rig.journal.timeline(PROFILE, "M-A-2").unwrap();
    assert_eq!(timeline.len(), 1);
    assert_eq!((timeline[0].state, timeline[0].response_code.as_deref()), (OpState::Approved, Some("14000")));
    let aps = rig.journal.aps_batch(run.batch.id).unwrap().unwrap();
    assert_eq!(aps.stage, ApsStage::Finished);
    assert!(aps.reference.starts_with("MTB-") && aps.batch_id.is_some());

    let csv = results_csv(&run.results);
    assert!(csv.lines().nth(1).unwrap().starts_with("2,purchase,M-A-2,30.00,AED,approved,14000,"), "{csv}");
    assert!(csv.contains(&truth.fort_id));
    let (_, shown) = rig.service.batch_results(run.batch.id).await.unwrap().unwrap();
    assert_eq!(outcomes(&shown), outcomes(&run.results), "batch show reads the same back");

    // The same file again: the batch is finished under its reference; nothing goes to APS.
    let sent = rig.sim.requests().len();
    let again = rig.service.run_batch_via_aps(plan, RunOptions::default()).await.unwrap();
    assert!(again.resumed);
    assert_eq!(outcomes(&again.results), outcomes(&run.results));
    assert_eq!(rig.sim.requests().len(), sent);
    let (_, shown) = rig.service.batch_results(run.batch.id).await.unwrap().unwrap();
    assert_eq!(outcomes(&shown), outcomes(&run.results), "batch show reads the same back");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_row_aps_declines_shows_as_declined() {
    let rig = Rig::new().await;
    let rows = vec![
        row(2, Operation::Purchase, "D-2", Some("25.00"), "DEMO-VISA-DECLINED-0242"),
        row(3, Operation::Purchase, "D-3", Some("10.51"), "DEMO-VISA-0001"),
        row(4, Operation::Purchase, "D-4", Some("12.00"), "DEMO-VISA-0001"),
    ];
    let run = rig.service.run_batch_via_aps(plan("aps-h2", rows), RunOptions::default()).await.unwrap();
    use RowOutcome::*;
    assert_eq!(outcomes(&run.results), [(2, Declined), (3, Declined), (4, Approved)]);
    assert_eq!(run.results[0].response_code, "13666");
    assert_eq!(run.results[1].response_code, "13029");
    for reference in ["D-2", "D-3"] {
        let order = rig.journal.order(PROFILE, reference).unwrap().unwrap();
        assert_eq!((order.state, order.captured_minor), (OrderState::Declined, 0), "{reference}");
    }
    assert!(rig.sim.money_movements().iter().all(|m| m.merchant_reference == "D-4"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_cut_off_after_the_upload_carries_on_without_a_second_upload() {
    let rig = Rig::new().await;
    let plan = members(&rig, "aps-h3", "C").await;
    let before = rig.sim.money_movements().len();
    // APS cannot be asked for results: the run gives up after its back-off, the file at APS.
    let mut unreachable = Fault::new(FaultKind::Http500Uncommitted).for_command("GET_BATCH_RESULTS");
    unreachable.count = 50;
    rig.sim.inject(unreachable);
    let cut = rig.service.run_batch_via_aps(plan.clone(), RunOptions::default()).await.unwrap();
    rig.sim.clear_faults();
    assert_eq!(cut.batch.state, BatchState::Stopped);
    let unknown: Vec<_> = cut.results.iter().filter(|r| r.outcome == RowOutcome::Unknown).collect();
    assert_eq!(unknown.len(), 4, "{:?}", cut.results);
    assert!(
        unknown[0].response_message.contains("run the same command again"),
        "{}",
        unknown[0].response_message
    );
    assert_eq!(rig.journal.aps_batch(cut.batch.id).unwrap().unwrap().stage, ApsStage::Uploaded);
    assert_eq!(rig.sim.money_movements().len(), before, "nothing was processed");
    // Reconciliation leaves the rows to the batch: it asks APS nothing about them.
    let asked = rig.sim.requests().len();
    let settled = rig.service.reconcile(Some(PROFILE), &Progress::none()).await.unwrap();
    assert!(settled.is_empty(), "{settled:?}");
    assert_eq!(rig.sim.requests().len(), asked);
    // Meanwhile the file cannot be run row by row.
    let e = rig.service.run_batch(plan.clone(), RunOptions::default()).await.unwrap_err();
    assert!(e.to_string().contains("--via aps"), "{e}");

    let again = rig.service.run_batch_via_aps(plan.clone(), RunOptions::default()).await.unwrap();
    assert!(again.resumed);
    assert_eq!(again.batch.id, cut.batch.id);
    use RowOutcome::*;
    assert_eq!(
        outcomes(&again.results),
        [(2, Approved), (3, Approved), (4, Approved), (5, Approved), (6, Invalid)]
    );
    assert_eq!(batch_calls(&rig, "UPLOAD_BATCH_FILE").len(), 1, "the batch APS had was never uploaded again");
    assert_eq!(batch_calls(&rig, "PROCESS_BATCH").len(), 1);
    assert_eq!(rig.sim.money_movements().len() - before, 4, "every row charged once");

    // Booked once: a third run changes nothing and sends nothing.
    let sent = rig.sim.requests().len();
    let third = rig.service.run_batch_via_aps(plan, RunOptions::default()).await.unwrap();
    assert_eq!(outcomes(&third.results), outcomes(&again.results));
    assert_eq!(rig.sim.requests().len(), sent);
    for reference in ["M-C-2", "M-C-4"] {
        let timeline = rig.journal.timeline(PROFILE, reference).unwrap();
        assert_eq!(timeline.len(), 1, "{reference}: one charge, booked once");
        let moved = rig.movements(reference).iter().filter(|m| m.kind == MovementKind::Purchase).count();
        assert_eq!(moved, 1, "{reference}");
    }
    let captures = rig.journal.timeline(PROFILE, "EARLY-C-A").unwrap();
    assert_eq!(captures.iter().filter(|o| o.operation == Operation::Capture).count(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_whose_answer_was_lost_is_found_by_its_reference_146_and_carries_on() {
    let rig = Rig::new().await;
    let rows = vec![
        row(2, Operation::Purchase, "L-2", Some("15.00"), "DEMO-VISA-0001"),
        row(3, Operation::Purchase, "L-3", Some("16.00"), "DEMO-MC-2346"),
    ];
    let plan = plan("aps-h4", rows);
    // APS took the file, and the answer never came back.
    rig.sim.inject(Fault::new(FaultKind::DropAfterCommit).for_command("UPLOAD_BATCH_FILE"));
    let cut = rig.service.run_batch_via_aps(plan.clone(), RunOptions::default()).await.unwrap();
    assert_eq!(cut.batch.state, BatchState::Stopped);
    assert!(cut.results.iter().all(|r| r.outcome == RowOutcome::Unknown), "{:?}", cut.results);
    let aps = rig.journal.aps_batch(cut.batch.id).unwrap().unwrap();
    assert_eq!(aps.stage, ApsStage::Uploading, "whether APS has it is unknown");

    let again = rig.service.run_batch_via_aps(plan, RunOptions::default()).await.unwrap();
    assert_eq!(outcomes(&again.results), [(2, RowOutcome::Approved), (3, RowOutcome::Approved)]);
    // The second upload went under the same reference, and APS's 146 meant: carry on.
    assert_eq!(batch_calls(&rig, "UPLOAD_BATCH_FILE"), [Some("50000".to_owned()), Some("51146".to_owned())]);
    assert_eq!(batch_calls(&rig, "PROCESS_BATCH"), [Some("72147".to_owned())]);
    let aps = rig.journal.aps_batch(again.batch.id).unwrap().unwrap();
    assert_eq!(aps.reference, rig.journal.aps_batch(cut.batch.id).unwrap().unwrap().reference);
    assert_eq!(aps.code.as_deref(), Some("51146"));
    assert!(aps.note.unwrap_or_default().contains("already has a batch under this batch reference"));
    for reference in ["L-2", "L-3"] {
        assert_eq!(rig.movements(reference).len(), 1, "{reference}: charged once");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_command_line_sends_the_file_through_aps_with_via_aps() {
    use super::cli::{CliRig, text};
    let rig = CliRig::new("batch-via-aps").await;
    let file = rig.dir.path().join("members.csv");
    std::fs::write(
        &file,
        "operation,merchant_reference,amount,currency,token_name,customer_email,agreement_id\r\n\
         sale,VA-1,30.00,AED,DEMO-VISA-0001,one@example.com,AGR1\r\n\
         sale,VA-2,12.00,AED,DEMO-VISA-DECLINED-0242,two@example.com,AGR2\r\n\
         authorize,VA-3,10.00,AED,DEMO-MC-2346,three@example.com,\r\n",
    )
    .unwrap();
    let path = file.to_str().unwrap();
    let refused = rig.run(&["batch", "run", path, "--profile", &rig.profile, "--via", "aps"]).await;
    assert_eq!(refused.status.code(), Some(2), "{}", text(&refused.stderr));
    assert!(text(&refused.stdout).contains("row 4: operation '"), "{}", text(&refused.stdout));
    assert!(rig.sim.requests().is_empty(), "nothing sent");

    let results = rig.dir.path().join("results.csv");
    let args = ["--via", "aps", "--skip-invalid", "--results", results.to_str().unwrap()];
    let run = rig.run(&[&["batch", "run", path, "--profile", &rig.profile][..], &args[..]].concat()).await;
    assert_eq!(run.status.code(), Some(1), "{}{}", text(&run.stdout), text(&run.stderr));
    assert!(text(&run.stdout).contains("1 approved, 1 declined, 1 invalid"), "{}", text(&run.stdout));
    let written = std::fs::read_to_string(&results).unwrap();
    let lines: Vec<&str> = written.lines().collect();
    assert!(lines[1].starts_with("2,sale,VA-1,30.00,AED,approved,14000,"), "{written}");
    assert!(lines[2].starts_with("3,sale,VA-2,12.00,AED,declined,13666,"), "{written}");
    assert!(lines[3].starts_with("4,"), "{written}");
    assert!(lines[3].contains(",invalid,"), "{written}");
    let commands: Vec<_> = rig.sim.requests().into_iter().filter_map(|r| r.command).collect();
    assert_eq!(commands.iter().filter(|c| *c == "UPLOAD_BATCH_FILE").count(), 1);
    assert!(!commands.iter().any(|c| c == "PURCHASE" || c == "AUTHORIZATION"), "{commands:?}");

    // `batch show` says where the batch stands at APS as well as what each row did.
    let list = rig.run(&["batch", "list"]).await;
    let id = text(&list.stdout).split('\t').next().unwrap().trim().to_owned();
    let show = text(&rig.run(&["batch", "show", &id]).await.stdout);
    let aps = show.lines().nth(1).unwrap_or_default();
    assert!(aps.starts_with("APS batch MTB-") && aps.contains(": finished"), "{show}");
    assert!(show.contains("VA-2\tAED 12.00\tdeclined\t13666"), "{show}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn process_batch_is_sent_again_only_when_the_results_prove_it_did_not_take() {
    let rig = Rig::new().await;
    let cases =
        [(FaultKind::DropBeforeCommit, "P1", 2, "21.00"), (FaultKind::DropAfterCommit, "P2", 1, "22.00")];
    for (kind, tag, sends, amount) in cases {
        let before = batch_calls(&rig, "PROCESS_BATCH").len();
        let rows = vec![row(2, Operation::Purchase, &format!("{tag}-2"), Some(amount), "DEMO-VISA-0001")];
        rig.sim.inject(Fault::new(kind).for_command("PROCESS_BATCH"));
        let run = rig.service.run_batch_via_aps(plan(tag, rows), RunOptions::default()).await.unwrap();
        rig.sim.clear_faults();
        assert_eq!(outcomes(&run.results), [(2, RowOutcome::Approved)], "{kind:?}: {:?}", run.results);
        // Lost before APS took it: the results still said "checked, not processed", so it was
        // sent again. Lost after: the results came, and it was never sent again.
        assert_eq!(batch_calls(&rig, "PROCESS_BATCH").len() - before, sends, "{kind:?}");
        assert_eq!(rig.movements(&format!("{tag}-2")).len(), 1, "{kind:?}: charged once");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stop_before_processing_sends_nothing_more_and_the_same_file_carries_on() {
    let rig = Rig::new().await;
    let rows = vec![row(2, Operation::Purchase, "S-2", Some("19.00"), "DEMO-VISA-0001")];
    let stopped = RunOptions::default();
    stopped.stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let cut = rig.service.run_batch_via_aps(plan("aps-stop", rows.clone()), stopped).await.unwrap();
    assert_eq!(cut.batch.state, BatchState::Stopped);
    assert_eq!(outcomes(&cut.results), [(2, RowOutcome::Unknown)]);
    assert!(
        cut.results[0].response_message.contains("stopped before"),
        "{}",
        cut.results[0].response_message
    );
    assert!(rig.sim.requests().is_empty(), "nothing went to APS");
    let again = rig.service.run_batch_via_aps(plan("aps-stop", rows), RunOptions::default()).await.unwrap();
    assert_eq!(outcomes(&again.results), [(2, RowOutcome::Approved)]);
    assert_eq!(batch_calls(&rig, "UPLOAD_BATCH_FILE").len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_aps_refuses_charges_nothing_and_books_every_row_as_not_sent() {
    let rig = Rig::new().await;
    // An order taken at another terminal under a reference this file uses: this journal does
    // not know it, APS does, so APS's validation fails the whole file (136).
    let (elsewhere, _journal, _dir) = rig.other_installation();
    let mut taken = rig.token_sale("DEMO-MC-2346", "11.00");
    taken.merchant_reference = "RF-3".into();
    elsewhere.charge(taken, &Progress::none()).await.unwrap();
    let before = rig.sim.money_movements().len();
    let rows = vec![
        row(2, Operation::Purchase, "RF-2", Some("10.00"), "DEMO-VISA-0001"),
        row(3, Operation::Purchase, "RF-3", Some("12.00"), "DEMO-VISA-0001"),
    ];
    let run = rig
        .service
        .run_batch_via_aps(plan("aps-refused", rows.clone()), RunOptions::default())
        .await
        .unwrap();
    assert_eq!(outcomes(&run.results), [(2, RowOutcome::NotSent), (3, RowOutcome::NotSent)]);
    assert_eq!(run.batch.state, BatchState::Finished);
    let said = &run.results[0].response_message;
    assert!(said.contains("refused it") && said.contains("77136"), "{said}");
    assert_eq!(rig.sim.money_movements().len(), before, "no row of a refused file ran");
    assert!(batch_calls(&rig, "PROCESS_BATCH").is_empty(), "a refused file is never processed");
    let aps = rig.journal.aps_batch(run.batch.id).unwrap().unwrap();
    assert_eq!((aps.stage, aps.code.as_deref()), (ApsStage::Refused, Some("77136")));
    for reference in ["RF-2", "RF-3"] {
        let order = rig.journal.order(PROFILE, reference).unwrap().unwrap();
        assert_eq!(order.captured_minor, 0, "{reference}: booked as not charged");
    }
    // Reconciliation has nothing to ask about them, and the same file sends nothing again.
    let settled = rig.service.reconcile(Some(PROFILE), &Progress::none()).await.unwrap();
    assert!(settled.is_empty(), "{settled:?}");
    let sent = rig.sim.requests().len();
    let again =
        rig.service.run_batch_via_aps(plan("aps-refused", rows), RunOptions::default()).await.unwrap();
    assert_eq!(outcomes(&again.results), outcomes(&run.results));
    assert_eq!(rig.sim.requests().len(), sent);
    let (_, shown) = rig.service.batch_results(run.batch.id).await.unwrap().unwrap();
    assert_eq!(outcomes(&shown), outcomes(&run.results), "batch show reads the same back");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_lost_before_aps_took_it_goes_again_under_the_same_reference() {
    let rig = Rig::new().await;
    let rows = vec![row(2, Operation::Purchase, "UL-2", Some("14.00"), "DEMO-VISA-0001")];
    rig.sim.inject(Fault::new(FaultKind::DropBeforeCommit).for_command("UPLOAD_BATCH_FILE"));
    let cut =
        rig.service.run_batch_via_aps(plan("aps-lost", rows.clone()), RunOptions::default()).await.unwrap();
    assert_eq!(outcomes(&cut.results), [(2, RowOutcome::Unknown)]);
    let first = rig.journal.aps_batch(cut.batch.id).unwrap().unwrap();
    assert_eq!(first.stage, ApsStage::Uploading);
    let again = rig.service.run_batch_via_aps(plan("aps-lost", rows), RunOptions::default()).await.unwrap();
    assert_eq!(outcomes(&again.results), [(2, RowOutcome::Approved)]);
    // APS never had it, so the same reference was free: the second upload was taken.
    assert_eq!(batch_calls(&rig, "UPLOAD_BATCH_FILE"), [None, Some("50000".to_owned())]);
    let aps = rig.journal.aps_batch(again.batch.id).unwrap().unwrap();
    assert_eq!((aps.reference, aps.stage), (first.reference, ApsStage::Finished));
    assert_eq!(rig.movements("UL-2").len(), 1, "charged once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_aps_no_longer_holds_after_the_upload_is_uploaded_again_and_charged_once() {
    let rig = Rig::new().await;
    let rows = vec![
        row(2, Operation::Purchase, "GONE-2", Some("17.00"), "DEMO-VISA-0001"),
        row(3, Operation::Purchase, "GONE-3", Some("18.00"), "DEMO-MC-2346"),
    ];
    let mut unreachable = Fault::new(FaultKind::Http500Uncommitted).for_command("GET_BATCH_RESULTS");
    unreachable.count = 50;
    rig.sim.inject(unreachable);
    let cut =
        rig.service.run_batch_via_aps(plan("aps-gone", rows.clone()), RunOptions::default()).await.unwrap();
    rig.sim.clear_faults();
    let first = rig.journal.aps_batch(cut.batch.id).unwrap().unwrap();
    assert_eq!(first.stage, ApsStage::Uploaded);
    // Meanwhile APS dropped the batch it never processed: asked for results, it answers 141.
    assert_eq!(rig.sim.discard_unprocessed_batches(), 1);

    let again = rig.service.run_batch_via_aps(plan("aps-gone", rows), RunOptions::default()).await.unwrap();
    assert_eq!(outcomes(&again.results), [(2, RowOutcome::Approved), (3, RowOutcome::Approved)]);
    assert!(batch_calls(&rig, "GET_BATCH_RESULTS").contains(&Some("71141".to_owned())));
    // Uploaded again under the same reference (APS takes a reference once), processed once.
    assert_eq!(batch_calls(&rig, "UPLOAD_BATCH_FILE"), [Some("50000".to_owned()), Some("50000".to_owned())]);
    assert_eq!(batch_calls(&rig, "PROCESS_BATCH"), [Some("72147".to_owned())]);
    let aps = rig.journal.aps_batch(again.batch.id).unwrap().unwrap();
    assert_eq!((aps.reference, aps.stage), (first.reference, ApsStage::Finished));
    for reference in ["GONE-2", "GONE-3"] {
        assert_eq!(rig.movements(reference).len(), 1, "{reference} charged once");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_file_aps_queues_148_is_waited_for_and_booked() {
    let rig = Rig::new().await;
    let rows: Vec<PlanRow> = (2..53)
        // Each its own amount: the same card and amount twice would be held as a possible duplicate.
        .map(|n| row(n, Operation::Purchase, &format!("Q-{n}"), Some(&format!("{n}.00")), "DEMO-VISA-0001"))
        .collect();
    let run = rig.service.run_batch_via_aps(plan("aps-queued", rows), RunOptions::default()).await.unwrap();
    assert_eq!(run.batch.state, BatchState::Finished);
    assert_eq!(run.results.len(), 51);
    assert!(run.results.iter().all(|r| r.outcome == RowOutcome::Approved), "{:?}", outcomes(&run.results));
    assert_eq!(batch_calls(&rig, "PROCESS_BATCH"), [Some("72148".to_owned())], "queued, once");
    let still =
        batch_calls(&rig, "GET_BATCH_RESULTS").iter().filter(|c| c.as_deref() == Some("71140")).count();
    assert_eq!(still, 3, "the terminal waited through APS's queue");
    assert_eq!(rig.sim.money_movements().len(), 51, "each row charged once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_through_aps_is_audited_at_its_start_and_end() {
    let rig = Rig::new().await;
    let rows = vec![row(2, Operation::Purchase, "AU-2", Some("12.00"), "DEMO-VISA-0001")];
    let run = rig.service.run_batch_via_aps(plan("aps-audit", rows), RunOptions::default()).await.unwrap();
    let entries = rig.service.audit_entries(None, None).await.unwrap();
    let of = |action: &str| entries.iter().find(|e| e.action == action).map(|e| e.detail.clone());
    let start = of("batch-start").expect("the start is in the trail");
    assert!(start.contains(&format!("batch {} via APS", run.batch.id)), "{start}");
    let end = of("batch-end").expect("the end is in the trail");
    assert!(end.contains("1 approved"), "{end}");
}
