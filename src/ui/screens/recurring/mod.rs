//! Recurring: the register of agreements (token, APS agreement id, amount, schedule), adding
//! one (`add`), pausing, resuming or cancelling one, which charges are due, and running them.
//! Each due charge has a reference made from the agreement and its due date, so running twice
//! on one day cannot charge twice.

mod add;

use super::{Call, Screen};
use crate::service::{Agreement, AgreementLimit, Outcome, ServiceError};
use crate::ui::env::Env;
use crate::ui::format::{day, money_text, today_date, totals_text};
use crate::ui::theme;
use crate::ui::widgets::confirm::{ConfirmChoice, RunConfirmation, run_confirm_ui};
use crate::ui::widgets::field::capitalise;
use crate::ui::widgets::outcome::{OutcomeKind, OutcomeView, outcome_ui, outcome_view};
use crate::ui::widgets::submit::{Action, Finish, Phase, Submission, SubmitFlow};
use crate::ui::widgets::table::striped_table;
use egui::{Id, RichText, Ui};

/// What the agent confirms before the due charges run.
struct RunSummary {
    count: usize,
    /// "AED 150.00 + KWD 3.000".
    total: String,
}

pub struct RecurringScreen {
    agreements: Vec<Agreement>,
    list: Call<Result<Vec<Agreement>, ServiceError>>,
    error: Option<String>,
    flow: SubmitFlow<RunSummary>,
    run: Submission<Vec<Result<Outcome, ServiceError>>>,
    results: Vec<OutcomeView>,
    reload: bool,
    /// Pausing, resuming or cancelling one agreement.
    toggle: Call<Result<(), ServiceError>>,
    /// The agreement whose Cancel was pressed once: pressed again, it is cancelled.
    cancelling: Option<i64>,
    add: add::AddForm,
}

impl Default for RecurringScreen {
    fn default() -> Self {
        Self {
            agreements: Vec::new(),
            list: Call::default(),
            error: None,
            flow: SubmitFlow::new(id("flow")),
            run: Submission::default(),
            results: Vec::new(),
            reload: true,
            toggle: Call::default(),
            cancelling: None,
            add: add::AddForm::default(),
        }
    }
}

fn id(name: &str) -> Id {
    Id::unique(("recurring", name))
}

fn is_due(agreement: &Agreement, today: chrono::NaiveDate) -> bool {
    agreement.active && agreement.next_due <= today && !ended(agreement)
}

/// All the payments agreed were taken, or the last date has passed: never charged again.
fn ended(agreement: &Agreement) -> bool {
    match agreement.limit {
        Some(AgreementLimit::PaymentsLeft(left)) => left == 0,
        Some(AgreementLimit::Until(last)) => agreement.next_due > last,
        None => false,
    }
}

impl RecurringScreen {
    fn due(&self) -> RunSummary {
        let today = today_date();
        let due: Vec<&Agreement> = self.agreements.iter().filter(|a| is_due(a, today)).collect();
        RunSummary { count: due.len(), total: totals_text(due.iter().map(|a| (a.currency, a.amount_minor))) }
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
        if let Some(answer) = self.run.poll(&mut self.flow) {
            self.flow.answered();
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
                Err(e) => {
                    self.flow.finish(Finish::NotSent(e.to_string()));
                }
            }
            self.reload = true;
        }
        if let Some(answer) = self.toggle.poll() {
            if let Err(e) = answer {
                self.error = Some(capitalise(&e.to_string()));
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
        if self.run.busy() {
            return;
        }
        self.results.clear();
        self.error = None;
        let profile = env.profile.name.clone();
        let task = env.service.run(move |service, progress| async move {
            service.run_due_recurring(&profile, &progress).await
        });
        self.run.start(&mut self.flow, task);
    }

    fn table_ui(&mut self, ui: &mut Ui, env: &Env<'_>) {
        if self.agreements.is_empty() {
            ui.label(RichText::new("No recurring agreements in this profile.").color(theme::HINT_TEXT));
            return;
        }
        let today = today_date();
        // The actions before the last charge's long reference, so a narrow window never hides them.
        let headers = ["Token", "Agreement ID", "Customer", "Amount", "Every", "Next due", "", "Last charge"];
        let mut change = None;
        let busy = self.toggle.busy();
        striped_table(ui, id("agreements"), &headers, |ui| {
            for a in &self.agreements {
                ui.label(&a.token_name);
                ui.label(a.agreement_id.as_deref().unwrap_or("(none)"));
                // The name when there is one (the email on hover): the row keeps its buttons in view.
                ui.label(a.customer_name.clone().unwrap_or_else(|| a.customer_email.clone()))
                    .on_hover_text(&a.customer_email);
                ui.label(money_text(a.amount_minor, a.currency));
                ui.label(every_text(a));
                let due = RichText::new(day(a.next_due));
                ui.label(if !a.active {
                    due.color(theme::HINT_TEXT).strikethrough()
                } else if is_due(a, today) {
                    due.color(theme::ATTENTION).strong()
                } else {
                    due
                });
                actions_ui(ui, a, busy, &mut self.cancelling, &mut change);
                ui.label(a.last_charge_reference.as_deref().unwrap_or(""));
                ui.end_row();
            }
        });
        if let Some(change) = change {
            self.cancelling = None;
            self.toggle.start(env.service.run(move |service, _| async move {
                match change {
                    Change::Active(agreement, active) => {
                        service.set_agreement_active(agreement, active).await
                    }
                    Change::Cancel(agreement) => service.cancel_agreement(agreement).await,
                }
            }));
        }
    }
}

/// The cycle, and where the agreement ends: "Monthly, 11 payments left", "Weekly, until 2027-12-31".
fn every_text(a: &Agreement) -> String {
    let cycle = capitalise(&a.cycle.to_string());
    match a.limit {
        _ if ended(a) => format!("{cycle}, ended"),
        Some(AgreementLimit::PaymentsLeft(1)) => format!("{cycle}, 1 payment left"),
        Some(AgreementLimit::PaymentsLeft(n)) => format!("{cycle}, {n} payments left"),
        Some(AgreementLimit::Until(last)) => format!("{cycle}, until {}", day(last)),
        None => cycle,
    }
}

/// What the agent asked of one agreement.
#[derive(Clone, Copy)]
enum Change {
    Active(i64, bool),
    Cancel(i64),
}

/// Pause or Resume, and Cancel (pressed twice: the second press confirms), for one row.
fn actions_ui(
    ui: &mut Ui,
    a: &Agreement,
    busy: bool,
    cancelling: &mut Option<i64>,
    change: &mut Option<Change>,
) {
    if a.cancelled_at.is_some() {
        ui.label(RichText::new("Cancelled").color(theme::HINT_TEXT));
        return;
    }
    let enabled = !busy;
    ui.horizontal(|ui| {
        let (word, label) =
            if a.active { ("Pause", "Pause agreement") } else { ("Resume", "Resume agreement") };
        if spoken_button(ui, enabled, word, &format!("{label} {}", a.id)).clicked() {
            *change = Some(Change::Active(a.id, !a.active));
        }
        let confirming = *cancelling == Some(a.id);
        let (word, spoken) = if confirming {
            ("Cancel for good?", format!("Cancel agreement {} for good", a.id))
        } else {
            ("Cancel", format!("Cancel agreement {}", a.id))
        };
        if spoken_button(ui, enabled, word, &spoken).clicked() {
            if confirming {
                *change = Some(Change::Cancel(a.id));
            } else {
                *cancelling = Some(a.id);
            }
        }
    });
}

/// A button whose spoken label (screen readers, tests) names what it acts on.
fn spoken_button(ui: &mut Ui, enabled: bool, word: &str, spoken: &str) -> egui::Response {
    let button = ui.add_enabled(enabled, egui::Button::new(word)).on_hover_text(spoken);
    button.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, spoken));
    button
}

impl Screen for RecurringScreen {
    fn ui(&mut self, ui: &mut Ui, env: &mut Env<'_>) {
        self.poll(env);
        if let Some(Action::Send { .. }) = self.flow.keys(ui) {
            self.start_run(env);
        }
        let due = self.due();
        if let Some(error) = &self.error {
            ui.label(error);
        }
        self.flow.error_ui(ui);
        ui.horizontal(|ui| {
            let label = if due.count == 0 {
                "No charges due today".to_owned()
            } else {
                format!("Run {} due charges ({})...", due.count, due.total)
            };
            let button = egui::Button::new(RichText::new(label).strong());
            if ui.add_enabled(due.count > 0 && !self.run.busy(), button).clicked() {
                self.flow.confirm(ui, due);
            }
            if ui.button("Reload").clicked() {
                self.reload = true;
            }
        });
        if let Some(view) = self.flow.outcome() {
            outcome_ui(ui, "running", view);
        }
        for (index, view) in self.results.iter().enumerate() {
            outcome_ui(ui, ("result", index), view);
            ui.add_space(theme::ROW_GAP);
        }
        ui.add_space(theme::SECTION_GAP);
        if self.add.ui(ui, env) {
            self.reload = true;
        }
        ui.add_space(theme::ROW_GAP);
        self.table_ui(ui, env);

        if let Phase::Confirming(summary) = self.flow.phase() {
            let money = format!("{} charges, {}", summary.count, summary.total);
            let shown = RunConfirmation {
                question: "Run the due recurring charges?",
                money: &money,
                lines: &["Each customer's saved card is charged once (eci RECURRING)."],
            };
            match run_confirm_ui(ui, id("confirm"), env.profile, &shown) {
                Some(ConfirmChoice::Confirm) => self.start_run(env),
                Some(ConfirmChoice::Back) => {
                    self.flow.escape();
                }
                None => {}
            }
        }
    }

    fn escape(&mut self) -> bool {
        self.cancelling.take().is_some() || self.add.escape() || self.flow.escape()
    }

    fn opened(&mut self, _ctx: &egui::Context) {
        self.reload = true;
    }
}
