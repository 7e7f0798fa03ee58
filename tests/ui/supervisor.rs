//! The floor seen from the supervisor's desk on the team journal: every terminal's orders with
//! who keyed them and where, an order another desk takes appearing with no key pressed, and
//! the orders in doubt at the top whoever took them.

use super::{UiRig, press, shows, type_into, wait_for_text, wait_until};
use crate::service::rig::{PROFILE, fast_settings};
use egui_kittest::kittest::Queryable as _;
use moto_terminal::aps::money::{Currency, Money};
use moto_terminal::journal::{
    Channel, Extra, Journal, NewOrder, OpResult, OpState, OrderKind, OrderState, OrderUpdate, PaymentMethod,
};
use moto_terminal::service::{Progress, ServiceSettings};
use moto_terminal::ui::{ScreenId, TerminalApp};
use std::sync::Arc;

/// An order desk 7 took an hour ago whose answer never came: unknown, and marked for attention.
fn left_in_doubt(journal: &Journal) {
    let order = NewOrder {
        profile: PROFILE.into(),
        merchant_reference: "DOUBT-7".into(),
        kind: OrderKind::Sale,
        channel: Channel::Phone,
        amount: Money::from_minor(9_900, Currency::parse("AED").unwrap()).unwrap(),
        method: PaymentMethod::Token { token_name: "DEMO-MC-2346".into(), masked_card: None },
        customer_email: Some("doubt@example.com".into()),
        customer_name: None,
        description: None,
        operator: "amal".into(),
        terminal: "desk-7".into(),
        created_at: chrono::Utc::now() - chrono::Duration::hours(1),
        extra: Extra::new(),
        lease: None,
        batch_row: None,
    };
    let id = journal.record_order_intent(&order).unwrap();
    let lost = OpResult {
        state: OpState::Unknown,
        response_code: None,
        response_message: None,
        note: Some("no answer".into()),
        at: chrono::Utc::now(),
    };
    let update = OrderUpdate {
        state: Some(OrderState::Unknown),
        needs_attention: Some(Some("the answer never came: check it on the Status screen".into())),
        ..OrderUpdate::default()
    };
    journal.record_outcome(id, &lost, &update).unwrap();
}

#[test]
fn the_supervisor_sees_every_desk_live_with_the_orders_in_doubt_on_top() {
    let ui = UiRig::new();
    let url = ui.rt.block_on(crate::team::fresh_database("ui_supervisor"));
    let desk = |terminal: &str| {
        let settings = ServiceSettings { terminal: terminal.into(), ..fast_settings() };
        ui.rig.service_with(Arc::new(Journal::open_team(&url).unwrap()), settings)
    };
    let (supervisor, agent) = (desk("supervisor-1"), desk("desk-7"));
    let earlier = ui.rig.token_sale("DEMO-VISA-0001", "15.00");
    let earlier = ui.rt.block_on(agent.charge(earlier, &Progress::none())).unwrap();
    left_in_doubt(&Journal::open_team(&url).unwrap());

    let mut harness = ui.app_on(supervisor);
    press(&mut harness, ScreenId::History.key());
    wait_for_text(&mut harness, &earlier.merchant_reference);
    assert!(shows(&harness, "desk-7"), "the terminal each order was keyed at");
    let top =
        |h: &egui_kittest::Harness<'_, TerminalApp>, reference: &str| h.get_by_label(reference).rect().top();
    assert!(
        top(&harness, "DOUBT-7") < top(&harness, &earlier.merchant_reference),
        "the order in doubt is on top, though it is the oldest"
    );

    // Desk 7 takes another order: it appears on the supervisor's screen by itself.
    let next = ui.rig.token_sale("DEMO-MC-2346", "27.00");
    let next = ui.rt.block_on(agent.charge(next, &Progress::none())).unwrap();
    wait_until(&mut harness, "desk 7's new order", |h| shows(h, &next.merchant_reference));
    assert!(top(&harness, "DOUBT-7") < top(&harness, &next.merchant_reference), "still on top");

    // One operator's orders: the order in doubt stays on top for everyone.
    type_into(&mut harness, "Operator", "someone-else");
    wait_until(&mut harness, "the filter applied", |h| !shows(h, &next.merchant_reference));
    assert!(shows(&harness, "DOUBT-7"));
}
