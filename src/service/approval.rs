//! Rights on an existing order's capture, refund and void, with a supervisor's approval where an
//! agent's refund or void is above the profile's limit; and the audit entry of each outcome.

use super::access::{self, Decision, Right};
use super::people::{Approval, not_allowed};
use super::{Ctx, Outcome, Progress, Service, ServiceError};
use crate::aps::Operation;
use crate::aps::money::{Money, format_minor};
use crate::journal::OrderRow;

impl Service {
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn maintain(
        &self,
        profile: &str,
        reference: &str,
        op: Operation,
        amount_text: Option<&str>,
        batch_row: Option<String>,
        approval: Option<Approval>,
        progress: &Progress,
    ) -> Result<Outcome, ServiceError> {
        // A batch's rows are audited as the batch's start and end.
        let single = batch_row.is_none();
        let result =
            self.maintain_now(profile, reference, op, amount_text, batch_row, approval, progress).await;
        if !single {
            return result;
        }
        let money = match (&result, amount_text) {
            (Ok(Outcome { order: Some(o), .. }), Some(text)) => Money::parse(text, o.currency).ok(),
            _ => None,
        };
        let action = match op {
            Operation::Capture => "capture",
            Operation::Refund => "refund",
            _ => "void",
        };
        self.audited(action, profile, Some(reference.trim()), money, result).await
    }

    /// Checks that the operator may do `op` on `order`, asking for `approval` when an agent's
    /// refund or void is above the limit. Returns the approver to record on the operation.
    ///
    /// # Errors
    /// [`ServiceError::NotAllowed`]: not signed in, no approval where one is needed, or an
    /// approval that does not count (wrong PIN, an agent, the requester themself).
    pub(super) async fn maintenance_access(
        &self,
        op: Operation,
        ctx: &Ctx,
        order: &OrderRow,
        money: Option<Money>,
        approval: Option<Approval>,
    ) -> Result<Option<String>, ServiceError> {
        // Anyone who may capture may ask for a refund or void; the role decides who approves.
        let actor = self.allow(Right::Capture).await?;
        let Some(role) = actor.role.filter(|_| op != Operation::Capture) else { return Ok(None) };
        let amount = money.map_or(order.authorized_minor, Money::minor_units);
        let same_currency = order.currency == ctx.profile.default_currency;
        // Refunds count together on an order: ten refunds of the limit are not ten times it.
        let counted =
            if op == Operation::Refund { order.refunded_minor.saturating_add(amount) } else { amount };
        if access::refund_or_void(role, counted, same_currency, ctx.profile.agent_limit_minor)
            == Decision::Allowed
        {
            return Ok(None);
        }
        let what = if op == Operation::Refund { "refund" } else { "void" };
        let money_text = if counted == amount {
            format!("{} {}", order.currency, format_minor(amount, order.currency))
        } else {
            let total = format_minor(counted, order.currency);
            let this = format_minor(amount, order.currency);
            format!("{} {this} (refunds on this order would come to {total})", order.currency)
        };
        let Some(approval) = approval else {
            let mut e = self.entry(&actor.name, what, "refused", "needs a supervisor's approval");
            (e.profile, e.reference) =
                (Some(ctx.profile.name.clone()), Some(order.merchant_reference.clone()));
            self.audit(e).await;
            return Err(not_allowed(format!(
                "not allowed: an agent's {what} of {money_text} needs a supervisor's approval (the agent limit is {} {}): \
                 a supervisor types their name and PIN (on the command line: --approved-by NAME, with \
                 MOTO_TERMINAL_APPROVER_PIN or at the prompt)",
                ctx.profile.default_currency,
                format_minor(ctx.profile.agent_limit_minor, ctx.profile.default_currency)
            )));
        };
        access::not_oneself(&actor.name, &approval.name).map_err(not_allowed)?;
        let approver = self.check_pin(&approval.name, &approval.pin, "approve").await?;
        access::check_approver(&actor.name, &approver.name, approver.role).map_err(not_allowed)?;
        let mut e = self.entry(&approver.name, "approve", "ok", &format!("{what} by {}", actor.name));
        e.profile = Some(ctx.profile.name.clone());
        e.reference = Some(order.merchant_reference.clone());
        (e.amount_minor, e.currency) = (i64::try_from(amount).ok(), Some(order.currency.code().to_owned()));
        self.audit(e).await;
        Ok(Some(approver.name))
    }

    /// Appends the audit entry of an operation that was asked for, whatever became of it.
    pub(super) async fn audited(
        &self,
        action: &str,
        profile: &str,
        reference: Option<&str>,
        money: Option<Money>,
        result: Result<Outcome, ServiceError>,
    ) -> Result<Outcome, ServiceError> {
        if matches!(result, Err(ServiceError::NotAllowed(_))) {
            return result; // audited where it was refused
        }
        let who = self.signed_in().map_or_else(|| self.desk_operator(), |o| o.name);
        let (outcome, detail) = match &result {
            Ok(o) => (o.verdict.kind.label().to_ascii_lowercase(), o.verdict.code.clone()),
            Err(e) => ("failed".to_owned(), e.to_string()),
        };
        let mut e = self.entry(&who, action, &outcome, &detail);
        e.profile = Some(profile.to_owned());
        e.reference =
            result.as_ref().ok().map(|o| o.merchant_reference.clone()).or(reference.map(str::to_owned));
        if let Some(m) = money {
            e.amount_minor = i64::try_from(m.minor_units()).ok();
            e.currency = Some(m.currency().code().to_owned());
        } else if let Ok(Outcome { order: Some(order), .. }) = &result {
            e.amount_minor = i64::try_from(order.amount_minor).ok();
            e.currency = Some(order.currency.code().to_owned());
        }
        self.audit(e).await;
        result
    }
}
