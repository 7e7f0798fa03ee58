//! The Reports screen (Ctrl+R) and the receipt buttons, driven from the keyboard and the
//! mouse: today's figures from the journal, the charts, the exports, and a receipt saved,
//! opened in the viewer and copied as text.

use super::{FakeDialogs, UiRig, button, settle, shows, wait_for_text, wait_until};
use egui::{Key, Modifiers};
use egui_kittest::kittest::Queryable as _;
use moto_terminal::service::Progress;
use moto_terminal::ui::ScreenId;

#[test]
fn reports_show_todays_figures_and_export_csv_and_pdf() {
    let ui = UiRig::new();
    for (token, amount) in
        [("DEMO-VISA-0001", "125.50"), ("DEMO-MC-2346", "74.50"), ("DEMO-VISA-DECLINED-0242", "9.00")]
    {
        let draft = ui.rig.token_sale(token, amount);
        ui.rt.block_on(ui.rig.service.charge(draft, &Progress::none())).ok();
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shift.out");
    let dialogs = FakeDialogs { answer: Some(path.clone()), ..FakeDialogs::default() };
    let viewed = dialogs.viewed.clone();
    let mut harness = ui.app(dialogs);

    harness.key_press_modifiers(Modifiers::COMMAND, Key::R);
    settle(&mut harness);
    assert_eq!(harness.state().current_screen(), ScreenId::Reports, "Ctrl+R opens Reports");
    // 125.50 + 74.50 approved; the declined 9.00 moves nothing.
    wait_for_text(&mut harness, "Net AED 200.00");
    for figure in ["2 approved", "1 declined", "0 unknown", "0 need attention", "Sales per hour", "Outcomes"]
    {
        assert!(shows(&harness, figure), "{figure:?} on the Reports screen");
    }
    assert!(shows(&harness, "declined") && shows(&harness, "sale"), "the lines per operation");

    button(&mut harness, "Export CSV...");
    wait_until(&mut harness, "the CSV export", |h| shows(h, "Saved to"));
    let csv = std::fs::read_to_string(&path).unwrap();
    assert!(csv.starts_with("operator,currency,operation,count,total\n"), "{csv}");
    assert!(csv.contains(",AED,sale,2,200.00\n") && csv.contains("all,AED,net,2,200.00\n"), "{csv}");
    assert!(viewed.lock().unwrap().is_empty(), "a CSV is not opened in the viewer");

    button(&mut harness, "Export PDF...");
    wait_until(&mut harness, "the PDF export", |h| shows(h, "opened in the viewer"));
    assert!(std::fs::read(&path).unwrap().starts_with(b"%PDF-"), "a PDF");
    assert_eq!(*viewed.lock().unwrap(), vec![path.clone()], "the PDF opens in the viewer to print");

    // Another period: tomorrow has nothing yet.
    let tomorrow = (chrono::Local::now().date_naive() + chrono::Days::new(1)).to_string();
    super::type_into(&mut harness, "From", &tomorrow);
    harness.key_press(Key::Enter);
    wait_for_text(&mut harness, "Nothing in this period.");
    assert!(shows(&harness, "No money moved"));
}

#[test]
fn an_approved_orders_receipt_is_saved_opened_and_copied_from_history() {
    let ui = UiRig::new();
    let draft = ui.rig.token_sale("DEMO-VISA-0001", "42.00");
    let outcome = ui.rt.block_on(ui.rig.service.charge(draft, &Progress::none())).unwrap();
    let reference = outcome.merchant_reference.clone();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("receipt.pdf");
    let dialogs = FakeDialogs { answer: Some(path.clone()), ..FakeDialogs::default() };
    let viewed = dialogs.viewed.clone();
    let mut harness = ui.app(dialogs);

    harness.key_press(ScreenId::History.key());
    wait_for_text(&mut harness, &reference);
    harness.get_by_label(&reference).click();
    wait_for_text(&mut harness, "Receipt for");
    button(&mut harness, "Receipt (PDF)...");
    wait_until(&mut harness, "the receipt saved", |h| shows(h, "opened in the viewer"));
    let pdf = std::fs::read(&path).unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    assert_eq!(*viewed.lock().unwrap(), vec![path.clone()]);

    // Clicked without settling: the frame that copies is the one to look at.
    harness.get_by_role_and_label(egui::accesskit::Role::Button, "Copy receipt text").click();
    let copied = std::cell::RefCell::new(Vec::new());
    wait_until(&mut harness, "the receipt text copied", |h| {
        for command in &h.output().platform_output.commands {
            if let egui::OutputCommand::CopyText(text) = command {
                copied.borrow_mut().push(text.clone());
            }
        }
        !copied.borrow().is_empty()
    });
    assert!(shows(&harness, "Receipt text copied"));
    let copied = copied.into_inner();
    let text = copied.last().expect("the receipt text went to the clipboard");
    assert!(
        text.contains(&reference) && text.contains("AED 42.00") && text.contains("Visa •••• 0001"),
        "{text}"
    );
    assert!(text.contains("Test Trading LLC"), "the profile's trading name heads it: {text}");
}
