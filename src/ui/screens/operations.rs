//! Operations: capture, void or refund an order found by its merchant reference or Fort ID,
//! showing what can still be captured or refunded. Partial and repeated operations are
//! allowed; every one goes through the same read-back as a charge, and the order is reloaded
//! after each so the remaining amounts are always current.

use super::{Call, Screen, finish_of, outcome_kind_of_stage};
use crate::aps::money::{Currency, Money, format_minor};
use crate::service::handle::ServiceHandle;
use crate::service::{Filter, OperationRow, OrderRow, OrderState, Outcome, ServiceError};
use crate::ui::env::{ActiveProfile, AppCommand, Env, ScreenId};
use crate::ui::screens::order_form::Finish;
use crate::ui::theme;
use crate::ui::widgets::confirm::{ConfirmChoice, ReadBack, read_back_ui};
use crate::ui::widgets::field::{Note, TextField, capitalise, row};
use crate::ui::widgets::money::money_field;
use crate::ui::widgets::outcome::{OutcomeKind, OutcomeView, outcome_ui};
use egui::{Id, Key, Modifiers, RichText, Ui};

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
}

type Detail = Option<(OrderRow, Vec<OperationRow>)>;

/// Where the screen stands.
enum Phase {
    Editing,
    Confirming(ReadBack),
    InFlight(OutcomeView),
    Done(OutcomeView),
}

pub struct OperationsScreen {
    /// Merchant reference or Fort ID as typed.
    pub lookup: String,
    order: Option<OrderRow>,
    timeline: Vec<OperationRow>,
    lookup_error: Option<String>,
    pub action: Action,
    pub amount: String,
    phase: Phase,
    load: Call<Result<Detail, ServiceError>>,
    run: Call<Result<Outcome, ServiceError>>,
    error: Option<String>,
    focus_lookup: bool,
    focus_amount: bool,
}

impl Default for OperationsScreen {
    fn default() -> Self {
        Self {
            lookup: String::new(),
            order: None,
            timeline: Vec::new(),
            lookup_error: None,
            action: Action::Capture,
            amount: String::new(),
            phase: Phase::Editing,
            load: Call::default(),
            run: Call::default(),
            error: None,
            focus_lookup: true,
            focus_amount: false,
        }
    }
}

fn id(name: &str) -> Id {
    Id::unique(("operations", name))
}

fn money_text(minor: u64, currency: Currency) -> String {
    format!("{currency} {}", format_minor(minor, currency))
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
        self.load.start(service.run(move |service, _| async move {
            if let Some(found) = service.order_detail(&profile, &key).await? {
                return Ok(Some(found));
            }
            // Not a reference: try it as APS's Fort ID.
            let filter = Filter {
                profile: Some(profile.clone()),
                fort_id: Some(key),
                limit: Some(1),
                ..Filter::default()
            };
            match service.search(filter).await?.into_iter().next() {
                Some(order) => service.order_detail(&profile, &order.merchant_reference).await,
                None => Ok(None),
            }
        }));
    }

    fn poll(&mut self, env: &Env<'_>) {
        if let Some(answer) = self.load.poll() {
            match answer {
                Ok(Some((order, timeline))) => {
                    self.amount = self.default_amount(&order);
                    self.action = default_action(&order);
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
        if let Some(result) = self.run.poll() {
            match finish_of(result) {
                Finish::Outcome(view) => {
                    self.phase = Phase::Done(view);
                    // Reload: what can still be captured or refunded has changed.
                    self.start_lookup(env.service, env.profile);
                }
                Finish::Invalid { message, .. } | Finish::NotSent(message) | Finish::Duplicate(message) => {
                    self.phase = Phase::Editing;
                    self.error = Some(format!("Not sent. {}", capitalise(&message)));
                }
            }
        } else if let (Some(stage), Phase::InFlight(view)) = (self.run.stage(), &mut self.phase) {
            let kind = outcome_kind_of_stage(&stage);
            if view.kind != kind {
                *view = OutcomeView::in_progress(kind);
            }
        }
    }

    fn default_amount(&self, order: &OrderRow) -> String {
        let minor = match default_action(order) {
            Action::Capture => order.capturable_minor(),
            Action::Refund => order.refundable_minor(),
            Action::Void => 0,
        };
        if minor == 0 { String::new() } else { format_minor(minor, order.currency) }
    }

    /// The read-back for the chosen action, or the reason it cannot be done.
    fn read_back(&self, order: &OrderRow, profile: &ActiveProfile) -> Result<ReadBack, String> {
        let (limit, verb) = match self.action {
            Action::Capture => (order.capturable_minor(), "captured"),
            Action::Refund => (order.refundable_minor(), "refunded"),
            Action::Void => (order.capturable_minor(), "voided"),
        };
        if limit == 0 || (self.action == Action::Void && order.captured_minor > 0) {
            return Err(format!("Nothing can be {verb} on this order (it is {})", order.state));
        }
        let money = match self.action {
            Action::Void => Money::from_minor(order.authorized_minor, order.currency)
                .map_err(|e| capitalise(&e.to_string()))?,
            _ => {
                let money =
                    Money::parse(&self.amount, order.currency).map_err(|e| capitalise(&e.to_string()))?;
                if money.minor_units() > limit {
                    return Err(format!(
                        "At most {} can still be {verb} on this order",
                        money_text(limit, order.currency)
                    ));
                }
                money
            }
        };
        let customer = match (&order.customer_name, &order.customer_email) {
            (Some(name), Some(email)) => format!("{name} <{email}>"),
            (None, Some(email)) => email.clone(),
            (Some(name), None) => name.clone(),
            (None, None) => "(not recorded)".to_owned(),
        };
        let partial = match self.action {
            Action::Void => false,
            _ => money.minor_units() < limit,
        };
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

    fn try_review(&mut self, profile: &ActiveProfile) {
        let Some(order) = &self.order else { return };
        match self.read_back(order, profile) {
            Ok(read_back) => {
                self.error = None;
                self.phase = Phase::Confirming(read_back);
            }
            Err(message) => self.error = Some(message),
        }
    }

    fn submit(&mut self, env: &Env<'_>) {
        if self.run.busy() {
            return;
        }
        let Some(order) = &self.order else { return };
        let (profile, reference, amount, action) = (
            env.profile.name.clone(),
            order.merchant_reference.clone(),
            self.amount.trim().to_owned(),
            self.action,
        );
        self.phase = Phase::InFlight(OutcomeView::in_progress(OutcomeKind::Sending));
        self.run.start(env.service.run(move |service, progress| async move {
            match action {
                Action::Capture => service.capture(&profile, &reference, &amount, &progress).await,
                Action::Refund => service.refund(&profile, &reference, &amount, &progress).await,
                Action::Void => service.void(&profile, &reference, &progress).await,
            }
        }));
    }

    fn order_ui(&mut self, ui: &mut Ui, env: &Env<'_>) {
        let Some(order) = &self.order else { return };
        let currency = order.currency;
        ui.add_space(theme::SECTION_GAP);
        egui::Grid::new("operations_order").num_columns(2).spacing([16.0, 4.0]).show(ui, |ui| {
            let mut line = |name: &str, value: String| {
                ui.label(RichText::new(name).color(theme::HINT_TEXT));
                ui.label(value);
                ui.end_row();
            };
            line("Order", order.merchant_reference.clone());
            line("Fort ID", order.fort_id.clone().unwrap_or_else(|| "(none)".to_owned()));
            line("State", order.state.to_string());
            line("Paid with", order.payment_method.clone());
            line("Amount", money_text(order.amount_minor, currency));
            line("Authorized", money_text(order.authorized_minor, currency));
            line("Captured", money_text(order.captured_minor, currency));
            line("Refunded", money_text(order.refunded_minor, currency));
        });
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
                RichText::new("The outcome of this order is unknown: resolve it on the Status screen before anything else")
                    .color(theme::ATTENTION),
            );
        }
        if let Some(note) = &order.needs_attention {
            ui.label(RichText::new(format!("Needs attention: {note}")).color(theme::ATTENTION));
        }
        ui.add_space(theme::SECTION_GAP);

        let before = self.action;
        let capturable = order.capturable_minor() > 0;
        let refundable = order.refundable_minor() > 0;
        let voidable = capturable && order.captured_minor == 0;
        let order_clone = order.clone();
        let mut inputs = Vec::new();
        row(ui, "Operation", |ui, _| {
            inputs.push(
                ui.add_enabled_ui(capturable, |ui| {
                    ui.radio_value(&mut self.action, Action::Capture, "Capture")
                })
                .inner,
            );
            inputs.push(
                ui.add_enabled_ui(refundable, |ui| {
                    ui.radio_value(&mut self.action, Action::Refund, "Refund")
                })
                .inner,
            );
            inputs.push(
                ui.add_enabled_ui(voidable, |ui| ui.radio_value(&mut self.action, Action::Void, "Void"))
                    .inner,
            );
        });
        if self.action != before {
            self.amount = match self.action {
                Action::Capture => format_minor(order_clone.capturable_minor(), currency),
                Action::Refund => format_minor(order_clone.refundable_minor(), currency),
                Action::Void => String::new(),
            };
        }
        if self.action != Action::Void {
            let (amount, _) =
                money_field(ui, "Amount", id("amount"), &mut self.amount, Some(currency), false);
            if std::mem::take(&mut self.focus_amount) {
                amount.request_focus();
            }
            inputs.push(amount);
        } else {
            super::super::widgets::field::note_ui(
                ui,
                &Note::Hint("A void releases the whole authorization".to_owned()),
            );
        }
        if let Some(error) = &self.error {
            ui.label(RichText::new(error).color(theme::ERROR_TEXT).strong());
        }
        let enter =
            inputs.iter().any(|r| r.has_focus() || r.lost_focus()) && ui.input(|i| i.key_pressed(Key::Enter));
        let review = ui
            .button(RichText::new(format!("Review {} (Enter)", self.action.label().to_lowercase())).strong());
        if review.clicked() || enter {
            self.try_review(env.profile);
        }
        ui.add_space(theme::SECTION_GAP);
        ui.label(RichText::new("Timeline").strong());
        super::history::timeline_ui(ui, &self.timeline);
    }
}

fn default_action(order: &OrderRow) -> Action {
    if order.capturable_minor() > 0 { Action::Capture } else { Action::Refund }
}

impl Screen for OperationsScreen {
    fn ui(&mut self, ui: &mut Ui, env: &mut Env<'_>) {
        self.poll(env);
        match &self.phase {
            Phase::Confirming(_) => {
                if ui.memory(|m| m.focused()).is_none()
                    && ui.input_mut(|i| i.consume_key(Modifiers::NONE, Key::Enter))
                {
                    self.submit(env);
                }
            }
            Phase::Done(_) => {
                if ui.memory(|m| m.focused()).is_none()
                    && ui.input_mut(|i| i.consume_key(Modifiers::NONE, Key::Enter))
                {
                    self.phase = Phase::Editing;
                    self.focus_amount = true;
                }
            }
            Phase::Editing | Phase::InFlight(_) => {}
        }

        ui.label("Find the order by its merchant reference or APS Fort ID.");
        let response =
            TextField::new("Order reference or Fort ID", id("lookup")).hint("MT-261125-... or 1699...").show(
                ui,
                &mut self.lookup,
                self.lookup_error.as_ref().map(|e| Note::Error(e.clone())).as_ref(),
                |ui| {
                    if self.load.busy() {
                        ui.spinner();
                    }
                },
            );
        if std::mem::take(&mut self.focus_lookup) {
            response.request_focus();
        }
        if response.lost_focus() && ui.input(|i| i.key_pressed(Key::Enter)) {
            self.start_lookup(env.service, env.profile);
        }
        if ui.button("Find order").clicked() {
            self.start_lookup(env.service, env.profile);
        }

        match &self.phase {
            Phase::InFlight(view) => {
                ui.add_space(theme::SECTION_GAP);
                outcome_ui(ui, "operation", view);
            }
            Phase::Done(view) => {
                ui.add_space(theme::SECTION_GAP);
                outcome_ui(ui, "operation", view);
                let view = view.clone();
                ui.horizontal(|ui| {
                    if ui.button("Another operation on this order (Enter)").clicked() {
                        self.phase = Phase::Editing;
                        self.focus_amount = true;
                    }
                    if let Some(reference) = view.merchant_reference
                        && ui.button("Show in History").clicked()
                    {
                        env.commands.push(AppCommand::OpenOrder {
                            screen: ScreenId::History,
                            merchant_reference: reference,
                        });
                    }
                });
            }
            Phase::Editing | Phase::Confirming(_) => self.order_ui(ui, env),
        }

        if let Phase::Confirming(read_back) = &self.phase {
            let label = format!("{} now (Enter)", self.action.label());
            match read_back_ui(ui, id("read_back"), read_back, &label) {
                Some(ConfirmChoice::Confirm) => self.submit(env),
                Some(ConfirmChoice::Back) => {
                    self.escape();
                }
                None => {}
            }
        }
    }

    fn escape(&mut self) -> bool {
        if matches!(self.phase, Phase::Confirming(_)) {
            self.phase = Phase::Editing;
            self.focus_amount = true;
            return true;
        }
        false
    }

    fn opened(&mut self, _ctx: &egui::Context) {
        if self.order.is_none() {
            self.focus_lookup = true;
        }
    }
}
