//! The journal's vocabulary: order and operation states, what a new order or operation carries,
//! and the rows read back.
//!
//! Card data enters only as [`MaskedCard`] (at most first 6 / last 4 digits visible) and
//! [`CardFingerprint`] (a keyed hash made by the caller), so there is no field a full card number
//! could be written into; free text fields are checked by [`refuse_card_numbers`] as well.

use super::JournalError;
use crate::aps::Operation;
use crate::aps::field::Field;
use crate::aps::money::{Currency, Money};
use chrono::{DateTime, NaiveDate, Utc};
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
}

impl Channel {
    pub const ALL: [Channel; 5] = [Self::Phone, Self::Mail, Self::Batch, Self::Cli, Self::Recurring];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Phone => "phone",
            Self::Mail => "mail",
            Self::Batch => "batch",
            Self::Cli => "cli",
            Self::Recurring => "recurring",
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

/// A card number as it may be kept: at most the first 6 and last 4 digits visible, the rest
/// masked. There is deliberately no way to build one from a full card number.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct MaskedCard(String);

/// Characters accepted as masking in [`MaskedCard`] (APS masks with `*`; some screens use `X`).
const MASK_CHARS: [char; 4] = ['*', 'X', 'x', '•'];

impl MaskedCard {
    /// Most digits a masked card may show (first 6 + last 4).
    pub const MAX_VISIBLE_DIGITS: usize = 10;

    /// Accepts masked text such as `400555******0001`.
    ///
    /// # Errors
    /// [`JournalError::Invalid`] when the text shows more than 10 digits, hides none, or holds
    /// anything but digits, mask characters, spaces and dashes.
    pub fn parse(text: &str) -> Result<Self, JournalError> {
        let text = text.trim();
        let invalid =
            |problem: &str| JournalError::Invalid { field: Field::MaskedCard, problem: problem.to_owned() };
        if text.is_empty() || text.chars().count() > 30 {
            return Err(invalid(
                "give the card as first 6 and last 4 digits with the rest masked, e.g. 400555******0001",
            ));
        }
        if !text.chars().all(|c| c.is_ascii_digit() || MASK_CHARS.contains(&c) || c == ' ' || c == '-') {
            return Err(invalid("only digits, * and spaces are allowed, e.g. 400555******0001"));
        }
        if !text.chars().any(|c| MASK_CHARS.contains(&c)) {
            return Err(invalid(
                "the card number must be masked (first 6 and last 4 digits at most), e.g. 400555******0001",
            ));
        }
        if text.chars().filter(char::is_ascii_digit).count() > Self::MAX_VISIBLE_DIGITS {
            return Err(invalid("at most the first 6 and last 4 digits may be visible"));
        }
        Ok(Self(text.to_owned()))
    }

    /// Builds the standard mask from the first six and last four digits and the card length.
    ///
    /// # Errors
    /// [`JournalError::Invalid`] unless `first6` has 6 digits, `last4` has 4 and `len` is 12..=19.
    pub fn from_parts(first6: &str, last4: &str, len: usize) -> Result<Self, JournalError> {
        let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
        if !digits(first6, 6) || !digits(last4, 4) || !(12..=19).contains(&len) {
            return Err(JournalError::Invalid {
                field: Field::MaskedCard,
                problem: "needs the first 6 digits, the last 4 digits and a card length of 12 to 19"
                    .to_owned(),
            });
        }
        Ok(Self(format!("{first6}{}{last4}", "*".repeat(len - 10))))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The last four digits, when the masked text ends with them.
    pub fn last4(&self) -> Option<String> {
        let tail: Vec<char> = self.0.chars().rev().filter(|c| *c != ' ' && *c != '-').take(4).collect();
        (tail.len() == 4 && tail.iter().all(char::is_ascii_digit)).then(|| tail.into_iter().rev().collect())
    }
}

impl fmt::Debug for MaskedCard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MaskedCard({})", self.0)
    }
}

impl fmt::Display for MaskedCard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A keyed hash of a card number (hex HMAC-SHA256, made by `vault::card_fingerprint`), so the
/// duplicate guard can recognise the same card without the journal ever holding the number.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CardFingerprint(String);

impl CardFingerprint {
    /// # Errors
    /// [`JournalError::Invalid`] unless the text is 64 hex digits.
    pub fn parse(hex: &str) -> Result<Self, JournalError> {
        if hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            Ok(Self(hex.to_ascii_lowercase()))
        } else {
            Err(JournalError::Invalid {
                field: Field::CardFingerprint,
                problem: "must be the 64-digit hex HMAC-SHA256 from vault::card_fingerprint".to_owned(),
            })
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// How the customer pays. The only card data it can carry is masked text and a fingerprint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PaymentMethod {
    /// A stored APS token (MOTO or recurring charge). The masked card is often learned only from
    /// the response; set it later with [`OrderUpdate::masked_card`].
    Token { token_name: String, masked_card: Option<MaskedCard> },
    /// A card keyed by the agent on a trusted channel.
    Card { masked_card: MaskedCard, fingerprint: CardFingerprint },
    /// A payment link: the customer enters the card on APS's page.
    Link,
}

/// A new order and its first operation, recorded before the request leaves.
#[derive(Clone, Debug)]
pub struct NewOrder {
    pub profile: String,
    pub merchant_reference: String,
    pub kind: OrderKind,
    pub channel: Channel,
    pub amount: Money,
    pub method: PaymentMethod,
    pub customer_email: Option<String>,
    pub customer_name: Option<String>,
    pub description: Option<String>,
    pub operator: String,
    pub created_at: DateTime<Utc>,
    pub extra: Extra,
    /// Who sends the first operation, and until when it may be on its way.
    pub lease: Option<Lease>,
}

/// A claim on an operation in flight: the process sending or settling it, and the moment after
/// which its request can no longer be on its way to APS. No other process reconciles an
/// operation whose owner is alive; "APS has no record of it" counts only after the deadline.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Lease {
    /// The owning process, as the service names it (host, boot, pid and start time).
    pub owner: String,
    pub deadline: DateTime<Utc>,
}

/// A later operation (capture, void, refund, status, token, link), recorded before it is sent.
#[derive(Clone, Debug)]
pub struct NewOperation {
    pub profile: String,
    /// The order's reference; for CREATE_TOKEN / UPDATE_TOKEN / CHECK_STATUS it may name no
    /// order in the journal.
    pub merchant_reference: String,
    pub operation: Operation,
    pub maintenance_reference: Option<String>,
    pub amount: Option<Money>,
    pub operator: String,
    pub at: DateTime<Utc>,
    pub note: Option<String>,
    pub lease: Option<Lease>,
}

/// How an operation ended.
#[derive(Clone, Debug)]
pub struct OpResult {
    pub state: OpState,
    pub response_code: Option<String>,
    pub response_message: Option<String>,
    pub note: Option<String>,
    pub at: DateTime<Utc>,
}

/// Changes to an order after an answer or a reconciliation. `None` leaves a field as it is;
/// amounts are absolute totals (as CHECK_STATUS reports them), not increments.
#[derive(Clone, Debug, Default)]
pub struct OrderUpdate {
    pub state: Option<OrderState>,
    pub authorized_minor: Option<u64>,
    pub captured_minor: Option<u64>,
    pub refunded_minor: Option<u64>,
    pub fort_id: Option<String>,
    pub last_response_code: Option<String>,
    pub last_message: Option<String>,
    /// `Some(Some(reason))` flags the order for a person, `Some(None)` clears the flag.
    pub needs_attention: Option<Option<String>>,
    /// The masked card learned from a token charge's response (also sets `last4`).
    pub masked_card: Option<MaskedCard>,
    /// Keys merged into the order's extra object (e.g. payment link id and URL).
    pub extra: Option<Extra>,
}

/// One order as stored. Serialises to the `journal --format json` object.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct OrderRow {
    pub profile: String,
    pub merchant_reference: String,
    pub kind: OrderKind,
    pub channel: Channel,
    pub currency: Currency,
    pub amount_minor: u64,
    pub state: OrderState,
    pub authorized_minor: u64,
    pub captured_minor: u64,
    pub refunded_minor: u64,
    pub fort_id: Option<String>,
    pub last_response_code: Option<String>,
    pub last_message: Option<String>,
    /// Masked card, token name or "payment link", for display.
    pub payment_method: String,
    pub token_name: Option<String>,
    pub masked_card: Option<String>,
    pub last4: Option<String>,
    /// Kept for the duplicate guard only; left out of JSON output.
    #[serde(skip)]
    pub card_fingerprint: Option<String>,
    pub customer_email: Option<String>,
    pub customer_name: Option<String>,
    pub description: Option<String>,
    pub operator: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Why a person must look at this order, if they must.
    pub needs_attention: Option<String>,
    pub extra: Extra,
}

impl OrderRow {
    /// What can still be captured: authorized minus captured, while the order is authorized.
    pub fn capturable_minor(&self) -> u64 {
        match self.state {
            OrderState::Authorized | OrderState::Captured => {
                self.authorized_minor.saturating_sub(self.captured_minor)
            }
            _ => 0,
        }
    }

    /// What can still be refunded: captured minus refunded.
    pub fn refundable_minor(&self) -> u64 {
        match self.state {
            OrderState::Captured | OrderState::PartiallyRefunded => {
                self.captured_minor.saturating_sub(self.refunded_minor)
            }
            _ => 0,
        }
    }
}

/// One entry of an order's timeline.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct OperationRow {
    pub id: OpId,
    pub profile: String,
    pub merchant_reference: String,
    pub operation: Operation,
    pub maintenance_reference: Option<String>,
    pub amount: Option<Money>,
    pub state: OpState,
    pub response_code: Option<String>,
    pub response_message: Option<String>,
    pub operator: String,
    pub at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub note: Option<String>,
    /// The process that owns it while it is in flight or being settled (`None` once released).
    pub owner: Option<String>,
    /// After this, its request can no longer be on its way (`None` for journals before leases).
    pub deadline: Option<DateTime<Utc>>,
}

/// An order whose outcome is not settled, with the operations still waiting for an answer.
#[derive(Clone, Debug, PartialEq)]
pub struct Unresolved {
    pub order: OrderRow,
    /// Operations (other than CHECK_STATUS queries) in state Intent or Unknown, oldest first.
    /// Empty when only the order's own state (pending / unknown) makes it unresolved.
    pub open_operations: Vec<OperationRow>,
}

/// Search criteria; every field left empty matches everything. Results are newest first.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    pub profile: Option<String>,
    /// Substring of the merchant reference (case-insensitive).
    pub reference: Option<String>,
    pub fort_id: Option<String>,
    pub last4: Option<String>,
    pub amount_minor: Option<u64>,
    pub currency: Option<Currency>,
    /// Created at or after this instant.
    pub from: Option<DateTime<Utc>>,
    /// Created before this instant.
    pub to: Option<DateTime<Utc>>,
    /// Any of these states (empty: any state).
    pub states: Vec<OrderState>,
    pub operator: Option<String>,
    /// Substring of reference, customer email, customer name or description (case-insensitive).
    pub text: Option<String>,
    pub needs_attention: Option<bool>,
    pub limit: Option<u32>,
    pub offset: u32,
}

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

#[cfg(test)]
mod tests;
