//! Settings: the merchant profiles (environment, endpoint, merchant identifier, SHA type,
//! whether each secret is set), switching to another profile, testing a profile's connection,
//! editing and removing profiles, and the app settings (operator name, default currency, how
//! long typed card details survive without activity).
//!
//! Secrets are never shown: only "set" or "not set". Every keychain and config-file access goes
//! through the service, which runs it off the UI thread.

use super::{Call, Screen};
use crate::aps::money::Currency;
use crate::service::{ProfileSummary, ProfileTest, ServiceError};
use crate::ui::env::{ActiveProfile, AppCommand, Env, Environment};
use crate::ui::theme;
use crate::ui::widgets::banner::environment_badge;
use crate::ui::widgets::field::{Note, TextField, capitalise, note_ui, row};
use egui::{Id, RichText, Ui};

fn id(name: &str) -> Id {
    Id::unique(("settings", name))
}

/// The fields of a profile the agent is editing, as typed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProfileEdit {
    pub name: String,
    pub endpoint: String,
    pub merchant_identifier: String,
    pub operator: String,
    pub default_currency: String,
    pub trusted_channel: bool,
    pub customer_ip: String,
}

/// The app settings as typed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AppEdit {
    pub operator: String,
    pub default_currency: String,
    pub card_idle_wipe_secs: String,
}

/// The terminal's view of a stored profile.
pub fn active_profile(summary: &ProfileSummary, app_operator: &str) -> ActiveProfile {
    let p = &summary.profile;
    ActiveProfile {
        name: p.name.clone(),
        environment: environment_of(p.environment.label()),
        merchant_identifier: p.merchant_identifier.clone(),
        trusted_channel: p.trusted_channel,
        default_currency: p.default_currency,
        operator: if p.operator.trim().is_empty() { app_operator.to_owned() } else { p.operator.clone() },
    }
}

/// Reads the environment from its badge word. Anything unexpected is shown as PRODUCTION:
/// the loudest banner is the safe mistake.
pub fn environment_of(label: &str) -> Environment {
    match label {
        "DEMO" => Environment::Demo,
        "SANDBOX" => Environment::Sandbox,
        _ => Environment::Production,
    }
}

pub struct SettingsScreen {
    profiles: Vec<ProfileSummary>,
    list: Call<Result<Vec<ProfileSummary>, ServiceError>>,
    selected: Option<String>,
    edit: ProfileEdit,
    save: Call<Result<(), ServiceError>>,
    remove: Call<Result<(), ServiceError>>,
    test: Call<Result<ProfileTest, ServiceError>>,
    message: Option<Note>,
    app: Option<AppEdit>,
    app_save: Call<Result<(), ServiceError>>,
    app_message: Option<Note>,
    reload: bool,
    confirm_remove: bool,
}

impl Default for SettingsScreen {
    fn default() -> Self {
        Self {
            profiles: Vec::new(),
            list: Call::default(),
            selected: None,
            edit: ProfileEdit::default(),
            save: Call::default(),
            remove: Call::default(),
            test: Call::default(),
            message: None,
            app: None,
            app_save: Call::default(),
            app_message: None,
            reload: true,
            confirm_remove: false,
        }
    }
}

impl SettingsScreen {
    fn selected_summary(&self) -> Option<&ProfileSummary> {
        let name = self.selected.as_deref()?;
        self.profiles.iter().find(|p| p.profile.name == name)
    }

    fn select(&mut self, name: &str) {
        self.selected = Some(name.to_owned());
        self.confirm_remove = false;
        self.message = None;
        if let Some(summary) = self.selected_summary() {
            let p = &summary.profile;
            self.edit = ProfileEdit {
                name: p.name.clone(),
                endpoint: p.endpoint.clone(),
                merchant_identifier: p.merchant_identifier.clone(),
                operator: p.operator.clone(),
                default_currency: p.default_currency.code().to_owned(),
                trusted_channel: p.trusted_channel,
                customer_ip: p.customer_ip.clone().unwrap_or_default(),
            };
        }
    }

    fn poll(&mut self, env: &mut Env<'_>) {
        if let Some(answer) = self.list.poll() {
            match answer {
                Ok(profiles) => {
                    self.profiles = profiles;
                    let current = self.selected.clone().unwrap_or_else(|| env.profile.name.clone());
                    self.select(&current);
                    // The profile in use may have been edited: refresh the banner and forms.
                    if let Some(summary) = self.profiles.iter().find(|p| p.profile.name == env.profile.name) {
                        let fresh = active_profile(summary, &env.service.service().app_settings().operator);
                        if &fresh != env.profile {
                            env.commands.push(AppCommand::ProfileChanged(Box::new(fresh)));
                        }
                    }
                }
                Err(e) => self.message = Some(Note::Error(capitalise(&e.to_string()))),
            }
        }
        for (call, done) in [(&mut self.save, "Profile saved."), (&mut self.remove, "Profile removed.")] {
            if let Some(answer) = call.poll() {
                self.message = Some(match answer {
                    Ok(()) => Note::Hint(done.to_owned()),
                    Err(e) => Note::Error(capitalise(&e.to_string())),
                });
                self.reload = true;
            }
        }
        if let Some(answer) = self.test.poll() {
            self.message = Some(match answer {
                Ok(ProfileTest { ok: true, message }) => Note::Hint(message),
                Ok(ProfileTest { ok: false, message }) => Note::Error(capitalise(&message)),
                Err(e) => Note::Error(capitalise(&e.to_string())),
            });
        }
        if let Some(answer) = self.app_save.poll() {
            self.app_message = Some(match answer {
                Ok(()) => Note::Hint("Settings saved.".to_owned()),
                Err(e) => Note::Error(capitalise(&e.to_string())),
            });
        }
        if std::mem::take(&mut self.reload) {
            self.list.start(env.service.run(|service, _| async move { service.profiles().await }));
        }
    }

    fn list_ui(&mut self, ui: &mut Ui, env: &mut Env<'_>) {
        let mut chosen = None;
        let mut switch = None;
        egui::Grid::new(id("profiles")).striped(true).num_columns(6).spacing([14.0, 4.0]).show(ui, |ui| {
            for head in ["Profile", "Environment", "Merchant", "Secrets", "", ""] {
                ui.label(RichText::new(head).strong());
            }
            ui.end_row();
            for summary in &self.profiles {
                let p = &summary.profile;
                let selected = self.selected.as_deref() == Some(p.name.as_str());
                if ui.selectable_label(selected, &p.name).clicked() {
                    chosen = Some(p.name.clone());
                }
                let environment = environment_of(p.environment.label());
                let (bg, fg) = environment.colors();
                ui.label(RichText::new(environment.word()).background_color(bg).color(fg).strong());
                ui.label(&p.merchant_identifier);
                let s = &summary.secrets;
                let set = |b: bool| if b { "set" } else { "NOT SET" };
                ui.label(format!(
                    "access code {}, request phrase {}, response phrase {}",
                    set(s.access_code),
                    set(s.request_phrase),
                    set(s.response_phrase)
                ));
                if p.name == env.profile.name {
                    ui.label(RichText::new("in use").color(theme::APPROVED));
                } else if ui.button(format!("Use {}", p.name)).clicked() {
                    switch = Some(summary.clone());
                }
                ui.label(if summary.built_in { "built in" } else { "" });
                ui.end_row();
            }
        });
        if let Some(name) = chosen {
            self.select(&name);
        }
        if let Some(summary) = switch {
            let active = active_profile(&summary, &env.service.service().app_settings().operator);
            env.commands.push(AppCommand::ProfileChanged(Box::new(active)));
        }
    }

    fn edit_ui(&mut self, ui: &mut Ui, env: &Env<'_>) {
        let Some(summary) = self.selected_summary().cloned() else { return };
        ui.add_space(theme::SECTION_GAP);
        ui.separator();
        environment_badge(ui, environment_of(summary.profile.environment.label()), &summary.profile.name);
        ui.label(format!("SHA type: {}", summary.profile.algorithm.label()));
        let editable = !summary.built_in;
        if !editable {
            note_ui(
                ui,
                &Note::Hint(
                    "The Demo merchant is built in: it talks to the simulator and cannot be changed."
                        .to_owned(),
                ),
            );
        }
        ui.add_enabled_ui(editable, |ui| {
            TextField::new("Endpoint", id("endpoint")).width(theme::FIELD_WIDTH * 1.6).show(
                ui,
                &mut self.edit.endpoint,
                None,
                |_| {},
            );
            TextField::new("Merchant identifier", id("merchant")).char_limit(20).show(
                ui,
                &mut self.edit.merchant_identifier,
                None,
                |_| {},
            );
            TextField::new("Profile operator", id("operator")).hint("empty: the app's operator").show(
                ui,
                &mut self.edit.operator,
                None,
                |_| {},
            );
            let currency_note = Currency::parse(&self.edit.default_currency)
                .err()
                .map(|e| Note::Error(capitalise(&e.to_string())));
            TextField::new("Profile currency", id("currency"))
                .width(theme::SHORT_FIELD_WIDTH)
                .char_limit(3)
                .show(ui, &mut self.edit.default_currency, currency_note.as_ref(), |_| {});
            TextField::new("Customer IP", id("customer_ip")).hint("sent as customer_ip").show(
                ui,
                &mut self.edit.customer_ip,
                None,
                |_| {},
            );
            row(ui, "", |ui, _| {
                ui.checkbox(
                    &mut self.edit.trusted_channel,
                    "Trusted channel: agents may key card numbers (PCI DSS)",
                )
            });
        });
        ui.horizontal(|ui| {
            ui.add_space(theme::LABEL_WIDTH + ui.spacing().item_spacing.x);
            let busy = self.save.busy() || self.remove.busy() || self.test.busy();
            if ui.add_enabled(editable && !busy, egui::Button::new("Save profile")).clicked() {
                self.start_save(env, &summary);
            }
            if ui.add_enabled(!busy, egui::Button::new("Test connection")).clicked() {
                let name = summary.profile.name.clone();
                self.message = Some(Note::Hint("Asking APS...".to_owned()));
                self.test.start(
                    env.service.run(move |service, _| async move { service.test_profile(&name).await }),
                );
            }
            let in_use = summary.profile.name == env.profile.name;
            if ui.add_enabled(editable && !busy && !in_use, egui::Button::new("Remove profile...")).clicked()
            {
                self.confirm_remove = true;
            }
            if busy {
                ui.spinner();
            }
        });
        if self.confirm_remove {
            ui.horizontal(|ui| {
                ui.add_space(theme::LABEL_WIDTH + ui.spacing().item_spacing.x);
                ui.label(
                    RichText::new(format!(
                        "Remove {} and its secrets? Its history stays.",
                        summary.profile.name
                    ))
                    .color(theme::ATTENTION),
                );
                if ui.button(format!("Remove {}", summary.profile.name)).clicked() {
                    self.confirm_remove = false;
                    let name = summary.profile.name.clone();
                    self.remove.start(
                        env.service.run(move |service, _| async move { service.remove_profile(&name).await }),
                    );
                    self.selected = None;
                }
                if ui.button("Keep it").clicked() {
                    self.confirm_remove = false;
                }
            });
        }
        if let Some(message) = &self.message {
            note_ui(ui, message);
        }
    }

    fn start_save(&mut self, env: &Env<'_>, summary: &ProfileSummary) {
        let currency = match Currency::parse(&self.edit.default_currency) {
            Ok(c) => c,
            Err(e) => {
                self.message = Some(Note::Error(capitalise(&e.to_string())));
                return;
            }
        };
        let mut profile = summary.profile.clone();
        profile.endpoint = self.edit.endpoint.trim().to_owned();
        profile.merchant_identifier = self.edit.merchant_identifier.trim().to_owned();
        profile.operator = self.edit.operator.trim().to_owned();
        profile.default_currency = currency;
        profile.trusted_channel = self.edit.trusted_channel;
        profile.customer_ip = Some(self.edit.customer_ip.trim().to_owned()).filter(|ip| !ip.is_empty());
        self.save.start(
            env.service.run(move |service, _| async move { service.save_profile(profile, Vec::new()).await }),
        );
    }

    fn app_ui(&mut self, ui: &mut Ui, env: &Env<'_>) {
        ui.add_space(theme::SECTION_GAP);
        ui.separator();
        ui.label(RichText::new("This terminal").strong().size(theme::HEADING_SIZE - 3.0));
        let stored = env.service.service().app_settings();
        let edit = self.app.get_or_insert_with(|| AppEdit {
            operator: stored.operator.clone(),
            default_currency: stored.default_currency.map(|c| c.code().to_owned()).unwrap_or_default(),
            card_idle_wipe_secs: stored.card_idle_wipe_secs.to_string(),
        });
        TextField::new("Operator name", id("app_operator")).hint("recorded with every operation").show(
            ui,
            &mut edit.operator,
            None,
            |_| {},
        );
        TextField::new("Default currency", id("app_currency"))
            .width(theme::SHORT_FIELD_WIDTH)
            .char_limit(3)
            .show(ui, &mut edit.default_currency, None, |_| {});
        TextField::new("Card wipe (seconds)", id("app_wipe"))
            .width(theme::SHORT_FIELD_WIDTH)
            .char_limit(4)
            .show(ui, &mut edit.card_idle_wipe_secs, None, |_| {});
        ui.label(
            RichText::new(format!("Secrets are kept in: {}", env.service.service().keychain_description()))
                .color(theme::HINT_TEXT),
        );
        let save = ui.horizontal(|ui| {
            ui.add_space(theme::LABEL_WIDTH + ui.spacing().item_spacing.x);
            ui.add_enabled(!self.app_save.busy(), egui::Button::new("Save settings")).clicked()
        });
        if save.inner {
            let mut settings = stored;
            settings.operator = edit.operator.trim().to_owned();
            let currency = edit.default_currency.trim();
            settings.default_currency =
                if currency.is_empty() { None } else { Currency::parse(currency).ok() };
            match edit.card_idle_wipe_secs.trim().parse::<u32>() {
                Ok(secs) if (30..=3600).contains(&secs) => settings.card_idle_wipe_secs = secs,
                _ => {
                    self.app_message =
                        Some(Note::Error("Card wipe must be 30 to 3600 seconds without activity".to_owned()));
                    return;
                }
            }
            if !currency.is_empty() && settings.default_currency.is_none() {
                self.app_message = Some(Note::Error(
                    "Default currency must be a three-letter ISO code such as AED".to_owned(),
                ));
                return;
            }
            self.app_save.start(
                env.service.run(move |service, _| async move { service.set_app_settings(settings).await }),
            );
        }
        if let Some(message) = &self.app_message {
            note_ui(ui, message);
        }
    }
}

impl Screen for SettingsScreen {
    fn ui(&mut self, ui: &mut Ui, env: &mut Env<'_>) {
        self.poll(env);
        ui.label("Merchant profiles. Secrets are never shown: only whether each one is set.");
        ui.add_space(theme::ROW_GAP);
        self.list_ui(ui, env);
        self.edit_ui(ui, env);
        self.app_ui(ui, env);
    }

    fn escape(&mut self) -> bool {
        std::mem::take(&mut self.confirm_remove)
    }

    fn opened(&mut self, _ctx: &egui::Context) {
        self.reload = true;
        self.app = None;
    }
}
