//! Operations: capture, void or refund an order found by its merchant reference or Fort ID,
//! showing what can still be captured or refunded. Partial and repeated operations are
//! allowed; every one goes through the same read-back as a charge (the shared submit flow), and
//! the order is reloaded after each so the remaining amounts are always current.
//!
//! An agent's refund or void may need a supervisor's approval (above the profile's agent
//! limit): the read-back then has the supervisor's name and PIN, sent with the request. A
//! refused approval reopens the read-back with the reason under the PIN; nothing is lost.

use super::{Call, Screen};
use crate::aps::money::{Money, format_minor};
use crate::service::access::Role;
use crate::service::handle::ServiceHandle;
use crate::service::{OperationRow, OrderRow, OrderState, Outcome, ServiceError};
use crate::ui::env::{ActiveProfile, AppCommand, Env, ScreenId};
use crate::ui::format::money_text;
use crate::ui::theme;
use crate::ui::widgets::approval::ApprovalInputs;
use crate::ui::widgets::confirm::ReadBack;
use crate::ui::widgets::field::{Note, TextField, capitalise, note_ui, row};
use crate::ui::widgets::money::money_field;
use crate::ui::widgets::outcome::{OutcomeKind, outcome_ui};
use crate::ui::widgets::receipt::ReceiptButtons;
use crate::ui::widgets::submit::{Action as FlowAction, Finished, Phase, Submission, SubmitFlow, finish_of};
use crate::ui::widgets::table::key_values;
use crate::ui::widgets::timeline::timeline_ui;
use egui::{Id, Key, Response, RichText, Ui};

/// Which maintenance operation the agent chose.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Capture,
    Refund,
    Void,
}

impl Action {
    fn label(self) -> &'static str {
        match self {
            Self::Capture => "Capture",
            Self::Refund => "Refund",
            Self::Void => "Void the authorization",
        }
    }

    /// What is left on `order` for this action.
    fn limit(self, order: &OrderRow) -> u64 {
        match self {
            Self::Capture | Self::Void => order.capturable_minor(),
            Self::Refund => order.refundable_minor(),
        }
    }

    /// The amount offered when the action is chosen: everything left.
    fn default_amount(self, order: &OrderRow) -> String {
        match (self, self.limit(order)) {
            (Self::Void, _) | (_, 0) => String::new(),
            (_, minor) => format_minor(minor, order.currency),
        }
    }
}

type Detail = Option<(OrderRow, Vec<OperationRow>)>;

pub struct OperationsScreen {
    /// Merchant reference or Fort ID as typed.
    lookup: String,
    lookup_error: Option<String>,
    load: Call<Result<Detail, ServiceError>>,
    focus_lookup: bool,
    order: Option<OrderRow>,
    timeline: Vec<OperationRow>,
    action: Action,
    amount: String,
    focus_amount: bool,
    flow: SubmitFlow,
    run: Submission<Outcome>,
    /// A supervisor's approval, typed into the read-back of an agent's refund or void.
    approval: ApprovalInputs,
    /// The request in flight was sent from a read-back with the approval inputs.
    asked_approval: bool,
    /// The receipt buttons under an approved operation's outcome.
    receipt: ReceiptButtons,
    /// The last submission sent nothing: the reload after it keeps the action and amount typed.
    keep_choice: bool,
}

impl Default for OperationsScreen {
    fn default() -> Self {
        Self {
            lookup: String::new(),
            lookup_error: None,
            load: Call::default(),
            focus_lookup: true,
            order: None,
            timeline: Vec::new(),
            action: Action::Capture,
            amount: String::new(),
            focus_amount: false,
            flow: SubmitFlow::new(id("flow")),
            run: Submission::default(),
            approval: ApprovalInputs::new(id("approval")),
            asked_approval: false,
            receipt: ReceiptButtons::default(),
            keep_choice: false,
        }
    }
}

fn id(name: &str) -> Id {
    Id::unique(("operations", name))
}

fn default_action(order: &OrderRow) -> Action {
    if order.capturable_minor() > 0 { Action::Capture } else { Action::Refund }
}

impl OperationsScreen {
    /// Opens the screen on an order (from the order form or History).
    pub fn load(&mut self, service: &ServiceHandle, profile: &ActiveProfile, reference: &str) {
        self.lookup = reference.to_owned();
        self.start_lookup(service, profile);
    }

    fn start_lookup(&mut self, service: &ServiceHandle, profile: &ActiveProfile) {
        let key = self.lookup.trim().to_owned();
        if key.is_empty() {
            self.lookup_error = Some("Type the order's merchant reference or its Fort ID".to_owned());
            return;
        }
        self.lookup_error = None;
        let profile = profile.name.clone();
        self.load
            .start(service.run(move |service, _| async move { service.find_order(&profile, &key).await }));
    }

    /// True when the read-back asks for a supervisor's approval: an agent refunds or voids.
    fn approval_shown(&self, env: &Env<'_>) -> bool {
        env.operator.is_some_and(|o| o.role == Role::Agent) && self.action != Action::Capture
    }

    fn poll(&mut self, ui: &Ui, env: &Env<'_>) {
        if let Some(answer) = self.load.poll() {
            let keep = std::mem::take(&mut self.keep_choice);
            match answer {
                Ok(Some((order, timeline))) => {
                    let same =
                        self.order.as_ref().is_some_and(|o| o.merchant_reference == order.merchant_reference);
                    if !(keep && same) {
                        self.action = default_action(&order);
                        self.amount = self.action.default_amount(&order);
                    }
                    self.order = Some(order);
                    self.timeline = timeline;
                    self.focus_amount = true;
                }
                Ok(None) => {
                    self.order = None;
                    self.timeline.clear();
                    self.lookup_error = Some(format!(
                        "No order \"{}\" in this profile's journal: check the reference or Fort ID, or ask APS on the Status screen",
                        self.lookup.trim()
                    ));
                }
                Err(e) => self.lookup_error = Some(capitalise(&e.to_string())),
            }
        }
        if let Some(result) = self.run.poll(&mut self.flow) {
            let asked = std::mem::take(&mut self.asked_approval);
            if let (true, Err(ServiceError::NotAllowed(message))) = (asked, &result) {
                // Back to the read-back, the reason under the approval: nothing was sent.
                let message = capitalise(message);
                self.flow.finish(finish_of(result));
                let not_sent = self.flow.error().map(str::to_owned);
                self.approval.refused(ui.ctx(), message);
                self.act(ui, env, Some(FlowAction::Review));
                if let Some(line) = not_sent {
                    // Kept for when the read-back is closed.
                    self.flow.set_error(line);
                }
                return;
            }
            if result.is_ok() {
                self.approval.clear(ui.ctx());
            }
            let finished = self.flow.finish(finish_of(result));
            self.keep_choice = !matches!(finished, Finished::Sent(_));
            // Reload: what can still be captured or refunded has changed.
            self.start_lookup(env.service, env.profile);
        }
    }

    /// The read-back for the chosen action, or the reason it cannot be done.
    fn read_back(&self, order: &OrderRow, profile: &ActiveProfile) -> Result<ReadBack, String> {
        let limit = self.action.limit(order);
        let verb = match self.action {
            Action::Capture => "captured",
            Action::Refund => "refunded",
            Action::Void => "voided",
        };
        if limit == 0 || (self.action == Action::Void && order.captured_minor > 0) {
            return Err(format!("Nothing can be {verb} on this order (it is {})", order.state.words()));
        }
        let money = match self.action {
            Action::Void => Money::from_minor(order.authorized_minor, order.currency),
            _ => Money::parse(&self.amount, order.currency),
        }
        .map_err(|e| capitalise(&e.to_string()))?;
        if self.action != Action::Void && money.minor_units() > limit {
            let most = money_text(limit, order.currency);
            return Err(format!("At most {most} can still be {verb} on this order"));
        }
        let customer = match (&order.customer_name, &order.customer_email) {
            (Some(name), Some(email)) => format!("{name} <{email}>"),
            (None, Some(email)) => email.clone(),
            (Some(name), None) => name.clone(),
            (None, None) => "(not recorded)".to_owned(),
        };
        let partial = self.action != Action::Void && money.minor_units() < limit;
        let operation = format!(
            "{}{} of order {}",
            self.action.label(),
            if partial { " (partial)" } else { "" },
            order.merchant_reference
        );
        Ok(ReadBack {
            operation,
            money,
            payment: order.payment_method.clone(),
            customer,
            details: vec![("Fort ID".to_owned(), order.fort_id.clone().unwrap_or_default())],
            profile: profile.name.clone(),
            merchant_identifier: profile.merchant_identifier.clone(),
            environment: profile.environment,
            warnings: Vec::new(),
        })
    }

    fn act(&mut self, ui: &Ui, env: &Env<'_>, action: Option<FlowAction>) {
        match action {
            Some(FlowAction::Review) => {
                let Some(order) = &self.order else { return };
                match self.read_back(order, env.profile) {
                    Ok(read_back) => {
                        self.flow.confirm(ui, read_back);
                        if self.approval_shown(env) {
                            self.approval.focus();
                        }
                    }
                    Err(message) => self.flow.set_error(message),
                }
            }
            Some(FlowAction::Send { .. }) => self.submit(ui, env),
            Some(FlowAction::Next) => {
                self.flow.reset();
                self.approval.clear(ui.ctx());
                self.receipt = ReceiptButtons::default();
                self.focus_amount = true;
            }
            None => {}
        }
    }

    fn submit(&mut self, ui: &Ui, env: &Env<'_>) {
        let Some(order) = &self.order else { return };
        if self.run.busy() {
            return;
        }
        let (profile, reference, amount, action) = (
            env.profile.name.clone(),
            order.merchant_reference.clone(),
            self.amount.trim().to_owned(),
            self.action,
        );
        self.asked_approval = self.approval_shown(env);
        let approval = if self.asked_approval { self.approval.take(ui.ctx()) } else { None };
        self.approval.error = None;
        let task = env.service.run(move |service, progress| async move {
            match action {
                Action::Capture => service.capture(&profile, &reference, &amount, &progress).await,
                Action::Refund => service.refund(&profile, &reference, &amount, approval, &progress).await,
                Action::Void => service.void(&profile, &reference, approval, &progress).await,
            }
        });
        self.run.start(&mut self.flow, task);
    }

    fn lookup_ui(&mut self, ui: &mut Ui, env: &Env<'_>) {
        ui.label("Find the order by its merchant reference or APS Fort ID.");
        let note = self.lookup_error.clone().map(Note::Error);
        let busy = self.load.busy();
        let response = TextField::new("Order reference or Fort ID", id("lookup"))
            .hint("MT-261125-... or 1699...")
            .show(ui, &mut self.lookup, note.as_ref(), |ui| {
                if busy {
                    ui.spinner();
                }
            });
        if std::mem::take(&mut self.focus_lookup) {
            response.request_focus();
        }
        let enter = response.lost_focus() && ui.input(|i| i.key_pressed(Key::Enter));
        if ui.button("Find order").clicked() || enter {
            self.start_lookup(env.service, env.profile);
        }
    }

    fn order_ui(&mut self, ui: &mut Ui, env: &Env<'_>) {
        let Some(order) = self.order.clone() else { return };
        ui.add_space(theme::SECTION_GAP);
        summary_ui(ui, &order);
        ui.add_space(theme::SECTION_GAP);
        let inputs = self.action_ui(ui, &order);
        self.flow.error_ui(ui);
        let label = format!("Review {} (Enter)", self.action.label().to_lowercase());
        if ui.button(RichText::new(label).strong()).clicked() {
            self.act(ui, env, Some(FlowAction::Review));
        }
        self.flow.track(ui, &inputs);
        ui.add_space(theme::SECTION_GAP);
        ui.label(RichText::new("Timeline").strong());
        timeline_ui(ui, &self.timeline);
    }

    /// The operation to do and its amount.
    fn action_ui(&mut self, ui: &mut Ui, order: &OrderRow) -> Vec<Response> {
        let before = self.action;
        let capturable = order.capturable_minor() > 0;
        let refundable = order.refundable_minor() > 0;
        let voidable = capturable && order.captured_minor == 0;
        let mut inputs = Vec::new();
        row(ui, "Operation", |ui, _| {
            for (action, enabled, label) in [
                (Action::Capture, capturable, "Capture"),
                (Action::Refund, refundable, "Refund"),
                (Action::Void, voidable, "Void"),
            ] {
                inputs.push(
                    ui.add_enabled_ui(enabled, |ui| ui.radio_value(&mut self.action, action, label)).inner,
                );
            }
        });
        if self.action != before {
            self.amount = self.action.default_amount(order);
        }
        if self.action == Action::Void {
            note_ui(ui, &Note::Hint("A void releases the whole authorization".to_owned()));
            return inputs;
        }
        let (amount, _) =
            money_field(ui, "Amount", id("amount"), &mut self.amount, Some(order.currency), false);
        if std::mem::take(&mut self.focus_amount) {
            amount.request_focus();
        }
        inputs.push(amount);
        inputs
    }

    fn done_ui(&mut self, ui: &mut Ui, env: &mut Env<'_>) {
        let Some(view) = self.flow.outcome().cloned() else { return };
        ui.add_space(theme::SECTION_GAP);
        outcome_ui(ui, "operation", &view);
        if !matches!(self.flow.phase(), Phase::Done(_)) {
            return;
        }
        ui.horizontal(|ui| {
            if ui.button("Another operation on this order (Enter)").clicked() {
                self.act(ui, env, Some(FlowAction::Next));
            }
            if let Some(reference) = &view.merchant_reference
                && ui.button("Show in History").clicked()
            {
                env.commands.push(AppCommand::OpenOrder {
                    screen: ScreenId::History,
                    merchant_reference: reference.clone(),
                });
            }
        });
        if view.kind == OutcomeKind::Approved
            && let Some(reference) = &view.merchant_reference
        {
            self.receipt.ui(ui, env, reference, None);
        }
    }
}

/// The order's amounts and state, and what can still be done with it.
fn summary_ui(ui: &mut Ui, order: &OrderRow) {
    let currency = order.currency;
    let lines = [
        ("Order", order.merchant_reference.clone()),
        ("Fort ID", order.fort_id.clone().unwrap_or_else(|| "(none)".to_owned())),
        ("State", order.state.words().to_owned()),
        ("Paid with", order.payment_method.clone()),
        ("Amount", money_text(order.amount_minor, currency)),
        ("Authorized", money_text(order.authorized_minor, currency)),
        ("Captured", money_text(order.captured_minor, currency)),
        ("Refunded", money_text(order.refunded_minor, currency)),
    ];
    key_values(ui, id("order"), lines);
    ui.add_space(theme::ROW_GAP);
    ui.label(
        RichText::new(format!(
            "Still capturable: {}    Still refundable: {}",
            money_text(order.capturable_minor(), currency),
            money_text(order.refundable_minor(), currency)
        ))
        .strong(),
    );
    if matches!(order.state, OrderState::Pending | OrderState::Unknown) {
        ui.label(
            RichText::new(
                "The outcome of this order is unknown: resolve it on the Status screen before anything else",
            )
            .color(theme::ATTENTION),
        );
    }
    if let Some(note) = &order.needs_attention {
        ui.label(RichText::new(format!("Needs attention: {note}")).color(theme::ATTENTION));
    }
}

impl Screen for OperationsScreen {
    fn ui(&mut self, ui: &mut Ui, env: &mut Env<'_>) {
        self.poll(ui, env);
        let action = self.flow.keys(ui);
        self.act(ui, env, action);
        self.lookup_ui(ui, env);
        match self.flow.phase() {
            Phase::InFlight(_) | Phase::Done(_) => self.done_ui(ui, env),
            Phase::Editing | Phase::Confirming(_) | Phase::Duplicate(_) => self.order_ui(ui, env),
        }
        let label = format!("{} now (Enter)", self.action.label());
        let action = if self.approval_shown(env) {
            let approval = &mut self.approval;
            self.flow.dialogs_ui_with(ui, &label, &mut |ui| approval.ui(ui))
        } else {
            self.flow.dialogs_ui(ui, &label)
        };
        if !matches!(self.flow.phase(), Phase::Confirming(_)) {
            // Closed without sending: the PIN is typed again next time.
            self.approval.wipe_pin(ui.ctx());
        }
        self.act(ui, env, action);
    }

    fn escape(&mut self) -> bool {
        self.flow.escape_to(id("amount"))
    }

    fn opened(&mut self, _ctx: &egui::Context) {
        if self.order.is_none() {
            self.focus_lookup = true;
        }
    }

    fn wipe_secrets(&mut self, ctx: &egui::Context) {
        self.approval.wipe_pin(ctx);
    }

    fn sending(&self) -> bool {
        self.run.busy()
    }
}
