//! The one submit flow every screen that sends something uses:
//!
//! ```text
//! Editing --Enter in an input / Review--> Confirming --Enter / Confirm--> InFlight --> Done
//!    ^                                      |   ^                            |          |
//!    +---------------- Esc / Back ----------+   |                            |    Enter: Next
//!    +--- Invalid / NotSent (form kept) ----------------------------------- -+          |
//!    ^                 Duplicate --Charge again--+                                      |
//!    +----------------------------------------------------------------------------------+
//! ```
//!
//! [`SubmitFlow`] is a pure state machine: it owns the phase, the keys (Enter only in one of the
//! screen's own inputs while editing; Enter in a dialog only while no button has focus, so an
//! agent who tabbed to "Back" and pressed Enter means Back), the read-back and duplicate dialogs,
//! the "Not sent." line, and focus requests. It does no I/O: the screen turns an [`Action`]
//! into a service call, and [`Submission`] reports that call's stages and answer back.

use super::confirm::{ConfirmChoice, ReadBack, read_back_with};
use super::duplicate::{DuplicateChoice, DuplicateGuard};
use super::outcome::{OutcomeKind, OutcomeView, outcome_kind_of_stage, outcome_view};
use crate::service::handle::Task;
use crate::service::{Field, Outcome, ServiceError};
use crate::ui::call::Call;
use crate::ui::format::not_sent;
use crate::ui::theme;
use egui::{Id, Key, Modifiers, Response, RichText, Ui};

/// Where a submission stands. `C` is what the agent confirms: a [`ReadBack`] for money.
pub enum Phase<C = ReadBack> {
    Editing,
    Confirming(C),
    /// The service found the same card and amount a few minutes ago.
    Duplicate(DuplicateGuard),
    /// The request is with the service; the view shows its stage.
    InFlight(OutcomeView),
    Done(OutcomeView),
}

/// What the screen must do after the flow saw a key or a dialog choice.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Check the form and open the read-back ([`SubmitFlow::confirm`]), or point at the field.
    Review,
    /// Send it. `allow_duplicate` only after the duplicate guard's explicit override.
    Send { allow_duplicate: bool },
    /// Enter after the outcome: start the next one.
    Next,
}

/// The result of a submission, as a form needs it.
pub enum Finish {
    /// The request left: this is what happened.
    Outcome(OutcomeView),
    /// Nothing was sent because a field is wrong; back to the form with the message.
    Invalid { field: Field, message: String },
    /// Nothing was sent: the same card and amount were charged minutes ago.
    Duplicate(String),
    /// Nothing was sent, for another reason (profile, journal); the form is kept.
    NotSent(String),
}

/// How a service answer reaches a form: an outcome, or why nothing was sent.
pub fn finish_of(result: Result<Outcome, ServiceError>) -> Finish {
    match result {
        Ok(outcome) => Finish::Outcome(outcome_view(&outcome)),
        Err(ServiceError::Invalid { field, message }) => Finish::Invalid { field, message },
        Err(e @ ServiceError::PossibleDuplicate { .. }) => Finish::Duplicate(e.to_string()),
        // The request left: never "Not sent." with the form kept for another Enter.
        Err(e @ ServiceError::NotRecorded(_)) => Finish::Outcome(OutcomeView {
            kind: OutcomeKind::NeedsAttention,
            headline: "Sent to APS, but the result could not be recorded".to_owned(),
            response_code: String::new(),
            message: e.to_string(),
            next_step: "Do not send it again: check the order in Status (F5).".to_owned(),
            summary: None,
            merchant_reference: None,
            fort_id: None,
            reconciled: false,
        }),
        Err(e) => Finish::NotSent(e.to_string()),
    }
}

/// What [`SubmitFlow::finish`] did, for the screen's own follow-up (wipe a card, reload).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Finished {
    /// The outcome is on display.
    Sent(OutcomeKind),
    /// Back to editing; this field is wrong.
    Invalid(Field),
    /// Back to editing, or to the duplicate guard; nothing left.
    NotSent,
}

/// The phase, the keys, the dialogs and the "Not sent." line of one form.
pub struct SubmitFlow<C = ReadBack> {
    id: Id,
    phase: Phase<C>,
    /// Why the last submission did not leave ("Not sent. ..."), shown until the next one.
    error: Option<String>,
    /// The screen's inputs drawn last frame: Enter in one of them means Review.
    inputs: Vec<Id>,
    /// Inputs the screen drew inside the read-back last frame: Enter in one of them confirms.
    dialog_inputs: Vec<Id>,
    /// The focused input when a dialog opened, given back on Esc.
    return_focus: Option<Id>,
    /// Focus to move on the next frame.
    focus: Option<Id>,
}

impl<C> SubmitFlow<C> {
    pub fn new(id: Id) -> Self {
        Self {
            id,
            phase: Phase::Editing,
            error: None,
            inputs: Vec::new(),
            dialog_inputs: Vec::new(),
            return_focus: None,
            focus: None,
        }
    }

    pub fn phase(&self) -> &Phase<C> {
        &self.phase
    }

    /// True while a submission is with the service: nothing can be sent again meanwhile.
    pub fn in_flight(&self) -> bool {
        matches!(self.phase, Phase::InFlight(_))
    }

    /// The outcome on display (in flight or done).
    pub fn outcome(&self) -> Option<&OutcomeView> {
        match &self.phase {
            Phase::InFlight(view) | Phase::Done(view) => Some(view),
            _ => None,
        }
    }

    /// The "Not sent." line of the last submission, if it did not leave.
    pub fn error(&self) -> Option<&str> {
        self.error.as_deref()
    }

    /// Shows a message about the form (not about one field) until the next submission.
    pub fn set_error(&mut self, message: impl Into<String>) {
        self.error = Some(message.into());
    }

    /// Back to an empty start: editing, no message. Not while a submission is in flight.
    pub fn reset(&mut self) {
        if !self.in_flight() {
            self.phase = Phase::Editing;
            self.error = None;
        }
    }

    /// The answer is in and the screen shows it itself (a list of results): back to editing.
    pub fn answered(&mut self) {
        self.phase = Phase::Editing;
    }

    /// Moves the keyboard focus to `id` on the next frame.
    pub fn focus(&mut self, id: Id) {
        self.focus = Some(id);
    }

    /// Remembers the inputs drawn this frame (for Enter) and applies a pending focus move. Call
    /// once per frame after drawing the form.
    pub fn track(&mut self, ui: &Ui, inputs: &[Response]) {
        self.inputs = inputs.iter().map(|r| r.id).collect();
        if let Some(id) = self.focus.take() {
            ui.memory_mut(|m| m.request_focus(id));
        }
    }

    /// The keys, read before the form draws so an input never sees an Enter meant for the flow.
    pub fn keys(&mut self, ui: &Ui) -> Option<Action> {
        let focused = ui.memory(|m| m.focused());
        let enter = || ui.input_mut(|i| i.consume_key(Modifiers::NONE, Key::Enter));
        match self.phase {
            Phase::Editing | Phase::Done(_) if focused.is_some_and(|id| self.inputs.contains(&id)) => enter()
                .then(|| {
                    self.return_focus = focused;
                    Action::Review
                }),
            Phase::Confirming(_) if focused.is_none_or(|id| self.dialog_inputs.contains(&id)) => {
                enter().then_some(Action::Send { allow_duplicate: false })
            }
            Phase::Done(_) if focused.is_none() => enter().then_some(Action::Next),
            _ => None,
        }
    }

    /// Opens the confirmation; the focus leaves the form so Enter belongs to the dialog.
    pub fn confirm(&mut self, ui: &Ui, confirmation: C) {
        if self.in_flight() {
            return;
        }
        if self.return_focus.is_none() {
            self.return_focus = ui.memory(|m| m.focused());
        }
        if let Some(id) = ui.memory(|m| m.focused()) {
            ui.memory_mut(|m| m.surrender_focus(id));
        }
        self.error = None;
        self.phase = Phase::Confirming(confirmation);
    }

    /// The request is leaving: in flight, with the "Sending" panel.
    pub fn sending(&mut self) {
        self.error = None;
        self.return_focus = None;
        self.phase = Phase::InFlight(OutcomeView::in_progress(OutcomeKind::Sending));
    }

    /// A stage of the request in flight (sending, reconciling).
    pub fn set_stage(&mut self, kind: OutcomeKind) {
        if let Phase::InFlight(view) = &mut self.phase
            && view.kind != kind
        {
            *view = OutcomeView::in_progress(kind);
        }
    }

    /// Takes the result of a submission.
    pub fn finish(&mut self, finish: Finish) -> Finished {
        match finish {
            Finish::Outcome(view) => {
                let kind = view.kind.clone();
                self.phase = Phase::Done(view);
                Finished::Sent(kind)
            }
            Finish::Invalid { field, message } => {
                self.phase = Phase::Editing;
                self.error = Some(not_sent(&message));
                Finished::Invalid(field)
            }
            Finish::Duplicate(message) => {
                self.phase = Phase::Duplicate(DuplicateGuard::new(message));
                Finished::NotSent
            }
            Finish::NotSent(message) => {
                self.phase = Phase::Editing;
                self.error = Some(not_sent(&message));
                Finished::NotSent
            }
        }
    }

    /// Esc: closes the confirmation or the duplicate guard, keeping everything typed, and gives
    /// the focus back. False when there was nothing to close.
    pub fn escape(&mut self) -> bool {
        match self.phase {
            Phase::Confirming(_) | Phase::Duplicate(_) => {
                self.phase = Phase::Editing;
                self.focus = self.return_focus.take().or(self.focus);
                true
            }
            Phase::Editing | Phase::InFlight(_) | Phase::Done(_) => false,
        }
    }

    /// [`Self::escape`], with the focus on `fallback` when no input had it before.
    pub fn escape_to(&mut self, fallback: Id) -> bool {
        let closed = self.escape();
        if closed && self.focus.is_none() {
            self.focus = Some(fallback);
        }
        closed
    }

    /// Draws the "Not sent." line, if any.
    pub fn error_ui(&self, ui: &mut Ui) {
        if let Some(error) = &self.error {
            ui.label(RichText::new(error).color(theme::ERROR_TEXT).strong());
            ui.add_space(theme::ROW_GAP);
        }
    }

    /// Draws the duplicate guard when it is open.
    fn duplicate_ui(&mut self, ui: &mut Ui) -> Option<Action> {
        let Phase::Duplicate(guard) = &mut self.phase else { return None };
        match guard.ui(ui, self.id.with("duplicate")) {
            Some(DuplicateChoice::ChargeAgain) => Some(Action::Send { allow_duplicate: true }),
            Some(DuplicateChoice::Back) => {
                self.escape();
                None
            }
            None => None,
        }
    }
}

impl SubmitFlow<ReadBack> {
    /// Draws the read-back or the duplicate guard when one is open, and returns the agent's
    /// choice. `confirm_label` names the action, e.g. "Charge now (Enter)".
    pub fn dialogs_ui(&mut self, ui: &mut Ui, confirm_label: &str) -> Option<Action> {
        self.dialogs_ui_with(ui, confirm_label, &mut |_| Vec::new())
    }

    /// [`Self::dialogs_ui`] with the screen's own inputs inside the read-back (a supervisor's
    /// approval): Enter in one of them confirms, as Enter with no input focused does.
    pub fn dialogs_ui_with(
        &mut self,
        ui: &mut Ui,
        confirm_label: &str,
        inputs: &mut dyn FnMut(&mut Ui) -> Vec<Response>,
    ) -> Option<Action> {
        let Phase::Confirming(read_back) = &self.phase else {
            self.dialog_inputs.clear();
            return self.duplicate_ui(ui);
        };
        let (choice, drawn) = read_back_with(ui, self.id.with("read_back"), read_back, confirm_label, inputs);
        self.dialog_inputs = drawn.iter().map(|r| r.id).collect();
        match choice {
            Some(ConfirmChoice::Confirm) => Some(Action::Send { allow_duplicate: false }),
            Some(ConfirmChoice::Back) => {
                self.escape();
                None
            }
            None => None,
        }
    }
}

/// A submission running on the service: its stages and its answer go to the flow.
pub struct Submission<T> {
    call: Call<Result<T, ServiceError>>,
}

impl<T> Default for Submission<T> {
    fn default() -> Self {
        Self { call: Call::default() }
    }
}

impl<T> Submission<T> {
    /// True while the request is with the service.
    pub fn busy(&self) -> bool {
        self.call.busy()
    }

    /// Sends: the flow goes in flight. Refused (false) while another one runs.
    pub fn start<C>(&mut self, flow: &mut SubmitFlow<C>, task: Task<Result<T, ServiceError>>) -> bool {
        if self.call.busy() {
            return false;
        }
        flow.sending();
        self.call.start(task);
        true
    }

    /// Reports the stage to the flow; returns the answer once it is there.
    pub fn poll<C>(&mut self, flow: &mut SubmitFlow<C>) -> Option<Result<T, ServiceError>> {
        if let Some(answer) = self.call.poll() {
            return Some(answer);
        }
        if let Some(stage) = self.call.stage() {
            flow.set_stage(outcome_kind_of_stage(&stage));
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_that_left_is_an_outcome_to_check_never_not_sent() {
        let Finish::Outcome(view) = finish_of(Err(ServiceError::NotRecorded("disk full".into()))) else {
            panic!("shown as not sent, with the form kept for another Enter");
        };
        assert_eq!(view.kind, OutcomeKind::NeedsAttention);
        assert!(view.next_step.contains("Do not send it again"), "{}", view.next_step);
        assert!(matches!(finish_of(Err(ServiceError::Journal("disk full".into()))), Finish::NotSent(_)));
    }
}
