//! APS's field rules (spec 7 and the field tables of spec 3), checked before a request leaves.
//!
//! APS refuses a bad field with message `001` (missing), `002` (format), `032` (length) or `033`
//! (value not allowed). Checking the same rules locally turns that round trip into an immediate
//! message the agent can act on, and keeps requests that APS would refuse out of the journal.
//! The rules describe request parameters; responses carry masked or free-text values that they
//! do not fit.

use crate::aps::Params;
pub use crate::aps::field::Field;

/// What is wrong with a field, mirroring APS's message codes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Problem {
    /// `001` Missing parameter (also used for an empty value: APS treats empty as absent, and
    /// spec 2.4 says never to send empties).
    Missing,
    /// `002` Invalid parameter format.
    Format,
    /// `032` Invalid parameter length.
    Length,
    /// `033` Parameter value not allowed.
    Value,
}

impl Problem {
    /// The APS message code (the last 3 digits of `response_code`) for this problem.
    pub fn message_code(self) -> &'static str {
        match self {
            Self::Missing => "001",
            Self::Format => "002",
            Self::Length => "032",
            Self::Value => "033",
        }
    }

    /// "is missing", "has the wrong length": the problem after a field's name.
    pub fn phrase(self) -> &'static str {
        match self {
            Self::Missing => "is missing",
            Self::Format => "has characters APS does not accept",
            Self::Length => "has the wrong length",
            Self::Value => "has a value APS does not accept",
        }
    }
}

/// A field that APS would refuse, with a hint on how to fix it. The message never contains the
/// value of a card number, CVV, access code or signature; for other fields it may name the
/// first character that is not accepted.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{} {}: {hint}", .field.name(), .problem.phrase())]
pub struct FieldError {
    pub field: Field,
    pub problem: Problem,
    pub hint: String,
}

impl FieldError {
    pub fn message_code(&self) -> &'static str {
        self.problem.message_code()
    }
}

/// APS's character classes (spec 7 legend). All are ASCII unless a rule widens them with
/// [`Rule::unicode_letters`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Letters.
    Alpha,
    /// Letters and digits.
    Alphanumeric,
    /// Digits.
    Numeric,
    /// Letters and `_`, for command names such as `VOID_AUTHORIZATION` (spec 3.1).
    AlphaUnderscore,
}

/// Checks some fields need beyond characters, length and a value list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Form {
    Plain,
    /// Exactly one `@` with text on both sides.
    Email,
    /// Capital letters only (ISO 4217 currency codes).
    UpperCase,
    /// One or more values from [`Rule::allowed`], separated by commas (`notification_type`).
    CommaSeparated,
}

/// One field's rule. Lengths count characters, not bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    pub field: Field,
    pub kind: Kind,
    pub max: usize,
    pub min: usize,
    /// Characters accepted besides those of `kind`.
    pub extra: &'static str,
    /// The only values accepted; empty means any value of the right shape.
    pub allowed: &'static [&'static str],
    /// Also accept letters of any script (`char::is_alphabetic`), for names and descriptions.
    pub unicode_letters: bool,
    pub form: Form,
}

const fn rule_of(field: Field, kind: Kind, max: usize, extra: &'static str) -> Rule {
    Rule { field, kind, max, min: 1, extra, allowed: &[], unicode_letters: false, form: Form::Plain }
}

impl Rule {
    const fn min(self, min: usize) -> Rule {
        Rule { min, ..self }
    }
    const fn values(self, allowed: &'static [&'static str]) -> Rule {
        Rule { allowed, ..self }
    }
    const fn form(self, form: Form) -> Rule {
        Rule { form, ..self }
    }
    const fn unicode_letters(self) -> Rule {
        Rule { unicode_letters: true, ..self }
    }

    fn accepts(&self, c: char) -> bool {
        let by_kind = match self.kind {
            Kind::Alpha => c.is_ascii_alphabetic(),
            Kind::Alphanumeric => c.is_ascii_alphanumeric(),
            Kind::Numeric => c.is_ascii_digit(),
            Kind::AlphaUnderscore => c.is_ascii_alphabetic() || c == '_',
        };
        if self.form == Form::UpperCase && c.is_ascii_lowercase() {
            return false;
        }
        by_kind || self.extra.contains(c) || (self.unicode_letters && c.is_alphabetic())
    }

    /// Checks a value against this rule, in APS's order of concern: empty, characters, length,
    /// then shape and allowed values.
    pub fn check(&self, value: &str) -> Result<(), FieldError> {
        if value.is_empty() {
            return Err(
                self.error(Problem::Missing, "fill it in, or leave the field out if it is optional".into())
            );
        }
        if let Some(bad) = value.chars().find(|c| !self.accepts(*c)) {
            return Err(self.error(Problem::Format, self.format_hint(bad)));
        }
        let len = value.chars().count();
        if len < self.min || len > self.max {
            return Err(self.error(Problem::Length, self.length_hint(len)));
        }
        match self.form {
            Form::Email => {
                let shaped = value.split_once('@').is_some_and(|(local, domain)| {
                    !local.is_empty() && !domain.is_empty() && !domain.contains('@')
                });
                if !shaped {
                    return Err(self.error(
                        Problem::Format,
                        "an email address needs exactly one @ with text on both sides, like name@example.com"
                            .into(),
                    ));
                }
            }
            Form::CommaSeparated => {
                if !value.split(',').all(|item| self.allowed.contains(&item)) {
                    return Err(self.error(
                        Problem::Value,
                        format!("use one or more of {}, separated by commas", self.allowed.join(", ")),
                    ));
                }
            }
            Form::Plain | Form::UpperCase => {
                if !self.allowed.is_empty() && !self.allowed.contains(&value) {
                    return Err(self.error(Problem::Value, format!("use one of {}", self.allowed.join(", "))));
                }
            }
        }
        Ok(())
    }

    fn error(&self, problem: Problem, hint: String) -> FieldError {
        FieldError { field: self.field, problem, hint }
    }

    /// "use letters, digits and _ - . @ +", plus the first refused character where that is safe.
    fn format_hint(&self, bad: char) -> String {
        if self.form == Form::UpperCase {
            return format!("use {} capital letters, like SAR", self.max);
        }
        let mut words: Vec<String> = Vec::new();
        match self.kind {
            Kind::Alpha => words.push("letters".into()),
            Kind::Alphanumeric => words.extend(["letters".into(), "digits".into()]),
            Kind::Numeric => words.push("digits".into()),
            Kind::AlphaUnderscore => words.push("letters".into()),
        }
        if self.extra.contains(' ') {
            words.push("spaces".into());
        }
        let mut symbols: Vec<String> = self.extra.chars().filter(|c| *c != ' ').map(String::from).collect();
        if self.kind == Kind::AlphaUnderscore {
            symbols.insert(0, "_".into());
        }
        if !symbols.is_empty() {
            words.push(symbols.join(" "));
        }
        let mut hint = match words.as_slice() {
            [only] => format!("use {only} only"),
            [rest @ .., last] => format!("use {} and {last}", rest.join(", ")),
            [] => String::new(),
        };
        if !is_sensitive(self.field) {
            hint.push_str(&format!(", not {}", describe(bad)));
        }
        hint
    }

    fn length_hint(&self, len: usize) -> String {
        let unit = match (self.kind, self.extra.is_empty()) {
            (Kind::Numeric, true) => "digits",
            (Kind::Alpha, true) => "letters",
            _ => "characters",
        };
        let wanted = if self.min == self.max {
            format!("use exactly {} {unit}", self.max)
        } else if self.min > 1 {
            format!("use {} to {} {unit}", self.min, self.max)
        } else {
            format!("use at most {} {unit}", self.max)
        };
        format!("{wanted}, not {len}")
    }
}

/// Fields whose value must never appear in a message, not even one character of it.
fn is_sensitive(field: Field) -> bool {
    matches!(field, Field::CardNumber | Field::CardSecurityCode | Field::AccessCode | Field::Signature)
}

/// A refused character as an agent can spot it: "#", the space, or its code point if unprintable.
fn describe(c: char) -> String {
    if c == ' ' {
        "the space".into()
    } else if c.is_control() || c.is_whitespace() {
        format!("the invisible character U+{:04X}", u32::from(c))
    } else {
        format!("\"{c}\"")
    }
}

use Kind::{Alpha, AlphaUnderscore, Alphanumeric, Numeric};

const MERCHANT_EXTRA_CHARS: &str = ".;/_-,'@";

/// Every field rule. Sources: spec 7 (the table), spec 3.1-3.11 (the per-command tables).
static RULES: &[Rule] = &[
    // Common fields (spec 3.1).
    rule_of(Field::Command, AlphaUnderscore, 20, "").values(&[
        "PURCHASE",
        "AUTHORIZATION",
        "CAPTURE",
        "VOID_AUTHORIZATION",
        "REFUND",
    ]),
    rule_of(Field::QueryCommand, AlphaUnderscore, 50, "").values(&["CHECK_STATUS"]),
    rule_of(Field::ServiceCommand, AlphaUnderscore, 20, "").values(&[
        "CREATE_TOKEN",
        "UPDATE_TOKEN",
        "PAYMENT_LINK",
        "UPLOAD_BATCH_FILE",
        "GET_BATCH_RESULTS",
        "PROCESS_BATCH",
        "TOKENIZATION",
    ]),
    rule_of(Field::AccessCode, Alphanumeric, 20, ""),
    rule_of(Field::MerchantIdentifier, Alphanumeric, 20, ""),
    rule_of(Field::MerchantReference, Alphanumeric, 40, "-_."),
    rule_of(Field::Language, Alpha, 2, "").min(2).values(&["en", "ar"]),
    rule_of(Field::Signature, Alphanumeric, 200, ""),
    // Payment fields (spec 3.2, 3.3, 7).
    rule_of(Field::Amount, Numeric, 10, ""),
    rule_of(Field::Currency, Alpha, 3, "").min(3).form(Form::UpperCase),
    rule_of(Field::CustomerEmail, Alphanumeric, 254, "_-.@+").form(Form::Email),
    rule_of(Field::Eci, Alpha, 16, "").values(&["ECOMMERCE", "MOTO", "RECURRING"]),
    rule_of(Field::TokenName, Alphanumeric, 100, "_-.@"),
    rule_of(Field::NewTokenName, Alphanumeric, 100, "_-.@"),
    rule_of(Field::CustomerIp, Alphanumeric, 45, ".:"),
    // Spec 7 ends this list with "…"; the terminal itself only sends card brands.
    rule_of(Field::PaymentOption, Alpha, 10, "").values(&[
        "MASTERCARD",
        "VISA",
        "AMEX",
        "MADA",
        "MEEZA",
        "KNET",
        "NAPS",
        "SADAD",
    ]),
    // Whether APS accepts Arabic letters in customer_name, card_holder_name and
    // order_description is UNKNOWN (spec 7, spec 10). Names are typed in Arabic in the Gulf, so
    // letters of any script are accepted here; digits and symbols stay as listed. Verify in the
    // sandbox.
    rule_of(Field::OrderDescription, Alphanumeric, 150, "'/._-#:$ ").unicode_letters(),
    rule_of(Field::CustomerName, Alpha, 40, "_\\/-.' ").unicode_letters(),
    rule_of(Field::CardHolderName, Alpha, 50, "'-. ").unicode_letters(),
    rule_of(Field::PhoneNumber, Alphanumeric, 19, "+-() "),
    rule_of(Field::SettlementReference, Alphanumeric, 34, "-_."),
    rule_of(Field::MerchantExtra, Alphanumeric, 999, MERCHANT_EXTRA_CHARS),
    rule_of(Field::MerchantExtra1, Alphanumeric, 250, MERCHANT_EXTRA_CHARS),
    rule_of(Field::MerchantExtra2, Alphanumeric, 250, MERCHANT_EXTRA_CHARS),
    rule_of(Field::MerchantExtra3, Alphanumeric, 250, MERCHANT_EXTRA_CHARS),
    rule_of(Field::MerchantExtra4, Alphanumeric, 250, MERCHANT_EXTRA_CHARS),
    rule_of(Field::MerchantExtra5, Alphanumeric, 250, MERCHANT_EXTRA_CHARS),
    rule_of(Field::ReturnUrl, Alphanumeric, 400, "$!=?#&-_/:."),
    rule_of(Field::RememberMe, Alpha, 3, "").min(2).values(&["YES", "NO"]),
    // Card fields (spec 3.3): 16 digits, Amex 15, Meeza 19; 13 is the shortest PAN there is.
    rule_of(Field::CardNumber, Numeric, 19, "").min(13),
    rule_of(Field::ExpiryDate, Numeric, 4, "").min(4),
    rule_of(Field::CardSecurityCode, Numeric, 4, "").min(3),
    // Maintenance and status (spec 3.5-3.8). maintenance_reference is 200 in the refund tables
    // but 40 for CHECK_STATUS; a refund's reference must also work there, so 40 (spec 9).
    rule_of(Field::FortId, Numeric, 20, ""),
    rule_of(Field::MaintenanceReference, Alphanumeric, 40, "-_."),
    rule_of(Field::ReturnThirdPartyResponseCodes, Alpha, 3, "").min(2).values(&["YES", "NO"]),
    // Recurring and tokens (spec 3.4, 3.9). agreement_id's length is UNKNOWN in every source
    // (spec 3.4, spec 10); 100 matches token_name and leaves room for what APS returns.
    rule_of(Field::AgreementId, Alphanumeric, 100, ""),
    // The agreement set-up fields of a first, customer-initiated payment (spec 3.4, from the
    // SDKs): their lengths are UNKNOWN; the terminal sends at most 3 digits for the count and
    // the days, and the date as YYYY-MM-DD.
    rule_of(Field::RecurringMode, Alpha, 11, "").values(&["UNSCHEDULED", "VARIABLE", "FIXED"]),
    rule_of(Field::RecurringTransactionsCount, Numeric, 3, ""),
    rule_of(Field::RecurringExpiryDate, Alphanumeric, 10, "-").min(10),
    rule_of(Field::RecurringDaysBetweenPayments, Numeric, 3, ""),
    rule_of(Field::TokenStatus, Alpha, 8, "").values(&["ACTIVE", "INACTIVE"]),
    // Payment links (spec 3.10).
    rule_of(Field::LinkCommand, Alphanumeric, 15, "").values(&["AUTHORIZATION", "PURCHASE"]),
    rule_of(Field::PaymentLinkId, Alphanumeric, 20, "-_."),
    rule_of(Field::CustomerPhone, Numeric, 19, ""),
    rule_of(Field::RequestExpiryDate, Alphanumeric, 25, "+:-"),
    rule_of(Field::NotificationType, Alpha, 20, ",")
        .values(&["SMS", "EMAIL", "NONE"])
        .form(Form::CommaSeparated),
    // Batches (spec 3.11).
    rule_of(Field::BatchReference, Alphanumeric, 20, "-_./"),
    rule_of(Field::BatchId, Numeric, 20, ""),
];

/// The rule for a field, if APS documents one.
pub fn rule(field: Field) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.field == field)
}

/// Checks one field; fields without a rule pass.
pub fn check(field: Field, value: &str) -> Result<(), FieldError> {
    rule(field).map_or(Ok(()), |r| r.check(value))
}

/// Checks a parameter by its APS name; parameters without a rule pass.
fn check_param(name: &str, value: &str) -> Result<(), FieldError> {
    Field::from_wire(name).map_or(Ok(()), |field| check(field, value))
}

/// Checks every parameter of a request and returns the first problem, in parameter order.
///
/// Numbers are checked as their JSON text (so a float amount fails as a format error), `null`
/// as an empty value and booleans as `true`/`false` (APS has no boolean fields, so a ruled field
/// holding one is refused). Objects and arrays are skipped: APS documents no rules inside them.
pub fn check_params(params: &Params) -> Result<(), FieldError> {
    for (name, value) in params {
        match value {
            serde_json::Value::String(s) => check_param(name, s)?,
            serde_json::Value::Number(n) => check_param(name, &n.to_string())?,
            serde_json::Value::Null => check_param(name, "")?,
            serde_json::Value::Bool(b) => check_param(name, if *b { "true" } else { "false" })?,
            serde_json::Value::Array(_) | serde_json::Value::Object(_) => {}
        }
    }
    Ok(())
}

/// Checks that every named parameter is present and not empty (`null`, blank text, or an empty
/// object or array count as empty), returning the first missing one in the order given.
pub fn require(params: &Params, fields: &[Field]) -> Result<(), FieldError> {
    for &field in fields {
        let present = match field.wire_name().and_then(|name| params.get(name)) {
            None | Some(serde_json::Value::Null) => false,
            Some(serde_json::Value::String(s)) => !s.trim().is_empty(),
            Some(serde_json::Value::Array(a)) => !a.is_empty(),
            Some(serde_json::Value::Object(o)) => !o.is_empty(),
            Some(serde_json::Value::Number(_) | serde_json::Value::Bool(_)) => true,
        };
        if !present {
            return Err(FieldError {
                field,
                problem: Problem::Missing,
                hint: "APS needs it for this request: fill it in".into(),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
