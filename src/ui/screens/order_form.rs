//! The order form shared by the Phone order and Mail order screens: a state machine from
//! editing, through the read-back, to the request in flight and its outcome.
//!
//! Keyboard flow: focus starts in the first field; Tab / Shift-Tab move; Enter in any field
//! checks the form and opens the read-back (or jumps to the first field that needs fixing);
//! Enter in the read-back confirms, Esc returns with everything kept. While a request is in
//! flight neither Enter nor a click can send it again.
//!
//! The form does no I/O. It reports what the screen must do as [`FormEvent`]s; the screen runs
//! the service call and feeds the result back with [`OrderForm::set_stage`] and
//! [`OrderForm::finish`].

use crate::aps::money::{Currency, Money};
use crate::service::Field;
use crate::ui::env::{ActiveProfile, Env};
use crate::ui::theme;
use crate::ui::widgets::card::{CardFields, CardIds};
use crate::ui::widgets::confirm::{ConfirmChoice, ReadBack, read_back_ui};
use crate::ui::widgets::duplicate::{DuplicateChoice, DuplicateGuard};
use crate::ui::widgets::field::{Note, TextField, capitalise, note_ui, row};
use crate::ui::widgets::money::{money_field, sanity_warning};
use crate::ui::widgets::outcome::{OutcomeKind, OutcomeView, outcome_ui};
use crate::ui::widgets::token::{TokenPicker, TokenSelection};
use egui::{Id, Key, Modifiers, RichText, Ui};

pub use super::order_checks::{check_email, check_order_date, idle_phrase};
use super::order_checks::{today, today_iso};

/// Which paperwork the order came with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OrderChannel {
    Phone,
    Mail,
}

/// How the customer pays.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PaymentMode {
    /// A saved card from the token book (MOTO).
    Token,
    /// A card number typed by the agent (trusted channel only).
    Card,
}

/// Mail-order paperwork.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MailFields {
    pub slip_number: String,
    /// YYYY-MM-DD, the date on the order form; today by default.
    pub order_date: String,
    pub postal_address: String,
}

/// Where the form stands.
pub enum FormPhase {
    Editing,
    Confirming(ReadBack),
    /// The service found the same card and amount a few minutes ago.
    Duplicate(DuplicateGuard),
    /// The request is with the service; the view shows its stage.
    InFlight(OutcomeView),
    Done(OutcomeView),
}

/// What the screen must do after a frame of the form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FormEvent {
    /// The agent confirmed the read-back: send the order. `allow_duplicate` is set only after
    /// the duplicate guard's explicit override.
    Submit { allow_duplicate: bool },
    /// The token search text changed: look it up in the token book.
    SearchTokens(String),
    /// Open Operations on this order (after an authorization, to capture it).
    OpenOperations(String),
}

/// The result of a submission, as the form needs it.
pub enum Finish {
    /// The request left: this is what happened. The card fields are wiped.
    Outcome(OutcomeView),
    /// Nothing was sent because a field is wrong; back to the form with the message.
    Invalid { field: Field, message: String },
    /// Nothing was sent: the same card and amount were charged minutes ago.
    Duplicate(String),
    /// Nothing was sent, for another reason (profile, journal); the form is kept.
    NotSent(String),
}

/// The form's fields and state. UI state only: nothing here is persisted.
pub struct OrderForm {
    channel: OrderChannel,
    id: Id,
    pub payment_mode: PaymentMode,
    pub token: TokenPicker,
    pub card: CardFields,
    pub amount: String,
    pub currency: String,
    pub authorize_only: bool,
    pub customer_email: String,
    pub customer_name: String,
    pub description: String,
    pub phone_number: String,
    pub mail: MailFields,
    phase: FormPhase,
    /// Report empty required fields too (after the agent tried to go on).
    show_errors: bool,
    /// A message for the whole form: why the last submission was not sent.
    form_error: Option<String>,
    /// Shown once the idle wipe cleared the card.
    wipe_notice: Option<String>,
    focus_request: Option<Id>,
    /// The focused field when the read-back opened, to return to on Esc.
    return_focus: Option<Id>,
    /// Every input drawn last frame: Enter in any of them opens the read-back.
    input_ids: Vec<Id>,
    /// The customer fields were filled from the chosen token, not typed.
    customer_autofilled: bool,
    /// The token choice the customer fields were filled from.
    autofilled_from: Option<String>,
}

impl OrderForm {
    /// An empty form for a profile; `salt` keeps the phone and mail forms' widgets apart.
    pub fn new(channel: OrderChannel, salt: &str, profile: &ActiveProfile) -> Self {
        let id = Id::unique(("order_form", salt));
        Self {
            channel,
            id,
            payment_mode: PaymentMode::Token,
            token: TokenPicker::default(),
            card: CardFields::default(),
            amount: String::new(),
            currency: profile.default_currency.code().to_owned(),
            authorize_only: false,
            customer_email: String::new(),
            customer_name: String::new(),
            description: String::new(),
            phone_number: String::new(),
            mail: MailFields { order_date: today_iso(), ..MailFields::default() },
            phase: FormPhase::Editing,
            show_errors: false,
            form_error: None,
            wipe_notice: None,
            focus_request: Some(Self::first_field_id(id, channel, PaymentMode::Token)),
            return_focus: None,
            input_ids: Vec::new(),
            customer_autofilled: false,
            autofilled_from: None,
        }
    }

    pub fn channel(&self) -> OrderChannel {
        self.channel
    }

    pub fn phase(&self) -> &FormPhase {
        &self.phase
    }

    /// True while a submission is with the service.
    pub fn in_flight(&self) -> bool {
        matches!(self.phase, FormPhase::InFlight(_))
    }

    fn ids(&self) -> FieldIds {
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
        self.focus_request = Some(Self::first_field_id(self.id, self.channel, self.payment_mode));
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
        self.customer_email.clear();
        self.customer_name.clear();
        self.description.clear();
        self.phone_number.clear();
        self.mail.slip_number.clear();
        self.mail.postal_address.clear();
        self.phase = FormPhase::Editing;
        self.show_errors = false;
        self.form_error = None;
        self.wipe_notice = None;
        self.customer_autofilled = false;
        self.autofilled_from = None;
        self.focus_first_field();
    }

    /// Esc: closes the read-back or the duplicate dialog, keeping everything typed. Returns
    /// false when there was nothing to close, so the app goes back a screen.
    pub fn escape(&mut self) -> bool {
        match self.phase {
            FormPhase::Confirming(_) | FormPhase::Duplicate(_) => {
                self.phase = FormPhase::Editing;
                self.focus_request = self.return_focus.take().or(Some(self.ids().amount));
                true
            }
            FormPhase::Editing | FormPhase::InFlight(_) | FormPhase::Done(_) => false,
        }
    }

    /// Reports a stage of the request in flight (sending, reconciling).
    pub fn set_stage(&mut self, kind: OutcomeKind) {
        if let FormPhase::InFlight(view) = &mut self.phase
            && view.kind != kind
        {
            *view = OutcomeView::in_progress(kind);
        }
    }

    /// Takes the result of a submission.
    pub fn finish(&mut self, ctx: &egui::Context, finish: Finish) {
        match finish {
            Finish::Outcome(view) => {
                // The request left with the card; the typed digits have done their job.
                self.card.wipe(ctx, self.ids().card);
                self.phase = FormPhase::Done(view);
            }
            Finish::Invalid { field, message } => {
                self.phase = FormPhase::Editing;
                self.show_errors = true;
                self.focus_request = self.ids().for_service_field(field);
                self.form_error = Some(format!("Not sent. {}", capitalise(&message)));
            }
            Finish::Duplicate(message) => self.phase = FormPhase::Duplicate(DuplicateGuard::new(message)),
            Finish::NotSent(message) => {
                self.phase = FormPhase::Editing;
                self.form_error = Some(format!("Not sent. {}", capitalise(&message)));
            }
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

        match &mut self.phase {
            FormPhase::Editing => {
                let focused = ui.memory(|m| m.focused());
                if focused.is_some_and(|id| self.input_ids.contains(&id))
                    && ui.input_mut(|i| i.consume_key(Modifiers::NONE, Key::Enter))
                {
                    self.return_focus = focused;
                    self.try_confirm(ui, env.profile);
                }
            }
            // Enter acts on the dialog only while no button has focus: an agent who tabbed to
            // "Back" and pressed Enter means Back.
            FormPhase::Confirming(_) => {
                if ui.memory(|m| m.focused()).is_none()
                    && ui.input_mut(|i| i.consume_key(Modifiers::NONE, Key::Enter))
                {
                    self.submit(&mut events, false);
                }
            }
            FormPhase::Done(_) => {
                if ui.memory(|m| m.focused()).is_none()
                    && ui.input_mut(|i| i.consume_key(Modifiers::NONE, Key::Enter))
                {
                    self.new_order(ui.ctx());
                }
            }
            FormPhase::Duplicate(_) | FormPhase::InFlight(_) => {}
        }

        match &self.phase {
            FormPhase::InFlight(view) => {
                outcome_ui(ui, "order", view);
                ui.add_space(theme::ROW_GAP);
                ui.add_enabled(false, egui::Button::new("Charge now (Enter)"));
            }
            FormPhase::Done(view) => {
                let view = view.clone();
                self.done_ui(ui, &view, &mut events);
            }
            FormPhase::Editing | FormPhase::Confirming(_) | FormPhase::Duplicate(_) => {
                self.fields_ui(ui, env, &mut events);
            }
        }

        match &mut self.phase {
            FormPhase::Confirming(read_back) => {
                let label = if self.authorize_only { "Authorize now (Enter)" } else { "Charge now (Enter)" };
                match read_back_ui(ui, self.id.with("read_back"), read_back, label) {
                    Some(ConfirmChoice::Confirm) => self.submit(&mut events, false),
                    Some(ConfirmChoice::Back) => {
                        self.escape();
                    }
                    None => {}
                }
            }
            FormPhase::Duplicate(guard) => match guard.ui(ui, self.id.with("duplicate")) {
                Some(DuplicateChoice::ChargeAgain) => self.submit(&mut events, true),
                Some(DuplicateChoice::Back) => {
                    self.escape();
                }
                None => {}
            },
            _ => {}
        }
        events
    }

    fn submit(&mut self, events: &mut Vec<FormEvent>, allow_duplicate: bool) {
        self.form_error = None;
        self.phase = FormPhase::InFlight(OutcomeView::in_progress(OutcomeKind::Sending));
        events.push(FormEvent::Submit { allow_duplicate });
    }

    /// Wipes typed card digits after the configured idle time (not while the request that
    /// carries them is in flight).
    fn idle_wipe(&mut self, ui: &Ui, env: &Env<'_>) {
        if self.in_flight() {
            return;
        }
        if self.card.wipe_when_idle(ui, self.ids().card, env.settings.card_idle_wipe_secs) {
            if matches!(self.phase, FormPhase::Confirming(_)) {
                self.phase = FormPhase::Editing;
            }
            self.wipe_notice = Some(format!(
                "The card details were cleared after {} without activity. Ask the customer for the card again.",
                idle_phrase(env.settings.card_idle_wipe_secs)
            ));
        }
    }

    /// Checks the form; opens the read-back, or focuses the first field to fix.
    fn try_confirm(&mut self, ui: &Ui, profile: &ActiveProfile) {
        self.show_errors = true;
        match self.read_back(profile) {
            Ok(read_back) => {
                if let Some(id) = ui.memory(|m| m.focused()) {
                    ui.memory_mut(|m| m.surrender_focus(id));
                }
                self.phase = FormPhase::Confirming(read_back);
            }
            Err(field) => self.focus_request = Some(field),
        }
    }

    /// Builds the read-back, or names the first field (its widget id) that must be fixed.
    pub fn read_back(&self, profile: &ActiveProfile) -> Result<ReadBack, Id> {
        let ids = self.ids();
        let mut details = Vec::new();
        if self.channel == OrderChannel::Mail {
            check_order_date(&self.mail.order_date).map_err(|_| ids.order_date)?;
            if !self.mail.slip_number.trim().is_empty() {
                details.push(("Slip number".to_owned(), self.mail.slip_number.trim().to_owned()));
            }
            details.push(("Order date".to_owned(), self.mail.order_date.trim().to_owned()));
        }
        let payment = match self.payment_mode {
            PaymentMode::Token => match self.token.selection() {
                TokenSelection::Choice(choice) if choice.is_active() => {
                    format!("Saved {}", choice.describe())
                }
                TokenSelection::Choice(_) | TokenSelection::Nothing => return Err(ids.token),
                TokenSelection::Typed(name) => format!("Saved card, token {name}"),
            },
            PaymentMode::Card => {
                let check = self.card.check(today());
                match check.summary() {
                    Some(summary) => summary,
                    None => {
                        let id = match (&check.number, &check.expiry) {
                            (Err(_), _) => ids.card.number,
                            (_, Err(_)) => ids.card.expiry,
                            _ => ids.card.cvv,
                        };
                        return Err(id);
                    }
                }
            }
        };
        let currency = Currency::parse(&self.currency).map_err(|_| ids.currency)?;
        let money = Money::parse(&self.amount, currency).map_err(|_| ids.amount)?;
        check_email(&self.customer_email).map_err(|_| ids.customer_email)?;
        let email = self.customer_email.trim();
        let customer = match self.customer_name.trim() {
            "" => email.to_owned(),
            name => format!("{name} <{email}>"),
        };
        if !self.description.trim().is_empty() {
            details.push(("Description".to_owned(), self.description.trim().to_owned()));
        }
        if self.channel == OrderChannel::Mail && !self.mail.postal_address.trim().is_empty() {
            details.push(("Postal address".to_owned(), self.mail.postal_address.trim().to_owned()));
        }
        let operation = if self.authorize_only {
            "Authorize only (capture later)".to_owned()
        } else {
            "Sale: the customer is charged now".to_owned()
        };
        Ok(ReadBack {
            operation,
            money,
            payment,
            customer,
            details,
            profile: profile.name.clone(),
            merchant_identifier: profile.merchant_identifier.clone(),
            environment: profile.environment,
            warnings: sanity_warning(&self.amount, money).into_iter().collect(),
        })
    }

    /// Fills the customer fields from the highlighted token, unless the agent typed them.
    fn autofill_customer(&mut self) {
        let TokenSelection::Choice(choice) = self.token.selection() else { return };
        if self.autofilled_from.as_deref() == Some(choice.token_name.as_str()) {
            return;
        }
        let empty = self.customer_email.is_empty() && self.customer_name.is_empty();
        if !empty && !self.customer_autofilled {
            // The agent typed the customer: their words win over the token book's.
            return;
        }
        self.customer_email = choice.customer_email.clone();
        self.customer_name = choice.customer_name.clone();
        self.customer_autofilled = true;
        self.autofilled_from = Some(choice.token_name.clone());
    }

    fn fields_ui(&mut self, ui: &mut Ui, env: &Env<'_>, events: &mut Vec<FormEvent>) {
        let ids = self.ids();
        let mut inputs: Vec<egui::Response> = Vec::new();
        let show_errors = self.show_errors;

        if let Some(error) = &self.form_error {
            ui.label(RichText::new(error).color(theme::ERROR_TEXT).strong());
            ui.add_space(theme::ROW_GAP);
        }
        if let Some(notice) = &self.wipe_notice {
            ui.label(RichText::new(notice).color(theme::ATTENTION).strong());
            ui.add_space(theme::ROW_GAP);
        }

        if self.channel == OrderChannel::Mail {
            ui.label(RichText::new("Order slip").strong());
            inputs.push(
                TextField::new("Slip number", ids.slip_number)
                    .hint("as printed on the slip")
                    .char_limit(34)
                    .show(ui, &mut self.mail.slip_number, None, |_| {}),
            );
            let date_note = match check_order_date(&self.mail.order_date) {
                Ok(()) => None,
                Err(e) => Some(Note::Error(e)),
            };
            inputs.push(
                TextField::new("Order date", ids.order_date)
                    .hint("YYYY-MM-DD")
                    .width(theme::FIELD_WIDTH * 0.5)
                    .show(ui, &mut self.mail.order_date, date_note.as_ref(), |_| {}),
            );
            ui.add_space(theme::SECTION_GAP);
        }

        ui.label(RichText::new("Payment").strong());
        let mode_before = self.payment_mode;
        let trusted = env.profile.trusted_channel;
        row(ui, "Pay with", |ui, _| {
            inputs.push(ui.radio_value(&mut self.payment_mode, PaymentMode::Token, "Saved card (token)"));
            let card = ui.add_enabled_ui(trusted, |ui| {
                ui.radio_value(&mut self.payment_mode, PaymentMode::Card, "Keyed card")
            });
            inputs.push(card.inner);
        });
        if !trusted {
            note_ui(
                ui,
                &Note::Hint("Keyed cards need the trusted channel (a PCI DSS compliant merchant); this profile charges saved cards only".to_owned()),
            );
        }
        if self.payment_mode != mode_before {
            self.focus_first_field();
        }
        match self.payment_mode {
            PaymentMode::Token => {
                let (response, card_number) = self.token.ui(ui, ids.token, show_errors);
                inputs.push(response);
                if let Some(digits) = card_number {
                    self.key_card_instead(ui.ctx(), &digits, trusted);
                }
                if self.token.needs_search() {
                    events.push(FormEvent::SearchTokens(self.token.query.trim().to_owned()));
                    // Mark as asked, so one change asks once; the answer replaces the choices.
                    self.token.answered_query = Some(self.token.query.trim().to_owned());
                }
                self.autofill_customer();
            }
            PaymentMode::Card => inputs.extend(self.card.ui(ui, ids.card, show_errors, today())),
        }
        ui.add_space(theme::SECTION_GAP);

        ui.label(RichText::new("Charge").strong());
        let currency = Currency::parse(&self.currency);
        let (amount, _) = money_field(
            ui,
            "Amount",
            ids.amount,
            &mut self.amount,
            currency.as_ref().ok().copied(),
            show_errors,
        );
        inputs.push(amount);
        ui.add_space(theme::SECTION_GAP);

        ui.label(RichText::new("Customer").strong());
        let email_note = match check_email(&self.customer_email) {
            Err(e) if show_errors || !self.customer_email.trim().is_empty() => Some(Note::Error(e)),
            _ => None,
        };
        let email = TextField::new("Customer email", ids.customer_email)
            .hint("name@example.com")
            .char_limit(254)
            .show(ui, &mut self.customer_email, email_note.as_ref(), |_| {});
        let name = TextField::new("Customer name", ids.customer_name).char_limit(40).show(
            ui,
            &mut self.customer_name,
            None,
            |_| {},
        );
        if email.changed() || name.changed() {
            self.customer_autofilled = false;
        }
        inputs.push(email);
        inputs.push(name);
        match self.channel {
            OrderChannel::Phone => inputs.push(
                TextField::new("Phone number", ids.phone_number)
                    .hint("+971 50 123 4567")
                    .char_limit(19)
                    .show(ui, &mut self.phone_number, None, |_| {}),
            ),
            OrderChannel::Mail => inputs.push(
                TextField::new("Postal address", ids.postal_address)
                    .width(theme::FIELD_WIDTH * 1.5)
                    .char_limit(200)
                    .show(ui, &mut self.mail.postal_address, None, |_| {}),
            ),
        }
        inputs.push(
            TextField::new("Description", ids.description)
                .char_limit(150)
                .width(theme::FIELD_WIDTH * 1.5)
                .show(ui, &mut self.description, None, |_| {}),
        );
        ui.add_space(theme::SECTION_GAP);

        // Prefilled and rarely changed, so they come after the fields every order needs: the
        // common path is card, amount, customer, Enter. The amount shows its currency anyway.
        ui.label(RichText::new("Options").strong());
        let currency_note = currency.as_ref().err().map(|e| Note::Error(capitalise(&e.to_string())));
        inputs.push(
            TextField::new("Currency", ids.currency).width(theme::SHORT_FIELD_WIDTH).char_limit(3).show(
                ui,
                &mut self.currency,
                currency_note.as_ref(),
                |_| {},
            ),
        );
        inputs.push(row(ui, "", |ui, _| {
            ui.checkbox(&mut self.authorize_only, "Authorize only (capture later)")
        }));
        ui.add_space(theme::SECTION_GAP);

        let label =
            if self.authorize_only { "Review and authorize (Enter)" } else { "Review and charge (Enter)" };
        let review = ui.button(RichText::new(label).strong());
        if review.clicked() {
            self.return_focus = ui.memory(|m| m.focused());
            self.try_confirm(ui, env.profile);
        }

        if let Some(id) = self.focus_request.take() {
            ui.memory_mut(|m| m.request_focus(id));
        }
        self.input_ids = inputs.iter().map(|r| r.id).collect();
    }

    /// A card number was typed into the saved-card search: it moves to keyed entry when the
    /// profile may take cards, and is dropped (wiped) with a plain word otherwise.
    fn key_card_instead(&mut self, ctx: &egui::Context, digits: &str, trusted: bool) {
        if !trusted {
            self.token.notice = Some("That is a card number, and card numbers cannot be taken on this profile (no trusted channel), so it was cleared. Choose the customer's saved card, or send them a payment link.".to_owned());
            return;
        }
        self.payment_mode = PaymentMode::Card;
        self.card.set_number(ctx, self.ids().card, digits);
        self.focus_request = Some(self.ids().card.number);
        self.wipe_notice = Some("That was a card number, not a saved card: it was moved to keyed card entry. Check it with the customer.".to_owned());
    }

    fn done_ui(&mut self, ui: &mut Ui, view: &OutcomeView, events: &mut Vec<FormEvent>) {
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
    }
}

/// The widget ids of the form's inputs, derived from the form's id.
#[derive(Clone, Copy)]
struct FieldIds {
    slip_number: Id,
    order_date: Id,
    token: Id,
    card: CardIds,
    amount: Id,
    currency: Id,
    customer_email: Id,
    customer_name: Id,
    phone_number: Id,
    postal_address: Id,
    description: Id,
}

impl FieldIds {
    fn new(id: Id) -> Self {
        Self {
            slip_number: id.with("slip_number"),
            order_date: id.with("order_date"),
            token: id.with("token"),
            card: CardIds::new(id.with("card")),
            amount: id.with("amount"),
            currency: id.with("currency"),
            customer_email: id.with("customer_email"),
            customer_name: id.with("customer_name"),
            phone_number: id.with("phone_number"),
            postal_address: id.with("postal_address"),
            description: id.with("description"),
        }
    }

    /// The input for a field the service named.
    fn for_service_field(&self, field: Field) -> Option<Id> {
        Some(match field {
            Field::Amount => self.amount,
            Field::Currency => self.currency,
            Field::CustomerEmail => self.customer_email,
            Field::CustomerName => self.customer_name,
            Field::PhoneNumber => self.phone_number,
            Field::OrderDescription => self.description,
            Field::TokenName => self.token,
            Field::CardNumber => self.card.number,
            Field::ExpiryDate => self.card.expiry,
            Field::CardSecurityCode => self.card.cvv,
            Field::CardHolderName => self.card.holder_name,
            Field::SlipNumber => self.slip_number,
            Field::OrderDate => self.order_date,
            Field::PostalAddress => self.postal_address,
            _ => return None,
        })
    }
}
