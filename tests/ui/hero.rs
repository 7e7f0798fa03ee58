//! The README's hero pictures (`docs/screenshots/10-confirmation.png`, `11-approved.png`) are
//! taken by `scripts/screenshots` with exactly these keys on the real terminal. It runs this
//! test first: if the read-back shows a validation error instead of the order, or the order is
//! not approved, the pictures would be wrong, so the script stops before taking them.

use super::{FakeDialogs, UiRig, settle, shows, wait_for_text};
use egui::Key;
use moto_terminal::aps::response::Kind;
use moto_terminal::service::Progress;
use moto_terminal::ui::ScreenId;

/// What must never be on the hero pictures.
const WRONG: [&str; 4] =
    ["is required", "No saved card matches", "will be used as the token name", "Declined"];

fn nothing_wrong(harness: &egui_kittest::Harness<'_, moto_terminal::ui::TerminalApp>, screen: &str) {
    for wrong in WRONG {
        assert!(!shows(harness, wrong), "{screen} shows {wrong:?}: the hero picture would be wrong");
    }
}

#[test]
fn the_hero_phone_order_reads_back_and_is_approved_from_the_keyboard() {
    let ui = UiRig::new();
    // Layla's card is in the token book, as the Demo merchant's is at every start.
    let mut known = ui.rig.token_sale("DEMO-VISA-0001", "1.00");
    (known.customer_name, known.customer_email) = ("Layla Haddad".into(), "layla@example.com".into());
    let first = ui.rt.block_on(ui.rig.service.charge(known, &Progress::none())).unwrap();
    assert_eq!(first.verdict.kind, Kind::Approved);
    let mut harness = ui.app(FakeDialogs::default());

    // The keys of scripts/screenshots: F1, "layla", Tab, "42.00", Enter (read-back), Enter.
    harness.key_press(ScreenId::PhoneOrder.key());
    settle(&mut harness);
    harness.event(egui::Event::Text("layla".into()));
    wait_for_text(&mut harness, "Layla Haddad");
    harness.key_press(Key::Tab);
    settle(&mut harness);
    harness.event(egui::Event::Text("42.00".into()));
    settle(&mut harness);
    harness.key_press(Key::Enter);
    settle(&mut harness);
    // 10-confirmation: the read-back of a whole order, ready to charge.
    for wanted in ["Charge now (Enter)", "AED 42.00", "layla@example.com", "DEMO-VISA-0001"] {
        assert!(shows(&harness, wanted), "the read-back shows {wanted:?}");
    }
    nothing_wrong(&harness, "the read-back");

    harness.key_press(Key::Enter);
    // 11-approved: the outcome, with the receipt buttons.
    wait_for_text(&mut harness, "Approved");
    for wanted in ["Receipt (PDF)...", "Copy receipt text", "New order (Enter)"] {
        assert!(shows(&harness, wanted), "the approved order shows {wanted:?}");
    }
    nothing_wrong(&harness, "the approved order");
}
