//! The receipt buttons under an approved operation (the result panel, an order's timeline):
//! save the PDF and open it in the viewer, or copy the receipt as text for an email.

use super::field::{Note, capitalise};
use super::save::SaveFlow;
use crate::service::{OperationRow, OrderRow, Receipt, has_receipt};
use crate::ui::call::Call;
use crate::ui::dialogs::FileRequest;
use crate::ui::env::Env;
use egui::Ui;

/// What the operator asked the receipt for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Want {
    Pdf,
    Text,
}

type Fetched = Result<(Receipt, Option<Vec<u8>>), String>;

/// The two buttons and the work behind them.
#[derive(Default)]
pub struct ReceiptButtons {
    fetch: Call<(Want, Fetched)>,
    save: SaveFlow,
    /// In a timeline: the order shown and the operation chosen (`None`: its last approved).
    shown: Option<(String, Option<i64>)>,
    /// The order the receipt in the works is for (names the file).
    asked_for: String,
}

impl ReceiptButtons {
    /// Draws "Receipt (PDF)..." and "Copy receipt text" for one operation of an order
    /// (`operation`: its id in the timeline; `None`: the order's last approved one).
    pub fn ui(&mut self, ui: &mut Ui, env: &Env<'_>, reference: &str, operation: Option<i64>) {
        self.poll(ui, env);
        let busy = self.fetch.busy() || self.save.busy();
        ui.horizontal(|ui| {
            if ui.add_enabled(!busy, egui::Button::new("Receipt (PDF)...")).clicked() {
                self.start(env, reference, operation, Want::Pdf);
            }
            if ui.add_enabled(!busy, egui::Button::new("Copy receipt text")).clicked() {
                self.start(env, reference, operation, Want::Text);
            }
            if busy {
                ui.spinner();
            }
        });
        self.save.note_ui(ui);
    }

    /// Under an order's timeline: which operation the receipt is for (its last approved by
    /// default), then the two buttons. Nothing when no operation could have a receipt.
    pub fn timeline_ui(&mut self, ui: &mut Ui, env: &Env<'_>, order: &OrderRow, timeline: &[OperationRow]) {
        let reference = order.merchant_reference.as_str();
        if self.shown.as_ref().is_none_or(|(r, _)| r != reference) {
            // Another order: nothing of the last one's receipt (its answer, its note) carries over.
            *self = Self { shown: Some((reference.to_owned(), None)), ..Self::default() };
        }
        let candidates: Vec<&OperationRow> = timeline.iter().filter(|op| has_receipt(order, op)).collect();
        if candidates.is_empty() {
            return;
        }
        let mut chosen = self.shown.as_ref().and_then(|(_, op)| *op);
        let name = |op: &OperationRow| {
            let amount = op.amount.map(|m| format!(" {m}")).unwrap_or_default();
            format!("#{} {}{amount}", op.id.0, op.operation.wire_name())
        };
        ui.horizontal(|ui| {
            let label = ui.label("Receipt for");
            let selected = chosen
                .and_then(|id| candidates.iter().find(|op| op.id.0 == id))
                .map_or_else(|| "the last approved operation".to_owned(), |op| name(op));
            egui::ComboBox::from_id_salt(ui.scope_id().with("receipt_for"))
                .selected_text(selected)
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut chosen, None, "the last approved operation");
                    for op in &candidates {
                        ui.selectable_value(&mut chosen, Some(op.id.0), name(op));
                    }
                })
                .response
                .labelled_by(label.id);
        });
        self.shown = Some((reference.to_owned(), chosen));
        self.ui(ui, env, reference, chosen);
    }

    fn start(&mut self, env: &Env<'_>, reference: &str, operation: Option<i64>, want: Want) {
        self.asked_for = reference.to_owned();
        let (profile, reference) = (env.profile.name.clone(), reference.to_owned());
        self.fetch.start(env.service.run(move |service, _| async move {
            let fetched = async {
                let receipt =
                    service.receipt(&profile, &reference, operation).await.map_err(|e| e.to_string())?;
                let pdf = match want {
                    Want::Pdf => Some(receipt.pdf().map_err(|e| e.to_string())?),
                    Want::Text => None,
                };
                Ok((receipt, pdf))
            }
            .await;
            (want, fetched.map_err(|e: String| capitalise(&e)))
        }));
    }

    fn poll(&mut self, ui: &Ui, env: &Env<'_>) {
        self.save.poll(env);
        let Some((want, fetched)) = self.fetch.poll() else { return };
        match (want, fetched) {
            (_, Err(message)) => self.save.set_note(Note::Error(message)),
            (Want::Text, Ok((receipt, _))) => {
                ui.ctx().copy_text(receipt.text());
                self.save.set_note(Note::Hint(
                    "Receipt text copied: paste it into the email to the customer".into(),
                ));
            }
            (Want::Pdf, Ok((_, pdf))) => {
                let name = format!("receipt-{}.pdf", file_safe(&self.asked_for));
                let request = FileRequest::new("Save the receipt", &name, "PDF", "pdf");
                self.save.start(env, request, pdf.unwrap_or_default(), true);
            }
        }
    }
}

/// A merchant reference as part of a file name (letters, digits, `-`, `_`, `.` kept).
fn file_safe(reference: &str) -> String {
    reference.chars().map(|c| if c.is_ascii_alphanumeric() || "-_.".contains(c) { c } else { '_' }).collect()
}
