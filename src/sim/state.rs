//! The simulator's memory: orders, tokens, payment links, batches and money movements, plus the
//! views handed to tests and the JSON file that keeps them across restarts.
//!
//! Nothing here holds a full card number or a fingerprint of one: a token keeps the masked
//! number, the BIN and the last four digits. The simulator accepts only the public test cards,
//! whose masked numbers all differ, so unique-token mode finds "the same card" again by its
//! masked number, through an index kept in memory only.

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

mod persist;
mod views;

pub(crate) use persist::Persister;
pub(crate) use views::RequestLog;
pub use views::{Movement, MovementKind, OrderState, OrderView, RefundView, RequestRecord};

/// Version of the state file layout.
const STATE_VERSION: u32 = 1;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub(crate) enum TokenStatus {
    Active,
    Inactive,
}

impl TokenStatus {
    pub(crate) fn wire(self) -> &'static str {
        match self {
            Self::Active => "ACTIVE",
            Self::Inactive => "INACTIVE",
        }
    }
}

/// A stored card token. No PAN: see the module docs.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct Token {
    pub seq: u64,
    pub name: String,
    pub status: TokenStatus,
    /// First 6 and last 4 digits, e.g. `400555******0001`.
    pub masked: String,
    pub bin: String,
    pub last4: String,
    /// `VISA`, `MASTERCARD`, `AMEX`, `MADA`, `MEEZA`.
    pub brand: String,
    /// `YYMM`.
    pub expiry: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub holder_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    pub created_at: String,
    /// The issuer declines every charge on this card (the documented decline card).
    pub issuer_declines: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub(crate) enum OrderKind {
    Purchase,
    Authorization,
}

impl OrderKind {
    pub(crate) fn wire(self) -> &'static str {
        match self {
            Self::Purchase => "PURCHASE",
            Self::Authorization => "AUTHORIZATION",
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct LinkInfo {
    pub id: String,
    pub paid: bool,
    /// `request_expiry_date` as sent (ISO 8601 with offset).
    pub expires: String,
    pub customer_email: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_description: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct RefundRecord {
    pub maintenance_reference: Option<String>,
    pub amount: u64,
    pub status: String,
    pub message: String,
}

/// An order: one merchant reference, its amounts and its history.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct Order {
    pub seq: u64,
    pub merchant_reference: String,
    pub fort_id: String,
    pub kind: OrderKind,
    pub currency: String,
    pub amount: u64,
    pub authorized: u64,
    pub captured: u64,
    pub refunded: u64,
    pub voided: bool,
    pub declined: bool,
    /// Status and message code of the last operation (CHECK_STATUS `transaction_status` and
    /// the last three digits of `transaction_code`).
    pub last_status: String,
    pub last_message: String,
    pub eci: Option<String>,
    pub token_name: Option<String>,
    pub card_masked: Option<String>,
    pub expiry: Option<String>,
    pub payment_option: Option<String>,
    pub authorization_code: Option<String>,
    pub link: Option<LinkInfo>,
    pub refunds: Vec<RefundRecord>,
    pub movements: Vec<Movement>,
    pub created_at: String,
}

impl Order {
    pub(crate) fn state(&self) -> OrderState {
        if self.declined {
            OrderState::Declined
        } else if self.link.as_ref().is_some_and(|l| !l.paid) {
            OrderState::LinkOpen
        } else if self.voided {
            OrderState::Voided
        } else if self.refunded > 0 {
            if self.refunded >= self.captured { OrderState::Refunded } else { OrderState::PartiallyRefunded }
        } else if self.captured == 0 {
            OrderState::Authorized
        } else if self.captured < self.authorized {
            OrderState::PartiallyCaptured
        } else {
            OrderState::Captured
        }
    }

    pub(crate) fn transaction_code(&self) -> String {
        format!("{}{}", self.last_status, self.last_message)
    }

    pub(crate) fn view(&self) -> OrderView {
        OrderView {
            merchant_reference: self.merchant_reference.clone(),
            fort_id: self.fort_id.clone(),
            command: self.kind.wire().to_owned(),
            state: self.state(),
            currency: self.currency.clone(),
            amount: self.amount,
            authorized_amount: self.authorized,
            captured_amount: self.captured,
            refunded_amount: self.refunded,
            transaction_code: self.transaction_code(),
            eci: self.eci.clone(),
            token_name: self.token_name.clone(),
            card_number: self.card_masked.clone(),
            payment_link_id: self.link.as_ref().map(|l| l.id.clone()),
            refunds: self
                .refunds
                .iter()
                .map(|r| RefundView {
                    maintenance_reference: r.maintenance_reference.clone(),
                    amount: r.amount,
                    response_code: format!("{}{}", r.status, r.message),
                })
                .collect(),
            movements: self.movements.clone(),
            created_at: self.created_at.clone(),
        }
    }
}

/// How a batch stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub(crate) enum BatchStatus {
    Uploaded,
    Processed,
}

/// One batch row, as parsed from the CSV: its line number and `name -> value` pairs.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct BatchRow {
    pub line: usize,
    pub fields: Vec<(String, String)>,
}

impl BatchRow {
    /// The row's value in the named column, if the header has it.
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    /// The reference of a row that makes a new order (a purchase or a payment link): the one
    /// validation requires to be new.
    pub fn new_order_reference(&self) -> Option<&str> {
        matches!(self.field("command"), Some("PURCHASE" | "PAYMENT_LINK"))
            .then(|| self.field("merchant_reference").filter(|r| !r.is_empty()))
            .flatten()
    }

    /// What makes this row a repeat of another, whatever its type: a new order's reference, a
    /// refund's own maintenance reference, the order a void cancels. Captures have none: two
    /// partial captures of one order may be the same amount.
    pub fn duplicate_key(&self) -> Option<String> {
        let reference = self.field("merchant_reference").unwrap_or_default();
        match self.field("command")? {
            "PURCHASE" | "PAYMENT_LINK" => {
                self.new_order_reference().map(|r| format!("merchant_reference {r}"))
            }
            "REFUND" => self
                .field("maintenance_reference")
                .filter(|m| !m.is_empty())
                .map(|m| format!("maintenance_reference {m}")),
            "VOID_AUTHORIZATION" => Some(format!("the void of {reference}")),
            _ => None,
        }
    }
}

/// One line of the results file.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct BatchLineResult {
    pub line: usize,
    pub response_code: String,
    pub response_message: String,
    pub status: String,
    pub eci: String,
    pub fort_id: String,
    pub merchant_reference: String,
    pub amount: String,
    pub card_number: String,
    pub expiry_date: String,
    pub currency: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct Batch {
    pub reference: String,
    pub batch_id: String,
    pub status: BatchStatus,
    pub rows: Vec<BatchRow>,
    /// Why the file is invalid, if it is (GET_BATCH_RESULTS then answers 77136).
    pub invalid: Option<String>,
    pub results: Vec<BatchLineResult>,
    /// Results requests still to be answered "still under validation" (`138`).
    #[serde(default)]
    pub validating: u32,
    /// Results requests after PROCESS_BATCH still to be answered "still under processing" (`140`).
    #[serde(default)]
    pub processing: u32,
}

/// Everything the simulator remembers.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct State {
    pub version: u32,
    pub fort_seq: u64,
    pub order_seq: u64,
    pub movement_seq: u64,
    pub token_seq: u64,
    pub orders: HashMap<String, Order>,
    pub tokens: BTreeMap<String, Token>,
    pub batches: BTreeMap<String, Batch>,
    /// Recurring agreements set up by a first payment, by agreement id.
    #[serde(default)]
    pub agreements: BTreeMap<String, super::payments::agreements::Agreement>,
    /// The port the payment-link pages were given on (`SimConfig::link_pages` with port 0), so
    /// the links given out open again after a restart.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link_port: Option<u16>,
    #[serde(skip)]
    pub by_fort_id: HashMap<String, String>,
    #[serde(skip)]
    pub by_link: HashMap<String, String>,
    /// Masked card number to the first token of that card (unique-token mode). Memory only.
    #[serde(skip)]
    pub by_card: HashMap<String, String>,
    /// Bumped on every committed change, so a slower writer never overwrites a newer file.
    #[serde(skip)]
    pub generation: u64,
}

impl State {
    pub(crate) fn new() -> Self {
        Self {
            version: STATE_VERSION,
            fort_seq: 0,
            order_seq: 0,
            movement_seq: 0,
            token_seq: 0,
            orders: HashMap::new(),
            tokens: BTreeMap::new(),
            batches: BTreeMap::new(),
            agreements: BTreeMap::new(),
            link_port: None,
            by_fort_id: HashMap::new(),
            by_link: HashMap::new(),
            by_card: HashMap::new(),
            generation: 0,
        }
    }

    /// Rebuilds the lookup indexes after loading.
    fn reindex(&mut self) {
        self.by_fort_id.clear();
        self.by_link.clear();
        self.by_card.clear();
        for order in self.orders.values() {
            self.by_fort_id.insert(order.fort_id.clone(), order.merchant_reference.clone());
            if let Some(link) = &order.link {
                self.by_link.insert(link.id.clone(), order.merchant_reference.clone());
            }
        }
        let mut tokens: Vec<&Token> = self.tokens.values().collect();
        tokens.sort_by_key(|t| t.seq);
        for token in tokens {
            self.by_card.entry(token.masked.clone()).or_insert_with(|| token.name.clone());
        }
    }

    /// Adds a token and indexes its card for unique-token mode (the first token of a card wins).
    pub(crate) fn add_token(&mut self, mut token: Token) {
        self.token_seq += 1;
        token.seq = self.token_seq;
        self.by_card.entry(token.masked.clone()).or_insert_with(|| token.name.clone());
        self.tokens.insert(token.name.clone(), token);
    }

    /// Renames a token, keeping the card index right.
    pub(crate) fn rename_token(&mut self, from: &str, to: &str) {
        if let Some(mut token) = self.tokens.remove(from) {
            token.name = to.to_owned();
            if self.by_card.get(&token.masked).map(String::as_str) == Some(from) {
                self.by_card.insert(token.masked.clone(), to.to_owned());
            }
            self.tokens.insert(to.to_owned(), token);
        }
    }

    pub(crate) fn add_order(&mut self, mut order: Order) {
        self.order_seq += 1;
        order.seq = self.order_seq;
        self.by_fort_id.insert(order.fort_id.clone(), order.merchant_reference.clone());
        if let Some(link) = &order.link {
            self.by_link.insert(link.id.clone(), order.merchant_reference.clone());
        }
        self.orders.insert(order.merchant_reference.clone(), order);
    }

    /// Records a movement on an order and returns it.
    pub(crate) fn record_movement(
        &mut self,
        merchant_reference: &str,
        kind: MovementKind,
        amount: u64,
        maintenance_reference: Option<String>,
        at: &str,
    ) {
        self.movement_seq += 1;
        let seq = self.movement_seq;
        if let Some(order) = self.orders.get_mut(merchant_reference) {
            order.movements.push(Movement {
                seq,
                kind,
                merchant_reference: order.merchant_reference.clone(),
                fort_id: order.fort_id.clone(),
                amount,
                currency: order.currency.clone(),
                maintenance_reference,
                at: at.to_owned(),
            });
        }
    }

    /// Finds an order by merchant reference and/or fort_id; both given must name the same order.
    pub(crate) fn find_order(
        &self,
        merchant_reference: Option<&str>,
        fort_id: Option<&str>,
    ) -> Option<&Order> {
        let by_fort = match fort_id {
            Some(id) => Some(self.by_fort_id.get(id)?.as_str()),
            None => None,
        };
        let reference = match (merchant_reference, by_fort) {
            (Some(a), Some(b)) if a != b => return None,
            (Some(a), _) => a,
            (None, Some(b)) => b,
            (None, None) => return None,
        };
        self.orders.get(reference)
    }

    pub(crate) fn views(&self) -> Vec<OrderView> {
        let mut orders: Vec<&Order> = self.orders.values().collect();
        orders.sort_by_key(|o| o.seq);
        orders.into_iter().map(Order::view).collect()
    }

    pub(crate) fn movements(&self) -> Vec<Movement> {
        let mut all: Vec<Movement> = self.orders.values().flat_map(|o| o.movements.iter().cloned()).collect();
        all.sort_by_key(|m| m.seq);
        all
    }
}
