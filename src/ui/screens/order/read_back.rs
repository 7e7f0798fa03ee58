//! The order form's read-back: what the agent reads to the customer, built only from a form
//! that passes every check, or the first field that must be fixed.

use super::form::OrderForm;
use super::{OrderChannel, PaymentMode};
use crate::aps::money::{Currency, Money};
use crate::ui::env::ActiveProfile;
use crate::ui::format::{this_month, today_date};
use crate::ui::widgets::confirm::ReadBack;
use crate::ui::widgets::money::sanity_warning;
use crate::ui::widgets::token::TokenSelection;
use egui::Id;

/// A mail order's date: a real date, written YYYY-MM-DD, not in the future.
pub fn check_order_date(text: &str) -> Result<(), String> {
    let date = chrono::NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .map_err(|_| "Order date must be a date written YYYY-MM-DD, for example 2026-11-25".to_owned())?;
    if date > today_date() {
        return Err("Order date is in the future: type the date printed on the slip".to_owned());
    }
    Ok(())
}

impl OrderForm {
    /// Builds the read-back, or names the first field (its widget id) that must be fixed.
    pub fn read_back(&self, profile: &ActiveProfile) -> Result<ReadBack, Id> {
        let ids = self.ids();
        let mut details = self.slip_details()?;
        let payment = self.payment_line()?;
        let currency = Currency::parse(&self.currency).map_err(|_| ids.currency)?;
        let money = Money::parse(&self.amount, currency).map_err(|_| ids.amount)?;
        self.customer.check().map_err(|(part, _)| ids.customer.of(part))?;
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
            customer: self.customer.read_back(),
            details,
            profile: profile.name.clone(),
            merchant_identifier: profile.merchant_identifier.clone(),
            environment: profile.environment,
            warnings: sanity_warning(&self.amount, money).into_iter().collect(),
        })
    }

    /// The slip number and order date of a mail order.
    fn slip_details(&self) -> Result<Vec<(String, String)>, Id> {
        let mut details = Vec::new();
        if self.channel == OrderChannel::Mail {
            check_order_date(&self.mail.order_date).map_err(|_| self.ids().order_date)?;
            if !self.mail.slip_number.trim().is_empty() {
                details.push(("Slip number".to_owned(), self.mail.slip_number.trim().to_owned()));
            }
            details.push(("Order date".to_owned(), self.mail.order_date.trim().to_owned()));
        }
        Ok(details)
    }

    /// "Saved card ending 0001, token jane-visa" or the masked keyed card.
    fn payment_line(&self) -> Result<String, Id> {
        let ids = self.ids();
        match self.payment_mode {
            PaymentMode::Token => match self.token.selection() {
                TokenSelection::Choice(choice) if choice.is_active() => {
                    Ok(format!("Saved {}", choice.describe()))
                }
                TokenSelection::Choice(_) | TokenSelection::Nothing => Err(ids.token),
                TokenSelection::Typed(name) => Ok(format!("Saved card, token {name}")),
            },
            PaymentMode::Card => {
                let check = self.card.check(this_month());
                check.summary().ok_or(match (&check.number, &check.expiry) {
                    (Err(_), _) => ids.card.number,
                    (_, Err(_)) => ids.card.expiry,
                    _ => ids.card.cvv,
                })
            }
        }
    }
}
