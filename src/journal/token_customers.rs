//! The customers of the token book: everyone seen paying with, or storing, a token.
//!
//! With APS's "unique tokens" account option (spec 3.9) one card number always maps to one
//! token name, so the same token comes back for every customer who uses that card (a family
//! card, a company card). The book therefore never takes a token for one customer: each token
//! keeps every customer seen with it, one row per customer, keyed by the profile, the token
//! and the customer's normalised email, name and phone, with when they were first and last
//! seen. The same customer seen again moves `last_seen`; a customer who differs in any of the
//! three is a row of their own.
//!
//! The keys are what search and de-duplication compare: email and name trimmed with ASCII
//! letters folded to lower case (as SQLite's `lower()` and the team journal's `moto_fold` do,
//! so the migration of older journals computes the same keys in SQL), the phone as its digits
//! with a leading `+` when written in international form (`00` counts as `+`). The `+` keeps a
//! long phone number from ever being stored as a bare run of digits.

use super::db::{Db, DbRow, ToValue, Value, params};
use super::rows::{col, parse_ts};
use super::{JournalError, refuse_card_numbers, ts};
use chrono::{DateTime, Utc};
use std::collections::HashMap;

/// One customer seen with a token. Never a card number: each part is checked before it is written.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct TokenCustomer {
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// When the book last saw this customer with the token; filled when read, and ignored when
    /// written (the time of writing is used).
    pub last_seen: Option<DateTime<Utc>>,
}

impl TokenCustomer {
    /// A customer from the parts given; blank parts count as absent.
    pub fn new(name: Option<&str>, email: Option<&str>, phone: Option<&str>) -> TokenCustomer {
        let part = |text: Option<&str>| text.map(str::trim).filter(|t| !t.is_empty()).map(str::to_owned);
        TokenCustomer { name: part(name), email: part(email), phone: part(phone), last_seen: None }
    }

    /// True when nothing is known of them (nothing to remember).
    pub fn is_empty(&self) -> bool {
        [&self.name, &self.email, &self.phone]
            .iter()
            .all(|p| p.as_deref().is_none_or(|t| t.trim().is_empty()))
    }

    /// "Layla Haddad <layla@example.com> +971 50 123 4567", leaving out what is not known.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(name) = &self.name {
            parts.push(name.clone());
        }
        if let Some(email) = &self.email {
            parts.push(if self.name.is_some() { format!("<{email}>") } else { email.clone() });
        }
        if let Some(phone) = &self.phone {
            parts.push(phone.clone());
        }
        parts.join(" ")
    }

    /// True when `query` (as the token book's search reads it) finds this customer by name,
    /// email or phone.
    pub fn matches(&self, query: &str) -> bool {
        let text = fold(query);
        let digits = phone_digits(query);
        let (email, name, phone) = self.keys();
        (!text.is_empty() && (email.contains(&text) || name.contains(&text)))
            || (!digits.is_empty() && phone.contains(&digits))
    }

    /// True when `other` is the same customer: the same email, name and phone once normalised
    /// (the book's key; see the module docs).
    pub fn is_same(&self, other: &TokenCustomer) -> bool {
        self.keys() == other.keys()
    }

    /// The normalised email, name and phone (see the module docs).
    fn keys(&self) -> (String, String, String) {
        (
            fold(self.email.as_deref().unwrap_or_default()),
            fold(self.name.as_deref().unwrap_or_default()),
            phone_key(self.phone.as_deref().unwrap_or_default()),
        )
    }

    /// Refuses a part that holds a card number.
    pub(crate) fn check(&self) -> Result<(), JournalError> {
        refuse_card_numbers("customer name", self.name.as_deref().unwrap_or_default())?;
        refuse_card_numbers("customer email", self.email.as_deref().unwrap_or_default())?;
        refuse_card_numbers_in_phone(self.phone.as_deref().unwrap_or_default())
    }
}

/// Trimmed, ASCII letters in lower case.
pub(crate) fn fold(text: &str) -> String {
    text.trim().to_ascii_lowercase()
}

/// The digits of a phone number, `+` first when it is written in international form.
pub(crate) fn phone_key(phone: &str) -> String {
    let phone = phone.trim();
    let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
    if let Some(rest) = digits.strip_prefix("00").filter(|_| phone.starts_with("00")) {
        format!("+{rest}")
    } else if phone.starts_with('+') && !digits.is_empty() {
        format!("+{digits}")
    } else {
        digits
    }
}

/// The digits a search text would find in a phone key; empty unless it has at least three
/// (one or two digits would find almost every phone). A number typed as dialled at home, with
/// one leading 0 (`050 123 4567`), finds it stored in international form (`+971 50 123 4567`)
/// too: the search leaves that 0 out.
fn phone_digits(query: &str) -> String {
    let digits: String = query.chars().filter(char::is_ascii_digit).collect();
    let national = digits.strip_prefix('0').filter(|rest| !rest.starts_with('0'));
    let digits = national.map(str::to_owned).unwrap_or(digits);
    if digits.len() >= 3 { digits } else { String::new() }
}

/// A phone number as the service accepts one: written in international form (`+` or `00`
/// first) it is never a card number, since no card number starts that way (the service's
/// guard has the same rule); otherwise it must not hold one.
///
/// # Errors
/// [`JournalError::LooksLikeCardNumber`].
pub(crate) fn refuse_card_numbers_in_phone(phone: &str) -> Result<(), JournalError> {
    let phone = phone.trim_start();
    if phone.starts_with('+') || phone.starts_with("00") {
        return Ok(());
    }
    refuse_card_numbers("customer phone", phone)
}

/// [`remember`]'s statements, built once: a customer already known is left as it is (`[0]`),
/// or seen again (`[1]`).
static REMEMBER: std::sync::LazyLock<[String; 2]> = std::sync::LazyLock::new(|| {
    let seen_again = "DO UPDATE SET customer_email = excluded.customer_email,
        customer_name = excluded.customer_name, phone = excluded.phone, last_seen = excluded.last_seen";
    ["DO NOTHING", seen_again].map(|on_conflict| {
        format!(
            "INSERT INTO token_customers (profile, token_name, email_key, name_key, phone_key, customer_email,
                customer_name, phone, first_seen, last_seen)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)
             ON CONFLICT (profile, token_name, email_key, name_key, phone_key) {on_conflict}"
        )
    })
});

/// Remembers `customer` with a token: a new row, or `last_seen` moved for one already known.
/// With `only_new`, one already known is left as it is.
pub(crate) fn remember(
    db: Db<'_>,
    profile: &str,
    token_name: &str,
    customer: &TokenCustomer,
    only_new: bool,
) -> Result<(), JournalError> {
    let now = ts(&Utc::now());
    let Some(values) = remember_values(profile, token_name, customer, &now) else { return Ok(()) };
    db.execute(remember_sql(only_new), &values)?;
    Ok(())
}

/// [`remember`]'s statement.
pub(crate) fn remember_sql(only_new: bool) -> &'static str {
    &REMEMBER[usize::from(!only_new)]
}

/// [`remember`]'s parameters, seen at `now`; `None` for an empty customer (nothing to remember).
pub(crate) fn remember_values<'a>(
    profile: &'a str,
    token_name: &'a str,
    customer: &'a TokenCustomer,
    now: &'a str,
) -> Option<Vec<Value<'a>>> {
    if customer.is_empty() {
        return None;
    }
    let (email_key, name_key, phone_key) = customer.keys();
    let mut values = vec![profile.to_value(), token_name.to_value()];
    values.extend([email_key, name_key, phone_key].map(Value::owned));
    values.extend([
        customer.email.to_value(),
        customer.name.to_value(),
        customer.phone.to_value(),
        now.to_value(),
    ]);
    Some(values)
}

/// Moves a renamed token's customers to its new name.
pub(crate) fn rename(db: Db<'_>, profile: &str, old: &str, new: &str) -> Result<(), JournalError> {
    db.execute(
        "UPDATE token_customers SET token_name = ?3 WHERE profile = ?1 AND token_name = ?2",
        params![profile, old, new],
    )?;
    Ok(())
}

/// The SQL condition (on `tokens t`) that a token has a customer found by `?2` (a LIKE pattern
/// of folded text, `\` escaping) or `?3` (a LIKE pattern of phone digits, or empty for none).
pub(crate) const CUSTOMER_MATCH: &str = "EXISTS (SELECT 1 FROM token_customers c
        WHERE c.profile = t.profile AND c.token_name = t.token_name
        AND (c.email_key LIKE ?2 ESCAPE '\\' OR c.name_key LIKE ?2 ESCAPE '\\'
            OR (CAST(?3 AS TEXT) <> '' AND c.phone_key LIKE ?3)))";

/// The `?3` of [`CUSTOMER_MATCH`] for a search text.
pub(crate) fn phone_pattern(query: &str) -> String {
    let digits = phone_digits(query);
    if digits.is_empty() { digits } else { format!("%{digits}%") }
}

/// How many token names one query asks about.
const NAMES_PER_QUERY: usize = 200;

/// The customers of each of `names` (tokens of `profile`), most recently seen first.
pub(crate) fn customers_of(
    db: Db<'_>,
    profile: &str,
    names: &[&str],
) -> Result<HashMap<String, Vec<TokenCustomer>>, JournalError> {
    let mut found: HashMap<String, Vec<TokenCustomer>> = HashMap::new();
    for chunk in names.chunks(NAMES_PER_QUERY) {
        let slots: Vec<String> = (0..chunk.len()).map(|i| format!("?{}", i + 2)).collect();
        let sql = format!(
            "SELECT token_name, customer_name, customer_email, phone, last_seen FROM token_customers
             WHERE profile = ?1 AND token_name IN ({}) ORDER BY last_seen DESC, id DESC",
            slots.join(", ")
        );
        let mut values: Vec<Value<'_>> = vec![Value::Text(profile.into())];
        values.extend(chunk.iter().map(|n| Value::Text((*n).into())));
        for (token, customer) in db.query_map(&sql, &values, customer_from_row)? {
            found.entry(token).or_default().push(customer);
        }
    }
    Ok(found)
}

fn customer_from_row(row: &DbRow<'_>) -> Result<(String, TokenCustomer), JournalError> {
    Ok((
        row.get(0)?,
        TokenCustomer {
            name: row.get(1)?,
            email: row.get(2)?,
            phone: row.get(3)?,
            last_seen: Some(col(row, 4, parse_ts)?),
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_fold_case_and_keep_only_the_phones_digits() {
        let c =
            TokenCustomer::new(Some(" Layla Haddad "), Some("Layla@Example.com"), Some("00971 50-123 4567"));
        assert_eq!(c.keys(), ("layla@example.com".into(), "layla haddad".into(), "+971501234567".into()));
        assert_eq!(phone_key("+971 (50) 123"), "+97150123");
        assert_eq!(phone_key("050 123 4567"), "0501234567");
        assert_eq!(phone_key(""), "");
    }

    #[test]
    fn a_customer_is_found_by_any_part_and_not_by_one_or_two_digits() {
        let c = TokenCustomer::new(Some("Layla Haddad"), Some("layla@example.com"), Some("+971 50 123 4567"));
        for query in ["HADDAD", "layla@", "50 123", "1234567", "+97150", "050 123 4567"] {
            assert!(c.matches(query), "{query}");
        }
        for query in ["omar", "12", "012", "999"] {
            assert!(!c.matches(query), "{query}");
        }
        assert_eq!(c.describe(), "Layla Haddad <layla@example.com> +971 50 123 4567");
        assert_eq!(TokenCustomer::new(None, Some("a@b.co"), None).describe(), "a@b.co");
        assert!(TokenCustomer::new(Some(" "), None, Some("")).is_empty());
    }

    #[test]
    fn a_phone_is_refused_only_when_a_card_number_could_hide_in_it() {
        // 971501234563 passes the Luhn check; written with its + (or 00) it is a phone number.
        for phone in ["+971 50 123 4563", "00971501234563", "050 123 4567", ""] {
            refuse_card_numbers_in_phone(phone).unwrap();
        }
        assert!(refuse_card_numbers_in_phone("4005 5500 0000 0001").is_err());
        assert!(refuse_card_numbers_in_phone("971 50 123 4563").is_err());
    }
}
