//! What a new order or operation carries, how it ends, and the rows read back.

use super::{CardFingerprint, Channel, Extra, MaskedCard, OpId, OpState, OrderKind, OrderState};
use crate::aps::Operation;
use crate::aps::money::{Currency, Money};
use chrono::{DateTime, Utc};
use serde::Serialize;

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
    /// Taken outside this terminal (the merchant's website, another system) and brought in from
    /// CHECK_STATUS, which does not say how the customer paid.
    Outside,
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
    /// The desk it was keyed at (the host name unless set): with a team journal, which of the
    /// call centre's terminals took the order.
    pub terminal: String,
    pub created_at: DateTime<Utc>,
    pub extra: Extra,
    /// Who sends the first operation, and until when it may be on its way.
    pub lease: Option<Lease>,
    /// The batch row this order is ("batch id:row"), recorded on its first operation.
    pub batch_row: Option<String>,
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
    /// The batch row this operation does ("batch id:row"), if it is one.
    pub batch_row: Option<String>,
    /// The supervisor who approved an agent's refund or void.
    pub approved_by: Option<String>,
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
    /// The desk it was keyed at; empty for orders recorded before terminals were.
    pub terminal: String,
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
    /// The supervisor who approved it (an agent's refund or void).
    pub approved_by: Option<String>,
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
