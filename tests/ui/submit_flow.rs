//! The shared submit flow: its keys on their own, then "once" on every screen that uses it
//! (Enter pressed again while a request is in flight never sends a second one).

use super::{FakeDialogs, UiRig, input, press, profile, settle, shows, type_into, wait_for_text, wait_until};
use crate::service::rig::PROFILE;
use egui::Key;
use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use moto_terminal::aps::command::ChargeKind;
use moto_terminal::aps::money::{Currency, Money};
use moto_terminal::journal::NewAgreement;
use moto_terminal::service::Progress;
use moto_terminal::ui::widgets::confirm::ReadBack;
use moto_terminal::ui::widgets::field::TextField;
use moto_terminal::ui::widgets::outcome::{OutcomeKind, OutcomeView};
use moto_terminal::ui::widgets::submit::{Action, Finish, Phase, SubmitFlow};
use moto_terminal::ui::{ProfileEnvironment as Environment, ScreenId, TerminalApp};

/// A form of one input and one unrelated button on the flow, recording every action.
struct Bench {
    flow: SubmitFlow,
    name: String,
    actions: Vec<Action>,
}

fn read_back() -> ReadBack {
    let p = profile(Environment::Demo, true);
    ReadBack {
        operation: "Sale".into(),
        money: Money::parse("5", Currency::parse("AED").unwrap()).unwrap(),
        payment: "Saved card".into(),
        customer: "jane@example.com".into(),
        details: Vec::new(),
        profile: p.name,
        merchant_identifier: p.merchant_identifier,
        environment: p.environment,
        warnings: Vec::new(),
    }
}

fn act(bench: &mut Bench, ui: &egui::Ui, action: Option<Action>) {
    let Some(action) = action else { return };
    bench.actions.push(action);
    match action {
        Action::Review => bench.flow.confirm(ui, read_back()),
        Action::Send { .. } => bench.flow.sending(),
        Action::Next => bench.flow.reset(),
    }
}

fn bench() -> Harness<'static, Bench> {
    let state =
        Bench { flow: SubmitFlow::new(egui::Id::unique("bench")), name: String::new(), actions: Vec::new() };
    Harness::builder().with_size([900.0, 700.0]).build_ui_state(
        |ui, bench: &mut Bench| {
            let action = bench.flow.keys(ui);
            act(bench, ui, action);
            let name = TextField::new("Name", egui::Id::unique("bench_name")).show(
                ui,
                &mut bench.name,
                None,
                |_| {},
            );
            let _ = ui.button("Unrelated");
            bench.flow.track(ui, &[name]);
            let action = bench.flow.dialogs_ui(ui, "Charge now (Enter)");
            act(bench, ui, action);
        },
        state,
    )
}

#[test]
fn the_flow_keys_review_send_once_and_next() {
    let mut harness = bench();
    type_into(&mut harness, "Name", "Jane");
    press(&mut harness, Key::Enter);
    assert_eq!(harness.state().actions, [Action::Review], "Enter in an input reviews");
    assert!(matches!(harness.state().flow.phase(), Phase::Confirming(_)));
    assert_eq!(harness.state().name, "Jane", "the input kept its text; the key was the flow's");

    press(&mut harness, Key::Enter);
    press(&mut harness, Key::Enter);
    press(&mut harness, Key::Enter);
    let sends = harness.state().actions.iter().filter(|a| matches!(a, Action::Send { .. })).count();
    assert_eq!(sends, 1, "Enter in flight sends nothing more");
    assert!(harness.state().flow.in_flight());

    let view = OutcomeView::in_progress(OutcomeKind::Approved);
    assert!(matches!(
        harness.state_mut().flow.finish(Finish::Outcome(view)),
        moto_terminal::ui::widgets::submit::Finished::Sent(OutcomeKind::Approved)
    ));
    settle(&mut harness);
    press(&mut harness, Key::Enter);
    assert_eq!(harness.state().actions.last(), Some(&Action::Next), "Enter after the outcome: next");
    assert!(matches!(harness.state().flow.phase(), Phase::Editing));
}

#[test]
fn the_flow_ignores_enter_outside_its_inputs_and_esc_gives_the_focus_back() {
    let mut harness = bench();
    harness.get_by_role_and_label(Role::Button, "Unrelated").focus();
    settle(&mut harness);
    press(&mut harness, Key::Enter);
    assert!(harness.state().actions.is_empty(), "Enter on another widget is not a review");

    type_into(&mut harness, "Name", "Jane");
    press(&mut harness, Key::Enter);
    assert!(matches!(harness.state().flow.phase(), Phase::Confirming(_)));
    assert!(harness.state_mut().flow.escape(), "Esc closes the read-back");
    settle(&mut harness);
    assert!(input(&harness, "Name").is_focused(), "and the focus is back where it was");

    // Tabbing to "Back" and pressing Enter means Back, never Send.
    press(&mut harness, Key::Enter);
    harness.get_by_role_and_label(Role::Button, "Back to the form (Esc)").focus();
    settle(&mut harness);
    press(&mut harness, Key::Enter);
    assert!(!harness.state().actions.iter().any(|a| matches!(a, Action::Send { .. })));
}

fn open(harness: &mut Harness<'_, TerminalApp>, screen: ScreenId) {
    press(harness, screen.key());
    assert_eq!(harness.state().current_screen(), screen);
}

/// Enter three times in a row: review, send, and one more while the request is in flight.
fn enter_three_times(harness: &mut Harness<'_, TerminalApp>) {
    for _ in 0..3 {
        harness.key_press(Key::Enter);
        harness.step();
    }
}

#[test]
fn operations_send_once() {
    let ui = UiRig::new();
    let mut draft = ui.rig.token_sale("DEMO-VISA-0001", "100.00");
    draft.kind = ChargeKind::AuthorizeOnly;
    let auth = ui.rt.block_on(ui.rig.service.charge(draft, &Progress::none())).unwrap();
    let mut harness = ui.app(FakeDialogs::default());
    open(&mut harness, ScreenId::Operations);
    type_into(&mut harness, "Order reference or Fort ID", &auth.merchant_reference);
    press(&mut harness, Key::Enter);
    wait_for_text(&mut harness, "Still capturable: AED 100.00");
    enter_three_times(&mut harness);
    // The third Enter lands in flight (nothing) or after the outcome (the next operation): never
    // a second capture. So wait on the journal, not on the panel.
    let captured = |h: &Harness<'_, TerminalApp>| {
        let _ = h;
        ui.rig.journal.order(PROFILE, &auth.merchant_reference).unwrap().unwrap().captured_minor > 0
    };
    wait_until(&mut harness, "the capture", captured);
    for _ in 0..20 {
        harness.step();
    }
    let order = ui.rig.journal.order(PROFILE, &auth.merchant_reference).unwrap().unwrap();
    assert_eq!(order.captured_minor, 10_000);
    assert_eq!(ui.rig.journal.timeline(PROFILE, &auth.merchant_reference).unwrap().len(), 2, "one capture");
}

#[test]
fn payment_link_sends_once() {
    let ui = UiRig::new();
    let mut harness = ui.app(FakeDialogs::default());
    open(&mut harness, ScreenId::PaymentLink);
    type_into(&mut harness, "Amount", "12.00");
    type_into(&mut harness, "Customer email", "once@example.com");
    enter_three_times(&mut harness);
    let sent = |_: &Harness<'_, TerminalApp>| {
        ui.rig.journal.links(Some(PROFILE), None).unwrap().iter().any(|l| l.url.is_some())
    };
    wait_until(&mut harness, "the link", sent);
    for _ in 0..20 {
        harness.step();
    }
    assert_eq!(ui.rig.journal.links(Some(PROFILE), None).unwrap().len(), 1);
}

#[test]
fn tokens_save_once_on_enter() {
    let ui = UiRig::new();
    let mut harness = ui.app(FakeDialogs::default());
    open(&mut harness, ScreenId::Tokens);
    harness.get_by_label("Save a new card").click();
    settle(&mut harness);
    type_into(&mut harness, "Card number", "5123456789012346");
    type_into(&mut harness, "Expiry (MM/YY)", "12/30");
    type_into(&mut harness, "Token name (optional)", "once-mc");
    type_into(&mut harness, "Customer email", "once@example.com");
    enter_three_times(&mut harness);
    wait_until(&mut harness, "the token", |h| shows(h, "Token:"));
    settle(&mut harness);
    assert_eq!(ui.rig.journal.tokens(PROFILE, "once").unwrap().len(), 1);
    assert!(ui.rig.sim.money_movements().is_empty(), "nothing was charged");
}

#[test]
fn recurring_runs_once() {
    let ui = UiRig::new();
    let agreement = NewAgreement {
        profile: PROFILE.into(),
        token_name: "DEMO-VISA-0001".into(),
        agreement_id: Some("AGR7001".into()),
        customer_email: "sub@example.com".into(),
        customer_name: None,
        amount: Money::parse("30.00", Currency::parse("AED").unwrap()).unwrap(),
        cycle: moto_terminal::journal::Cycle::Days(30),
        next_due: chrono::Utc::now().date_naive(),
        created_at: chrono::Utc::now(),
        limit: None,
    };
    ui.rig.journal.add_agreement(&agreement).unwrap();
    let mut harness = ui.app(FakeDialogs::default());
    open(&mut harness, ScreenId::Recurring);
    wait_for_text(&mut harness, "Run 1 due charges (AED 30.00)...");
    harness.get_by_label("Run 1 due charges (AED 30.00)...").click();
    settle(&mut harness);
    for _ in 0..3 {
        harness.key_press(Key::Enter);
        harness.step();
    }
    wait_until(&mut harness, "the run", |h| shows(h, "No charges due today"));
    assert_eq!(ui.rig.sim.money_movements().len(), 1);
    assert!(shows(&harness, "Approved"));
    assert!(!shows(&harness, "Sending to APS"), "the run is over, and the screen says so");
}
