//! How the screens write money, dates and durations, in one place so every screen says them
//! the same way.

use crate::aps::money::{Currency, format_grouped};
use chrono::{DateTime, Datelike, Utc};

/// "AED 12.50", "SAR 2,469.00": thousands grouped, as every screen shows an amount (a field
/// being typed in keeps the plain digits APS takes).
pub fn money_text(minor: u64, currency: Currency) -> String {
    format_grouped(u128::from(minor), currency)
}

/// "AED 12.50 + KWD 1.250": sums by currency, in the order the currencies first appear.
pub fn totals_text(amounts: impl IntoIterator<Item = (Currency, u64)>) -> String {
    let mut totals: Vec<(Currency, u64)> = Vec::new();
    for (currency, minor) in amounts {
        match totals.iter_mut().find(|(c, _)| *c == currency) {
            Some((_, sum)) => *sum = sum.saturating_add(minor),
            None => totals.push((currency, minor)),
        }
    }
    totals.iter().map(|(c, m)| money_text(*m, *c)).collect::<Vec<_>>().join(" + ")
}

/// "2026-11-25 14:03" in the agent's time zone.
pub fn local_minute(at: &DateTime<Utc>) -> String {
    at.with_timezone(&chrono::Local).format("%Y-%m-%d %H:%M").to_string()
}

/// "2026-11-25 14:03:09" in the agent's time zone, for timelines.
pub fn local_second(at: &DateTime<Utc>) -> String {
    at.with_timezone(&chrono::Local).format("%Y-%m-%d %H:%M:%S").to_string()
}

/// "2026-11-25".
pub fn day(date: chrono::NaiveDate) -> String {
    date.format("%Y-%m-%d").to_string()
}

/// Today in the agent's time zone.
pub fn today_date() -> chrono::NaiveDate {
    chrono::Local::now().date_naive()
}

/// Today as YYYY-MM-DD.
pub fn today_iso() -> String {
    day(today_date())
}

/// Today as (year, month), for card expiry checks.
pub fn this_month() -> (u16, u8) {
    let now = today_date();
    (u16::try_from(now.year()).unwrap_or(u16::MAX), u8::try_from(now.month()).unwrap_or(12))
}

/// "3 minutes", "90 seconds": an idle time as an agent would say it.
pub fn idle_phrase(secs: u64) -> String {
    match secs {
        60 => "1 minute".to_owned(),
        s if s % 60 == 0 => format!("{} minutes", s / 60),
        s => format!("{s} seconds"),
    }
}

/// Messages from `aps` start in lower case so they read well after a field name; under a field
/// they start a sentence.
pub fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// "Not sent. The journal is busy...": why a submission did not leave, as a sentence.
pub fn not_sent(message: &str) -> String {
    format!("Not sent. {}", capitalise(message))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(code: &str) -> Currency {
        Currency::parse(code).expect("an ISO 4217 code")
    }

    #[test]
    fn money_and_totals_use_the_currency_decimals() {
        assert_eq!(money_text(1250, c("AED")), "AED 12.50");
        assert_eq!(money_text(1250, c("KWD")), "KWD 1.250");
        assert_eq!(money_text(246_900, c("SAR")), "SAR 2,469.00");
        assert_eq!(money_text(1_234_567_890, c("BHD")), "BHD 1,234,567.890");
        let sums = totals_text([(c("AED"), 100), (c("KWD"), 5), (c("AED"), 50)]);
        assert_eq!(sums, "AED 1.50 + KWD 0.005");
        assert_eq!(totals_text([]), "");
    }

    #[test]
    fn idle_time_reads_as_spoken() {
        assert_eq!(idle_phrase(60), "1 minute");
        assert_eq!(idle_phrase(180), "3 minutes");
        assert_eq!(idle_phrase(90), "90 seconds");
    }

    #[test]
    fn not_sent_starts_a_sentence() {
        assert_eq!(not_sent("the journal is busy"), "Not sent. The journal is busy");
    }
}
