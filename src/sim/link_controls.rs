//! What the customer does with a payment link, for tests and demos: pay it, have the card
//! declined, or let it expire. A payment attempt is posted to the feedback URL, as APS does.

use super::{OrderView, SimError, SimHandle};

impl SimHandle {
    /// A recurring agreement APS holds (set up by a customer's first payment), by agreement id.
    pub fn recurring_agreement(&self, agreement_id: &str) -> Option<super::RecurringAgreement> {
        self.shared.engine.recurring_agreement(agreement_id)
    }

    /// The customer paid the link (with the demo Visa card).
    ///
    /// # Errors
    /// [`SimError::LinkNotFound`], [`SimError::LinkAlreadyPaid`], [`SimError::LinkExpired`].
    pub fn mark_link_paid(&self, payment_link_id: &str) -> Result<OrderView, SimError> {
        let view = self.shared.engine.mark_link_paid(payment_link_id)?;
        self.shared.post_link_result(&view);
        Ok(view)
    }

    /// The customer tried to pay the link and the card was declined (`13666`); the link stays
    /// open and can still be paid.
    ///
    /// # Errors
    /// [`SimError::LinkNotFound`], [`SimError::LinkAlreadyPaid`].
    pub fn decline_link_payment(&self, payment_link_id: &str) -> Result<OrderView, SimError> {
        let view = self.shared.engine.decline_link_payment(payment_link_id)?;
        self.shared.post_link_result(&view);
        Ok(view)
    }

    /// The link's expiry passes now, unpaid: CHECK_STATUS answers `48115` for it and it can no
    /// longer be paid.
    ///
    /// # Errors
    /// [`SimError::LinkNotFound`].
    pub fn expire_link(&self, payment_link_id: &str) -> Result<(), SimError> {
        self.shared.engine.expire_link(payment_link_id)
    }
}
