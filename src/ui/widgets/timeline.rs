//! An order's timeline: every action on it, oldest first, with its response code and, for a
//! refund or void a supervisor approved, who approved it. History and Operations both show it.

use super::table::striped_table;
use crate::service::OperationRow;
use crate::ui::format::local_second;
use crate::ui::theme;
use egui::{RichText, Ui};

pub fn timeline_ui(ui: &mut Ui, timeline: &[OperationRow]) {
    if timeline.is_empty() {
        ui.label(RichText::new("No operations recorded.").color(theme::HINT_TEXT));
        return;
    }
    let headers = ["#", "When", "Operation", "Amount", "State", "Code", "Message"];
    striped_table(ui, ui.scope_id().with("timeline"), &headers, |ui| {
        for op in timeline {
            // The operation's number, as `moto-terminal receipt --operation N` takes it.
            ui.label(op.id.0.to_string());
            ui.label(local_second(&op.at));
            ui.label(op.operation.wire_name());
            ui.label(op.amount.map(|m| m.to_string()).unwrap_or_default());
            ui.label(op.state.words());
            ui.label(op.response_code.as_deref().unwrap_or(""));
            let mut message = op.response_message.clone().unwrap_or_default();
            if let Some(note) = &op.note {
                message = format!("{message} ({note}, by {})", op.operator);
            }
            if let Some(approver) = &op.approved_by {
                let approved = format!("by {}, approved by {approver}", op.operator);
                message = if message.is_empty() { approved } else { format!("{message} ({approved})") };
            }
            ui.label(message);
            ui.end_row();
        }
    });
}
