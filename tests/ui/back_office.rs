//! The back-office screens on the real service and the simulator: Operations, Status, History,
//! Tokens, Recurring, Payment link and Settings.

use super::{FakeDialogs, UiRig, input, settle, shows, type_into, value_of, wait_for_text, wait_until};
use crate::service::rig::PROFILE;
use egui::Key;
use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable as _};
use moto_terminal::aps::command::ChargeKind;
use moto_terminal::aps::money::{Currency, Money};
use moto_terminal::journal::NewAgreement;
use moto_terminal::service::{OrderState, Outcome, Progress};
use moto_terminal::sim::{Fault, FaultKind};
use moto_terminal::ui::{ScreenId, TerminalApp};

fn charge(ui: &UiRig, token: &str, amount: &str, kind: ChargeKind) -> Outcome {
    let mut draft = ui.rig.token_sale(token, amount);
    draft.kind = kind;
    ui.rt.block_on(ui.rig.service.charge(draft, &Progress::none())).unwrap()
}

fn open(harness: &mut Harness<'_, TerminalApp>, screen: ScreenId) {
    harness.key_press(screen.key());
    settle(harness);
    assert_eq!(harness.state().current_screen(), screen);
}

fn clear_and_type(harness: &mut Harness<'_, TerminalApp>, label: &str, text: &str) {
    input(harness, label).focus();
    settle(harness);
    harness.key_press_modifiers(egui::Modifiers::COMMAND, Key::A);
    input(harness, label).type_text(text);
    settle(harness);
}

#[test]
fn operations_capture_part_then_the_rest_and_show_what_remains() {
    let ui = UiRig::new();
    let auth = charge(&ui, "DEMO-VISA-0001", "100.00", ChargeKind::AuthorizeOnly);
    let mut harness = ui.app(FakeDialogs::default());
    open(&mut harness, ScreenId::Operations);
    assert!(input(&harness, "Order reference or Fort ID").is_focused());
    harness.event(egui::Event::Text(auth.merchant_reference.clone()));
    harness.key_press(Key::Enter);
    wait_for_text(&mut harness, "Still capturable: AED 100.00");
    assert_eq!(value_of(&harness, "Amount"), "100.00", "the whole authorization is offered");

    clear_and_type(&mut harness, "Amount", "150.00");
    harness.key_press(Key::Enter);
    settle(&mut harness);
    assert!(shows(&harness, "At most AED 100.00 can still be captured"), "nothing above the authorization");

    clear_and_type(&mut harness, "Amount", "40.00");
    harness.key_press(Key::Enter);
    settle(&mut harness);
    assert!(shows(&harness, "Capture (partial) of order"));
    assert!(shows(&harness, "AED 40.00"));
    harness.key_press(Key::Enter);
    wait_for_text(&mut harness, "Another operation on this order (Enter)");
    assert!(shows(&harness, "Approved"));
    assert!(shows(&harness, "AED 60.00 is still authorized"), "the next step names what is left");
    assert!(shows(&harness, "AED 40.00 capture of the AED 100.00 order"), "what was captured, of what");
    harness.key_press(Key::Enter);
    wait_for_text(&mut harness, "Still capturable: AED 60.00");
    assert!(shows(&harness, "Still refundable: AED 40.00"));
    assert!(shows(&harness, "CAPTURE"), "the timeline lists the capture");

    // Refund part of what was captured.
    harness.get_by_label("Refund").click();
    settle(&mut harness);
    assert_eq!(value_of(&harness, "Amount"), "40.00");
    clear_and_type(&mut harness, "Amount", "10.00");
    harness.key_press(Key::Enter);
    settle(&mut harness);
    harness.key_press(Key::Enter);
    wait_for_text(&mut harness, "Another operation on this order (Enter)");
    assert!(shows(&harness, "AED 10.00 refund of the AED 100.00 order"), "never the order's whole amount");
    harness.key_press(Key::Enter);
    wait_for_text(&mut harness, "Still refundable: AED 30.00");
    let order = ui.rig.journal.order(PROFILE, &auth.merchant_reference).unwrap().unwrap();
    assert_eq!((order.captured_minor, order.refunded_minor), (4000, 1000));
}

#[test]
fn operations_esc_in_the_read_back_keeps_the_amount_and_sends_nothing() {
    let ui = UiRig::new();
    let sale = charge(&ui, "DEMO-MC-2346", "20.00", ChargeKind::Sale);
    let mut harness = ui.app(FakeDialogs::default());
    open(&mut harness, ScreenId::Operations);
    harness.event(egui::Event::Text(sale.order.unwrap().fort_id.unwrap()));
    harness.key_press(Key::Enter);
    wait_for_text(&mut harness, "Still refundable: AED 20.00");
    assert!(harness.get_by_label("Capture").accesskit_node().is_disabled(), "a sale has nothing to capture");
    clear_and_type(&mut harness, "Amount", "5.00");
    harness.key_press(Key::Enter);
    settle(&mut harness);
    assert!(shows(&harness, "Refund now (Enter)"));
    harness.key_press(Key::Escape);
    settle(&mut harness);
    assert_eq!(harness.state().current_screen(), ScreenId::Operations, "Esc closes the read-back first");
    assert_eq!(value_of(&harness, "Amount"), "5.00");
    assert!(!ui.rig.sim.requests().iter().any(|r| r.command.as_deref() == Some("REFUND")));
}

#[test]
fn operations_keep_the_chosen_refund_and_amount_when_nothing_was_sent() {
    let ui = UiRig::new();
    let auth = charge(&ui, "DEMO-VISA-0001", "100.00", ChargeKind::AuthorizeOnly);
    let reference = auth.merchant_reference.clone();
    ui.rt.block_on(ui.rig.service.capture(PROFILE, &reference, "40.00", &Progress::none())).unwrap();
    let mut harness = ui.app(FakeDialogs::default());
    open(&mut harness, ScreenId::Operations);
    harness.event(egui::Event::Text(reference.clone()));
    harness.key_press(Key::Enter);
    wait_for_text(&mut harness, "Still capturable: AED 60.00");
    harness.get_by_label("Refund").click();
    settle(&mut harness);
    clear_and_type(&mut harness, "Amount", "10.00");
    // Meanwhile another desk's capture of the order is in flight: the refund is refused.
    let busy = moto_terminal::journal::NewOperation {
        profile: PROFILE.into(),
        merchant_reference: reference.clone(),
        operation: moto_terminal::aps::Operation::Capture,
        maintenance_reference: None,
        amount: Some(Money::from_minor(1000, Currency::parse("AED").unwrap()).unwrap()),
        operator: "other desk".into(),
        at: chrono::Utc::now(),
        note: None,
        lease: None,
        batch_row: None,
        approved_by: None,
    };
    ui.rig.journal.record_operation_intent(&busy).unwrap();
    harness.key_press(Key::Enter);
    settle(&mut harness);
    harness.key_press(Key::Enter);
    wait_for_text(&mut harness, "Not sent.");
    wait_for_text(&mut harness, "Still capturable");
    settle(&mut harness);
    assert_eq!(value_of(&harness, "Amount"), "10.00", "the amount typed is kept");
    harness.key_press(Key::Enter);
    settle(&mut harness);
    assert!(shows(&harness, "Refund now (Enter)"), "and the refund chosen, not a capture");
    assert!(!ui.rig.sim.requests().iter().any(|r| r.command.as_deref() == Some("REFUND")));
}

#[test]
fn status_checks_an_order_and_resolves_unknown_ones() {
    let ui = UiRig::new();
    let sale = charge(&ui, "DEMO-VISA-0001", "12.00", ChargeKind::Sale);
    // An order whose answer was lost and whose status checks all fail stays unknown.
    ui.rig.sim.inject(Fault {
        fault: FaultKind::DropAfterCommit,
        count: 1,
        command: Some("PURCHASE".into()),
        delay_ms: None,
    });
    ui.rig.sim.inject(Fault {
        fault: FaultKind::Http500Uncommitted,
        count: 50,
        command: Some("CHECK_STATUS".into()),
        delay_ms: None,
    });
    let lost = charge(&ui, "DEMO-MC-2346", "7.00", ChargeKind::Sale);
    assert_eq!(lost.order.as_ref().unwrap().state, OrderState::Unknown, "{:?}", lost.verdict);
    ui.rig.sim.clear_faults();

    let mut harness = ui.app(FakeDialogs::default());
    open(&mut harness, ScreenId::Status);
    wait_for_text(&mut harness, &lost.merchant_reference);
    assert!(shows(&harness, "Orders with an unknown outcome"));

    type_into(&mut harness, "Order reference", &sale.merchant_reference);
    harness.key_press(Key::Enter);
    wait_for_text(&mut harness, "Last transaction");
    assert!(shows(&harness, "14000"));

    harness.get_by_role_and_label(Role::Button, "Resolve all 1 with APS").click();
    wait_until(&mut harness, "the list to empty", |h| shows(h, "None: every order's outcome is known."));
    assert!(shows(&harness, "Checked with APS"));
    let order = ui.rig.journal.order(PROFILE, &lost.merchant_reference).unwrap().unwrap();
    assert_eq!(order.state, OrderState::Captured, "APS had charged it; nothing was sent again");
    assert_eq!(ui.rig.sim.money_movements().len(), 2);
}

#[test]
fn status_sends_an_order_aps_has_no_record_of_again_under_its_own_reference() {
    let ui = UiRig::new();
    ui.rig.sim.inject(Fault {
        fault: FaultKind::DropBeforeCommit,
        count: 1,
        command: Some("PURCHASE".into()),
        delay_ms: None,
    });
    let lost = charge(&ui, "DEMO-VISA-0001", "33.00", ChargeKind::Sale);
    ui.rig.sim.clear_faults();
    assert_eq!(lost.order.as_ref().unwrap().state, OrderState::NotSent, "{:?}", lost.verdict);

    let mut harness = ui.app(FakeDialogs::default());
    open(&mut harness, ScreenId::Status);
    type_into(&mut harness, "Order reference", &lost.merchant_reference);
    harness.key_press(Key::Enter);
    wait_for_text(&mut harness, "has no order with this reference");
    let label = format!("Send {} again with the same reference", lost.merchant_reference);
    // Keyboard: Tab from the reference field reaches the check button, then this one.
    input(&harness, "Order reference").focus();
    settle(&mut harness);
    harness.key_press(Key::Tab);
    harness.key_press(Key::Tab);
    settle(&mut harness);
    assert!(harness.get_by_role_and_label(Role::Button, &label).is_focused(), "Tab reaches Send again");
    harness.key_press(Key::Enter);
    wait_until(&mut harness, "the order to go through", |h| shows(h, "The payment was charged to the card"));
    let order = ui.rig.journal.order(PROFILE, &lost.merchant_reference).unwrap().unwrap();
    assert_eq!(order.state, OrderState::Captured);
    assert_eq!(ui.rig.sim.money_movements().len(), 1, "charged once, under the same reference");
}

#[test]
fn history_searches_shows_the_timeline_and_exports_csv() {
    let ui = UiRig::new();
    let first = charge(&ui, "DEMO-VISA-0001", "11.00", ChargeKind::Sale);
    charge(&ui, "DEMO-MC-2346", "22.00", ChargeKind::Sale);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("history.csv");
    let mut harness = ui.app(FakeDialogs { answer: Some(path.clone()), ..Default::default() });
    harness.key_press_modifiers(egui::Modifiers::COMMAND, Key::F);
    settle(&mut harness);
    wait_for_text(&mut harness, "AED 22.00");
    assert!(shows(&harness, "AED 11.00"));

    harness.event(egui::Event::Text(first.merchant_reference.clone()));
    wait_until(&mut harness, "the search to narrow", |h| !shows(h, "AED 22.00"));
    harness.get_by_label(&first.merchant_reference).click();
    wait_for_text(&mut harness, "Timeline");
    assert!(shows(&harness, "PURCHASE"));
    assert!(shows(&harness, "14000"));

    harness.get_by_label("Export CSV...").click();
    wait_until(&mut harness, "the export", |h| shows(h, "Exported 1 orders"));
    let csv = std::fs::read_to_string(&path).unwrap();
    assert!(csv.contains(&first.merchant_reference), "{csv}");
    assert!(!csv.contains("4005550000000001"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "customer names and emails: readable by the agent only");
    }
    assert_eq!(harness.state().current_screen(), ScreenId::History);

    harness.key_press(Key::Escape);
    settle(&mut harness);
    assert!(!shows(&harness, "Timeline"), "Esc closes the detail first");
    assert_eq!(harness.state().current_screen(), ScreenId::History);
}

#[test]
fn history_shows_by_itself_an_order_that_reached_the_journal_another_way() {
    // A feedback post, the command line or (on a team journal) another desk writes the journal
    // behind the screen's back: the list is read again every few seconds, with no key pressed.
    let ui = UiRig::new();
    charge(&ui, "DEMO-VISA-0001", "11.00", ChargeKind::Sale);
    let mut harness = ui.app(FakeDialogs::default());
    open(&mut harness, ScreenId::History);
    wait_for_text(&mut harness, "AED 11.00");
    charge(&ui, "DEMO-MC-2346", "47.00", ChargeKind::Sale);
    wait_until(&mut harness, "the order charged elsewhere", |h| shows(h, "AED 47.00"));
    assert!(shows(&harness, "desk-1"), "the terminal it was keyed at");

    // One operator's orders: another operator's name matches none of them.
    type_into(&mut harness, "Operator", "someone-else");
    wait_for_text(&mut harness, "No orders match.");
}

#[test]
fn tokens_are_found_masked_and_can_be_deactivated() {
    let ui = UiRig::new();
    charge(&ui, "DEMO-VISA-0001", "5.00", ChargeKind::Sale);
    let mut harness = ui.app(FakeDialogs::default());
    open(&mut harness, ScreenId::Tokens);
    assert!(input(&harness, "Find saved cards").is_focused());
    harness.event(egui::Event::Text("0001".into()));
    wait_for_text(&mut harness, "400555******0001");
    assert!(shows(&harness, "12/30"), "the expiry as printed on the card");
    harness.get_by_label("DEMO-VISA-0001").click();
    settle(&mut harness);
    assert!(shows(&harness, "status ACTIVE"));
    harness.get_by_role_and_label(Role::Button, "Deactivate").click();
    wait_until(&mut harness, "the update", |h| shows(h, "status INACTIVE"));
    assert!(shows(&harness, "Approved"));

    // A deactivated card is refused on the phone order screen before anything is sent.
    open(&mut harness, ScreenId::PhoneOrder);
    harness.event(egui::Event::Text("DEMO-VISA".into()));
    wait_for_text(&mut harness, "is INACTIVE: activate it on the Tokens screen");
}

#[test]
fn tokens_save_a_new_card_without_charging_it() {
    let ui = UiRig::new();
    let mut harness = ui.app(FakeDialogs::default());
    open(&mut harness, ScreenId::Tokens);
    harness.get_by_label("Save a new card").click();
    settle(&mut harness);
    assert!(input(&harness, "Card number").is_focused());
    type_into(&mut harness, "Card number", "5123456789012346");
    type_into(&mut harness, "Expiry (MM/YY)", "12/30");
    type_into(&mut harness, "Customer email", "noor@example.com");
    harness.get_by_label("Save card as token").click();
    wait_until(&mut harness, "the token", |h| shows(h, "Token:"));
    assert!(shows(&harness, "Approved"));
    assert_eq!(value_of(&harness, "Card number"), "", "the typed number is wiped once sent");
    assert!(ui.rig.sim.money_movements().is_empty(), "nothing was charged");
}

#[test]
fn recurring_runs_the_due_charges_after_a_confirmation() {
    let ui = UiRig::new();
    let aed = Currency::parse("AED").unwrap();
    let today = chrono::Utc::now().date_naive();
    for (token, amount, due) in
        [("DEMO-VISA-0001", "30.00", today), ("DEMO-AMEX-4564", "45.00", today + chrono::Duration::days(9))]
    {
        ui.rig
            .journal
            .add_agreement(&NewAgreement {
                profile: PROFILE.into(),
                token_name: token.into(),
                agreement_id: Some(format!("AGR{}", token.len())),
                customer_email: "sub@example.com".into(),
                customer_name: Some("Sami".into()),
                amount: Money::parse(amount, aed).unwrap(),
                cycle: moto_terminal::journal::Cycle::Days(30),
                next_due: due,
                created_at: chrono::Utc::now(),
                limit: None,
            })
            .unwrap();
    }
    let mut harness = ui.app(FakeDialogs::default());
    open(&mut harness, ScreenId::Recurring);
    wait_for_text(&mut harness, "DEMO-AMEX-4564");
    let run = "Run 1 due charges (AED 30.00)...";
    harness.get_by_label(run).click();
    settle(&mut harness);
    assert!(shows(&harness, "Run the due recurring charges?"));
    harness.key_press(Key::Escape);
    settle(&mut harness);
    assert!(!shows(&harness, "Run the due recurring charges?"), "Esc cancels");
    assert!(ui.rig.sim.money_movements().is_empty());

    harness.get_by_label(run).click();
    settle(&mut harness);
    harness.key_press(Key::Enter);
    wait_until(&mut harness, "the run", |h| shows(h, "No charges due today"));
    assert!(shows(&harness, "Approved"));
    assert_eq!(ui.rig.sim.money_movements().len(), 1);
}

#[test]
fn payment_link_from_the_phone_order_is_created_and_listed() {
    let ui = UiRig::new();
    let mut harness = ui.app(FakeDialogs::default());
    type_into(&mut harness, "Amount", "150.00");
    type_into(&mut harness, "Customer email", "link@example.com");
    open(&mut harness, ScreenId::PaymentLink);
    harness.get_by_label("Copy from the phone order").click();
    settle(&mut harness);
    assert_eq!(value_of(&harness, "Amount"), "150.00");
    assert_eq!(value_of(&harness, "Customer email"), "link@example.com");
    harness.get_by_label("SMS").click();
    settle(&mut harness);
    harness.get_by_label("Review the link (Enter)").click();
    settle(&mut harness);
    assert!(shows(&harness, "Customer phone is needed to send the link by SMS"));
    harness.get_by_label("Email").click();
    settle(&mut harness);
    harness.get_by_label("Review the link (Enter)").click();
    settle(&mut harness);
    assert!(shows(&harness, "Link sent by email to link@example.com"));
    harness.key_press(Key::Enter);
    wait_until(&mut harness, "the link", |h| shows(h, "Payment link: http"));
    wait_for_text(&mut harness, "open");
    assert_eq!(ui.rig.journal.links(Some(PROFILE), None).unwrap().len(), 1);
    // Enter, Enter again starts the next link empty, never sends this one twice.
    for _ in 0..3 {
        harness.key_press(Key::Enter);
        settle(&mut harness);
    }
    assert_eq!(
        (value_of(&harness, "Amount"), value_of(&harness, "Customer email")),
        (String::new(), String::new())
    );
    assert_eq!(ui.rig.journal.links(Some(PROFILE), None).unwrap().len(), 1);
}

#[test]
fn settings_show_secrets_only_as_set_and_test_the_connection() {
    let ui = UiRig::new();
    let mut harness = ui.app(FakeDialogs::default());
    open(&mut harness, ScreenId::Settings);
    wait_for_text(&mut harness, "access code set, request phrase set, response phrase set");
    assert!(!shows(&harness, moto_terminal::sim::DEMO_ACCESS_CODE), "a secret is never on screen");
    assert!(!shows(&harness, moto_terminal::sim::DEMO_REQUEST_PHRASE));
    harness.get_by_label("Test connection").click();
    wait_for_text(&mut harness, "Connected: APS accepted");

    // The app settings are below the profile form: scroll them into view to click.
    harness.get_by_label("Save settings").scroll_to_me();
    settle(&mut harness);
    clear_and_type(&mut harness, "Operator name", "Mariam");
    harness.get_by_label("Save settings").click();
    wait_for_text(&mut harness, "Settings saved.");
    assert_eq!(ui.rig.service.app_settings().operator, "Mariam");
    clear_and_type(&mut harness, "Card wipe (seconds)", "5");
    harness.get_by_label("Save settings").click();
    settle(&mut harness);
    assert!(shows(&harness, "Card wipe must be 30 to 3600 seconds"));
}

#[test]
fn status_shows_an_unpaid_payment_link_as_open_not_as_in_doubt() {
    let ui = UiRig::new();
    let draft = moto_terminal::service::LinkDraft {
        amount: "300.00".into(),
        currency: "AED".into(),
        customer_email: "buyer@example.com".into(),
        merchant_reference: "UI-LINK-1".into(),
        ..Default::default()
    };
    ui.rt
        .block_on(ui.rig.service.payment_link(PROFILE, draft, &moto_terminal::service::Progress::none()))
        .unwrap();
    let mut harness = ui.app(FakeDialogs::default());
    open(&mut harness, ScreenId::Status);
    type_into(&mut harness, "Order reference", "UI-LINK-1");
    harness.key_press(Key::Enter);
    wait_for_text(&mut harness, "Payment link open, not paid yet");
    assert!(shows(&harness, "Open, not paid yet"), "told as a link waiting for the customer");
    assert!(!shows(&harness, "Needs attention") && !shows(&harness, "Approved"));
    assert!(shows(&harness, "None: every order's outcome is known."), "not an order in doubt");
}

#[test]
fn an_agreement_is_paused_and_resumed_from_the_recurring_screen() {
    let ui = UiRig::new();
    let aed = Currency::parse("AED").unwrap();
    let id = ui
        .rig
        .journal
        .add_agreement(&NewAgreement {
            profile: PROFILE.into(),
            token_name: "DEMO-VISA-0001".into(),
            agreement_id: Some("AGR7".into()),
            customer_email: "sub@example.com".into(),
            customer_name: None,
            amount: Money::parse("30.00", aed).unwrap(),
            cycle: moto_terminal::journal::Cycle::Days(30),
            next_due: chrono::Utc::now().date_naive(),
            created_at: chrono::Utc::now(),
            limit: None,
        })
        .unwrap();
    let mut harness = ui.app(FakeDialogs::default());
    open(&mut harness, ScreenId::Recurring);
    wait_for_text(&mut harness, "Run 1 due charges (AED 30.00)...");
    harness.get_by_label(&format!("Pause agreement {id}")).click();
    wait_for_text(&mut harness, "No charges due today");
    let active = |ui: &UiRig| ui.rig.journal.agreements(Some(PROFILE)).unwrap()[0].active;
    assert!(!active(&ui), "paused in the journal");
    harness.get_by_label(&format!("Resume agreement {id}")).click();
    wait_for_text(&mut harness, "Run 1 due charges (AED 30.00)...");
    assert!(active(&ui));

    // Cancel asks once more; Esc takes the question back.
    let for_good = format!("Cancel agreement {id} for good");
    harness.get_by_label(&format!("Cancel agreement {id}")).click();
    settle(&mut harness);
    assert!(harness.query_by_label(&for_good).is_some(), "asked once more");
    harness.key_press(Key::Escape);
    settle(&mut harness);
    assert!(harness.query_by_label(&for_good).is_none(), "Esc takes the question back");
    harness.get_by_label(&format!("Cancel agreement {id}")).click();
    settle(&mut harness);
    harness.get_by_label(&for_good).click();
    wait_for_text(&mut harness, "Cancelled");
    assert!(ui.rig.journal.agreements(Some(PROFILE)).unwrap()[0].cancelled_at.is_some());
    assert!(shows(&harness, "No charges due today"));
    assert!(ui.rig.sim.requests().is_empty(), "pausing, resuming and cancelling charge nothing");
}

#[test]
fn an_agreement_is_added_from_the_recurring_screen_and_a_mistake_is_named() {
    let ui = UiRig::new();
    let mut harness = ui.app(FakeDialogs::default());
    open(&mut harness, ScreenId::Recurring);
    harness.get_by_label("Add agreement...").click();
    settle(&mut harness);
    assert!(input(&harness, "Stored card (token)").is_focused(), "the cursor starts in the first field");
    // An agreement the customer already set up with APS: no first payment.
    harness.get_by_label("Take the first payment now").click();
    settle(&mut harness);
    input(&harness, "Stored card (token)").focus();
    settle(&mut harness);
    harness.input_mut().events.push(egui::Event::Text("DEMO-VISA-0001".into()));
    settle(&mut harness);
    type_into(&mut harness, "APS agreement ID", "AGR55");
    type_into(&mut harness, "Customer email", "member@example.com");
    type_into(&mut harness, "Amount", "49.00");
    // "Every" starts as monthly; a cycle the terminal does not know is named under its field.
    input(&harness, "Every").focus();
    settle(&mut harness);
    harness.key_press_modifiers(egui::Modifiers::COMMAND, Key::A);
    input(&harness, "Every").type_text("fortnightly");
    settle(&mut harness);
    harness.get_by_label("Save agreement").click();
    wait_for_text(&mut harness, "is not a cycle");
    assert!(ui.rig.journal.agreements(Some(PROFILE)).unwrap().is_empty(), "nothing saved");
    input(&harness, "Every").focus();
    settle(&mut harness);
    harness.key_press_modifiers(egui::Modifiers::COMMAND, Key::A);
    input(&harness, "Every").type_text("monthly");
    settle(&mut harness);
    harness.get_by_label("Save agreement").click();
    wait_for_text(&mut harness, "added.");
    let saved = ui.rig.journal.agreements(Some(PROFILE)).unwrap();
    assert_eq!(saved.len(), 1);
    assert_eq!(
        (saved[0].agreement_id.as_deref(), saved[0].cycle),
        (Some("AGR55"), moto_terminal::journal::Cycle::Monthly)
    );
    wait_for_text(&mut harness, "AGR55");
    assert!(ui.rig.sim.requests().is_empty(), "adding an agreement charges nothing");
}
