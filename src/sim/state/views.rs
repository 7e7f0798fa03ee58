//! What the simulator shows of its memory: order and money-movement views for tests and the
//! back office, and the log of requests it received.

use crate::sim::faults::FaultKind;
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;
use std::sync::Mutex;

/// Where an order stands, derived from its amounts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OrderState {
    /// A payment link was created and not paid yet.
    LinkOpen,
    /// Refused; no money moved.
    Declined,
    Authorized,
    PartiallyCaptured,
    Captured,
    PartiallyRefunded,
    Refunded,
    Voided,
}

/// One committed change of money.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum MovementKind {
    /// Funds reserved, not yet taken.
    Authorization,
    /// Funds taken at once.
    Purchase,
    Capture,
    /// The remaining authorization released.
    Void,
    Refund,
}

/// A committed money movement: the ground truth tests compare a client's beliefs with.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Movement {
    /// Order of commitment across the whole simulator, from 1.
    pub seq: u64,
    pub kind: MovementKind,
    pub merchant_reference: String,
    pub fort_id: String,
    /// Minor units.
    pub amount: u64,
    pub currency: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maintenance_reference: Option<String>,
    /// RFC 3339 time of the commit.
    pub at: String,
}

/// One refund attempt kept for CHECK_STATUS with `maintenance_reference`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundView {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maintenance_reference: Option<String>,
    pub amount: u64,
    /// The full response code the refund got, e.g. `06000` or `07048`.
    pub response_code: String,
}

/// An order as the simulator committed it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderView {
    pub merchant_reference: String,
    pub fort_id: String,
    /// `PURCHASE` or `AUTHORIZATION`.
    pub command: String,
    pub state: OrderState,
    pub currency: String,
    /// The amount asked for, minor units.
    pub amount: u64,
    pub authorized_amount: u64,
    pub captured_amount: u64,
    pub refunded_amount: u64,
    /// The last operation's full response code (CHECK_STATUS `transaction_code`).
    pub transaction_code: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eci: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_name: Option<String>,
    /// Masked, e.g. `400555******0001`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub card_number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_link_id: Option<String>,
    pub refunds: Vec<RefundView>,
    pub movements: Vec<Movement>,
    pub created_at: String,
}

/// One request the API endpoints received, for counting hits in tests.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestRecord {
    /// `paymentApi`, `upload` or `batchApi`.
    pub endpoint: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merchant_reference: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maintenance_reference: Option<String>,
    /// `None` when no APS answer was given (dropped connection, HTTP 500, non-JSON body).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fault: Option<FaultKind>,
    pub http_status: u16,
}

/// The last requests, bounded so a long benchmark cannot grow it without limit.
#[derive(Default)]
pub(crate) struct RequestLog {
    records: Mutex<VecDeque<RequestRecord>>,
}

const REQUEST_LOG_CAPACITY: usize = 10_000;

impl RequestLog {
    pub(crate) fn push(&self, record: RequestRecord) {
        let mut records = self.records.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if records.len() == REQUEST_LOG_CAPACITY {
            records.pop_front();
        }
        records.push_back(record);
    }

    pub(crate) fn list(&self) -> Vec<RequestRecord> {
        self.records.lock().unwrap_or_else(std::sync::PoisonError::into_inner).iter().cloned().collect()
    }
}
