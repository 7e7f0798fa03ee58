//! The other ways into a batch: Pause and go on, an unfinished batch read again from its file
//! (only if the file is unchanged), and captures chosen in History run as a batch.

use super::rig::{PROFILE, Rig};
use moto_terminal::journal::BatchState;
use moto_terminal::service::batch::outcome::RowOutcome;
use moto_terminal::service::batch::run::RunOptions;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

fn write(rig: &Rig, name: &str, content: &str) -> PathBuf {
    let path = rig.dir.path().join(name);
    std::fs::write(&path, content).unwrap();
    path
}

fn sales(tag: &str, rows: usize) -> String {
    let mut csv = String::from("operation,merchant_reference,amount,currency,token_name,customer_email\n");
    for i in 0..rows {
        csv.push_str(&format!("sale,ST-{tag}-{i},{}.00,AED,DEMO-VISA-0001,member@example.com\n", 10 + i));
    }
    csv
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paused_run_starts_no_row_until_it_goes_on() {
    let rig = Rig::new().await;
    let path = write(&rig, "paused.csv", &sales("P", 4));
    let checked = rig.service.check_batch_file(PROFILE, path).await.unwrap();
    let pause = Arc::new(AtomicBool::new(true));
    let options = RunOptions { pause: pause.clone(), ..RunOptions::default() };
    let service = rig.service.clone();
    let run = tokio::spawn(async move { service.run_batch(checked.plan, options).await });
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert!(rig.sim.money_movements().is_empty(), "nothing is sent while paused");
    assert!(!run.is_finished());
    pause.store(false, Ordering::SeqCst);
    let run = run.await.unwrap().unwrap();
    assert!(run.results.iter().all(|r| r.outcome == RowOutcome::Approved), "{:?}", run.results);
    assert_eq!(rig.sim.money_movements().len(), 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unfinished_batch_is_offered_and_reopened_from_its_unchanged_file() {
    let rig = Rig::new().await;
    let path = write(&rig, "stack.csv", &sales("R", 6));
    let checked = rig.service.check_batch_file(PROFILE, path.clone()).await.unwrap();
    // Stop after the first row settles: the rest stay unsent.
    let stop = Arc::new(AtomicBool::new(false));
    let seen = Arc::new(AtomicUsize::new(0));
    let (flag, count) = (stop.clone(), seen.clone());
    let options = RunOptions {
        concurrency: 1,
        stop: stop.clone(),
        on_row: Arc::new(move |_| {
            count.fetch_add(1, Ordering::SeqCst);
            flag.store(true, Ordering::SeqCst);
        }),
        ..RunOptions::default()
    };
    let first = rig.service.run_batch(checked.plan, options).await.unwrap();
    assert_eq!(first.batch.state, BatchState::Stopped);
    let sent = rig.sim.money_movements().len();
    assert!((1..6).contains(&sent), "stopped part-way: {sent} sent");

    let unfinished = rig.service.unfinished_batches(PROFILE).await.unwrap();
    assert_eq!(unfinished.len(), 1);
    assert_eq!(unfinished[0].file_path.as_deref(), Some(path.display().to_string().as_str()));
    assert!(rig.service.unfinished_batches("Another merchant").await.unwrap().is_empty());

    let again = rig.service.reopen_batch(first.batch.id).await.unwrap();
    let done = rig.service.run_batch(again.plan, RunOptions::default()).await.unwrap();
    assert!(done.resumed);
    assert_eq!(done.batch.id, first.batch.id);
    assert!(done.results.iter().all(|r| r.outcome == RowOutcome::Approved), "{:?}", done.results);
    assert_eq!(rig.sim.money_movements().len(), 6, "each row charged once in all");
    assert!(rig.service.unfinished_batches(PROFILE).await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_changed_file_is_not_resumed_as_the_same_batch() {
    let rig = Rig::new().await;
    let path = write(&rig, "changed.csv", &sales("C", 3));
    let checked = rig.service.check_batch_file(PROFILE, path.clone()).await.unwrap();
    let stop = Arc::new(AtomicBool::new(true));
    let stopped =
        rig.service.run_batch(checked.plan, RunOptions { stop, ..RunOptions::default() }).await.unwrap();
    assert_eq!(stopped.batch.state, BatchState::Stopped);
    std::fs::write(&path, sales("C", 4)).unwrap();
    let err = rig.service.reopen_batch(stopped.batch.id).await.unwrap_err().to_string();
    assert!(err.contains("has changed since batch"), "{err}");
    assert!(err.contains("restore the original file"), "{err}");
    std::fs::remove_file(&path).unwrap();
    let err = rig.service.reopen_batch(stopped.batch.id).await.unwrap_err().to_string();
    assert!(err.contains("cannot be read"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn captures_chosen_in_history_run_as_a_batch_of_full_remaining_amounts() {
    let rig = Rig::new().await;
    let auths = "operation,merchant_reference,amount,currency,token_name,customer_email\n\
                 authorize,HC-1,100.00,AED,DEMO-VISA-0001,a@example.com\n\
                 authorize,HC-2,25.50,AED,DEMO-MC-2346,b@example.com\n";
    let checked = rig.service.check_batch_file(PROFILE, write(&rig, "auths.csv", auths)).await.unwrap();
    rig.service.run_batch(checked.plan, RunOptions::default()).await.unwrap();

    let capture = rig.service.capture_batch(PROFILE, vec!["HC-2".into(), "HC-1".into()]).await.unwrap();
    assert!(capture.problems.is_empty(), "{:?}", capture.problems);
    assert_eq!(capture.totals, "AED 125.50");
    let rows: Vec<(String, String)> =
        capture.plan.rows.iter().map(|r| (r.operation.clone(), r.merchant_reference.clone())).collect();
    assert_eq!(rows, [("capture".into(), "HC-2".into()), ("capture".into(), "HC-1".into())]);
    let kept = capture.plan.source.clone().expect("the captures are kept as a file beside the journal");
    assert!(kept.starts_with(rig.dir.path().join("batches")), "{}", kept.display());
    assert!(std::fs::read_to_string(&kept).unwrap().contains("capture,\"HC-1\",100.00,AED"));

    let run = rig.service.run_batch(capture.plan, RunOptions::default()).await.unwrap();
    assert!(run.results.iter().all(|r| r.outcome == RowOutcome::Approved), "{:?}", run.results);
    for (reference, minor) in [("HC-1", 10_000), ("HC-2", 2_550)] {
        assert_eq!(rig.journal.order(PROFILE, reference).unwrap().unwrap().captured_minor, minor);
    }
    let err = rig.service.capture_batch(PROFILE, vec!["HC-1".into()]).await.unwrap_err().to_string();
    assert!(err.contains("order HC-1 has nothing left to capture"), "{err}");
    let err = rig.service.capture_batch(PROFILE, Vec::new()).await.unwrap_err().to_string();
    assert!(err.contains("select at least one authorized order"), "{err}");
}
