//! One typed request per APS operation (spec section 3). Building a request is pure: each
//! command turns into its ordered parameter list, checked field by field against the APS rules
//! (spec section 7) so that a request APS would refuse for its format is refused here first,
//! naming the field. Signing and sending happen elsewhere.

mod params;
pub use params::required_fields;

use super::Operation;
use super::card::{CardNumber, Cvv, Expiry};
use super::money::{Currency, Money};
use super::secret::Secret;

/// The merchant fields every request carries (spec 3.1).
pub struct Merchant<'a> {
    pub merchant_identifier: &'a str,
    pub access_code: &'a Secret,
    /// `en` or `ar`: the language of APS's `response_message`.
    pub language: &'a str,
}

/// Sale or authorize-only.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum ChargeKind {
    /// `PURCHASE`: authorize and capture at once.
    Sale,
    /// `AUTHORIZATION`: hold the amount; capture or void it later.
    AuthorizeOnly,
}

impl ChargeKind {
    pub fn operation(self) -> Operation {
        match self {
            Self::Sale => Operation::Purchase,
            Self::AuthorizeOnly => Operation::Authorization,
        }
    }
}

/// What the customer pays with.
pub enum PaymentSource {
    /// A stored card token (`eci=MOTO` charges only stored tokens, spec 3.2).
    Token(String),
    /// Clear card data over the trusted channel (PCI-DSS merchants only, spec 3.3).
    Card(KeyedCard),
}

/// A card typed by the agent. The number and CVV wipe themselves when dropped.
pub struct KeyedCard {
    pub number: CardNumber,
    pub expiry: Expiry,
    /// Checked for length when typed, but not sent: spec 3.3 says `card_security_code` is for
    /// `eci=ECOMMERCE` only and is omitted for MOTO.
    pub cvv: Option<Cvv>,
    pub holder_name: Option<String>,
    /// Name for the token APS creates from this card, if the merchant wants to choose it.
    pub token_name: Option<String>,
    /// Ask APS to keep the card as a token (`remember_me=YES`).
    pub remember: bool,
}

impl std::fmt::Debug for PaymentSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Token(t) => write!(f, "Token({t})"),
            Self::Card(card) => write!(f, "Card({})", card.number.masked()),
        }
    }
}

/// Optional order details shared by charges (spec 3.2).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct OrderDetails {
    pub customer_name: Option<String>,
    pub order_description: Option<String>,
    pub phone_number: Option<String>,
    pub customer_ip: Option<String>,
    pub settlement_reference: Option<String>,
    pub merchant_extra: Option<String>,
}

/// PURCHASE or AUTHORIZATION, MOTO or recurring.
#[derive(Debug)]
pub struct Charge {
    pub kind: ChargeKind,
    pub merchant_reference: String,
    pub money: Money,
    pub customer_email: String,
    pub source: PaymentSource,
    /// A merchant-initiated recurring charge (`eci=RECURRING`, PURCHASE only, spec 3.4).
    pub recurring: bool,
    /// The agreement id from the customer's first payment; sent when known (spec 3.4, 9). On
    /// the first payment itself, the merchant's own id for the agreement (else APS makes one).
    pub agreement_id: Option<String>,
    /// On a customer's first payment: the recurring agreement it sets up with APS.
    pub recurring_setup: Option<RecurringSetup>,
    pub details: OrderDetails,
}

/// How later merchant-initiated charges may vary (spec 3.4: `recurring_mode`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum RecurringMode {
    /// The same amount every time.
    Fixed,
    /// An amount that may change from one charge to the next.
    Variable,
}

impl RecurringMode {
    pub fn wire(self) -> &'static str {
        match self {
            Self::Fixed => "FIXED",
            Self::Variable => "VARIABLE",
        }
    }
}

/// Where an agreement ends: after so many payments, or on a date.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecurringLimit {
    Payments(u16),
    Until(chrono::NaiveDate),
}

/// The agreement a first payment sets up with APS (spec 3.4, fields from the SDKs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecurringSetup {
    pub mode: RecurringMode,
    pub limit: RecurringLimit,
    /// The least number of days between two charges (1 to 366).
    pub days_between: u16,
}

/// CAPTURE part or all of an authorization (spec 3.5).
#[derive(Clone, Debug)]
pub struct Capture {
    pub merchant_reference: String,
    pub money: Money,
    pub fort_id: Option<String>,
    pub order_description: Option<String>,
}

/// VOID_AUTHORIZATION: release a whole authorization before any capture (spec 3.6).
#[derive(Clone, Debug)]
pub struct Void {
    pub merchant_reference: String,
    pub fort_id: Option<String>,
    pub order_description: Option<String>,
}

/// REFUND part or all of what was captured (spec 3.7).
#[derive(Clone, Debug)]
pub struct Refund {
    pub merchant_reference: String,
    pub money: Money,
    pub fort_id: Option<String>,
    /// The refund's own unique reference, so a lost answer can be checked and a declined refund
    /// retried safely (spec 3.7, 3.8).
    pub maintenance_reference: Option<String>,
    pub order_description: Option<String>,
}

/// CHECK_STATUS of an order, or of one refund of it (spec 3.8).
#[derive(Clone, Debug)]
pub struct CheckStatus {
    pub merchant_reference: String,
    pub fort_id: Option<String>,
    pub maintenance_reference: Option<String>,
    pub third_party_codes: bool,
}

/// Token status values of UPDATE_TOKEN.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum TokenStatus {
    Active,
    Inactive,
}

impl TokenStatus {
    pub fn wire(self) -> &'static str {
        match self {
            Self::Active => "ACTIVE",
            Self::Inactive => "INACTIVE",
        }
    }
}

/// UPDATE_TOKEN: activate, deactivate, rename or change the expiry of a stored card (spec 3.9).
#[derive(Clone, Debug, Default)]
pub struct UpdateToken {
    pub merchant_reference: String,
    pub token_name: String,
    pub new_token_name: Option<String>,
    pub token_status: Option<TokenStatus>,
    pub expiry: Option<Expiry>,
    pub card_holder_name: Option<String>,
    pub currency: Option<Currency>,
}

/// CREATE_TOKEN: store a card without charging it (spec 3.9). Sent as JSON to paymentApi like
/// SEVASKE does; the endpoint is UNKNOWN in the spec, and card fields are signed like every
/// other server-to-server request (also UNKNOWN; the trusted-channel reading).
pub struct CreateToken {
    pub merchant_reference: String,
    pub number: CardNumber,
    pub expiry: Expiry,
    pub holder_name: Option<String>,
    pub token_name: Option<String>,
    pub currency: Option<Currency>,
    pub return_url: String,
}

impl std::fmt::Debug for CreateToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreateToken")
            .field("merchant_reference", &self.merchant_reference)
            .field("card", &self.number.masked())
            .field("token_name", &self.token_name)
            .finish_non_exhaustive()
    }
}

/// How APS tells the customer about a payment link.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Notification {
    Email,
    Sms,
    EmailAndSms,
    None,
}

impl Notification {
    pub fn wire(self) -> &'static str {
        match self {
            Self::Email => "EMAIL",
            Self::Sms => "SMS",
            Self::EmailAndSms => "EMAIL,SMS",
            Self::None => "NONE",
        }
    }
}

/// PAYMENT_LINK: an invoice link APS sends to the customer (spec 3.10).
#[derive(Clone, Debug)]
pub struct PaymentLink {
    pub merchant_reference: String,
    pub money: Money,
    pub customer_email: String,
    /// ISO-8601 with offset, e.g. `2026-12-01T18:00:00+04:00`.
    pub request_expiry_date: String,
    pub notification: Notification,
    pub link_command: ChargeKind,
    pub customer_name: Option<String>,
    /// Digits only; required when the link goes by SMS.
    pub customer_phone: Option<String>,
    pub order_description: Option<String>,
}

/// The batch trio (spec 3.11). The upload's `file` part is not signed (UNKNOWN in the spec;
/// the reading that keeps the signature over the same fields as the JSON calls).
#[derive(Clone, Debug)]
pub struct BatchRequest {
    pub operation: Operation,
    pub batch_reference: String,
    pub batch_id: Option<String>,
}

/// Any request the terminal can send.
#[derive(Debug)]
pub enum Command {
    Charge(Charge),
    Capture(Capture),
    Void(Void),
    Refund(Refund),
    CheckStatus(CheckStatus),
    UpdateToken(UpdateToken),
    CreateToken(CreateToken),
    PaymentLink(PaymentLink),
    Batch(BatchRequest),
}

impl Command {
    pub fn operation(&self) -> Operation {
        match self {
            Self::Charge(c) => c.kind.operation(),
            Self::Capture(_) => Operation::Capture,
            Self::Void(_) => Operation::VoidAuthorization,
            Self::Refund(_) => Operation::Refund,
            Self::CheckStatus(_) => Operation::CheckStatus,
            Self::UpdateToken(_) => Operation::UpdateToken,
            Self::CreateToken(_) => Operation::CreateToken,
            Self::PaymentLink(_) => Operation::PaymentLink,
            Self::Batch(b) => b.operation,
        }
    }

    /// The merchant reference the request is about (the batch reference for batch calls).
    pub fn merchant_reference(&self) -> &str {
        match self {
            Self::Charge(c) => &c.merchant_reference,
            Self::Capture(c) => &c.merchant_reference,
            Self::Void(c) => &c.merchant_reference,
            Self::Refund(c) => &c.merchant_reference,
            Self::CheckStatus(c) => &c.merchant_reference,
            Self::UpdateToken(c) => &c.merchant_reference,
            Self::CreateToken(c) => &c.merchant_reference,
            Self::PaymentLink(c) => &c.merchant_reference,
            Self::Batch(c) => &c.batch_reference,
        }
    }
}

#[cfg(test)]
mod tests;
