//! Saving bytes the operator asked for (a receipt, a report) where they choose: the save
//! dialog, then the service writes the file (owner-only), then the system viewer opens it so it
//! can be printed or attached. Nothing here waits in the frame.

use super::field::{Note, capitalise, note_ui};
use crate::ui::call::Call;
use crate::ui::dialogs::{DialogAnswer, FileRequest, PendingPath};
use crate::ui::env::Env;
use egui::Ui;
use std::path::PathBuf;

/// One save at a time: the dialog, the write, and a note saying where it went.
#[derive(Default)]
pub struct SaveFlow {
    dialog: Option<(PendingPath, Vec<u8>)>,
    write: Call<Result<PathBuf, String>>,
    open_after: bool,
    note: Option<Note>,
}

impl SaveFlow {
    /// True from the dialog until the file is written.
    pub fn busy(&self) -> bool {
        self.dialog.is_some() || self.write.busy()
    }

    /// Asks where to save `bytes`; `open_after` opens the file in the viewer once written.
    pub fn start(&mut self, env: &Env<'_>, request: FileRequest, bytes: Vec<u8>, open_after: bool) {
        self.note = None;
        self.open_after = open_after;
        self.dialog = Some((env.dialogs.save_file(request), bytes));
    }

    /// Shows a note of the caller's (an error before anything could be saved).
    pub fn set_note(&mut self, note: Note) {
        self.note = Some(note);
    }

    /// Moves the save along; call once per frame.
    pub fn poll(&mut self, env: &Env<'_>) {
        if let Some((pending, _)) = &self.dialog {
            match pending.poll() {
                DialogAnswer::Waiting => {}
                DialogAnswer::Cancelled => self.dialog = None,
                DialogAnswer::Picked(path) => {
                    let bytes = self.dialog.take().map(|(_, b)| b).unwrap_or_default();
                    self.write.start(env.service.run(move |service, _| async move {
                        service
                            .save_export(path.clone(), bytes)
                            .await
                            .map_err(|e| capitalise(&e.to_string()))?;
                        Ok(path)
                    }));
                }
            }
        }
        if let Some(result) = self.write.poll() {
            self.note = Some(match result {
                Ok(path) if self.open_after => {
                    env.dialogs.show_in_viewer(&path);
                    Note::Hint(format!(
                        "Saved to {} and opened in the viewer (print from there)",
                        path.display()
                    ))
                }
                Ok(path) => Note::Hint(format!("Saved to {}", path.display())),
                Err(message) => Note::Error(message),
            });
        }
    }

    /// The note under the buttons, if there is one.
    pub fn note_ui(&self, ui: &mut Ui) {
        if let Some(note) = &self.note {
            note_ui(ui, note);
        }
    }
}
