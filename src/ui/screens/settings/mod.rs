//! Settings: the merchant profiles (add, edit, remove, switch to, test the connection), their
//! secrets, the app settings (operator name, default currency, how long typed card details
//! survive without activity), and the team journal (`team.rs`).
//!
//! Secrets are entered once and saved to the keychain; afterwards the screen shows only "set"
//! or "not set" (see `profile_form.rs`). Every keychain and config-file access goes
//! through the service, which runs it off the UI thread.
//!
//! Keyboard: opening the screen puts the cursor on "Add a profile"; in the form Tab moves,
//! Enter in any field saves, a wrong field gets the cursor and its message; Esc first drops
//! typed secrets, then leaves a new profile, then goes back.

mod app_settings;
mod editor;
mod list;
pub mod profile_form;
mod secrets;
mod team;

use super::{Call, Screen};
use crate::service::{ProfileSummary, ServiceError};
use crate::ui::env::{ActiveProfile, Env};
use crate::ui::theme;
use app_settings::AppPart;
use editor::Editor;
use egui::Ui;
use team::TeamPart;

/// The terminal's view of a stored profile. `forced`: the operator this run was started as
/// (`--operator`), which every order records whatever the profile or Settings say.
pub fn active_profile(summary: &ProfileSummary, app_operator: &str, forced: Option<&str>) -> ActiveProfile {
    let p = &summary.profile;
    ActiveProfile {
        name: p.name.clone(),
        environment: p.environment,
        merchant_identifier: p.merchant_identifier.clone(),
        trusted_channel: p.trusted_channel,
        default_currency: p.default_currency,
        operator: match forced {
            Some(operator) => operator.to_owned(),
            None if p.operator.trim().is_empty() => app_operator.to_owned(),
            None => p.operator.clone(),
        },
        custom_endpoint: p.custom_endpoint_host(),
    }
}

#[derive(Default)]
pub struct SettingsScreen {
    profiles: Vec<ProfileSummary>,
    list: Call<Result<Vec<ProfileSummary>, ServiceError>>,
    selected: Option<String>,
    /// Read the list again on the next frame.
    reload: bool,
    /// Put the cursor on "Add a profile" (the screen was just opened).
    focus_add: bool,
    editor: Editor,
    app: AppPart,
    team: TeamPart,
}

impl SettingsScreen {
    fn poll(&mut self, env: &mut Env<'_>) {
        self.poll_list(env);
        self.reload |= self.poll_editor();
        self.reload |= self.app.poll(env);
        if std::mem::take(&mut self.reload) {
            self.list.start(env.service.run(|service, _| async move { service.profiles().await }));
        }
    }
}

impl Screen for SettingsScreen {
    fn ui(&mut self, ui: &mut Ui, env: &mut Env<'_>) {
        // Once when the screen opens (or after a save): never a vault read per frame.
        self.app.load_once(env);
        self.poll(env);
        ui.label("Merchant profiles. Secrets are never shown: only whether each one is set.");
        ui.add_space(theme::ROW_GAP);
        self.list_ui(ui, env);
        self.form_ui(ui, env);
        self.app.ui(ui, env);
        self.team.ui(ui, env);
    }

    fn escape(&mut self) -> bool {
        if self.team.escape() {
            return true;
        }
        if std::mem::take(&mut self.editor.confirm_remove) {
            return true;
        }
        let secrets = &mut self.editor.form.secrets;
        if secrets.holds_text() || secrets.is_replacing() {
            secrets.clear();
            return true;
        }
        if self.editor.adding {
            self.cancel_adding();
            return true;
        }
        false
    }

    fn wipe_secrets(&mut self, ctx: &egui::Context) {
        self.editor.form.secrets.wipe(ctx);
        // A team journal URL being typed may hold its password: read the saved one again.
        self.team.forget();
    }

    fn opened(&mut self, _ctx: &egui::Context) {
        self.reload = true;
        self.editor.refill |= self.editor.form.edit.is_none();
        self.app.forget();
        self.team.forget();
        self.focus_add = true;
    }
}
