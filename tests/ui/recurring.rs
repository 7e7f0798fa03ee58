//! Setting up a recurring agreement from the keyboard: the first payment with the customer on
//! the line, read back before it is taken, and the agreement registered under APS's id.

use super::{FakeDialogs, UiRig, input, settle, shows, type_into, wait_for_text};
use crate::service::rig::PROFILE;
use egui::Key;
use egui_kittest::kittest::Queryable as _;
use moto_terminal::service::AgreementLimit;
use moto_terminal::ui::ScreenId;

#[test]
fn the_first_payment_is_read_back_then_the_agreement_is_registered_with_apss_id() {
    let ui = UiRig::new();
    let mut harness = ui.app(FakeDialogs::default());
    harness.key_press(ScreenId::Recurring.key());
    settle(&mut harness);
    harness.get_by_label("Add agreement...").click();
    settle(&mut harness);
    assert!(input(&harness, "Stored card (token)").is_focused());
    harness.event(egui::Event::Text("DEMO-VISA-0001".into()));
    type_into(&mut harness, "Customer email", "member@example.com");
    type_into(&mut harness, "Amount", "49.00");
    // Enter without the number of payments: named under its field, nothing sent.
    harness.key_press(Key::Enter);
    wait_for_text(&mut harness, "how many payments");
    assert!(ui.rig.sim.requests().is_empty());

    type_into(&mut harness, "Payments in all", "12");
    harness.key_press(Key::Enter);
    wait_for_text(&mut harness, "First payment of a recurring agreement");
    assert!(shows(&harness, "12 payments in all, this one included"));
    assert!(ui.rig.sim.requests().is_empty(), "read back before anything is sent");
    harness.key_press(Key::Enter);
    wait_for_text(&mut harness, "registered with APS as");
    let saved = ui.rig.journal.agreements(Some(PROFILE)).unwrap();
    assert_eq!(saved.len(), 1);
    assert_eq!(saved[0].limit, Some(AgreementLimit::PaymentsLeft(11)));
    let aps_id = saved[0].agreement_id.clone().expect("APS's agreement id");
    assert!(ui.rig.sim.recurring_agreement(&aps_id).is_some());
    assert_eq!(ui.rig.sim.money_movements().len(), 1, "the first payment, once");
}
