//! A PIN input (sign-in, the idle lock, a supervisor's approval): a password field whose buffer
//! is reserved up front, so typing never makes it grow and leave a copy behind in freed memory.
//! Its undo history is dropped every frame, the accessibility tree gets bullets, and the PIN
//! reaches the service once, as a [`Secret`], with the buffer wiped in the same frame.

use super::card::{forget_undo, publish_masked};
use super::field::{Note, TextField, wrapped_note_ui};
use crate::aps::secret::Secret;
use egui::{Context, Id, Response, Ui};
use zeroize::{Zeroize, Zeroizing};

/// Longest PIN or password the input takes.
const PIN_CHARS: usize = 64;
/// Four bytes per character at most: with the limit above the buffer never grows.
const PIN_BYTES: usize = PIN_CHARS * 4;

/// The PIN as typed. Not `Clone`, not `Debug`: it exists once, here, until taken or wiped.
pub struct PinInput {
    id: Id,
    text: Zeroizing<String>,
}

impl PinInput {
    /// An empty input whose text-edit state lives under `id`.
    pub fn new(id: Id) -> Self {
        Self { id, text: Zeroizing::new(String::with_capacity(PIN_BYTES)) }
    }

    pub fn id(&self) -> Id {
        self.id
    }

    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }

    /// Draws the input labelled `label`, with `note` under it (wrapped: a refusal can be long).
    pub fn show(&mut self, ui: &mut Ui, label: &str, note: Option<&Note>) -> Response {
        let events_before = ui.ctx().output(|o| o.events.len());
        let response = TextField::new(label, self.id).password(true).char_limit(PIN_CHARS).show(
            ui,
            &mut self.text,
            None,
            |_| {},
        );
        if let Some(note) = note {
            wrapped_note_ui(ui, note);
        }
        publish_masked(ui, self.id, events_before, &"\u{2022}".repeat(self.text.chars().count()));
        forget_undo(ui.ctx(), self.id);
        response
    }

    /// Hands the PIN over and wipes the input.
    pub fn take(&mut self, ctx: &Context) -> Secret {
        let pin = Secret::new(self.text.as_str().to_owned());
        self.wipe(ctx);
        pin
    }

    /// Wipes the PIN and the text-edit state egui keeps for the input.
    pub fn wipe(&mut self, ctx: &Context) {
        self.text.zeroize();
        ctx.data_mut(|d| d.remove::<egui::text_edit::TextEditState>(self.id));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn taking_the_pin_wipes_the_input_and_keeps_its_room() {
        let ctx = Context::default();
        let mut pin = PinInput::new(Id::unique("pin"));
        pin.text.push_str("123456");
        let taken = pin.take(&ctx);
        assert_eq!(taken.expose(), "123456");
        assert!(pin.is_empty());
        assert!(pin.text.capacity() >= PIN_BYTES, "the buffer keeps its room");
    }
}
