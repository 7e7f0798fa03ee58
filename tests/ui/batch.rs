//! The Batch screen from the keyboard: open a file, see the rows checked, confirm the totals,
//! watch it run, filter the results and export them.

use super::{FakeDialogs, UiRig, press, settle, shows, wait_for_text};
use crate::service::rig::PROFILE;
use egui::Key;
use egui_kittest::kittest::Queryable as _;
use moto_terminal::service::batch::run::RunOptions;
use moto_terminal::sim::MovementKind;
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
