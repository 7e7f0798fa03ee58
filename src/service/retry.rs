//! Sending an order again with the same merchant reference, after it never reached APS or APS
//! had no record of it.
//!
//! This is the only way the terminal sends a payment a second time, and it is never automatic:
//! a person asks for it. The reference stays the same, so if the first attempt did reach APS
//! after all, APS refuses the repeat as a duplicate (spec 8) and the terminal asks APS what
//! became of the order instead of charging again.

use super::charge::{CardDraft, parse_card};
use super::policy::{Amounts, Intent, Reading};
use super::{Ctx, Field, Outcome, Progress, Service, ServiceError, Stage};
use crate::aps::command::{Charge, ChargeKind, Command, OrderDetails, PaymentSource};
use crate::aps::money::Money;
use crate::journal::{OrderKind, OrderRow, PaymentMethod};

impl Service {
    /// Sends the order's charge again with its own merchant reference. A token order is rebuilt
    /// from the journal; a keyed-card order needs the same card keyed again (`card`), checked
    /// against the order's fingerprint. The phone number of the first attempt is not kept, so
    /// it is not sent again.
    ///
    /// # Errors
    /// Nothing sent: no such order, an order in another state than "not sent / no record at
    /// APS", a missing or different card, or a journal failure.
    pub async fn send_again(
        &self,
        profile: &str,
        reference: &str,
        card: Option<CardDraft>,
        progress: &Progress,
    ) -> Result<Outcome, ServiceError> {
        self.allow(crate::service::access::Right::Charge).await?;
        let result = self.send_again_now(profile, reference, card, progress).await;
        self.audited("send-again", profile, Some(reference.trim()), None, result).await
    }

    async fn send_again_now(
        &self,
        profile: &str,
        reference: &str,
        card: Option<CardDraft>,
        progress: &Progress,
    ) -> Result<Outcome, ServiceError> {
        self.ready().await;
        let reference = reference.trim();
        let ctx = self.ctx(profile).await?;
        let lock = self.order_lock(profile, reference);
        let _in_flight = lock.lock().await;
        let order = self.order_row(profile, reference).await.ok_or_else(|| {
            ServiceError::NotFound(format!(
                "no order \"{reference}\" in the journal of profile \"{profile}\""
            ))
        })?;
        let source = self.source_again(&ctx, &order, card).await?;
        let command = charge_again(&ctx, &order, source)?;
        // Every field is checked again before anything is recorded.
        command
            .check(&ctx.merchant())
            .map_err(|e| ServiceError::Invalid { field: e.field, message: e.to_string() })?;
        let lease = self.lease();
        let deadline = lease.deadline;
        let (p, r, operator) = (profile.to_owned(), reference.to_owned(), ctx.profile.operator.clone());
        let retry = self.journal(move |j| j.record_retry_intent(&p, &r, &operator, lease)).await?;
        progress.report(Stage::Sending);
        let (_, reading) = self.exchange(&ctx, &command).await?;
        drop(command);
        let intent = Intent {
            op: order.kind.first_operation(),
            amount: order.amount_minor,
            currency: order.currency,
            before: Amounts::default(),
        };
        let reading = duplicate_means_unknown(reading);
        self.finish_first_operation(&ctx, reference, retry.id, intent, deadline, reading, progress).await
    }

    /// What to charge: the order's token, or the card keyed again, which must be the same card.
    async fn source_again(
        &self,
        ctx: &Ctx,
        order: &OrderRow,
        card: Option<CardDraft>,
    ) -> Result<PaymentSource, ServiceError> {
        match (&order.token_name, card) {
            (Some(token), _) => Ok(PaymentSource::Token(token.clone())),
            (None, Some(card)) => {
                let keyed = parse_card(&card)?;
                let PaymentMethod::Card { fingerprint, .. } = self.card_method(ctx, &keyed.number).await?
                else {
                    return Err(ServiceError::invalid(Field::CardNumber, "type the card number"));
                };
                if order.card_fingerprint.as_deref() != Some(fingerprint.as_str()) {
                    return Err(ServiceError::invalid(
                        Field::CardNumber,
                        format!(
                            "this is not the card of order {}: key the same card, or take a new order",
                            order.merchant_reference
                        ),
                    ));
                }
                Ok(PaymentSource::Card(keyed))
            }
            (None, None) => Err(ServiceError::invalid(
                Field::CardNumber,
                format!(
                    "order {} was paid with a keyed card, which is never stored: key the same card again to send it",
                    order.merchant_reference
                ),
            )),
        }
    }
}

/// The order's charge, as first sent, from what the journal kept.
fn charge_again(ctx: &Ctx, order: &OrderRow, source: PaymentSource) -> Result<Command, ServiceError> {
    let money = Money::from_minor(order.amount_minor, order.currency)
        .map_err(|e| ServiceError::Journal(format!("the order's amount cannot be read: {e}")))?;
    let kind = match order.kind {
        OrderKind::Sale | OrderKind::Recurring => ChargeKind::Sale,
        OrderKind::AuthorizeOnly => ChargeKind::AuthorizeOnly,
        OrderKind::PaymentLink => {
            return Err(ServiceError::invalid(
                Field::Order,
                "a payment link is not sent again: create a new link",
            ));
        }
    };
    let agreement_id = order.extra.get("agreement_id").and_then(|v| v.as_str()).map(str::to_owned);
    Ok(Command::Charge(Charge {
        kind,
        merchant_reference: order.merchant_reference.clone(),
        money,
        customer_email: order.customer_email.clone().unwrap_or_default(),
        source,
        recurring: order.kind == OrderKind::Recurring,
        agreement_id,
        recurring_setup: super::recurring_setup::setup_from(&order.extra),
        details: OrderDetails {
            customer_name: order.customer_name.clone(),
            order_description: order.description.clone(),
            customer_ip: ctx.profile.customer_ip.clone(),
            ..Default::default()
        },
    }))
}

/// APS's answer to a repeated reference (duplicate order, already processed, still processing)
/// means the first attempt did reach it: what became of it is asked with CHECK_STATUS.
fn duplicate_means_unknown(reading: Reading) -> Reading {
    match reading {
        Reading::Final { verdict, .. }
            if matches!(verdict.code.get(2..), Some("007" | "066" | "047" | "784")) =>
        {
            Reading::Unknown {
                why: "APS already has an order with this reference, so the first attempt did reach it".into(),
            }
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aps::response::{Kind, Verdict};

    fn final_with(code: &str) -> Reading {
        Reading::Final {
            verdict: Verdict {
                kind: Kind::Rejected,
                code: code.into(),
                headline: String::new(),
                explanation: String::new(),
                next_step: String::new(),
            },
            response: crate::aps::Params::new(),
        }
    }

    #[test]
    fn a_duplicate_reference_is_never_a_final_answer_to_a_resend() {
        for code in ["00007", "00066", "14066", "13047", "00784"] {
            assert!(matches!(duplicate_means_unknown(final_with(code)), Reading::Unknown { .. }), "{code}");
        }
        assert!(matches!(duplicate_means_unknown(final_with("13666")), Reading::Final { .. }));
    }
}
