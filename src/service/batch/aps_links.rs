//! Payment link rows sent through the APS batch service (batch invoicing): each row's order is
//! recorded as a link's intent before the file leaves, goes as a PAYMENT_LINK row (sent by
//! email, valid for 72 hours from its intent), and is booked from its results line as the
//! answer to a single PAYMENT_LINK is. A results line names neither the link's id nor its
//! address: the customer gets the link from APS by email, and the next status check (Status, the
//! Payment link screen, a feedback post) brings the id in.

use super::aps_rows::{FileEntry, batch_lease, field_error, non_empty};
use super::run::BatchJob;
use crate::aps::command::{ChargeKind, Command, Notification, PaymentLink};
use crate::aps::money::Money;
use crate::journal::{Channel, NewLink, NewOrder, OpId, OrderKind, PaymentMethod};
use crate::service::policy::Reading;
use crate::service::{Ctx, Service, ServiceError};
use chrono::{DateTime, Duration, Utc};

/// How long the customer has to pay a link sent from a batch file.
const VALID_FOR: Duration = Duration::hours(72);

/// The PAYMENT_LINK a row is: by email, a sale, valid for 72 hours from `at`.
pub(super) fn link_command(job: &BatchJob, money: Money, at: DateTime<Utc>) -> Command {
    Command::PaymentLink(PaymentLink {
        merchant_reference: job.merchant_reference.clone(),
        money,
        customer_email: job.customer_email.trim().to_owned(),
        request_expiry_date: expiry(at).format("%Y-%m-%dT%H:%M:%S+00:00").to_string(),
        notification: Notification::Email,
        link_command: ChargeKind::Sale,
        customer_name: non_empty(&job.customer_name),
        customer_phone: None,
        order_description: non_empty(&job.description),
    })
}

/// The row's cell in the named column of the file sent.
fn cell(entry: &FileEntry, column: &str) -> String {
    let at = crate::aps::batch::FILE_COLUMNS.iter().position(|c| *c == column);
    at.and_then(|i| entry.cells.0.get(i)).cloned().unwrap_or_default()
}

fn expiry(at: DateTime<Utc>) -> DateTime<Utc> {
    at + VALID_FOR
}

impl Service {
    /// A payment link row's order and its PAYMENT_LINK, recorded before the file leaves.
    pub(super) async fn link_intent(
        &self,
        ctx: &Ctx,
        job: &BatchJob,
        key: String,
    ) -> Result<(), ServiceError> {
        let money =
            job.money.ok_or_else(|| ServiceError::NotFound("a payment link row lost its amount".into()))?;
        let now = Utc::now();
        link_command(job, money, now).check(&ctx.merchant()).map_err(field_error)?;
        let order = NewOrder {
            profile: ctx.profile.name.clone(),
            merchant_reference: job.merchant_reference.clone(),
            kind: OrderKind::PaymentLink,
            channel: Channel::Batch,
            amount: money,
            method: PaymentMethod::Link,
            customer_email: non_empty(&job.customer_email),
            customer_name: non_empty(&job.customer_name),
            description: non_empty(&job.description),
            operator: ctx.profile.operator.clone(),
            terminal: ctx.terminal.clone(),
            created_at: now,
            extra: Default::default(),
            lease: Some(batch_lease()),
            batch_row: Some(key),
        };
        self.journal(move |j| j.record_order_intent(&order)).await?;
        Ok(())
    }

    /// Books a payment link row from its results line, as a single PAYMENT_LINK's answer.
    pub(super) async fn book_link_row(
        &self,
        ctx: &Ctx,
        entry: &FileEntry,
        op_id: OpId,
        reading: Reading,
    ) -> Result<(), ServiceError> {
        let money = entry
            .money
            .ok_or_else(|| ServiceError::NotRecorded("a payment link row lost its amount".into()))?;
        let id = op_id;
        let at = self.journal(move |j| j.operation(id)).await?.map_or_else(Utc::now, |op| op.at);
        let link = NewLink {
            profile: ctx.profile.name.clone(),
            merchant_reference: entry.reference.clone(),
            payment_link_id: None,
            url: None,
            amount: money,
            customer_email: cell(entry, "customer_email"),
            notification: Notification::Email.wire().to_owned(),
            expires_at: expiry(at),
            created_at: at,
        };
        self.book_link(op_id, reading, link).await.map(drop)
    }
}
