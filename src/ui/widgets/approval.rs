//! A supervisor's approval, typed into the read-back of an agent's refund or void: the
//! supervisor's name and PIN. Left empty, no approval is sent, and the service says whether one
//! was needed (above the profile's agent limit). A refused approval (wrong PIN, the agent's own
//! name, an agent) is said under the PIN, with the name kept and the PIN wiped.

use super::field::{Note, TextField};
use super::pin::PinInput;
use crate::service::Approval;
use crate::ui::theme;
use egui::{Context, Id, Response, RichText, Ui};

pub struct ApprovalInputs {
    id: Id,
    pub name: String,
    pin: PinInput,
    /// Why the last approval did not count.
    pub error: Option<String>,
    /// Put the cursor here on the next frame.
    focus: Option<Id>,
}

impl ApprovalInputs {
    pub fn new(base: Id) -> Self {
        Self { id: base, name: String::new(), pin: PinInput::new(base.with("pin")), error: None, focus: None }
    }

    fn name_id(&self) -> Id {
        self.id.with("name")
    }

    /// Puts the cursor in the first input that needs typing, on the next frame.
    pub fn focus(&mut self) {
        self.focus = Some(if self.name.trim().is_empty() { self.name_id() } else { self.pin.id() });
    }

    /// Says why the approval did not count; the PIN is typed again.
    pub fn refused(&mut self, ctx: &Context, message: String) {
        self.pin.wipe(ctx);
        self.error = Some(message);
        self.focus();
    }

    /// The approval typed, or `None` when no supervisor name was typed. The PIN is wiped.
    pub fn take(&mut self, ctx: &Context) -> Option<Approval> {
        let pin = self.pin.take(ctx);
        let name = self.name.trim();
        (!name.is_empty()).then(|| Approval { name: name.to_owned(), pin })
    }

    /// Wipes the PIN (the terminal locked, the dialog closed).
    pub fn wipe_pin(&mut self, ctx: &Context) {
        if !self.pin.is_empty() {
            self.pin.wipe(ctx);
        }
    }

    /// Forgets everything: the next operation starts without an approval.
    pub fn clear(&mut self, ctx: &Context) {
        self.pin.wipe(ctx);
        self.name.clear();
        self.error = None;
    }

    /// Draws the two inputs and returns them (Enter in either confirms).
    pub fn ui(&mut self, ui: &mut Ui) -> Vec<Response> {
        ui.add_space(theme::SECTION_GAP);
        ui.label(RichText::new("Supervisor approval").strong());
        ui.label(
            RichText::new("Above the agent limit a supervisor types their name and PIN here; otherwise leave both empty.")
                .color(theme::HINT_TEXT),
        );
        let name = TextField::new("Supervisor", self.name_id())
            .hint("supervisor's operator name")
            .char_limit(32)
            .show(ui, &mut self.name, None, |_| {});
        let note = self.error.clone().map(Note::Error);
        let pin = self.pin.show(ui, "Supervisor PIN", note.as_ref());
        if let Some(target) = self.focus.take() {
            ui.memory_mut(|m| m.request_focus(target));
        }
        vec![name, pin]
    }
}
