//! One struct per screen, each in its own file. A screen keeps its own UI state, draws itself
//! with `ui(&mut self, ui, env)`, and reaches the service only through the handle in [`Env`]:
//! every call runs as a task on the runtime and is polled once per frame, so no frame waits.

pub mod history;
pub mod operations;
mod order_checks;
pub mod order_desk;
pub mod order_form;
pub mod payment_link;
pub mod profile_form;
pub mod recurring;
pub mod settings;
pub mod status;
pub mod tokens;

use super::env::Env;
use super::widgets::outcome::{OutcomeKind, OutcomeView};
use crate::aps::money::format_minor;
use crate::aps::response::{Kind, Verdict};
use crate::service::{Outcome, ServiceError, Stage};
use order_form::Finish;

/// What the app shell needs from every screen.
pub trait Screen {
    /// Draws the screen for one frame.
    fn ui(&mut self, ui: &mut egui::Ui, env: &mut Env<'_>);

    /// Esc was pressed: close whatever the screen has open (a dialog, a read-back) and return
    /// true, or return false to let the app go back to the previous screen.
    fn escape(&mut self) -> bool {
        false
    }

    /// The screen was opened (by its shortcut, the navigation or a command).
    fn opened(&mut self, _ctx: &egui::Context) {}
}

/// The outcome panel's words for a stage of a request in flight.
pub fn outcome_kind_of_stage(stage: &Stage) -> OutcomeKind {
    match stage {
        Stage::Sending => OutcomeKind::Sending,
        Stage::Reconciling { attempt, why } => {
            OutcomeKind::Reconciling { attempt: *attempt, why: why.clone() }
        }
    }
}

/// The outcome panel's kind for an APS verdict.
pub fn outcome_kind_of_verdict(verdict: &Verdict) -> OutcomeKind {
    match crate::service::policy::finding(verdict) {
        Some(crate::service::policy::Finding::NotSent) => return OutcomeKind::NotSent,
        Some(crate::service::policy::Finding::NoRecord) => return OutcomeKind::NoRecord,
        None => {}
    }
    match verdict.kind {
        Kind::Approved => OutcomeKind::Approved,
        Kind::Declined => OutcomeKind::Declined,
        Kind::Rejected => OutcomeKind::Refused,
        Kind::Uncertain => OutcomeKind::NeedsAttention,
    }
}

/// The panel for a verdict alone (status checks, token updates).
pub fn verdict_view(verdict: &Verdict) -> OutcomeView {
    OutcomeView {
        kind: outcome_kind_of_verdict(verdict),
        headline: verdict.headline.clone(),
        response_code: verdict.code.clone(),
        message: verdict.explanation.clone(),
        next_step: verdict.next_step.clone(),
        summary: None,
        merchant_reference: None,
        fort_id: None,
        reconciled: false,
    }
}

/// The panel for a finished operation.
pub fn outcome_view(outcome: &Outcome) -> OutcomeView {
    let mut view = verdict_view(&outcome.verdict);
    view.merchant_reference = Some(outcome.merchant_reference.clone());
    view.reconciled = outcome.reconciled;
    if let Some(order) = &outcome.order {
        view.fort_id = order.fort_id.clone();
        view.summary = Some(format!(
            "{} {} {}, {}",
            order.currency,
            format_minor(order.amount_minor, order.currency),
            outcome.operation.wire_name().to_lowercase().replace('_', " "),
            order.payment_method
        ));
    }
    if let Some(token) = &outcome.token_name {
        view.summary = Some(format!("{} Token: {token}", view.summary.unwrap_or_default()).trim().to_owned());
    }
    if let Some(link) = &outcome.payment_link {
        view.summary = Some(format!("Payment link: {link}"));
    }
    view
}

/// How a submission's result reaches a form: an outcome, or why nothing was sent.
pub fn finish_of(result: Result<Outcome, ServiceError>) -> Finish {
    match result {
        Ok(outcome) => Finish::Outcome(outcome_view(&outcome)),
        Err(ServiceError::Invalid { field, message }) => Finish::Invalid { field, message },
        Err(e @ ServiceError::PossibleDuplicate { .. }) => Finish::Duplicate(e.to_string()),
        Err(e) => Finish::NotSent(e.to_string()),
    }
}

/// A service call a screen is waiting for. Polled once per frame; the service wakes the UI
/// when the answer is there, so an idle screen costs nothing.
pub struct Call<T> {
    task: Option<crate::service::handle::Task<T>>,
}

impl<T> Default for Call<T> {
    fn default() -> Self {
        Self { task: None }
    }
}

impl<T> Call<T> {
    /// Starts waiting for `task`, replacing any call still running (its answer is dropped).
    pub fn start(&mut self, task: crate::service::handle::Task<T>) {
        self.task = Some(task);
    }

    /// True while the answer has not arrived.
    pub fn busy(&self) -> bool {
        self.task.is_some()
    }

    /// The answer, once.
    pub fn poll(&mut self) -> Option<T> {
        let value = self.task.as_mut()?.take()?;
        self.task = None;
        Some(value)
    }

    /// The latest stage reported by the call in flight.
    pub fn stage(&self) -> Option<Stage> {
        self.task.as_ref().and_then(|t| t.stage())
    }
}
