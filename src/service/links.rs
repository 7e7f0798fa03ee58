//! Payment links: creating one APS sends to the customer, and asking APS about the open ones.

use super::Field;
use super::charge::{op_state, text};
use super::policy::{self, Reading};
use super::tokens::non_empty;
use super::{Ctx, Outcome, Progress, Service, ServiceError, Stage};
use crate::aps::Operation;
use crate::aps::command::{ChargeKind, Command, Notification, PaymentLink};
use crate::aps::money::{Currency, Money};
use crate::aps::response::{Kind, Verdict};
use crate::journal::{
    Channel, NewLink, NewOrder, OpId, OpResult, OpState, OrderKind, OrderState, OrderUpdate, PaymentMethod,
};
use chrono::{DateTime, Duration as ChronoDuration, Utc};

/// A payment link to send to a customer.
#[derive(Clone, Debug)]
pub struct LinkDraft {
    pub amount: String,
    pub currency: String,
    pub customer_email: String,
    pub customer_name: String,
    /// Digits, needed when the link goes by SMS.
    pub customer_phone: String,
    pub description: String,
    pub notification: Notification,
    pub kind: ChargeKind,
    /// How long the customer has to pay.
    pub valid_hours: u32,
    /// Left empty, the service makes one.
    pub merchant_reference: String,
}

impl Default for LinkDraft {
    fn default() -> Self {
        Self {
            amount: String::new(),
            currency: String::new(),
            customer_email: String::new(),
            customer_name: String::new(),
            customer_phone: String::new(),
            description: String::new(),
            notification: Notification::Email,
            kind: ChargeKind::Sale,
            valid_hours: 72,
            merchant_reference: String::new(),
        }
    }
}

/// A payment link checked and ready to journal and send.
struct LinkRequest {
    reference: String,
    money: Money,
    expires_at: DateTime<Utc>,
    command: Command,
}

/// APS's answer to a payment link, as the journal records it.
struct LinkAnswer {
    verdict: Verdict,
    op_state: OpState,
    order_state: OrderState,
    url: Option<String>,
    id: Option<String>,
    response_message: Option<String>,
}

impl LinkAnswer {
    fn read(reading: Reading) -> Self {
        let (verdict, op_state_now, order_state, response) = match reading {
            Reading::Final { verdict, response } => {
                let state = match verdict.kind {
                    Kind::Approved => OrderState::Pending,
                    Kind::Rejected => OrderState::Rejected,
                    Kind::Declined | Kind::Uncertain => OrderState::Declined,
                };
                (verdict.clone(), op_state(verdict.kind), state, Some(response))
            }
            Reading::NotSent { why } => {
                (policy::not_sent_verdict(&why), OpState::NotSent, OrderState::NotSent, None)
            }
            Reading::Unknown { why } => {
                let mut v = policy::unknown_verdict(&why);
                v.next_step = "The link may have been sent: ask the customer or check the APS back office before creating another.".into();
                (v, OpState::Unknown, OrderState::Unknown, None)
            }
        };
        Self {
            verdict,
            op_state: op_state_now,
            order_state,
            url: response.as_ref().and_then(|r| text(r, "payment_link")),
            id: response.as_ref().and_then(|r| text(r, "payment_link_id")),
            response_message: response.as_ref().and_then(|r| text(r, "response_message")),
        }
    }
}

impl Service {
    /// Creates a payment link APS sends to the customer.
    ///
    /// # Errors
    /// Nothing sent: bad field, profile or journal failure.
    pub async fn payment_link(
        &self,
        profile: &str,
        draft: LinkDraft,
        progress: &Progress,
    ) -> Result<Outcome, ServiceError> {
        self.allow(crate::service::access::Right::PaymentLinks).await?;
        let result = self.payment_link_now(profile, draft, progress).await;
        self.audited("payment-link", profile, None, None, result).await
    }

    async fn payment_link_now(
        &self,
        profile: &str,
        draft: LinkDraft,
        progress: &Progress,
    ) -> Result<Outcome, ServiceError> {
        super::guard::link(&draft)?;
        let ctx = self.ctx(profile).await?;
        let now = Utc::now();
        let LinkRequest { reference, money, expires_at, command } =
            self.link_request(&ctx, &draft, now).await?;
        let new_order = self.link_order(&ctx, &draft, &reference, money, now);
        let op_id = self.journal(move |j| j.record_order_intent(&new_order)).await?;
        progress.report(Stage::Sending);
        let (_, reading) = self.exchange(&ctx, &command).await?;
        let link = NewLink {
            profile: ctx.profile.name.clone(),
            merchant_reference: reference.clone(),
            payment_link_id: None,
            url: None,
            amount: money,
            customer_email: draft.customer_email.trim().to_owned(),
            notification: draft.notification.wire().to_owned(),
            expires_at,
            created_at: now,
        };
        let (verdict, url) = self.book_link(op_id, reading, link).await?;
        Ok(Outcome {
            amount: None,
            profile: ctx.profile.name.clone(),
            merchant_reference: reference.clone(),
            operation: Operation::PaymentLink,
            verdict,
            order: self.order_row(&ctx.profile.name, &reference).await,
            reconciled: false,
            token_name: None,
            payment_link: url,
        })
    }

    /// Records APS's answer to a PAYMENT_LINK (from a request or a batch results line): the
    /// operation and the order, and, once APS made the link, the link with the id and address
    /// APS gave (a batch results line gives neither: they come with the next status check).
    /// Returns the verdict and the link's address.
    pub(super) async fn book_link(
        &self,
        op_id: OpId,
        reading: Reading,
        mut link: NewLink,
    ) -> Result<(Verdict, Option<String>), ServiceError> {
        let answer = LinkAnswer::read(reading);
        self.record_link_answer(op_id, &answer).await?;
        // A link whose answer was lost may exist all the same: it is kept too (its id and
        // address come with the next status check), so that it is watched and, once paid, taken.
        if matches!(answer.verdict.kind, Kind::Approved | Kind::Uncertain) {
            link.payment_link_id = answer.id.clone();
            link.url = answer.url.clone();
            self.record(move |j| j.record_link(&link)).await?;
        }
        Ok((answer.verdict, answer.url))
    }

    /// Reads the draft into a checked PAYMENT_LINK command, with a reference made when none
    /// was typed.
    async fn link_request(
        &self,
        ctx: &Ctx,
        draft: &LinkDraft,
        now: DateTime<Utc>,
    ) -> Result<LinkRequest, ServiceError> {
        let currency =
            Currency::parse(&draft.currency).map_err(|e| ServiceError::invalid(Field::Currency, e))?;
        let money =
            Money::parse(&draft.amount, currency).map_err(|e| ServiceError::invalid(Field::Amount, e))?;
        let reference = match non_empty(&draft.merchant_reference) {
            Some(typed) => typed,
            None => self.new_reference().await?,
        };
        if !(1..=24 * 30).contains(&draft.valid_hours) {
            return Err(ServiceError::invalid(
                Field::RequestExpiryDate,
                "a link is valid for 1 to 720 hours (30 days): type a number of hours in that range",
            ));
        }
        let expires_at = now + ChronoDuration::hours(i64::from(draft.valid_hours));
        let command = Command::PaymentLink(PaymentLink {
            merchant_reference: reference.clone(),
            money,
            customer_email: draft.customer_email.trim().to_owned(),
            request_expiry_date: expires_at.format("%Y-%m-%dT%H:%M:%S+00:00").to_string(),
            notification: draft.notification,
            link_command: draft.kind,
            customer_name: non_empty(&draft.customer_name),
            customer_phone: non_empty(&draft.customer_phone),
            order_description: non_empty(&draft.description),
        });
        command
            .check(&ctx.merchant())
            .map_err(|e| ServiceError::Invalid { field: e.field, message: e.to_string() })?;
        Ok(LinkRequest { reference, money, expires_at, command })
    }

    /// The order a payment link is journalled as before it is sent.
    fn link_order(
        &self,
        ctx: &Ctx,
        draft: &LinkDraft,
        reference: &str,
        money: Money,
        now: DateTime<Utc>,
    ) -> NewOrder {
        NewOrder {
            profile: ctx.profile.name.clone(),
            merchant_reference: reference.to_owned(),
            kind: OrderKind::PaymentLink,
            channel: Channel::Phone,
            amount: money,
            method: PaymentMethod::Link,
            customer_email: non_empty(&draft.customer_email),
            customer_name: non_empty(&draft.customer_name),
            description: non_empty(&draft.description),
            operator: ctx.profile.operator.clone(),
            terminal: ctx.terminal.clone(),
            created_at: now,
            extra: Default::default(),
            lease: Some(self.lease()),
            batch_row: None,
        }
    }

    /// Writes APS's answer (or its absence) on the link's order, with the link's address and id.
    async fn record_link_answer(&self, op_id: OpId, answer: &LinkAnswer) -> Result<(), ServiceError> {
        let verdict = &answer.verdict;
        let result = OpResult {
            state: answer.op_state,
            response_code: (!verdict.code.is_empty()).then(|| verdict.code.clone()),
            response_message: answer.response_message.clone(),
            note: answer.url.clone(),
            at: Utc::now(),
        };
        let mut extra = crate::journal::Extra::new();
        if let Some(url) = &answer.url {
            extra.insert("payment_link".into(), url.clone().into());
        }
        if let Some(id) = &answer.id {
            extra.insert("payment_link_id".into(), id.clone().into());
        }
        let update = OrderUpdate {
            state: Some(answer.order_state),
            last_response_code: (!verdict.code.is_empty()).then(|| verdict.code.clone()),
            needs_attention: (answer.op_state == OpState::Unknown).then(|| Some(verdict.next_step.clone())),
            extra: Some(extra),
            ..Default::default()
        };
        self.record(move |j| j.record_outcome(op_id, &result, &update)).await
    }
}
