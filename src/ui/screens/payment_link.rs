//! Payment link: when the customer would rather pay themselves, turn the order into an APS
//! payment link sent by email or SMS, and follow the links sent (open, paid, expired).

use super::{Call, Screen, finish_of, outcome_kind_of_stage};
use crate::aps::command::{ChargeKind, Notification};
use crate::aps::money::Currency;
use crate::service::{LinkDraft, LinkRow, Outcome, ServiceError};
use crate::ui::env::{ActiveProfile, AppCommand, Env};
use crate::ui::screens::history::money_text;
use crate::ui::screens::order_form::{Finish, check_email};
use crate::ui::theme;
use crate::ui::widgets::confirm::{ConfirmChoice, ReadBack, read_back_ui};
use crate::ui::widgets::field::{Note, TextField, capitalise, row};
use crate::ui::widgets::money::{money_field, parse_amount};
use crate::ui::widgets::outcome::{OutcomeKind, OutcomeView, outcome_ui};
use egui::{Id, Key, Modifiers, RichText, Ui};

/// The order details a link can be made from (copied from the phone order).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LinkPrefill {
    pub amount: String,
    pub currency: String,
    pub customer_email: String,
    pub customer_name: String,
    pub customer_phone: String,
    pub description: String,
}

pub struct PaymentLinkScreen {
    pub amount: String,
    pub currency: String,
    pub customer_email: String,
    pub customer_name: String,
    pub customer_phone: String,
    pub description: String,
    pub notification: Notification,
    pub authorize_only: bool,
    pub valid_hours: String,
    confirming: Option<ReadBack>,
    create: Call<Result<Outcome, ServiceError>>,
    outcome: Option<OutcomeView>,
    error: Option<String>,
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
            customer_email: String::new(),
            customer_name: String::new(),
            customer_phone: String::new(),
            description: String::new(),
            notification: Notification::Email,
            authorize_only: false,
            valid_hours: "72".to_owned(),
            confirming: None,
            create: Call::default(),
            outcome: None,
            error: None,
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
        let LinkPrefill { amount, currency, customer_email, customer_name, customer_phone, description } =
            order;
        self.amount = amount;
        self.currency = currency;
        self.customer_email = customer_email;
        self.customer_name = customer_name;
        self.customer_phone = customer_phone;
        self.description = description;
        self.outcome = None;
        self.error = None;
    }

    fn read_back(&self, profile: &ActiveProfile) -> Result<ReadBack, String> {
        let currency = Currency::parse(&self.currency).ok();
        let money = parse_amount(&self.amount, currency).map_err(|e| capitalise(&e.to_string()))?;
        check_email(&self.customer_email)?;
        let sms = matches!(self.notification, Notification::Sms | Notification::EmailAndSms);
        if sms && self.customer_phone.trim().is_empty() {
            return Err("Customer phone is needed to send the link by SMS".to_owned());
        }
        let hours: u32 = self
            .valid_hours
            .trim()
            .parse()
            .ok()
            .filter(|h| (1..=720).contains(h))
            .ok_or_else(|| "Valid for must be a number of hours from 1 to 720".to_owned())?;
        let sent_by = match self.notification {
            Notification::Email => format!("email to {}", self.customer_email.trim()),
            Notification::Sms => format!("SMS to {}", self.customer_phone.trim()),
            Notification::EmailAndSms => {
                format!("email to {} and SMS to {}", self.customer_email.trim(), self.customer_phone.trim())
            }
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
            customer: match self.customer_name.trim() {
                "" => self.customer_email.trim().to_owned(),
                name => format!("{name} <{}>", self.customer_email.trim()),
            },
            details,
            profile: profile.name.clone(),
            merchant_identifier: profile.merchant_identifier.clone(),
            environment: profile.environment,
            warnings: Vec::new(),
        })
    }

    fn try_review(&mut self, profile: &ActiveProfile) {
        self.show_errors = true;
        match self.read_back(profile) {
            Ok(read_back) => {
                self.error = None;
                self.confirming = Some(read_back);
            }
            Err(message) => self.error = Some(message),
        }
    }

    fn submit(&mut self, env: &Env<'_>) {
        self.confirming = None;
        if self.create.busy() {
            return;
        }
        let draft = LinkDraft {
            amount: self.amount.trim().to_owned(),
            currency: self.currency.trim().to_owned(),
            customer_email: self.customer_email.trim().to_owned(),
            customer_name: self.customer_name.trim().to_owned(),
            customer_phone: self.customer_phone.trim().to_owned(),
            description: self.description.trim().to_owned(),
            notification: self.notification,
            kind: if self.authorize_only { ChargeKind::AuthorizeOnly } else { ChargeKind::Sale },
            valid_hours: self.valid_hours.trim().parse().unwrap_or(72),
            merchant_reference: String::new(),
        };
        let profile = env.profile.name.clone();
        self.outcome = Some(OutcomeView::in_progress(OutcomeKind::Sending));
        self.create.start(env.service.run(move |service, progress| async move {
            service.payment_link(&profile, draft, &progress).await
        }));
    }

    fn poll(&mut self, env: &Env<'_>) {
        if let Some(result) = self.create.poll() {
            match finish_of(result) {
                Finish::Outcome(view) => self.outcome = Some(view),
                Finish::Invalid { message, .. } | Finish::NotSent(message) | Finish::Duplicate(message) => {
                    self.outcome = None;
                    self.error = Some(format!("Not sent. {}", capitalise(&message)));
                }
            }
            self.reload = true;
        } else if let (Some(stage), Some(view)) = (self.create.stage(), &mut self.outcome)
            && view.kind.in_progress()
        {
            *view = OutcomeView::in_progress(outcome_kind_of_stage(&stage));
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
        let mut inputs = Vec::new();
        ui.horizontal(|ui| {
            ui.add_space(theme::LABEL_WIDTH + ui.spacing().item_spacing.x);
            if ui.button("Copy from the phone order").clicked() {
                env.commands.push(AppCommand::LinkFromPhoneOrder);
            }
        });
        let currency = Currency::parse(&self.currency).ok();
        let (amount, _) =
            money_field(ui, "Amount", id("amount"), &mut self.amount, currency, self.show_errors);
        if std::mem::take(&mut self.focus) {
            amount.request_focus();
        }
        inputs.push(amount);
        inputs.push(
            TextField::new("Currency", id("currency")).width(theme::SHORT_FIELD_WIDTH).char_limit(3).show(
                ui,
                &mut self.currency,
                None,
                |_| {},
            ),
        );
        inputs.push(TextField::new("Customer email", id("email")).char_limit(254).show(
            ui,
            &mut self.customer_email,
            None,
            |_| {},
        ));
        inputs.push(TextField::new("Customer name", id("name")).char_limit(40).show(
            ui,
            &mut self.customer_name,
            None,
            |_| {},
        ));
        inputs.push(
            TextField::new("Customer phone", id("phone")).hint("digits, for SMS").char_limit(19).show(
                ui,
                &mut self.customer_phone,
                None,
                |_| {},
            ),
        );
        inputs.push(TextField::new("Description", id("description")).char_limit(150).show(
            ui,
            &mut self.description,
            None,
            |_| {},
        ));
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
        if let Some(error) = &self.error {
            crate::ui::widgets::field::note_ui(ui, &Note::Error(error.clone()));
        }
        let enter =
            inputs.iter().any(|r| r.has_focus() || r.lost_focus()) && ui.input(|i| i.key_pressed(Key::Enter));
        let review = ui.horizontal(|ui| {
            ui.add_space(theme::LABEL_WIDTH + ui.spacing().item_spacing.x);
            ui.add_enabled(
                !self.create.busy(),
                egui::Button::new(RichText::new("Review the link (Enter)").strong()),
            )
        });
        if (enter || review.inner.clicked()) && !self.create.busy() {
            self.try_review(env.profile);
        }
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
        egui::Grid::new(id("links")).striped(true).num_columns(6).spacing([14.0, 4.0]).show(ui, |ui| {
            for head in ["Reference", "Amount", "Customer", "Status", "Expires", "Link"] {
                ui.label(RichText::new(head).strong());
            }
            ui.end_row();
            for link in &self.links {
                ui.label(&link.merchant_reference);
                ui.label(money_text(link.amount_minor, link.currency));
                ui.label(&link.customer_email);
                ui.label(link.status.to_string());
                ui.label(link.expires_at.with_timezone(&chrono::Local).format("%Y-%m-%d %H:%M").to_string());
                ui.label(link.url.as_deref().unwrap_or(""));
                ui.end_row();
            }
        });
    }
}

impl Screen for PaymentLinkScreen {
    fn ui(&mut self, ui: &mut Ui, env: &mut Env<'_>) {
        self.poll(env);
        if self.confirming.is_some()
            && ui.memory(|m| m.focused()).is_none()
            && ui.input_mut(|i| i.consume_key(Modifiers::NONE, Key::Enter))
        {
            self.submit(env);
        }
        if let Some(view) = &self.outcome {
            outcome_ui(ui, "link", view);
            ui.add_space(theme::ROW_GAP);
        }
        self.form_ui(ui, env);
        ui.add_space(theme::SECTION_GAP);
        ui.separator();
        self.links_ui(ui);
        if let Some(read_back) = &self.confirming {
            match read_back_ui(ui, id("read_back"), read_back, "Create and send (Enter)") {
                Some(ConfirmChoice::Confirm) => self.submit(env),
                Some(ConfirmChoice::Back) => self.confirming = None,
                None => {}
            }
        }
    }

    fn escape(&mut self) -> bool {
        self.confirming.take().is_some()
    }

    fn opened(&mut self, _ctx: &egui::Context) {
        self.focus = true;
        self.reload = true;
    }
}
