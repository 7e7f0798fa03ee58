//! The order desk: turns the confirmed form into a [`ChargeDraft`], runs the charge as a task
//! polled each frame, looks tokens up in the token book as the agent types, and feeds every
//! answer back to the form.

use super::{FormEvent, OrderChannel, OrderForm, PaymentMode};
use crate::aps::command::ChargeKind;
use crate::service::{CardDraft, Channel, ChargeDraft, MailDetails, Outcome, PaymentDraft, ServiceError};
use crate::ui::call::Call;
use crate::ui::env::{ActiveProfile, AppCommand, Env, ScreenId};
use crate::ui::widgets::submit::{Submission, finish_of};
use crate::ui::widgets::token::TokenChoice;
use zeroize::Zeroizing;

type TokenAnswer = (String, Result<Vec<TokenChoice>, ServiceError>);

/// An order form with its service calls.
pub struct OrderDesk {
    pub form: OrderForm,
    charge: Submission<Outcome>,
    token_search: Call<TokenAnswer>,
    /// A search asked for while another was running; only the latest text matters.
    next_search: Option<String>,
}

impl OrderDesk {
    pub fn new(channel: OrderChannel, salt: &str, profile: &ActiveProfile) -> Self {
        Self {
            form: OrderForm::new(channel, salt, profile),
            charge: Submission::default(),
            token_search: Call::default(),
            next_search: None,
        }
    }

    /// True while a charge is with the service.
    pub fn in_flight(&self) -> bool {
        self.charge.busy()
    }

    pub fn ui(&mut self, ui: &mut egui::Ui, env: &mut Env<'_>) {
        self.poll(ui.ctx());
        for event in self.form.ui(ui, env) {
            match event {
                FormEvent::Submit { allow_duplicate } => self.submit(env, allow_duplicate),
                FormEvent::SearchTokens(query) => self.search(env, query),
                FormEvent::OpenOperations(merchant_reference) => {
                    env.commands
                        .push(AppCommand::OpenOrder { screen: ScreenId::Operations, merchant_reference });
                }
            }
        }
        // A search typed while the previous one ran goes out once that one has answered.
        if !self.token_search.busy()
            && let Some(query) = self.next_search.take()
        {
            self.search(env, query);
        }
    }

    fn poll(&mut self, ctx: &egui::Context) {
        if let Some(result) = self.charge.poll(&mut self.form.flow) {
            self.form.finish(ctx, finish_of(result));
        }
        if let Some((query, answer)) = self.token_search.poll() {
            // An error leaves the list empty and is said under the field; the typed text then
            // counts as a token name, and the charge itself reports a wrong one.
            if self.form.token.query.trim() == query {
                match answer {
                    Ok(choices) => self.form.token.set_choices(query, choices),
                    Err(e) => {
                        log::warn!("token book search failed: {e}");
                        self.form.token.set_failure(query, e.to_string());
                    }
                }
            }
        }
    }

    fn search(&mut self, env: &Env<'_>, query: String) {
        if self.token_search.busy() {
            self.next_search = Some(query);
            return;
        }
        if query.is_empty() {
            self.form.token.set_choices(query, Vec::new());
            return;
        }
        let profile = env.profile.name.clone();
        self.form.token.searching = true;
        self.token_search.start(env.service.run(move |service, _| async move {
            let answer = service.tokens(&profile, &query).await.map(|records| {
                records
                    .into_iter()
                    .map(|t| TokenChoice {
                        token_name: t.token_name,
                        masked_card: t.masked_card.unwrap_or_default(),
                        status: t.status,
                        customers: t.customers,
                    })
                    .collect()
            });
            (query, answer)
        }));
    }

    /// Sends the confirmed order. The form is in flight until the task answers; no second
    /// submission can start meanwhile.
    fn submit(&mut self, env: &Env<'_>, allow_duplicate: bool) {
        let draft = self.draft(env.profile, allow_duplicate);
        let task =
            env.service.run(move |service, progress| async move { service.charge(draft, &progress).await });
        self.charge.start(&mut self.form.flow, task);
    }

    fn draft(&self, profile: &ActiveProfile, allow_duplicate: bool) -> ChargeDraft {
        let form = &self.form;
        let mut draft = ChargeDraft::new(&profile.name, form.currency.trim());
        draft.kind = if form.authorize_only { ChargeKind::AuthorizeOnly } else { ChargeKind::Sale };
        draft.amount = form.amount.trim().to_owned();
        draft.payment = match form.payment_mode {
            PaymentMode::Token => PaymentDraft::Token(form.token.selected_name().unwrap_or_default()),
            PaymentMode::Card => PaymentDraft::Card(CardDraft {
                number: Zeroizing::new(form.card.number().as_str().to_owned()),
                expiry: form.card.expiry().trim().to_owned(),
                cvv: Zeroizing::new(form.card.cvv().as_str().to_owned()),
                holder_name: form.card.holder_name.trim().to_owned(),
                remember: form.card.remember,
            }),
        };
        draft.customer_email = form.customer.email.trim().to_owned();
        draft.customer_name = form.customer.name.trim().to_owned();
        draft.description = form.description.trim().to_owned();
        draft.allow_duplicate = allow_duplicate;
        match form.channel() {
            OrderChannel::Phone => {
                draft.channel = Channel::Phone;
                draft.phone_number = form.customer.phone.trim().to_owned();
            }
            OrderChannel::Mail => {
                draft.channel = Channel::Mail;
                draft.mail = Some(MailDetails {
                    order_date: form.mail.order_date.trim().to_owned(),
                    slip_number: form.mail.slip_number.trim().to_owned(),
                    postal_address: form.mail.postal_address.trim().to_owned(),
                });
            }
        }
        draft
    }

    /// A fresh order (Ctrl+N, "New order"), unless one is in flight.
    pub fn new_order(&mut self, ctx: &egui::Context) {
        if !self.in_flight() {
            self.form.new_order(ctx);
        }
    }
}

impl crate::ui::screens::Screen for OrderDesk {
    fn ui(&mut self, ui: &mut egui::Ui, env: &mut Env<'_>) {
        OrderDesk::ui(self, ui, env);
    }

    fn escape(&mut self) -> bool {
        self.form.escape()
    }

    fn opened(&mut self, _ctx: &egui::Context) {
        self.form.focus_first_field();
    }

    fn wipe_secrets(&mut self, ctx: &egui::Context) {
        self.form.wipe_card(ctx);
    }

    fn sending(&self) -> bool {
        self.in_flight()
    }
}
