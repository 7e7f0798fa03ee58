//! "Add agreement": the register's entry for an agreement the customer set up with APS (the
//! stored card, APS's agreement id, amount, cycle and first date). Nothing is charged here: the
//! agreement's charges run from the list when they fall due.

use super::super::Call;
use crate::aps::field::Field;
use crate::service::{AgreementDraft, ServiceError};
use crate::ui::env::Env;
use crate::ui::theme;
use crate::ui::widgets::field::{Note, TextField, capitalise, row};
use egui::{Id, RichText, Ui};

fn id(name: &str) -> Id {
    Id::unique(("recurring_add", name))
}

/// The form, open or closed, and what the last save said.
#[derive(Default)]
pub(super) struct AddForm {
    open: bool,
    focus: bool,
    draft: Fields,
    save: Call<Result<i64, ServiceError>>,
    /// The field the service refused and why, or a message for the whole form.
    problem: Option<(Option<Field>, String)>,
    saved: Option<i64>,
}

#[derive(Default)]
struct Fields {
    token: String,
    agreement_id: String,
    email: String,
    name: String,
    amount: String,
    currency: String,
    cycle: String,
    first_due: String,
}

impl AddForm {
    /// Esc closes the form first; true when it did.
    pub(super) fn escape(&mut self) -> bool {
        std::mem::take(&mut self.open)
    }

    /// Draws the button, and the form when open. True once an agreement was saved (the list
    /// should be read again).
    pub(super) fn ui(&mut self, ui: &mut Ui, env: &Env<'_>) -> bool {
        let saved = self.poll();
        if !self.open {
            if ui.button("Add agreement...").clicked() {
                self.open_form(env);
            }
            if let Some(id) = self.saved {
                ui.label(RichText::new(format!("Agreement {id} added.")).color(theme::APPROVED));
            }
            return saved;
        }
        ui.label(RichText::new("Add agreement").strong());
        self.fields_ui(ui);
        if let Some((None, message)) = &self.problem {
            ui.label(RichText::new(message).color(theme::ERROR_TEXT));
        }
        ui.horizontal(|ui| {
            ui.add_space(theme::LABEL_WIDTH + ui.spacing().item_spacing.x);
            if ui.add_enabled(!self.save.busy(), egui::Button::new("Save agreement")).clicked() {
                self.submit(env);
            }
            if ui.button("Close (Esc)").clicked() {
                self.open = false;
            }
        });
        saved
    }

    fn open_form(&mut self, env: &Env<'_>) {
        self.draft = Fields {
            currency: env.profile.default_currency.code().to_owned(),
            cycle: "monthly".to_owned(),
            ..Fields::default()
        };
        self.problem = None;
        self.saved = None;
        self.open = true;
        self.focus = true;
    }

    fn fields_ui(&mut self, ui: &mut Ui) {
        let note = |field: Field, problem: &Option<(Option<Field>, String)>| match problem {
            Some((Some(f), message)) if *f == field => Some(Note::Error(capitalise(message))),
            _ => None,
        };
        let p = &self.problem;
        let d = &mut self.draft;
        let first = TextField::new("Stored card (token)", id("token")).show(
            ui,
            &mut d.token,
            note(Field::TokenName, p).as_ref(),
            |_| {},
        );
        if std::mem::take(&mut self.focus) {
            first.request_focus();
        }
        let fields: [(&str, &str, &mut String, Field, &str); 7] = [
            (
                "APS agreement ID",
                "agreement_id",
                &mut d.agreement_id,
                Field::AgreementId,
                "from the customer's first payment",
            ),
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
            ("First charge", "first_due", &mut d.first_due, Field::FirstDue, "YYYY-MM-DD, empty for today"),
        ];
        for (label, key, text, field, hint) in fields {
            TextField::new(label, id(key)).hint(hint).show(ui, text, note(field, p).as_ref(), |_| {});
        }
        row(ui, "", |ui, _| {
            ui.label(
                RichText::new("Nothing is charged now: the agreement is charged when it falls due.")
                    .color(theme::HINT_TEXT)
                    .small(),
            )
        });
    }

    fn submit(&mut self, env: &Env<'_>) {
        let d = &self.draft;
        let draft = AgreementDraft {
            token_name: d.token.trim().to_owned(),
            agreement_id: d.agreement_id.trim().to_owned(),
            customer_email: d.email.trim().to_owned(),
            customer_name: d.name.trim().to_owned(),
            amount: d.amount.trim().to_owned(),
            currency: d.currency.trim().to_owned(),
            cycle: d.cycle.trim().to_owned(),
            first_due: d.first_due.trim().to_owned(),
        };
        let profile = env.profile.name.clone();
        self.problem = None;
        self.save.start(
            env.service.run(move |service, _| async move { service.add_agreement(&profile, draft).await }),
        );
    }

    fn poll(&mut self) -> bool {
        match self.save.poll() {
            Some(Ok(id)) => {
                self.saved = Some(id);
                self.open = false;
                true
            }
            Some(Err(ServiceError::Invalid { field, message })) => {
                self.problem = Some((Some(field), message));
                false
            }
            Some(Err(e)) => {
                self.problem = Some((None, capitalise(&e.to_string())));
                false
            }
            None => false,
        }
    }
}
