//! Charging the recurring agreements that are due: one period per agreement per run, each
//! under a reference made from the agreement and the period, so that no period is charged
//! twice and none is left stuck by an earlier run's answer.

use super::charge::ChargeDraft;
use super::recurring::recurring_reference;
use super::{Outcome, Progress, Service, ServiceError};
use crate::aps::response::{self, Kind};
use crate::journal::{Agreement, Channel, OrderRow, OrderState};
use chrono::{NaiveDate, Utc};

impl Service {
    /// Charges every active agreement that is due today or earlier, once. The reference is made
    /// from the agreement and the due date, so running the same day twice cannot charge twice:
    /// a period already sent is settled from the journal (after CHECK_STATUS if in doubt, sent
    /// again under its reference only if APS never had it), never charged anew.
    ///
    /// # Errors
    /// Journal or profile failure before the first charge.
    pub async fn run_due_recurring(
        &self,
        profile: &str,
        progress: &Progress,
    ) -> Result<Vec<Result<Outcome, ServiceError>>, ServiceError> {
        self.allow(crate::service::access::Right::Recurring).await?;
        let today = Utc::now().date_naive();
        let p = profile.to_owned();
        let due = self.journal(move |j| j.due_agreements(Some(&p), today)).await?;
        let prefix = self.journal(crate::journal::Journal::reference_prefix).await?;
        let mut results = Vec::new();
        for agreement in due {
            results.push(self.charge_due(profile, agreement.id, &prefix, today, progress).await);
        }
        Ok(results)
    }

    /// One agreement's latest due period, read again first: it may have been cancelled, paused
    /// or charged (by another desk) since the run began.
    async fn charge_due(
        &self,
        profile: &str,
        id: i64,
        prefix: &str,
        today: NaiveDate,
        progress: &Progress,
    ) -> Result<Outcome, ServiceError> {
        let now = self.journal(move |j| j.agreement(id)).await?;
        let Some(agreement) = now.filter(|a| a.active && a.next_due <= today) else {
            return Err(ServiceError::NotFound(format!(
                "agreement {id} is no longer due: it was cancelled, paused or charged since the run began"
            )));
        };
        // The period the agreement waits on, if it was sent before (left in doubt, or charged
        // without the agreement moving on), is settled first, and nothing later in this run.
        let waiting = recurring_reference(prefix, agreement.id, agreement.next_due);
        let period = match self.order_row(profile, &waiting).await {
            Some(_) => agreement.next_due,
            None => latest_period(&agreement, today),
        };
        let reference = recurring_reference(prefix, agreement.id, period);
        let result = match self.order_row(profile, &reference).await {
            None => self.charge(recurring_draft(profile, &agreement, &reference), progress).await,
            Some(order) => self.period_already_sent(profile, order, progress).await,
        };
        let next = agreement.cycle.next(period, agreement.anchor_day);
        let moved = match &result {
            Ok(outcome) if outcome.verdict.kind == Kind::Approved => {
                let r = reference.clone();
                self.journal(move |j| j.mark_charged(id, &r, next)).await
            }
            // A refused charge ends its period unpaid (it stays in History); the next period is
            // charged on its day. One still unknown keeps the period for the next run.
            Ok(outcome) if matches!(outcome.verdict.kind, Kind::Declined | Kind::Rejected) => {
                self.journal(move |j| j.skip_period(id, next)).await
            }
            _ => Ok(()),
        };
        // The charge is reported whatever happens to the agreement's date: the next run finds
        // the period's order in the journal and moves the agreement on then.
        if let Err(e) = moved {
            log::warn!("agreement {id} not moved on after {reference}: {e}");
        }
        result
    }

    /// A period whose charge is in the journal already (an earlier run's): settled with
    /// CHECK_STATUS while in doubt, sent again under its own reference when APS never had it,
    /// otherwise read back as it was recorded.
    async fn period_already_sent(
        &self,
        profile: &str,
        order: OrderRow,
        progress: &Progress,
    ) -> Result<Outcome, ServiceError> {
        let reference = order.merchant_reference.clone();
        let mut order = order;
        if order.state.needs_reconciliation() {
            self.reconcile_order(profile, &reference, progress).await?;
            order = self.order_row(profile, &reference).await.unwrap_or(order);
        }
        match order.state {
            OrderState::NotSent => self.send_again(profile, &reference, None, progress).await,
            OrderState::Pending | OrderState::Unknown => Err(ServiceError::Busy(format!(
                "the charge {reference} for this period is still unknown: see Status; it is never charged twice"
            ))),
            _ => self.recorded_outcome(profile, order).await,
        }
    }

    /// The outcome of a first operation the journal settled earlier, as a run reports it.
    async fn recorded_outcome(&self, profile: &str, order: OrderRow) -> Result<Outcome, ServiceError> {
        let (p, r) = (profile.to_owned(), order.merchant_reference.clone());
        let timeline = self.journal(move |j| j.timeline(&p, &r)).await?;
        let first = order.kind.first_operation();
        let op = timeline.into_iter().rev().find(|o| o.operation == first && o.response_code.is_some());
        let Some(op) = op else {
            return Err(ServiceError::NotFound(format!(
                "order {} has no recorded answer",
                order.merchant_reference
            )));
        };
        let verdict = response::classify(op.operation, op.response_code.as_deref().unwrap_or_default());
        let reconciled = op.state == crate::journal::OpState::Resolved;
        Ok(self.outcome(profile, &order.merchant_reference, op.operation, verdict, reconciled).await)
    }
}

/// The last due date on or before `today` (and on or before the agreement's last date): an
/// agreement that fell behind (paused, or added with an early first date) is charged for its
/// latest period only, never for several in one day, nor for one after it ended.
fn latest_period(agreement: &Agreement, today: NaiveDate) -> NaiveDate {
    let last = match agreement.limit {
        Some(crate::journal::AgreementLimit::Until(date)) => date.min(today),
        _ => today,
    };
    let mut period = agreement.next_due;
    loop {
        let next = agreement.cycle.next(period, agreement.anchor_day);
        if next > last || next <= period {
            return period;
        }
        period = next;
    }
}

fn recurring_draft(profile: &str, agreement: &Agreement, reference: &str) -> ChargeDraft {
    let mut draft = ChargeDraft::new(profile, agreement.currency.code());
    draft.channel = Channel::Recurring;
    draft.amount = crate::aps::money::format_minor(agreement.amount_minor, agreement.currency);
    draft.payment = super::PaymentDraft::Token(agreement.token_name.clone());
    draft.customer_email = agreement.customer_email.clone();
    draft.customer_name = agreement.customer_name.clone().unwrap_or_default();
    draft.merchant_reference = reference.to_owned();
    draft.recurring = true;
    draft.agreement_id = agreement.agreement_id.clone();
    draft.allow_duplicate = true;
    draft
}
