//! The journal's vocabulary: order and operation states, what a new order or operation carries,
//! and the rows read back.
//!
//! Card data enters only as [`MaskedCard`] (at most first 6 / last 4 digits visible) and
//! [`CardFingerprint`] (a keyed hash made by the caller), so there is no field a full card number
//! could be written into; free text fields are checked by [`refuse_card_numbers`] as well.

mod card;
mod order;
mod plans;

pub use card::{CardFingerprint, MaskedCard};
pub use order::{
    Filter, Lease, NewOperation, NewOrder, OpResult, OperationRow, OrderRow, OrderUpdate, PaymentMethod,
    Unresolved,
};
pub use plans::{
    Agreement, AgreementLimit, AgreementUpdate, Cycle, LinkRow, LinkStatus, NewAgreement, NewLink,
};

use super::JournalError;
use crate::aps::Operation;
use crate::aps::field::Field;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Extra facts about an order that only some kinds have: mail-order slip number, order date and
/// postal details, payment link id / URL, recurring agreement id. Stored as a JSON object.
pub type Extra = serde_json::Map<String, serde_json::Value>;

/// Where an order stands. The journal's answer to "was the customer charged?".
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderState {
    /// The intent is recorded; the request may be on its way. After a crash this means "ask APS".
    Pending,
    /// The request may have reached APS but no trustworthy answer came back.
    Unknown,
    /// APS cannot have seen the request (it never left this machine): nothing was charged.
    NotSent,
    /// The issuer or APS declined the payment.
    Declined,
    /// APS refused the request itself (validation, signature, configuration).
    Rejected,
    Authorized,
    Captured,
    PartiallyRefunded,
    Refunded,
    Voided,
}

impl OrderState {
    pub const ALL: [OrderState; 10] = [
        Self::Pending,
        Self::Unknown,
        Self::NotSent,
        Self::Declined,
        Self::Rejected,
        Self::Authorized,
        Self::Captured,
        Self::PartiallyRefunded,
        Self::Refunded,
        Self::Voided,
    ];

    /// The name stored in the journal and shown by `journal --format json`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Unknown => "unknown",
            Self::NotSent => "not_sent",
            Self::Declined => "declined",
            Self::Rejected => "rejected",
            Self::Authorized => "authorized",
            Self::Captured => "captured",
            Self::PartiallyRefunded => "partially_refunded",
            Self::Refunded => "refunded",
            Self::Voided => "voided",
        }
    }

    /// The state as a person reads it on screen ("partially refunded", "not sent").
    pub fn words(self) -> &'static str {
        match self {
            Self::NotSent => "not sent",
            Self::PartiallyRefunded => "partially refunded",
            other => other.as_str(),
        }
    }

    /// The state of an order APS approved, from the amounts CHECK_STATUS (or the journal's own
    /// running totals) report. Amounts that no approved order can have (nothing authorized or
    /// captured, refunds without a capture, a void after a capture) give `Unknown`, so the order
    /// is checked again or shown to a person rather than trusted.
    pub fn from_amounts(authorized: u64, captured: u64, refunded: u64, voided: bool) -> OrderState {
        if voided {
            return if captured == 0 && refunded == 0 { Self::Voided } else { Self::Unknown };
        }
        if captured == 0 {
            return if authorized > 0 && refunded == 0 { Self::Authorized } else { Self::Unknown };
        }
        if refunded == 0 {
            Self::Captured
        } else if refunded < captured {
            Self::PartiallyRefunded
        } else if refunded == captured {
            Self::Refunded
        } else {
            Self::Unknown
        }
    }

    /// Nothing can happen to the order any more: no capture, void or refund is possible.
    pub fn is_final(self) -> bool {
        matches!(self, Self::NotSent | Self::Declined | Self::Rejected | Self::Refunded | Self::Voided)
    }

    /// The outcome is not known: the service must ask APS before trusting or repeating anything.
    pub fn needs_reconciliation(self) -> bool {
        matches!(self, Self::Pending | Self::Unknown)
    }

    /// APS approved the order at some point (money was reserved or moved).
    pub fn was_approved(self) -> bool {
        matches!(
            self,
            Self::Authorized | Self::Captured | Self::PartiallyRefunded | Self::Refunded | Self::Voided
        )
    }
}

impl fmt::Display for OrderState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for OrderState {
    type Err = JournalError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let norm = text.trim().to_ascii_lowercase().replace('-', "_");
        Self::ALL.into_iter().find(|s| s.as_str() == norm).ok_or_else(|| JournalError::Invalid {
            field: Field::State,
            problem: format!(
                "\"{}\" is not an order state; use one of {}",
                text.trim(),
                Self::ALL.map(Self::as_str).join(", ")
            ),
        })
    }
}

/// What the customer asked for; decides the first APS operation of the order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderKind {
    Sale,
    AuthorizeOnly,
    Recurring,
    PaymentLink,
}

impl OrderKind {
    pub const ALL: [OrderKind; 4] = [Self::Sale, Self::AuthorizeOnly, Self::Recurring, Self::PaymentLink];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sale => "sale",
            Self::AuthorizeOnly => "authorize_only",
            Self::Recurring => "recurring",
            Self::PaymentLink => "payment_link",
        }
    }

    /// The APS operation that creates an order of this kind.
    pub fn first_operation(self) -> Operation {
        match self {
            Self::Sale | Self::Recurring => Operation::Purchase,
            Self::AuthorizeOnly => Operation::Authorization,
            Self::PaymentLink => Operation::PaymentLink,
        }
    }
}

impl fmt::Display for OrderKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How the order reached the terminal (kept for the merchant's MOTO records).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Phone,
    Mail,
    Batch,
    Cli,
    Recurring,
    /// Taken outside this terminal and brought in from CHECK_STATUS.
    Outside,
}

impl Channel {
    pub const ALL: [Channel; 6] =
        [Self::Phone, Self::Mail, Self::Batch, Self::Cli, Self::Recurring, Self::Outside];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Phone => "phone",
            Self::Mail => "mail",
            Self::Batch => "batch",
            Self::Cli => "cli",
            Self::Recurring => "recurring",
            Self::Outside => "outside",
        }
    }
}

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where one operation of the timeline stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OpState {
    /// Recorded before the request left; no answer yet.
    Intent,
    Approved,
    Declined,
    Rejected,
    /// The request may have been processed; the answer was lost or not trustworthy.
    Unknown,
    /// The request never reached APS.
    NotSent,
    /// An `Unknown` operation whose outcome was later established (the note says how).
    Resolved,
}

impl OpState {
    pub const ALL: [OpState; 7] = [
        Self::Intent,
        Self::Approved,
        Self::Declined,
        Self::Rejected,
        Self::Unknown,
        Self::NotSent,
        Self::Resolved,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Intent => "intent",
            Self::Approved => "approved",
            Self::Declined => "declined",
            Self::Rejected => "rejected",
            Self::Unknown => "unknown",
            Self::NotSent => "not_sent",
            Self::Resolved => "resolved",
        }
    }

    /// The state as a person reads it in an order's timeline.
    pub fn words(self) -> &'static str {
        match self {
            Self::Intent => "awaiting answer",
            Self::NotSent => "not sent",
            other => other.as_str(),
        }
    }

    /// The operation still waits for an answer (or for reconciliation).
    pub fn is_open(self) -> bool {
        matches!(self, Self::Intent | Self::Unknown)
    }
}

impl fmt::Display for OpState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Row id of one operation in the journal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct OpId(pub i64);

impl fmt::Display for OpId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

#[cfg(test)]
pub(crate) mod tests;
