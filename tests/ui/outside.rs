//! An order taken on the merchant's website, from the keyboard: Status finds it at APS, its
//! currency is confirmed and Enter brings it into the journal; Operations then refunds it.

use super::{FakeDialogs, UiRig, input, settle, shows, type_into, value_of, wait_for_text};
use crate::service::outside::website_charge;
use crate::service::rig::PROFILE;
use egui::Key;
use moto_terminal::service::{Channel, OrderState};
use moto_terminal::ui::ScreenId;

#[test]
fn status_brings_a_website_order_in_and_operations_refunds_it() {
    let ui = UiRig::new();
    ui.rt.block_on(website_charge(&ui.rig.sim, "PURCHASE", "WEB-UI-1", 2_500, "DEMO-VISA-0001"));
    let mut harness = ui.app(FakeDialogs::default());
    harness.key_press(ScreenId::Status.key());
    settle(&mut harness);
    type_into(&mut harness, "Order reference", "WEB-UI-1");
    harness.key_press(Key::Enter);
    wait_for_text(&mut harness, "was taken outside this terminal");
    assert!(input(&harness, "Currency").is_focused(), "the currency is the one thing to confirm");
    assert_eq!(value_of(&harness, "Currency"), "AED", "offered in the profile's currency");
    assert!(ui.rig.journal.order(PROFILE, "WEB-UI-1").unwrap().is_none(), "not before Enter");
    harness.key_press(Key::Enter);
    wait_for_text(&mut harness, "In the journal");
    let order = ui.rig.journal.order(PROFILE, "WEB-UI-1").unwrap().unwrap();
    assert_eq!(
        (order.channel, order.state, order.captured_minor),
        (Channel::Outside, OrderState::Captured, 2_500)
    );
    assert!(!shows(&harness, "Bring WEB-UI-1 into the journal"), "done once");

    harness.key_press(ScreenId::Operations.key());
    settle(&mut harness);
    harness.event(egui::Event::Text("WEB-UI-1".into()));
    harness.key_press(Key::Enter);
    wait_for_text(&mut harness, "Still refundable: AED 25.00");
    harness.key_press(Key::Enter);
    settle(&mut harness);
    harness.key_press(Key::Enter);
    wait_for_text(&mut harness, "Another operation on this order (Enter)");
    assert!(shows(&harness, "Approved"));
    let order = ui.rig.journal.order(PROFILE, "WEB-UI-1").unwrap().unwrap();
    assert_eq!((order.state, order.refunded_minor), (OrderState::Refunded, 2_500));
    assert_eq!(ui.rig.movements("WEB-UI-1").len(), 2, "the website's sale and this refund, nothing else");
}
