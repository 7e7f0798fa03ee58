//! The checks and dates the order form needs that are plain functions of text: the mail
//! order's date, the customer email's shape, today's month for the expiry check, and the idle
//! time in words.

use chrono::Datelike;

/// "3 minutes", "90 seconds": the idle time as an agent would say it.
pub fn idle_phrase(secs: u64) -> String {
    match secs {
        60 => "1 minute".to_owned(),
        s if s % 60 == 0 => format!("{} minutes", s / 60),
        s => format!("{s} seconds"),
    }
}

/// Today as (year, month), for the expiry check.
pub(super) fn today() -> (u16, u8) {
    let now = chrono::Local::now();
    (u16::try_from(now.year()).unwrap_or(u16::MAX), u8::try_from(now.month()).unwrap_or(12))
}

pub(super) fn today_iso() -> String {
    chrono::Local::now().format("%Y-%m-%d").to_string()
}

/// A mail order's date: a real date, written YYYY-MM-DD, not in the future.
pub fn check_order_date(text: &str) -> Result<(), String> {
    let date = chrono::NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .map_err(|_| "Order date must be a date written YYYY-MM-DD, for example 2026-11-25".to_owned())?;
    if date > chrono::Local::now().date_naive() {
        return Err("Order date is in the future: type the date printed on the slip".to_owned());
    }
    Ok(())
}

/// The shape APS accepts for `customer_email` (spec 3.2): something@domain.tld with letters,
/// digits and `_ - . @ +`.
pub fn check_email(text: &str) -> Result<(), String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("Customer email is required by APS: ask the customer for it".to_owned());
    }
    let allowed = |c: char| c.is_ascii_alphanumeric() || "_-.@+".contains(c);
    let shape_ok = match text.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !domain.contains('@')
        }
        None => false,
    };
    if !shape_ok || !text.chars().all(allowed) || text.len() > 254 {
        return Err(
            "Customer email must look like name@example.com (letters, digits and _ - . + only)".to_owned()
        );
    }
    Ok(())
}
