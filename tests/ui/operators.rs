//! Operators at the desktop: the sign-in that covers every screen, the banner naming who is
//! signed in, F12, the idle lock on egui's clock, a supervisor's approval typed into an agent's
//! refund read-back, the audit trail and its verification, and what an agent is refused.

use super::{
    FakeDialogs, UiRig, button, input, press, settle, shows, type_into, value_of, wait_for_text, wait_until,
};
use egui::Key;
use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use moto_terminal::aps::money::Currency;
use moto_terminal::aps::secret::Secret;
use moto_terminal::service::access::Role as OperatorRole;
use moto_terminal::service::{Outcome, Profile, ProfileEnvironment, Progress, SecretKind};
use moto_terminal::ui::{ScreenId, TerminalApp};

const ROOT: (&str, &str) = ("root", "root-pin-1");
const SARA: (&str, &str) = ("sara", "sara-pin-2");
const AMAL: (&str, &str) = ("amal", "amal-pin-3");

/// root (admin), sara (supervisor) and amal (agent); nobody signed in afterwards.
fn with_team(ui: &UiRig) {
    let service = &ui.rig.service;
    ui.rt.block_on(async {
        service.add_operator(ROOT.0, OperatorRole::Admin, &Secret::from(ROOT.1)).await.unwrap();
        service.sign_in(ROOT.0, &Secret::from(ROOT.1)).await.unwrap();
        service.add_operator(SARA.0, OperatorRole::Supervisor, &Secret::from(SARA.1)).await.unwrap();
        service.add_operator(AMAL.0, OperatorRole::Agent, &Secret::from(AMAL.1)).await.unwrap();
        service.sign_out().await;
    });
}

/// A sale keyed by `who`, made through the service (who is then signed out again).
fn sale_by(ui: &UiRig, who: (&str, &str), amount: &str) -> Outcome {
    let service = &ui.rig.service;
    ui.rt.block_on(async {
        service.sign_in(who.0, &Secret::from(who.1)).await.unwrap();
        let outcome = service.charge(ui.rig.token_sale("DEMO-VISA-0001", amount), &Progress::none()).await;
        service.sign_out().await;
        outcome.unwrap()
    })
}

fn pin<'h, S>(harness: &'h Harness<'_, S>, label: &'h str) -> egui_kittest::Node<'h> {
    harness.get_by_role_and_label(Role::PasswordInput, label)
}

fn type_pin<S>(harness: &mut Harness<'_, S>, label: &str, text: &str) {
    pin(harness, label).focus();
    settle(harness);
    pin(harness, label).type_text(text);
    settle(harness);
}

/// Types the PIN (and the name, on a fresh sign-in) and presses Enter.
fn try_sign_in(harness: &mut Harness<'_, TerminalApp>, who: (&str, &str)) {
    if harness.query_by_role_and_label(Role::TextInput, "Name").is_some() {
        input(harness, "Name").focus();
        settle(harness);
        harness.key_press_modifiers(egui::Modifiers::COMMAND, Key::A);
        input(harness, "Name").type_text(who.0);
        settle(harness);
    }
    type_pin(harness, "PIN", who.1);
    press(harness, Key::Enter);
}

fn sign_in(harness: &mut Harness<'_, TerminalApp>, who: (&str, &str)) {
    try_sign_in(harness, who);
    wait_until(harness, "the sign-in", |h| !h.state().covered());
}

fn open(harness: &mut Harness<'_, TerminalApp>, screen: ScreenId) {
    press(harness, screen.key());
    assert_eq!(harness.state().current_screen(), screen);
}

/// Moves egui's clock `secs` on, with no input meanwhile; then it runs on by itself again.
fn away_for(harness: &mut Harness<'_, TerminalApp>, secs: f64) {
    let now = harness.ctx.input(|i| i.time);
    harness.input_mut().time = Some(now + secs);
    harness.step();
    harness.input_mut().time = None;
    settle(harness);
}

fn nav_shown(harness: &Harness<'_, TerminalApp>) -> bool {
    harness.query_by_label("F1  Phone order").is_some()
}

#[test]
fn without_operators_there_is_no_sign_in_and_the_banner_names_the_desk_operator() {
    let ui = UiRig::new();
    let harness = ui.app(FakeDialogs::default());
    assert!(!harness.state().covered(), "single-user mode: the terminal is open");
    assert!(nav_shown(&harness));
    assert!(shows(&harness, "Operator: agent7"));
    assert!(!shows(&harness, "Sign in"), "no sign-in anywhere");
    assert!(!shows(&harness, "F12  sign out"));
    assert!(input(&harness, "Saved card").is_focused(), "the order form as always");
}

#[test]
fn sign_in_covers_every_screen_a_wrong_pin_stays_and_f12_signs_out_discarding_the_draft() {
    let ui = UiRig::new();
    with_team(&ui);
    let mut harness = ui.app(FakeDialogs::default());
    assert!(harness.state().covered());
    assert!(shows(&harness, "Sign in") && shows(&harness, "Not signed in"));
    assert!(!nav_shown(&harness), "nothing but the sign-in");
    assert!(input(&harness, "Name").is_focused(), "the cursor starts in the name");
    press(&mut harness, Key::F6);
    assert!(harness.state().covered(), "the screen keys do nothing before sign-in");

    try_sign_in(&mut harness, ("amal", "not-her-pin"));
    wait_for_text(&mut harness, "Not allowed: wrong PIN for amal");
    assert!(harness.state().covered(), "still on the sign-in");
    assert_eq!(value_of(&harness, "Name"), "amal", "the name is kept");
    assert_eq!(pin(&harness, "PIN").value().unwrap_or_default(), "", "the PIN is typed again");
    assert!(pin(&harness, "PIN").is_focused());

    sign_in(&mut harness, AMAL);
    assert!(nav_shown(&harness));
    assert!(shows(&harness, "amal · agent"), "the banner names who is signed in and their role");
    assert!(shows(&harness, "F12  sign out"));
    assert_eq!(ui.rig.service.signed_in().map(|o| o.name), Some("amal".to_owned()));
    assert_eq!(harness.state().current_screen(), ScreenId::PhoneOrder);
    type_into(&mut harness, "Amount", "12.34");

    press(&mut harness, Key::F12);
    assert!(harness.state().covered(), "F12 signs out");
    assert!(shows(&harness, "Sign in"));
    wait_until(&mut harness, "the service's sign-out", |_| ui.rig.service.signed_in().is_none());
    sign_in(&mut harness, SARA);
    assert!(shows(&harness, "sara · supervisor"));
    assert_eq!(value_of(&harness, "Amount"), "", "amal's draft was discarded");

    harness.get_by_role_and_label(Role::Button, "Sign out (F12)").click();
    settle(&mut harness);
    assert!(harness.state().covered(), "the banner's button signs out too");
}

fn key_a_card(harness: &mut Harness<'_, TerminalApp>) {
    harness.get_by_label("Keyed card").click();
    settle(harness);
    type_into(harness, "Card number", "4005550000000001");
    type_into(harness, "Expiry (MM/YY)", "12/30");
    assert_ne!(value_of(harness, "Card number"), "");
}

#[test]
fn the_idle_lock_keeps_the_draft_for_the_same_operator_but_not_the_card() {
    let ui = UiRig::new();
    with_team(&ui);
    let mut harness = ui.app(FakeDialogs::default());
    sign_in(&mut harness, AMAL);
    type_into(&mut harness, "Amount", "12.50");
    type_into(&mut harness, "Customer email", "layla@example.com");
    key_a_card(&mut harness);

    away_for(&mut harness, 100.0);
    assert!(!harness.state().covered(), "not before the idle time (5 minutes by default)");
    away_for(&mut harness, 201.0);
    assert!(harness.state().covered(), "locked after 5 minutes without input");
    assert!(shows(&harness, "The terminal locked after 5 minutes without activity"));
    assert!(shows(&harness, "Signed in: amal · agent"));
    assert!(!nav_shown(&harness));
    assert!(pin(&harness, "PIN").is_focused());

    try_sign_in(&mut harness, SARA);
    wait_for_text(&mut harness, "Not allowed: wrong PIN for amal");
    assert!(harness.state().covered(), "only amal's PIN opens amal's terminal");
    sign_in(&mut harness, AMAL);
    assert_eq!(value_of(&harness, "Amount"), "12.50", "the order is kept");
    assert_eq!(value_of(&harness, "Customer email"), "layla@example.com");
    assert_eq!(value_of(&harness, "Card number"), "", "the keyed card was wiped at the lock");
    assert_eq!(value_of(&harness, "Expiry (MM/YY)"), "");
    assert!(shows(&harness, "The card details were cleared when the terminal locked"));

    // Someone else at the lock: warned first, then amal's draft goes.
    away_for(&mut harness, 301.0);
    assert!(harness.state().covered());
    harness.get_by_role_and_label(Role::Button, "Sign in as someone else").click();
    settle(&mut harness);
    assert!(shows(&harness, "discards amal's unfinished work on every screen"));
    harness.get_by_role_and_label(Role::Button, "Keep it").click();
    settle(&mut harness);
    assert!(!shows(&harness, "discards amal's unfinished work"), "changed their mind: still amal's lock");
    harness.get_by_role_and_label(Role::Button, "Sign in as someone else").click();
    settle(&mut harness);
    harness.get_by_role_and_label(Role::Button, "Discard the work and sign in as someone else").click();
    settle(&mut harness);
    assert!(input(&harness, "Name").is_focused(), "a fresh sign-in");
    sign_in(&mut harness, SARA);
    assert_eq!(value_of(&harness, "Amount"), "", "amal's draft was discarded");
    assert_eq!(value_of(&harness, "Customer email"), "");
}

/// Opens Operations on `reference` and the refund read-back for the whole amount.
fn refund_read_back(harness: &mut Harness<'_, TerminalApp>, reference: &str) {
    open(harness, ScreenId::Operations);
    harness.event(egui::Event::Text(reference.to_owned()));
    harness.key_press(Key::Enter);
    wait_for_text(harness, "Still refundable: AED 20.00");
    input(harness, "Amount").focus();
    settle(harness);
    press(harness, Key::Enter);
    assert!(shows(harness, "Refund now (Enter)"), "the read-back is open");
}

fn refunds_sent(ui: &UiRig) -> usize {
    ui.rig.sim.requests().iter().filter(|r| r.command.as_deref() == Some("REFUND")).count()
}

#[test]
fn an_agent_refund_is_approved_in_the_read_back_and_self_approval_is_refused() {
    let ui = UiRig::new();
    with_team(&ui);
    let sale = sale_by(&ui, AMAL, "20.00");
    let mut harness = ui.app(FakeDialogs::default());
    sign_in(&mut harness, AMAL);
    refund_read_back(&mut harness, &sale.merchant_reference);
    assert!(input(&harness, "Supervisor").is_focused(), "the approval is asked for at once");

    // amal approving amal: refused, nothing sent, the read-back back with the reason.
    type_into(&mut harness, "Supervisor", "amal");
    type_pin(&mut harness, "Supervisor PIN", AMAL.1);
    press(&mut harness, Key::Enter);
    wait_for_text(&mut harness, "amal cannot approve their own request");
    assert!(shows(&harness, "Refund now (Enter)"), "the read-back is open again");
    assert_eq!(value_of(&harness, "Supervisor"), "amal", "what was typed is kept");
    assert_eq!(pin(&harness, "Supervisor PIN").value().unwrap_or_default(), "", "the PIN is typed again");
    assert_eq!(refunds_sent(&ui), 0, "nothing went to APS");

    // Left empty: the service says an approval is needed (the limit is 0).
    input(&harness, "Supervisor").focus();
    settle(&mut harness);
    harness.key_press_modifiers(egui::Modifiers::COMMAND, Key::A);
    harness.key_press(Key::Backspace);
    press(&mut harness, Key::Enter);
    wait_for_text(&mut harness, "needs a supervisor's approval");
    assert_eq!(refunds_sent(&ui), 0);

    type_into(&mut harness, "Supervisor", "sara");
    type_pin(&mut harness, "Supervisor PIN", SARA.1);
    press(&mut harness, Key::Enter);
    wait_for_text(&mut harness, "Another operation on this order (Enter)");
    assert!(shows(&harness, "Approved"));
    press(&mut harness, Key::Enter);
    wait_for_text(&mut harness, "approved by sara");
    assert!(shows(&harness, "by amal, approved by sara"), "the timeline names both");
    assert_eq!(refunds_sent(&ui), 1, "sent once");
    let timeline = ui.rig.journal.timeline(crate::service::rig::PROFILE, &sale.merchant_reference).unwrap();
    assert!(timeline.iter().any(|op| op.approved_by.as_deref() == Some("sara")));
}

#[test]
fn the_audit_view_lists_the_trail_filters_it_and_verifies_the_chain() {
    let ui = UiRig::new();
    with_team(&ui);
    let mut harness = ui.app(FakeDialogs::default());
    sign_in(&mut harness, SARA);
    open(&mut harness, ScreenId::Audit);
    wait_for_text(&mut harness, "operator-add");
    assert!(shows(&harness, "amal as agent"), "what root did, in detail");
    assert!(shows(&harness, "sign-in"), "sara's own sign-in is there");
    assert!(input(&harness, "Operator").is_focused());

    harness.event(egui::Event::Text("nobody".to_owned()));
    press(&mut harness, Key::Enter);
    wait_for_text(&mut harness, "No entries.");
    assert!(!shows(&harness, "operator-add"), "filtered by operator");
    input(&harness, "Operator").focus();
    settle(&mut harness);
    harness.key_press_modifiers(egui::Modifiers::COMMAND, Key::A);
    input(&harness, "Operator").type_text("root");
    press(&mut harness, Key::Enter);
    wait_for_text(&mut harness, "operator-add");

    harness.get_by_role_and_label(Role::Button, "Verify the chain").click();
    wait_until(&mut harness, "the verification", |h| shows(h, "chain intact"));
    let verdict = harness.query_all_by(|n| {
        let text = n.label().or(n.value()).unwrap_or_default();
        text.ends_with(" entries, chain intact")
            && text.split(' ').next().is_some_and(|n| n.parse::<u32>().is_ok())
    });
    assert!(verdict.count() > 0, "\"N entries, chain intact\"");
    assert!(!shows(&harness, "Chain broken"));
}

#[test]
fn an_agent_is_told_plainly_the_audit_trail_and_the_settings_are_not_theirs() {
    let ui = UiRig::new();
    with_team(&ui);
    let mut harness = ui.app(FakeDialogs::default());
    sign_in(&mut harness, AMAL);
    open(&mut harness, ScreenId::Audit);
    wait_for_text(&mut harness, "may not read the audit trail");
    assert!(shows(&harness, "Not allowed: amal is signed in as an agent"));
    let refusals = |h: &Harness<'_, TerminalApp>| {
        h.query_all_by(|n| n.label().or(n.value()).is_some_and(|l| l.contains("may not read the audit")))
            .count()
    };
    let before = refusals(&harness);
    harness.get_by_role_and_label(Role::Button, "Verify the chain").click();
    wait_until(&mut harness, "Verify's refusal", |h| refusals(h) > before);

    open(&mut harness, ScreenId::Settings);
    // The profile list is read first: once it is there, the buttons stay where they are.
    wait_for_text(&mut harness, "access code set, request phrase set, response phrase set");
    harness.get_by_role_and_label(Role::Button, "Save settings").scroll_to_me();
    settle(&mut harness);
    harness.get_by_role_and_label(Role::Button, "Save settings").click();
    wait_for_text(&mut harness, "may not change the settings");
    assert_eq!(ui.rig.service.app_settings().idle_lock_mins, 5, "nothing saved");
}

/// Scrolls to the text input labelled `label`, selects what is there and types `text`.
fn replace(harness: &mut Harness<'_, TerminalApp>, label: &str, text: &str) {
    input(harness, label).scroll_to_me();
    settle(harness);
    input(harness, label).focus();
    settle(harness);
    harness.key_press_modifiers(egui::Modifiers::COMMAND, Key::A);
    input(harness, label).type_text(text);
    settle(harness);
}

#[test]
fn the_idle_lock_and_a_profile_agent_limit_are_set_in_settings_and_checked_first() {
    let ui = UiRig::new();
    let mut mall =
        Profile::new("Dubai mall", ProfileEnvironment::Sandbox, "Shop42", Currency::parse("SAR").unwrap());
    mall.endpoint = "https://sbpaymentservices.payfort.com/FortAPI/paymentApi".to_owned();
    let secrets = vec![
        (SecretKind::AccessCode, Secret::from("ShopAccess42")),
        (SecretKind::RequestPhrase, Secret::from("shop.request.phrase")),
        (SecretKind::ResponsePhrase, Secret::from("shop.response.phrase")),
    ];
    ui.rt.block_on(ui.rig.service.save_profile(mall, secrets)).unwrap();
    let mut harness = ui.app(FakeDialogs::default());
    open(&mut harness, ScreenId::Settings);
    wait_for_text(&mut harness, "Dubai mall");

    harness.get_by_label("Dubai mall").scroll_to_me();
    settle(&mut harness);
    harness.get_by_label("Dubai mall").click();
    settle(&mut harness);
    assert!(shows(&harness, "SANDBOX"), "the stored profile is in the form");
    assert_eq!(value_of(&harness, "Agent refund/void limit"), "0.00", "every agent refund needs approval");
    replace(&mut harness, "Agent refund/void limit", "150.505");
    button(&mut harness, "Save profile (Enter)");
    assert!(shows(&harness, "Agent refund/void limit: amount has 3 decimals but SAR allows 2"));
    assert!(input(&harness, "Agent refund/void limit").is_focused());
    replace(&mut harness, "Agent refund/void limit", "150.50");
    button(&mut harness, "Save profile (Enter)");
    wait_for_text(&mut harness, "Profile Dubai mall saved.");
    let profiles = ui.rt.block_on(ui.rig.service.profiles()).unwrap();
    let mall = profiles.into_iter().find(|p| p.profile.name == "Dubai mall").unwrap().profile;
    assert_eq!(mall.agent_limit_minor, 15_050, "parsed exactly, in halalas");

    for typed in ["0", "61", "soon"] {
        replace(&mut harness, "Idle lock (minutes)", typed);
        button(&mut harness, "Save settings");
        assert!(shows(&harness, "Idle lock must be 1 to 60 minutes without activity"), "{typed}");
        assert!(input(&harness, "Idle lock (minutes)").is_focused(), "the cursor goes to the setting");
    }
    assert_eq!(ui.rig.service.app_settings().idle_lock_mins, 5, "nothing saved");
    replace(&mut harness, "Idle lock (minutes)", "10");
    button(&mut harness, "Save settings");
    wait_for_text(&mut harness, "Settings saved.");
    assert_eq!(ui.rig.service.app_settings().idle_lock_mins, 10);
}

#[test]
fn a_batch_file_given_at_start_waits_for_the_sign_in() {
    let ui = UiRig::new();
    with_team(&ui);
    let mut harness = ui.app(FakeDialogs::default());
    let ctx = harness.ctx.clone();
    harness.state_mut().open_batch_file(&ctx, std::path::PathBuf::from("/nonexistent/orders.csv"));
    settle(&mut harness);
    assert!(harness.state().covered(), "the sign-in first");
    assert!(!shows(&harness, "orders.csv"), "nothing read before sign-in");
    sign_in(&mut harness, AMAL);
    assert_eq!(harness.state().current_screen(), ScreenId::Batch, "the file is still on its way");
    wait_for_text(&mut harness, "orders.csv");
}

#[test]
fn a_desk_whose_keychain_lost_the_audit_key_starts_a_new_one_from_the_keyboard() {
    let ui = UiRig::new();
    let sale = ui.rig.token_sale("DEMO-VISA-0001", "12.00");
    ui.rt.block_on(ui.rig.service.charge(sale, &Progress::none())).unwrap();
    // The same desk journal after the computer's keychain was reset.
    let mut harness = ui.app_on(ui.rig.other_keychain(ui.rig.journal.clone()));
    open(&mut harness, ScreenId::Audit);
    wait_for_text(&mut harness, "does not hold the audit trail's key");
    // From the operator filter: Show, Verify, then the offer.
    for _ in 0..3 {
        press(&mut harness, Key::Tab);
    }
    assert!(harness.get_by_role_and_label(Role::Button, "Start a new audit key...").is_focused());
    press(&mut harness, Key::Enter);
    wait_for_text(&mut harness, "Start a new audit key?");
    assert!(shows(&harness, "can no longer be verified"), "it says what it means");
    // Esc closes the question and stays on the screen; nothing is renewed.
    press(&mut harness, Key::Escape);
    assert!(!shows(&harness, "Start a new audit key?"));
    assert_eq!(harness.state().current_screen(), ScreenId::Audit);
    harness.get_by_role_and_label(Role::Button, "Start a new audit key...").click();
    wait_for_text(&mut harness, "Start a new audit key?");
    press(&mut harness, Key::Enter);
    wait_for_text(&mut harness, "A new audit key is in this computer's keychain");
    wait_for_text(&mut harness, "audit-key-renewed");
    harness.get_by_role_and_label(Role::Button, "Verify the chain").click();
    wait_for_text(&mut harness, "chain intact from entry");
    assert!(!shows(&harness, "Start a new audit key..."), "the offer is gone");
}

#[test]
fn only_an_admin_is_offered_a_new_audit_key() {
    let ui = UiRig::new();
    with_team(&ui);
    let mut harness = ui.app_on(ui.rig.other_keychain(ui.rig.journal.clone()));
    sign_in(&mut harness, SARA);
    open(&mut harness, ScreenId::Audit);
    wait_for_text(&mut harness, "An admin must sign in to start a new key.");
    assert!(harness.query_by_label("Start a new audit key...").is_none());
    press(&mut harness, Key::F12);
    sign_in(&mut harness, ROOT);
    open(&mut harness, ScreenId::Audit);
    wait_for_text(&mut harness, "Start a new audit key...");
}
