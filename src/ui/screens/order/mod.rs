//! The Phone order and Mail order screens: one desk, two channels.
//!
//! - Phone order: the agent charges a saved card (token) or, where the profile allows the trusted
//!   channel, a card the customer reads out, while the customer is on the line.
//! - Mail order: a back-office clerk keys a stack of paper order forms. Same charge, plus the slip
//!   number, the order date and the postal details; after each outcome, Enter starts the next
//!   slip with the date and currency kept.
//!
//! [`OrderForm`] is the pure state machine (its fields in `fields.rs`, its read-back in
//! `read_back.rs`, its phases in the shared submit flow); [`OrderDesk`] does the I/O.

mod desk;
mod fields;
mod form;
mod read_back;

pub use desk::OrderDesk;
pub use form::OrderForm;
pub use read_back::check_order_date;

/// Which paperwork the order came with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OrderChannel {
    Phone,
    Mail,
}

/// How the customer pays.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PaymentMode {
    /// A saved card from the token book (MOTO).
    Token,
    /// A card number typed by the agent (trusted channel only).
    Card,
}

/// Mail-order paperwork.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MailFields {
    pub slip_number: String,
    /// YYYY-MM-DD, the date on the order form; today by default.
    pub order_date: String,
    pub postal_address: String,
}

/// What the screen must do after a frame of the form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FormEvent {
    /// The agent confirmed the read-back: send the order. `allow_duplicate` is set only after
    /// the duplicate guard's explicit override.
    Submit { allow_duplicate: bool },
    /// The token search text changed: look it up in the token book.
    SearchTokens(String),
    /// Open Operations on this order (after an authorization, to capture it).
    OpenOperations(String),
}
