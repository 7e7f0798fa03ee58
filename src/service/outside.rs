//! Orders taken outside this terminal: a call centre also refunds orders the customer placed on
//! the merchant's website. `status` on a reference this journal does not hold asks APS, and an
//! order APS holds money on is brought into the journal from that CHECK_STATUS answer (amounts,
//! state, Fort ID, authorization code), marked "taken outside this terminal". From then on,
//! capture, refund and void work on it as on any other order. Bringing one in never sends a
//! charge: the journal records one CHECK_STATUS, resolved.
//!
//! CHECK_STATUS does not list the order's currency among its answer's fields (spec 3.8), and
//! amounts in minor units mean nothing without it, so the currency comes from the person (the
//! website's order shows it) unless APS names one; when both do, they must agree. How the
//! customer paid is not in the answer either, so it stays unknown.

use super::maintenance::{StatusReport, amounts_update, describe_status};
use super::policy::Amounts;
use super::{Ctx, Field, Progress, Service, ServiceError, Stage};
use crate::aps::money::{Currency, Money};
use crate::aps::response::{OrderStatus, StatusAnswer};
use crate::journal::{Channel, NewOrder, OpResult, OpState, OrderKind, OrderUpdate, PaymentMethod};
use chrono::Utc;

impl Service {
    /// [`Service::check_status_in`] for an order named by APS's Fort ID: one in the journal is
    /// checked by its reference; one taken elsewhere is asked for by Fort ID alone (spec 3.8),
    /// found again under the reference APS names, and brought in as by its reference.
    ///
    /// # Errors
    /// A Fort ID that is not one, or APS finding the order without naming its reference; else
    /// as [`Service::check_status_in`].
    pub async fn check_status_by_fort_id(
        &self,
        profile: &str,
        fort_id: &str,
        currency: Option<Currency>,
        progress: &Progress,
    ) -> Result<StatusReport, ServiceError> {
        self.allow(crate::service::access::Right::Status).await?;
        let fort_id = fort_id.trim();
        crate::aps::fields::check(Field::FortId, fort_id)
            .map_err(|e| ServiceError::invalid(Field::FortId, e))?;
        if let Some((order, _)) = self.find_order(profile, fort_id).await? {
            return self.check_status_in(profile, &order.merchant_reference, currency, progress).await;
        }
        let ctx = self.ctx(profile).await?;
        progress.report(Stage::Sending);
        let answer = self.query_status(&ctx, "", Some(fort_id.to_owned()), None).await?;
        let named = match &answer {
            StatusAnswer::Found(s) | StatusAnswer::StillUncertain(s) => s.merchant_reference.clone(),
            StatusAnswer::NotFound | StatusAnswer::QueryFailed(_) => {
                let mut verdict = describe_status(&answer, currency);
                if answer == StatusAnswer::NotFound {
                    verdict.headline = "APS has no order with this Fort ID".into();
                    verdict.next_step = "Check the Fort ID (APS's 18 or more digits) and the profile.".into();
                }
                return Ok(StatusReport { verdict, answer, order: None, link: None, taken_outside: false });
            }
        };
        let reference = named.ok_or_else(|| {
            ServiceError::invalid(
                Field::FortId,
                "APS found the order but did not name its merchant reference: look it up by its reference instead",
            )
        })?;
        super::guard::reference(&reference)?;
        if self.order_row(profile, &reference).await.is_some() {
            return self.check_status_in(profile, &reference, currency, progress).await;
        }
        self.outside_order(&ctx, &reference, answer, currency).await
    }

    /// The status report for a reference this journal does not hold; brings the order in when
    /// APS holds money on it and its currency is known.
    pub(super) async fn outside_order(
        &self,
        ctx: &Ctx,
        reference: &str,
        answer: StatusAnswer,
        currency: Option<Currency>,
    ) -> Result<StatusReport, ServiceError> {
        let StatusAnswer::Found(status) = &answer else {
            let verdict = describe_status(&answer, currency);
            return Ok(StatusReport { verdict, answer, order: None, link: None, taken_outside: false });
        };
        if status.authorized_minor == 0 && status.captured_minor == 0 {
            // Nothing to capture, refund or void: there is nothing to bring in.
            let verdict = describe_status(&answer, currency);
            return Ok(StatusReport { verdict, answer, order: None, link: None, taken_outside: false });
        }
        let named = match status.currency.as_deref().map(Currency::parse) {
            Some(Ok(c)) => Some(c),
            Some(Err(_)) | None => None,
        };
        let currency = match (named, currency) {
            (Some(aps), Some(given)) if aps != given => {
                return Err(ServiceError::invalid(
                    Field::Currency,
                    format!("APS holds order {reference} in {aps}, not {given}: give {aps}"),
                ));
            }
            (Some(c), _) | (None, Some(c)) => c,
            (None, None) => {
                let mut verdict = describe_status(&answer, None);
                verdict.headline = format!("{}, taken outside this terminal", verdict.headline);
                verdict.next_step = format!(
                    "To capture, refund or void it here, bring it into the journal with the currency the \
                     customer paid in: type it on the Status screen, or run status --reference {reference} \
                     --currency CODE."
                );
                return Ok(StatusReport { verdict, answer, order: None, link: None, taken_outside: true });
            }
        };
        self.bring_in(ctx, reference, status, currency).await?;
        let mut verdict = describe_status(&answer, Some(currency));
        verdict.headline = format!("{}, taken outside this terminal", verdict.headline);
        verdict.next_step = "It is now in the journal, marked \"taken outside this terminal\": capture, \
                             refund or void it on Operations (or the command line) like any other order. \
                             Nothing was charged."
            .into();
        let order = self.order_row(&ctx.profile.name, reference).await;
        Ok(StatusReport { verdict, answer, order, link: None, taken_outside: true })
    }

    async fn bring_in(
        &self,
        ctx: &Ctx,
        reference: &str,
        status: &OrderStatus,
        currency: Currency,
    ) -> Result<(), ServiceError> {
        let amounts = Amounts::of(status);
        let bad_amount =
            |e| ServiceError::invalid(Field::Amount, format!("APS's amount does not fit {currency}: {e}"));
        let amount =
            Money::from_minor(amounts.authorized.max(amounts.captured), currency).map_err(bad_amount)?;
        // An authorization not (fully) captured, or voided, is an authorization; the rest sales.
        let kind = if amounts.voided || amounts.captured < amounts.authorized {
            OrderKind::AuthorizeOnly
        } else {
            OrderKind::Sale
        };
        let now = Utc::now();
        let order = NewOrder {
            profile: ctx.profile.name.clone(),
            merchant_reference: reference.to_owned(),
            kind,
            channel: Channel::Outside,
            amount,
            method: PaymentMethod::Outside,
            customer_email: None,
            customer_name: None,
            description: None,
            operator: ctx.profile.operator.clone(),
            terminal: ctx.terminal.clone(),
            created_at: now,
            extra: super::reconcile::status_codes(status).unwrap_or_default(),
            lease: None,
            batch_row: None,
        };
        let result = OpResult {
            state: OpState::Resolved,
            response_code: Some(status.transaction_code.clone()),
            response_message: Some(status.transaction_message.clone()),
            note: Some(
                "taken outside this terminal: brought in from CHECK_STATUS (nothing was charged)".into(),
            ),
            at: now,
        };
        let update = OrderUpdate {
            last_response_code: Some(status.transaction_code.clone()),
            last_message: Some(status.transaction_message.clone()),
            ..amounts_update(amounts, status.fort_id.clone())
        };
        self.journal(move |j| j.import_order(&order, &result, &update)).await
    }
}
