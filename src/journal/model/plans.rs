//! Recurring agreements and payment links as the journal keeps them.

use crate::aps::money::{Currency, Money};
use chrono::{DateTime, Datelike, Days, Months, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

/// A recurring (merchant-initiated) charge plan on a stored token.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Agreement {
    pub id: i64,
    pub profile: String,
    pub token_name: String,
    /// APS's agreement id from the initial customer-initiated payment; sources disagree on
    /// whether it is required (spec 3.4), so it may be absent.
    pub agreement_id: Option<String>,
    pub customer_email: String,
    pub customer_name: Option<String>,
    pub amount_minor: u64,
    pub currency: Currency,
    pub cycle: Cycle,
    /// The day of the month a monthly or annual agreement keeps to (that of its first due
    /// date): after a short month it is charged on this day again.
    pub anchor_day: u32,
    pub next_due: NaiveDate,
    pub active: bool,
    pub last_charge_reference: Option<String>,
    pub created_at: DateTime<Utc>,
    /// Cancelled: never charged again, and cannot be resumed (a paused one can).
    pub cancelled_at: Option<DateTime<Utc>>,
    /// Where the agreement the customer gave ends; past it, it never comes due.
    pub limit: Option<AgreementLimit>,
}

/// Where a recurring agreement ends. `PaymentsLeft` counts down with each charge.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum AgreementLimit {
    PaymentsLeft(u32),
    /// The last date a charge may fall due.
    Until(NaiveDate),
}

#[derive(Clone, Debug)]
pub struct NewAgreement {
    pub profile: String,
    pub token_name: String,
    pub agreement_id: Option<String>,
    pub customer_email: String,
    pub customer_name: Option<String>,
    pub amount: Money,
    pub cycle: Cycle,
    /// The first due date; a monthly or annual agreement keeps to its day of the month.
    pub next_due: NaiveDate,
    pub created_at: DateTime<Utc>,
    pub limit: Option<AgreementLimit>,
}

/// Changes to an agreement; `None` leaves a field as it is.
#[derive(Clone, Debug, Default)]
pub struct AgreementUpdate {
    pub token_name: Option<String>,
    pub agreement_id: Option<Option<String>>,
    pub customer_email: Option<String>,
    pub customer_name: Option<Option<String>>,
    pub amount: Option<Money>,
    pub cycle: Option<Cycle>,
    pub next_due: Option<NaiveDate>,
    pub active: Option<bool>,
}

/// How often an agreement is charged. Calendar cycles keep to the calendar: a monthly agreement
/// first due on the 31st is charged on the last day of shorter months, and on the 31st again
/// after them; an annual one first due on 29 February, on 28 February in other years.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Cycle {
    /// Every so many days (1 to 366); 1 is daily.
    Days(u32),
    Weekly,
    Monthly,
    Annual,
}

impl Cycle {
    /// `daily`, `weekly`, `monthly`, `annual` (or `yearly`), or a number of days from 1 to 366.
    ///
    /// # Errors
    /// Anything else, with words saying what is accepted.
    pub fn parse(text: &str) -> Result<Cycle, String> {
        let text = text.trim().to_ascii_lowercase();
        let cycle = match text.as_str() {
            "daily" => Cycle::Days(1),
            "weekly" => Cycle::Weekly,
            "monthly" => Cycle::Monthly,
            "annual" | "annually" | "yearly" => Cycle::Annual,
            days => match days.trim_end_matches("days").trim().parse::<u32>() {
                Ok(n) if (1..=366).contains(&n) => Cycle::Days(n),
                _ => {
                    return Err(format!(
                        "'{text}' is not a cycle: use daily, weekly, monthly, annual, or a number of days from 1 to 366"
                    ));
                }
            },
        };
        Ok(cycle)
    }

    /// The word kept in the journal for a calendar cycle (`None`: a number of days).
    pub fn stored(self) -> Option<&'static str> {
        match self {
            Cycle::Days(_) => None,
            Cycle::Weekly => Some("weekly"),
            Cycle::Monthly => Some("monthly"),
            Cycle::Annual => Some("annual"),
        }
    }

    /// About how many days one cycle is (kept beside the cycle for older versions).
    pub fn approx_days(self) -> u32 {
        match self {
            Cycle::Days(n) => n,
            Cycle::Weekly => 7,
            Cycle::Monthly => 30,
            Cycle::Annual => 365,
        }
    }

    /// The due date after `due`, keeping a monthly or annual cycle to `anchor_day`.
    pub fn next(self, due: NaiveDate, anchor_day: u32) -> NaiveDate {
        // In the month of `first`: the anchor day, or the month's last day when it is shorter.
        let on_anchor = |first: NaiveDate| {
            (1..=anchor_day.clamp(1, 31)).rev().find_map(|day| first.with_day(day)).unwrap_or(first)
        };
        match self {
            Cycle::Days(n) => due.checked_add_days(Days::new(u64::from(n.max(1)))).unwrap_or(due),
            Cycle::Weekly => due.checked_add_days(Days::new(7)).unwrap_or(due),
            Cycle::Monthly => {
                due.with_day(1).and_then(|d| d.checked_add_months(Months::new(1))).map_or(due, on_anchor)
            }
            Cycle::Annual => {
                due.with_day(1).and_then(|d| d.checked_add_months(Months::new(12))).map_or(due, on_anchor)
            }
        }
    }
}

impl fmt::Display for Cycle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Cycle::Days(1) => f.write_str("daily"),
            Cycle::Days(n) => write!(f, "every {n} days"),
            Cycle::Weekly => f.write_str("weekly"),
            Cycle::Monthly => f.write_str("monthly"),
            Cycle::Annual => f.write_str("annual"),
        }
    }
}

/// Where a payment link stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkStatus {
    Open,
    Paid,
    Expired,
    Failed,
}

impl LinkStatus {
    pub const ALL: [LinkStatus; 4] = [Self::Open, Self::Paid, Self::Expired, Self::Failed];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Paid => "paid",
            Self::Expired => "expired",
            Self::Failed => "failed",
        }
    }
}

impl fmt::Display for LinkStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A payment link APS created, for the payment link order of the same reference.
#[derive(Clone, Debug)]
pub struct NewLink {
    pub profile: String,
    pub merchant_reference: String,
    pub payment_link_id: Option<String>,
    pub url: Option<String>,
    pub amount: Money,
    pub customer_email: String,
    /// APS `notification_type`: EMAIL, SMS, NONE or a comma-separated list.
    pub notification: String,
    pub expires_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LinkRow {
    pub profile: String,
    pub merchant_reference: String,
    pub payment_link_id: Option<String>,
    pub url: Option<String>,
    pub amount_minor: u64,
    pub currency: Currency,
    pub customer_email: String,
    pub notification: String,
    pub expires_at: DateTime<Utc>,
    pub status: LinkStatus,
    pub created_at: DateTime<Utc>,
    /// When APS first showed the link unpaid after its expiry (it is declared expired only when
    /// a second check, well after, agrees).
    pub unpaid_seen_at: Option<DateTime<Utc>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    /// The due dates an agreement first due on `first` runs through.
    fn dates(cycle: Cycle, first: &str, count: usize) -> Vec<String> {
        let first = d(first);
        let mut due = first;
        (0..count)
            .map(|_| {
                due = cycle.next(due, first.day());
                due.to_string()
            })
            .collect()
    }

    #[test]
    fn a_monthly_agreement_keeps_to_its_day_and_the_month_end() {
        let monthly = dates(Cycle::Monthly, "2027-01-31", 4);
        assert_eq!(monthly, ["2027-02-28", "2027-03-31", "2027-04-30", "2027-05-31"]);
        assert_eq!(dates(Cycle::Monthly, "2028-01-30", 2), ["2028-02-29", "2028-03-30"], "a leap February");
        assert_eq!(dates(Cycle::Monthly, "2027-11-15", 2), ["2027-12-15", "2028-01-15"], "over the year end");
        let annual = dates(Cycle::Annual, "2028-02-29", 4);
        assert_eq!(annual, ["2029-02-28", "2030-02-28", "2031-02-28", "2032-02-29"]);
        assert_eq!(dates(Cycle::Weekly, "2027-12-29", 1), ["2028-01-05"]);
        assert_eq!(dates(Cycle::Days(1), "2027-02-28", 1), ["2027-03-01"]);
        assert_eq!(dates(Cycle::Days(45), "2027-01-01", 1), ["2027-02-15"]);
    }

    #[test]
    fn cycles_are_typed_in_words_or_days() {
        for (text, cycle) in [
            ("monthly", Cycle::Monthly),
            (" Weekly ", Cycle::Weekly),
            ("daily", Cycle::Days(1)),
            ("annual", Cycle::Annual),
            ("yearly", Cycle::Annual),
            ("30", Cycle::Days(30)),
            ("14 days", Cycle::Days(14)),
        ] {
            assert_eq!(Cycle::parse(text), Ok(cycle), "{text}");
        }
        for bad in ["", "0", "367", "fortnightly", "-1"] {
            let e = Cycle::parse(bad).unwrap_err();
            assert!(e.contains("daily, weekly, monthly, annual"), "{bad}: {e}");
        }
        assert_eq!(Cycle::Days(1).to_string(), "daily");
        assert_eq!(Cycle::Days(30).to_string(), "every 30 days");
        assert_eq!(Cycle::Monthly.to_string(), "monthly");
    }
}
