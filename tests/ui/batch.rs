//! The Batch screen from the keyboard: open a file, see the rows checked, confirm the totals,
//! watch it run, filter the results and export them.

use super::{FakeDialogs, UiRig, press, settle, shows, wait_for_text};
use crate::service::rig::PROFILE;
use egui::Key;
use egui_kittest::kittest::Queryable as _;
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
