//! Capture, void, refund and status of an existing order, each partial and repeatable where
//! APS allows it, each checked against what is still capturable or refundable before it is sent.

use super::charge::{op_state, text};
use super::policy::{self, Amounts, Reading};
use super::{Outcome, Progress, Service, ServiceError, Stage};
use crate::aps::Operation;
use crate::aps::command::{Capture, Command, Refund, Void};
use crate::aps::money::{Money, format_minor};
use crate::aps::response::{Kind, StatusAnswer, Verdict};
use crate::journal::{NewOperation, OpResult, OpState, OrderRow, OrderState, OrderUpdate};
use chrono::Utc;

/// What APS says about an order right now, next to what the journal had.
#[derive(Clone, Debug)]
pub struct StatusReport {
    pub verdict: Verdict,
    pub answer: StatusAnswer,
    pub order: Option<OrderRow>,
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
        self.maintain(profile, reference, Operation::Capture, Some(amount), progress).await
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
        progress: &Progress,
    ) -> Result<Outcome, ServiceError> {
        self.maintain(profile, reference, Operation::Refund, Some(amount), progress).await
    }

    /// Voids a whole authorization that has not been captured.
    ///
    /// # Errors
    /// As [`Service::capture`].
    pub async fn void(
        &self,
        profile: &str,
        reference: &str,
        progress: &Progress,
    ) -> Result<Outcome, ServiceError> {
        self.maintain(profile, reference, Operation::VoidAuthorization, None, progress).await
    }

    async fn maintain(
        &self,
        profile: &str,
        reference: &str,
        op: Operation,
        amount_text: Option<&str>,
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
        if matches!(order.state, OrderState::Pending | OrderState::Unknown) {
            return Err(ServiceError::Busy(format!(
                "the outcome of order {reference} is still unknown: resolve it in Status first"
            )));
        }
        let (p, r) = (profile.to_owned(), reference.to_owned());
        let timeline = self.journal(move |j| j.timeline(&p, &r)).await?;
        if timeline.iter().any(|o| o.state.is_open() && o.operation != Operation::CheckStatus) {
            return Err(ServiceError::Busy(format!(
                "an earlier operation on order {reference} is still unknown: resolve it in Status first"
            )));
        }
        let before = Amounts {
            authorized: order.authorized_minor,
            captured: order.captured_minor,
            refunded: order.refunded_minor,
            voided: order.state == OrderState::Voided,
        };
        let money = match amount_text {
            Some(text) => {
                Some(Money::parse(text, order.currency).map_err(|e| ServiceError::invalid("amount", e))?)
            }
            None => None,
        };
        let show = |minor: u64| format!("{} {}", order.currency, format_minor(minor, order.currency));
        let command = match (op, money) {
            (Operation::Capture, Some(money)) => {
                if money.minor_units() > before.capturable() {
                    return Err(ServiceError::invalid(
                        "amount",
                        format!("at most {} can still be captured on this order", show(before.capturable())),
                    ));
                }
                Command::Capture(Capture {
                    merchant_reference: reference.to_owned(),
                    money,
                    fort_id: order.fort_id.clone(),
                    order_description: None,
                })
            }
            (Operation::Refund, Some(money)) => {
                if money.minor_units() > before.refundable() {
                    return Err(ServiceError::invalid(
                        "amount",
                        format!("at most {} can still be refunded on this order", show(before.refundable())),
                    ));
                }
                let n = timeline.iter().filter(|o| o.operation == Operation::Refund).count() + 1;
                Command::Refund(Refund {
                    merchant_reference: reference.to_owned(),
                    money,
                    fort_id: order.fort_id.clone(),
                    maintenance_reference: Some(maintenance_reference(reference, n)),
                    order_description: None,
                })
            }
            (Operation::VoidAuthorization, None) => {
                if before.voided || before.captured > 0 || before.authorized == 0 {
                    return Err(ServiceError::invalid(
                        "order",
                        "only an authorization with nothing captured can be voided; refund a captured payment instead",
                    ));
                }
                Command::Void(Void {
                    merchant_reference: reference.to_owned(),
                    fort_id: order.fort_id.clone(),
                    order_description: None,
                })
            }
            _ => {
                return Err(ServiceError::invalid(
                    "operation",
                    format!("{op} is not a maintenance operation"),
                ));
            }
        };
        let maintenance_ref = match &command {
            Command::Refund(r) => r.maintenance_reference.clone(),
            _ => None,
        };
        let new_op = NewOperation {
            profile: profile.to_owned(),
            merchant_reference: reference.to_owned(),
            operation: op,
            maintenance_reference: maintenance_ref,
            amount: money,
            operator: ctx.profile.operator.clone(),
            at: Utc::now(),
            note: None,
        };
        let op_id = self.journal(move |j| j.record_operation_intent(&new_op)).await?;
        progress.report(Stage::Sending);
        let op_amount = money.map(Money::minor_units).unwrap_or(0);
        let sent_at = chrono::Utc::now();
        let (_, reading) = self.exchange(&ctx, &command).await?;
        match reading {
            Reading::Final { verdict, response } => {
                let mut update = OrderUpdate {
                    last_response_code: Some(verdict.code.clone()),
                    last_message: text(&response, "response_message"),
                    ..Default::default()
                };
                if verdict.kind == Kind::Approved {
                    let after = match op {
                        Operation::Capture => Amounts { captured: before.captured + op_amount, ..before },
                        Operation::Refund => Amounts { refunded: before.refunded + op_amount, ..before },
                        _ => Amounts { voided: true, ..before },
                    };
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
                Ok(self.outcome(profile, reference, op, verdict, false).await)
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
                Ok(self.outcome(profile, reference, op, verdict, false).await)
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
                self.settle(
                    &ctx,
                    reference,
                    op,
                    op_id,
                    op_amount,
                    before,
                    order.fort_id.clone(),
                    sent_at,
                    &why,
                    false,
                    progress,
                )
                .await
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
        let reference = reference.trim();
        if reference.is_empty() {
            return Err(ServiceError::invalid("merchant_reference", "type the order's merchant reference"));
        }
        super::guard::reference(reference)?;
        let ctx = self.ctx(profile).await?;
        let order = self.order_row(profile, reference).await;
        if order.as_ref().is_some_and(|o| o.state.needs_reconciliation()) {
            let _ = self.reconcile_order(profile, reference, progress).await?;
        }
        let lock = self.order_lock(profile, reference);
        let _guard = lock.lock().await;
        progress.report(Stage::Sending);
        let fort_id = order.as_ref().and_then(|o| o.fort_id.clone());
        let answer = self.query_status(&ctx, reference, fort_id, None).await?;
        if let (StatusAnswer::Found(status), Some(order)) = (&answer, &order)
            && !order.state.needs_reconciliation()
            && order.state.was_approved()
        {
            let amounts = Amounts::of(status);
            let voided = amounts.voided || order.state == OrderState::Voided;
            let update = OrderUpdate {
                state: Some(OrderState::from_amounts(
                    amounts.authorized,
                    amounts.captured,
                    amounts.refunded,
                    voided,
                )),
                authorized_minor: Some(amounts.authorized),
                captured_minor: Some(amounts.captured),
                refunded_minor: Some(amounts.refunded),
                fort_id: status.fort_id.clone(),
                ..Default::default()
            };
            let (p, r) = (profile.to_owned(), reference.to_owned());
            self.journal(move |j| j.update_order(&p, &r, &update)).await?;
        }
        let verdict = describe_status(&answer, order.as_ref().map(|o| o.currency));
        Ok(StatusReport { verdict, answer, order: self.order_row(profile, reference).await })
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
        let all = self.reconcile_filtered(profile, Some(reference), progress).await?;
        Ok(all)
    }
}

/// A refund's own reference: the order's, shortened to fit, plus a running number (≤ 40 chars).
pub fn maintenance_reference(reference: &str, n: usize) -> String {
    let suffix = format!("-RF{n}");
    let keep = 40usize.saturating_sub(suffix.len());
    let head: String = reference.chars().take(keep).collect();
    format!("{head}{suffix}")
}

/// Words for a status answer, in the order's currency when known.
fn describe_status(answer: &StatusAnswer, currency: Option<crate::aps::money::Currency>) -> Verdict {
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
            next_step: "Check the reference and the profile. If the order was sent moments ago, check again in a few minutes before charging again.".into(),
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
