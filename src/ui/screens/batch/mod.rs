//! Batch: a stack of mailed orders in one CSV file. Open it, see every row checked (invalid rows
//! with their message, counts and totals), confirm the totals, watch it run, then filter and
//! export the results. Running the same file again finishes a batch a crash interrupted.
//!
//! A file also arrives by being dropped on the window, from History's "Capture selected", or
//! from the start-up offer of an unfinished batch (`offer`).
//!
//! A file goes row by row from this terminal, or as one file through the APS batch service
//! (upload, validation, processing; each row booked from APS's results). A file already on its
//! way through the APS batch service can only be finished there.
//!
//! Keyboard: the screen opens on "Open a batch file..."; once checked, the cursor is on "Run";
//! Enter in the confirmation runs, Esc goes back; "Pause" starts no new row until "Go on";
//! "Stop" sends nothing new; with both, the rows in flight settle.

mod offer;

use super::{Call, Screen};
use crate::service::ServiceError;
use crate::service::batch::outcome::{RowOutcome, RowResult};
use crate::service::batch::plan::Checked;
use crate::service::batch::run::{BatchRun, RunOptions};
use crate::ui::dialogs::{DialogAnswer, FileRequest, PendingPath};
use crate::ui::env::{AppCommand, Env, ScreenId};
use crate::ui::format::{capitalise, money_text, totals_text};
use crate::ui::theme;
use crate::ui::widgets::confirm::{ConfirmChoice, RunConfirmation, run_confirm_ui};
use crate::ui::widgets::field::{Note, note_ui};
use crate::ui::widgets::outcome::outcome_ui;
use crate::ui::widgets::submit::{Action, Finish, Phase, Submission, SubmitFlow};
use crate::ui::widgets::table::striped_table;
use egui::{Id, RichText, Ui};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// A batch to check, from outside the screen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BatchRequest {
    /// A file dropped on the window.
    File(PathBuf),
    /// An unfinished batch, by id, read again from its file.
    Resume(i64),
    /// History's "Capture selected": these orders' full remaining amounts.
    Capture(Vec<String>),
}

/// Rows shown in the preview and results tables; the summary counts them all.
const SHOWN_ROWS: usize = 500;

fn id(name: &str) -> Id {
    Id::unique(("batch", name))
}

/// What the agent confirms before a batch runs.
struct RunConfirm {
    rows: usize,
    summary: String,
    totals: String,
    via_aps: bool,
}

/// Live counts of a run, written by the runner as rows settle.
#[derive(Default)]
struct Counters {
    done: AtomicUsize,
    approved: AtomicUsize,
    declined: AtomicUsize,
    unknown: AtomicUsize,
}

impl Counters {
    fn count(&self, result: &RowResult) {
        self.done.fetch_add(1, Ordering::SeqCst);
        let counter = match result.outcome {
            RowOutcome::Approved => &self.approved,
            RowOutcome::Unknown => &self.unknown,
            _ => &self.declined,
        };
        counter.fetch_add(1, Ordering::SeqCst);
    }
}

pub struct BatchScreen {
    dialog: Option<PendingPath>,
    check: Call<Result<Checked, ServiceError>>,
    checked: Option<Checked>,
    message: Option<Note>,
    flow: SubmitFlow<RunConfirm>,
    run: Submission<BatchRun>,
    counters: Arc<Counters>,
    stop: Arc<AtomicBool>,
    pause: Arc<AtomicBool>,
    results: Option<BatchRun>,
    /// Show only results with this outcome.
    filter: Option<RowOutcome>,
    export: Option<PendingPath>,
    exported: Call<Result<PathBuf, ServiceError>>,
    focus_open: bool,
    /// Put the cursor on "Run" (the file was just checked).
    focus_run: bool,
    incoming: Option<BatchRequest>,
    offer: offer::ResumeOffer,
    /// Send the file through the APS batch service instead of row by row.
    via_aps: bool,
    /// The file as checked for a row-by-row run, kept while the APS batch service is chosen
    /// (which refuses some rows more), to go back to.
    row_by_row: Option<Checked>,
    /// The rows that will be sent and their money, for the Run button and the read-back.
    ready: (usize, String),
}

impl Default for BatchScreen {
    fn default() -> Self {
        Self {
            dialog: None,
            check: Call::default(),
            checked: None,
            message: None,
            flow: SubmitFlow::new(id("flow")),
            run: Submission::default(),
            counters: Arc::default(),
            stop: Arc::default(),
            pause: Arc::default(),
            results: None,
            filter: None,
            export: None,
            exported: Call::default(),
            focus_open: true,
            focus_run: false,
            incoming: None,
            offer: offer::ResumeOffer::default(),
            via_aps: false,
            row_by_row: None,
            ready: (0, String::new()),
        }
    }
}

impl BatchScreen {
    /// Checks a batch that came from outside the screen; shown when the screen next draws.
    pub fn request(&mut self, request: BatchRequest) {
        self.incoming = Some(request);
    }

    /// The start-up offer of an unfinished batch, drawn over whichever screen is open.
    pub fn offer_ui(&mut self, ui: &mut Ui, env: &mut Env<'_>) {
        if let Some(id) = self.offer.ui(ui, env) {
            self.request(BatchRequest::Resume(id));
            env.commands.push(AppCommand::Open(ScreenId::Batch));
        }
    }

    /// Esc closes the start-up offer first; true when it did.
    pub fn escape_offer(&mut self) -> bool {
        self.offer.escape()
    }

    fn take_request(&mut self, env: &Env<'_>) {
        let Some(request) = self.incoming.take() else { return };
        if self.run.busy() {
            self.message = Some(Note::Error(
                "A batch is running: let it finish, or Stop it, before opening another".to_owned(),
            ));
            return;
        }
        self.checked = None;
        self.results = None;
        self.message = None;
        let profile = env.profile.name.clone();
        self.check.start(env.service.run(move |s, _| async move {
            match request {
                BatchRequest::File(path) => s.check_batch_file(&profile, path).await,
                BatchRequest::Resume(id) => s.reopen_batch(id).await,
                BatchRequest::Capture(references) => s.capture_batch(&profile, references).await,
            }
        }));
    }

    fn poll(&mut self, env: &Env<'_>) {
        self.take_request(env);
        // Each dialog is asked once per frame: its answer can be read only once.
        match self.dialog.as_ref().map(PendingPath::poll) {
            Some(DialogAnswer::Picked(path)) => {
                self.dialog = None;
                let profile = env.profile.name.clone();
                self.check.start(
                    env.service.run(move |s, _| async move { s.check_batch_file(&profile, path).await }),
                );
            }
            Some(DialogAnswer::Cancelled) => self.dialog = None,
            Some(DialogAnswer::Waiting) | None => {}
        }
        if let Some(answer) = self.check.poll() {
            self.results = None;
            match answer {
                Ok(checked) => {
                    self.message = None;
                    let locked = checked.aps_batch.is_some();
                    self.checked = Some(checked);
                    self.row_by_row = None;
                    self.via_aps = false;
                    self.choose_via(locked);
                    self.focus_run = true;
                }
                Err(e) => self.message = Some(Note::Error(capitalise(&e.to_string()))),
            }
        }
        if let Some(answer) = self.run.poll(&mut self.flow) {
            match answer {
                Ok(run) => {
                    self.flow.answered();
                    self.results = Some(run);
                }
                Err(e) => {
                    self.flow.finish(Finish::NotSent(e.to_string()));
                }
            }
        }
        self.poll_export(env);
    }

    fn poll_export(&mut self, env: &Env<'_>) {
        match self.export.as_ref().map(PendingPath::poll) {
            Some(DialogAnswer::Picked(path)) => {
                self.export = None;
                let results = self.results.as_ref().map(|r| r.results.clone()).unwrap_or_default();
                self.exported.start(env.service.run(move |s, _| async move {
                    s.write_batch_results(path.clone(), results).await.map(|()| path)
                }));
            }
            Some(DialogAnswer::Cancelled) => self.export = None,
            Some(DialogAnswer::Waiting) | None => {}
        }
        if let Some(answer) = self.exported.poll() {
            self.message = Some(match answer {
                Ok(path) => Note::Hint(format!("Results saved to {}", path.display())),
                Err(e) => Note::Error(capitalise(&e.to_string())),
            });
        }
    }

    fn start(&mut self, env: &Env<'_>) {
        let Some(checked) = self.checked.clone() else { return };
        self.counters = Arc::new(Counters::default());
        self.stop = Arc::new(AtomicBool::new(false));
        self.pause = Arc::new(AtomicBool::new(false));
        let counters = self.counters.clone();
        let options = RunOptions {
            on_row: Arc::new(move |r| counters.count(r)),
            stop: self.stop.clone(),
            pause: self.pause.clone(),
            ..RunOptions::default()
        };
        let via_aps = self.via_aps;
        let task = env.service.run(move |s, _| async move {
            if via_aps {
                s.run_batch_via_aps(checked.plan, options).await
            } else {
                s.run_batch(checked.plan, options).await
            }
        });
        self.run.start(&mut self.flow, task);
    }

    /// Sends the file row by row or through the APS batch service: the rows APS cannot take
    /// are shown invalid while it is chosen, and the count and money to confirm follow.
    fn choose_via(&mut self, via_aps: bool) {
        if via_aps && !self.via_aps {
            if let Some(checked) = &mut self.checked {
                self.row_by_row = Some(checked.clone());
                let refused = crate::service::batch::via_aps::aps_problems(&mut checked.plan);
                checked.problems.extend(refused);
            }
        } else if !via_aps && let Some(original) = self.row_by_row.take() {
            self.checked = Some(original);
        }
        self.via_aps = via_aps;
        let rows = self.checked.iter().flat_map(|c| c.plan.rows.iter()).filter(|r| r.job.is_ok());
        let money: Vec<_> =
            rows.clone().filter_map(|r| r.amount).map(|m| (m.currency(), m.minor_units())).collect();
        self.ready = (rows.count(), totals_text(money));
    }

    fn open_ui(&mut self, ui: &mut Ui, env: &Env<'_>) {
        ui.horizontal(|ui| {
            let busy = self.dialog.is_some() || self.check.busy() || self.run.busy();
            let open = ui.add_enabled(!busy, egui::Button::new("Open a batch file..."));
            if std::mem::take(&mut self.focus_open) {
                open.request_focus();
            }
            if open.clicked() {
                self.dialog =
                    Some(env.dialogs.open_file(FileRequest::new("Open a batch file", "", "CSV", "csv")));
            }
            if self.check.busy() {
                ui.spinner();
            }
            if let Some(checked) = &self.checked {
                ui.label(RichText::new(&checked.plan.file_name).strong());
            }
        });
        if let Some(message) = &self.message {
            note_ui(ui, message);
        }
    }

    fn preview_ui(&mut self, ui: &mut Ui) {
        let Some(checked) = &self.checked else { return };
        ui.add_space(theme::ROW_GAP);
        ui.label(RichText::new(&checked.summary).strong());
        for problem in checked.problems.iter().take(SHOWN_ROWS) {
            ui.label(RichText::new(problem).color(theme::ERROR_TEXT));
        }
        let mut via_aps = self.via_aps;
        via_ui(ui, &mut via_aps, checked.aps_batch);
        let (ready, totals) = self.ready.clone();
        let label = format!("Run {ready} row{} ({totals})...", if ready == 1 { "" } else { "s" });
        let run =
            ui.add_enabled(ready > 0 && !self.run.busy(), egui::Button::new(RichText::new(label).strong()));
        if std::mem::take(&mut self.focus_run) {
            run.request_focus();
        }
        if run.clicked() {
            let confirm = RunConfirm { rows: ready, summary: checked.summary.clone(), totals, via_aps };
            self.flow.confirm(ui, confirm);
        }
        ui.add_space(theme::ROW_GAP);
        let headers = ["Row", "Operation", "Reference", "Amount", "Check"];
        striped_table(ui, id("preview"), &headers, |ui| {
            for row in checked.plan.rows.iter().take(SHOWN_ROWS) {
                ui.label(row.row.to_string());
                ui.label(&row.operation);
                ui.label(&row.merchant_reference);
                ui.label(row.amount.map(|m| money_text(m.minor_units(), m.currency())).unwrap_or_default());
                match &row.job {
                    Ok(_) => ui.label("ready"),
                    Err(problem) => ui.label(RichText::new(problem).color(theme::ERROR_TEXT)),
                };
                ui.end_row();
            }
        });
        if via_aps != self.via_aps {
            self.choose_via(via_aps);
        }
    }

    fn progress_ui(&mut self, ui: &mut Ui) {
        let Some(total) = self.checked.as_ref().map(|c| c.plan.rows.len()) else { return };
        let c = &self.counters;
        let done = c.done.load(Ordering::SeqCst);
        ui.add(
            egui::ProgressBar::new(done as f32 / total.max(1) as f32).text(format!("{done} of {total} rows")),
        );
        ui.label(format!(
            "Approved {}    Declined or not sent {}    Unknown {}",
            c.approved.load(Ordering::SeqCst),
            c.declined.load(Ordering::SeqCst),
            c.unknown.load(Ordering::SeqCst)
        ));
        let stopping = self.stop.load(Ordering::SeqCst);
        let paused = self.pause.load(Ordering::SeqCst);
        if paused && !stopping {
            ui.label(
                RichText::new("Paused: no new row starts; the rows in flight settle.")
                    .color(theme::ATTENTION),
            );
        }
        ui.horizontal(|ui| {
            // APS runs the rows of a batch it processes: there is nothing to pause here.
            let label = if paused { "Go on" } else { "Pause" };
            if !self.via_aps && ui.add_enabled(!stopping, egui::Button::new(label)).clicked() {
                self.pause.store(!paused, Ordering::SeqCst);
            }
            let label = if stopping { "Stopping: the rows in flight are settling..." } else { "Stop" };
            if ui.add_enabled(!stopping, egui::Button::new(label)).clicked() {
                self.stop.store(true, Ordering::SeqCst);
            }
        });
        // The counters move without a service answer: look again shortly.
        ui.ctx().request_repaint_after(std::time::Duration::from_millis(200));
    }

    fn results_ui(&mut self, ui: &mut Ui, env: &Env<'_>) {
        let Some(run) = &self.results else { return };
        ui.add_space(theme::SECTION_GAP);
        let resumed = if run.resumed { " (resumed)" } else { "" };
        ui.label(
            RichText::new(format!("Batch {}{resumed}: {}", run.batch.id, run.batch.state.as_str())).strong(),
        );
        ui.horizontal(|ui| {
            ui.label("Show");
            ui.selectable_value(&mut self.filter, None, "all");
            for outcome in RowOutcome::ALL {
                ui.selectable_value(&mut self.filter, Some(outcome), outcome.label());
            }
            if ui.button("Export results...").clicked() {
                let name = format!("batch-{}-results.csv", run.batch.id);
                self.export =
                    Some(env.dialogs.save_file(FileRequest::new("Save the results", &name, "CSV", "csv")));
            }
        });
        let filter = self.filter;
        let shown = run.results.iter().filter(|r| filter.is_none_or(|f| r.outcome == f)).take(SHOWN_ROWS);
        let headers = ["Row", "Operation", "Reference", "Amount", "Outcome", "Code", "Message"];
        striped_table(ui, id("results"), &headers, |ui| {
            for r in shown {
                ui.label(r.row.to_string());
                ui.label(&r.operation);
                ui.label(&r.merchant_reference);
                ui.label(r.amount.map(|m| money_text(m.minor_units(), m.currency())).unwrap_or_default());
                let word = RichText::new(r.outcome.label());
                ui.label(match r.outcome {
                    RowOutcome::Approved => word.color(theme::APPROVED),
                    RowOutcome::Unknown => word.color(theme::ATTENTION).strong(),
                    _ => word.color(theme::DECLINED),
                });
                ui.label(&r.response_code);
                ui.label(&r.response_message);
                ui.end_row();
            }
        });
    }
}

impl Screen for BatchScreen {
    fn ui(&mut self, ui: &mut Ui, env: &mut Env<'_>) {
        self.poll(env);
        if let Some(Action::Send { .. }) = self.flow.keys(ui) {
            self.start(env);
        }
        self.open_ui(ui, env);
        self.flow.error_ui(ui);
        if self.run.busy() {
            if let Some(view) = self.flow.outcome() {
                outcome_ui(ui, "batch", view);
            }
            self.progress_ui(ui);
        } else if self.results.is_some() {
            self.results_ui(ui, env);
        } else {
            self.preview_ui(ui);
        }
        if let Phase::Confirming(confirm) = self.flow.phase() {
            let rows = format!("{} rows will be sent. The file: {}", confirm.rows, confirm.summary);
            let how = if confirm.via_aps {
                "As one file through the APS batch service, under one batch reference: never uploaded twice; each row is booked from APS's results."
            } else {
                "Each row is sent once; a row in doubt is checked with APS, never sent again blindly."
            };
            let shown =
                RunConfirmation { question: "Run this batch?", money: &confirm.totals, lines: &[&rows, how] };
            match run_confirm_ui(ui, id("confirm"), env.profile, &shown) {
                Some(ConfirmChoice::Confirm) => self.start(env),
                Some(ConfirmChoice::Back) => {
                    self.flow.escape();
                }
                None => {}
            }
        }
    }

    fn escape(&mut self) -> bool {
        self.flow.escape()
    }

    fn opened(&mut self, _ctx: &egui::Context) {
        self.focus_open = true;
    }
}

/// How the file is sent: row by row from this terminal, or as one file through the APS batch
/// service. A file already on its way through APS (`aps_batch`) is finished there.
fn via_ui(ui: &mut Ui, via_aps: &mut bool, aps_batch: Option<i64>) {
    ui.horizontal(|ui| {
        ui.label("Send");
        ui.add_enabled_ui(aps_batch.is_none(), |ui| {
            ui.selectable_value(via_aps, false, "row by row from this terminal");
            ui.selectable_value(via_aps, true, "as one file through the APS batch service");
        });
    });
    if let Some(id) = aps_batch {
        let words = format!(
            "This file is on its way through the APS batch service as batch {id}: running it again finishes that batch there."
        );
        ui.label(RichText::new(words).color(theme::ATTENTION));
    }
}
