//! The whole terminal on the real service and the simulator: phone orders from the first key to
//! the outcome, the in-flight lock, the duplicate guard and reconciliation.

use super::{FakeDialogs, UiRig, input, settle, shows, type_into, value_of, wait_for_text, wait_until};
use crate::service::rig::PROFILE;
use egui::accesskit::Role;
use egui::{Key, Modifiers};
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable as _};
use moto_terminal::aps::response::Kind;
use moto_terminal::service::Progress;
use moto_terminal::sim::{Fault, FaultKind};
use moto_terminal::ui::{ScreenId, TerminalApp};

/// Counts the keys an agent presses (typed text is counted apart, as characters).
#[derive(Default)]
struct Keyboard {
    presses: usize,
}

impl Keyboard {
    fn press(&mut self, harness: &mut Harness<'_, TerminalApp>, key: Key) {
        self.presses += 1;
        harness.key_press(key);
        settle(harness);
    }

    fn type_text(&mut self, harness: &mut Harness<'_, TerminalApp>, text: &str) {
        harness.event(egui::Event::Text(text.to_owned()));
        settle(harness);
    }
}

/// Charges DEMO-VISA-0001 once through the service, so the token book knows the card and its
/// customer (Layla Haddad, caller@example.com) as it would after a first order.
fn seed_token_book(ui: &UiRig) {
    let outcome = ui
        .rt
        .block_on(ui.rig.service.charge(ui.rig.token_sale("DEMO-VISA-0001", "1.00"), &Progress::none()))
        .unwrap();
    assert_eq!(outcome.verdict.kind, Kind::Approved);
}

fn sim_charges(ui: &UiRig, reference_prefix: &str) -> usize {
    ui.rig
        .sim
        .requests()
        .iter()
        .filter(|r| {
            r.command.as_deref() == Some("PURCHASE")
                && r.merchant_reference.as_deref().is_some_and(|m| m.starts_with(reference_prefix))
        })
        .count()
}

#[test]
fn a_whole_phone_order_by_token_takes_a_few_keys() {
    let ui = UiRig::new();
    seed_token_book(&ui);
    let mut harness = ui.app(FakeDialogs::default());
    let mut keys = Keyboard::default();

    assert!(
        input(&harness, "Saved card").is_focused(),
        "the terminal opens with the focus in the first field"
    );
    keys.type_text(&mut harness, "layla");
    wait_for_text(&mut harness, "token DEMO-VISA-0001, Layla Haddad");
    assert_eq!(
        value_of(&harness, "Customer email"),
        "caller@example.com",
        "the customer comes with the card"
    );
    keys.press(&mut harness, Key::Tab);
    assert!(input(&harness, "Amount").is_focused(), "Tab goes from the card straight to the amount");
    keys.type_text(&mut harness, "49.90");
    keys.press(&mut harness, Key::Enter);
    assert!(shows(&harness, "Read back to the customer"));
    assert!(shows(&harness, "AED 49.90"));
    keys.press(&mut harness, Key::Enter);
    wait_for_text(&mut harness, "New order (Enter)");
    assert!(shows(&harness, "Approved"));
    assert!(shows(&harness, "14000"));

    assert!(keys.presses <= 25, "a phone order took {} key presses", keys.presses);
    assert_eq!(keys.presses, 3, "Tab, Enter to review, Enter to charge");
    let orders = ui.rig.journal.search(&Default::default()).unwrap();
    assert!(
        orders
            .iter()
            .any(|o| o.amount_minor == 4990 && o.customer_email.as_deref() == Some("caller@example.com"))
    );

    // Enter again starts the next order, focus back in the first field.
    keys.press(&mut harness, Key::Enter);
    assert!(input(&harness, "Saved card").is_focused());
    assert_eq!(value_of(&harness, "Amount"), "");
}

#[test]
fn a_keyed_card_order_is_approved_and_the_card_is_wiped() {
    let ui = UiRig::new();
    let mut harness = ui.app(FakeDialogs::default());
    harness.get_by_label("Keyed card").click();
    settle(&mut harness);
    type_into(&mut harness, "Card number", "4005550000000001");
    type_into(&mut harness, "Expiry (MM/YY)", "12/30");
    type_into(&mut harness, "Amount", "42.00");
    type_into(&mut harness, "Customer email", "layla@example.com");
    harness.key_press(Key::Enter);
    settle(&mut harness);
    assert!(shows(&harness, "Visa 400555******0001 exp 12/30"));
    harness.key_press(Key::Enter);
    wait_for_text(&mut harness, "New order (Enter)");
    assert!(shows(&harness, "Approved"));
    harness.key_press(Key::Enter);
    settle(&mut harness);
    harness.get_by_label("Keyed card").click();
    settle(&mut harness);
    assert_eq!(value_of(&harness, "Card number"), "", "the number is gone after the charge");
    assert_eq!(ui.rig.sim.money_movements().len(), 1);
}

#[test]
fn the_submit_button_is_disabled_while_the_request_is_in_flight() {
    let ui = UiRig::new();
    seed_token_book(&ui);
    let mut harness = ui.app(FakeDialogs::default());
    ui.rig.sim.inject(Fault {
        fault: FaultKind::Delay,
        count: 1,
        command: Some("PURCHASE".into()),
        delay_ms: Some(300),
    });
    type_into(&mut harness, "Saved card", "DEMO-VISA-0001");
    wait_for_text(&mut harness, "Layla Haddad");
    type_into(&mut harness, "Amount", "15.00");
    harness.key_press(Key::Enter);
    settle(&mut harness);
    harness.key_press(Key::Enter);
    harness.run_steps(2);
    assert!(shows(&harness, "Sending to APS"));
    let button = harness.get_by_role_and_label(Role::Button, "Charge now (Enter)");
    assert!(button.accesskit_node().is_disabled());
    // Impatient agent: Enter again and a click on the greyed button.
    harness.key_press(Key::Enter);
    harness.run_steps(2);
    harness.get_by_role_and_label(Role::Button, "Charge now (Enter)").click();
    harness.run_steps(2);
    wait_for_text(&mut harness, "New order (Enter)");
    assert!(shows(&harness, "Approved"));
    assert_eq!(sim_charges(&ui, "MT-"), 2, "the seed charge and exactly one from the form");
}

#[test]
fn a_second_charge_of_the_same_card_and_amount_needs_an_override() {
    let ui = UiRig::new();
    seed_token_book(&ui);
    let mut harness = ui.app(FakeDialogs::default());
    type_into(&mut harness, "Saved card", "DEMO-VISA-0001");
    wait_for_text(&mut harness, "Layla Haddad");
    type_into(&mut harness, "Amount", "1.00");
    harness.key_press(Key::Enter);
    settle(&mut harness);
    harness.key_press(Key::Enter);
    wait_for_text(&mut harness, "Possible duplicate payment");
    assert!(shows(&harness, "Nothing has been charged yet"));
    harness.key_press(Key::Enter);
    settle(&mut harness);
    assert!(harness.get_by_role_and_label(Role::Button, "Charge again").accesskit_node().is_disabled());

    // Esc goes back with the form kept; reviewing again brings the guard back.
    harness.key_press(Key::Escape);
    settle(&mut harness);
    assert_eq!(value_of(&harness, "Amount"), "1.00");
    harness.key_press(Key::Enter);
    settle(&mut harness);
    harness.key_press(Key::Enter);
    wait_for_text(&mut harness, "Possible duplicate payment");
    harness.get_by_label("The customer confirmed a second payment").click();
    settle(&mut harness);
    harness.get_by_role_and_label(Role::Button, "Charge again").click();
    wait_for_text(&mut harness, "New order (Enter)");
    assert!(shows(&harness, "Approved"));
    assert_eq!(ui.rig.sim.money_movements().len(), 2, "charged twice only because the agent said so");
}

#[test]
fn a_lost_answer_shows_reconciliation_and_then_the_truth() {
    let ui = UiRig::new();
    seed_token_book(&ui);
    let mut harness = ui.app(FakeDialogs::default());
    ui.rig.sim.inject(Fault {
        fault: FaultKind::DropAfterCommit,
        count: 1,
        command: Some("PURCHASE".into()),
        delay_ms: None,
    });
    // A slow status answer keeps the reconciling stage on screen long enough to be seen.
    ui.rig.sim.inject(Fault {
        fault: FaultKind::Delay,
        count: 1,
        command: Some("CHECK_STATUS".into()),
        delay_ms: Some(250),
    });
    type_into(&mut harness, "Saved card", "DEMO-VISA-0001");
    wait_for_text(&mut harness, "Layla Haddad");
    type_into(&mut harness, "Amount", "33.00");
    harness.key_press(Key::Enter);
    settle(&mut harness);
    harness.key_press(Key::Enter);
    wait_for_text(&mut harness, "Outcome unknown: checking with APS");
    wait_for_text(&mut harness, "New order (Enter)");
    assert!(shows(&harness, "Approved"));
    assert!(shows(&harness, "Checked with APS"), "the panel says the answer came from a status check");
    assert_eq!(sim_charges(&ui, "MT-"), 2, "never sent twice");
}

#[test]
fn the_banner_navigation_and_global_keys() {
    let ui = UiRig::new();
    let mut harness = ui.app(FakeDialogs::default());
    assert!(shows(&harness, "DEMO"));
    assert!(shows(&harness, &format!("Profile: {PROFILE}")));
    for id in ScreenId::ALL {
        let label = format!("{:<4}{}", id.key_name(), id.title());
        harness.get_by_label(&label);
    }

    type_into(&mut harness, "Amount", "12.34");
    harness.key_press(Key::F6);
    settle(&mut harness);
    assert_eq!(harness.state().current_screen(), ScreenId::History);
    harness.key_press(Key::Escape);
    settle(&mut harness);
    assert_eq!(harness.state().current_screen(), ScreenId::PhoneOrder, "Esc goes back");
    assert_eq!(value_of(&harness, "Amount"), "12.34", "with the form as it was");

    harness.key_press_modifiers(Modifiers::COMMAND, Key::F);
    settle(&mut harness);
    assert_eq!(harness.state().current_screen(), ScreenId::History);
    assert!(input(&harness, "Search history").is_focused(), "Ctrl+F lands in the history search");

    harness.key_press_modifiers(Modifiers::COMMAND, Key::N);
    settle(&mut harness);
    assert_eq!(harness.state().current_screen(), ScreenId::PhoneOrder);
    assert_eq!(value_of(&harness, "Amount"), "", "Ctrl+N starts a new order");
    assert!(input(&harness, "Saved card").is_focused());

    harness.key_press(Key::F2);
    settle(&mut harness);
    assert!(input(&harness, "Slip number").is_focused(), "each order screen opens in its first field");
}

#[test]
fn a_mail_order_goes_through_and_next_order_keeps_the_date() {
    let ui = UiRig::new();
    let mut harness = ui.app(FakeDialogs::default());
    harness.key_press(Key::F2);
    settle(&mut harness);
    let date = value_of(&harness, "Order date");
    type_into(&mut harness, "Slip number", "SLIP-77");
    type_into(&mut harness, "Saved card", "DEMO-MC-2346");
    wait_until(&mut harness, "the token search", |h| shows(h, "will be used as the token name"));
    type_into(&mut harness, "Amount", "80.00");
    type_into(&mut harness, "Customer email", "post@example.com");
    type_into(&mut harness, "Postal address", "PO Box 12, Dubai");
    harness.key_press(Key::Enter);
    settle(&mut harness);
    assert!(shows(&harness, "SLIP-77"));
    harness.key_press(Key::Enter);
    wait_for_text(&mut harness, "Next order (Enter)");
    assert!(shows(&harness, "Approved"));
    let order = ui.rig.journal.search(&Default::default()).unwrap().into_iter().next().unwrap();
    assert_eq!(order.extra.get("slip_number").and_then(|v| v.as_str()), Some("SLIP-77"));
    assert_eq!(format!("{:?}", order.channel), "Mail");
    harness.key_press(Key::Enter);
    settle(&mut harness);
    assert_eq!(value_of(&harness, "Slip number"), "");
    assert_eq!(value_of(&harness, "Order date"), date);
    assert!(input(&harness, "Slip number").is_focused());
}

/// Selects what the input labelled `label` holds and types `text` over it.
fn retype(harness: &mut Harness<'_, TerminalApp>, label: &str, text: &str) {
    input(harness, label).focus();
    settle(harness);
    harness.key_press_modifiers(Modifiers::COMMAND, Key::A);
    input(harness, label).type_text(text);
    settle(harness);
}

#[test]
fn a_field_the_service_refuses_gets_the_cursor() {
    let ui = UiRig::new();
    let mut harness = ui.app(FakeDialogs::default());
    harness.key_press(Key::F2);
    settle(&mut harness);
    // A card number written on the slip's number line: the form takes it, the service refuses it.
    type_into(&mut harness, "Slip number", "4005 5500 0000 0001");
    type_into(&mut harness, "Saved card", "DEMO-MC-2346");
    wait_until(&mut harness, "the token search", |h| shows(h, "will be used as the token name"));
    type_into(&mut harness, "Amount", "80.00");
    type_into(&mut harness, "Customer email", "post@example.com");
    harness.key_press(Key::Enter);
    settle(&mut harness);
    harness.key_press(Key::Enter);
    wait_for_text(&mut harness, "Not sent. This looks like a card number");
    assert!(input(&harness, "Slip number").is_focused(), "the cursor goes to the field the service named");

    // A name APS would refuse is caught by the form itself, by the same APS rule.
    retype(&mut harness, "Slip number", "SLIP-78");
    type_into(&mut harness, "Customer name", "Agent 007");
    harness.key_press(Key::Enter);
    settle(&mut harness);
    assert!(shows(&harness, "Customer name has characters APS does not accept"));
    assert!(input(&harness, "Customer name").is_focused());
    assert_eq!(value_of(&harness, "Amount"), "80.00", "the order is kept");
    assert!(ui.rig.sim.requests().is_empty(), "nothing reached APS");
}
