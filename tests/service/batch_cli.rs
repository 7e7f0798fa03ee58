//! `moto-terminal batch` end to end: check, run with a results file, list and show, invalid
//! files refused, and a run killed with SIGKILL finished by running the same command again.

use super::cli::{CliRig, text};
use moto_terminal::sim::Fault;
use std::path::PathBuf;

const FILE: &str = "\u{feff}operation,merchant_reference,amount,currency,token_name,customer_email,customer_name\r\n\
sale,BC-1,30.00,AED,DEMO-VISA-0001,one@example.com,\"Jane Doe\"\r\n\
authorize,BC-2,100.00,AED,DEMO-MC-2346,two@example.com,Sami\r\n\
capture,BC-2,100.00,AED,,,\r\n\
SALE,BC-3,12.50,AED,DEMO-AMEX-4564,three@example.com,Noor\r\n";

fn write(rig: &CliRig, name: &str, content: &str) -> PathBuf {
    let path = rig.dir.path().join(name);
    std::fs::write(&path, content).unwrap();
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_run_list_and_show() {
    let rig = CliRig::new("batch-cli").await;
    let file = write(&rig, "stack.csv", FILE);
    let path = file.to_str().unwrap();
    let check = rig.run(&["batch", "check", path, "--profile", &rig.profile]).await;
    assert_eq!(check.status.code(), Some(0), "{}{}", text(&check.stdout), text(&check.stderr));
    assert!(text(&check.stdout).contains("4 rows"), "{}", text(&check.stdout));
    assert!(rig.sim.requests().is_empty(), "check sends nothing");

    let results = rig.dir.path().join("results.csv");
    let run = rig
        .run(&["batch", "run", path, "--profile", &rig.profile, "--results", results.to_str().unwrap()])
        .await;
    assert_eq!(run.status.code(), Some(0), "{}{}", text(&run.stdout), text(&run.stderr));
    assert!(text(&run.stdout).contains("4 approved"), "{}", text(&run.stdout));
    let written = std::fs::read_to_string(&results).unwrap();
    let lines: Vec<&str> = written.lines().collect();
    assert!(lines[0].starts_with("row,operation,merchant_reference,amount,currency,outcome"));
    assert_eq!(lines.len(), 5, "{written}");
    assert!(lines[3].starts_with("4,capture,BC-2,100.00,AED,approved,"), "{written}");

    let list = rig.run(&["batch", "list"]).await;
    assert!(text(&list.stdout).contains("stack.csv"), "{}", text(&list.stdout));
    let id = text(&list.stdout).split('\t').next().unwrap().trim().to_owned();
    let show = rig.run(&["batch", "show", &id, "--format", "csv"]).await;
    assert_eq!(text(&show.stdout), written, "show reads the same results from the journal");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invalid_file_is_refused_unless_told_to_skip() {
    let rig = CliRig::new("batch-invalid").await;
    let bad = format!("{FILE}sale,BC-9,1.00,XYZ,DEMO-VISA-0001,nine@example.com,Nine\r\n");
    let file = write(&rig, "bad.csv", &bad);
    let path = file.to_str().unwrap();
    let check = rig.run(&["batch", "check", path, "--profile", &rig.profile]).await;
    assert_eq!(check.status.code(), Some(2));
    assert!(text(&check.stdout).contains("row 6"), "{}", text(&check.stdout));
    let run = rig.run(&["batch", "run", path, "--profile", &rig.profile]).await;
    assert_eq!(run.status.code(), Some(2), "{}", text(&run.stderr));
    assert!(rig.sim.requests().is_empty(), "nothing sent");
    let skip = rig.run(&["batch", "run", path, "--profile", &rig.profile, "--skip-invalid"]).await;
    assert_eq!(skip.status.code(), Some(1), "{}{}", text(&skip.stdout), text(&skip.stderr));
    assert!(text(&skip.stdout).contains("4 approved, 1 invalid"), "{}", text(&skip.stdout));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_killed_mid_way_is_finished_by_running_it_again() {
    let rig = CliRig::new("batch-crash").await;
    let file = write(&rig, "crash.csv", FILE);
    let path = file.to_str().unwrap().to_owned();
    // The third sale hangs at APS (which still commits it): the run is killed while it waits.
    rig.sim.inject(Fault::delay(3000).for_command("PURCHASE").times(3));
    let args = ["batch", "run", &path, "--profile", &rig.profile, "--concurrency", "1"];
    let mut child = rig.command_with_timeout(&args, "30").spawn().unwrap();
    rig.wait_until_sent("BC-1").await;
    child.kill().unwrap();
    let _ = child.wait();
    rig.sim.clear_faults();
    // APS finishes what it was holding; the next run finds it with CHECK_STATUS.
    tokio::time::sleep(std::time::Duration::from_millis(3500)).await;
    let again = rig.run(&args).await;
    assert_eq!(again.status.code(), Some(0), "{}{}", text(&again.stdout), text(&again.stderr));
    assert!(text(&again.stdout).contains("resumed"), "{}", text(&again.stdout));
    for reference in ["BC-1", "BC-2", "BC-3"] {
        let charged = rig.sim.money_movements().iter().filter(|m| m.merchant_reference == reference).count();
        let expected = if reference == "BC-2" { 2 } else { 1 };
        assert_eq!(charged, expected, "{reference}: authorized and captured once, or sold once");
    }
}
