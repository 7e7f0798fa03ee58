//! APS's field rules (spec 7 and the field tables of spec 3), checked before a request leaves.
//!
//! APS refuses a bad field with message `001` (missing), `002` (format), `032` (length) or `033`
//! (value not allowed). Checking the same rules locally turns that round trip into an immediate
//! message the agent can act on, and keeps requests that APS would refuse out of the journal.
//! The rules describe request parameters; responses carry masked or free-text values that they
//! do not fit.

use crate::aps::Params;

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

    fn phrase(self) -> &'static str {
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
#[error("{field} {}: {hint}", .problem.phrase())]
pub struct FieldError {
    pub field: String,
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
    pub name: &'static str,
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

const fn rule_of(name: &'static str, kind: Kind, max: usize, extra: &'static str) -> Rule {
    Rule { name, kind, max, min: 1, extra, allowed: &[], unicode_letters: false, form: Form::Plain }
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
        FieldError { field: self.name.to_owned(), problem, hint }
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
        if !is_sensitive(self.name) {
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
fn is_sensitive(name: &str) -> bool {
    matches!(name, "card_number" | "card_security_code" | "access_code" | "signature")
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
    rule_of("command", AlphaUnderscore, 20, "").values(&[
        "PURCHASE",
        "AUTHORIZATION",
        "CAPTURE",
        "VOID_AUTHORIZATION",
        "REFUND",
    ]),
    rule_of("query_command", AlphaUnderscore, 50, "").values(&["CHECK_STATUS"]),
    rule_of("service_command", AlphaUnderscore, 20, "").values(&[
        "CREATE_TOKEN",
        "UPDATE_TOKEN",
        "PAYMENT_LINK",
        "UPLOAD_BATCH_FILE",
        "GET_BATCH_RESULTS",
        "PROCESS_BATCH",
        "TOKENIZATION",
    ]),
    rule_of("access_code", Alphanumeric, 20, ""),
    rule_of("merchant_identifier", Alphanumeric, 20, ""),
    rule_of("merchant_reference", Alphanumeric, 40, "-_."),
    rule_of("language", Alpha, 2, "").min(2).values(&["en", "ar"]),
    rule_of("signature", Alphanumeric, 200, ""),
    // Payment fields (spec 3.2, 3.3, 7).
    rule_of("amount", Numeric, 10, ""),
    rule_of("currency", Alpha, 3, "").min(3).form(Form::UpperCase),
    rule_of("customer_email", Alphanumeric, 254, "_-.@+").form(Form::Email),
    rule_of("eci", Alpha, 16, "").values(&["ECOMMERCE", "MOTO", "RECURRING"]),
    rule_of("token_name", Alphanumeric, 100, "_-.@"),
    rule_of("new_token_name", Alphanumeric, 100, "_-.@"),
    rule_of("customer_ip", Alphanumeric, 45, ".:"),
    // Spec 7 ends this list with "…"; the terminal itself only sends card brands.
    rule_of("payment_option", Alpha, 10, "").values(&[
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
    rule_of("order_description", Alphanumeric, 150, "'/._-#:$ ").unicode_letters(),
    rule_of("customer_name", Alpha, 40, "_\\/-.' ").unicode_letters(),
    rule_of("card_holder_name", Alpha, 50, "'-. ").unicode_letters(),
    rule_of("phone_number", Alphanumeric, 19, "+-() "),
    rule_of("settlement_reference", Alphanumeric, 34, "-_."),
    rule_of("merchant_extra", Alphanumeric, 999, MERCHANT_EXTRA_CHARS),
    rule_of("merchant_extra1", Alphanumeric, 250, MERCHANT_EXTRA_CHARS),
    rule_of("merchant_extra2", Alphanumeric, 250, MERCHANT_EXTRA_CHARS),
    rule_of("merchant_extra3", Alphanumeric, 250, MERCHANT_EXTRA_CHARS),
    rule_of("merchant_extra4", Alphanumeric, 250, MERCHANT_EXTRA_CHARS),
    rule_of("merchant_extra5", Alphanumeric, 250, MERCHANT_EXTRA_CHARS),
    rule_of("return_url", Alphanumeric, 400, "$!=?#&-_/:."),
    rule_of("remember_me", Alpha, 3, "").min(2).values(&["YES", "NO"]),
    // Card fields (spec 3.3): 16 digits, Amex 15, Meeza 19; 13 is the shortest PAN there is.
    rule_of("card_number", Numeric, 19, "").min(13),
    rule_of("expiry_date", Numeric, 4, "").min(4),
    rule_of("card_security_code", Numeric, 4, "").min(3),
    // Maintenance and status (spec 3.5-3.8). maintenance_reference is 200 in the refund tables
    // but 40 for CHECK_STATUS; a refund's reference must also work there, so 40 (spec 9).
    rule_of("fort_id", Numeric, 20, ""),
    rule_of("maintenance_reference", Alphanumeric, 40, "-_."),
    rule_of("return_third_party_response_codes", Alpha, 3, "").min(2).values(&["YES", "NO"]),
    // Recurring and tokens (spec 3.4, 3.9). agreement_id's length is UNKNOWN in every source
    // (spec 3.4, spec 10); 100 matches token_name and leaves room for what APS returns.
    rule_of("agreement_id", Alphanumeric, 100, ""),
    rule_of("token_status", Alpha, 8, "").values(&["ACTIVE", "INACTIVE"]),
    // Payment links (spec 3.10).
    rule_of("link_command", Alphanumeric, 15, "").values(&["AUTHORIZATION", "PURCHASE"]),
    rule_of("payment_link_id", Alphanumeric, 20, "-_."),
    rule_of("customer_phone", Numeric, 19, ""),
    rule_of("request_expiry_date", Alphanumeric, 25, "+:-"),
    rule_of("notification_type", Alpha, 20, ",").values(&["SMS", "EMAIL", "NONE"]).form(Form::CommaSeparated),
    // Batches (spec 3.11).
    rule_of("batch_reference", Alphanumeric, 20, "-_./"),
    rule_of("batch_id", Numeric, 20, ""),
];

/// The rule for a field, if APS documents one.
pub fn rule(name: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.name == name)
}

/// Checks one field; fields without a rule pass.
pub fn check(name: &str, value: &str) -> Result<(), FieldError> {
    rule(name).map_or(Ok(()), |r| r.check(value))
}

/// Checks every parameter of a request and returns the first problem, in parameter order.
///
/// Numbers are checked as their JSON text (so a float amount fails as a format error), `null`
/// as an empty value and booleans as `true`/`false` (APS has no boolean fields, so a ruled field
/// holding one is refused). Objects and arrays are skipped: APS documents no rules inside them.
pub fn check_params(params: &Params) -> Result<(), FieldError> {
    for (name, value) in params {
        match value {
            serde_json::Value::String(s) => check(name, s)?,
            serde_json::Value::Number(n) => check(name, &n.to_string())?,
            serde_json::Value::Null => check(name, "")?,
            serde_json::Value::Bool(b) => check(name, if *b { "true" } else { "false" })?,
            serde_json::Value::Array(_) | serde_json::Value::Object(_) => {}
        }
    }
    Ok(())
}

/// Checks that every named parameter is present and not empty (`null`, blank text, or an empty
/// object or array count as empty), returning the first missing one in the order given.
pub fn require(params: &Params, names: &[&str]) -> Result<(), FieldError> {
    for name in names {
        let present = match params.get(*name) {
            None | Some(serde_json::Value::Null) => false,
            Some(serde_json::Value::String(s)) => !s.trim().is_empty(),
            Some(serde_json::Value::Array(a)) => !a.is_empty(),
            Some(serde_json::Value::Object(o)) => !o.is_empty(),
            Some(serde_json::Value::Number(_) | serde_json::Value::Bool(_)) => true,
        };
        if !present {
            return Err(FieldError {
                field: (*name).to_owned(),
                problem: Problem::Missing,
                hint: "APS needs it for this request: fill it in".into(),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn params(value: serde_json::Value) -> Params {
        match value {
            serde_json::Value::Object(map) => map,
            other => panic!("not an object: {other}"),
        }
    }

    fn problem(name: &str, value: &str) -> Option<Problem> {
        check(name, value).err().map(|e| e.problem)
    }

    /// One row per rule: a valid value, a value with a refused character, and (for value
    /// lists) a value of the right shape that is not on the list. Too-long values are built
    /// from the rule itself in the test below.
    const TABLE: &[(&str, &str, &str, Option<&str>)] = &[
        ("command", "VOID_AUTHORIZATION", "PURCHASE-1", Some("SALE")),
        ("query_command", "CHECK_STATUS", "CHECK STATUS", Some("GET_TOKENS")),
        ("service_command", "PAYMENT_LINK", "PAYMENT-LINK", Some("DELETE_TOKEN")),
        ("access_code", "zx0IPmPy5jp1vAz8Kpg7", "zx0IPmPy5jp1vAz8Kp-7", None),
        ("merchant_identifier", "CycHZxVj", "CycH_ZxVj", None),
        ("merchant_reference", "ORD-2025_01.7", "ORD/2025", None),
        ("language", "ar", "e1", Some("fr")),
        ("signature", "7cad05f0212ed933c9a5d5dffa31661acf2c827a", "7cad05f0+212", None),
        ("amount", "10000", "100.00", None),
        ("currency", "SAR", "sar", None),
        ("customer_email", "test.user+1@example-mail.com", "test(user)@example.com", None),
        ("eci", "MOTO", "MOTO_1", Some("MAIL")),
        ("token_name", "Op9Vmp.a-b_c@d", "Op9Vmp a", None),
        ("new_token_name", "tok_123", "tok#123", None),
        ("customer_ip", "2001:db8::ff00:42:8329", "192.168.0.1/24", None),
        ("payment_option", "MADA", "MADA1", Some("PAYPAL")),
        ("order_description", "Order #12: 2 items / $40 - it's 'ok'. طلب", "Order!", None),
        ("customer_name", "Anne-Marie O'Neil \\ J./K._L محمد", "Agent 007", None),
        ("card_holder_name", "Ahmed Al-Farsi Jr. أحمد", "Ahmed_Al", None),
        ("phone_number", "+966 (50) 123-4567", "+966#501234567", None),
        ("settlement_reference", "SET-2025_01.1", "SET 1", None),
        ("merchant_extra", "a.b;c/d_e-f,g'h@i", "a+b", None),
        ("merchant_extra1", "x;y", "x y", None),
        ("merchant_extra2", "x;y", "x=y", None),
        ("merchant_extra3", "x;y", "x!y", None),
        ("merchant_extra4", "x;y", "x:y", None),
        ("merchant_extra5", "x;y", "x?y", None),
        ("return_url", "https://shop.example/ret?a=1&b=$2#!x_y-z", "https://shop.example/ret a", None),
        ("remember_me", "NO", "N0", Some("YEP")),
        ("card_number", "4005550000000001", "4005 5500 0000 0001", None),
        ("expiry_date", "2705", "27/5", None),
        ("card_security_code", "1234", "12a", None),
        ("fort_id", "169996200001734981", "1699-962", None),
        ("maintenance_reference", "REF-1_a.2", "REF 1", None),
        ("return_third_party_response_codes", "YES", "Y3S", Some("NON")),
        ("agreement_id", "115170000001", "1151-70000001", None),
        ("token_status", "INACTIVE", "IN_ACTIVE", Some("DELETED")),
        ("link_command", "AUTHORIZATION", "AUTHORIZATION_", Some("CAPTURE")),
        ("payment_link_id", "pl-1_2.3", "pl/1", None),
        ("customer_phone", "00962797219966", "+962797219966", None),
        ("request_expiry_date", "2017-12-20T15:36:55+03:00", "2017-12-20 15:36", None),
        ("notification_type", "EMAIL,SMS", "EMAIL;SMS", Some("EMAIL,FAX")),
        ("batch_reference", "BATCH-2025/01_a.b", "BATCH 1", None),
        ("batch_id", "123456", "12-34", None),
    ];

    /// A value that passes the character check and is one character too long.
    fn too_long(rule: &Rule) -> String {
        let c = match rule.kind {
            Kind::Numeric => '1',
            _ => 'A',
        };
        std::iter::repeat_n(c, rule.max + 1).collect()
    }

    #[test]
    fn every_rule_has_a_table_row_and_every_row_a_rule() {
        for r in RULES {
            assert!(TABLE.iter().any(|row| row.0 == r.name), "no test row for {}", r.name);
        }
        for row in TABLE {
            assert!(rule(row.0).is_some(), "no rule for {}", row.0);
        }
        assert_eq!(TABLE.len(), RULES.len());
    }

    #[test]
    fn table_valid_format_length_value() {
        for &(name, valid, bad_char, bad_value) in TABLE {
            let r = rule(name).unwrap();
            assert_eq!(check(name, valid), Ok(()), "{name} = {valid:?}");
            assert_eq!(problem(name, bad_char), Some(Problem::Format), "{name} = {bad_char:?}");
            let long = too_long(r);
            assert_eq!(problem(name, &long), Some(Problem::Length), "{name}: {} chars", long.len());
            // The maximum itself is fine as far as length goes.
            let at_max: String = long.chars().skip(1).collect();
            assert_ne!(problem(name, &at_max), Some(Problem::Length), "{name} at max");
            match bad_value {
                Some(v) => {
                    assert!(!r.allowed.is_empty(), "{name}");
                    assert_eq!(problem(name, v), Some(Problem::Value), "{name} = {v:?}");
                }
                None => {
                    assert!(r.allowed.is_empty(), "{name} has a value list but no bad value in the table")
                }
            }
            assert_eq!(problem(name, ""), Some(Problem::Missing), "{name} empty");
        }
    }

    #[test]
    fn rules_table_is_consistent() {
        for (i, r) in RULES.iter().enumerate() {
            assert!(RULES[..i].iter().all(|o| o.name != r.name), "duplicate rule {}", r.name);
            assert!(1 <= r.min && r.min <= r.max, "{}", r.name);
            for v in r.allowed {
                assert_eq!(r.check(v), Ok(()), "{} refuses its own allowed value {v}", r.name);
            }
        }
    }

    #[test]
    fn exact_lengths_and_minimums() {
        let cases = [
            ("currency", "SA", Some(Problem::Length)),
            ("currency", "SARR", Some(Problem::Length)),
            ("currency", "usd", Some(Problem::Format)),
            ("currency", "Usd", Some(Problem::Format)),
            ("currency", "USD", None),
            ("language", "e", Some(Problem::Length)),
            ("language", "EN", Some(Problem::Value)),
            ("language", "en", None),
            ("expiry_date", "275", Some(Problem::Length)),
            ("expiry_date", "27055", Some(Problem::Length)),
            ("card_security_code", "12", Some(Problem::Length)),
            ("card_security_code", "123", None),
            ("card_security_code", "12345", Some(Problem::Length)),
            ("card_number", "400555000000", Some(Problem::Length)),
            ("card_number", "4005550000001", None),
            ("card_number", "9818950527886700002", None),
            ("card_number", "40055500000000000001", Some(Problem::Length)),
            ("amount", "1", None),
            ("amount", "9999999999", None),
            ("amount", "10000000000", Some(Problem::Length)),
            ("amount", "-100", Some(Problem::Format)),
            ("amount", "1e3", Some(Problem::Format)),
            ("amount", "١٠٠", Some(Problem::Format)),
            ("remember_me", "Y", Some(Problem::Length)),
            ("command", "purchase", Some(Problem::Value)),
            ("command", "PURCHASE ", Some(Problem::Format)),
        ];
        for (name, value, want) in cases {
            assert_eq!(problem(name, value), want, "{name} = {value:?}");
        }
    }

    #[test]
    fn emails_need_one_at_with_text_around_it() {
        let cases = [
            ("a@b", None),
            ("first.last+tag@sub.example.co", None),
            ("ab", Some(Problem::Format)),
            ("@example.com", Some(Problem::Format)),
            ("name@", Some(Problem::Format)),
            ("a@b@c", Some(Problem::Format)),
            ("a b@c", Some(Problem::Format)),
            ("ahmed@مثال.com", Some(Problem::Format)),
        ];
        for (value, want) in cases {
            assert_eq!(problem("customer_email", value), want, "{value:?}");
        }
        let err = check("customer_email", "test(user)@example.com").unwrap_err();
        assert_eq!(
            err.to_string(),
            "customer_email has characters APS does not accept: use letters, digits and _ - . @ +, not \"(\""
        );
        let err = check("customer_email", "a@b@c").unwrap_err();
        assert!(err.hint.contains("exactly one @"), "{err}");
        let mut long = "a@".to_string();
        long.push_str(&"b".repeat(252));
        assert_eq!(check("customer_email", &long), Ok(()));
        long.push('b');
        assert_eq!(problem("customer_email", &long), Some(Problem::Length));
    }

    #[test]
    fn notification_type_lists() {
        for ok in ["NONE", "EMAIL,SMS", "SMS,EMAIL,NONE", "SMS,SMS"] {
            assert_eq!(check("notification_type", ok), Ok(()), "{ok}");
        }
        for bad in ["EMAIL,", ",SMS", "EMAIL,,SMS", "email", "EMAIL,PUSH"] {
            assert_eq!(problem("notification_type", bad), Some(Problem::Value), "{bad}");
        }
        assert_eq!(problem("notification_type", "EMAIL, SMS"), Some(Problem::Format));
    }

    #[test]
    fn unicode_letters_only_where_spec_leaves_it_open() {
        assert_eq!(check("customer_name", "محمد العتيبي"), Ok(()));
        assert_eq!(check("card_holder_name", "فاطمة الزهراء"), Ok(()));
        assert_eq!(check("order_description", "طلب رقم 12"), Ok(()));
        // Letters only: Arabic-Indic digits and Arabic punctuation stay out.
        assert_eq!(problem("order_description", "طلب ١٢"), Some(Problem::Format));
        assert_eq!(problem("customer_name", "محمد، علي"), Some(Problem::Format));
        // Other fields stay ASCII.
        assert_eq!(problem("merchant_reference", "طلب"), Some(Problem::Format));
        assert_eq!(problem("token_name", "é"), Some(Problem::Format));
        assert_eq!(problem("customer_email", "josé@example.com"), Some(Problem::Format));
    }

    #[test]
    fn lengths_count_characters_not_bytes() {
        let name: String = "م".repeat(40);
        assert_eq!(name.len(), 80);
        assert_eq!(check("customer_name", &name), Ok(()));
        let longer = format!("{name}م");
        let err = check("customer_name", &longer).unwrap_err();
        assert_eq!(err.problem, Problem::Length);
        assert_eq!(err.hint, "use at most 40 characters, not 41");
    }

    #[test]
    fn messages_and_codes() {
        let err = check("merchant_reference", "A".repeat(41).as_str()).unwrap_err();
        assert_eq!(err.message_code(), "032");
        assert_eq!(
            err.to_string(),
            "merchant_reference has the wrong length: use at most 40 characters, not 41"
        );
        let err = check("currency", "SR").unwrap_err();
        assert_eq!(err.to_string(), "currency has the wrong length: use exactly 3 letters, not 2");
        let err = check("currency", "sar").unwrap_err();
        assert_eq!(
            err.to_string(),
            "currency has characters APS does not accept: use 3 capital letters, like SAR"
        );
        let err = check("card_security_code", "12").unwrap_err();
        assert_eq!(err.hint, "use 3 to 4 digits, not 2");
        let err = check("command", "SALE").unwrap_err();
        assert_eq!(err.message_code(), "033");
        assert_eq!(
            err.to_string(),
            "command has a value APS does not accept: use one of PURCHASE, AUTHORIZATION, CAPTURE, VOID_AUTHORIZATION, REFUND"
        );
        let err = check("command", "SALE-1").unwrap_err();
        assert_eq!(err.message_code(), "002");
        assert_eq!(err.hint, "use letters and _, not \"-\"");
        let err = check("amount", "").unwrap_err();
        assert_eq!(err.message_code(), "001");
        assert_eq!(
            err.to_string(),
            "amount is missing: fill it in, or leave the field out if it is optional"
        );
        assert_eq!(check("amount", "1.5").unwrap_err().hint, "use digits only, not \".\"");
        assert_eq!(
            check("customer_name", "A2").unwrap_err().hint,
            "use letters, spaces and _ \\ / - . ', not \"2\""
        );
        assert_eq!(
            check("merchant_reference", "a b").unwrap_err().hint,
            "use letters, digits and - _ ., not the space"
        );
        assert_eq!(
            check("merchant_reference", "a\tb").unwrap_err().hint,
            "use letters, digits and - _ ., not the invisible character U+0009"
        );
        assert_eq!(check("no_such_field", "anything at all!"), Ok(()));
        assert_eq!(check("no_such_field", ""), Ok(()));
        assert_eq!(Problem::Missing.message_code(), "001");
        assert_eq!(Problem::Format.message_code(), "002");
        assert_eq!(Problem::Length.message_code(), "032");
        assert_eq!(Problem::Value.message_code(), "033");
    }

    #[test]
    fn secrets_are_never_echoed() {
        for (name, value) in [
            ("card_number", "4005550000000001x"),
            ("card_number", "4005550000000001 "),
            ("card_number", "40055500000000010001"),
            ("card_security_code", "12x4"),
            ("card_security_code", "12345"),
            ("access_code", "zx0IPmPy5jp1v#Az8Kpg7"),
            ("signature", "7cad05f0212ed933c9a5d5dffa31661acf2c827a!"),
        ] {
            let err = check(name, value).unwrap_err();
            let shown = format!("{err} {err:?}");
            assert!(!shown.contains(value), "{shown}");
            assert!(!shown.contains("0001") && !shown.contains("12x") && !shown.contains('#'), "{shown}");
            assert!(!shown.contains("not \""), "no refused character for {name}: {shown}");
        }
    }

    #[test]
    fn check_params_reports_the_first_problem_in_order() {
        let good = params(json!({
            "command": "PURCHASE",
            "access_code": "zx0IPmPy5jp1vAz8Kpg7",
            "merchant_identifier": "CycHZxVj",
            "merchant_reference": "XYZ9239-yu898",
            "amount": 10000,
            "currency": "AED",
            "language": "en",
            "customer_email": "test@payfort.com",
            "eci": "MOTO",
            "token_name": "Op9Vmp",
            "apple_data": {"header": "anything #!"},
            "installment_detail": ["any", "thing"],
            "unknown_field": "any text #!",
        }));
        assert_eq!(check_params(&good), Ok(()));
        assert_eq!(check_params(&Params::new()), Ok(()));

        let bad = params(json!({
            "command": "PURCHASE",
            "currency": "aed",
            "amount": 100.5,
            "language": "fr",
        }));
        let err = check_params(&bad).unwrap_err();
        assert_eq!((err.field.as_str(), err.problem), ("currency", Problem::Format));

        let cases = [
            (json!({"amount": 100.5}), "amount", Problem::Format),
            (json!({"amount": -5}), "amount", Problem::Format),
            (json!({"amount": 12345678901u64}), "amount", Problem::Length),
            (json!({"language": "fr", "currency": "x"}), "language", Problem::Value),
            (json!({"merchant_reference": null}), "merchant_reference", Problem::Missing),
            (json!({"remember_me": true}), "remember_me", Problem::Length),
            (json!({"eci": false}), "eci", Problem::Value),
            (json!({"order_description": ""}), "order_description", Problem::Missing),
        ];
        for (value, field, want) in cases {
            let err = check_params(&params(value.clone())).unwrap_err();
            assert_eq!((err.field.as_str(), err.problem), (field, want), "{value}");
        }
        // Values of fields without a rule, of any JSON type, pass.
        let free = params(json!({"x": null, "y": true, "z": 1.5, "w": ""}));
        assert_eq!(check_params(&free), Ok(()));
    }

    #[test]
    fn require_reports_absent_and_empty_in_the_order_given() {
        let p = params(json!({
            "command": "REFUND",
            "amount": 500,
            "currency": "",
            "fort_id": null,
            "merchant_extra": "   ",
            "flag": false,
            "list": [],
            "object": {},
            "full_list": [1],
        }));
        assert_eq!(require(&p, &["command", "amount", "flag", "full_list"]), Ok(()));
        assert_eq!(require(&p, &[]), Ok(()));
        for missing in ["currency", "fort_id", "merchant_extra", "list", "object", "merchant_reference"] {
            let err = require(&p, &["command", missing, "amount"]).unwrap_err();
            assert_eq!(err.field, missing);
            assert_eq!(err.problem, Problem::Missing);
            assert_eq!(err.message_code(), "001");
            assert!(err.to_string().starts_with(&format!("{missing} is missing: ")), "{err}");
        }
        let err = require(&p, &["merchant_reference", "currency"]).unwrap_err();
        assert_eq!(err.field, "merchant_reference");
    }

    proptest! {
        #[test]
        fn checks_never_panic_and_card_errors_hold_no_digits(value in "\\PC{0,60}|[0-9 x-]{0,30}") {
            for r in RULES {
                let _ = r.check(&value);
            }
            for name in ["card_number", "card_security_code"] {
                if let Err(err) = check(name, &value) {
                    let shown = err.to_string();
                    let longest_digit_run = shown
                        .split(|c: char| !c.is_ascii_digit())
                        .map(str::len)
                        .max()
                        .unwrap_or(0);
                    prop_assert!(longest_digit_run <= 2, "{}", shown);
                }
            }
        }

        #[test]
        fn numeric_fields_accept_exactly_digit_strings_in_range(value in "[0-9]{1,25}") {
            let len = value.len();
            prop_assert_eq!(check("amount", &value).is_ok(), len <= 10);
            prop_assert_eq!(check("card_number", &value).is_ok(), (13..=19).contains(&len));
            prop_assert_eq!(check("fort_id", &value).is_ok(), len <= 20);
        }
    }
}
