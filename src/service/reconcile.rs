//! Resolving doubt: when APS may or may not have processed a request, ask it with CHECK_STATUS
//! on the same merchant reference, with back-off, until the answer is certain. Nothing here
//! ever sends the original request again.

use super::policy::{self, Amounts, Judgement};
use super::{Ctx, Outcome, Progress, Service, ServiceError, Stage};
use crate::aps::Operation;
use crate::aps::command::{CheckStatus, Command};
use crate::aps::response::{self, Kind, StatusAnswer, Verdict};
use crate::journal::{OpId, OpResult, OpState, OrderKind, OrderState, OrderUpdate};
use chrono::Utc;
use std::time::Instant;

impl Service {
    /// Asks APS about an order once. Transport failures and untrustworthy answers come back as
    /// [`StatusAnswer::QueryFailed`], so the caller keeps the order in doubt.
    pub(super) async fn query_status(
        &self,
        ctx: &Ctx,
        reference: &str,
        fort_id: Option<String>,
        maintenance_reference: Option<String>,
    ) -> Result<StatusAnswer, ServiceError> {
        let command = Command::CheckStatus(CheckStatus {
            merchant_reference: reference.to_owned(),
            fort_id,
            maintenance_reference,
            third_party_codes: false,
        });
        let (_, reading) = self.exchange(ctx, &command).await?;
        Ok(match reading {
            policy::Reading::Final { response, .. } => response::interpret_check_status(&response),
            policy::Reading::NotSent { why } | policy::Reading::Unknown { why } => {
                StatusAnswer::QueryFailed(policy::unknown_verdict(&why))
            }
        })
    }

    /// Resolves one operation whose outcome is unknown. Returns when APS's answer is certain or
    /// the back-off schedule is used up (the order then stays `unknown`, flagged for a person,
    /// and the background reconciler keeps asking).
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn settle(
        &self,
        ctx: &Ctx,
        reference: &str,
        op: Operation,
        op_id: OpId,
        op_amount: u64,
        before: Amounts,
        fort_id: Option<String>,
        sent_at: chrono::DateTime<Utc>,
        why: &str,
        quick: bool,
        progress: &Progress,
    ) -> Result<Outcome, ServiceError> {
        let profile = ctx.profile.name.clone();
        let in_flight = chrono::Duration::from_std(self.settings().in_flight_window).unwrap_or_default();
        // A quick pass asks once and leaves whatever is still open to the next pass.
        let schedule = if quick {
            vec![std::time::Duration::ZERO]
        } else {
            policy::backoff_schedule(self.settings().backoff_unit)
        };
        let confirm = self.settings().not_found_confirm;
        let mut first_not_found: Option<Instant> = None;
        let mut last_why = why.to_owned();
        for (i, wait) in schedule.iter().enumerate() {
            let mut wait = *wait;
            if let Some(t) = first_not_found {
                wait = wait.max(confirm.saturating_sub(t.elapsed()));
            }
            tokio::time::sleep(wait).await;
            progress.report(Stage::Reconciling { attempt: i + 1, why: last_why.clone() });
            let answer = self.query_status(ctx, reference, fort_id.clone(), None).await?;
            let not_found_before = first_not_found.is_some_and(|t| t.elapsed() >= confirm);
            let settled_in_time = Utc::now() - sent_at >= in_flight;
            match policy::judge_status(op, before, op_amount, answer, not_found_before, settled_in_time) {
                Judgement::Applied { amounts, status } => {
                    let state = OrderState::from_amounts(
                        amounts.authorized,
                        amounts.captured,
                        amounts.refunded,
                        amounts.voided,
                    );
                    let verdict = response::classify(op, op.success_code());
                    let note = format!("confirmed by CHECK_STATUS ({})", status.transaction_code);
                    let result = OpResult {
                        state: OpState::Resolved,
                        response_code: Some(status.transaction_code.clone()),
                        response_message: Some(status.transaction_message.clone()),
                        note: Some(note),
                        at: Utc::now(),
                    };
                    let update = OrderUpdate {
                        state: Some(state),
                        authorized_minor: Some(amounts.authorized),
                        captured_minor: Some(amounts.captured),
                        refunded_minor: Some(amounts.refunded),
                        fort_id: status.fort_id.clone(),
                        last_response_code: Some(status.transaction_code.clone()),
                        last_message: Some(status.transaction_message.clone()),
                        needs_attention: Some(None),
                        ..Default::default()
                    };
                    self.record(move |j| j.record_outcome(op_id, &result, &update)).await?;
                    return Ok(self.outcome(&profile, reference, op, verdict, true).await);
                }
                Judgement::NotApplied { verdict } => {
                    let first_op = matches!(op, Operation::Purchase | Operation::Authorization);
                    let never_created = first_op && verdict.code.is_empty();
                    let result = OpResult {
                        state: OpState::Resolved,
                        response_code: (!verdict.code.is_empty()).then(|| verdict.code.clone()),
                        response_message: Some(verdict.headline.clone()),
                        note: Some(format!("CHECK_STATUS: {}", verdict.explanation)),
                        at: Utc::now(),
                    };
                    let update = OrderUpdate {
                        state: first_op.then_some(if never_created {
                            OrderState::NotSent
                        } else {
                            OrderState::Declined
                        }),
                        last_response_code: (!verdict.code.is_empty()).then(|| verdict.code.clone()),
                        last_message: Some(verdict.headline.clone()),
                        needs_attention: Some(None),
                        ..Default::default()
                    };
                    self.record(move |j| j.record_outcome(op_id, &result, &update)).await?;
                    return Ok(self.outcome(&profile, reference, op, verdict, true).await);
                }
                Judgement::NotFoundOnce => {
                    first_not_found.get_or_insert_with(Instant::now);
                    last_why = "APS has no record of the order yet; checking again to be sure".into();
                }
                Judgement::KeepWaiting { why } => last_why = why,
            }
        }
        let attention = format!("Outcome still unknown after {} status checks: {last_why}", schedule.len());
        let update = OrderUpdate { needs_attention: Some(Some(attention.clone())), ..Default::default() };
        let (p, r) = (profile.clone(), reference.to_owned());
        self.record(move |j| j.update_order(&p, &r, &update)).await?;
        let mut verdict = policy::unknown_verdict(&last_why);
        verdict.explanation = attention;
        Ok(self.outcome(&profile, reference, op, verdict, true).await)
    }

    pub(super) async fn outcome(
        &self,
        profile: &str,
        reference: &str,
        op: Operation,
        verdict: Verdict,
        reconciled: bool,
    ) -> Outcome {
        Outcome {
            profile: profile.to_owned(),
            merchant_reference: reference.to_owned(),
            operation: op,
            verdict,
            order: self.order_row(profile, reference).await,
            reconciled,
            token_name: None,
            payment_link: None,
        }
    }

    /// Resolves every order of a profile (or of all profiles) whose outcome is unknown or whose
    /// intent never got an answer, e.g. after a crash. Orders are settled one after another.
    ///
    /// # Errors
    /// Journal or profile failures; an order that stays unknown is an [`Outcome`], not an error.
    pub async fn reconcile(
        &self,
        profile: Option<&str>,
        progress: &Progress,
    ) -> Result<Vec<Outcome>, ServiceError> {
        self.reconcile_where(profile, None, false, progress).await
    }

    /// One status check per order in doubt, no waiting: for a command about to charge, so a
    /// stuck order (APS unreachable) does not hold it up for minutes.
    ///
    /// # Errors
    /// As [`Service::reconcile`].
    pub async fn reconcile_quick(
        &self,
        profile: &str,
        progress: &Progress,
    ) -> Result<Vec<Outcome>, ServiceError> {
        self.reconcile_where(Some(profile), None, true, progress).await
    }

    pub(super) async fn reconcile_filtered(
        &self,
        profile: &str,
        reference: Option<&str>,
        progress: &Progress,
    ) -> Result<Vec<Outcome>, ServiceError> {
        self.reconcile_where(Some(profile), reference, false, progress).await
    }

    async fn reconcile_where(
        &self,
        profile: Option<&str>,
        reference: Option<&str>,
        quick: bool,
        progress: &Progress,
    ) -> Result<Vec<Outcome>, ServiceError> {
        let filter = profile.map(str::to_owned);
        let open = self.journal(move |j| j.unresolved(filter.as_deref())).await?;
        let mut outcomes = Vec::new();
        for item in open {
            let order = item.order;
            if reference.is_some_and(|r| r != order.merchant_reference) {
                continue;
            }
            if order.kind == OrderKind::PaymentLink && item.open_operations.is_empty() {
                // An open payment link is waiting for the customer, not in doubt.
                continue;
            }
            // One order that cannot be settled (its profile removed, a secret missing) must not
            // stop the others.
            let ctx = match self.ctx(&order.profile).await {
                Ok(ctx) => ctx,
                Err(e) => {
                    log::warn!("order {} not reconciled: {e}", order.merchant_reference);
                    continue;
                }
            };
            let lock = self.order_lock(&order.profile, &order.merchant_reference);
            // An order whose request is still in flight in this process is its sender's to settle.
            let Ok(_guard) = lock.try_lock() else { continue };
            let before = Amounts {
                authorized: order.authorized_minor,
                captured: order.captured_minor,
                refunded: order.refunded_minor,
                voided: order.state == OrderState::Voided,
            };
            for op in &item.open_operations {
                if op.operation == Operation::PaymentLink {
                    let note = "The link may have been created: check the customer's email or SMS before creating another";
                    let result = OpResult {
                        state: OpState::Unknown,
                        response_code: None,
                        response_message: None,
                        note: Some(note.into()),
                        at: Utc::now(),
                    };
                    let update =
                        OrderUpdate { needs_attention: Some(Some(note.into())), ..Default::default() };
                    let id = op.id;
                    self.journal(move |j| j.record_outcome(id, &result, &update)).await?;
                    continue;
                }
                let amount = op.amount.map(|m| m.minor_units()).unwrap_or(order.amount_minor);
                let settled = self
                    .settle(
                        &ctx,
                        &order.merchant_reference,
                        op.operation,
                        op.id,
                        amount,
                        before,
                        order.fort_id.clone(),
                        op.at,
                        "the answer to this request was never received",
                        quick,
                        progress,
                    )
                    .await;
                match settled {
                    Ok(outcome) => outcomes.push(outcome),
                    Err(e) => log::warn!("order {} not reconciled: {e}", order.merchant_reference),
                }
            }
        }
        Ok(outcomes)
    }
}

/// A one-line summary of an outcome for logs and the CLI (never card data).
pub fn summary(outcome: &Outcome) -> String {
    let kind = match outcome.verdict.kind {
        Kind::Approved => "approved",
        Kind::Declined => "declined",
        Kind::Rejected => "rejected",
        Kind::Uncertain => "unknown",
    };
    format!("{} {} {}: {}", outcome.merchant_reference, outcome.operation, kind, outcome.verdict.headline)
}
