//! At start-up, an unfinished batch (a crash, a Stop, a closed window) is offered for resuming:
//! Enter opens it on the Batch screen, ready to run again (rows already settled are never sent
//! again), Esc leaves it for later. Asked once per start, for the profile the terminal opens on.

use crate::service::{BatchRecord, BatchState, ServiceError};
use crate::ui::call::Call;
use crate::ui::env::Env;
use crate::ui::format::local_minute;
use crate::ui::theme;
use crate::ui::widgets::modal::{answer_buttons, framed_modal};
use egui::{Id, Key, Modifiers, RichText, Ui};

#[derive(Default)]
pub struct ResumeOffer {
    asked: bool,
    call: Call<Result<Vec<BatchRecord>, ServiceError>>,
    shown: Option<BatchRecord>,
}

impl ResumeOffer {
    /// Draws the offer while there is one, and returns the batch to resume once chosen.
    pub fn ui(&mut self, ui: &mut Ui, env: &Env<'_>) -> Option<i64> {
        if !std::mem::replace(&mut self.asked, true) {
            let profile = env.profile.name.clone();
            self.call.start(env.service.run(move |s, _| async move { s.unfinished_batches(&profile).await }));
        }
        if let Some(answer) = self.call.poll() {
            // A failed look is not worth a dialog at start-up: the Batch screen lists batches.
            self.shown = answer.ok().and_then(|found| found.into_iter().next());
        }
        let batch = self.shown.as_ref()?;
        let enter = ui.input_mut(|i| i.consume_key(Modifiers::NONE, Key::Enter));
        let outline = theme::ATTENTION;
        let chosen = framed_modal(ui, Id::unique("batch-resume-offer"), outline, 560.0, |ui| {
            ui.heading("An unfinished batch");
            ui.add_space(theme::ROW_GAP);
            ui.label(RichText::new(format!("{} ({} rows)", batch.file_name, batch.row_count)).strong());
            ui.label(format!(
                "Batch {} on {} was {} at {} before every row was done.",
                batch.id,
                batch.profile,
                if batch.state == BatchState::Stopped { "stopped" } else { "interrupted" },
                local_minute(&batch.updated_at)
            ));
            ui.label("Resuming sends only the rows not yet done; a row in doubt is checked with APS first.");
            ui.add_space(theme::SECTION_GAP);
            answer_buttons(ui, "Open it to resume (Enter)", "Later (Esc)")
        });
        match chosen.or(enter.then_some(true)) {
            Some(resume) => self.shown.take().filter(|_| resume).map(|b| b.id),
            None => None,
        }
    }

    /// Esc while the offer is up closes it; true when it did.
    pub fn escape(&mut self) -> bool {
        self.shown.take().is_some()
    }
}
