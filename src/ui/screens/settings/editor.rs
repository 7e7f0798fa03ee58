//! The profile editor under the list: the selected profile's form (or a new one's), save, test
//! the connection, remove. Every keychain and config-file access goes through the service.

use super::SettingsScreen;
use super::profile_form::{Field, FormError, FormLook, ProfileEdit, ProfileForm, readable};
use crate::service::{ProfileSummary, ProfileTest, SecretKind, ServiceError};
use crate::ui::call::Call;
use crate::ui::env::Env;
use crate::ui::format::idle_phrase;
use crate::ui::theme;
use crate::ui::widgets::banner::environment_badge;
use crate::ui::widgets::field::{Note, note_ui};
use egui::{Key, RichText, Ui};

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
pub(super) struct Editor {
    /// The form is for a new profile rather than the selected one.
    pub adding: bool,
    /// A new profile's fields, kept when the agent backs out with Esc.
    add_draft: Option<ProfileEdit>,
    pub form: ProfileForm,
    /// Fill the form from the stored profile when the list arrives. Not after a failed save:
    /// what the agent typed stays.
    pub refill: bool,
    save: Call<Result<(), ServiceError>>,
    saving: Option<Saving>,
    /// A new profile whose save failed after it was written (a secret was refused): once the
    /// list shows it, the form carries on as its edit form.
    pub half_added: Option<String>,
    remove: Call<Result<(), ServiceError>>,
    test: Call<Result<ProfileTest, ServiceError>>,
    pub message: Option<Note>,
    pub confirm_remove: bool,
}

impl Editor {
    fn busy(&self) -> bool {
        self.save.busy() || self.remove.busy() || self.test.busy()
    }
}

impl SettingsScreen {
    pub(super) fn selected_summary(&self) -> Option<&ProfileSummary> {
        let name = self.selected.as_deref()?;
        self.profiles.iter().find(|p| p.profile.name == name)
    }

    /// Loads the selected profile into the form, dropping what was typed.
    pub(super) fn fill(&mut self) {
        self.editor.form.edit = self.selected_summary().map(|s| ProfileEdit::of(&s.profile));
        self.editor.form.error = None;
    }

    /// The agent picked a profile in the list.
    pub(super) fn choose(&mut self, ctx: &egui::Context, name: &str) {
        let editor = &mut self.editor;
        if std::mem::take(&mut editor.adding) {
            editor.add_draft = editor.form.edit.take();
        }
        editor.confirm_remove = false;
        editor.message = None;
        editor.form.secrets.wipe(ctx);
        self.selected = Some(name.to_owned());
        self.fill();
    }

    pub(super) fn start_adding(&mut self, ctx: &egui::Context) {
        let currency = self.app.stored.default_currency;
        let editor = &mut self.editor;
        editor.adding = true;
        editor.confirm_remove = false;
        editor.message = None;
        editor.form.secrets.wipe(ctx);
        editor.form.error = None;
        editor.form.edit =
            Some(editor.add_draft.take().unwrap_or_else(|| ProfileEdit::new_profile(currency)));
        editor.form.focus = Some(Field::Name);
    }

    /// Leaves the new profile, keeping its typed fields (not its secrets) for next time.
    pub(super) fn cancel_adding(&mut self) {
        self.editor.adding = false;
        self.editor.add_draft = self.editor.form.edit.take();
        self.editor.form.secrets.clear();
        self.fill();
    }

    /// Takes the answers of save, remove and test. True when the list must be read again.
    pub(super) fn poll_editor(&mut self) -> bool {
        let mut reload = false;
        if let Some(answer) = self.editor.save.poll() {
            let saving = self.editor.saving.take();
            match answer {
                Ok(()) => {
                    if let Some(saving) = saving {
                        self.editor.message = Some(Note::Hint(saved_message(&saving)));
                        self.selected = Some(saving.name);
                    }
                    if std::mem::take(&mut self.editor.adding) {
                        self.editor.add_draft = None;
                    }
                    self.editor.refill = true;
                }
                Err(e) => self.refused(FormError::of(&e), saving),
            }
            // Secrets may be set even when the save failed part-way: show what the keychain has.
            reload = true;
        }
        if let Some(answer) = self.editor.remove.poll() {
            self.editor.message = Some(match answer {
                Ok(()) => Note::Hint("Profile removed.".to_owned()),
                Err(e) => Note::Error(readable(&e.to_string())),
            });
            reload = true;
        }
        if let Some(answer) = self.editor.test.poll() {
            self.editor.message = Some(match answer {
                Ok(ProfileTest { ok: true, message }) => Note::Hint(readable(&message)),
                Ok(ProfileTest { ok: false, message }) => Note::Error(readable(&message)),
                Err(e) => Note::Error(readable(&e.to_string())),
            });
        }
        reload
    }

    /// A save was refused: the message under its field, the cursor in it, everything kept.
    fn refused(&mut self, error: FormError, saving: Option<Saving>) {
        self.editor.form.focus = error.field;
        self.editor.form.error = Some(error);
        if self.editor.adding {
            self.editor.half_added = saving.map(|s| s.name);
        }
    }

    /// The form of the selected profile (or the new one), its buttons and its messages.
    pub(super) fn form_ui(&mut self, ui: &mut Ui, env: &Env<'_>) {
        let summary = if self.editor.adding {
            None
        } else {
            match self.selected_summary().cloned() {
                Some(summary) => Some(summary),
                None => return,
            }
        };
        header_ui(ui, summary.as_ref());
        let wipe_secs = env.settings.card_idle_wipe_secs;
        if self.editor.form.secrets.wipe_when_idle(ui, wipe_secs) {
            let text =
                format!("The secrets typed were cleared after {} without activity.", idle_phrase(wipe_secs));
            self.editor.message = Some(Note::Hint(text));
        }
        let look = FormLook {
            adding: self.editor.adding,
            editable: !summary.as_ref().is_some_and(|s| s.built_in),
            status: summary.as_ref().map(|s| s.secrets).unwrap_or_default(),
            keychain: env.service.service().keychain_description(),
        };
        let inputs = self.editor.form.ui(ui, &look);
        let enter =
            inputs.iter().any(|r| r.has_focus() || r.lost_focus()) && ui.input(|i| i.key_pressed(Key::Enter));
        ui.add_space(theme::ROW_GAP);
        let save = self.buttons_ui(ui, env, summary.as_ref(), look.editable);
        if (save || enter) && look.editable && !self.editor.busy() {
            self.start_save(ui.ctx(), env, summary.as_ref());
        }
        if let Some(error) = &self.editor.form.error {
            let text = match error.field {
                Some(_) => "Not saved: correct the field marked above.".to_owned(),
                None => format!("Not saved. {}", error.message),
            };
            note_ui(ui, &Note::Error(text));
        }
        if let (true, Some(summary)) = (self.editor.confirm_remove, &summary) {
            self.confirm_remove_ui(ui, env, &summary.profile.name);
        }
        if let Some(message) = &self.editor.message {
            note_ui(ui, message);
        }
    }

    /// Save, test, remove (or cancel a new profile). True when Save was pressed.
    fn buttons_ui(
        &mut self,
        ui: &mut Ui,
        env: &Env<'_>,
        summary: Option<&ProfileSummary>,
        editable: bool,
    ) -> bool {
        let busy = self.editor.busy();
        ui.horizontal(|ui| {
            ui.add_space(theme::LABEL_WIDTH + ui.spacing().item_spacing.x);
            let label = if self.editor.adding { "Add profile (Enter)" } else { "Save profile (Enter)" };
            let save =
                ui.add_enabled(editable && !busy, egui::Button::new(RichText::new(label).strong())).clicked();
            if let Some(summary) = summary {
                if ui.add_enabled(!busy, egui::Button::new("Test connection")).clicked() {
                    let name = summary.profile.name.clone();
                    self.editor.message = Some(Note::Hint("Asking APS...".to_owned()));
                    self.editor.test.start(
                        env.service.run(move |service, _| async move { service.test_profile(&name).await }),
                    );
                }
                let in_use = summary.profile.name == env.profile.name;
                let remove = egui::Button::new("Remove profile...");
                if ui.add_enabled(editable && !busy && !in_use, remove).clicked() {
                    self.editor.confirm_remove = true;
                }
            } else if ui.button("Cancel (Esc)").clicked() {
                self.cancel_adding();
            }
            if busy {
                ui.spinner();
            }
            save
        })
        .inner
    }

    fn confirm_remove_ui(&mut self, ui: &mut Ui, env: &Env<'_>, name: &str) {
        ui.horizontal(|ui| {
            ui.add_space(theme::LABEL_WIDTH + ui.spacing().item_spacing.x);
            let question = format!("Remove {name} and its secrets? Its history stays.");
            ui.label(RichText::new(question).color(theme::ATTENTION));
            if ui.button(format!("Remove {name}")).clicked() {
                self.editor.confirm_remove = false;
                let name = name.to_owned();
                self.editor.remove.start(
                    env.service.run(move |service, _| async move { service.remove_profile(&name).await }),
                );
                self.selected = None;
                self.editor.form.secrets.clear();
            }
            if ui.button("Keep it").clicked() {
                self.editor.confirm_remove = false;
            }
        });
    }

    /// Checks the form, then hands the profile and the typed secrets to the service; the
    /// secret buffers are wiped in the same step. A wrong field keeps everything typed.
    fn start_save(&mut self, ctx: &egui::Context, env: &Env<'_>, summary: Option<&ProfileSummary>) {
        let Some(edit) = &self.editor.form.edit else { return };
        let taken = self
            .profiles
            .iter()
            .find(|p| self.editor.adding && p.profile.name.to_lowercase() == edit.name.trim().to_lowercase());
        let checked = match taken {
            Some(taken) => Err(FormError {
                field: Some(Field::Name),
                message: readable(&format!(
                    "profile name: a profile named \"{}\" already exists; choose another name",
                    taken.profile.name
                )),
            }),
            None => edit.to_profile(summary.map(|s| &s.profile)),
        };
        let profile = match checked {
            Ok(profile) => profile,
            Err(error) => {
                self.editor.form.focus = error.field;
                self.editor.form.error = Some(error);
                return;
            }
        };
        let secrets = self.editor.form.secrets.take(ctx);
        let kinds = secrets.iter().map(|(k, _)| *k).collect();
        self.editor.saving = Some(Saving { name: profile.name.clone(), secrets: kinds });
        self.editor.form.error = None;
        self.editor.message = None;
        self.editor.save.start(
            env.service.run(move |service, _| async move { service.save_profile(profile, secrets).await }),
        );
    }
}

/// The form's title: the profile's environment badge, or "New profile".
fn header_ui(ui: &mut Ui, summary: Option<&ProfileSummary>) {
    ui.add_space(theme::SECTION_GAP);
    ui.separator();
    match summary {
        None => {
            ui.label(RichText::new("New profile").strong().size(theme::HEADING_SIZE - 3.0));
        }
        Some(s) => environment_badge(ui, s.profile.environment, &s.profile.name),
    }
    if let Some(s) = summary.filter(|s| s.built_in) {
        let text =
            format!("{} is built in: it talks to the simulator and cannot be changed.", s.profile.name);
        note_ui(ui, &Note::Hint(text));
    }
    ui.add_space(theme::ROW_GAP);
}
