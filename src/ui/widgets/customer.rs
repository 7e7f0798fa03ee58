//! The customer fields every form that names a customer shares: email (APS requires it), name,
//! and where the form needs one a phone number; plus the line the read-back shows. The checks
//! are APS's own field rules (`aps::fields`), so the form and the service never disagree.

use super::field::{Note, TextField, capitalise};
use crate::aps::fields;
use crate::service::Field;
use egui::{Id, Response, Ui};

/// What the agent typed about the customer.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Customer {
    pub email: String,
    pub name: String,
    pub phone: String,
}

/// The widget ids of the customer inputs.
#[derive(Clone, Copy, Debug)]
pub struct CustomerIds {
    pub email: Id,
    pub name: Id,
    pub phone: Id,
}

impl CustomerIds {
    pub fn new(id: Id) -> Self {
        Self { email: id.with("customer_email"), name: id.with("customer_name"), phone: id.with("phone") }
    }
}

/// One of the customer inputs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    Email,
    Name,
    Phone,
}

impl CustomerIds {
    pub fn of(self, part: Part) -> Id {
        match part {
            Part::Email => self.email,
            Part::Name => self.name,
            Part::Phone => self.phone,
        }
    }
}

/// What the inputs did this frame.
pub struct CustomerInputs {
    /// In drawing order, for Enter and Tab handling.
    pub responses: Vec<Response>,
    /// The agent changed one of them.
    pub changed: bool,
}

/// `customer_email` as APS accepts it (spec 3.2, 7): required, letters, digits and `_ - . @ +`,
/// one `@` with text on both sides.
pub fn check_email(text: &str) -> Result<(), String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("Customer email is required by APS: ask the customer for it".to_owned());
    }
    aps_rule("Customer email", Field::CustomerEmail, text)
}

/// An optional field checked by its APS rule when something was typed.
fn check_optional(label: &str, field: Field, text: &str) -> Result<(), String> {
    match text.trim() {
        "" => Ok(()),
        text => aps_rule(label, field, text),
    }
}

fn aps_rule(label: &str, field: Field, text: &str) -> Result<(), String> {
    fields::check(field, text).map_err(|e| format!("{label} {}: {}", e.problem.phrase(), e.hint))
}

impl Customer {
    /// The first customer field APS would refuse, with what to do.
    pub fn check(&self) -> Result<(), (Part, String)> {
        check_email(&self.email).map_err(|m| (Part::Email, m))?;
        check_optional("Customer name", Field::CustomerName, &self.name).map_err(|m| (Part::Name, m))?;
        check_optional("Phone number", Field::PhoneNumber, &self.phone).map_err(|m| (Part::Phone, m))?;
        Ok(())
    }

    /// "Jane Doe <jane@example.com>", or the email alone.
    pub fn read_back(&self) -> String {
        let email = self.email.trim();
        match self.name.trim() {
            "" => email.to_owned(),
            name => format!("{name} <{email}>"),
        }
    }

    pub fn clear(&mut self) {
        self.email.clear();
        self.name.clear();
        self.phone.clear();
    }

    /// Draws email and name, and the phone when `phone_label` is given. Problems show under a
    /// field once something was typed, or for all once the agent tried to go on.
    pub fn ui(
        &mut self,
        ui: &mut Ui,
        ids: CustomerIds,
        phone_label: Option<&str>,
        show_errors: bool,
    ) -> CustomerInputs {
        let note = |result: Result<(), String>, text: &str| match result {
            Err(e) if show_errors || !text.trim().is_empty() => Some(Note::Error(capitalise(&e))),
            _ => None,
        };
        let email_note = note(check_email(&self.email), &self.email);
        let name_note = note(check_optional("Customer name", Field::CustomerName, &self.name), &self.name);
        let mut responses = vec![
            TextField::new("Customer email", ids.email).hint("name@example.com").char_limit(254).show(
                ui,
                &mut self.email,
                email_note.as_ref(),
                |_| {},
            ),
            TextField::new("Customer name", ids.name).char_limit(40).show(
                ui,
                &mut self.name,
                name_note.as_ref(),
                |_| {},
            ),
        ];
        if let Some(label) = phone_label {
            let phone_note =
                note(check_optional("Phone number", Field::PhoneNumber, &self.phone), &self.phone);
            responses.push(TextField::new(label, ids.phone).hint("+971 50 123 4567").char_limit(19).show(
                ui,
                &mut self.phone,
                phone_note.as_ref(),
                |_| {},
            ));
        }
        let changed = responses.iter().any(Response::changed);
        CustomerInputs { responses, changed }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_email_rule_is_aps_rule() {
        // One rule: what APS accepts, the form accepts (the old form refused a@b).
        assert!(check_email("a@b").is_ok());
        assert!(fields::check(Field::CustomerEmail, "a@b").is_ok());
        assert!(check_email("jane@example.com").is_ok());
        let missing = check_email("  ").unwrap_err();
        assert!(missing.starts_with("Customer email is required by APS"), "{missing}");
        let shape = check_email("jane.example.com").unwrap_err();
        assert!(shape.starts_with("Customer email has characters"), "{shape}");
        let chars = check_email("jane doe@example.com").unwrap_err();
        assert!(chars.starts_with("Customer email"), "{chars}");
    }

    #[test]
    fn optional_fields_are_checked_only_when_typed() {
        let mut customer = Customer { email: "jane@example.com".into(), ..Customer::default() };
        assert_eq!(customer.check(), Ok(()));
        customer.phone = "+971 50 #123".into();
        assert_eq!(customer.check().map_err(|(part, _)| part), Err(Part::Phone));
        customer.phone.clear();
        customer.name = "x".repeat(41);
        assert_eq!(customer.check().map_err(|(part, _)| part), Err(Part::Name));
    }

    #[test]
    fn the_read_back_names_the_customer() {
        let mut customer = Customer { email: " jane@example.com ".into(), ..Customer::default() };
        assert_eq!(customer.read_back(), "jane@example.com");
        customer.name = "Jane Doe".into();
        assert_eq!(customer.read_back(), "Jane Doe <jane@example.com>");
    }
}
