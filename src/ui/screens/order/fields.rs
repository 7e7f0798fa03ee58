//! The order form's inputs, section by section: the slip (mail orders), the payment, the
//! amount, the customer, and the options. Each section adds its inputs to the list the submit
//! flow watches for Enter.

use super::form::OrderForm;
use super::read_back::check_order_date;
use super::{FormEvent, OrderChannel, PaymentMode};
use crate::aps::money::Currency;
use crate::service::Field;
use crate::ui::env::Env;
use crate::ui::format::this_month;
use crate::ui::theme;
use crate::ui::widgets::card::CardIds;
use crate::ui::widgets::customer::CustomerIds;
use crate::ui::widgets::field::{Note, TextField, capitalise, note_ui, row};
use crate::ui::widgets::money::money_field;
use egui::{Id, Response, RichText, Ui};

/// The widget ids of the form's inputs, derived from the form's id.
#[derive(Clone, Copy)]
pub(super) struct FieldIds {
    pub slip_number: Id,
    pub order_date: Id,
    pub token: Id,
    pub card: CardIds,
    pub amount: Id,
    pub currency: Id,
    pub customer: CustomerIds,
    pub postal_address: Id,
    pub description: Id,
}

impl FieldIds {
    pub fn new(id: Id) -> Self {
        Self {
            slip_number: id.with("slip_number"),
            order_date: id.with("order_date"),
            token: id.with("token"),
            card: CardIds::new(id.with("card")),
            amount: id.with("amount"),
            currency: id.with("currency"),
            customer: CustomerIds::new(id),
            postal_address: id.with("postal_address"),
            description: id.with("description"),
        }
    }

    /// The input for a field the service named.
    pub fn for_service_field(&self, field: Field) -> Option<Id> {
        Some(match field {
            Field::Amount => self.amount,
            Field::Currency => self.currency,
            Field::CustomerEmail => self.customer.email,
            Field::CustomerName => self.customer.name,
            Field::PhoneNumber => self.customer.phone,
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

impl OrderForm {
    pub(super) fn fields_ui(&mut self, ui: &mut Ui, env: &Env<'_>, events: &mut Vec<FormEvent>) {
        let mut inputs: Vec<Response> = Vec::new();
        self.flow.error_ui(ui);
        if let Some(notice) = &self.wipe_notice {
            ui.label(RichText::new(notice).color(theme::ATTENTION).strong());
            ui.add_space(theme::ROW_GAP);
        }
        if self.channel == OrderChannel::Mail {
            self.slip_ui(ui, &mut inputs);
        }
        self.payment_ui(ui, env, &mut inputs, events);
        ui.label(RichText::new("Charge").strong());
        let currency = Currency::parse(&self.currency).ok();
        let ids = self.ids();
        let (amount, _) = money_field(ui, "Amount", ids.amount, &mut self.amount, currency, self.show_errors);
        inputs.push(amount);
        ui.add_space(theme::SECTION_GAP);
        self.customer_ui(ui, &mut inputs);
        self.options_ui(ui, &mut inputs);

        let label =
            if self.authorize_only { "Review and authorize (Enter)" } else { "Review and charge (Enter)" };
        if ui.button(RichText::new(label).strong()).clicked() {
            self.try_confirm(ui, env.profile);
        }
        self.flow.track(ui, &inputs);
    }

    fn slip_ui(&mut self, ui: &mut Ui, inputs: &mut Vec<Response>) {
        let ids = self.ids();
        ui.label(RichText::new("Order slip").strong());
        inputs.push(
            TextField::new("Slip number", ids.slip_number)
                .hint("as printed on the slip")
                .char_limit(34)
                .show(ui, &mut self.mail.slip_number, None, |_| {}),
        );
        let date_note = check_order_date(&self.mail.order_date).err().map(Note::Error);
        inputs.push(
            TextField::new("Order date", ids.order_date)
                .hint("YYYY-MM-DD")
                .width(theme::FIELD_WIDTH * 0.5)
                .show(ui, &mut self.mail.order_date, date_note.as_ref(), |_| {}),
        );
        ui.add_space(theme::SECTION_GAP);
    }

    fn payment_ui(
        &mut self,
        ui: &mut Ui,
        env: &Env<'_>,
        inputs: &mut Vec<Response>,
        events: &mut Vec<FormEvent>,
    ) {
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
        let ids = self.ids();
        match self.payment_mode {
            PaymentMode::Token => {
                let (response, card_number) = self.token.ui(ui, ids.token, self.show_errors);
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
            PaymentMode::Card => inputs.extend(self.card.ui(ui, ids.card, self.show_errors, this_month())),
        }
        ui.add_space(theme::SECTION_GAP);
    }

    fn customer_ui(&mut self, ui: &mut Ui, inputs: &mut Vec<Response>) {
        let ids = self.ids();
        ui.label(RichText::new("Customer").strong());
        let phone = (self.channel == OrderChannel::Phone).then_some("Phone number");
        let customer = self.customer.ui(ui, ids.customer, phone, self.show_errors);
        if customer.changed {
            self.autofilled_from = None;
        }
        inputs.extend(customer.responses);
        if self.channel == OrderChannel::Mail {
            inputs.push(
                TextField::new("Postal address", ids.postal_address)
                    .width(theme::FIELD_WIDTH * 1.5)
                    .char_limit(200)
                    .show(ui, &mut self.mail.postal_address, None, |_| {}),
            );
        }
        inputs.push(
            TextField::new("Description", ids.description)
                .char_limit(150)
                .width(theme::FIELD_WIDTH * 1.5)
                .show(ui, &mut self.description, None, |_| {}),
        );
        ui.add_space(theme::SECTION_GAP);
    }

    /// Prefilled and rarely changed, so they come after the fields every order needs: the
    /// common path is card, amount, customer, Enter. The amount shows its currency anyway.
    fn options_ui(&mut self, ui: &mut Ui, inputs: &mut Vec<Response>) {
        ui.label(RichText::new("Options").strong());
        let currency_note =
            Currency::parse(&self.currency).err().map(|e| Note::Error(capitalise(&e.to_string())));
        inputs.push(
            TextField::new("Currency", self.ids().currency)
                .width(theme::SHORT_FIELD_WIDTH)
                .char_limit(3)
                .show(ui, &mut self.currency, currency_note.as_ref(), |_| {}),
        );
        inputs.push(row(ui, "", |ui, _| {
            ui.checkbox(&mut self.authorize_only, "Authorize only (capture later)")
        }));
        ui.add_space(theme::SECTION_GAP);
    }
}
