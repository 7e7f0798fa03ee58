//! The audit trail (supervisors and admins): every sign-in, refusal, approval and operation the
//! terminal recorded, newest first, filtered by operator; and Verify, which checks the whole
//! HMAC chain and says "N entries, chain intact" or where and why it is broken.
//!
//! The service decides who may read it: an agent sees its refusal, in its words.
//!
//! On a desk journal whose audit key this computer's keychain has lost, nothing that is audited
//! can be done. The screen then offers to start a new key (`Service::renew_audit_key`), after a
//! confirmation that says what it means: the entries so far stay, but can no longer be verified.

use super::{Call, Screen};
use crate::aps::money::Currency;
use crate::service::{AuditEntry, ServiceError, Verified};
use crate::ui::env::Env;
use crate::ui::format::{capitalise, local_second, money_text};
use crate::ui::theme;
use crate::ui::widgets::field::{Note, TextField};
use crate::ui::widgets::modal::{answer_buttons, framed_modal};
use crate::ui::widgets::table::striped_table;
use egui::{Id, Key, Modifiers, RichText, Ui};

/// Most entries drawn at once; a filter finds the others.
const SHOWN_ROWS: usize = 500;

fn id(name: &str) -> Id {
    Id::unique(("audit", name))
}

/// What Verify found, as the screen says it.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Verdict {
    Intact(String),
    Broken(String),
}

#[derive(Default)]
pub struct AuditScreen {
    /// The operator filter as typed; empty: everyone.
    operator: String,
    entries: Vec<AuditEntry>,
    load: Call<Result<Vec<AuditEntry>, ServiceError>>,
    /// Why the trail could not be read (a refusal, the journal).
    error: Option<String>,
    verify: Call<Result<Verified, ServiceError>>,
    verdict: Option<Verdict>,
    /// Ask whether the key is lost on the next frame (the screen opened, or the trail was
    /// refused).
    ask_if_lost: bool,
    /// Read the trail again on the next frame.
    reload: bool,
    focus_filter: bool,
    /// Whether the audit key is missing from this keychain, asked when the trail is refused.
    lost: Call<bool>,
    key_lost: bool,
    /// The confirmation of a new key is open.
    confirming: bool,
    renew: Call<Result<usize, ServiceError>>,
    /// What the renewal did, or why it failed.
    renewed: Option<Note>,
}

impl AuditScreen {
    fn start_load(&mut self, env: &Env<'_>) {
        let operator = Some(self.operator.trim().to_ascii_lowercase()).filter(|o| !o.is_empty());
        self.load.start(env.service.run(move |s, _| async move { s.audit_entries(None, operator).await }));
    }

    fn poll(&mut self) {
        if let Some(answer) = self.load.poll() {
            match answer {
                Ok(mut entries) => {
                    entries.reverse();
                    self.entries = entries;
                    self.error = None;
                }
                Err(e) => {
                    self.entries.clear();
                    self.error = Some(capitalise(&e.to_string()));
                    self.ask_if_lost = true;
                }
            }
        }
        if let Some(lost) = self.lost.poll() {
            self.key_lost = lost;
        }
        if let Some(answer) = self.renew.poll() {
            self.renewed = Some(match answer {
                Ok(lost) => Note::Hint(crate::service::renewed_words(lost)),
                Err(e) => Note::Error(capitalise(&e.to_string())),
            });
            self.key_lost = false;
            self.reload = true;
        }
        if let Some(answer) = self.verify.poll() {
            self.verdict = Some(match answer {
                Ok(Verified::Intact { entries, unverified }) => {
                    Verdict::Intact(crate::service::intact_words(entries, unverified))
                }
                Ok(Verified::Broken(broken)) => {
                    Verdict::Broken(format!("Chain broken at entry {}: {}", broken.seq, broken.why))
                }
                Err(e) => Verdict::Broken(capitalise(&e.to_string())),
            });
        }
    }

    /// The filter, Show, Refresh and Verify.
    fn controls_ui(&mut self, ui: &mut Ui, env: &Env<'_>) {
        ui.label("Every sign-in, refusal, approval and operation recorded in this terminal's journal, newest first.");
        ui.add_space(theme::ROW_GAP);
        let busy = self.load.busy();
        let filter = TextField::new("Operator", id("operator")).hint("all operators").char_limit(32).show(
            ui,
            &mut self.operator,
            None,
            |ui| {
                if busy {
                    ui.spinner();
                }
            },
        );
        if std::mem::take(&mut self.focus_filter) {
            filter.request_focus();
        }
        let enter = filter.lost_focus() && ui.input(|i| i.key_pressed(Key::Enter));
        let (show, verify) = ui
            .horizontal(|ui| {
                ui.add_space(theme::LABEL_WIDTH + ui.spacing().item_spacing.x);
                let show = ui.add_enabled(!busy, egui::Button::new("Show")).clicked();
                let verify =
                    ui.add_enabled(!self.verify.busy(), egui::Button::new("Verify the chain")).clicked();
                (show, verify)
            })
            .inner;
        if show || enter {
            self.start_load(env);
        }
        if verify {
            self.verdict = None;
            self.verify.start(env.service.run(|s, _| async move { s.audit_verify().await }));
        }
        match &self.verdict {
            Some(Verdict::Intact(text)) => {
                ui.label(RichText::new(text).color(theme::APPROVED).strong());
            }
            Some(Verdict::Broken(text)) => {
                ui.label(RichText::new(text).color(theme::ERROR_TEXT).strong());
            }
            None if self.verify.busy() => {
                ui.label(RichText::new("Verifying the chain...").color(theme::HINT_TEXT));
            }
            None => {}
        }
    }

    fn table_ui(&self, ui: &mut Ui) {
        if let Some(error) = &self.error {
            ui.label(RichText::new(error).color(theme::ERROR_TEXT).strong());
            return;
        }
        if self.entries.is_empty() {
            let text = if self.load.busy() { "Reading the trail..." } else { "No entries." };
            ui.label(RichText::new(text).color(theme::HINT_TEXT));
            return;
        }
        if self.entries.len() > SHOWN_ROWS {
            ui.label(
                RichText::new(format!(
                    "The newest {SHOWN_ROWS} of {} entries; filter by operator to see others.",
                    self.entries.len()
                ))
                .color(theme::HINT_TEXT),
            );
        }
        let headers = ["Time", "Operator", "Terminal", "Action", "Reference", "Amount", "Result", "Detail"];
        striped_table(ui, id("entries"), &headers, |ui| {
            for entry in self.entries.iter().take(SHOWN_ROWS) {
                ui.label(local_second(&entry.at));
                ui.label(&entry.operator);
                ui.label(&entry.terminal);
                ui.label(&entry.action);
                ui.label(entry.reference.as_deref().unwrap_or(""));
                ui.label(amount_text(entry));
                result_ui(ui, &entry.result);
                ui.label(&entry.detail);
                ui.end_row();
            }
        });
    }
}

/// "AED 12.50", or nothing when the entry moved no money.
fn amount_text(entry: &AuditEntry) -> String {
    let (Some(minor), Some(code)) = (entry.amount_minor, entry.currency.as_deref()) else {
        return String::new();
    };
    match (u64::try_from(minor), Currency::parse(code)) {
        (Ok(minor), Ok(currency)) => money_text(minor, currency),
        _ => format!("{minor} {code} (minor units)"),
    }
}

/// The result word, in the colour of what it means.
fn result_ui(ui: &mut Ui, result: &str) {
    let color = match result {
        "refused" | "wrong-pin" | "locked" | "broken" | "failed" | "declined" => theme::ERROR_TEXT,
        _ => ui.visuals().text_color(),
    };
    ui.label(RichText::new(result).color(color));
}

impl AuditScreen {
    /// When the key is lost: what that means, and the button that starts a new one.
    fn renewal_ui(&mut self, ui: &mut Ui, may_renew: bool) {
        match &self.renewed {
            Some(Note::Error(text)) => {
                ui.label(RichText::new(text).color(theme::ERROR_TEXT).strong());
            }
            Some(Note::Hint(text)) => {
                let color = if self.renew.busy() { theme::HINT_TEXT } else { theme::APPROVED };
                ui.label(RichText::new(text).color(color).strong());
            }
            None => {}
        }
        if !self.key_lost {
            return;
        }
        ui.add_space(theme::ROW_GAP);
        ui.label(
            "This computer's keychain does not hold the audit trail's key, so nothing that is audited can be done. \
             If the key was exported, an admin imports it (moto-terminal audit key import); otherwise start a new key.",
        );
        if !may_renew {
            ui.label(RichText::new("An admin must sign in to start a new key.").strong());
            return;
        }
        let busy = self.renew.busy();
        if ui.add_enabled(!busy, egui::Button::new("Start a new audit key...")).clicked() {
            self.confirming = true;
        }
    }

    /// The confirmation: Enter starts the new key, Esc keeps things as they are.
    fn confirm_ui(&mut self, ui: &mut Ui, env: &Env<'_>) {
        if !self.confirming {
            return;
        }
        let (enter, esc) = ui.input_mut(|i| {
            (i.consume_key(Modifiers::NONE, Key::Enter), i.consume_key(Modifiers::NONE, Key::Escape))
        });
        let chosen = framed_modal(ui, id("renew-confirm"), theme::ATTENTION, 560.0, |ui| {
            ui.heading("Start a new audit key?");
            ui.add_space(theme::ROW_GAP);
            ui.label(
                "The trail's entries so far stay, numbered and listed, but they were sealed with the lost key \
                 and can no longer be verified; Verify will say so. The renewal is itself an entry of the trail, \
                 with your name. Once operators exist, only an admin may do this.",
            );
            ui.add_space(theme::SECTION_GAP);
            answer_buttons(ui, "Start a new key (Enter)", "Cancel (Esc)")
        });
        match chosen.or(enter.then_some(true)).or(esc.then_some(false)) {
            Some(true) => {
                self.confirming = false;
                self.renewed = Some(Note::Hint("Starting a new audit key...".to_owned()));
                self.renew.start(env.service.run(|s, _| async move { s.renew_audit_key().await }));
            }
            Some(false) => self.confirming = false,
            None => {}
        }
    }
}

impl Screen for AuditScreen {
    fn ui(&mut self, ui: &mut Ui, env: &mut Env<'_>) {
        self.poll();
        if std::mem::take(&mut self.reload) {
            self.start_load(env);
        }
        if std::mem::take(&mut self.ask_if_lost) {
            self.lost.start(env.service.run(|s, _| async move { s.audit_key_lost().await }));
        }
        self.controls_ui(ui, env);
        // The confirmation first: the key that opens it this frame never also confirms it.
        self.confirm_ui(ui, env);
        // The service decides; an operator it would refuse is not offered the button.
        let may_renew = env.operator.is_none_or(|o| o.role == crate::service::access::Role::Admin);
        self.renewal_ui(ui, may_renew);
        ui.add_space(theme::SECTION_GAP);
        self.table_ui(ui);
    }

    fn escape(&mut self) -> bool {
        std::mem::take(&mut self.confirming)
    }

    fn opened(&mut self, _ctx: &egui::Context) {
        // Entries are added by everything done meanwhile.
        self.reload = true;
        self.focus_filter = true;
        self.ask_if_lost = true;
    }
}
