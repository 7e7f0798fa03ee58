//! Settings on the real service and the keyring mock store: adding a profile with its secrets,
//! validation that names the field and keeps the form, changing a profile's SHA type and
//! environment, replacing one secret, and a keychain that refuses.

use super::{FakeDialogs, UiRig, input, press, settle, shows, value_of, wait_for_text, wait_until};
use crate::service::rig::{PROFILE, Rig, demo_credentials, fast_settings, profile};
use egui::Key;
use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable as _};
use moto_terminal::aps::money::Currency;
use moto_terminal::aps::secret::Secret;
use moto_terminal::gateway::{GatewayConfig, HttpGateway};
use moto_terminal::journal::Journal;
use moto_terminal::service::handle::ServiceHandle;
use moto_terminal::service::{
    Algorithm, Profile, ProfileEnvironment, SecretKind, Service, check_stored_profile,
};
use moto_terminal::sim::{self, DEMO_ACCESS_CODE, DEMO_REQUEST_PHRASE, DEMO_RESPONSE_PHRASE, SimConfig};
use moto_terminal::ui::screens::settings::profile_form::{Field as Input, FormError};
use moto_terminal::ui::{ScreenId, TerminalApp};
use moto_terminal::vault::{SERVICE, Vault};
use std::sync::Arc;
use std::time::Duration;

const SANDBOX_URL: &str = "https://sbpaymentservices.payfort.com/FortAPI/paymentApi";
const PRODUCTION_URL: &str = "https://paymentservices.payfort.com/FortAPI/paymentApi";

fn open_settings(harness: &mut Harness<'_, TerminalApp>) {
    harness.key_press(ScreenId::Settings.key());
    settle(harness);
    assert_eq!(harness.state().current_screen(), ScreenId::Settings);
    wait_for_text(harness, "access code set, request phrase set, response phrase set");
}

/// Clicks the widget with this role and label, scrolled into view first (the form is long).
fn click<S>(harness: &mut Harness<'_, S>, role: Role, label: &str) {
    harness.get_by_role_and_label(role, label).scroll_to_me();
    settle(harness);
    harness.get_by_role_and_label(role, label).click();
    settle(harness);
}

fn button<S>(harness: &mut Harness<'_, S>, label: &str) {
    click(harness, Role::Button, label);
}

fn secret_input<'h, S>(harness: &'h Harness<'_, S>, label: &'h str) -> egui_kittest::Node<'h> {
    harness.get_by_role_and_label(Role::PasswordInput, label)
}

fn password_inputs<S>(harness: &Harness<'_, S>) -> usize {
    harness.query_all_by_role(Role::PasswordInput).count()
}

/// Focuses the input (text or password) labelled `label`, selects what is there, types `text`.
fn replace_text<S>(harness: &mut Harness<'_, S>, role: Role, label: &str, text: &str) {
    harness.get_by_role_and_label(role, label).scroll_to_me();
    settle(harness);
    harness.get_by_role_and_label(role, label).focus();
    settle(harness);
    harness.key_press_modifiers(egui::Modifiers::COMMAND, Key::A);
    harness.get_by_role_and_label(role, label).type_text(text);
    settle(harness);
}

fn no_secret_on_screen<S>(harness: &Harness<'_, S>, secrets: &[&str]) {
    for secret in secrets {
        assert!(!shows(harness, secret), "a secret is on screen");
    }
}

fn stored(ui: &UiRig, name: &str) -> moto_terminal::service::ProfileSummary {
    let profiles = ui.rt.block_on(ui.rig.service.profiles()).unwrap();
    profiles.into_iter().find(|p| p.profile.name == name).unwrap_or_else(|| panic!("no profile {name}"))
}

/// A stored (not built-in) sandbox profile with all three secrets, added through the service.
fn add_stored_profile(ui: &UiRig, name: &str) {
    let mut p = Profile::new(name, ProfileEnvironment::Sandbox, "Shop42", Currency::parse("SAR").unwrap());
    p.endpoint = SANDBOX_URL.to_owned();
    let secrets = vec![
        (SecretKind::AccessCode, Secret::from("ShopAccess42")),
        (SecretKind::RequestPhrase, Secret::from("shop.request.phrase")),
        (SecretKind::ResponsePhrase, Secret::from("shop.response.phrase")),
    ];
    ui.rt.block_on(ui.rig.service.save_profile(p, secrets)).unwrap();
}

#[test]
fn add_a_profile_with_its_secrets_then_only_set_is_shown() {
    let ui = UiRig::new();
    let mut harness = ui.app(FakeDialogs::default());
    open_settings(&mut harness);
    assert!(harness.get_by_label("Add a profile...").is_focused(), "the cursor waits on Add a profile");
    assert!(shows(&harness, "Secrets are never shown"));

    // Enter on the focused button opens an empty form with the cursor in the name.
    press(&mut harness, Key::Enter);
    assert!(input(&harness, "Profile name").is_focused());
    harness.event(egui::Event::Text("Riyadh store".into()));
    settle(&mut harness);
    assert_eq!(value_of(&harness, "Endpoint"), SANDBOX_URL, "a new profile starts on the sandbox");
    click(&mut harness, Role::RadioButton, "Production");
    assert_eq!(value_of(&harness, "Endpoint"), PRODUCTION_URL, "production fills its published endpoint");
    assert!(shows(&harness, "LIVE: real cards, real money"));
    assert!(
        harness.query_by_role_and_label(Role::RadioButton, "Demo").is_none(),
        "the Demo merchant is built in: a new profile cannot be a demo"
    );
    click(&mut harness, Role::RadioButton, "Sandbox");
    assert_eq!(value_of(&harness, "Endpoint"), SANDBOX_URL);

    // The simulator stands in for the sandbox: plain http is allowed to this computer.
    replace_text(&mut harness, Role::TextInput, "Endpoint", &ui.rig.sim.payment_api_url());
    replace_text(&mut harness, Role::TextInput, "Merchant identifier", sim::DEMO_MERCHANT_IDENTIFIER);
    replace_text(&mut harness, Role::TextInput, "Profile currency", "SAR");
    click(&mut harness, Role::CheckBox, "Trusted channel: agents may key card numbers (PCI DSS)");
    replace_text(&mut harness, Role::TextInput, "Profile operator", "Huda");
    replace_text(&mut harness, Role::TextInput, "Customer IP", "192.0.2.44");
    click(&mut harness, Role::RadioButton, "Arabic");
    assert_eq!(password_inputs(&harness), 3, "a new profile asks for all three secrets");
    assert!(shows(&harness, "memory only"), "where secrets go is said");
    replace_text(&mut harness, Role::PasswordInput, "Access code", DEMO_ACCESS_CODE);
    replace_text(&mut harness, Role::PasswordInput, "SHA request phrase", DEMO_REQUEST_PHRASE);
    replace_text(&mut harness, Role::PasswordInput, "SHA response phrase", DEMO_RESPONSE_PHRASE);
    let masked = secret_input(&harness, "Access code").value().unwrap_or_default();
    assert_eq!(masked.chars().count(), DEMO_ACCESS_CODE.len(), "typed, shown as dots");
    no_secret_on_screen(&harness, &[DEMO_ACCESS_CODE, DEMO_REQUEST_PHRASE, DEMO_RESPONSE_PHRASE]);

    // Enter in the last field saves.
    press(&mut harness, Key::Enter);
    wait_for_text(&mut harness, "Profile Riyadh store saved");
    assert!(shows(&harness, "saved to the keychain: access code, SHA request phrase, SHA response phrase"));
    wait_until(&mut harness, "the list to show the new profile", |h| {
        h.query_all_by_label("access code set, request phrase set, response phrase set").count() == 2
    });
    assert_eq!(password_inputs(&harness), 0, "saved secrets are not asked for again");
    assert!(harness.query_by_role_and_label(Role::Button, "Replace the access code").is_some());
    no_secret_on_screen(&harness, &[DEMO_ACCESS_CODE, DEMO_REQUEST_PHRASE, DEMO_RESPONSE_PHRASE]);

    let saved = stored(&ui, "Riyadh store");
    assert!(saved.secrets.is_complete());
    assert!(!saved.built_in);
    let p = saved.profile;
    assert_eq!(
        (p.environment, p.endpoint.as_str(), p.merchant_identifier.as_str(), p.algorithm),
        (ProfileEnvironment::Sandbox, ui.rig.sim.payment_api_url().as_str(), "MotoDemo", Algorithm::Sha256)
    );
    assert_eq!(p.default_currency.code(), "SAR");
    assert!(p.trusted_channel);
    assert_eq!(
        (p.operator.as_str(), p.customer_ip.as_deref(), p.language.as_str()),
        ("Huda", Some("192.0.2.44"), "ar")
    );
    let credentials = ui.rig.service.vault().credentials("Riyadh store").unwrap();
    assert_eq!(credentials.access_code.expose(), DEMO_ACCESS_CODE);
    assert_eq!(credentials.request_phrase.expose(), DEMO_REQUEST_PHRASE);
    assert_eq!(credentials.response_phrase.expose(), DEMO_RESPONSE_PHRASE);

    // The secrets work: APS (the simulator) accepts the signed request.
    button(&mut harness, "Test connection");
    wait_for_text(&mut harness, "Connected: APS accepted");
}

#[test]
fn a_validation_error_names_the_field_and_keeps_the_form() {
    let ui = UiRig::new();
    let mut harness = ui.app(FakeDialogs::default());
    open_settings(&mut harness);
    button(&mut harness, "Add a profile...");
    harness.event(egui::Event::Text(PROFILE.into()));
    replace_text(&mut harness, Role::TextInput, "Merchant identifier", "Shop42");
    replace_text(&mut harness, Role::TextInput, "Profile currency", "SAR");
    replace_text(&mut harness, Role::PasswordInput, "Access code", "ShopAccess42");
    press(&mut harness, Key::Enter);
    assert!(shows(
        &harness,
        "Profile name: a profile named \"Test merchant\" already exists; choose another name"
    ));
    assert!(input(&harness, "Profile name").is_focused(), "the cursor goes to the field to fix");

    replace_text(&mut harness, Role::TextInput, "Profile name", "Jeddah");
    replace_text(&mut harness, Role::TextInput, "Merchant identifier", "Shop-42!");
    button(&mut harness, "Add profile (Enter)");
    assert!(shows(&harness, "Merchant identifier: must be 1 to 20 letters and digits"));
    assert!(shows(&harness, "Not saved: correct the field marked above."));
    assert!(input(&harness, "Merchant identifier").is_focused());
    assert_eq!(value_of(&harness, "Profile name"), "Jeddah", "what was typed stays");
    assert_eq!(value_of(&harness, "Merchant identifier"), "Shop-42!");
    assert_eq!(value_of(&harness, "Profile currency"), "SAR");
    let typed = secret_input(&harness, "Access code").value().unwrap_or_default();
    assert_eq!(typed.chars().count(), "ShopAccess42".len(), "even the typed secret stays until it is sent");

    replace_text(&mut harness, Role::TextInput, "Profile currency", "XYZ");
    replace_text(&mut harness, Role::TextInput, "Merchant identifier", "Shop42");
    press(&mut harness, Key::Enter);
    assert!(shows(&harness, "Profile currency: currency \"XYZ\" is not a known ISO 4217 code"));
    assert!(input(&harness, "Profile currency").is_focused());
    let names: Vec<String> =
        ui.rt.block_on(ui.rig.service.profiles()).unwrap().into_iter().map(|p| p.profile.name).collect();
    assert!(!names.contains(&"Jeddah".to_owned()), "nothing was saved: {names:?}");

    // A secret the vault refuses comes back from the service, under its field.
    replace_text(&mut harness, Role::TextInput, "Profile currency", "SAR");
    replace_text(&mut harness, Role::PasswordInput, "Access code", "has space");
    press(&mut harness, Key::Enter);
    wait_for_text(&mut harness, "Access code: the access code is up to 20 letters and digits");
    assert!(secret_input(&harness, "Access code").is_focused());
    assert_eq!(value_of(&harness, "Merchant identifier"), "Shop42");
    assert_eq!(value_of(&harness, "Profile currency"), "SAR");
    no_secret_on_screen(&harness, &["has space"]);
}

#[test]
fn change_the_sha_type_and_environment_of_a_profile() {
    let ui = UiRig::new();
    add_stored_profile(&ui, "Dubai mall");
    let mut harness = ui.app(FakeDialogs::default());
    open_settings(&mut harness);
    harness.get_by_label("Dubai mall").click();
    settle(&mut harness);
    assert!(shows(&harness, "SANDBOX"));
    assert_eq!(value_of(&harness, "Merchant identifier"), "Shop42");
    assert!(
        harness.query_by_role_and_label(Role::TextInput, "Profile name").is_none(),
        "a name is not renamed"
    );

    click(&mut harness, Role::RadioButton, "HMAC-512");
    click(&mut harness, Role::RadioButton, "Production");
    assert_eq!(value_of(&harness, "Endpoint"), PRODUCTION_URL);
    button(&mut harness, "Save profile (Enter)");
    wait_for_text(&mut harness, "Profile Dubai mall saved.");
    let p = stored(&ui, "Dubai mall").profile;
    assert_eq!(
        (p.environment, p.algorithm, p.endpoint.as_str()),
        (ProfileEnvironment::Production, Algorithm::HmacSha512, PRODUCTION_URL)
    );
    assert_eq!(p.merchant_identifier, "Shop42", "the rest is kept");
    wait_until(&mut harness, "the list to show the change", |h| {
        h.query_all_by_label("HMAC-512").count() == 2 && h.query_all_by_label("PRODUCTION").count() == 2
    });
    assert!(stored(&ui, "Dubai mall").secrets.is_complete(), "secrets untouched");

    // Switching to it puts it, and its environment, on the banner. The list scrolls sideways in
    // a scroll area of its own, which does not take the screen back up: the line above it does.
    harness
        .get_by_label("Merchant profiles. Secrets are never shown: only whether each one is set.")
        .scroll_to_me();
    settle(&mut harness);
    button(&mut harness, "Use Dubai mall");
    assert_eq!(harness.state().profile().name, "Dubai mall");
    assert!(shows(&harness, "Profile: Dubai mall"));
    assert!(shows(&harness, "LIVE: real cards, real money"));

    // The built-in profile cannot be changed.
    harness.get_by_label(PROFILE).click();
    settle(&mut harness);
    assert!(shows(&harness, "is built in"));
    assert!(harness.get_by_label("Save profile (Enter)").accesskit_node().is_disabled());
    assert!(harness.get_by_label("Replace the access code").accesskit_node().is_disabled());
}

#[test]
fn a_custom_endpoint_needs_its_box_and_the_banner_warns() {
    let ui = UiRig::new();
    let mut harness = ui.app(FakeDialogs::default());
    open_settings(&mut harness);
    button(&mut harness, "Add a profile...");
    harness.event(egui::Event::Text("Proxy".into()));
    settle(&mut harness);
    click(&mut harness, Role::RadioButton, "Production");
    replace_text(
        &mut harness,
        Role::TextInput,
        "Endpoint",
        "https://APS-Proxy.example.com/FortAPI/paymentApi",
    );
    replace_text(&mut harness, Role::TextInput, "Merchant identifier", "Shop42");
    replace_text(&mut harness, Role::TextInput, "Profile currency", "SAR");
    button(&mut harness, "Add profile (Enter)");
    assert!(shows(&harness, "Endpoint: aps-proxy.example.com is not the APS production address"));
    assert!(input(&harness, "Endpoint").is_focused(), "the cursor goes to the endpoint");

    click(&mut harness, Role::CheckBox, "Custom endpoint: not the published APS address (the banner warns)");
    button(&mut harness, "Add profile (Enter)");
    wait_for_text(&mut harness, "Profile Proxy saved");
    assert!(stored(&ui, "Proxy").profile.custom_endpoint, "stored as a custom endpoint");
    wait_until(&mut harness, "the list to show the new profile", |h| {
        h.query_by_role_and_label(Role::Button, "Use Proxy").is_some()
    });
    assert!(!shows(&harness, "CUSTOM ENDPOINT"), "not for the built-in profile");
    button(&mut harness, "Use Proxy");
    assert!(shows(&harness, "CUSTOM ENDPOINT aps-proxy.example.com"), "the banner names the host");
    assert!(shows(&harness, "LIVE: real cards, real money"));
}

#[test]
fn replace_one_secret_keeps_the_others() {
    let ui = UiRig::new();
    add_stored_profile(&ui, "Dubai mall");
    let mut harness = ui.app(FakeDialogs::default());
    open_settings(&mut harness);
    harness.get_by_label("Dubai mall").click();
    settle(&mut harness);
    assert_eq!(password_inputs(&harness), 0, "set secrets are never shown, not even as dots");
    no_secret_on_screen(&harness, &["ShopAccess42", "shop.request.phrase", "shop.response.phrase"]);

    // Esc backs out of a replacement without saving anything.
    button(&mut harness, "Replace the access code");
    assert!(secret_input(&harness, "Access code").is_focused());
    harness.event(egui::Event::Text("Typo".into()));
    press(&mut harness, Key::Escape);
    assert_eq!(password_inputs(&harness), 0);
    assert_eq!(harness.state().current_screen(), ScreenId::Settings, "the first Esc only drops the secret");

    button(&mut harness, "Replace the SHA response phrase");
    assert!(secret_input(&harness, "SHA response phrase").is_focused());
    harness.event(egui::Event::Text("new.response.phrase".into()));
    press(&mut harness, Key::Enter);
    wait_for_text(&mut harness, "saved to the keychain: SHA response phrase.");
    assert_eq!(password_inputs(&harness), 0);
    no_secret_on_screen(&harness, &["new.response.phrase"]);
    let credentials = ui.rig.service.vault().credentials("Dubai mall").unwrap();
    assert_eq!(credentials.response_phrase.expose(), "new.response.phrase");
    assert_eq!(credentials.access_code.expose(), "ShopAccess42", "the others are kept");
    assert_eq!(credentials.request_phrase.expose(), "shop.request.phrase");
}

/// The rig, on a mock store the test keeps a handle to, so it can make the keychain refuse.
fn rig_on(store: Arc<keyring_core::CredentialStore>) -> UiRig {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let sim = rt.block_on(sim::start(SimConfig::demo(), "127.0.0.1:0".parse().unwrap())).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let journal = Arc::new(Journal::open(&dir.path().join("journal.sqlite3")).unwrap());
    let vault = Arc::new(Vault::open(dir.path(), store.clone()).unwrap());
    vault.add_ephemeral(profile(&sim.payment_api_url()), demo_credentials()).unwrap();
    let gateway = HttpGateway::new(&GatewayConfig {
        connect_timeout: Duration::from_millis(300),
        total_timeout: Duration::from_millis(400),
        extra_root_pem: Vec::new(),
    })
    .unwrap();
    let service = Service::new(vault, journal.clone(), gateway, fast_settings());
    let handle = ServiceHandle::new(service.clone(), rt.handle().clone(), Arc::new(|| {}));
    UiRig { rig: Rig { sim, service, journal, dir, store }, handle, rt }
}

#[test]
fn a_keychain_that_refuses_is_reported_and_nothing_claims_to_be_set() {
    let store: Arc<keyring_core::CredentialStore> = keyring_core::mock::Store::new().unwrap();
    let ui = rig_on(store.clone());
    let mut p = Profile::new("Kuwait", ProfileEnvironment::Sandbox, "Kw1", Currency::parse("KWD").unwrap());
    p.endpoint = SANDBOX_URL.to_owned();
    ui.rt.block_on(ui.rig.service.save_profile(p, Vec::new())).unwrap();

    let mut harness = ui.app(FakeDialogs::default());
    open_settings(&mut harness);
    harness.get_by_label("Kuwait").click();
    settle(&mut harness);
    assert!(shows(&harness, "access code NOT SET"));
    assert_eq!(password_inputs(&harness), 3, "missing secrets are asked for");
    replace_text(&mut harness, Role::PasswordInput, "Access code", "KwAccess1");
    // The next keychain call on this entry fails, as a locked keychain would.
    let entry = keyring_core::Entry::new_in_store(&store, SERVICE, "Kuwait/access-code").unwrap();
    let cred: &keyring_core::mock::Cred = entry.as_any().downcast_ref().unwrap();
    cred.set_error(keyring_core::Error::NoStorageAccess("the keychain is locked".into()));
    press(&mut harness, Key::Enter);
    wait_for_text(&mut harness, "Not saved. The keychain could not store the secret");
    assert!(shows(&harness, "unlock the keychain"));
    assert!(!stored(&ui, "Kuwait").secrets.access_code);
    assert_eq!(password_inputs(&harness), 3, "still asked for");
    no_secret_on_screen(&harness, &["KwAccess1"]);
}

/// Fills the phone order's keyed card, so there are card details to wipe.
fn key_a_card(harness: &mut Harness<'_, TerminalApp>) {
    harness.get_by_label("Keyed card").click();
    settle(harness);
    replace_text(harness, Role::TextInput, "Card number", "4005550000000001");
    replace_text(harness, Role::TextInput, "Expiry (MM/YY)", "12/30");
    assert_ne!(value_of(harness, "Card number"), "");
}

#[test]
fn a_card_wipe_out_of_range_is_refused_with_the_cursor_on_it() {
    let ui = UiRig::new();
    let mut harness = ui.app(FakeDialogs::default());
    open_settings(&mut harness);
    for typed in ["10", "4000", "soon"] {
        replace_text(&mut harness, Role::TextInput, "Card wipe (seconds)", typed);
        button(&mut harness, "Save settings");
        assert!(shows(&harness, "Card wipe must be 30 to 3600 seconds without activity"), "{typed}");
        assert!(input(&harness, "Card wipe (seconds)").is_focused(), "the cursor goes to the setting to fix");
        assert_eq!(value_of(&harness, "Card wipe (seconds)"), typed, "what was typed stays");
    }
    assert_eq!(ui.rig.service.app_settings().card_idle_wipe_secs, 120, "nothing was saved");
}

#[test]
fn a_card_wipe_saved_in_settings_applies_without_a_restart() {
    let ui = UiRig::new();
    let mut harness = ui.app(FakeDialogs::default());
    key_a_card(&mut harness);
    open_settings(&mut harness);
    replace_text(&mut harness, Role::TextInput, "Card wipe (seconds)", "45");
    button(&mut harness, "Save settings");
    wait_for_text(&mut harness, "Settings saved.");
    assert_eq!(ui.rig.service.app_settings().card_idle_wipe_secs, 45);

    // Back on the order, the card typed before is wiped after 45 s without input, not 180.
    harness.key_press(ScreenId::PhoneOrder.key());
    settle(&mut harness);
    let now = harness.ctx.input(|i| i.time);
    harness.input_mut().time = Some(now + 30.0);
    settle(&mut harness);
    assert_ne!(value_of(&harness, "Card number"), "", "not before its time");
    harness.input_mut().time = Some(now + 46.0);
    settle(&mut harness);
    assert_eq!(value_of(&harness, "Card number"), "", "wiped after 45 s");
    assert!(shows(&harness, "The card details were cleared after 45 seconds without activity"));
}

/// Every field the vault's profile and secret checks can name has an input in the form, found
/// by the error's field, whether the form's own check or the service's save refused it.
#[test]
fn every_field_a_profile_check_names_has_an_input() {
    let ui = UiRig::new();
    let mut good =
        Profile::new("Jeddah", ProfileEnvironment::Sandbox, "Shop42", Currency::parse("SAR").unwrap());
    good.endpoint = SANDBOX_URL.to_owned();
    type Spoil = fn(&mut Profile);
    let cases: [(Spoil, Input); 7] = [
        (|p| p.name = "Jeddah/2".into(), Input::Name),
        (
            |p| {
                p.environment = ProfileEnvironment::Demo;
                p.endpoint = "http://127.0.0.1:9/FortAPI/paymentApi".into();
            },
            Input::Environment,
        ),
        (|p| p.endpoint = "ftp://payments.example.com".into(), Input::Endpoint),
        (|p| p.merchant_identifier = "Shop-42!".into(), Input::MerchantIdentifier),
        (|p| p.operator = "Huda\nAli".into(), Input::Operator),
        (|p| p.customer_ip = Some("192.0.2".into()), Input::CustomerIp),
        (|p| p.language = "fr".into(), Input::Language),
    ];
    for (spoil, input) in cases {
        let mut profile = good.clone();
        spoil(&mut profile);
        let checked = check_stored_profile(&profile).unwrap_err();
        assert_eq!(FormError::of(&checked).field, Some(input), "{checked}");
        let saved = ui.rt.block_on(ui.rig.service.save_profile(profile, Vec::new())).unwrap_err();
        assert_eq!(FormError::of(&saved).field, Some(input), "{saved}");
    }
    for kind in SecretKind::ALL {
        let secrets = vec![(kind, Secret::from(" padded "))];
        let saved = ui.rt.block_on(ui.rig.service.save_profile(good.clone(), secrets)).unwrap_err();
        assert_eq!(FormError::of(&saved).field, Some(Input::Secret(kind)), "{saved}");
    }
    let taken = Profile { name: PROFILE.to_uppercase(), ..good };
    let saved = ui.rt.block_on(ui.rig.service.save_profile(taken, Vec::new())).unwrap_err();
    assert_eq!(FormError::of(&saved).field, Some(Input::Name), "{saved}");
    assert!(ui.rt.block_on(ui.rig.service.profiles()).unwrap().iter().all(|p| p.profile.name != "Jeddah"));
}

#[test]
fn the_banner_names_the_operator_the_run_was_started_as() {
    use moto_terminal::ui::screens::settings::active_profile;
    let ui = UiRig::new();
    let mut summary = stored(&ui, PROFILE);
    summary.profile.operator = String::new();
    assert_eq!(active_profile(&summary, "Huda", None).operator, "Huda", "Settings' operator");
    summary.profile.operator = "Counter 2".into();
    assert_eq!(active_profile(&summary, "Huda", None).operator, "Counter 2", "the profile's own");
    assert_eq!(active_profile(&summary, "Huda", Some("Amal")).operator, "Amal", "--operator wins");
}
