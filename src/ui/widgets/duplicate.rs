//! The duplicate guard: the same card or token was charged the same amount a few minutes ago.
//! Charging again needs two deliberate steps (tick the box, then press the button); Enter alone
//! never overrides, and Esc goes back to the form with everything kept.

use super::modal::framed_modal;
use crate::ui::theme;
use egui::{Id, RichText, Ui};

/// The dialog's state: what the service said and whether the agent ticked the override.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DuplicateGuard {
    /// The service's description of the earlier charge.
    pub message: String,
    pub customer_confirmed: bool,
}

/// What the agent chose.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DuplicateChoice {
    /// Charge again: the customer really wants a second payment.
    ChargeAgain,
    Back,
}

impl DuplicateGuard {
    pub fn new(message: String) -> Self {
        Self { message, customer_confirmed: false }
    }

    /// Draws the dialog over the form.
    pub fn ui(&mut self, ui: &mut Ui, id: Id) -> Option<DuplicateChoice> {
        framed_modal(ui, id, theme::ATTENTION, 520.0, |ui| {
            ui.label(
                RichText::new("Possible duplicate payment")
                    .color(theme::ATTENTION)
                    .strong()
                    .size(theme::HEADING_SIZE),
            );
            ui.add_space(theme::ROW_GAP);
            ui.label(super::field::capitalise(&self.message));
            ui.add_space(theme::ROW_GAP);
            ui.label("Nothing has been charged yet. Ask the customer whether they really want to pay twice.");
            ui.add_space(theme::SECTION_GAP);
            ui.checkbox(&mut self.customer_confirmed, "The customer confirmed a second payment");
            ui.add_space(theme::ROW_GAP);
            ui.horizontal(|ui| {
                let again = ui.add_enabled(
                    self.customer_confirmed,
                    egui::Button::new(RichText::new("Charge again").color(theme::DECLINED)),
                );
                let back = ui.button("Back to the form (Esc)");
                if again.clicked() && self.customer_confirmed {
                    Some(DuplicateChoice::ChargeAgain)
                } else if back.clicked() {
                    Some(DuplicateChoice::Back)
                } else {
                    None
                }
            })
            .inner
        })
    }
}
