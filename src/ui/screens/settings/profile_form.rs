//! The profile form of the Settings screen: a new merchant profile, or the one selected, with
//! its environment, endpoint, merchant identifier, SHA type, defaults and secrets.
//!
//! Secrets are typed into password fields whose buffers are reserved up front, so typing never
//! makes them grow and leave a copy behind in freed memory. They reach the service once, as
//! `Secret`s, and the buffers are wiped in the same frame. From then on the form says only
//! whether each secret is set and offers to replace it: the screen never reads a stored secret,
//! so it cannot show one.

use super::secrets::{SECRET_CHARS, SecretInputs, forget_undo, secret_id, slot};
use crate::aps::money::{Currency, Money, MoneyError, format_minor};
use crate::service::{self, Algorithm, Profile, ProfileEnvironment, SecretKind, SecretStatus, ServiceError};
use crate::ui::theme::{self, Look};
use crate::ui::widgets::field::{Note, TextField, capitalise, note_ui, row};
use egui::{Id, Response, RichText, Role, Ui, WidgetInfo};
use zeroize::Zeroize;

/// The widget id of a Settings input; the screen and the form share the namespace.
pub fn id(name: &str) -> Id {
    Id::unique(("settings", name))
}

/// An input of the form, to put a message under it and the cursor in it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    Name,
    Environment,
    Endpoint,
    MerchantIdentifier,
    Currency,
    Operator,
    CustomerIp,
    Language,
    AgentLimit,
    TradingName,
    Address,
    /// The address's second and third lines (messages go under the first).
    AddressMore,
    Secret(SecretKind),
}

impl Field {
    /// The input for a field the service named, if the form has one. Keyed by the field's type,
    /// never by the wording of its message.
    pub fn of_service(field: service::Field) -> Option<Field> {
        use service::Field as S;
        Some(match field {
            S::ProfileName => Field::Name,
            S::Environment => Field::Environment,
            S::Endpoint => Field::Endpoint,
            S::MerchantIdentifier => Field::MerchantIdentifier,
            S::ProfileCurrency => Field::Currency,
            S::Operator => Field::Operator,
            S::CustomerIp => Field::CustomerIp,
            S::Language => Field::Language,
            S::RefundLimit => Field::AgentLimit,
            S::TradingName => Field::TradingName,
            S::MerchantAddress => Field::Address,
            S::AccessCode => Field::Secret(SecretKind::AccessCode),
            S::RequestPhrase => Field::Secret(SecretKind::RequestPhrase),
            S::ResponsePhrase => Field::Secret(SecretKind::ResponsePhrase),
            _ => return None,
        })
    }
}

/// A service or vault message as the screen shows it: a sentence, with the menu arrows of the
/// CLI-friendly wording ("Settings → Profiles") spelled with ">", which every font has (the
/// terminal's font has no arrow and would draw a box).
pub fn readable(message: &str) -> String {
    capitalise(message).replace('→', ">")
}

/// Why the form was not saved, and under which input to say so.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FormError {
    pub field: Option<Field>,
    pub message: String,
}

impl FormError {
    /// A service error, placed under the input of the field it names (none for errors that
    /// name no field: the keychain, the config file).
    pub fn of(error: &ServiceError) -> Self {
        let field = match error {
            ServiceError::Invalid { field, .. } => Field::of_service(*field),
            _ => None,
        };
        Self { field, message: readable(&error.to_string()) }
    }
}

/// The fields of a profile as typed. Holds no secret, so it may be cloned and printed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProfileEdit {
    pub name: String,
    pub environment: ProfileEnvironment,
    pub endpoint: String,
    pub merchant_identifier: String,
    pub algorithm: Algorithm,
    pub default_currency: String,
    pub trusted_channel: bool,
    pub operator: String,
    pub customer_ip: String,
    pub language: String,
    /// The endpoint is knowingly not the environment's published APS address.
    pub custom_endpoint: bool,
    /// The most an agent may refund or void without a supervisor, in the profile currency.
    pub agent_limit: String,
    /// The name and address lines receipts carry.
    pub trading_name: String,
    pub address: [String; 3],
}

impl ProfileEdit {
    /// A new profile starts on the sandbox, where trying an account moves no money.
    pub fn new_profile(currency: Option<Currency>) -> Self {
        let environment = ProfileEnvironment::Sandbox;
        Self {
            name: String::new(),
            environment,
            endpoint: environment.payment_api_url().unwrap_or_default().to_owned(),
            merchant_identifier: String::new(),
            algorithm: Algorithm::Sha256,
            default_currency: currency.map(|c| c.code().to_owned()).unwrap_or_default(),
            trusted_channel: false,
            operator: String::new(),
            customer_ip: String::new(),
            language: "en".to_owned(),
            custom_endpoint: false,
            agent_limit: "0".to_owned(),
            trading_name: String::new(),
            address: Default::default(),
        }
    }

    pub fn of(p: &Profile) -> Self {
        Self {
            name: p.name.clone(),
            environment: p.environment,
            endpoint: p.endpoint.clone(),
            merchant_identifier: p.merchant_identifier.clone(),
            algorithm: p.algorithm,
            default_currency: p.default_currency.code().to_owned(),
            trusted_channel: p.trusted_channel,
            operator: p.operator.clone(),
            customer_ip: p.customer_ip.clone().unwrap_or_default(),
            language: p.language.clone(),
            custom_endpoint: p.custom_endpoint,
            agent_limit: format_minor(p.agent_limit_minor, p.default_currency),
            trading_name: p.trading_name.clone(),
            address: std::array::from_fn(|i| p.address.get(i).cloned().unwrap_or_default()),
        }
    }

    /// Sandbox and production fill in the endpoint APS publishes for them. Going to the demo
    /// clears a published endpoint, so a demo profile never quietly points at APS.
    pub fn set_environment(&mut self, environment: ProfileEnvironment) {
        if environment == self.environment {
            return;
        }
        self.environment = environment;
        match environment.payment_api_url() {
            Some(url) => self.endpoint = url.to_owned(),
            None => {
                let published = ProfileEnvironment::ALL
                    .into_iter()
                    .any(|e| e.payment_api_url() == Some(self.endpoint.trim()));
                if published {
                    self.endpoint.clear();
                }
            }
        }
    }

    /// The profile to save, checked by the vault's own rules so a mistake is reported before
    /// anything (secrets included) leaves the form. `base` is the stored profile when editing.
    ///
    /// # Errors
    /// The first wrong field, named.
    pub fn to_profile(&self, base: Option<&Profile>) -> Result<Profile, FormError> {
        let currency = Currency::parse(&self.default_currency).map_err(|e| FormError {
            field: Some(Field::Currency),
            message: capitalise(&format!("profile currency: {e}")),
        })?;
        let mut profile = match base {
            Some(p) => p.clone(),
            None => Profile::new(self.name.trim(), self.environment, "", currency),
        };
        profile.environment = self.environment;
        profile.endpoint = self.endpoint.trim().to_owned();
        profile.merchant_identifier = self.merchant_identifier.trim().to_owned();
        profile.algorithm = self.algorithm;
        profile.default_currency = currency;
        profile.trusted_channel = self.trusted_channel;
        profile.operator = self.operator.trim().to_owned();
        profile.customer_ip = Some(self.customer_ip.trim().to_owned()).filter(|ip| !ip.is_empty());
        profile.language = self.language.clone();
        profile.custom_endpoint = self.custom_endpoint;
        profile.agent_limit_minor = agent_limit(&self.agent_limit, currency)?;
        profile.trading_name = self.trading_name.trim().to_owned();
        profile.address =
            self.address.iter().map(|l| l.trim().to_owned()).filter(|l| !l.is_empty()).collect();
        service::check_stored_profile(&profile).map_err(|e| FormError::of(&e))?;
        Ok(profile)
    }
}

/// The agent limit as typed, in minor units of `currency`, parsed exactly: empty or zero is 0
/// (every agent refund or void needs a supervisor's approval).
fn agent_limit(text: &str, currency: Currency) -> Result<u64, FormError> {
    if text.trim().is_empty() {
        return Ok(0);
    }
    match Money::parse(text, currency) {
        Ok(money) => Ok(money.minor_units()),
        Err(MoneyError::Zero) => Ok(0),
        Err(e) => Err(FormError {
            field: Some(Field::AgentLimit),
            message: capitalise(&format!("{}: {e}", service::Field::RefundLimit.label())),
        }),
    }
}

/// The form's state: the typed fields, the typed secrets, and why the last save failed.
#[derive(Default)]
pub struct ProfileForm {
    pub edit: Option<ProfileEdit>,
    pub secrets: SecretInputs,
    pub error: Option<FormError>,
    /// Put the cursor in this field on the next frame.
    pub focus: Option<Field>,
    /// The field to focus while this frame draws (a request is honoured once).
    focus_now: Option<Field>,
}

/// How the form is drawn.
pub struct FormLook<'a> {
    /// A new profile: its name can be typed and every secret is asked for.
    pub adding: bool,
    /// False for the built-in profile: everything shown, nothing changeable.
    pub editable: bool,
    /// Which secrets the keychain has for the profile.
    pub status: SecretStatus,
    /// Where secrets are kept, in words.
    pub keychain: &'a str,
}

impl ProfileForm {
    fn note(&self, field: Field) -> Option<Note> {
        self.error.as_ref().filter(|e| e.field == Some(field)).map(|e| Note::Error(e.message.clone()))
    }

    fn focus(&self, field: Field, response: &Response) {
        if self.focus_now == Some(field) {
            response.request_focus();
        }
    }

    /// Draws the form. Returns the text inputs, in Tab order: Enter in any of them saves.
    pub fn ui(&mut self, ui: &mut Ui, look: &FormLook<'_>) -> Vec<Response> {
        let mut inputs = Vec::new();
        let Some(mut edit) = self.edit.take() else { return inputs };
        // Honoured once: a choice (environment, language) has no input and keeps its message.
        self.focus_now = self.focus.take();
        ui.add_enabled_ui(look.editable, |ui| {
            self.account_ui(ui, &mut edit, look, &mut inputs);
            ui.add_space(theme::ROW_GAP);
            self.secrets_ui(ui, look, &mut inputs);
        });
        self.edit = Some(edit);
        inputs
    }

    /// The trading name and address receipts carry.
    fn receipt_ui(&mut self, ui: &mut Ui, edit: &mut ProfileEdit, inputs: &mut Vec<Response>) {
        let trading =
            TextField::new("Trading name", id("trading_name")).hint("on receipts; empty: the profile name");
        self.text(ui, Field::TradingName, trading, &mut edit.trading_name, inputs);
        for (i, line) in edit.address.iter_mut().enumerate() {
            let label = ["Receipt address", "Address line 2", "Address line 3"][i];
            let field = TextField::new(label, id(&format!("address_{i}"))).width(theme::FIELD_WIDTH * 1.6);
            // A wrong address puts the cursor (and the message) on its first line.
            let which = if i == 0 { Field::Address } else { Field::AddressMore };
            self.text(ui, which, field, line, inputs);
        }
    }

    fn text(
        &mut self,
        ui: &mut Ui,
        field: Field,
        field_ui: TextField<'_>,
        text: &mut String,
        inputs: &mut Vec<Response>,
    ) {
        let response = field_ui.show(ui, text, self.note(field).as_ref(), |_| {});
        self.focus(field, &response);
        inputs.push(response);
    }

    fn account_ui(
        &mut self,
        ui: &mut Ui,
        edit: &mut ProfileEdit,
        look: &FormLook<'_>,
        inputs: &mut Vec<Response>,
    ) {
        if look.adding {
            let name = TextField::new("Profile name", id("name")).hint("e.g. Riyadh store").char_limit(40);
            self.text(ui, Field::Name, name, &mut edit.name, inputs);
        }
        let badge = edit.environment;
        row(ui, "Environment", |ui, _| {
            // The Demo is built in: offered only to show the built-in profile itself.
            let built_in = edit.environment == ProfileEnvironment::Demo;
            let offered =
                ProfileEnvironment::ALL.into_iter().filter(|e| *e != ProfileEnvironment::Demo || built_in);
            for environment in offered {
                if ui.radio(edit.environment == environment, capitalise(environment.as_str())).clicked() {
                    edit.set_environment(environment);
                }
            }
            ui.add_space(theme::ROW_GAP);
            let meaning = RichText::new(capitalise(badge.meaning()));
            ui.label(match badge {
                ProfileEnvironment::Production => meaning.color(theme::ERROR_TEXT).strong(),
                _ => meaning.color(theme::HINT_TEXT),
            });
        });
        if let Some(note) = self.note(Field::Environment) {
            note_ui(ui, &note);
        }
        let endpoint = TextField::new("Endpoint", id("endpoint")).width(theme::FIELD_WIDTH * 1.6);
        self.text(ui, Field::Endpoint, endpoint, &mut edit.endpoint, inputs);
        row(ui, "", |ui, _| {
            ui.checkbox(
                &mut edit.custom_endpoint,
                "Custom endpoint: not the published APS address (the banner warns)",
            )
        });
        let merchant = TextField::new("Merchant identifier", id("merchant")).char_limit(20);
        self.text(ui, Field::MerchantIdentifier, merchant, &mut edit.merchant_identifier, inputs);
        row(ui, "SHA type", |ui, _| {
            for algorithm in Algorithm::ALL {
                ui.radio_value(&mut edit.algorithm, algorithm, algorithm.label());
            }
            ui.add_space(theme::ROW_GAP);
            ui.label(RichText::new("as in APS Security Settings").color(theme::HINT_TEXT));
        });
        let currency = TextField::new("Profile currency", id("currency"))
            .hint("AED")
            .width(theme::SHORT_FIELD_WIDTH)
            .char_limit(3);
        self.text(ui, Field::Currency, currency, &mut edit.default_currency, inputs);
        let limit = TextField::new("Agent refund/void limit", id("agent_limit"))
            .hint("0 = always ask")
            .width(theme::SHORT_FIELD_WIDTH * 2.0)
            .suffix(edit.default_currency.trim().to_ascii_uppercase());
        self.text(ui, Field::AgentLimit, limit, &mut edit.agent_limit, inputs);
        row(ui, "", |ui, _| {
            ui.checkbox(&mut edit.trusted_channel, "Trusted channel: agents may key card numbers (PCI DSS)")
        });
        let operator = TextField::new("Profile operator", id("operator")).hint("empty: the app's operator");
        self.text(ui, Field::Operator, operator, &mut edit.operator, inputs);
        let ip = TextField::new("Customer IP", id("customer_ip")).hint("sent as customer_ip");
        self.text(ui, Field::CustomerIp, ip, &mut edit.customer_ip, inputs);
        self.receipt_ui(ui, edit, inputs);
        row(ui, "APS messages in", |ui, _| {
            ui.radio_value(&mut edit.language, "en".to_owned(), "English");
            ui.radio_value(&mut edit.language, "ar".to_owned(), "Arabic");
        });
        if let Some(note) = self.note(Field::Language) {
            note_ui(ui, &note);
        }
    }

    fn secrets_ui(&mut self, ui: &mut Ui, look: &FormLook<'_>, inputs: &mut Vec<Response>) {
        // Said plainly when the keychain forgets (kernel keyring, in-memory): the agent will have
        // to type the secrets again.
        let where_kept = RichText::new(format!(
            "Saved to {}. Never shown again: only whether each one is set.",
            look.keychain
        ));
        let where_kept = if look.keychain.contains("lost") {
            where_kept.color(theme::ATTENTION)
        } else {
            where_kept.color(theme::HINT_TEXT)
        };
        ui.horizontal_top(|ui| {
            ui.allocate_ui_with_layout(
                egui::vec2(theme::LABEL_WIDTH, ui.spacing().interact_size.y),
                egui::Layout::right_to_left(egui::Align::Min),
                |ui| ui.label(RichText::new("Secrets").strong()),
            );
            ui.add(egui::Label::new(where_kept).wrap());
        });
        for kind in SecretKind::ALL {
            let i = slot(kind);
            let set = look.status.has(kind);
            let label = capitalise(kind.label());
            let status = if set {
                RichText::new("set").color(theme::APPROVED).strong()
            } else {
                RichText::new("not set").color(theme::ATTENTION).strong()
            };
            let error_here = self.error.as_ref().is_some_and(|e| e.field == Some(Field::Secret(kind)));
            if look.editable && (!set || self.secrets.replacing[i] || error_here) {
                let hint = if set { "type the new value" } else { "from APS Security Settings" };
                let note = self.note(Field::Secret(kind));
                let mut keep = false;
                let response = TextField::new(&label, secret_id(kind))
                    .password(true)
                    .hint(hint)
                    .char_limit(SECRET_CHARS)
                    .show(ui, &mut self.secrets.values[i], note.as_ref(), |ui| {
                        ui.label(status);
                        if set {
                            keep = ui.button("Keep the saved one").clicked();
                        }
                    });
                forget_undo(ui.ctx(), secret_id(kind));
                self.focus(Field::Secret(kind), &response);
                inputs.push(response);
                if keep {
                    self.secrets.values[i].zeroize();
                    self.secrets.replacing[i] = false;
                    if error_here {
                        self.error = None;
                    }
                }
            } else {
                row(ui, &label, |ui, _| {
                    ui.label(status);
                    let replace = ui.add_enabled(look.editable, egui::Button::new("Replace"));
                    // Said in full to screen readers and tests: three buttons read "Replace".
                    let spoken = format!("Replace the {}", kind.label());
                    replace.widget_info(|| WidgetInfo::labeled(Role::Button, look.editable, &spoken));
                    if replace.clicked() {
                        self.secrets.replacing[i] = true;
                        self.focus = Some(Field::Secret(kind));
                    }
                });
            }
        }
    }
}

#[cfg(test)]
#[path = "profile_form_tests.rs"]
mod tests;
