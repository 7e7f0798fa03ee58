//! Capture, void, refund and status of an existing order, each partial and repeatable where
//! APS allows it, each checked against what is still capturable or refundable before it is sent.

use super::charge::{op_state, text};
use super::people::Approval;
use super::policy::{self, Amounts, Intent, Reading};
use super::reconcile::{Pace, Settling};
use super::{Ctx, Field, Outcome, Progress, Service, ServiceError, Stage};
use crate::aps::Operation;
use crate::aps::command::{Capture, Command, Refund, Void};
use crate::aps::money::{Currency, Money, format_minor};
use crate::aps::response::{Kind, LinkState, StatusAnswer, Verdict};
use crate::journal::{
    MaintenanceIntent, NewOperation, OpResult, OpState, OrderKind, OrderRow, OrderState, OrderUpdate,
};
use chrono::Utc;

/// What APS says about an order right now, next to what the journal had.
#[derive(Clone, Debug)]
pub struct StatusReport {
    pub verdict: Verdict,
    pub answer: StatusAnswer,
    pub order: Option<OrderRow>,
    /// Where the link stands, when the order is a payment link nobody had paid.
    pub link: Option<LinkState>,
    /// The order was taken outside this terminal: APS holds money on it and this journal did
    /// not know it. `order` is the order brought in, or `None` when its currency is still needed.
    pub taken_outside: bool,
}

impl Service {
    /// Captures part or all of what is still authorized.
    ///
    /// # Errors
    /// Nothing sent: unknown order, amount above what can be captured, an operation still in doubt.
    pub async fn capture(
        &self,
        profile: &str,
        reference: &str,
        amount: &str,
        progress: &Progress,
    ) -> Result<Outcome, ServiceError> {
        self.maintain(profile, reference, Operation::Capture, Some(amount), None, None, progress).await
    }

    /// Refunds part or all of what was captured and not yet refunded.
    ///
    /// # Errors
    /// As [`Service::capture`].
    pub async fn refund(
        &self,
        profile: &str,
        reference: &str,
        amount: &str,
        approval: Option<Approval>,
        progress: &Progress,
    ) -> Result<Outcome, ServiceError> {
        self.maintain(profile, reference, Operation::Refund, Some(amount), None, approval, progress).await
    }

    /// Voids a whole authorization that has not been captured.
    ///
    /// # Errors
    /// As [`Service::capture`].
    pub async fn void(
        &self,
        profile: &str,
        reference: &str,
        approval: Option<Approval>,
        progress: &Progress,
    ) -> Result<Outcome, ServiceError> {
        self.maintain(profile, reference, Operation::VoidAuthorization, None, None, approval, progress).await
    }

    /// A capture, refund or void for a row of a batch file: as [`Self::capture`] and friends,
    /// with the row's key ("batch id:row") recorded on the intent in the same transaction.
    ///
    /// # Errors
    /// As [`Self::capture`].
    pub async fn maintain_batch_row(
        &self,
        profile: &str,
        reference: &str,
        op: Operation,
        amount_text: Option<&str>,
        batch_row: String,
        progress: &Progress,
    ) -> Result<Outcome, ServiceError> {
        self.maintain(profile, reference, op, amount_text, Some(batch_row), None, progress).await
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) async fn maintain_now(
        &self,
        profile: &str,
        reference: &str,
        op: Operation,
        amount_text: Option<&str>,
        batch_row: Option<String>,
        approval: Option<Approval>,
        progress: &Progress,
    ) -> Result<Outcome, ServiceError> {
        let reference = reference.trim();
        super::guard::reference(reference)?;
        let ctx = self.ctx(profile).await?;
        let lock = self.order_lock(profile, reference);
        let _guard = lock.lock().await;
        let order = self.order_row(profile, reference).await.ok_or_else(|| {
            ServiceError::NotFound(format!(
                "no order \"{reference}\" in the journal of profile \"{profile}\": check the reference, or ask APS with Status"
            ))
        })?;
        let money = match amount_text {
            Some(text) => Some(
                Money::parse(text, order.currency).map_err(|e| ServiceError::invalid(Field::Amount, e))?,
            ),
            None => None,
        };
        let approved_by = self.maintenance_access(op, &ctx, &order, money, approval).await?;
        self.check_before_sending_again(&ctx, &order).await?;
        let lease = self.lease();
        let deadline = lease.deadline;
        let new_op = NewOperation {
            profile: profile.to_owned(),
            merchant_reference: reference.to_owned(),
            operation: op,
            maintenance_reference: None,
            amount: money,
            operator: ctx.profile.operator.clone(),
            at: Utc::now(),
            note: None,
            lease: Some(lease),
            batch_row,
            approved_by,
        };
        let r = reference.to_owned();
        // The checks against the order and the intent are one write transaction: two terminals
        // cannot both refund the last of an order.
        let recorded = self
            .journal(move |j| j.record_maintenance_intent(&new_op, |n| maintenance_reference(&r, n)))
            .await?;
        let command = maintenance_command(op, reference, money, &recorded)?;
        progress.report(Stage::Sending);
        let (_, reading) = self.exchange(&ctx, &command).await?;
        let intent = Intent {
            op,
            amount: money.map_or(0, Money::minor_units),
            currency: order.currency,
            before: amounts_of(&recorded.order),
        };
        let settling = Settling {
            reference: reference.to_owned(),
            intent,
            op_id: recorded.id,
            fort_id: recorded.order.fort_id.clone(),
            maintenance_reference: recorded.maintenance_reference.clone(),
            deadline,
            why: String::new(),
            pace: Pace::Full,
        };
        self.finish_maintenance(&ctx, settling, reading, progress).await
    }

    /// After APS had no record of an earlier operation on this order, nothing more is sent until
    /// a fresh status check shows APS's totals equal to the journal's: a request that may have
    /// reached APS is never followed blindly.
    async fn check_before_sending_again(&self, ctx: &Ctx, order: &OrderRow) -> Result<(), ServiceError> {
        let (p, r) = (order.profile.clone(), order.merchant_reference.clone());
        let timeline = self.journal(move |j| j.timeline(&p, &r)).await?;
        let had_no_record = timeline.iter().any(|o| {
            o.state == OpState::Resolved && o.response_code.is_none() && o.operation != Operation::CheckStatus
        });
        if !had_no_record {
            return Ok(());
        }
        let answer = self.query_status(ctx, &order.merchant_reference, order.fort_id.clone(), None).await?;
        let journal = amounts_of(order);
        match answer {
            StatusAnswer::Found(status)
                if status.authorized_minor == journal.authorized
                    && status.captured_minor == journal.captured
                    && status.refunded_minor == journal.refunded =>
            {
                Ok(())
            }
            _ => Err(ServiceError::Busy(format!(
                "APS's amounts for order {} could not be confirmed against the journal after an earlier request went unanswered: check the order in Status first",
                order.merchant_reference
            ))),
        }
    }

    pub(super) async fn finish_maintenance(
        &self,
        ctx: &Ctx,
        s: Settling,
        reading: Reading,
        progress: &Progress,
    ) -> Result<Outcome, ServiceError> {
        let (profile, op_id) = (ctx.profile.name.as_str(), s.op_id);
        match reading {
            Reading::Final { verdict, response } => {
                let mut update = OrderUpdate {
                    last_response_code: Some(verdict.code.clone()),
                    last_message: text(&response, "response_message"),
                    ..Default::default()
                };
                if verdict.kind == Kind::Approved {
                    let after = s.intent.after();
                    update.state = Some(OrderState::from_amounts(
                        after.authorized,
                        after.captured,
                        after.refunded,
                        after.voided,
                    ));
                    update.captured_minor = Some(after.captured);
                    update.refunded_minor = Some(after.refunded);
                }
                let result = OpResult {
                    state: op_state(verdict.kind),
                    response_code: Some(verdict.code.clone()),
                    response_message: text(&response, "response_message"),
                    note: None,
                    at: Utc::now(),
                };
                self.record(move |j| j.record_outcome(op_id, &result, &update)).await?;
                Ok(self.settled_outcome(profile, &s, verdict, false).await)
            }
            Reading::NotSent { why } => {
                let verdict = policy::not_sent_verdict(&why);
                let result = OpResult {
                    state: OpState::NotSent,
                    response_code: None,
                    response_message: None,
                    note: Some(why),
                    at: Utc::now(),
                };
                self.record(move |j| j.finish_operation(op_id, &result)).await?;
                Ok(self.settled_outcome(profile, &s, verdict, false).await)
            }
            Reading::Unknown { why } => {
                let result = OpResult {
                    state: OpState::Unknown,
                    response_code: None,
                    response_message: None,
                    note: Some(why.clone()),
                    at: Utc::now(),
                };
                self.record(move |j| j.finish_operation(op_id, &result)).await?;
                self.settle(ctx, Settling { why, ..s }, progress).await
            }
        }
    }

    /// Asks APS about an order now. Resolves any operation of it that was in doubt, and brings
    /// the journal's amounts in line with APS's.
    ///
    /// # Errors
    /// Profile or journal failures.
    pub async fn check_status(
        &self,
        profile: &str,
        reference: &str,
        progress: &Progress,
    ) -> Result<StatusReport, ServiceError> {
        self.check_status_in(profile, reference, None, progress).await
    }

    /// As [`Service::check_status`]; an order this journal does not hold but APS does, with
    /// money on it (taken on the merchant's website, say), is brought into the journal in
    /// `currency` (or the one APS names), marked "taken outside this terminal", so it can be
    /// captured, refunded or voided here. Nothing is charged.
    ///
    /// # Errors
    /// As [`Service::check_status`]; also a `currency` other than the one APS names.
    pub async fn check_status_in(
        &self,
        profile: &str,
        reference: &str,
        currency: Option<Currency>,
        progress: &Progress,
    ) -> Result<StatusReport, ServiceError> {
        self.allow(crate::service::access::Right::Status).await?;
        let reference = reference.trim();
        if reference.is_empty() {
            return Err(ServiceError::invalid(
                Field::MerchantReference,
                "type the order's merchant reference",
            ));
        }
        super::guard::reference(reference)?;
        let ctx = self.ctx(profile).await?;
        let order = self.order_row(profile, reference).await;
        // An operation still open (a capture or refund whose answer was lost) is settled first:
        // its outcome is judged against the amounts from before it, so APS's totals, which may
        // already include it, must not be written over those while it is open.
        if order.as_ref().is_some_and(|o| o.state.needs_reconciliation())
            || self.open_operation(profile, reference).await?
        {
            let _ = self.reconcile_order(profile, reference, progress).await?;
        }
        let lock = self.order_lock(profile, reference);
        let _guard = lock.lock().await;
        // Read under the lock: what APS's totals may be written over (see `unchanged`).
        let order = self.order_row(profile, reference).await;
        progress.report(Stage::Sending);
        let fort_id = order.as_ref().and_then(|o| o.fort_id.clone());
        let answer = self.query_status(&ctx, reference, fort_id, None).await?;
        if order.is_none() {
            return self.outside_order(&ctx, reference, answer, currency).await;
        }
        if let (StatusAnswer::Found(status) | StatusAnswer::StillUncertain(status), Some(order)) =
            (&answer, &order)
            && order.kind == OrderKind::PaymentLink
            && !order.state.was_approved()
        {
            // A link nobody has paid yet is a link, not an order in doubt.
            let is_final = matches!(answer, StatusAnswer::Found(_));
            let (verdict, link) =
                self.link_report(profile, reference, status, order.currency, is_final).await?;
            let order = self.order_row(profile, reference).await;
            return Ok(StatusReport { verdict, answer, order, link: Some(link), taken_outside: false });
        }
        if let (StatusAnswer::Found(status), Some(order)) = (&answer, &order)
            && !order.state.needs_reconciliation()
            && order.state.was_approved()
            && self.unchanged(profile, order).await?
        {
            let amounts = Amounts::of(status);
            let voided = amounts.voided || order.state == OrderState::Voided;
            let update = amounts_update(Amounts { voided, ..amounts }, status.fort_id.clone());
            let (p, r) = (profile.to_owned(), reference.to_owned());
            self.journal(move |j| j.update_order(&p, &r, &update)).await?;
        }
        let verdict = describe_status(&answer, order.as_ref().map(|o| o.currency));
        let order = self.order_row(profile, reference).await;
        let taken_outside = order.as_ref().is_some_and(|o| o.channel == crate::journal::Channel::Outside);
        Ok(StatusReport { verdict, answer, order, link: None, taken_outside })
    }

    /// Settles the open operations of one order (the Status screen's "resolve").
    ///
    /// # Errors
    /// As [`Service::reconcile`].
    pub async fn reconcile_order(
        &self,
        profile: &str,
        reference: &str,
        progress: &Progress,
    ) -> Result<Vec<Outcome>, ServiceError> {
        self.allow(crate::service::access::Right::Status).await?;
        let all = self.reconcile_filtered(profile, Some(reference), progress).await?;
        Ok(all)
    }
}

/// The order as APS's amounts leave it: its state from them, the three amounts and the Fort ID.
pub(super) fn amounts_update(amounts: Amounts, fort_id: Option<String>) -> OrderUpdate {
    OrderUpdate {
        state: Some(OrderState::from_amounts(
            amounts.authorized,
            amounts.captured,
            amounts.refunded,
            amounts.voided,
        )),
        authorized_minor: Some(amounts.authorized),
        captured_minor: Some(amounts.captured),
        refunded_minor: Some(amounts.refunded),
        fort_id,
        ..Default::default()
    }
}

/// The order's amounts as the journal has them.
pub(super) fn amounts_of(order: &OrderRow) -> Amounts {
    Amounts {
        authorized: order.authorized_minor,
        captured: order.captured_minor,
        refunded: order.refunded_minor,
        voided: order.state == OrderState::Voided,
    }
}

/// The request for a capture, void or refund the journal has accepted. Only a refund carries a
/// `maintenance_reference`: spec 3.7 documents it for REFUND and 3.8 lets CHECK_STATUS ask about
/// one refund by it; for CAPTURE it is UNKNOWN whether APS accepts the field, so none is sent
/// (an unexpected field can be refused) and a capture is reconciled by the order's totals.
fn maintenance_command(
    op: Operation,
    reference: &str,
    money: Option<Money>,
    recorded: &MaintenanceIntent,
) -> Result<Command, ServiceError> {
    let fort_id = recorded.order.fort_id.clone();
    let merchant_reference = reference.to_owned();
    Ok(match (op, money) {
        (Operation::Capture, Some(money)) => {
            Command::Capture(Capture { merchant_reference, money, fort_id, order_description: None })
        }
        (Operation::Refund, Some(money)) => Command::Refund(Refund {
            merchant_reference,
            money,
            fort_id,
            maintenance_reference: recorded.maintenance_reference.clone(),
            order_description: None,
        }),
        (Operation::VoidAuthorization, None) => {
            Command::Void(Void { merchant_reference, fort_id, order_description: None })
        }
        (op, _) => {
            return Err(ServiceError::invalid(
                Field::Amount,
                format!("{op} needs an amount; a void takes none"),
            ));
        }
    })
}

/// A refund's own reference: the order's, shortened to fit, plus a running number (≤ 40 chars).
pub fn maintenance_reference(reference: &str, n: usize) -> String {
    let suffix = format!("-RF{n}");
    let keep = 40usize.saturating_sub(suffix.len());
    let head: String = reference.chars().take(keep).collect();
    format!("{head}{suffix}")
}

/// Words for a status answer, in the order's currency when known.
pub(super) fn describe_status(answer: &StatusAnswer, currency: Option<Currency>) -> Verdict {
    let money = |minor: u64| match currency {
        Some(c) => format!("{c} {}", format_minor(minor, c)),
        None => format!("{minor} (minor units)"),
    };
    match answer {
        StatusAnswer::Found(s) | StatusAnswer::StillUncertain(s) => {
            // The order's last transaction decides the kind: a found order may be a decline.
            let kind = match (answer, s.transaction_verdict().map(|v| v.kind)) {
                (StatusAnswer::StillUncertain(_), _) | (_, Some(Kind::Uncertain)) | (_, None) => Kind::Uncertain,
                (_, Some(Kind::Approved)) => Kind::Approved,
                (_, Some(Kind::Declined | Kind::Rejected)) => Kind::Declined,
            };
            Verdict {
                kind,
                code: s.transaction_code.clone(),
                headline: format!(
                    "APS: {} ({})",
                    if s.transaction_message.is_empty() { "order found" } else { &s.transaction_message },
                    s.transaction_code
                ),
                explanation: format!(
                    "Authorized {}, captured {}, refunded {}.",
                    money(s.authorized_minor),
                    money(s.captured_minor),
                    money(s.refunded_minor)
                ),
                next_step: match kind {
                    Kind::Uncertain => "APS has not finished this order yet: check again in a few minutes.".into(),
                    Kind::Declined | Kind::Rejected => {
                        "The last operation on this order failed; the amounts above are what APS holds.".into()
                    }
                    Kind::Approved => "The journal now shows APS's amounts.".into(),
                },
            }
        }
        StatusAnswer::NotFound => Verdict {
            kind: Kind::Declined,
            code: "11036".into(),
            headline: "APS has no order with this reference".into(),
            explanation: "APS does not know this merchant reference (yet).".into(),
            next_step: "Check the reference and the profile. If the order was sent moments ago, check again in a few minutes. To charge it, send this same order again (same reference): never as a new order.".into(),
        },
        StatusAnswer::QueryFailed(verdict) => verdict.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maintenance_references_fit() {
        assert_eq!(maintenance_reference("MT-261125-ABCD", 1), "MT-261125-ABCD-RF1");
        let long = "A".repeat(40);
        let r = maintenance_reference(&long, 12);
        assert_eq!(r.len(), 40);
        assert!(r.ends_with("-RF12"));
    }
}
