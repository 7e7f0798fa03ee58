//! "This terminal": the app settings (operator name, default currency, how long typed card
//! details survive without activity, how long until the terminal locks when operators are
//! defined). The vault checks them; a saved change reaches the running
//! app at once through `AppCommand::SettingsChanged`.

use super::profile_form::{id, readable};
use crate::aps::money::Currency;
use crate::service::{self, AppSettings, ServiceError, check_app_settings};
use crate::ui::call::Call;
use crate::ui::env::{AppCommand, Env, UiSettings};
use crate::ui::theme;
use crate::ui::widgets::field::{Note, TextField, note_ui};
use egui::{Id, RichText, Ui};

/// The app settings as typed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AppEdit {
    pub operator: String,
    pub default_currency: String,
    pub card_idle_wipe_secs: String,
    pub idle_lock_mins: String,
}

#[derive(Default)]
pub(super) struct AppPart {
    /// `None` until read: when the screen opens and after a save.
    edit: Option<AppEdit>,
    /// The app settings as stored, read when the screen opens and after a save, never per
    /// frame (reading takes the vault's lock, which a save holds across a disk sync).
    pub stored: AppSettings,
    save: Call<Result<(), ServiceError>>,
    message: Option<Note>,
    /// Put the cursor in this input on the next frame.
    focus: Option<Id>,
}

/// The app-settings input a field error is about.
fn input_of(field: service::Field) -> Option<Id> {
    Some(match field {
        service::Field::Operator => id("app_operator"),
        service::Field::DefaultCurrency => id("app_currency"),
        service::Field::CardWipe => id("app_wipe"),
        service::Field::IdleLock => id("app_idle_lock"),
        _ => return None,
    })
}

impl AppPart {
    /// Read the stored settings again when the screen next draws.
    pub fn forget(&mut self) {
        self.edit = None;
    }

    /// Reads the stored settings once, if they are not loaded.
    pub fn load_once(&mut self, env: &Env<'_>) {
        if self.edit.is_none() {
            self.load(env.service.service().app_settings());
        }
    }

    /// Takes the stored app settings as the base of the form.
    fn load(&mut self, stored: AppSettings) {
        self.edit = Some(AppEdit {
            operator: stored.operator.clone(),
            default_currency: stored.default_currency.map(|c| c.code().to_owned()).unwrap_or_default(),
            card_idle_wipe_secs: stored.card_idle_wipe_secs.to_string(),
            idle_lock_mins: stored.idle_lock_mins.to_string(),
        });
        self.stored = stored;
    }

    /// Says why the settings were not saved, with the cursor in the input to fix.
    fn refused(&mut self, error: &ServiceError) {
        if let ServiceError::Invalid { field, .. } = error {
            self.focus = input_of(*field);
        }
        self.message = Some(Note::Error(readable(&error.to_string())));
    }

    /// Takes a save's answer. True when it was saved (the profiles should be read again: the
    /// operator may be the one of the profile in use).
    pub fn poll(&mut self, env: &mut Env<'_>) -> bool {
        match self.save.poll() {
            Some(Ok(())) => {
                let stored = env.service.service().app_settings();
                env.commands.push(AppCommand::SettingsChanged(UiSettings::of(&stored)));
                self.load(stored);
                self.message = Some(Note::Hint("Settings saved.".to_owned()));
                true
            }
            Some(Err(e)) => {
                self.refused(&e);
                false
            }
            None => false,
        }
    }

    /// The settings as typed, checked by the vault's rules; the error goes under its input.
    fn checked(&mut self, edit: &AppEdit) -> Option<AppSettings> {
        let mut settings = self.stored.clone();
        settings.operator = edit.operator.trim().to_owned();
        let currency = edit.default_currency.trim();
        settings.default_currency = if currency.is_empty() { None } else { Currency::parse(currency).ok() };
        // Not a number: 0, which the vault's rule refuses with its own words.
        settings.card_idle_wipe_secs = edit.card_idle_wipe_secs.trim().parse().unwrap_or(0);
        settings.idle_lock_mins = edit.idle_lock_mins.trim().parse().unwrap_or(0);
        if let Err(e) = check_app_settings(&settings) {
            self.refused(&e);
            return None;
        }
        if !currency.is_empty() && settings.default_currency.is_none() {
            self.focus = input_of(service::Field::DefaultCurrency);
            self.message =
                Some(Note::Error("Default currency must be a three-letter ISO code such as AED".to_owned()));
            return None;
        }
        Some(settings)
    }

    pub fn ui(&mut self, ui: &mut Ui, env: &Env<'_>) {
        ui.add_space(theme::SECTION_GAP);
        ui.separator();
        ui.label(RichText::new("This terminal").strong().size(theme::HEADING_SIZE - 3.0));
        let Some(mut edit) = self.edit.take() else { return };
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
        TextField::new("Idle lock (minutes)", id("app_idle_lock"))
            .width(theme::SHORT_FIELD_WIDTH)
            .char_limit(2)
            .show(ui, &mut edit.idle_lock_mins, None, |ui| {
                ui.label(RichText::new("when operators sign in").color(theme::HINT_TEXT));
            });
        let save = ui.horizontal(|ui| {
            ui.add_space(theme::LABEL_WIDTH + ui.spacing().item_spacing.x);
            ui.add_enabled(!self.save.busy(), egui::Button::new("Save settings")).clicked()
        });
        if let Some(focus) = self.focus.take() {
            ui.memory_mut(|m| m.request_focus(focus));
        }
        if save.inner
            && let Some(settings) = self.checked(&edit)
        {
            self.save.start(
                env.service.run(move |service, _| async move { service.set_app_settings(settings).await }),
            );
        }
        self.edit = Some(edit);
        if let Some(message) = &self.message {
            note_ui(ui, message);
        }
    }
}
