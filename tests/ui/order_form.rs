//! The order form on its own: typing, live checks, the read-back, Esc, the in-flight lock, the
//! duplicate guard, the outcome and the idle wipe. The screens that put it on the service are
//! tested end to end against the simulator elsewhere.

use super::{FakeDialogs, UiRig, input, press, profile, settle, shows, type_into, value_of};
use egui::Key;
use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable as _};
use moto_terminal::service::TokenCustomer;
use moto_terminal::ui::screens::order::{FormEvent, OrderChannel, OrderForm, PaymentMode};
use moto_terminal::ui::widgets::outcome::{OutcomeKind, OutcomeView};
use moto_terminal::ui::widgets::submit::{Finish, Phase as FormPhase};
use moto_terminal::ui::widgets::token::TokenChoice;
use moto_terminal::ui::{ActiveProfile, Env, ProfileEnvironment as Environment, UiSettings};

struct FormState {
    rig: UiRig,
    form: OrderForm,
    profile: ActiveProfile,
    settings: UiSettings,
    dialogs: FakeDialogs,
    events: Vec<FormEvent>,
}

fn harness_for(channel: OrderChannel, profile: ActiveProfile) -> Harness<'static, FormState> {
    let form = OrderForm::new(channel, "test", &profile);
    let state = FormState {
        rig: UiRig::new(),
        form,
        profile,
        settings: UiSettings::default(),
        dialogs: FakeDialogs::default(),
        events: Vec::new(),
    };
    let mut harness = Harness::builder().with_size([1100.0, 1000.0]).build_ui_state(
        |ui, state: &mut FormState| {
            let env = Env::new(&state.rig.handle, &state.profile, &state.dialogs, &state.settings);
            let events = state.form.ui(ui, &env);
            state.events.extend(events);
        },
        state,
    );
    settle(&mut harness);
    harness
}

fn phone() -> Harness<'static, FormState> {
    harness_for(OrderChannel::Phone, profile(Environment::Demo, true))
}

fn submits(harness: &Harness<'_, FormState>) -> Vec<bool> {
    harness
        .state()
        .events
        .iter()
        .filter_map(|e| match e {
            FormEvent::Submit { allow_duplicate } => Some(*allow_duplicate),
            _ => None,
        })
        .collect()
}

fn jane() -> TokenChoice {
    TokenChoice {
        token_name: "tok-jane-visa".to_owned(),
        masked_card: "400555******0001".to_owned(),
        status: "ACTIVE".to_owned(),
        customers: vec![TokenCustomer::new(
            Some("Jane Doe"),
            Some("jane@example.com"),
            Some("+971 50 111 2222"),
        )],
    }
}

/// Fills a complete keyed-card order of AED 12.50.
fn fill_keyed_card(harness: &mut Harness<'_, FormState>) {
    harness.get_by_label("Keyed card").click();
    settle(harness);
    type_into(harness, "Card number", "4005 5500 0000 0001");
    type_into(harness, "Expiry (MM/YY)", "05/39");
    type_into(harness, "Amount", "12.50");
    type_into(harness, "Customer email", "jane@example.com");
    type_into(harness, "Customer name", "Jane Doe");
}

#[test]
fn focus_starts_in_the_first_field() {
    let mut harness = phone();
    assert!(input(&harness, "Saved card").is_focused());
    // The common path first: card, amount, customer; currency and sale/authorize come last.
    for next in ["Amount", "Customer email", "Customer name", "Phone number", "Description", "Currency"] {
        press(&mut harness, Key::Tab);
        assert!(input(&harness, next).is_focused(), "Tab reaches {next}");
    }

    let mail = harness_for(OrderChannel::Mail, profile(Environment::Demo, true));
    assert!(input(&mail, "Slip number").is_focused());
}

#[test]
fn an_amount_with_a_decimal_comma_is_answered_with_the_amount_meant() {
    // (Arabic-Indic digits are read too, in `aps::money`; the test harness's fonts have no
    // glyphs for them.)
    let mut harness = phone();
    type_into(&mut harness, "Amount", "12,50");
    assert!(shows(&harness, "Amount has a comma where the decimal point goes: type 12.50"));
}

#[test]
fn the_amount_field_shows_the_currency_and_refuses_extra_decimals() {
    let mut harness = phone();
    assert!(shows(&harness, "AED has 2 decimals"));
    type_into(&mut harness, "Amount", "12.505");
    assert!(
        shows(&harness, "Amount has 3 decimals but AED allows 2"),
        "the decimals error is under the field"
    );

    // The same digits are fine in a three-decimal currency.
    input(&harness, "Currency").focus();
    settle(&mut harness);
    harness.key_press_modifiers(egui::Modifiers::COMMAND, Key::A);
    settle(&mut harness);
    input(&harness, "Currency").type_text("KWD");
    settle(&mut harness);
    assert!(shows(&harness, "KWD 12.505"), "parsed exactly in KWD");
    assert!(!shows(&harness, "allows 2"));
}

#[test]
fn a_keyed_card_is_checked_live_and_masked_when_the_field_is_left() {
    let mut harness = phone();
    harness.get_by_label("Keyed card").click();
    settle(&mut harness);
    assert!(
        input(&harness, "Card number").is_focused(),
        "choosing a keyed card puts the focus in its number"
    );

    input(&harness, "Card number").type_text("4005 5500 0000 0002");
    settle(&mut harness);
    assert!(shows(&harness, "Card number is not valid"), "Luhn failure is explained");

    harness.key_press(Key::Backspace);
    settle(&mut harness);
    input(&harness, "Card number").type_text("1");
    settle(&mut harness);
    assert!(shows(&harness, "Visa card, number is valid"));

    // Leaving the field masks it; coming back shows the digits again.
    press(&mut harness, Key::Tab);
    assert_eq!(value_of(&harness, "Card number"), "4005 5*********0001");
    press(&mut harness, Key::Tab);
    assert!(
        !shows(&harness, "4005 5500 0000 0001"),
        "the full number is not on screen once the field is left"
    );

    type_into(&mut harness, "Expiry (MM/YY)", "01/20");
    assert!(shows(&harness, "Expiry date has passed"));
}

#[test]
fn enter_on_an_incomplete_form_explains_and_focuses_the_first_problem() {
    let mut harness = phone();
    type_into(&mut harness, "Amount", "10");
    press(&mut harness, Key::Enter);
    assert!(matches!(harness.state().form.phase(), FormPhase::Editing));
    assert!(input(&harness, "Saved card").is_focused(), "the first field to fix gets the focus");
    assert!(shows(&harness, "Choose the customer's saved card"));
    assert!(shows(&harness, "Customer email is required by APS"));
    assert!(submits(&harness).is_empty());
}

#[test]
fn the_read_back_shows_everything_and_esc_keeps_the_form() {
    let mut harness = harness_for(OrderChannel::Phone, profile(Environment::Production, true));
    fill_keyed_card(&mut harness);
    press(&mut harness, Key::Enter);
    assert!(matches!(harness.state().form.phase(), FormPhase::Confirming(_)));
    for text in [
        "AED 12.50",
        "Visa 400555******0001 exp 05/39",
        "Jane Doe <jane@example.com>",
        "PRODUCTION",
        "Demo merchant (DEMO0001)",
    ] {
        assert!(shows(&harness, text), "read-back shows {text}");
    }
    assert!(!shows(&harness, "4005550000000001"), "never the full number");

    press(&mut harness, Key::Escape);
    // Esc reaches the form through the app shell; on its own, the form closes on escape().
    harness.state_mut().form.escape();
    settle(&mut harness);
    assert!(matches!(harness.state().form.phase(), FormPhase::Editing));
    assert_eq!(value_of(&harness, "Amount"), "12.50");
    assert_eq!(value_of(&harness, "Customer email"), "jane@example.com");
    assert_eq!(harness.state().form.card.number().as_str(), "4005 5500 0000 0001", "the card is kept");
    assert!(submits(&harness).is_empty(), "nothing was sent");
}

#[test]
fn enter_confirms_once_and_the_button_stays_disabled_while_in_flight() {
    let mut harness = phone();
    fill_keyed_card(&mut harness);
    press(&mut harness, Key::Enter);
    press(&mut harness, Key::Enter);
    assert_eq!(submits(&harness), [false]);
    assert!(harness.state().form.in_flight());
    assert!(shows(&harness, "Sending to APS"));
    let button = harness.get_by_role_and_label(Role::Button, "Charge now (Enter)");
    assert!(button.accesskit_node().is_disabled(), "no second click can charge twice");

    press(&mut harness, Key::Enter);
    harness.get_by_role_and_label(Role::Button, "Charge now (Enter)").click();
    settle(&mut harness);
    assert_eq!(submits(&harness), [false], "still one submission");
}

#[test]
fn reconciliation_is_shown_and_then_its_result() {
    let mut harness = phone();
    fill_keyed_card(&mut harness);
    press(&mut harness, Key::Enter);
    press(&mut harness, Key::Enter);
    harness
        .state_mut()
        .form
        .set_stage(OutcomeKind::Reconciling { attempt: 2, why: "The answer was lost.".to_owned() });
    settle(&mut harness);
    assert!(shows(&harness, "Outcome unknown: checking with APS"));
    assert!(shows(&harness, "attempt 2"));

    let ctx = harness.ctx.clone();
    let view = OutcomeView {
        kind: OutcomeKind::Approved,
        headline: "Payment approved".to_owned(),
        response_code: "14000".to_owned(),
        message: "Success".to_owned(),
        next_step: "Give the customer the order number.".to_owned(),
        summary: None,
        merchant_reference: Some("MT-261125-ABCD2345".to_owned()),
        fort_id: Some("169996200000000001".to_owned()),
        reconciled: true,
    };
    harness.state_mut().form.finish(&ctx, Finish::Outcome(view));
    settle(&mut harness);
    for text in
        ["Approved", "14000", "Give the customer the order number.", "Checked with APS", "MT-261125-ABCD2345"]
    {
        assert!(shows(&harness, text), "outcome shows {text}");
    }
    assert!(harness.state().form.card.number().is_empty(), "the card is wiped once the request left");

    press(&mut harness, Key::Enter);
    assert!(matches!(harness.state().form.phase(), FormPhase::Editing), "Enter starts the next order");
    assert_eq!(value_of(&harness, "Amount"), "");
}

#[test]
fn the_duplicate_guard_needs_an_explicit_override() {
    let mut harness = phone();
    fill_keyed_card(&mut harness);
    press(&mut harness, Key::Enter);
    press(&mut harness, Key::Enter);
    let ctx = harness.ctx.clone();
    harness.state_mut().form.finish(
        &ctx,
        Finish::Duplicate("possible duplicate: card ending 0001 was charged AED 12.50 at 10:02".to_owned()),
    );
    settle(&mut harness);
    assert!(shows(&harness, "Possible duplicate payment"));
    assert!(shows(&harness, "Possible duplicate: card ending 0001 was charged AED 12.50"));

    press(&mut harness, Key::Enter);
    assert_eq!(submits(&harness), [false], "Enter alone never overrides");
    let again = harness.get_by_role_and_label(Role::Button, "Charge again");
    assert!(again.accesskit_node().is_disabled());

    harness.get_by_label("The customer confirmed a second payment").click();
    settle(&mut harness);
    harness.get_by_role_and_label(Role::Button, "Charge again").click();
    settle(&mut harness);
    assert_eq!(submits(&harness), [false, true]);
}

#[test]
fn a_token_is_chosen_with_the_arrows_and_fills_the_customer() {
    let mut harness = phone();
    type_into(&mut harness, "Saved card", "jane");
    assert!(harness.state().events.contains(&FormEvent::SearchTokens("jane".to_owned())));
    let mut other = jane();
    other.token_name = "tok-jane-mc".to_owned();
    other.masked_card = "512345******2346".to_owned();
    harness.state_mut().form.token.set_choices("jane".to_owned(), vec![jane(), other]);
    settle(&mut harness);
    assert_eq!(value_of(&harness, "Customer email"), "jane@example.com");
    assert_eq!(value_of(&harness, "Phone number"), "+971 50 111 2222", "the phone comes with the customer");

    press(&mut harness, Key::ArrowDown);
    assert!(input(&harness, "Saved card").is_focused(), "the arrows do not move the focus");
    type_into(&mut harness, "Amount", "40");
    press(&mut harness, Key::Enter);
    assert!(shows(&harness, "card ending 2346, token tok-jane-mc"));
    assert!(shows(&harness, "AED 40.00"));
}

#[test]
fn an_inactive_token_cannot_be_charged() {
    let mut harness = phone();
    type_into(&mut harness, "Saved card", "jane");
    let mut inactive = jane();
    inactive.status = "INACTIVE".to_owned();
    harness.state_mut().form.token.set_choices("jane".to_owned(), vec![inactive]);
    settle(&mut harness);
    type_into(&mut harness, "Amount", "5");
    press(&mut harness, Key::Enter);
    assert!(matches!(harness.state().form.phase(), FormPhase::Editing));
    assert!(shows(&harness, "is INACTIVE: activate it on the Tokens screen"));
}

#[test]
fn without_the_trusted_channel_only_tokens_can_be_charged() {
    let mut harness = harness_for(OrderChannel::Phone, profile(Environment::Sandbox, false));
    assert!(harness.get_by_label("Keyed card").accesskit_node().is_disabled());
    harness.get_by_label("Keyed card").click();
    settle(&mut harness);
    assert_eq!(harness.state().form.payment_mode, PaymentMode::Token);
    assert!(shows(&harness, "Keyed cards need the trusted channel"));
}

#[test]
fn typed_card_details_are_wiped_after_the_idle_time() {
    let mut harness = phone();
    harness.state_mut().settings.card_idle_wipe_secs = 60;
    fill_keyed_card(&mut harness);
    assert!(!harness.state().form.card.number().is_empty());
    let now = harness.ctx.input(|i| i.time);
    harness.input_mut().time = Some(now + 61.0);
    settle(&mut harness);
    assert!(harness.state().form.card.number().is_empty(), "card number wiped");
    assert_eq!(value_of(&harness, "Card number"), "");
    assert!(shows(&harness, "The card details were cleared after 1 minute without activity"));
    assert_eq!(value_of(&harness, "Amount"), "12.50", "the rest of the order is kept");
}

#[test]
fn a_large_amount_is_flagged_in_the_read_back() {
    let mut harness = phone();
    fill_keyed_card(&mut harness);
    input(&harness, "Amount").focus();
    settle(&mut harness);
    harness.key_press_modifiers(egui::Modifiers::COMMAND, Key::A);
    input(&harness, "Amount").type_text("12500");
    settle(&mut harness);
    press(&mut harness, Key::Enter);
    assert!(shows(&harness, "Large amount: AED 12500.00. Check the decimal point"));
}

#[test]
fn mail_order_checks_the_date_and_next_order_keeps_the_flow() {
    let mut harness = harness_for(OrderChannel::Mail, profile(Environment::Demo, true));
    type_into(&mut harness, "Slip number", "S-1001");
    input(&harness, "Order date").focus();
    settle(&mut harness);
    harness.key_press_modifiers(egui::Modifiers::COMMAND, Key::A);
    input(&harness, "Order date").type_text("2026-02-30");
    settle(&mut harness);
    assert!(shows(&harness, "Order date must be a date written YYYY-MM-DD"));
    harness.key_press_modifiers(egui::Modifiers::COMMAND, Key::A);
    input(&harness, "Order date").type_text("2024-02-29");
    settle(&mut harness);
    fill_keyed_card(&mut harness);
    type_into(&mut harness, "Postal address", "PO Box 1, Dubai");
    press(&mut harness, Key::Enter);
    for text in ["S-1001", "2024-02-29", "PO Box 1, Dubai"] {
        assert!(shows(&harness, text), "read-back shows {text}");
    }
    press(&mut harness, Key::Enter);
    let ctx = harness.ctx.clone();
    let mut view = OutcomeView::in_progress(OutcomeKind::Declined);
    view.headline = "Insufficient funds".to_owned();
    harness.state_mut().form.finish(&ctx, Finish::Outcome(view));
    settle(&mut harness);
    assert!(shows(&harness, "Declined"));
    harness.get_by_role_and_label(Role::Button, "Next order (Enter)").click();
    settle(&mut harness);
    assert_eq!(value_of(&harness, "Slip number"), "");
    assert_eq!(value_of(&harness, "Order date"), "2024-02-29", "the date of the stack is kept");
    assert!(input(&harness, "Slip number").is_focused());
}

/// True when some accessible value or label holds the test card's digits in full.
fn publishes_the_number(harness: &Harness<'_, FormState>) -> bool {
    harness
        .query_all_by(|node| {
            let full = |t: &str| t.contains("4005550000000001") || t.contains("4005 5500 0000 0001");
            node.value().is_some_and(|v| full(&v)) || node.label().is_some_and(|l| full(&l))
        })
        .next()
        .is_some()
}

fn searched_for_a_card(harness: &Harness<'_, FormState>) -> bool {
    harness.state().events.iter().any(
        |e| matches!(e, FormEvent::SearchTokens(q) if q.chars().filter(char::is_ascii_digit).count() >= 12),
    )
}

#[test]
fn a_card_number_typed_as_saved_card_moves_to_keyed_entry() {
    let mut harness = phone();
    type_into(&mut harness, "Saved card", "4005 5500 0000 0001");
    let form = &harness.state().form;
    assert_eq!(form.payment_mode, PaymentMode::Card, "keyed entry is offered");
    assert_eq!(form.card.number().as_str(), "4005550000000001", "the digits moved there");
    assert_eq!(form.token.query, "", "and were wiped from the token field");
    assert!(input(&harness, "Card number").is_focused());
    assert_eq!(value_of(&harness, "Card number"), "400555******0001");
    assert!(shows(&harness, "moved to keyed card entry"));
    assert!(!searched_for_a_card(&harness), "the token book is never searched for a card number");
    assert!(!publishes_the_number(&harness));
}

#[test]
fn a_card_number_typed_as_saved_card_is_cleared_where_cards_cannot_be_taken() {
    let mut harness = harness_for(OrderChannel::Phone, profile(Environment::Demo, false));
    type_into(&mut harness, "Saved card", "4005550000000001");
    let form = &harness.state().form;
    assert_eq!(form.payment_mode, PaymentMode::Token);
    assert_eq!(form.token.query, "", "the typed digits are wiped");
    assert!(form.card.number().is_empty());
    assert!(shows(&harness, "card numbers cannot be taken on this profile"), "says so plainly");
    assert!(!searched_for_a_card(&harness));
    assert!(!publishes_the_number(&harness));
    // Typing a name again clears the notice and searches as usual.
    type_into(&mut harness, "Saved card", "Jane");
    assert!(!shows(&harness, "card numbers cannot be taken"));
}
