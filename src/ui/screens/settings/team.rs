//! "Team journal": the PostgreSQL journal a call centre's terminals share. The URL is shown
//! without its password (a password typed in it goes to the keychain when saved, never to the
//! settings file); "Test connection" reports the server's version, whether TLS is on and the
//! schema version, or what went wrong in words. Saved, it is used from the next start.
//!
//! The first time one is saved, the terminal offers to copy this desk's journal into it
//! (`journal migrate`): Enter copies and shows the counts, Esc leaves it for later.
//!
//! Keyboard: Enter in the URL saves; Tab reaches "Test connection" and "Save team journal".

use super::profile_form::{id, readable};
use crate::service::{Copied, ServiceError, TeamSaved, TeamStatus, team_status_text};
use crate::ui::call::Call;
use crate::ui::env::Env;
use crate::ui::theme;
use crate::ui::widgets::field::{Note, TextField, note_ui};
use crate::ui::widgets::modal::{answer_buttons, framed_modal};
use egui::{Id, Key, Modifiers, RichText, Ui};

/// The accessible name of the section's "Test connection" button.
const TEST_LABEL: &str = "Team journal: Test connection";

#[derive(Default)]
pub(super) struct TeamPart {
    /// The URL as typed; `None` until read from the settings (when the screen opens).
    url: Option<String>,
    test: Call<Result<TeamStatus, ServiceError>>,
    save: Call<Result<TeamSaved, ServiceError>>,
    copy: Call<Result<Copied, ServiceError>>,
    message: Option<Note>,
    /// The copy of this desk's journal is being offered.
    offer: bool,
    /// Put the cursor in the URL (after an error about it).
    focus: bool,
}

/// "Copied into the team journal: 3 orders (1 already there), 5 operations, ...".
fn copied_text(c: &Copied) -> String {
    format!(
        "Copied into the team journal: {} orders ({} already there), {} operations, {} tokens ({} customers), \
         {} agreements, {} payment links, {} batches ({} rows).",
        c.orders,
        c.orders_already_there,
        c.operations,
        c.tokens,
        c.token_customers,
        c.agreements,
        c.payment_links,
        c.batches,
        c.batch_rows
    )
}

fn saved_text(saved: &TeamSaved) -> String {
    match &saved.url {
        None => "Team journal switched off: from the next start this desk uses its own journal.".to_owned(),
        Some(_) if saved.password_to_keychain => {
            "Saved: the password is in the keychain, the URL without it in the settings. The terminal \
             uses the team journal from its next start."
                .to_owned()
        }
        Some(_) => "Saved: the terminal uses the team journal from its next start.".to_owned(),
    }
}

impl TeamPart {
    /// Read the saved URL again when the screen next draws.
    pub fn forget(&mut self) {
        self.url = None;
    }

    /// Esc closes the copy offer; true when it did.
    pub fn escape(&mut self) -> bool {
        std::mem::take(&mut self.offer)
    }

    fn refused(&mut self, error: &ServiceError) {
        self.focus = matches!(error, ServiceError::Invalid { .. });
        self.message = Some(Note::Error(readable(&error.to_string())));
    }

    fn poll(&mut self) {
        match self.test.poll() {
            Some(Ok(status)) => self.message = Some(Note::Hint(team_status_text(&status))),
            Some(Err(e)) => self.refused(&e),
            None => {}
        }
        match self.save.poll() {
            Some(Ok(saved)) => {
                self.message = Some(Note::Hint(saved_text(&saved)));
                self.offer = saved.first;
                self.url = Some(saved.url.unwrap_or_default());
            }
            Some(Err(e)) => self.refused(&e),
            None => {}
        }
        match self.copy.poll() {
            Some(Ok(copied)) => self.message = Some(Note::Hint(copied_text(&copied))),
            Some(Err(e)) => self.refused(&e),
            None => {}
        }
    }

    fn busy(&self) -> bool {
        self.test.busy() || self.save.busy() || self.copy.busy()
    }

    pub fn ui(&mut self, ui: &mut Ui, env: &Env<'_>) {
        self.poll();
        ui.add_space(theme::SECTION_GAP);
        ui.separator();
        ui.label(RichText::new("Team journal").strong().size(theme::HEADING_SIZE - 3.0));
        if let Some(offline) = env.service.service().team_offline() {
            note_ui(ui, &Note::Error(offline.to_owned()));
        }
        let url =
            self.url.get_or_insert_with(|| env.service.service().team_journal_setting().unwrap_or_default());
        let field = TextField::new("Team journal URL", id("team_url"))
            .hint("postgres://USER@HOST/DATABASE (empty: this desk's own journal)")
            .show(ui, url, None, |_| {});
        let entered = field.lost_focus() && ui.input(|i| i.key_pressed(Key::Enter));
        let url = url.clone();
        let (test, save) = ui
            .horizontal(|ui| {
                ui.add_space(theme::LABEL_WIDTH + ui.spacing().item_spacing.x);
                let idle = !self.busy();
                let test = ui.add_enabled(idle, egui::Button::new("Test connection"));
                // The profile form has a "Test connection" of its own: say which one this is.
                test.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, idle, TEST_LABEL));
                let test = test.clicked();
                let save = ui.add_enabled(idle, egui::Button::new("Save team journal")).clicked();
                if !idle {
                    ui.spinner();
                }
                (test, save)
            })
            .inner;
        if std::mem::take(&mut self.focus) {
            ui.memory_mut(|m| m.request_focus(id("team_url")));
        }
        if test && !url.trim().is_empty() {
            self.message = None;
            self.test.start(env.service.run(move |s, _| async move { s.test_team_journal(url).await }));
        } else if test {
            self.message = Some(Note::Error("Team journal URL: type postgres://USER@HOST/DATABASE".into()));
        } else if (save || entered) && !self.busy() {
            self.message = None;
            self.save.start(env.service.run(move |s, _| async move { s.save_team_journal(url).await }));
        }
        if let Some(message) = &self.message {
            note_ui(ui, message);
        }
        self.offer_ui(ui, env);
    }

    /// The offer to copy this desk's journal into the team journal just saved.
    fn offer_ui(&mut self, ui: &mut Ui, env: &Env<'_>) {
        if !self.offer {
            return;
        }
        let enter = ui.input_mut(|i| i.consume_key(Modifiers::NONE, Key::Enter));
        let chosen = framed_modal(ui, Id::unique("team-journal-copy-offer"), theme::ATTENTION, 560.0, |ui| {
            ui.heading("Copy this desk's journal into the team journal?");
            ui.add_space(theme::ROW_GAP);
            ui.label(
                "Orders, operations, saved cards, agreements, payment links and batches are copied once; \
                 orders already there are left alone. Nothing is sent to APS.",
            );
            ui.add_space(theme::SECTION_GAP);
            answer_buttons(ui, "Copy journal (Enter)", "Not now (Esc)")
        });
        match chosen.or(enter.then_some(true)) {
            Some(true) => {
                self.offer = false;
                self.message = Some(Note::Hint("Copying this desk's journal...".to_owned()));
                self.copy.start(env.service.run(|s, _| async move { s.copy_journal_to_team().await }));
            }
            Some(false) => self.offer = false,
            None => {}
        }
    }
}
