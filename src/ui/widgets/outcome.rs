//! The outcome panel: what happened, in words, with the response code, APS's message and what
//! to do next. While the service is still working it says so; when the outcome was in doubt it
//! says that APS is being asked (reconciliation) and then shows what APS said.

use super::table::key_values;
use crate::aps::money::format_minor;
use crate::aps::response::{Kind, Verdict};
use crate::service::policy::{Finding, finding};
use crate::service::{Outcome, Stage};
use crate::ui::call::Call;
use crate::ui::theme;
use egui::{Frame, RichText, Ui};

/// Where an operation stands, as the agent must understand it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OutcomeKind {
    /// The request is on its way; nothing is known yet.
    Sending,
    /// The first answer was lost or doubtful; the service is asking APS with CHECK_STATUS.
    Reconciling {
        attempt: usize,
        why: String,
    },
    Approved,
    /// The issuer or APS declined: no money moved.
    Declined,
    /// APS refused the request itself (a field, the configuration): no money moved.
    Refused,
    /// Money may have moved and nobody knows yet: a person must look before anything else.
    NeedsAttention,
    /// The request never left this machine: nothing was charged, it is safe to try again.
    NotSent,
    /// APS has no record of it: nothing shows as charged; it is sent again only with the same
    /// reference.
    NoRecord,
    /// A payment link waiting for the customer: nothing wrong, nothing paid yet.
    LinkOpen,
}

impl OutcomeKind {
    /// The headline word(s), never only a colour.
    pub fn words(&self) -> &'static str {
        match self {
            Self::Sending => "Sending to APS...",
            Self::Reconciling { .. } => "Outcome unknown: checking with APS",
            Self::Approved => "Approved",
            Self::Declined => "Declined",
            Self::Refused => "Refused by APS",
            Self::NeedsAttention => "Needs attention",
            Self::NotSent => "Not sent",
            Self::NoRecord => "No record at APS",
            Self::LinkOpen => "Open, not paid yet",
        }
    }

    fn color(&self) -> egui::Color32 {
        match self {
            Self::Approved => theme::APPROVED,
            Self::LinkOpen => theme::INFO,
            Self::Declined | Self::Refused => theme::DECLINED,
            Self::Sending
            | Self::Reconciling { .. }
            | Self::NeedsAttention
            | Self::NotSent
            | Self::NoRecord => theme::ATTENTION,
        }
    }

    /// True while the service is still working on it.
    pub fn in_progress(&self) -> bool {
        matches!(self, Self::Sending | Self::Reconciling { .. })
    }
}

/// Everything the panel shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutcomeView {
    pub kind: OutcomeKind,
    /// One line: "Payment approved", "Insufficient funds".
    pub headline: String,
    /// The APS response code, or empty when there is none.
    pub response_code: String,
    /// APS's message in plain words.
    pub message: String,
    /// What the agent should do now.
    pub next_step: String,
    /// "AED 12.50 sale, order MT-..." when known.
    pub summary: Option<String>,
    pub merchant_reference: Option<String>,
    pub fort_id: Option<String>,
    /// The result was established by asking APS after the first answer was lost or doubtful.
    pub reconciled: bool,
}

impl OutcomeView {
    /// The panel for an operation still on its way.
    pub fn in_progress(kind: OutcomeKind) -> Self {
        let (headline, next_step) = match &kind {
            OutcomeKind::Reconciling { attempt, why } => (
                format!("{why} Asking APS for the order's status (attempt {attempt})."),
                "Wait: do not charge again. The answer appears here.".to_owned(),
            ),
            _ => ("The request is on its way to APS.".to_owned(), "Wait for the answer.".to_owned()),
        };
        Self {
            kind,
            headline,
            response_code: String::new(),
            message: String::new(),
            next_step,
            summary: None,
            merchant_reference: None,
            fort_id: None,
            reconciled: false,
        }
    }
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
    match finding(verdict) {
        Some(Finding::NotSent) => return OutcomeKind::NotSent,
        Some(Finding::NoRecord) => return OutcomeKind::NoRecord,
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
        let order_amount = format!("{} {}", order.currency, format_minor(order.amount_minor, order.currency));
        let operation = outcome.operation.wire_name().to_lowercase().replace('_', " ");
        // A capture or refund of part of the order names its own amount first.
        let what = match outcome.amount {
            Some(own) if own.minor_units() != order.amount_minor => {
                format!("{own} {operation} of the {order_amount} order")
            }
            _ => format!("{order_amount} {operation}"),
        };
        view.summary = Some(format!("{what}, {}", order.payment_method));
    }
    if let Some(token) = &outcome.token_name {
        view.summary = Some(format!("{} Token: {token}", view.summary.unwrap_or_default()).trim().to_owned());
    }
    if let Some(link) = &outcome.payment_link {
        view.summary = Some(format!("Payment link: {link}"));
    }
    view
}

/// The "sending / checking with APS" panel while `call` runs.
pub fn progress_view<T>(call: &Call<T>) -> Option<OutcomeView> {
    call.busy().then(|| {
        OutcomeView::in_progress(call.stage().map_or(OutcomeKind::Sending, |s| outcome_kind_of_stage(&s)))
    })
}

/// Draws the outcome panel. `salt` tells apart several panels on one screen.
pub fn outcome_ui(ui: &mut Ui, salt: impl std::hash::Hash + std::fmt::Debug, view: &OutcomeView) {
    ui.push_id(salt, |ui| panel_ui(ui, view));
}

fn panel_ui(ui: &mut Ui, view: &OutcomeView) {
    let color = view.kind.color();
    Frame::group(ui.style()).stroke(theme::outline(color)).inner_margin(theme::PANEL_MARGIN).show(ui, |ui| {
        ui.set_min_width(ui.available_width().min(640.0));
        ui.horizontal(|ui| {
            if view.kind.in_progress() {
                ui.spinner();
            }
            ui.label(RichText::new(view.kind.words()).color(color).strong().size(theme::HEADING_SIZE + 4.0));
        });
        if !view.headline.is_empty() && view.headline != view.kind.words() {
            ui.label(RichText::new(&view.headline).strong());
        }
        if let Some(summary) = &view.summary {
            ui.label(summary);
        }
        let checked = "Yes: the first answer was lost or doubtful, so APS was asked for the order's status";
        let lines = [
            ("Response code", view.response_code.clone()),
            ("APS message", view.message.clone()),
            ("Order", view.merchant_reference.clone().unwrap_or_default()),
            ("Fort ID", view.fort_id.clone().unwrap_or_default()),
            ("Checked with APS", if view.reconciled { checked.to_owned() } else { String::new() }),
        ];
        key_values(ui, ui.scope_id().with("outcome_lines"), lines.into_iter().filter(|(_, v)| !v.is_empty()));
        ui.add_space(theme::ROW_GAP);
        ui.label(RichText::new(format!("Next step: {}", view.next_step)).strong());
    });
}
