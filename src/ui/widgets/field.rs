//! One form row: a label, its input, and one line under the input that says what is wrong or
//! what the field accepts. Every input is tied to its visible label (`labelled_by`), so screen
//! readers and the UI tests find it by the words the agent sees.

use crate::ui::theme;
use egui::{Align, Id, Layout, Response, RichText, TextEdit, Ui};

/// The line under an input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Note {
    /// Something the agent must fix before the order can go.
    Error(String),
    /// Quiet help: the format, the brand detected, the decimals allowed.
    Hint(String),
}

impl Note {
    /// The note for a check's result: its error, or the hint when it passed.
    pub fn from_result<T, E: std::fmt::Display>(result: &Result<T, E>, hint: impl Into<String>) -> Note {
        match result {
            Ok(_) => Note::Hint(hint.into()),
            Err(e) => Note::Error(capitalise(&e.to_string())),
        }
    }
}

pub use crate::ui::format::capitalise;

/// A single-line text input with its label. Build it, then [`TextField::show`] it.
pub struct TextField<'a> {
    label: &'a str,
    id: Id,
    hint: &'a str,
    width: f32,
    password: bool,
    suffix: Option<String>,
    char_limit: Option<usize>,
}

impl<'a> TextField<'a> {
    /// A field labelled `label`, whose text-edit state lives under `id`.
    pub fn new(label: &'a str, id: Id) -> Self {
        Self {
            label,
            id,
            hint: "",
            width: theme::FIELD_WIDTH,
            password: false,
            suffix: None,
            char_limit: None,
        }
    }

    /// Grey text shown while the field is empty.
    pub fn hint(mut self, hint: &'a str) -> Self {
        self.hint = hint;
        self
    }

    pub fn width(mut self, width: f32) -> Self {
        self.width = width;
        self
    }

    /// Show dots instead of the characters (CVV).
    pub fn password(mut self, password: bool) -> Self {
        self.password = password;
        self
    }

    /// Text after the input inside its frame, e.g. the currency code.
    pub fn suffix(mut self, suffix: impl Into<String>) -> Self {
        self.suffix = Some(suffix.into());
        self
    }

    /// Most characters the field takes. Card buffers use it so their capacity, reserved up
    /// front, is never outgrown (a reallocation would leave digits behind in freed memory).
    pub fn char_limit(mut self, limit: usize) -> Self {
        self.char_limit = Some(limit);
        self
    }

    /// Draws the row and the note under it. `after` draws extra widgets to the right of the
    /// input (a detected card brand, a button).
    pub fn show(
        self,
        ui: &mut Ui,
        text: &mut String,
        note: Option<&Note>,
        after: impl FnOnce(&mut Ui),
    ) -> Response {
        let response = ui
            .horizontal(|ui| {
                let label = ui
                    .allocate_ui_with_layout(
                        egui::vec2(theme::LABEL_WIDTH, ui.spacing().interact_size.y),
                        Layout::right_to_left(Align::Center),
                        |ui| ui.label(self.label),
                    )
                    .inner;
                let mut edit = TextEdit::singleline(text)
                    .id(self.id)
                    .hint_text(self.hint)
                    .desired_width(self.width)
                    .password(self.password);
                if let Some(suffix) = self.suffix {
                    edit = edit.suffix(suffix);
                }
                if let Some(limit) = self.char_limit {
                    edit = edit.char_limit(limit);
                }
                let response = ui.add(edit).labelled_by(label.id);
                after(ui);
                response
            })
            .inner;
        if let Some(note) = note {
            note_ui(ui, note);
        }
        response
    }
}

/// Draws a note aligned under the inputs.
pub fn note_ui(ui: &mut Ui, note: &Note) {
    ui.horizontal(|ui| {
        ui.add_space(theme::LABEL_WIDTH + ui.spacing().item_spacing.x);
        match note {
            Note::Error(text) => ui.label(RichText::new(text).color(theme::ERROR_TEXT)),
            Note::Hint(text) => ui.label(RichText::new(text).color(theme::HINT_TEXT).small()),
        };
    });
}

/// A note aligned under the inputs that wraps within the width there is, for long messages
/// in a narrow card or dialog (a refusal under a PIN).
pub fn wrapped_note_ui(ui: &mut Ui, note: &Note) {
    ui.horizontal_top(|ui| {
        ui.add_space(theme::LABEL_WIDTH + ui.spacing().item_spacing.x);
        let text = match note {
            Note::Error(text) => RichText::new(text).color(theme::ERROR_TEXT),
            Note::Hint(text) => RichText::new(text).color(theme::HINT_TEXT).small(),
        };
        ui.add(egui::Label::new(text).wrap());
    });
}

/// A row with only a label in the label column and whatever `content` draws next to it.
pub fn row<R>(ui: &mut Ui, label: &str, content: impl FnOnce(&mut Ui, Id) -> R) -> R {
    ui.horizontal(|ui| {
        let label = ui
            .allocate_ui_with_layout(
                egui::vec2(theme::LABEL_WIDTH, ui.spacing().interact_size.y),
                Layout::right_to_left(Align::Center),
                |ui| ui.label(label),
            )
            .inner;
        content(ui, label.id)
    })
    .inner
}
