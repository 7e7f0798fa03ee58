//! Recurring agreements and payment links as the journal keeps them.

use crate::aps::money::{Currency, Money};
use chrono::{DateTime, NaiveDate, Utc};
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
    pub interval_days: u32,
    pub next_due: NaiveDate,
    pub active: bool,
    pub last_charge_reference: Option<String>,
    pub created_at: DateTime<Utc>,
}

#[derive(Clone, Debug)]
pub struct NewAgreement {
    pub profile: String,
    pub token_name: String,
    pub agreement_id: Option<String>,
    pub customer_email: String,
    pub customer_name: Option<String>,
    pub amount: Money,
    pub interval_days: u32,
    pub next_due: NaiveDate,
    pub created_at: DateTime<Utc>,
}

/// Changes to an agreement; `None` leaves a field as it is.
#[derive(Clone, Debug, Default)]
pub struct AgreementUpdate {
    pub token_name: Option<String>,
    pub agreement_id: Option<Option<String>>,
    pub customer_email: Option<String>,
    pub customer_name: Option<Option<String>>,
    pub amount: Option<Money>,
    pub interval_days: Option<u32>,
    pub next_due: Option<NaiveDate>,
    pub active: Option<bool>,
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
