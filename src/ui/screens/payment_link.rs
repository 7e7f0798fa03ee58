//! Payment link: when the customer would rather pay themselves, turn the order into an APS
//! payment link sent by email or SMS, and follow the links sent (open, paid, expired).

use super::{Call, Screen};
use crate::aps::command::{ChargeKind, Notification};
use crate::aps::money::Currency;
use crate::service::{LinkDraft, LinkRow, Outcome, ServiceError};
use crate::ui::env::{ActiveProfile, AppCommand, Env};
use crate::ui::format::{local_minute, money_text};
use crate::ui::theme;
use crate::ui::widgets::confirm::ReadBack;
use crate::ui::widgets::customer::{Customer, CustomerIds};
use crate::ui::widgets::field::{Note, TextField, capitalise, row};
use crate::ui::widgets::money::{money_field, parse_amount};
use crate::ui::widgets::outcome::outcome_ui;
use crate::ui::widgets::submit::{Action, Submission, SubmitFlow, finish_of};
use crate::ui::widgets::table::striped_table;
use egui::{Id, Response, RichText, Ui};

/// The order details a link can be made from (copied from the phone order).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LinkPrefill {
    pub amount: String,
    pub currency: String,
    pub customer: Customer,
    pub description: String,
}

pub struct PaymentLinkScreen {
    amount: String,
    currency: String,
    customer: Customer,
    description: String,
    notification: Notification,
    authorize_only: bool,
    valid_hours: String,
    flow: SubmitFlow,
    create: Submission<Outcome>,
    links: Vec<LinkRow>,
    list: Call<Result<Vec<LinkRow>, ServiceError>>,
    list_error: Option<String>,
    reload: bool,
    focus: bool,
    show_errors: bool,
}

fn id(name: &str) -> Id {
    Id::unique(("payment_link", name))
}

impl PaymentLinkScreen {
    pub fn new(profile: &ActiveProfile) -> Self {
        Self {
            amount: String::new(),
            currency: profile.default_currency.code().to_owned(),
            customer: Customer::default(),
            description: String::new(),
            notification: Notification::Email,
            authorize_only: false,
            valid_hours: "72".to_owned(),
            flow: SubmitFlow::new(id("flow")),
            create: Submission::default(),
            links: Vec::new(),
            list: Call::default(),
            list_error: None,
            reload: true,
            focus: true,
            show_errors: false,
        }
    }

    /// Fills the form from an order the agent was taking.
    pub fn prefill(&mut self, order: LinkPrefill) {
        let LinkPrefill { amount, currency, customer, description } = order;
        self.amount = amount;
        self.currency = currency;
        self.customer = customer;
        self.description = description;
        self.flow.reset();
    }

    fn read_back(&self, profile: &ActiveProfile) -> Result<ReadBack, String> {
        let currency = Currency::parse(&self.currency).ok();
        let money = parse_amount(&self.amount, currency).map_err(|e| capitalise(&e.to_string()))?;
        self.customer.check().map_err(|(_, message)| message)?;
        let sms = matches!(self.notification, Notification::Sms | Notification::EmailAndSms);
        if sms && self.customer.phone.trim().is_empty() {
            return Err("Customer phone is needed to send the link by SMS".to_owned());
        }
        let hours: u32 = self
            .valid_hours
            .trim()
            .parse()
            .ok()
            .filter(|h| (1..=720).contains(h))
            .ok_or_else(|| "Valid for must be a number of hours from 1 to 720".to_owned())?;
        let (email, phone) = (self.customer.email.trim(), self.customer.phone.trim());
        let sent_by = match self.notification {
            Notification::Email => format!("email to {email}"),
            Notification::Sms => format!("SMS to {phone}"),
            Notification::EmailAndSms => format!("email to {email} and SMS to {phone}"),
            Notification::None => "not sent: copy the link to the customer yourself".to_owned(),
        };
        let mut details = vec![("Valid for".to_owned(), format!("{hours} hours"))];
        if !self.description.trim().is_empty() {
            details.push(("Description".to_owned(), self.description.trim().to_owned()));
        }
        Ok(ReadBack {
            operation: format!(
                "Payment link ({})",
                if self.authorize_only { "authorize only" } else { "sale" }
            ),
            money,
            payment: format!("Link sent by {sent_by}"),
            customer: self.customer.read_back(),
            details,
            profile: profile.name.clone(),
            merchant_identifier: profile.merchant_identifier.clone(),
            environment: profile.environment,
            warnings: Vec::new(),
        })
    }

    fn try_review(&mut self, ui: &Ui, profile: &ActiveProfile) {
        self.show_errors = true;
        match self.read_back(profile) {
            Ok(read_back) => self.flow.confirm(ui, read_back),
            Err(message) => self.flow.set_error(message),
        }
    }

    fn act(&mut self, ui: &Ui, env: &Env<'_>, action: Option<Action>) {
        match action {
            Some(Action::Review) => self.try_review(ui, env.profile),
            Some(Action::Send { .. }) => self.submit(env),
            Some(Action::Next) => {
                // A link was sent: the next one starts empty, so that Enter, Enter never sends
                // the same link again (the way, validity and currency stay as chosen).
                self.amount.clear();
                self.customer = Customer::default();
                self.description.clear();
                self.show_errors = false;
                self.flow.reset();
                self.focus = true;
            }
            None => {}
        }
    }

    fn submit(&mut self, env: &Env<'_>) {
        let draft = LinkDraft {
            amount: self.amount.trim().to_owned(),
            currency: self.currency.trim().to_owned(),
            customer_email: self.customer.email.trim().to_owned(),
            customer_name: self.customer.name.trim().to_owned(),
            customer_phone: self.customer.phone.trim().to_owned(),
            description: self.description.trim().to_owned(),
            notification: self.notification,
            kind: if self.authorize_only { ChargeKind::AuthorizeOnly } else { ChargeKind::Sale },
            valid_hours: self.valid_hours.trim().parse().unwrap_or(72),
            merchant_reference: String::new(),
        };
        let profile = env.profile.name.clone();
        let task = env.service.run(move |service, progress| async move {
            service.payment_link(&profile, draft, &progress).await
        });
        self.create.start(&mut self.flow, task);
    }

    fn poll(&mut self, env: &Env<'_>) {
        if let Some(result) = self.create.poll(&mut self.flow) {
            self.flow.finish(finish_of(result));
            self.reload = true;
        }
        if let Some(answer) = self.list.poll() {
            match answer {
                Ok(links) => {
                    self.links = links;
                    self.list_error = None;
                }
                Err(e) => self.list_error = Some(capitalise(&e.to_string())),
            }
        }
        if std::mem::take(&mut self.reload) {
            let profile = env.profile.name.clone();
            self.list.start(
                env.service.run(move |service, _| async move { service.refresh_links(&profile).await }),
            );
        }
    }

    fn form_ui(&mut self, ui: &mut Ui, env: &mut Env<'_>) {
        ui.horizontal(|ui| {
            ui.add_space(theme::LABEL_WIDTH + ui.spacing().item_spacing.x);
            if ui.button("Copy from the phone order").clicked() {
                env.commands.push(AppCommand::LinkFromPhoneOrder);
            }
        });
        let mut inputs = self.order_inputs(ui);
        row(ui, "Send by", |ui, _| {
            inputs.push(ui.radio_value(&mut self.notification, Notification::Email, "Email"));
            inputs.push(ui.radio_value(&mut self.notification, Notification::Sms, "SMS"));
            inputs.push(ui.radio_value(&mut self.notification, Notification::EmailAndSms, "Email and SMS"));
        });
        inputs.push(
            TextField::new("Valid for (hours)", id("hours"))
                .width(theme::SHORT_FIELD_WIDTH)
                .char_limit(3)
                .show(ui, &mut self.valid_hours, None, |_| {}),
        );
        inputs.push(row(ui, "", |ui, _| {
            ui.checkbox(&mut self.authorize_only, "Authorize only (capture later)")
        }));
        if let Some(error) = self.flow.error() {
            crate::ui::widgets::field::note_ui(ui, &Note::Error(error.to_owned()));
        }
        let review = ui.horizontal(|ui| {
            ui.add_space(theme::LABEL_WIDTH + ui.spacing().item_spacing.x);
            ui.add_enabled(
                !self.create.busy(),
                egui::Button::new(RichText::new("Review the link (Enter)").strong()),
            )
        });
        if review.inner.clicked() {
            self.try_review(ui, env.profile);
        }
        self.flow.track(ui, &inputs);
    }

    /// Amount, currency, customer and description.
    fn order_inputs(&mut self, ui: &mut Ui) -> Vec<Response> {
        let currency = Currency::parse(&self.currency).ok();
        let (amount, _) =
            money_field(ui, "Amount", id("amount"), &mut self.amount, currency, self.show_errors);
        if std::mem::take(&mut self.focus) {
            amount.request_focus();
        }
        let mut inputs = vec![amount];
        inputs.push(
            TextField::new("Currency", id("currency")).width(theme::SHORT_FIELD_WIDTH).char_limit(3).show(
                ui,
                &mut self.currency,
                None,
                |_| {},
            ),
        );
        let customer =
            self.customer.ui(ui, CustomerIds::new(id("customer")), Some("Customer phone"), self.show_errors);
        inputs.extend(customer.responses);
        inputs.push(TextField::new("Description", id("description")).char_limit(150).show(
            ui,
            &mut self.description,
            None,
            |_| {},
        ));
        inputs
    }

    fn links_ui(&mut self, ui: &mut Ui) {
        ui.horizontal(|ui| {
            ui.label(RichText::new("Links sent").strong().size(theme::HEADING_SIZE - 3.0));
            if ui.button("Refresh statuses").clicked() {
                self.reload = true;
            }
            if self.list.busy() {
                ui.spinner();
            }
        });
        if let Some(error) = &self.list_error {
            ui.label(error);
        }
        if self.links.is_empty() {
            ui.label(RichText::new("No payment links yet.").color(theme::HINT_TEXT));
            return;
        }
        let headers = ["Reference", "Amount", "Customer", "Status", "Expires", "Link"];
        striped_table(ui, id("links"), &headers, |ui| {
            for link in &self.links {
                ui.label(&link.merchant_reference);
                ui.label(money_text(link.amount_minor, link.currency));
                ui.label(&link.customer_email);
                ui.label(link.status.to_string());
                ui.label(local_minute(&link.expires_at));
                ui.label(link.url.as_deref().unwrap_or(""));
                ui.end_row();
            }
        });
    }
}

impl Screen for PaymentLinkScreen {
    fn ui(&mut self, ui: &mut Ui, env: &mut Env<'_>) {
        self.poll(env);
        let action = self.flow.keys(ui);
        self.act(ui, env, action);
        if let Some(view) = self.flow.outcome() {
            outcome_ui(ui, "link", view);
            ui.add_space(theme::ROW_GAP);
        }
        self.form_ui(ui, env);
        ui.add_space(theme::SECTION_GAP);
        ui.separator();
        self.links_ui(ui);
        let action = self.flow.dialogs_ui(ui, "Create and send (Enter)");
        self.act(ui, env, action);
    }

    fn escape(&mut self) -> bool {
        self.flow.escape()
    }

    fn opened(&mut self, _ctx: &egui::Context) {
        self.focus = true;
        self.reload = true;
    }
}
