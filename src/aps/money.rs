//! Money as integer minor units, with each currency's ISO 4217 exponent.
//!
//! Amounts are parsed from the decimal text an operator typed, digit by digit, and never pass
//! through a float (one official SDK turns 19.99 into 1998 that way). APS takes `amount` as the
//! value in minor units, digits only, at most 10 digits (spec section 4).

use std::fmt;

/// Most digits APS accepts in `amount` (spec 3.2, section 7).
pub const MAX_AMOUNT_DIGITS: usize = 10;

/// An ISO 4217 currency this terminal knows, with its minor-unit exponent.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Currency {
    code: &'static str,
    exponent: u8,
}

/// ISO 4217 alphabetic codes and exponents. The three-decimal set (BHD, IQD, JOD, KWD, LYD, OMR,
/// TND) and the zero-decimal set follow the APS SDK tables quoted in spec section 4.
const CURRENCIES: &[(&str, u8)] = &[
    ("AED", 2),
    ("AFN", 2),
    ("ALL", 2),
    ("AMD", 2),
    ("AOA", 2),
    ("ARS", 2),
    ("AUD", 2),
    ("AZN", 2),
    ("BAM", 2),
    ("BDT", 2),
    ("BGN", 2),
    ("BHD", 3),
    ("BIF", 0),
    ("BND", 2),
    ("BOB", 2),
    ("BRL", 2),
    ("BWP", 2),
    ("BYN", 2),
    ("CAD", 2),
    ("CHF", 2),
    ("CLF", 4),
    ("CLP", 0),
    ("CNY", 2),
    ("COP", 2),
    ("CRC", 2),
    ("CZK", 2),
    ("DJF", 0),
    ("DKK", 2),
    ("DZD", 2),
    ("EGP", 2),
    ("ETB", 2),
    ("EUR", 2),
    ("GBP", 2),
    ("GEL", 2),
    ("GHS", 2),
    ("GNF", 0),
    ("HKD", 2),
    ("HUF", 2),
    ("IDR", 2),
    ("ILS", 2),
    ("INR", 2),
    ("IQD", 3),
    ("IRR", 2),
    ("ISK", 0),
    ("JOD", 3),
    ("JPY", 0),
    ("KES", 2),
    ("KMF", 0),
    ("KRW", 0),
    ("KWD", 3),
    ("KZT", 2),
    ("LBP", 2),
    ("LKR", 2),
    ("LYD", 3),
    ("MAD", 2),
    ("MXN", 2),
    ("MYR", 2),
    ("NGN", 2),
    ("NOK", 2),
    ("NPR", 2),
    ("NZD", 2),
    ("OMR", 3),
    ("PHP", 2),
    ("PKR", 2),
    ("PLN", 2),
    ("PYG", 0),
    ("QAR", 2),
    ("RON", 2),
    ("RSD", 2),
    ("RUB", 2),
    ("RWF", 0),
    ("SAR", 2),
    ("SDG", 2),
    ("SEK", 2),
    ("SGD", 2),
    ("SYP", 2),
    ("THB", 2),
    ("TND", 3),
    ("TRY", 2),
    ("TWD", 2),
    ("TZS", 2),
    ("UAH", 2),
    ("UGX", 0),
    ("USD", 2),
    ("UYI", 0),
    ("UYU", 2),
    ("UZS", 2),
    ("VND", 0),
    ("VUV", 0),
    ("XAF", 0),
    ("XOF", 0),
    ("XPF", 0),
    ("YER", 2),
    ("ZAR", 2),
];

impl Currency {
    /// Looks up an ISO 4217 alphabetic code. Lower case is accepted and normalised.
    ///
    /// # Errors
    /// [`MoneyError::UnknownCurrency`] for anything not in the table.
    pub fn parse(code: &str) -> Result<Self, MoneyError> {
        let upper = code.trim().to_ascii_uppercase();
        CURRENCIES
            .iter()
            .find(|(c, _)| *c == upper)
            .map(|&(code, exponent)| Currency { code, exponent })
            .ok_or_else(|| MoneyError::UnknownCurrency(code.trim().to_owned()))
    }

    /// The three-letter code, e.g. `AED`.
    pub fn code(self) -> &'static str {
        self.code
    }

    /// Digits after the decimal point: 2 for AED, 3 for KWD, 0 for JPY.
    pub fn exponent(self) -> u8 {
        self.exponent
    }

    /// Every currency the terminal knows, for pickers.
    pub fn all() -> impl Iterator<Item = Currency> {
        CURRENCIES.iter().map(|&(code, exponent)| Currency { code, exponent })
    }
}

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code)
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code)
    }
}

impl serde::Serialize for Currency {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code)
    }
}

impl<'de> serde::Deserialize<'de> for Currency {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Currency::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// A character of an amount as an ASCII keyboard writes it: Arabic-Indic, Extended
/// Arabic-Indic (Persian) and full-width digits become `0`-`9`, the Arabic decimal separator a
/// point and its thousands separator a comma (then refused as any separator is).
fn western(c: char) -> char {
    let zero = match c {
        '\u{0660}'..='\u{0669}' => '\u{0660}',
        '\u{06F0}'..='\u{06F9}' => '\u{06F0}',
        '\u{FF10}'..='\u{FF19}' => '\u{FF10}',
        '\u{066B}' => return '.',
        '\u{066C}' => return ',',
        _ => return c,
    };
    char::from_digit(u32::from(c) - u32::from(zero), 10).unwrap_or(c)
}

/// What a comma in a typed amount is taken for. One comma between digits, with fewer digits
/// after it than a thousands group has, is a decimal comma (`12,50`: type 12.50). Three digits
/// after it in a currency of three decimals may be either (`12,500`): both readings are named.
/// Anything else is a separator, which is refused. Text holding a card number is never
/// repeated.
fn comma_error(text: &str, currency: Currency) -> MoneyError {
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let Some((whole, decimals)) = text.split_once(',') else { return MoneyError::ThousandsSeparator };
    let plain = whole.len() <= MAX_AMOUNT_DIGITS && digits(whole) && !decimals.is_empty() && digits(decimals);
    if !plain || crate::aps::card::contains_card_number(text) {
        return MoneyError::ThousandsSeparator;
    }
    let whole = if whole.is_empty() { "0" } else { whole };
    match (decimals.len(), currency.exponent()) {
        (1 | 2, _) => MoneyError::DecimalComma(format!("{whole}.{decimals}")),
        (3, 3) => MoneyError::AmbiguousComma {
            typed: text.to_owned(),
            point: format!("{whole}.{decimals}"),
            plain: format!("{whole}{decimals}"),
        },
        _ => MoneyError::ThousandsSeparator,
    }
}

/// An amount in a currency's minor units. Always positive, at most 10 digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Money {
    minor: u64,
    currency: Currency,
}

/// Why an amount or currency was refused. Each message names the fix.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("amount is empty: type the amount, for example 12.50")]
    Empty,
    #[error("amount must not be negative: type the amount without a minus sign")]
    Negative,
    #[error("amount must be more than zero")]
    Zero,
    #[error(
        "amount has {found} decimals but {currency} allows {allowed}: type at most {allowed} digits after the point"
    )]
    TooManyDecimals { currency: &'static str, found: usize, allowed: u8 },
    #[error("amount must not contain thousands separators or spaces: type 1250.00, not 1,250.00")]
    ThousandsSeparator,
    /// `12,50`: a comma where a point belongs (as many keyboards write decimals).
    #[error("amount has a comma where the decimal point goes: type {0}")]
    DecimalComma(String),
    /// `12,500` in a currency of three decimals: twelve and a half, or twelve thousand five
    /// hundred; the terminal never guesses.
    #[error("amount {typed} is unclear: type {point} for the decimals, or {plain} without the comma")]
    AmbiguousComma { typed: String, point: String, plain: String },
    #[error("amount is not a number: use digits and at most one decimal point, for example 12.50")]
    NotANumber,
    #[error("amount is too large: APS accepts at most 10 digits in minor units ({max} {currency})")]
    TooLarge { currency: &'static str, max: String },
    #[error("currency \"{0}\" is not a known ISO 4217 code: use three letters such as AED, SAR or KWD")]
    UnknownCurrency(String),
}

impl Money {
    /// Parses decimal text typed by a person, exactly, into minor units of `currency`.
    ///
    /// Accepts `12`, `12.5`, `12.50`, `.5`, surrounding spaces, and the same written with an
    /// Arabic keyboard (Arabic-Indic digits, `٫` for the point). Refuses signs, separators,
    /// exponents, more decimals than the currency has, zero and more than 10 digits.
    ///
    /// # Errors
    /// A [`MoneyError`] that says what is wrong and how to type it instead.
    pub fn parse(text: &str, currency: Currency) -> Result<Self, MoneyError> {
        let text: String = text.trim().chars().map(western).collect();
        let text = text.as_str();
        if text.is_empty() {
            return Err(MoneyError::Empty);
        }
        if text.starts_with('-') {
            return Err(MoneyError::Negative);
        }
        let text = text.strip_prefix('+').unwrap_or(text);
        if text.contains(',') {
            return Err(comma_error(text, currency));
        }
        if text.contains('\'') || text.contains(' ') || text.contains('_') {
            return Err(MoneyError::ThousandsSeparator);
        }
        let (whole, fraction) = match text.split_once('.') {
            Some((w, f)) => (w, f),
            None => (text, ""),
        };
        let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if (whole.is_empty() && fraction.is_empty()) || !all_digits(whole) || !all_digits(fraction) {
            return Err(MoneyError::NotANumber);
        }
        let exponent = usize::from(currency.exponent());
        // Trailing zeros after the point carry no value: 12.500 AED is 12.50 AED.
        let significant = fraction.trim_end_matches('0');
        if significant.len() > exponent {
            return Err(MoneyError::TooManyDecimals {
                currency: currency.code(),
                found: fraction.len(),
                allowed: currency.exponent(),
            });
        }
        let mut digits = String::with_capacity(whole.len() + exponent);
        digits.push_str(whole.trim_start_matches('0'));
        digits.push_str(significant);
        for _ in significant.len()..exponent {
            digits.push('0');
        }
        let digits = digits.trim_start_matches('0');
        if digits.is_empty() {
            return Err(MoneyError::Zero);
        }
        if digits.len() > MAX_AMOUNT_DIGITS {
            return Err(Self::too_large(currency));
        }
        let minor = digits.parse::<u64>().map_err(|_| Self::too_large(currency))?;
        Ok(Self { minor, currency })
    }

    /// An amount already in minor units, as APS returns it.
    ///
    /// # Errors
    /// [`MoneyError::Zero`] or [`MoneyError::TooLarge`].
    pub fn from_minor(minor: u64, currency: Currency) -> Result<Self, MoneyError> {
        if minor == 0 {
            return Err(MoneyError::Zero);
        }
        if minor.to_string().len() > MAX_AMOUNT_DIGITS {
            return Err(Self::too_large(currency));
        }
        Ok(Self { minor, currency })
    }

    /// Parses the wire form: digits only, minor units.
    ///
    /// # Errors
    /// [`MoneyError::NotANumber`] for anything but 1 to 10 digits, or [`MoneyError::Zero`].
    pub fn from_wire(amount: &str, currency: Currency) -> Result<Self, MoneyError> {
        if amount.is_empty() || !amount.bytes().all(|b| b.is_ascii_digit()) {
            return Err(MoneyError::NotANumber);
        }
        if amount.len() > MAX_AMOUNT_DIGITS {
            return Err(Self::too_large(currency));
        }
        let minor = amount.parse::<u64>().map_err(|_| MoneyError::NotANumber)?;
        Self::from_minor(minor, currency)
    }

    fn too_large(currency: Currency) -> MoneyError {
        MoneyError::TooLarge { currency: currency.code(), max: format_minor(9_999_999_999, currency) }
    }

    pub fn minor_units(self) -> u64 {
        self.minor
    }

    pub fn currency(self) -> Currency {
        self.currency
    }

    /// The `amount` parameter as APS wants it: minor units, digits only.
    pub fn wire_amount(self) -> String {
        self.minor.to_string()
    }

    /// The amount with its decimal point, without the currency: `12.50`.
    pub fn format_amount(self) -> String {
        format_minor(self.minor, self.currency)
    }
}

/// Formats minor units with the currency's decimal point: 1250 AED is `12.50`, 1250 KWD `1.250`.
/// Works for zero too, which [`Money`] itself never holds (remaining balances can be zero).
pub fn format_minor(minor: u64, currency: Currency) -> String {
    let exponent = usize::from(currency.exponent());
    if exponent == 0 {
        return minor.to_string();
    }
    let digits = format!("{minor:0>width$}", width = exponent + 1);
    let (whole, fraction) = digits.split_at(digits.len() - exponent);
    format!("{whole}.{fraction}")
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.currency.code(), self.format_amount())
    }
}

impl fmt::Debug for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Money({self})")
    }
}

/// `SAR 2,469.00`, `KWD 1.250`, `JPY 1,500`: the code, thousands separated by commas, and the
/// currency's own number of decimals. Integer arithmetic only.
pub fn format_grouped(minor: u128, currency: Currency) -> String {
    let exponent = u32::from(currency.exponent());
    let scale = 10u128.pow(exponent);
    let whole = (minor / scale).to_string();
    let mut grouped = String::with_capacity(whole.len() + whole.len() / 3);
    for (i, digit) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    if exponent == 0 {
        return format!("{currency} {grouped}");
    }
    let fraction = minor % scale;
    format!("{currency} {grouped}.{fraction:0>width$}", width = exponent as usize)
}

#[cfg(test)]
#[path = "money_tests.rs"]
mod tests;
