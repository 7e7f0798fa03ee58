//! The order form shared by the Phone order and Mail order screens, on the shared submit flow:
//! editing, the read-back, the request in flight and its outcome.
//!
//! Keyboard flow: focus starts in the first field; Tab / Shift-Tab move; Enter in any field
//! checks the form and opens the read-back (or jumps to the first field that needs fixing);
//! Enter in the read-back confirms, Esc returns with everything kept. While a request is in
//! flight neither Enter nor a click can send it again.
//!
//! The form does no I/O. It reports what the screen must do as [`FormEvent`]s; the screen runs
//! the service call and feeds the result back with [`OrderForm::set_stage`] and
//! [`OrderForm::finish`].

use super::fields::FieldIds;
use super::{FormEvent, MailFields, OrderChannel, PaymentMode};
use crate::aps::money::{Currency, Money};
use crate::service::TokenCustomer;
use crate::ui::env::{ActiveProfile, Env};
use crate::ui::format::{idle_phrase, today_iso};
use crate::ui::theme;
use crate::ui::widgets::card::CardFields;
use crate::ui::widgets::customer::Customer;
use crate::ui::widgets::outcome::{OutcomeKind, OutcomeView, outcome_ui};
use crate::ui::widgets::receipt::ReceiptButtons;
use crate::ui::widgets::submit::{Action, Finish, Finished, Phase, SubmitFlow};
use crate::ui::widgets::token::{TokenPicker, TokenSelection};
use egui::{Id, RichText, Ui};

/// The form's fields and state. UI state only: nothing here is persisted.
pub struct OrderForm {
    pub(super) channel: OrderChannel,
    pub(super) id: Id,
    pub payment_mode: PaymentMode,
    pub token: TokenPicker,
    pub card: CardFields,
    pub(super) amount: String,
    pub(super) currency: String,
    pub(super) authorize_only: bool,
    pub(super) customer: Customer,
    pub(super) description: String,
    pub(super) mail: MailFields,
    pub(super) flow: SubmitFlow,
    /// Report empty required fields too (after the agent tried to go on).
    pub(super) show_errors: bool,
    /// Shown once the idle wipe cleared the card, or a card number moved out of the token field.
    pub(super) wipe_notice: Option<String>,
    /// The token and customer the customer fields were filled from; `None` once the agent typed them.
    pub(super) autofilled_from: Option<(String, TokenCustomer)>,
    /// The receipt buttons under an approved order's outcome.
    pub(super) receipt: ReceiptButtons,
}

impl OrderForm {
    /// An empty form for a profile; `salt` keeps the phone and mail forms' widgets apart.
    pub fn new(channel: OrderChannel, salt: &str, profile: &ActiveProfile) -> Self {
        let id = Id::unique(("order_form", salt));
        let mut flow = SubmitFlow::new(id);
        flow.focus(Self::first_field_id(id, channel, PaymentMode::Token));
        Self {
            channel,
            id,
            payment_mode: PaymentMode::Token,
            token: TokenPicker::default(),
            card: CardFields::default(),
            amount: String::new(),
            currency: profile.default_currency.code().to_owned(),
            authorize_only: false,
            customer: Customer::default(),
            description: String::new(),
            mail: MailFields { order_date: today_iso(), ..MailFields::default() },
            flow,
            show_errors: false,
            wipe_notice: None,
            autofilled_from: None,
            receipt: ReceiptButtons::default(),
        }
    }

    pub fn channel(&self) -> OrderChannel {
        self.channel
    }

    pub fn phase(&self) -> &Phase {
        self.flow.phase()
    }

    /// True while a submission is with the service.
    pub fn in_flight(&self) -> bool {
        self.flow.in_flight()
    }

    /// The amount as typed.
    pub fn amount(&self) -> &str {
        &self.amount
    }

    /// The currency code as typed.
    pub fn currency(&self) -> &str {
        &self.currency
    }

    pub fn customer(&self) -> &Customer {
        &self.customer
    }

    pub fn description(&self) -> &str {
        &self.description
    }

    pub(super) fn ids(&self) -> FieldIds {
        FieldIds::new(self.id)
    }

    fn first_field_id(id: Id, channel: OrderChannel, mode: PaymentMode) -> Id {
        let ids = FieldIds::new(id);
        match (channel, mode) {
            (OrderChannel::Mail, _) => ids.slip_number,
            (OrderChannel::Phone, PaymentMode::Token) => ids.token,
            (OrderChannel::Phone, PaymentMode::Card) => ids.card.number,
        }
    }

    /// Puts the keyboard focus in the first field on the next frame.
    pub fn focus_first_field(&mut self) {
        self.flow.focus(Self::first_field_id(self.id, self.channel, self.payment_mode));
    }

    /// Starts the next order: every field cleared and the card wiped, but the currency (and
    /// for mail orders the order date, since a stack of slips is usually from one day) kept.
    pub fn new_order(&mut self, ctx: &egui::Context) {
        if self.in_flight() {
            return;
        }
        self.card.wipe(ctx, self.ids().card);
        self.payment_mode = PaymentMode::Token;
        self.token.clear();
        self.amount.clear();
        self.authorize_only = false;
        self.receipt = ReceiptButtons::default();
        self.customer.clear();
        self.description.clear();
        self.mail.slip_number.clear();
        self.mail.postal_address.clear();
        self.flow.reset();
        self.show_errors = false;
        self.wipe_notice = None;
        self.autofilled_from = None;
        self.focus_first_field();
    }

    /// Esc: closes the read-back or the duplicate dialog, keeping everything typed. Returns
    /// false when there was nothing to close, so the app goes back a screen.
    pub fn escape(&mut self) -> bool {
        self.flow.escape_to(self.ids().amount)
    }

    /// Reports a stage of the request in flight (sending, reconciling).
    pub fn set_stage(&mut self, kind: OutcomeKind) {
        self.flow.set_stage(kind);
    }

    /// Takes the result of a submission.
    pub fn finish(&mut self, ctx: &egui::Context, finish: Finish) {
        match self.flow.finish(finish) {
            // The request left with the card; the typed digits have done their job.
            Finished::Sent(_) => self.card.wipe(ctx, self.ids().card),
            Finished::Invalid(field) => {
                self.show_errors = true;
                if let Some(id) = self.ids().for_service_field(field) {
                    self.flow.focus(id);
                }
            }
            Finished::NotSent => {}
        }
    }

    /// The amount as typed, parsed in the chosen currency.
    pub fn money(&self) -> Option<Money> {
        let currency = Currency::parse(&self.currency).ok()?;
        Money::parse(&self.amount, currency).ok()
    }

    /// Draws the form for one frame and returns what the screen must do.
    pub fn ui(&mut self, ui: &mut Ui, env: &Env<'_>) -> Vec<FormEvent> {
        let mut events = Vec::new();
        self.idle_wipe(ui, env);
        if !env.profile.trusted_channel && self.payment_mode == PaymentMode::Card {
            self.payment_mode = PaymentMode::Token;
        }
        let action = self.flow.keys(ui);
        self.act(ui, env, action, &mut events);

        match self.flow.phase() {
            Phase::InFlight(view) => {
                outcome_ui(ui, "order", view);
                ui.add_space(theme::ROW_GAP);
                ui.add_enabled(false, egui::Button::new("Charge now (Enter)"));
            }
            Phase::Done(view) => {
                let view = view.clone();
                self.done_ui(ui, env, &view, &mut events);
            }
            Phase::Editing | Phase::Confirming(_) | Phase::Duplicate(_) => {
                self.fields_ui(ui, env, &mut events);
            }
        }

        let label = if self.authorize_only { "Authorize now (Enter)" } else { "Charge now (Enter)" };
        let action = self.flow.dialogs_ui(ui, label);
        self.act(ui, env, action, &mut events);
        events
    }

    fn act(&mut self, ui: &Ui, env: &Env<'_>, action: Option<Action>, events: &mut Vec<FormEvent>) {
        match action {
            Some(Action::Review) => self.try_confirm(ui, env.profile),
            Some(Action::Send { allow_duplicate }) => {
                self.flow.sending();
                events.push(FormEvent::Submit { allow_duplicate });
            }
            Some(Action::Next) => self.new_order(ui.ctx()),
            None => {}
        }
    }

    /// Wipes typed card digits after the configured idle time (not while the request that
    /// carries them is in flight).
    fn idle_wipe(&mut self, ui: &Ui, env: &Env<'_>) {
        if self.in_flight() {
            return;
        }
        if self.card.wipe_when_idle(ui, self.ids().card, env.settings.card_idle_wipe_secs) {
            if matches!(self.flow.phase(), Phase::Confirming(_)) {
                self.flow.escape();
            }
            self.wipe_notice = Some(format!(
                "The card details were cleared after {} without activity. Ask the customer for the card again.",
                idle_phrase(env.settings.card_idle_wipe_secs)
            ));
        }
    }

    /// The terminal locked: a keyed card is wiped (number, expiry, CVV, name), the rest of the
    /// order is kept for the operator who comes back.
    pub fn wipe_card(&mut self, ctx: &egui::Context) {
        if self.card.is_empty() {
            return;
        }
        self.card.wipe(ctx, self.ids().card);
        if self.payment_mode == PaymentMode::Card && matches!(self.flow.phase(), Phase::Confirming(_)) {
            self.flow.escape();
        }
        self.wipe_notice = Some(
            "The card details were cleared when the terminal locked. Ask the customer for the card again."
                .to_owned(),
        );
    }

    /// Checks the form; opens the read-back, or focuses the first field to fix.
    pub(super) fn try_confirm(&mut self, ui: &Ui, profile: &ActiveProfile) {
        self.show_errors = true;
        match self.read_back(profile) {
            Ok(read_back) => self.flow.confirm(ui, read_back),
            Err(field) => self.flow.focus(field),
        }
    }

    /// Fills the customer fields from the highlighted token's first customer (the one the
    /// search found; a card can have several), unless the agent typed them.
    pub(super) fn autofill_customer(&mut self) {
        let TokenSelection::Choice(choice) = self.token.selection() else { return };
        let customer = choice.customers.first().cloned().unwrap_or_default();
        let source = (choice.token_name.clone(), customer.clone());
        if self.autofilled_from.as_ref() == Some(&source) {
            return;
        }
        let empty =
            self.customer.email.is_empty() && self.customer.name.is_empty() && self.customer.phone.is_empty();
        if !empty && self.autofilled_from.is_none() {
            // The agent typed the customer: their words win over the token book's.
            return;
        }
        self.customer.email = customer.email.unwrap_or_default();
        self.customer.name = customer.name.unwrap_or_default();
        if self.channel == OrderChannel::Phone {
            self.customer.phone = customer.phone.unwrap_or_default();
        }
        self.autofilled_from = Some(source);
    }

    /// A card number was typed into the saved-card search: it moves to keyed entry when the
    /// profile may take cards, and is dropped (wiped) with a plain word otherwise.
    pub(super) fn key_card_instead(&mut self, ctx: &egui::Context, digits: &str, trusted: bool) {
        if !trusted {
            self.token.notice = Some("That is a card number, and card numbers cannot be taken on this profile (no trusted channel), so it was cleared. Choose the customer's saved card, or send them a payment link.".to_owned());
            return;
        }
        self.payment_mode = PaymentMode::Card;
        self.card.set_number(ctx, self.ids().card, digits);
        self.flow.focus(self.ids().card.number);
        self.wipe_notice = Some("That was a card number, not a saved card: it was moved to keyed card entry. Check it with the customer.".to_owned());
    }

    fn done_ui(&mut self, ui: &mut Ui, env: &Env<'_>, view: &OutcomeView, events: &mut Vec<FormEvent>) {
        outcome_ui(ui, "order", view);
        ui.add_space(theme::SECTION_GAP);
        ui.horizontal(|ui| {
            let next = match self.channel {
                OrderChannel::Phone => "New order (Enter)",
                OrderChannel::Mail => "Next order (Enter)",
            };
            if ui.button(RichText::new(next).strong()).clicked() {
                self.new_order(ui.ctx());
            }
            if view.kind == OutcomeKind::Approved
                && self.authorize_only
                && let Some(reference) = &view.merchant_reference
                && ui.button("Capture in Operations").clicked()
            {
                events.push(FormEvent::OpenOperations(reference.clone()));
            }
        });
        if view.kind == OutcomeKind::Approved
            && let Some(reference) = &view.merchant_reference
        {
            ui.add_space(theme::ROW_GAP);
            self.receipt.ui(ui, env, reference, None);
        }
    }
}
