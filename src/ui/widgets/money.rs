//! The amount field: the currency and its decimals are always in view, the text is parsed
//! exactly with [`Money::parse`] (never through a float), and the reason for a refusal is shown
//! under the field in the agent's words.

use super::field::{Note, TextField};
use crate::aps::money::{Currency, Money, MoneyError};
use egui::{Id, Response, Ui};

/// Parses the amount text in `currency`.
pub fn parse_amount(text: &str, currency: Option<Currency>) -> Result<Money, AmountError> {
    let currency = currency.ok_or(AmountError::NoCurrency)?;
    Money::parse(text, currency).map_err(AmountError::Money)
}

/// Why an amount cannot be used yet.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AmountError {
    #[error("choose a valid currency first, then type the amount")]
    NoCurrency,
    #[error(transparent)]
    Money(MoneyError),
}

/// The hint for an amount in `currency`: "0.00" for AED, "0.000" for KWD, "0" for JPY.
pub fn amount_hint(currency: Currency) -> String {
    match currency.exponent() {
        0 => "0".to_owned(),
        n => format!("0.{}", "0".repeat(usize::from(n))),
    }
}

/// "AED has 2 decimals", so a KWD amount is not typed with two.
pub fn decimals_phrase(currency: Currency) -> String {
    match currency.exponent() {
        0 => format!("{} has no decimals: type whole units", currency.code()),
        1 => format!("{} has 1 decimal", currency.code()),
        n => format!("{} has {n} decimals", currency.code()),
    }
}

/// A soft warning for amounts with 5 or more digits before the point, the usual sign of a
/// slipped or missing decimal point (12500 typed for 125.00). The read-back shows it; it does
/// not block the order.
pub fn sanity_warning(text: &str, money: Money) -> Option<String> {
    let whole = text.trim().split('.').next().unwrap_or("").trim_start_matches('0');
    (whole.len() >= 5).then(|| {
        format!(
            "Large amount: {money}. Check the decimal point with the customer ({}).",
            decimals_phrase(money.currency())
        )
    })
}

/// Draws the amount row. `show_error` turns on the message for an empty field too (after the
/// agent tried to go on); a non-empty mistake is always shown.
pub fn money_field(
    ui: &mut Ui,
    label: &str,
    id: Id,
    text: &mut String,
    currency: Option<Currency>,
    show_error: bool,
) -> (Response, Result<Money, AmountError>) {
    let parsed = parse_amount(text, currency);
    let note = match (&parsed, currency) {
        (Ok(money), _) => Some(Note::Hint(format!("{money} ({})", decimals_phrase(money.currency())))),
        (Err(e), _) if show_error || !text.trim().is_empty() => {
            Some(Note::Error(super::field::capitalise(&e.to_string())))
        }
        (Err(_), Some(c)) => Some(Note::Hint(decimals_phrase(c))),
        (Err(_), None) => None,
    };
    let hint = currency.map(amount_hint).unwrap_or_default();
    let suffix = currency.map(|c| c.code().to_owned()).unwrap_or_else(|| "???".to_owned());
    let response = TextField::new(label, id)
        .hint(&hint)
        .width(crate::ui::theme::FIELD_WIDTH * 0.6)
        .suffix(suffix)
        .char_limit(16)
        .show(ui, text, note.as_ref(), |_| {});
    (response, parsed)
}
