//! Finding an order the way an agent names it: by the merchant reference on the slip or the
//! receipt, or by the Fort ID APS gave it.

use super::{Service, ServiceError};
use crate::journal::{Filter, OperationRow, OrderRow};

impl Service {
    /// The order of `profile` whose merchant reference, or else whose Fort ID, is `key`, with
    /// its timeline. `None` when the journal has neither.
    ///
    /// # Errors
    /// Journal failure.
    pub async fn find_order(
        &self,
        profile: &str,
        key: &str,
    ) -> Result<Option<(OrderRow, Vec<OperationRow>)>, ServiceError> {
        self.allow(crate::service::access::Right::OwnHistory).await?;
        let key = key.trim();
        if let Some(found) = self.order_detail(profile, key).await? {
            return Ok(Some(found));
        }
        let filter = Filter {
            profile: Some(profile.to_owned()),
            fort_id: Some(key.to_owned()),
            limit: Some(1),
            ..Filter::default()
        };
        match self.search(filter).await?.into_iter().next() {
            Some(order) => self.order_detail(profile, &order.merchant_reference).await,
            None => Ok(None),
        }
    }
}
