//! The read-back: what the agent reads to the customer before money moves. The amount is large
//! with its currency; the card is masked or named by its token; the profile and its environment
//! are in the banner colours, so a PRODUCTION charge never looks like a DEMO one.
//!
//! Enter confirms and Esc returns to the form with everything kept; the owning form consumes
//! both keys, this module only draws.

use super::banner::environment_badge;
use super::modal::framed_modal;
use super::table::key_values;
use crate::aps::money::Money;
use crate::service::ProfileEnvironment;
use crate::ui::env::ActiveProfile;
use crate::ui::theme::{self, Look};
use egui::{Id, RichText, Ui};

/// Everything the read-back shows. Holds no card number, only its masked form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReadBack {
    /// "Sale" or "Authorize only (capture later)".
    pub operation: String,
    pub money: Money,
    /// Masked card ("Visa 400555******0001 exp 05/27") or token ("Saved card jane-visa").
    pub payment: String,
    /// "Jane Doe <jane@example.com>".
    pub customer: String,
    /// Other lines worth reading back: description, slip number, order date.
    pub details: Vec<(String, String)>,
    pub profile: String,
    pub merchant_identifier: String,
    pub environment: ProfileEnvironment,
    /// Soft warnings (an unusually large amount): shown, not blocking.
    pub warnings: Vec<String>,
}

/// What the agent chose in the read-back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConfirmChoice {
    Confirm,
    Back,
}

/// Draws the read-back as a modal over the form. `confirm_label` names the action, e.g.
/// "Charge now (Enter)".
pub fn read_back_ui(ui: &mut Ui, id: Id, read_back: &ReadBack, confirm_label: &str) -> Option<ConfirmChoice> {
    read_back_with(ui, id, read_back, confirm_label, &mut |_| Vec::new()).0
}

/// [`read_back_ui`] with inputs of the screen's own (a supervisor's approval) drawn before the
/// buttons; returns them too, so Enter in one of them confirms.
pub fn read_back_with(
    ui: &mut Ui,
    id: Id,
    read_back: &ReadBack,
    confirm_label: &str,
    inputs: &mut dyn FnMut(&mut Ui) -> Vec<egui::Response>,
) -> (Option<ConfirmChoice>, Vec<egui::Response>) {
    let ReadBack {
        operation,
        money,
        payment,
        customer,
        details,
        profile,
        merchant_identifier,
        environment,
        warnings,
    } = read_back;
    framed_modal(ui, id, environment.colors().0, 560.0, |ui| {
        ui.heading("Read back to the customer");
        ui.add_space(theme::ROW_GAP);
        environment_badge(ui, *environment, profile);
        ui.add_space(theme::SECTION_GAP);
        ui.label(RichText::new(operation.as_str()).strong());
        ui.label(RichText::new(money.to_string()).size(theme::AMOUNT_SIZE).strong());
        ui.add_space(theme::ROW_GAP);
        let mut lines = vec![("Payment", payment.clone()), ("Customer", customer.clone())];
        lines.extend(details.iter().map(|(name, value)| (name.as_str(), value.clone())));
        lines.push(("Merchant", format!("{profile} ({merchant_identifier})")));
        lines.push(("Environment", format!("{} - {}", environment.word(), environment.meaning())));
        key_values(ui, id.with("lines"), lines);
        for warning in warnings {
            ui.add_space(theme::ROW_GAP);
            ui.label(RichText::new(warning).color(theme::ATTENTION).strong());
        }
        let responses = inputs(ui);
        ui.add_space(theme::SECTION_GAP);
        let choice = ui
            .horizontal(|ui| {
                let confirm = ui.button(RichText::new(confirm_label).strong());
                let back = ui.button("Back to the form (Esc)");
                if confirm.clicked() {
                    Some(ConfirmChoice::Confirm)
                } else if back.clicked() {
                    Some(ConfirmChoice::Back)
                } else {
                    None
                }
            })
            .inner;
        (choice, responses)
    })
}

/// What a confirmation of a run (a batch, the due recurring charges) shows: the question, the
/// money in large type, and lines that say what will happen.
pub struct RunConfirmation<'a> {
    pub question: &'a str,
    pub money: &'a str,
    pub lines: &'a [&'a str],
}

/// Draws a run's confirmation over the screen, in the profile's colours, and returns the
/// choice: Enter confirms (the owning screen's submit flow reads the key), Esc goes back.
pub fn run_confirm_ui(
    ui: &mut Ui,
    id: Id,
    profile: &ActiveProfile,
    shown: &RunConfirmation<'_>,
) -> Option<ConfirmChoice> {
    let (bg, _) = profile.environment.colors();
    framed_modal(ui, id, bg, 600.0, |ui| {
        ui.heading(shown.question);
        environment_badge(ui, profile.environment, &profile.name);
        ui.label(RichText::new(shown.money).size(theme::AMOUNT_SIZE * 0.7).strong());
        for line in shown.lines {
            ui.label(*line);
        }
        ui.horizontal(|ui| {
            if ui.button(RichText::new("Run now (Enter)").strong()).clicked() {
                Some(ConfirmChoice::Confirm)
            } else if ui.button("Back (Esc)").clicked() {
                Some(ConfirmChoice::Back)
            } else {
                None
            }
        })
        .inner
    })
}
