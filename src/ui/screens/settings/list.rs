//! The profile list: every merchant profile with its environment, SHA type and which secrets
//! are set; "Use" switches the terminal to one, "Add a profile..." opens an empty form.

use super::profile_form::{id, readable};
use super::{SettingsScreen, active_profile};
use crate::service::ProfileSummary;
use crate::ui::env::{AppCommand, Env};
use crate::ui::theme::{self, Look};
use crate::ui::widgets::field::Note;
use crate::ui::widgets::table::striped_table;
use egui::{Key, RichText, Ui};

/// What the agent did in the list this frame.
#[derive(Default)]
struct Picked {
    /// A profile to show in the form.
    chosen: Option<String>,
    /// A profile to work in.
    switch: Option<ProfileSummary>,
}

/// "access code set, request phrase NOT SET, ..." in attention colour when one is missing.
fn secrets_text(summary: &ProfileSummary) -> RichText {
    let s = &summary.secrets;
    let set = |b: bool| if b { "set" } else { "NOT SET" };
    let text = format!(
        "access code {}, request phrase {}, response phrase {}",
        set(s.access_code),
        set(s.request_phrase),
        set(s.response_phrase)
    );
    if s.is_complete() { RichText::new(text) } else { RichText::new(text).color(theme::ATTENTION) }
}

impl SettingsScreen {
    /// Takes the list's answer: keeps the selection sensible and the banner current.
    pub(super) fn poll_list(&mut self, env: &mut Env<'_>) {
        let Some(answer) = self.list.poll() else { return };
        let profiles = match answer {
            Ok(profiles) => profiles,
            Err(e) => {
                self.editor.message = Some(Note::Error(readable(&e.to_string())));
                return;
            }
        };
        self.profiles = profiles;
        if let Some(name) = self.editor.half_added.take()
            && self.editor.adding
            && self.profiles.iter().any(|p| p.profile.name == name)
        {
            self.editor.adding = false;
            self.selected = Some(name);
        }
        if self.selected_summary().is_none() {
            self.selected = Some(env.profile.name.clone());
            self.editor.refill = true;
        }
        if std::mem::take(&mut self.editor.refill) && !self.editor.adding {
            self.fill();
        }
        // The profile in use may have been edited: refresh the banner and forms.
        if let Some(summary) = self.profiles.iter().find(|p| p.profile.name == env.profile.name) {
            let forced = env.service.service().settings().operator.as_deref();
            let fresh = active_profile(summary, &self.app.stored.operator, forced);
            if &fresh != env.profile {
                env.commands.push(AppCommand::ProfileChanged(Box::new(fresh)));
            }
        }
    }

    pub(super) fn list_ui(&mut self, ui: &mut Ui, env: &mut Env<'_>) {
        let mut picked = Picked::default();
        // A long name or a narrow window scrolls the table sideways instead of widening the
        // whole screen (which would stop the form's text from wrapping).
        egui::ScrollArea::horizontal().id_salt(id("profiles_scroll")).show(ui, |ui| {
            let headers = ["Profile", "Environment", "Merchant", "SHA type", "Secrets", "", ""];
            striped_table(ui, id("profiles"), &headers, |ui| {
                for summary in &self.profiles {
                    self.row_ui(ui, env, summary, &mut picked);
                }
            });
        });
        ui.add_space(theme::ROW_GAP);
        let add = ui.add_enabled(!self.editor.adding, egui::Button::new("Add a profile..."));
        if std::mem::take(&mut self.focus_add) && !self.editor.adding {
            add.request_focus();
        }
        if add.clicked() {
            // Pressed with Enter: the key opened the form and must not also reach its first field.
            ui.input_mut(|i| i.consume_key(egui::Modifiers::NONE, Key::Enter));
            self.start_adding(ui.ctx());
        }
        if let Some(name) = picked.chosen {
            self.choose(ui.ctx(), &name);
        }
        if let Some(summary) = picked.switch {
            let forced = env.service.service().settings().operator.as_deref();
            let active = active_profile(&summary, &self.app.stored.operator, forced);
            env.commands.push(AppCommand::ProfileChanged(Box::new(active)));
        }
    }

    fn row_ui(&self, ui: &mut Ui, env: &Env<'_>, summary: &ProfileSummary, picked: &mut Picked) {
        let p = &summary.profile;
        let selected = !self.editor.adding && self.selected.as_deref() == Some(p.name.as_str());
        if ui.selectable_label(selected, &p.name).clicked() {
            picked.chosen = Some(p.name.clone());
        }
        let (bg, fg) = p.environment.colors();
        ui.label(RichText::new(p.environment.word()).background_color(bg).color(fg).strong());
        ui.label(&p.merchant_identifier);
        ui.label(p.algorithm.label());
        ui.label(secrets_text(summary));
        if p.name == env.profile.name {
            ui.label(RichText::new("in use").color(theme::APPROVED));
        } else {
            let use_it = ui.button("Use");
            // Said in full to screen readers and tests: every row has a "Use".
            let spoken = format!("Use {}", p.name);
            use_it.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, &spoken));
            if use_it.clicked() {
                picked.switch = Some(summary.clone());
            }
        }
        ui.label(if summary.built_in { "built in" } else { "" });
        ui.end_row();
    }
}
