//! Recurring: the register of agreements (token, APS agreement id, amount, schedule), which
//! charges are due, and running them. Each due charge has a reference made from the agreement
//! and its due date, so running twice on one day cannot charge twice.

use super::{Call, Screen, outcome_kind_of_stage, outcome_view};
use crate::aps::money::format_minor;
use crate::service::{Agreement, Outcome, ServiceError};
use crate::ui::env::Env;
use crate::ui::screens::history::money_text;
use crate::ui::theme;
use crate::ui::widgets::field::capitalise;
use crate::ui::widgets::outcome::{OutcomeKind, OutcomeView, outcome_ui};
use egui::{Id, Key, Modal, Modifiers, RichText, Ui};

type RunResults = Result<Vec<Result<Outcome, ServiceError>>, ServiceError>;

pub struct RecurringScreen {
    agreements: Vec<Agreement>,
    list: Call<Result<Vec<Agreement>, ServiceError>>,
    error: Option<String>,
    run: Call<RunResults>,
    /// The agent asked to run the due charges and must confirm.
    confirming: bool,
    results: Vec<OutcomeView>,
    reload: bool,
}

impl Default for RecurringScreen {
    fn default() -> Self {
        Self {
            agreements: Vec::new(),
            list: Call::default(),
            error: None,
            run: Call::default(),
            confirming: false,
            results: Vec::new(),
            reload: true,
        }
    }
}

fn id(name: &str) -> Id {
    Id::unique(("recurring", name))
}

fn is_due(agreement: &Agreement, today: chrono::NaiveDate) -> bool {
    agreement.active && agreement.next_due <= today
}

impl RecurringScreen {
    fn due(&self) -> Vec<&Agreement> {
        let today = chrono::Local::now().date_naive();
        self.agreements.iter().filter(|a| is_due(a, today)).collect()
    }

    fn poll(&mut self, env: &Env<'_>) {
        if let Some(answer) = self.list.poll() {
            match answer {
                Ok(list) => {
                    self.agreements = list;
                    self.error = None;
                }
                Err(e) => self.error = Some(capitalise(&e.to_string())),
            }
        }
        if let Some(answer) = self.run.poll() {
            match answer {
                Ok(results) => {
                    self.results = results
                        .iter()
                        .map(|r| match r {
                            Ok(outcome) => outcome_view(outcome),
                            Err(e) => {
                                let mut view = OutcomeView::in_progress(OutcomeKind::NotSent);
                                view.headline = capitalise(&e.to_string());
                                view.next_step =
                                    "Fix the agreement and run the due charges again.".to_owned();
                                view
                            }
                        })
                        .collect();
                    if self.results.is_empty() {
                        self.error = Some("No charge was due.".to_owned());
                    }
                }
                Err(e) => self.error = Some(capitalise(&e.to_string())),
            }
            self.reload = true;
        }
        if std::mem::take(&mut self.reload) {
            let profile = env.profile.name.clone();
            self.list
                .start(env.service.run(move |service, _| async move { service.agreements(&profile).await }));
        }
    }

    fn start_run(&mut self, env: &Env<'_>) {
        self.confirming = false;
        if self.run.busy() {
            return;
        }
        self.results.clear();
        let profile = env.profile.name.clone();
        self.run.start(env.service.run(move |service, progress| async move {
            service.run_due_recurring(&profile, &progress).await
        }));
    }

    fn table_ui(&self, ui: &mut Ui) {
        if self.agreements.is_empty() {
            ui.label(RichText::new("No recurring agreements in this profile.").color(theme::HINT_TEXT));
            return;
        }
        let today = chrono::Local::now().date_naive();
        egui::Grid::new(id("agreements")).striped(true).num_columns(7).spacing([14.0, 4.0]).show(ui, |ui| {
            for head in ["Token", "Agreement ID", "Customer", "Amount", "Every", "Next due", "Last charge"] {
                ui.label(RichText::new(head).strong());
            }
            ui.end_row();
            for a in &self.agreements {
                ui.label(&a.token_name);
                ui.label(a.agreement_id.as_deref().unwrap_or("(none)"));
                ui.label(
                    a.customer_name
                        .clone()
                        .map_or_else(|| a.customer_email.clone(), |n| format!("{n} <{}>", a.customer_email)),
                );
                ui.label(money_text(a.amount_minor, a.currency));
                ui.label(format!("{} days", a.interval_days));
                let due = RichText::new(a.next_due.format("%Y-%m-%d").to_string());
                ui.label(if !a.active {
                    due.color(theme::HINT_TEXT).strikethrough()
                } else if is_due(a, today) {
                    due.color(theme::ATTENTION).strong()
                } else {
                    due
                });
                ui.label(a.last_charge_reference.as_deref().unwrap_or(""));
                ui.end_row();
            }
        });
    }
}

impl Screen for RecurringScreen {
    fn ui(&mut self, ui: &mut Ui, env: &mut Env<'_>) {
        self.poll(env);
        let due = self.due();
        let count = due.len();
        let mut totals: Vec<(crate::aps::money::Currency, u64)> = Vec::new();
        for a in &due {
            match totals.iter_mut().find(|(c, _)| *c == a.currency) {
                Some((_, sum)) => *sum += a.amount_minor,
                None => totals.push((a.currency, a.amount_minor)),
            }
        }
        let total_text = totals
            .iter()
            .map(|(c, m)| format!("{c} {}", format_minor(*m, *c)))
            .collect::<Vec<_>>()
            .join(" + ");

        if let Some(error) = &self.error {
            ui.label(error);
        }
        ui.horizontal(|ui| {
            let label = if count == 0 {
                "No charges due today".to_owned()
            } else {
                format!("Run {count} due charges ({total_text})...")
            };
            if ui
                .add_enabled(count > 0 && !self.run.busy(), egui::Button::new(RichText::new(label).strong()))
                .clicked()
            {
                self.confirming = true;
            }
            if ui.button("Reload").clicked() {
                self.reload = true;
            }
        });
        if self.run.busy() {
            let stage = self.run.stage().map(|s| outcome_kind_of_stage(&s)).unwrap_or(OutcomeKind::Sending);
            outcome_ui(ui, "running", &OutcomeView::in_progress(stage));
        }
        for (index, view) in self.results.iter().enumerate() {
            outcome_ui(ui, ("result", index), view);
            ui.add_space(theme::ROW_GAP);
        }
        ui.add_space(theme::SECTION_GAP);
        self.table_ui(ui);

        if self.confirming {
            if ui.memory(|m| m.focused()).is_none()
                && ui.input_mut(|i| i.consume_key(Modifiers::NONE, Key::Enter))
            {
                self.start_run(env);
                return;
            }
            let (bg, _) = env.profile.environment.colors();
            let frame = egui::Frame::popup(ui.style())
                .inner_margin(egui::Margin::same(18))
                .stroke(theme::outline(bg));
            let choice = Modal::new(id("confirm")).frame(frame).show(ui.ctx(), |ui| {
                ui.heading("Run the due recurring charges?");
                crate::ui::widgets::banner::environment_badge(ui, env.profile.environment, &env.profile.name);
                ui.label(
                    RichText::new(format!("{count} charges, {total_text}"))
                        .size(theme::AMOUNT_SIZE * 0.7)
                        .strong(),
                );
                ui.label("Each customer's saved card is charged once (eci RECURRING).");
                ui.horizontal(|ui| {
                    let run = ui.button(RichText::new("Run now (Enter)").strong()).clicked();
                    let back = ui.button("Back (Esc)").clicked();
                    (run, back)
                })
                .inner
            });
            match choice.inner {
                (true, _) => self.start_run(env),
                (_, true) => self.confirming = false,
                _ => {}
            }
        }
    }

    fn escape(&mut self) -> bool {
        std::mem::take(&mut self.confirming)
    }

    fn opened(&mut self, _ctx: &egui::Context) {
        self.reload = true;
    }
}
