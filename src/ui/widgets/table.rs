//! Tables: a striped table with a bold header row, and a two-column key-value grid with the
//! names in the hint colour. Every list and detail panel uses one of them, so they all line up
//! the same way.

use crate::ui::theme;
use egui::{Id, RichText, Ui};

/// A striped table with `headers` in bold; `rows` draws the rows (each ending with
/// `ui.end_row()`).
pub fn striped_table<R>(ui: &mut Ui, id: Id, headers: &[&str], rows: impl FnOnce(&mut Ui) -> R) -> R {
    egui::Grid::new(id)
        .striped(true)
        .num_columns(headers.len())
        .spacing([14.0, 4.0])
        .show(ui, |ui| {
            for head in headers {
                ui.label(RichText::new(*head).strong());
            }
            ui.end_row();
            rows(ui)
        })
        .inner
}

/// A two-column grid of names and values.
pub fn key_values<'a>(ui: &mut Ui, id: Id, lines: impl IntoIterator<Item = (&'a str, String)>) {
    egui::Grid::new(id).num_columns(2).spacing([16.0, 4.0]).show(ui, |ui| {
        for (name, value) in lines {
            ui.label(RichText::new(name).color(theme::HINT_TEXT));
            ui.label(value);
            ui.end_row();
        }
    });
}
