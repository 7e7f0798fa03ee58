//! The team journal on the desktop: Settings' "Team journal" section (Test connection against
//! the real PostgreSQL of `scripts/postgres-test-env`, Save with the password kept in the
//! keychain and out of the settings file, the offer to copy this desk's journal), and a desk
//! whose team journal is unreachable at start: "Team journal offline" in the banner, History
//! read-only on the local journal, and nothing charged.

use super::{FakeDialogs, UiRig, button, input, press, settle, shows, type_into, value_of, wait_for_text};
use crate::service::rig::{PROFILE, fast_settings};
use egui::Key;
use egui_kittest::Harness;
use moto_terminal::aps::response::Kind;
use moto_terminal::journal::{BatchState, NewBatch};
use moto_terminal::service::{AgreementDraft, JournalChoice, Progress, ServiceSettings, open_journal};
use moto_terminal::ui::{ScreenId, TerminalApp};
use std::sync::Arc;

const URL_INPUT: &str = "Team journal URL";
/// The section's "Test connection" (the profile form above has one of its own).
const TEST: &str = "Team journal: Test connection";

fn open_team_section(harness: &mut Harness<'_, TerminalApp>) {
    harness.key_press(ScreenId::Settings.key());
    settle(harness);
    wait_for_text(harness, "access code set, request phrase set, response phrase set");
    input(harness, URL_INPUT).scroll_to_me();
    settle(harness);
}

/// The URL field emptied, then `url` typed into it.
fn type_url(harness: &mut Harness<'_, TerminalApp>, url: &str) {
    input(harness, URL_INPUT).focus();
    settle(harness);
    harness.key_press_modifiers(egui::Modifiers::COMMAND, Key::A);
    type_into(harness, URL_INPUT, url);
}

/// `url` with a password put in its user info (the test server trusts every login).
fn with_password(url: &str, password: &str) -> String {
    let (user, rest) = url.strip_prefix("postgres://").unwrap().split_once('@').unwrap();
    format!("postgres://{user}:{password}@{rest}")
}

fn charge_one(ui: &UiRig, amount: &str) -> String {
    let sale = ui.rig.token_sale("DEMO-VISA-0001", amount);
    let outcome = ui.rt.block_on(ui.rig.service.charge(sale, &Progress::none())).unwrap();
    assert_eq!(outcome.verdict.kind, Kind::Approved);
    outcome.merchant_reference
}

/// A desk's journal with an order, a recurring agreement and a batch file.
fn seed_desk(ui: &UiRig) -> String {
    let reference = charge_one(ui, "7.00");
    let agreement = AgreementDraft {
        token_name: "DEMO-VISA-0001".into(),
        agreement_id: "AGRTEAM1".into(),
        customer_email: "caller@example.com".into(),
        amount: "7.00".into(),
        currency: "AED".into(),
        cycle: "monthly".into(),
        ..AgreementDraft::default()
    };
    ui.rt.block_on(ui.rig.service.add_agreement(PROFILE, agreement)).unwrap();
    let batch = NewBatch {
        profile: PROFILE.into(),
        file_name: "members.csv".into(),
        file_hash: "ab".repeat(32),
        file_path: None,
        operator: "Test Operator".into(),
        via: "terminal".into(),
        at: chrono::Utc::now(),
    };
    let (opened, _) = ui.rig.journal.open_batch(&batch, &[]).unwrap();
    ui.rig.journal.set_batch_state(opened.id, BatchState::Finished, chrono::Utc::now()).unwrap();
    reference
}

#[test]
fn test_connection_reports_the_server_then_save_keeps_the_password_in_the_keychain() {
    let ui = UiRig::new();
    let reference = seed_desk(&ui);
    let url = ui.rt.block_on(crate::team::fresh_database("ui_team"));
    let typed = with_password(&url, "s3cret-pw");
    let mut harness = ui.app(FakeDialogs::default());
    open_team_section(&mut harness);
    assert_eq!(value_of(&harness, URL_INPUT), "", "no team journal yet");

    type_url(&mut harness, &typed);
    button(&mut harness, TEST);
    wait_for_text(&mut harness, "Connected: PostgreSQL 1");
    assert!(shows(&harness, "TLS off"), "the test server has no certificate");
    assert!(shows(&harness, "schema version 0 (a new, empty database"));

    // Enter in the URL saves: the password goes to the keychain, the URL without it to the file.
    input(&harness, URL_INPUT).focus();
    settle(&mut harness);
    press(&mut harness, Key::Enter);
    wait_for_text(&mut harness, "Saved: the password is in the keychain");
    assert_eq!(value_of(&harness, URL_INPUT), url, "shown without the password");
    assert!(!shows(&harness, "s3cret-pw"));
    let config = std::fs::read_to_string(ui.rig.dir.path().join("config.json")).unwrap();
    assert!(config.contains(&url) && !config.contains("s3cret-pw"), "{config}");
    let vault = ui.rig.service.vault();
    assert_eq!(vault.team_journal_password().unwrap().unwrap().expose(), "s3cret-pw");

    // First time set: the desk's journal is offered for copying; Enter copies, counts shown.
    wait_for_text(&mut harness, "Copy this desk's journal into the team journal?");
    press(&mut harness, Key::Enter);
    wait_for_text(&mut harness, "Copied into the team journal: 1 orders (0 already there)");
    assert!(shows(&harness, "1 agreements, 0 payment links, 1 batches (0 rows)"));
    let client = ui.rt.block_on(moto_terminal::journal::postgres::connect(&url)).unwrap();
    let copied: String =
        ui.rt.block_on(client.query_one("SELECT merchant_reference FROM orders", &[])).unwrap().get(0);
    assert_eq!(copied, reference);

    // Test connection again with the saved URL: the password now comes from the keychain.
    button(&mut harness, TEST);
    wait_for_text(&mut harness, "(up to date)");
}

#[test]
fn the_copy_offer_moves_a_desk_with_orders_only() {
    let ui = UiRig::new();
    charge_one(&ui, "5.00");
    let url = ui.rt.block_on(crate::team::fresh_database("ui_team_orders"));
    let mut harness = ui.app(FakeDialogs::default());
    open_team_section(&mut harness);
    type_url(&mut harness, &url);
    button(&mut harness, "Save team journal");
    wait_for_text(&mut harness, "Copy this desk's journal into the team journal?");
    press(&mut harness, Key::Enter);
    wait_for_text(&mut harness, "Copied into the team journal: 1 orders (0 already there)");
}

#[test]
fn a_bad_address_is_named_and_an_unreachable_server_is_offline_in_words() {
    let ui = UiRig::new();
    let mut harness = ui.app(FakeDialogs::default());
    open_team_section(&mut harness);
    type_url(&mut harness, "postgres://desk@db.example:notaport/team");
    button(&mut harness, TEST);
    wait_for_text(&mut harness, "Team journal address");
    assert!(input(&harness, URL_INPUT).is_focused(), "the cursor goes back to the URL");
    button(&mut harness, "Save team journal");
    wait_for_text(&mut harness, "Team journal address");
    assert!(ui.rig.service.team_journal_setting().is_none(), "nothing saved");

    type_url(&mut harness, "postgres://moto@127.0.0.1:1/moto");
    button(&mut harness, TEST);
    wait_for_text(&mut harness, "Team journal offline");
    assert!(shows(&harness, "Nothing was charged"));
}

#[test]
fn an_unreachable_team_journal_opens_the_desk_read_only_and_charges_nothing() {
    let ui = UiRig::new();
    let earlier = charge_one(&ui, "8.00");
    let local = ui.rig.dir.path().join("journal.sqlite3");
    let choice = JournalChoice::Team("postgres://moto@127.0.0.1:1/moto".to_owned());
    let opened = open_journal(&choice, ui.rig.service.vault(), &local, ui.rt.handle()).unwrap();
    let offline = opened.offline.clone().expect("the team journal is offline");
    assert!(offline.starts_with("Team journal offline") && offline.contains("Nothing was charged"));
    let settings = ServiceSettings { team_offline: Some(offline), ..fast_settings() };
    let service = ui.rig.service_with(Arc::new(opened.journal), settings);
    let mut harness = ui.app_on(service);
    assert!(shows(&harness, "Team journal offline"), "the banner says so");

    // History opens on the local journal.
    press(&mut harness, ScreenId::History.key());
    wait_for_text(&mut harness, &earlier);

    // A charge is refused with the offline message, and nothing reaches APS.
    let before = ui.rig.sim.requests().len();
    press(&mut harness, ScreenId::PhoneOrder.key());
    type_into(&mut harness, "Saved card", "layla");
    wait_for_text(&mut harness, "token DEMO-VISA-0001, Layla Haddad");
    press(&mut harness, Key::Tab);
    harness.event(egui::Event::Text("9.00".to_owned()));
    settle(&mut harness);
    press(&mut harness, Key::Enter);
    wait_for_text(&mut harness, "Read back to the customer");
    press(&mut harness, Key::Enter);
    wait_for_text(&mut harness, "Nothing was charged");
    assert_eq!(ui.rig.sim.requests().len(), before, "nothing was sent");
    assert_eq!(ui.rig.journal.search(&Default::default()).unwrap().len(), 1, "nothing was recorded");
}

#[test]
fn a_reachable_team_journal_opens_the_desk_on_it_without_the_offline_banner() {
    let ui = UiRig::new();
    let url = ui.rt.block_on(crate::team::fresh_database("ui_team_open"));
    let local = ui.rig.dir.path().join("journal.sqlite3");
    let opened =
        open_journal(&JournalChoice::Team(url), ui.rig.service.vault(), &local, ui.rt.handle()).unwrap();
    assert!(opened.offline.is_none() && opened.journal.is_team());
    let service = ui.rig.service_with(Arc::new(opened.journal), fast_settings());
    assert!(service.is_team() && service.team_offline().is_none());
    let sale = ui.rig.token_sale("DEMO-VISA-0001", "6.00");
    let outcome = ui.rt.block_on(service.charge(sale, &Progress::none())).unwrap();
    assert_eq!(outcome.verdict.kind, Kind::Approved, "charged through the team journal");
    let mut harness = ui.app_on(service);
    assert!(!shows(&harness, "Team journal offline"));
    press(&mut harness, ScreenId::History.key());
    wait_for_text(&mut harness, &outcome.merchant_reference);
}
