//! Recurring agreements from the command line: cycles, pause, resume and cancel.

use super::cli::{CliRig, text};
use chrono::Datelike;
use moto_terminal::service::Cycle;
use std::process::Output;

/// `recurring add --existing` (an agreement already set up with APS: nothing charged) on the
/// rig's profile for a member, with `extra` flags.
async fn add(rig: &CliRig, token: &str, amount: &str, agreement: &str, extra: &[&str]) -> Output {
    let p = rig.profile.as_str();
    let base =
        ["recurring", "add", "--profile", p, "--token", token, "--amount", amount, "--currency", "AED"];
    let member = ["--email", "m@example.com", "--agreement-id", agreement, "--existing"];
    rig.run(&[&base[..], &member[..], extra].concat()).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paused_agreement_is_not_charged_until_it_is_resumed() {
    let rig = CliRig::new("recurring").await;
    let p = rig.profile.clone();
    let added = add(&rig, "DEMO-VISA-0001", "20", "AGR9", &[]).await;
    assert_eq!(added.status.code(), Some(0), "{}", text(&added.stderr));
    let id = text(&added.stdout).split_whitespace().nth(1).unwrap().to_owned();
    assert_eq!(rig.run(&["recurring", "pause", &id]).await.status.code(), Some(0));
    let list = text(&rig.run(&["recurring", "list", "--profile", &p]).await.stdout);
    assert!(list.contains("paused"), "{list}");
    let charge = rig.run(&["recurring", "charge", "--profile", &p]).await;
    assert!(text(&charge.stdout).contains("no recurring charge is due"), "{}", text(&charge.stdout));
    assert!(rig.sim.requests().is_empty(), "a paused agreement is not charged");

    let resume = rig.run(&["recurring", "resume", &id]).await;
    assert_eq!(
        (resume.status.code(), text(&resume.stdout).trim()),
        (Some(0), format!("agreement {id} resumed").as_str())
    );
    let charge = rig.run(&["recurring", "charge", "--profile", &p]).await;
    assert_eq!(charge.status.code(), Some(0), "{}", text(&charge.stderr));
    assert_eq!(rig.sim.requests().iter().filter(|r| r.command.as_deref() == Some("PURCHASE")).count(), 1);

    let missing = rig.run(&["recurring", "pause", "999"]).await;
    assert_eq!(missing.status.code(), Some(2), "{}", text(&missing.stderr));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_monthly_agreement_from_the_31st_next_runs_on_the_last_day_of_a_shorter_month() {
    let rig = CliRig::new("monthly").await;
    let p = rig.profile.clone();
    let added =
        add(&rig, "DEMO-MC-2346", "25", "AGR31", &["--every", "monthly", "--first-due", "2026-10-31"]).await;
    assert_eq!(added.status.code(), Some(0), "{}", text(&added.stderr));
    let charge = rig.run(&["recurring", "charge", "--profile", &p]).await;
    assert_eq!(charge.status.code(), Some(0), "{}", text(&charge.stderr));
    // A run charges the latest period due (an agreement behind is not charged for each month
    // missed), then the agreement waits for the following one, on the anchor day or the last
    // day of a shorter month.
    let (mut period, today) =
        (chrono::NaiveDate::from_ymd_opt(2026, 10, 31).unwrap(), chrono::Utc::now().date_naive());
    while Cycle::Monthly.next(period, 31) <= today {
        period = Cycle::Monthly.next(period, 31);
    }
    let next = Cycle::Monthly.next(period, 31);
    assert!(next.day() == 30 || next.day() == 31 || next.month() == 2, "{next}");
    let list = text(&rig.run(&["recurring", "list", "--profile", &p]).await.stdout);
    assert!(list.contains(&format!("monthly\tnext {next}")), "{list}");
    let nov = Cycle::Monthly.next(chrono::NaiveDate::from_ymd_opt(2026, 10, 31).unwrap(), 31);
    assert_eq!(nov.to_string(), "2026-11-30", "the 31st falls on the 30th in November");
    let bad = add(&rig, "DEMO-MC-2346", "25", "AGR32", &["--every", "fortnightly"]).await;
    assert_eq!(bad.status.code(), Some(2));
    assert!(text(&bad.stderr).contains("daily, weekly, monthly, annual"), "{}", text(&bad.stderr));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_agreement_is_never_charged_and_cannot_be_resumed() {
    let rig = CliRig::new("cancel").await;
    let p = rig.profile.clone();
    let added = add(&rig, "DEMO-VISA-0001", "20", "AGR10", &[]).await;
    let id = text(&added.stdout).split_whitespace().nth(1).unwrap().to_owned();
    assert_eq!(rig.run(&["recurring", "cancel", &id]).await.status.code(), Some(0));
    assert!(text(&rig.run(&["recurring", "list", "--profile", &p]).await.stdout).contains("cancelled"));
    let resume = rig.run(&["recurring", "resume", &id]).await;
    assert_eq!(resume.status.code(), Some(2));
    assert!(text(&resume.stderr).contains("cannot be resumed"), "{}", text(&resume.stderr));
    let charge = rig.run(&["recurring", "charge", "--profile", &p]).await;
    assert!(text(&charge.stdout).contains("no recurring charge is due"));
    assert!(rig.sim.requests().is_empty());
}
