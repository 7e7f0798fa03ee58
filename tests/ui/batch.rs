//! The Batch screen from the keyboard: open a file, see the rows checked, confirm the totals,
//! watch it run, filter the results and export them.

use super::{FakeDialogs, UiRig, press, settle, shows, wait_for_text, wait_until};
use crate::service::rig::PROFILE;
use egui::Key;
use egui_kittest::kittest::Queryable as _;
use moto_terminal::service::batch::run::RunOptions;
use moto_terminal::sim::{Fault, FaultKind, MovementKind};
use moto_terminal::ui::ScreenId;

const FILE: &str = "operation,merchant_reference,amount,currency,token_name,customer_email\n\
sale,UI-B-1,20.00,AED,DEMO-VISA-0001,one@example.com\n\
sale,UI-B-2,5.00,XYZ,DEMO-MC-2346,two@example.com\n\
authorize,UI-B-3,40.00,AED,DEMO-AMEX-4564,three@example.com\n";

#[test]
fn a_file_is_checked_confirmed_run_and_its_results_exported() {
    let ui = UiRig::new();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("stack.csv");
    std::fs::write(&path, FILE).unwrap();
    let mut harness = ui.app(FakeDialogs { answer: Some(path.clone()), ..FakeDialogs::default() });
    press(&mut harness, ScreenId::Batch.key());
    assert_eq!(harness.state().current_screen(), ScreenId::Batch);
    press(&mut harness, Key::Enter);
    wait_for_text(&mut harness, "3 rows");
    assert!(shows(&harness, "row 3"), "the invalid row is shown with its message");
    assert!(shows(&harness, "XYZ"));
    assert!(ui.rig.sim.requests().is_empty(), "checking sends nothing");

    press(&mut harness, Key::Enter);
    assert!(shows(&harness, "Run this batch?"), "the totals are read back first");
    assert!(shows(&harness, "AED 60.00"));
    harness.key_press(Key::Escape);
    settle(&mut harness);
    assert!(!shows(&harness, "Run this batch?"), "Esc goes back, nothing sent");
    assert!(ui.rig.sim.requests().is_empty());

    harness.get_by_label("Run 2 rows (AED 60.00)...").click();
    settle(&mut harness);
    press(&mut harness, Key::Enter);
    wait_for_text(&mut harness, "finished");
    assert!(shows(&harness, "approved"));
    assert!(shows(&harness, "invalid"));
    assert_eq!(ui.rig.journal.order(PROFILE, "UI-B-1").unwrap().unwrap().captured_minor, 2000);

    harness.query_all_by_label("invalid").next().expect("the filter").click();
    settle(&mut harness);
    assert!(!shows(&harness, "UI-B-1"), "the filter shows only invalid rows");
    harness.get_by_label("Export results...").click();
    wait_for_text(&mut harness, "Results saved to");
    let saved = std::fs::read_to_string(&path).unwrap();
    assert!(saved.starts_with("row,operation,merchant_reference"), "{saved}");
    assert_eq!(saved.lines().count(), 4);
}

const SALES: &str = "operation,merchant_reference,amount,currency,token_name,customer_email\n\
sale,UI-S-1,11.00,AED,DEMO-VISA-0001,one@example.com\n\
sale,UI-S-2,12.00,AED,DEMO-MC-2346,two@example.com\n";

fn stack(dir: &tempfile::TempDir, content: &str) -> std::path::PathBuf {
    let path = dir.path().join("stack.csv");
    std::fs::write(&path, content).unwrap();
    path
}

/// A file dropped from the desktop, as the windowing layer hands it to egui.
#[derive(Debug)]
struct Dropped(std::path::PathBuf);

impl egui::DroppedFile for Dropped {
    fn path(&self) -> &std::path::Path {
        &self.0
    }
    fn bytes(&self) -> Result<Vec<u8>, String> {
        std::fs::read(&self.0).map_err(|e| e.to_string())
    }
}

#[test]
fn a_file_dropped_on_the_window_opens_checked_on_the_batch_screen() {
    let ui = UiRig::new();
    let dir = tempfile::tempdir().unwrap();
    let path = stack(&dir, FILE);
    let mut harness = ui.app(FakeDialogs::default());
    assert_eq!(harness.state().current_screen(), ScreenId::PhoneOrder);
    harness.input_mut().dropped_files.push(std::sync::Arc::new(Dropped(path)));
    settle(&mut harness);
    wait_for_text(&mut harness, "3 rows");
    assert_eq!(harness.state().current_screen(), ScreenId::Batch);
    assert!(shows(&harness, "row 3"), "checked like an opened file");
    assert!(ui.rig.sim.requests().is_empty(), "dropping sends nothing");
}

#[test]
fn an_unfinished_batch_is_offered_at_start_up_and_enter_resumes_it() {
    let ui = UiRig::new();
    let dir = tempfile::tempdir().unwrap();
    let path = stack(&dir, SALES);
    let stopped = ui.rt.block_on(async {
        let checked = ui.rig.service.check_batch_file(PROFILE, path).await.unwrap();
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
        ui.rig.service.run_batch(checked.plan, RunOptions { stop, ..RunOptions::default() }).await.unwrap()
    });
    assert!(ui.rig.sim.requests().is_empty(), "stopped before any row");

    // Esc leaves it for later: the terminal stays where it opened.
    let mut later = ui.app(FakeDialogs::default());
    wait_for_text(&mut later, "An unfinished batch");
    assert!(shows(&later, &format!("Batch {}", stopped.batch.id)));
    press(&mut later, Key::Escape);
    assert!(!shows(&later, "An unfinished batch"));
    assert_eq!(later.state().current_screen(), ScreenId::PhoneOrder);

    let mut harness = ui.app(FakeDialogs::default());
    wait_for_text(&mut harness, "An unfinished batch");
    press(&mut harness, Key::Enter);
    wait_for_text(&mut harness, "Run 2 rows (AED 23.00)...");
    assert_eq!(harness.state().current_screen(), ScreenId::Batch);
    press(&mut harness, Key::Enter);
    assert!(shows(&harness, "Run this batch?"));
    press(&mut harness, Key::Enter);
    wait_for_text(&mut harness, "(resumed)");
    assert_eq!(ui.rig.sim.money_movements().len(), 2);
}

#[test]
fn history_captures_the_ticked_authorizations_as_one_batch() {
    let ui = UiRig::new();
    let dir = tempfile::tempdir().unwrap();
    let auths = "operation,merchant_reference,amount,currency,token_name,customer_email\n\
                 authorize,UI-H-1,100.00,AED,DEMO-VISA-0001,a@example.com\n\
                 authorize,UI-H-2,25.50,AED,DEMO-MC-2346,b@example.com\n\
                 sale,UI-H-3,9.00,AED,DEMO-AMEX-4564,c@example.com\n";
    let path = stack(&dir, auths);
    ui.rt.block_on(async {
        let checked = ui.rig.service.check_batch_file(PROFILE, path).await.unwrap();
        ui.rig.service.run_batch(checked.plan, RunOptions::default()).await.unwrap();
    });
    let mut harness = ui.app(FakeDialogs::default());
    press(&mut harness, ScreenId::History.key());
    wait_for_text(&mut harness, "UI-H-2");
    assert!(harness.query_by_label("Capture UI-H-3").is_none(), "a sale has nothing to capture");
    assert!(harness.query_by_label("Capture selected (1)...").is_none(), "nothing ticked yet");
    harness.get_by_label("Capture UI-H-1").click();
    settle(&mut harness);
    harness.get_by_label("Capture UI-H-2").click();
    settle(&mut harness);
    harness.get_by_label("Capture selected (2)...").click();
    settle(&mut harness);
    wait_for_text(&mut harness, "Run 2 rows (AED 125.50)...");
    assert_eq!(harness.state().current_screen(), ScreenId::Batch);
    press(&mut harness, Key::Enter);
    assert!(shows(&harness, "Run this batch?"), "the captures are read back first");
    let captures = || ui.rig.sim.money_movements().iter().filter(|m| m.kind == MovementKind::Capture).count();
    assert_eq!(captures(), 0, "nothing captured before the read-back is confirmed");
    press(&mut harness, Key::Enter);
    wait_for_text(&mut harness, "finished");
    for (reference, minor) in [("UI-H-1", 10_000), ("UI-H-2", 2_550)] {
        assert_eq!(ui.rig.journal.order(PROFILE, reference).unwrap().unwrap().captured_minor, minor);
    }
    assert_eq!(captures(), 2);
}

#[test]
fn pause_starts_no_new_row_until_go_on() {
    let ui = UiRig::new();
    let dir = tempfile::tempdir().unwrap();
    let mut csv = String::from("operation,merchant_reference,amount,currency,token_name,customer_email\n");
    for i in 0..12 {
        csv.push_str(&format!("sale,UI-P-{i},{}.00,AED,DEMO-VISA-0001,p{i}@example.com\n", 10 + i));
    }
    let path = stack(&dir, &csv);
    // Each answer takes 700 ms, so the first eight rows (the default concurrency) are still in
    // flight when Pause is pressed.
    ui.rig.sim.inject(Fault {
        fault: FaultKind::Delay,
        count: 12,
        command: Some("PURCHASE".into()),
        delay_ms: Some(700),
    });
    let mut harness = ui.app(FakeDialogs { answer: Some(path), ..FakeDialogs::default() });
    press(&mut harness, ScreenId::Batch.key());
    press(&mut harness, Key::Enter);
    wait_for_text(&mut harness, "12 rows");
    press(&mut harness, Key::Enter);
    press(&mut harness, Key::Enter);
    let purchases = |ui: &UiRig| {
        ui.rig.sim.requests().iter().filter(|r| r.command.as_deref() == Some("PURCHASE")).count()
    };
    wait_until(&mut harness, "the first rows in flight", |_| purchases(&ui) > 0);
    harness.get_by_label("Pause").click();
    let until = std::time::Instant::now() + std::time::Duration::from_millis(1_800);
    while std::time::Instant::now() < until {
        harness.step();
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let purchases = |ui: &UiRig| {
        ui.rig.sim.requests().iter().filter(|r| r.command.as_deref() == Some("PURCHASE")).count()
    };
    assert!(shows(&harness, "Paused: no new row starts"));
    assert_eq!(purchases(&ui), 8, "the rows in flight settled and no new row started");

    harness.get_by_label("Go on").click();
    wait_for_text(&mut harness, "finished");
    assert_eq!(purchases(&ui), 12);
    assert_eq!(ui.rig.journal.order(PROFILE, "UI-P-11").unwrap().unwrap().captured_minor, 2100);
}

/// Monthly members: through the APS batch service a sale is a recurring charge of the saved
/// card, so each row names the customer's agreement.
const MEMBERS: &str = "operation,merchant_reference,amount,currency,token_name,customer_email,agreement_id\n\
sale,UI-A-1,11.00,AED,DEMO-VISA-0001,one@example.com,AGR1\n\
sale,UI-A-2,12.00,AED,DEMO-MC-2346,two@example.com,AGR2\n";

#[test]
fn a_file_sent_through_the_aps_batch_service_is_finished_there_when_opened_again() {
    let ui = UiRig::new();
    let dir = tempfile::tempdir().unwrap();
    let path = stack(&dir, MEMBERS);
    // Started through APS and stopped before APS was asked to process it.
    let stopped = ui.rt.block_on(async {
        let checked = ui.rig.service.check_batch_file(PROFILE, path.clone()).await.unwrap();
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
        let options = RunOptions { stop, ..RunOptions::default() };
        ui.rig.service.run_batch_via_aps(checked.plan, options).await.unwrap()
    });
    let mut harness = ui.app(FakeDialogs { answer: Some(path), ..FakeDialogs::default() });
    press(&mut harness, ScreenId::Batch.key());
    press(&mut harness, Key::Enter);
    wait_for_text(&mut harness, "2 rows");
    let locked = format!("on its way through the APS batch service as batch {}", stopped.batch.id);
    assert!(
        shows(&harness, &locked),
        "the file can only be finished at APS:\n{}",
        super::screen_text(&harness)
    );
    press(&mut harness, Key::Enter);
    assert!(shows(&harness, "As one file through the APS batch service"), "the read-back says how");
    press(&mut harness, Key::Enter);
    wait_for_text(&mut harness, "(resumed)");
    let commands: Vec<_> = ui.rig.sim.requests().into_iter().filter_map(|r| r.command).collect();
    assert!(commands.iter().any(|c| c == "PROCESS_BATCH"), "{commands:?}");
    assert!(!commands.iter().any(|c| c == "PURCHASE"), "never row by row: {commands:?}");
    assert_eq!(ui.rig.sim.money_movements().len(), 2, "each row charged once");
}

#[test]
fn the_aps_batch_service_is_chosen_before_the_run_and_read_back() {
    let ui = UiRig::new();
    let dir = tempfile::tempdir().unwrap();
    let no_agreement = "sale,UI-A-3,13.00,AED,DEMO-AMEX-4564,three@example.com,\n";
    let path = stack(&dir, &format!("{MEMBERS}{no_agreement}"));
    let mut harness = ui.app(FakeDialogs { answer: Some(path), ..FakeDialogs::default() });
    press(&mut harness, ScreenId::Batch.key());
    press(&mut harness, Key::Enter);
    wait_for_text(&mut harness, "Run 3 rows (AED 36.00)...");
    harness.get_by_label("as one file through the APS batch service").click();
    settle(&mut harness);
    assert!(shows(&harness, "row 4: agreement_id is empty"), "the row APS cannot take is named first");
    harness.get_by_label("row by row from this terminal").click();
    settle(&mut harness);
    assert!(!shows(&harness, "row 4: agreement_id is empty"), "row by row it can go");
    harness.get_by_label("as one file through the APS batch service").click();
    settle(&mut harness);
    harness.get_by_label("Run 2 rows (AED 23.00)...").click();
    settle(&mut harness);
    assert!(shows(&harness, "As one file through the APS batch service"));
    press(&mut harness, Key::Enter);
    wait_for_text(&mut harness, "finished");
    let uploads =
        ui.rig.sim.requests().iter().filter(|r| r.command.as_deref() == Some("UPLOAD_BATCH_FILE")).count();
    assert_eq!(uploads, 1);
    assert_eq!(ui.rig.journal.order(PROFILE, "UI-A-2").unwrap().unwrap().captured_minor, 1200);
    assert!(ui.rig.journal.order(PROFILE, "UI-A-3").unwrap().is_none(), "the refused row was not sent");
}
