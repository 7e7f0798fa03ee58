//! "Add agreement": with the customer on the line, take the first payment from their saved card
//! with the agreement's set-up fields (spec 3.4), read back before it is sent, and register the
//! agreement under the id APS returns (or the merchant's own). Unticked, "Take the first payment
//! now" enters an agreement already set up with APS, and nothing is charged.

use super::super::Call;
use crate::aps::field::Field;
use crate::aps::money::{Currency, Money};
use crate::service::{AgreementDraft, AgreementSetUp, ServiceError, check_agreement};
use crate::ui::env::{ActiveProfile, Env};
use crate::ui::theme;
use crate::ui::widgets::confirm::ReadBack;
use crate::ui::widgets::field::{Note, TextField, capitalise, row};
use crate::ui::widgets::outcome::{outcome_ui, outcome_view};
use crate::ui::widgets::submit::{Action, Finish, Submission, SubmitFlow, finish_of};
use egui::{Id, Response, RichText, Ui};

fn id(name: &str) -> Id {
    Id::unique(("recurring_add", name))
}

/// The form, open or closed, and what the last save said.
pub(super) struct AddForm {
    open: bool,
    focus: bool,
    draft: Fields,
    /// The first payment, through the shared submit flow (read-back, duplicate guard, outcome).
    flow: SubmitFlow,
    set_up: Submission<AgreementSetUp>,
    /// An agreement already set up with APS: saved without a payment.
    save: Call<Result<i64, ServiceError>>,
    /// The field the service refused and why, or a message for the whole form.
    problem: Option<(Option<Field>, String)>,
    saved: Option<String>,
}

impl Default for AddForm {
    fn default() -> Self {
        Self {
            open: false,
            focus: false,
            draft: Fields::default(),
            flow: SubmitFlow::new(id("flow")),
            set_up: Submission::default(),
            save: Call::default(),
            problem: None,
            saved: None,
        }
    }
}

#[derive(Default)]
struct Fields {
    first_payment: bool,
    token: String,
    agreement_id: String,
    email: String,
    name: String,
    amount: String,
    currency: String,
    cycle: String,
    variable: bool,
    payments: String,
    until: String,
    first_due: String,
}

impl Fields {
    fn draft(&self, allow_duplicate: bool) -> AgreementDraft {
        AgreementDraft {
            token_name: self.token.trim().to_owned(),
            agreement_id: self.agreement_id.trim().to_owned(),
            customer_email: self.email.trim().to_owned(),
            customer_name: self.name.trim().to_owned(),
            amount: self.amount.trim().to_owned(),
            currency: self.currency.trim().to_owned(),
            cycle: self.cycle.trim().to_owned(),
            first_due: if self.first_payment { String::new() } else { self.first_due.trim().to_owned() },
            mode: if self.variable { "variable" } else { "fixed" }.to_owned(),
            payments: self.payments.trim().to_owned(),
            until: self.until.trim().to_owned(),
            allow_duplicate,
        }
    }
}

impl AddForm {
    /// Esc closes the read-back first, then the form; true when it closed something.
    pub(super) fn escape(&mut self) -> bool {
        self.flow.escape() || std::mem::take(&mut self.open)
    }

    /// Draws the button, and the form when open. True once an agreement was saved (the list
    /// should be read again).
    pub(super) fn ui(&mut self, ui: &mut Ui, env: &Env<'_>) -> bool {
        let saved = self.poll();
        let action = self.flow.keys(ui);
        self.act(ui, env, action);
        if let Some(view) = self.flow.outcome() {
            outcome_ui(ui, "first_payment", view);
        }
        if let Some(message) = &self.saved {
            ui.label(RichText::new(message).color(theme::APPROVED));
        }
        if !self.open {
            if ui.button("Add agreement...").clicked() {
                self.open_form(env);
            }
            return saved;
        }
        ui.label(RichText::new("Add agreement").strong());
        let inputs = self.fields_ui(ui);
        if let Some((None, message)) = &self.problem {
            ui.label(RichText::new(message).color(theme::ERROR_TEXT));
        }
        self.flow.error_ui(ui);
        let label =
            if self.draft.first_payment { "Review the first payment (Enter)" } else { "Save agreement" };
        let busy = self.set_up.busy() || self.save.busy();
        ui.horizontal(|ui| {
            ui.add_space(theme::LABEL_WIDTH + ui.spacing().item_spacing.x);
            if ui.add_enabled(!busy, egui::Button::new(RichText::new(label).strong())).clicked() {
                self.review(ui, env);
            }
            if ui.button("Close (Esc)").clicked() {
                self.open = false;
            }
        });
        self.flow.track(ui, &inputs);
        let action = self.flow.dialogs_ui(ui, "Take the first payment (Enter)");
        self.act(ui, env, action);
        saved
    }

    fn open_form(&mut self, env: &Env<'_>) {
        self.draft = Fields {
            first_payment: true,
            currency: env.profile.default_currency.code().to_owned(),
            cycle: "monthly".to_owned(),
            ..Fields::default()
        };
        self.problem = None;
        self.saved = None;
        self.flow.reset();
        self.open = true;
        self.focus = true;
    }

    fn act(&mut self, ui: &Ui, env: &Env<'_>, action: Option<Action>) {
        match action {
            Some(Action::Review) => self.review(ui, env),
            Some(Action::Send { allow_duplicate }) => self.send(env, allow_duplicate),
            Some(Action::Next) => {
                self.flow.reset();
                self.open_form(env);
            }
            None => {}
        }
    }

    /// Checks every field (nothing is sent); the first payment then goes to its read-back, an
    /// existing agreement is saved at once.
    fn review(&mut self, ui: &Ui, env: &Env<'_>) {
        let draft = self.draft.draft(false);
        if let Err(e) = check_agreement(&draft, self.draft.first_payment) {
            self.refused(e);
            return;
        }
        self.problem = None;
        if !self.draft.first_payment {
            let profile = env.profile.name.clone();
            self.save.start(
                env.service
                    .run(move |service, _| async move { service.add_agreement(&profile, draft).await }),
            );
            return;
        }
        match self.read_back(env.profile) {
            Some(read_back) => self.flow.confirm(ui, read_back),
            None => self.problem = Some((Some(Field::Amount), "type the amount, e.g. 49.00".into())),
        }
    }

    fn read_back(&self, profile: &ActiveProfile) -> Option<ReadBack> {
        let d = &self.draft;
        let money = Money::parse(d.amount.trim(), Currency::parse(d.currency.trim()).ok()?).ok()?;
        let ends = match (d.payments.trim(), d.until.trim()) {
            ("", until) => format!("last payment by {until}"),
            (count, _) => format!("{count} payments in all, this one included"),
        };
        let mut details = vec![(
            "Then".to_owned(),
            format!(
                "{} ({}), {ends}",
                d.cycle.trim(),
                if d.variable { "variable amount" } else { "same amount" }
            ),
        )];
        if !d.agreement_id.trim().is_empty() {
            details.push(("Agreement ID".to_owned(), d.agreement_id.trim().to_owned()));
        }
        let customer = match d.name.trim() {
            "" => d.email.trim().to_owned(),
            name => format!("{name} <{}>", d.email.trim()),
        };
        Some(ReadBack {
            operation: "First payment of a recurring agreement".to_owned(),
            money,
            payment: format!("Saved card {}", d.token.trim()),
            customer,
            details,
            profile: profile.name.clone(),
            merchant_identifier: profile.merchant_identifier.clone(),
            environment: profile.environment,
            warnings: Vec::new(),
        })
    }

    fn send(&mut self, env: &Env<'_>, allow_duplicate: bool) {
        let draft = self.draft.draft(allow_duplicate);
        let profile = env.profile.name.clone();
        let task = env.service.run(move |service, progress| async move {
            service.set_up_agreement(&profile, draft, &progress).await
        });
        self.set_up.start(&mut self.flow, task);
    }

    fn refused(&mut self, e: ServiceError) {
        self.problem = Some(match e {
            ServiceError::Invalid { field, message } => (Some(field), message),
            other => (None, capitalise(&other.to_string())),
        });
    }

    /// True when an agreement was saved.
    fn poll(&mut self) -> bool {
        if let Some(result) = self.set_up.poll(&mut self.flow) {
            let registered = result.as_ref().ok().and_then(|s| Some((s.agreement?, s.agreement_id.clone()?)));
            if let Err(ServiceError::Invalid { field, message }) = &result {
                self.problem = Some((Some(*field), message.clone()));
            }
            self.flow.finish(match result {
                Ok(set_up) => Finish::Outcome(outcome_view(&set_up.outcome)),
                Err(e) => finish_of(Err(e)),
            });
            if let Some((id, aps)) = registered {
                self.saved = Some(format!("Agreement {id} registered with APS as {aps}."));
                self.open = false;
                return true;
            }
        }
        match self.save.poll() {
            Some(Ok(id)) => {
                self.saved = Some(format!("Agreement {id} added."));
                self.open = false;
                true
            }
            Some(Err(e)) => {
                self.refused(e);
                false
            }
            None => false,
        }
    }

    fn fields_ui(&mut self, ui: &mut Ui) -> Vec<Response> {
        let note = |field: Field, problem: &Option<(Option<Field>, String)>| match problem {
            Some((Some(f), message)) if *f == field => Some(Note::Error(capitalise(message))),
            _ => None,
        };
        let p = &self.problem;
        let d = &mut self.draft;
        let mut inputs = Vec::new();
        inputs.push(row(ui, "", |ui, _| ui.checkbox(&mut d.first_payment, "Take the first payment now")));
        let first = TextField::new("Stored card (token)", id("token")).show(
            ui,
            &mut d.token,
            note(Field::TokenName, p).as_ref(),
            |_| {},
        );
        if std::mem::take(&mut self.focus) {
            first.request_focus();
        }
        inputs.push(first);
        let agreement_hint = if d.first_payment {
            "your own id, or empty: APS gives one"
        } else {
            "from the customer's first payment"
        };
        let mut fields: Vec<(&str, &str, &mut String, Field, &str)> = vec![
            ("APS agreement ID", "agreement_id", &mut d.agreement_id, Field::AgreementId, agreement_hint),
            ("Customer email", "email", &mut d.email, Field::CustomerEmail, ""),
            ("Customer name", "name", &mut d.name, Field::CustomerName, ""),
            ("Amount", "amount", &mut d.amount, Field::Amount, "e.g. 49.00"),
            ("Currency", "currency", &mut d.currency, Field::Currency, "e.g. AED"),
            (
                "Every",
                "cycle",
                &mut d.cycle,
                Field::IntervalDays,
                "daily, weekly, monthly, annual or a number of days",
            ),
            (
                "Payments in all",
                "payments",
                &mut d.payments,
                Field::RecurringTransactionsCount,
                "e.g. 12, this one included",
            ),
            ("Or last payment by", "until", &mut d.until, Field::RecurringExpiryDate, "YYYY-MM-DD"),
        ];
        if !d.first_payment {
            fields.push((
                "First charge",
                "first_due",
                &mut d.first_due,
                Field::FirstDue,
                "YYYY-MM-DD, empty for today",
            ));
        }
        for (label, key, text, field, hint) in fields {
            inputs.push(TextField::new(label, id(key)).hint(hint).show(
                ui,
                text,
                note(field, p).as_ref(),
                |_| {},
            ));
        }
        if d.first_payment {
            inputs.push(row(ui, "Amount each time", |ui, _| {
                ui.radio_value(&mut d.variable, false, "The same (fixed)")
                    | ui.radio_value(&mut d.variable, true, "May vary (variable)")
            }));
        }
        let hint = if d.first_payment {
            "The first payment is read back before it is taken; the next falls due one cycle later."
        } else {
            "Nothing is charged now: the agreement is charged when it falls due."
        };
        row(ui, "", |ui, _| ui.label(RichText::new(hint).color(theme::HINT_TEXT).small()));
        inputs
    }
}
