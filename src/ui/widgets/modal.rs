//! One framed modal for every dialog (read-back, duplicate guard, run confirmation): a popup
//! frame with generous margins, outlined in the colour that matters (the environment's, or
//! attention), over a dimmed screen.

use crate::ui::theme;
use egui::{Color32, Id, Modal, RichText, Ui};

/// Shows a modal outlined in `outline`, at most `max_width` wide, and returns what `body`
/// returned.
pub fn framed_modal<R>(
    ui: &Ui,
    id: Id,
    outline: Color32,
    max_width: f32,
    body: impl FnOnce(&mut Ui) -> R,
) -> R {
    let frame =
        egui::Frame::popup(ui.style()).inner_margin(egui::Margin::same(18)).stroke(theme::outline(outline));
    Modal::new(id)
        .frame(frame)
        .show(ui.ctx(), |ui| {
            ui.set_max_width(max_width);
            body(ui)
        })
        .inner
}

/// A question's two answers side by side: `yes` (strong; the caller maps Enter to it) and `no`
/// (Esc). `Some(true)` when `yes` was clicked, `Some(false)` for `no`.
pub fn answer_buttons(ui: &mut Ui, yes: &str, no: &str) -> Option<bool> {
    ui.horizontal(|ui| {
        let yes = ui.button(RichText::new(yes).strong()).clicked();
        let no = ui.button(no).clicked();
        if yes {
            Some(true)
        } else if no {
            Some(false)
        } else {
            None
        }
    })
    .inner
}
