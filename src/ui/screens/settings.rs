//! Settings: the merchant profiles (add, edit, remove, switch to, test the connection), their
//! secrets, and the app settings (operator name, default currency, how long typed card details
//! survive without activity).
//!
//! Secrets are entered once and saved to the keychain; afterwards the screen shows only "set"
//! or "not set" (see [`super::profile_form`]). Every keychain and config-file access goes
//! through the service, which runs it off the UI thread.
//!
//! Keyboard: opening the screen puts the cursor on "Add a profile"; in the form Tab moves,
//! Enter in any field saves, a wrong field gets the cursor and its message; Esc first drops
//! typed secrets, then leaves a new profile, then goes back.

use super::profile_form::{Field, FormError, FormLook, ProfileEdit, ProfileForm, id, readable};
use super::{Call, Screen};
use crate::aps::money::Currency;
use crate::service::{
    self, AppSettings, ProfileSummary, ProfileTest, SecretKind, ServiceError, check_app_settings,
};
use crate::ui::env::{ActiveProfile, AppCommand, Env, UiSettings};
use crate::ui::theme::{self, Look};
use crate::ui::widgets::banner::environment_badge;
use crate::ui::widgets::field::{Note, TextField, note_ui};
use egui::{Key, RichText, Ui};

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
        environment: p.environment,
        merchant_identifier: p.merchant_identifier.clone(),
        trusted_channel: p.trusted_channel,
        default_currency: p.default_currency,
        operator: if p.operator.trim().is_empty() { app_operator.to_owned() } else { p.operator.clone() },
        custom_endpoint: p.custom_endpoint_host(),
    }
}

/// A save in flight: which profile, and which secrets went with it.
struct Saving {
    name: String,
    secrets: Vec<SecretKind>,
}

/// "Profile saved." and which secrets went to the keychain, never their values.
fn saved_message(saving: &Saving) -> String {
    if saving.secrets.is_empty() {
        return format!("Profile {} saved.", saving.name);
    }
    let kinds: Vec<&str> = saving.secrets.iter().map(|k| k.label()).collect();
    format!("Profile {} saved; saved to the keychain: {}.", saving.name, kinds.join(", "))
}

#[derive(Default)]
pub struct SettingsScreen {
    profiles: Vec<ProfileSummary>,
    list: Call<Result<Vec<ProfileSummary>, ServiceError>>,
    selected: Option<String>,
    /// The form is for a new profile rather than the selected one.
    adding: bool,
    /// A new profile's fields, kept when the agent backs out with Esc.
    add_draft: Option<ProfileEdit>,
    form: ProfileForm,
    /// Fill the form from the stored profile when the list arrives. Not after a failed save:
    /// what the agent typed stays.
    refill: bool,
    save: Call<Result<(), ServiceError>>,
    saving: Option<Saving>,
    /// A new profile whose save failed after it was written (a secret was refused): once the
    /// list shows it, the form carries on as its edit form.
    half_added: Option<String>,
    remove: Call<Result<(), ServiceError>>,
    test: Call<Result<ProfileTest, ServiceError>>,
    message: Option<Note>,
    app: Option<AppEdit>,
    /// The app settings as stored, read when the screen opens and after a save, never per
    /// frame (reading takes the vault's lock, which a save holds across a disk sync).
    app_stored: AppSettings,
    app_save: Call<Result<(), ServiceError>>,
    app_message: Option<Note>,
    /// Put the cursor in this app-settings input on the next frame.
    app_focus: Option<egui::Id>,
    reload: bool,
    confirm_remove: bool,
    /// Put the cursor on "Add a profile" (the screen was just opened).
    focus_add: bool,
}

/// The app-settings input a field error is about.
fn app_input(field: service::Field) -> Option<egui::Id> {
    Some(match field {
        service::Field::Operator => id("app_operator"),
        service::Field::DefaultCurrency => id("app_currency"),
        service::Field::CardWipe => id("app_wipe"),
        _ => return None,
    })
}

impl SettingsScreen {
    /// Takes the stored app settings as the base of the app form.
    fn load_app(&mut self, stored: AppSettings) {
        self.app = Some(AppEdit {
            operator: stored.operator.clone(),
            default_currency: stored.default_currency.map(|c| c.code().to_owned()).unwrap_or_default(),
            card_idle_wipe_secs: stored.card_idle_wipe_secs.to_string(),
        });
        self.app_stored = stored;
    }

    /// Says why the app settings were not saved, with the cursor in the input to fix.
    fn app_refused(&mut self, error: &ServiceError) {
        if let ServiceError::Invalid { field, .. } = error {
            self.app_focus = app_input(*field);
        }
        self.app_message = Some(Note::Error(readable(&error.to_string())));
    }

    fn selected_summary(&self) -> Option<&ProfileSummary> {
        let name = self.selected.as_deref()?;
        self.profiles.iter().find(|p| p.profile.name == name)
    }

    /// Loads the selected profile into the form, dropping what was typed.
    fn fill(&mut self) {
        self.form.edit = self.selected_summary().map(|s| ProfileEdit::of(&s.profile));
        self.form.error = None;
    }

    /// The agent picked a profile in the list.
    fn choose(&mut self, ctx: &egui::Context, name: &str) {
        if std::mem::take(&mut self.adding) {
            self.add_draft = self.form.edit.take();
        }
        self.selected = Some(name.to_owned());
        self.confirm_remove = false;
        self.message = None;
        self.form.secrets.wipe(ctx);
        self.fill();
    }

    fn start_adding(&mut self, ctx: &egui::Context) {
        self.adding = true;
        self.confirm_remove = false;
        self.message = None;
        self.form.secrets.wipe(ctx);
        self.form.error = None;
        let currency = self.app_stored.default_currency;
        self.form.edit = Some(self.add_draft.take().unwrap_or_else(|| ProfileEdit::new_profile(currency)));
        self.form.focus = Some(Field::Name);
    }

    /// Leaves the new profile, keeping its typed fields (not its secrets) for next time.
    fn cancel_adding(&mut self) {
        self.adding = false;
        self.add_draft = self.form.edit.take();
        self.form.secrets.clear();
        self.fill();
    }

    fn poll(&mut self, env: &mut Env<'_>) {
        if let Some(answer) = self.list.poll() {
            match answer {
                Ok(profiles) => {
                    self.profiles = profiles;
                    if let Some(name) = self.half_added.take()
                        && self.adding
                        && self.profiles.iter().any(|p| p.profile.name == name)
                    {
                        self.adding = false;
                        self.selected = Some(name);
                    }
                    if self.selected_summary().is_none() {
                        self.selected = Some(env.profile.name.clone());
                        self.refill = true;
                    }
                    if std::mem::take(&mut self.refill) && !self.adding {
                        self.fill();
                    }
                    // The profile in use may have been edited: refresh the banner and forms.
                    if let Some(summary) = self.profiles.iter().find(|p| p.profile.name == env.profile.name) {
                        let fresh = active_profile(summary, &self.app_stored.operator);
                        if &fresh != env.profile {
                            env.commands.push(AppCommand::ProfileChanged(Box::new(fresh)));
                        }
                    }
                }
                Err(e) => self.message = Some(Note::Error(readable(&e.to_string()))),
            }
        }
        if let Some(answer) = self.save.poll() {
            let saving = self.saving.take();
            match answer {
                Ok(()) => {
                    if let Some(saving) = saving {
                        self.message = Some(Note::Hint(saved_message(&saving)));
                        self.selected = Some(saving.name);
                    }
                    if self.adding {
                        self.adding = false;
                        self.add_draft = None;
                    }
                    self.refill = true;
                }
                Err(e) => {
                    let error = FormError::of(&e);
                    self.form.focus = error.field;
                    self.form.error = Some(error);
                    if self.adding {
                        self.half_added = saving.map(|s| s.name);
                    }
                }
            }
            // Secrets may be set even when the save failed part-way: show what the keychain has.
            self.reload = true;
        }
        if let Some(answer) = self.remove.poll() {
            self.message = Some(match answer {
                Ok(()) => Note::Hint("Profile removed.".to_owned()),
                Err(e) => Note::Error(readable(&e.to_string())),
            });
            self.reload = true;
        }
        if let Some(answer) = self.test.poll() {
            self.message = Some(match answer {
                Ok(ProfileTest { ok: true, message }) => Note::Hint(readable(&message)),
                Ok(ProfileTest { ok: false, message }) => Note::Error(readable(&message)),
                Err(e) => Note::Error(readable(&e.to_string())),
            });
        }
        if let Some(answer) = self.app_save.poll() {
            match answer {
                Ok(()) => {
                    let stored = env.service.service().app_settings();
                    env.commands.push(AppCommand::SettingsChanged(UiSettings::of(&stored)));
                    self.load_app(stored);
                    self.app_message = Some(Note::Hint("Settings saved.".to_owned()));
                    // The operator may be the profile's in use: refresh the banner and forms.
                    self.reload = true;
                }
                Err(e) => self.app_refused(&e),
            }
        }
        if std::mem::take(&mut self.reload) {
            self.list.start(env.service.run(|service, _| async move { service.profiles().await }));
        }
    }

    fn list_ui(&mut self, ui: &mut Ui, env: &mut Env<'_>) {
        let mut chosen = None;
        let mut switch = None;
        // A long name or a narrow window scrolls the table sideways instead of widening the
        // whole screen (which would stop the form's text from wrapping).
        egui::ScrollArea::horizontal().id_salt(id("profiles_scroll")).show(ui, |ui| {
            egui::Grid::new(id("profiles")).striped(true).num_columns(7).spacing([14.0, 4.0]).show(
                ui,
                |ui| {
                    for head in ["Profile", "Environment", "Merchant", "SHA type", "Secrets", "", ""] {
                        ui.label(RichText::new(head).strong());
                    }
                    ui.end_row();
                    for summary in &self.profiles {
                        let p = &summary.profile;
                        let selected = !self.adding && self.selected.as_deref() == Some(p.name.as_str());
                        if ui.selectable_label(selected, &p.name).clicked() {
                            chosen = Some(p.name.clone());
                        }
                        let environment = p.environment;
                        let (bg, fg) = environment.colors();
                        ui.label(RichText::new(environment.word()).background_color(bg).color(fg).strong());
                        ui.label(&p.merchant_identifier);
                        ui.label(p.algorithm.label());
                        let s = &summary.secrets;
                        let set = |b: bool| if b { "set" } else { "NOT SET" };
                        let secrets = format!(
                            "access code {}, request phrase {}, response phrase {}",
                            set(s.access_code),
                            set(s.request_phrase),
                            set(s.response_phrase)
                        );
                        ui.label(if s.is_complete() {
                            RichText::new(secrets)
                        } else {
                            RichText::new(secrets).color(theme::ATTENTION)
                        });
                        if p.name == env.profile.name {
                            ui.label(RichText::new("in use").color(theme::APPROVED));
                        } else {
                            let use_it = ui.button("Use");
                            // Said in full to screen readers and tests: every row has a "Use".
                            let spoken = format!("Use {}", p.name);
                            use_it
                                .widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, &spoken));
                            if use_it.clicked() {
                                switch = Some(summary.clone());
                            }
                        }
                        ui.label(if summary.built_in { "built in" } else { "" });
                        ui.end_row();
                    }
                },
            );
        });
        ui.add_space(theme::ROW_GAP);
        let add = ui.add_enabled(!self.adding, egui::Button::new("Add a profile..."));
        if std::mem::take(&mut self.focus_add) && !self.adding {
            add.request_focus();
        }
        if add.clicked() {
            // Pressed with Enter: the key opened the form and must not also reach its first field.
            ui.input_mut(|i| i.consume_key(egui::Modifiers::NONE, Key::Enter));
            self.start_adding(ui.ctx());
        }
        if let Some(name) = chosen {
            self.choose(ui.ctx(), &name);
        }
        if let Some(summary) = switch {
            let active = active_profile(&summary, &self.app_stored.operator);
            env.commands.push(AppCommand::ProfileChanged(Box::new(active)));
        }
    }

    fn form_ui(&mut self, ui: &mut Ui, env: &Env<'_>) {
        let summary = if self.adding {
            None
        } else {
            match self.selected_summary().cloned() {
                Some(summary) => Some(summary),
                None => return,
            }
        };
        ui.add_space(theme::SECTION_GAP);
        ui.separator();
        let built_in = summary.as_ref().is_some_and(|s| s.built_in);
        match &summary {
            None => {
                ui.label(RichText::new("New profile").strong().size(theme::HEADING_SIZE - 3.0));
            }
            Some(s) => environment_badge(ui, s.profile.environment, &s.profile.name),
        }
        if let Some(s) = summary.as_ref().filter(|s| s.built_in) {
            let text =
                format!("{} is built in: it talks to the simulator and cannot be changed.", s.profile.name);
            note_ui(ui, &Note::Hint(text));
        }
        ui.add_space(theme::ROW_GAP);
        if self.form.secrets.wipe_when_idle(ui, env.settings.card_idle_wipe_secs) {
            self.message = Some(Note::Hint(format!(
                "The secrets typed were cleared after {} without activity.",
                crate::ui::format::idle_phrase(env.settings.card_idle_wipe_secs)
            )));
        }
        let look = FormLook {
            adding: self.adding,
            editable: !built_in,
            status: summary.as_ref().map(|s| s.secrets).unwrap_or_default(),
            keychain: env.service.service().keychain_description(),
        };
        let inputs = self.form.ui(ui, &look);
        let enter =
            inputs.iter().any(|r| r.has_focus() || r.lost_focus()) && ui.input(|i| i.key_pressed(Key::Enter));
        let busy = self.save.busy() || self.remove.busy() || self.test.busy();
        let mut save = false;
        ui.add_space(theme::ROW_GAP);
        ui.horizontal(|ui| {
            ui.add_space(theme::LABEL_WIDTH + ui.spacing().item_spacing.x);
            let label = if self.adding { "Add profile (Enter)" } else { "Save profile (Enter)" };
            save = ui
                .add_enabled(look.editable && !busy, egui::Button::new(RichText::new(label).strong()))
                .clicked();
            if let Some(summary) = &summary {
                if ui.add_enabled(!busy, egui::Button::new("Test connection")).clicked() {
                    let name = summary.profile.name.clone();
                    self.message = Some(Note::Hint("Asking APS...".to_owned()));
                    self.test.start(
                        env.service.run(move |service, _| async move { service.test_profile(&name).await }),
                    );
                }
                let in_use = summary.profile.name == env.profile.name;
                let remove = egui::Button::new("Remove profile...");
                if ui.add_enabled(look.editable && !busy && !in_use, remove).clicked() {
                    self.confirm_remove = true;
                }
            } else if ui.button("Cancel (Esc)").clicked() {
                self.cancel_adding();
            }
            if busy {
                ui.spinner();
            }
        });
        if (save || enter) && look.editable && !busy {
            self.start_save(ui.ctx(), env, summary.as_ref());
        }
        if let Some(error) = &self.form.error {
            let text = match error.field {
                Some(_) => "Not saved: correct the field marked above.".to_owned(),
                None => format!("Not saved. {}", error.message),
            };
            note_ui(ui, &Note::Error(text));
        }
        if let (true, Some(summary)) = (self.confirm_remove, &summary) {
            let name = summary.profile.name.clone();
            ui.horizontal(|ui| {
                ui.add_space(theme::LABEL_WIDTH + ui.spacing().item_spacing.x);
                ui.label(
                    RichText::new(format!("Remove {name} and its secrets? Its history stays."))
                        .color(theme::ATTENTION),
                );
                if ui.button(format!("Remove {name}")).clicked() {
                    self.confirm_remove = false;
                    self.remove.start(
                        env.service.run(move |service, _| async move { service.remove_profile(&name).await }),
                    );
                    self.selected = None;
                    self.form.secrets.clear();
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

    /// Checks the form, then hands the profile and the typed secrets to the service; the
    /// secret buffers are wiped in the same step. A wrong field keeps everything typed.
    fn start_save(&mut self, ctx: &egui::Context, env: &Env<'_>, summary: Option<&ProfileSummary>) {
        let Some(edit) = &self.form.edit else { return };
        let checked = if self.adding
            && let Some(taken) = self
                .profiles
                .iter()
                .find(|p| p.profile.name.to_lowercase() == edit.name.trim().to_lowercase())
        {
            Err(FormError {
                field: Some(Field::Name),
                message: readable(&format!(
                    "profile name: a profile named \"{}\" already exists; choose another name",
                    taken.profile.name
                )),
            })
        } else {
            edit.to_profile(summary.map(|s| &s.profile))
        };
        let profile = match checked {
            Ok(profile) => profile,
            Err(error) => {
                self.form.focus = error.field;
                self.form.error = Some(error);
                return;
            }
        };
        let secrets = self.form.secrets.take(ctx);
        self.saving =
            Some(Saving { name: profile.name.clone(), secrets: secrets.iter().map(|(k, _)| *k).collect() });
        self.form.error = None;
        self.message = None;
        self.save.start(
            env.service.run(move |service, _| async move { service.save_profile(profile, secrets).await }),
        );
    }

    fn app_ui(&mut self, ui: &mut Ui, env: &Env<'_>) {
        ui.add_space(theme::SECTION_GAP);
        ui.separator();
        ui.label(RichText::new("This terminal").strong().size(theme::HEADING_SIZE - 3.0));
        let Some(edit) = self.app.as_mut() else { return };
        TextField::new("Operator name", id("app_operator")).hint("recorded with every operation").show(
            ui,
            &mut edit.operator,
            None,
            |_| {},
        );
        TextField::new("Default currency", id("app_currency"))
            .hint("AED")
            .width(theme::SHORT_FIELD_WIDTH)
            .char_limit(3)
            .show(ui, &mut edit.default_currency, None, |_| {});
        TextField::new("Card wipe (seconds)", id("app_wipe"))
            .width(theme::SHORT_FIELD_WIDTH)
            .char_limit(4)
            .show(ui, &mut edit.card_idle_wipe_secs, None, |_| {});
        let save = ui.horizontal(|ui| {
            ui.add_space(theme::LABEL_WIDTH + ui.spacing().item_spacing.x);
            ui.add_enabled(!self.app_save.busy(), egui::Button::new("Save settings")).clicked()
        });
        if let Some(focus) = self.app_focus.take() {
            ui.memory_mut(|m| m.request_focus(focus));
        }
        if save.inner {
            let mut settings = self.app_stored.clone();
            settings.operator = edit.operator.trim().to_owned();
            let currency = edit.default_currency.trim();
            settings.default_currency =
                if currency.is_empty() { None } else { Currency::parse(currency).ok() };
            // Not a number: 0, which the vault's rule refuses with its own words.
            settings.card_idle_wipe_secs = edit.card_idle_wipe_secs.trim().parse().unwrap_or(0);
            let bad_currency = !currency.is_empty() && settings.default_currency.is_none();
            if let Err(e) = check_app_settings(&settings) {
                self.app_refused(&e);
            } else if bad_currency {
                self.app_focus = app_input(service::Field::DefaultCurrency);
                self.app_message = Some(Note::Error(
                    "Default currency must be a three-letter ISO code such as AED".to_owned(),
                ));
            } else {
                self.app_save.start(
                    env.service
                        .run(move |service, _| async move { service.set_app_settings(settings).await }),
                );
            }
        }
        if let Some(message) = &self.app_message {
            note_ui(ui, message);
        }
    }
}

impl Screen for SettingsScreen {
    fn ui(&mut self, ui: &mut Ui, env: &mut Env<'_>) {
        if self.app.is_none() {
            // Once when the screen opens (or after a save): never a vault read per frame.
            self.load_app(env.service.service().app_settings());
        }
        self.poll(env);
        ui.label("Merchant profiles. Secrets are never shown: only whether each one is set.");
        ui.add_space(theme::ROW_GAP);
        self.list_ui(ui, env);
        self.form_ui(ui, env);
        self.app_ui(ui, env);
    }

    fn escape(&mut self) -> bool {
        if std::mem::take(&mut self.confirm_remove) {
            return true;
        }
        if self.form.secrets.holds_text() || self.form.secrets.is_replacing() {
            self.form.secrets.clear();
            return true;
        }
        if self.adding {
            self.cancel_adding();
            return true;
        }
        false
    }

    fn opened(&mut self, _ctx: &egui::Context) {
        self.reload = true;
        self.refill |= self.form.edit.is_none();
        self.app = None;
        self.focus_add = true;
    }
}
