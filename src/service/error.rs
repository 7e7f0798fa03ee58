//! Why the service did not do what was asked, in words that name what to fix.

use super::{Field, OrderRow};
use crate::journal;

/// Why the service did not do what was asked. Each message names what to fix.
#[derive(Clone, Debug, thiserror::Error)]
pub enum ServiceError {
    /// A field is wrong; nothing was sent.
    #[error("{}", invalid_message(.field, .message))]
    Invalid { field: Field, message: String },
    /// The same card or token was charged the same amount a few minutes ago.
    #[error("{}", duplicate_message(.existing))]
    PossibleDuplicate { existing: Box<OrderRow> },
    /// The profile or its secrets are missing or wrong.
    #[error("{0}")]
    Profile(String),
    /// No such order in this profile's journal.
    #[error("{0}")]
    NotFound(String),
    /// The order has an operation whose outcome is still unknown.
    #[error("{0}")]
    Busy(String),
    /// The operator is not signed in, or their role may not do it; nothing was sent.
    #[error("{0}")]
    NotAllowed(String),
    /// The team journal cannot be reached or used; the message says why.
    #[error("{0}")]
    Team(String),
    /// The journal could not be written: nothing was sent.
    #[error("the journal could not be written, so nothing was sent: {0}")]
    Journal(String),
    /// The request went to APS but its result could not be written down.
    #[error(
        "the request was sent to APS but its result could not be recorded ({0}): APS may have processed it, so do not send it again; check it in Status"
    )]
    NotRecorded(String),
}

/// Journal failures once a request has left mean "unknown", never "nothing was sent".
pub(crate) fn after_send(e: ServiceError) -> ServiceError {
    match e {
        ServiceError::Journal(text) => ServiceError::NotRecorded(text),
        e @ (ServiceError::Invalid { .. } | ServiceError::Busy(_) | ServiceError::NotFound(_)) => {
            ServiceError::NotRecorded(e.to_string())
        }
        other => other,
    }
}

/// The message names the field once: most already do ("amount has 3 decimals..."), the rest get
/// it in front.
fn invalid_message(field: &Field, message: &str) -> String {
    field.named(message)
}

fn duplicate_message(existing: &OrderRow) -> String {
    let money = format!(
        "{} {}",
        existing.currency,
        crate::aps::money::format_minor(existing.amount_minor, existing.currency)
    );
    let at = existing.created_at.format("%H:%M");
    let (method, reference) = (&existing.payment_method, &existing.merchant_reference);
    if existing.state.was_approved() {
        format!(
            "possible duplicate: {method} was charged {money} at {at} UTC (order {reference}); charge again only if the customer really wants a second payment"
        )
    } else {
        format!(
            "possible duplicate: order {reference} for {method}, {money} at {at} UTC, may have reached APS ({}); send that order again from Status instead of a new one, or charge again only if the customer really wants a second payment",
            existing.state
        )
    }
}

impl ServiceError {
    pub(crate) fn invalid(field: Field, message: impl std::fmt::Display) -> Self {
        Self::Invalid { field, message: message.to_string() }
    }
}

impl From<journal::JournalError> for ServiceError {
    fn from(e: journal::JournalError) -> Self {
        use journal::JournalError as J;
        match e {
            J::Busy(text) => Self::Busy(text),
            J::Invalid { field, problem } => Self::invalid(field, problem),
            J::CurrencyMismatch { .. } => Self::invalid(Field::Currency, e),
            J::DuplicateReference { .. } => Self::invalid(Field::MerchantReference, e),
            J::OrderNotFound { .. } => Self::NotFound(e.to_string()),
            J::NotAllowed(text) => Self::NotAllowed(text),
            other => Self::Journal(other.to_string()),
        }
    }
}
