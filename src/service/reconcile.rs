//! Resolving doubt: when APS may or may not have processed a request, ask it with CHECK_STATUS
//! on the same merchant reference, with back-off, until the answer is certain. Nothing here
//! ever sends the original request again.

use super::lease;
use super::policy::{self, Amounts, Evidence, Intent, Judgement};
use super::{Ctx, Outcome, Progress, Service, ServiceError, Stage};
use crate::aps::Operation;
use crate::aps::command::{CheckStatus, Command};
use crate::aps::response::{self, Kind, OrderStatus, StatusAnswer, Verdict};
use crate::journal::{OpId, OpResult, OpState, OperationRow, OrderKind, OrderRow, OrderState, OrderUpdate};
use chrono::{DateTime, Utc};
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
            // Documented for CHECK_STATUS (spec 3.8): the issuer's reason for a decline.
            third_party_codes: true,
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
    /// the claim on it is released, and the background reconciler keeps asking).
    pub(super) async fn settle(
        &self,
        ctx: &Ctx,
        s: Settling,
        progress: &Progress,
    ) -> Result<Outcome, ServiceError> {
        let schedule = match s.pace {
            Pace::Full => policy::backoff_schedule(self.settings().backoff_unit),
            // Two looks, the confirmation delay apart: enough to find "no record" once the
            // deadline has passed, without the whole back-off.
            Pace::Short => vec![std::time::Duration::ZERO; 2],
            Pace::Once => vec![std::time::Duration::ZERO],
        };
        let confirm = self.settings().not_found_confirm;
        let reference_reused = self.refund_reference_reused(ctx, &s).await?;
        let mut first_no_trace: Option<Instant> = None;
        let mut last_why = s.why.clone();
        for (i, wait) in schedule.iter().enumerate() {
            let mut wait = *wait;
            if let Some(t) = first_no_trace {
                // A second look sooner than the confirmation delay proves nothing more.
                wait = wait.max(confirm.saturating_sub(t.elapsed()));
            }
            tokio::time::sleep(wait).await;
            progress.report(Stage::Reconciling { attempt: i + 1, why: last_why.clone() });
            let answer = self
                .query_status(ctx, &s.reference, s.fort_id.clone(), s.maintenance_reference.clone())
                .await?;
            let evidence = Evidence {
                no_trace_before: first_no_trace.is_some_and(|t| t.elapsed() >= confirm),
                past_deadline: Utc::now() >= s.deadline,
                reference_reused,
            };
            match policy::judge_status(s.intent, answer, evidence) {
                Judgement::Applied { amounts, status } => {
                    return self.record_applied(ctx, &s, amounts, status).await;
                }
                Judgement::NotApplied { verdict } => {
                    return self.record_not_applied(ctx, &s, verdict, false).await;
                }
                Judgement::NoRecord { verdict } => {
                    return self.record_not_applied(ctx, &s, verdict, true).await;
                }
                Judgement::Mismatch { why } => {
                    return self.flag(ctx, &s, why, "APS's answer does not match this order").await;
                }
                Judgement::NoTraceOnce => {
                    first_no_trace.get_or_insert_with(Instant::now);
                    last_why = "APS shows no trace of it yet; checking again to be sure".into();
                }
                Judgement::KeepWaiting { why } => last_why = why,
            }
        }
        let attention = format!("Outcome still unknown after {} status checks: {last_why}", schedule.len());
        self.flag(ctx, &s, attention, "Outcome unknown: still checking with APS").await
    }

    /// Whether the refund being settled went out under the reference of an earlier refund of
    /// the order (one that did not succeed, which the journal then lets the next one reuse).
    async fn refund_reference_reused(&self, ctx: &Ctx, s: &Settling) -> Result<bool, ServiceError> {
        let Some(mine) = s.maintenance_reference.clone().filter(|_| s.intent.op == Operation::Refund) else {
            return Ok(false);
        };
        let (p, r, id) = (ctx.profile.name.clone(), s.reference.clone(), s.op_id);
        let timeline = self.journal(move |j| j.timeline(&p, &r)).await?;
        Ok(timeline.iter().any(|o| {
            o.operation == Operation::Refund
                && o.id != id
                && o.maintenance_reference.as_deref() == Some(mine.as_str())
        }))
    }

    async fn record_applied(
        &self,
        ctx: &Ctx,
        s: &Settling,
        amounts: Amounts,
        status: OrderStatus,
    ) -> Result<Outcome, ServiceError> {
        let op = s.intent.op;
        let result = OpResult {
            state: OpState::Resolved,
            response_code: Some(op.success_code().to_owned()),
            response_message: Some(status.transaction_message.clone()),
            note: Some(match status.issuer_words().filter(|w| w.len() <= 200) {
                Some(words) => {
                    format!("confirmed by CHECK_STATUS ({}); card network: {words}", status.transaction_code)
                }
                None => format!("confirmed by CHECK_STATUS ({})", status.transaction_code),
            }),
            at: Utc::now(),
        };
        let update = OrderUpdate {
            last_response_code: Some(status.transaction_code.clone()),
            last_message: Some(status.transaction_message.clone()),
            needs_attention: Some(None),
            // A capture's or refund's answer must not replace the charge's authorization code.
            extra: matches!(op, Operation::Purchase | Operation::Authorization)
                .then(|| status_codes(&status))
                .flatten(),
            ..super::maintenance::amounts_update(amounts, status.fort_id.clone())
        };
        let op_id = s.op_id;
        self.record(move |j| j.record_outcome(op_id, &result, &update)).await?;
        let verdict = response::classify(op, op.success_code());
        Ok(self.settled_outcome(&ctx.profile.name, s, verdict, true).await)
    }

    /// APS declined it (`no_record` false), or has no record of it after two checks past its
    /// deadline. Either way nothing moved; a first operation's order is `declined` or
    /// `not_sent`, and the verdict's next step says how to try again safely.
    async fn record_not_applied(
        &self,
        ctx: &Ctx,
        s: &Settling,
        verdict: Verdict,
        no_record: bool,
    ) -> Result<Outcome, ServiceError> {
        let op = s.intent.op;
        let first_op = matches!(op, Operation::Purchase | Operation::Authorization);
        let code = (!verdict.code.is_empty()).then(|| verdict.code.clone());
        let result = OpResult {
            state: OpState::Resolved,
            response_code: code.clone(),
            response_message: Some(verdict.headline.clone()),
            note: Some(format!("CHECK_STATUS: {}", verdict.explanation)),
            at: Utc::now(),
        };
        let update = OrderUpdate {
            state: first_op.then_some(if no_record { OrderState::NotSent } else { OrderState::Declined }),
            last_response_code: code,
            last_message: Some(verdict.headline.clone()),
            needs_attention: Some(None),
            ..Default::default()
        };
        let op_id = s.op_id;
        self.record(move |j| j.record_outcome(op_id, &result, &update)).await?;
        Ok(self.settled_outcome(&ctx.profile.name, s, verdict, true).await)
    }

    /// Leaves the operation open and the order flagged for a person, and releases this process's
    /// claim so any terminal may settle it later.
    async fn flag(
        &self,
        ctx: &Ctx,
        s: &Settling,
        why: String,
        headline: &str,
    ) -> Result<Outcome, ServiceError> {
        let (p, r, op_id) = (ctx.profile.name.clone(), s.reference.clone(), s.op_id);
        let update = OrderUpdate { needs_attention: Some(Some(why.clone())), ..Default::default() };
        self.record(move |j| {
            j.update_order(&p, &r, &update)?;
            j.release_operation(op_id, lease::this_process())
        })
        .await?;
        let mut verdict = policy::unknown_verdict(&why);
        verdict.headline = headline.to_owned();
        verdict.explanation = why;
        Ok(self.settled_outcome(&ctx.profile.name, s, verdict, true).await)
    }

    pub(super) async fn outcome(
        &self,
        profile: &str,
        reference: &str,
        op: Operation,
        verdict: Verdict,
        reconciled: bool,
    ) -> Outcome {
        let order = self.order_row(profile, reference).await;
        Outcome {
            profile: profile.to_owned(),
            merchant_reference: reference.to_owned(),
            operation: op,
            verdict: with_what_remains(verdict, op, order.as_ref()),
            order,
            reconciled,
            token_name: None,
            payment_link: None,
            amount: None,
        }
    }

    /// [`Service::outcome`] for a settled operation, with its own amount.
    pub(super) async fn settled_outcome(
        &self,
        profile: &str,
        s: &Settling,
        verdict: Verdict,
        reconciled: bool,
    ) -> Outcome {
        let outcome = self.outcome(profile, &s.reference, s.intent.op, verdict, reconciled).await;
        Outcome { amount: s.intent.money(), ..outcome }
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
        self.allow(crate::service::access::Right::Status).await?;
        let outcomes = self.reconcile_where(profile, None, false, progress).await?;
        if !outcomes.is_empty() {
            let lines: Vec<String> = outcomes.iter().map(summary).collect();
            self.note("reconcile", "ok", &lines.join("; ")).await;
        }
        Ok(outcomes)
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

    pub(super) async fn reconcile_where(
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
            if item.open_operations.iter().all(held_by_aps_batch) {
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
            // An order a person must look at gets two looks a pass, not the whole back-off.
            let pace = match (quick, order.needs_attention.is_some()) {
                (true, _) => Pace::Once,
                (false, true) => Pace::Short,
                (false, false) => Pace::Full,
            };
            for op in item.open_operations.iter().filter(|op| !held_by_aps_batch(op)) {
                match self.settle_open(&ctx, &order, op, pace, progress).await {
                    Ok(Some(outcome)) => outcomes.push(outcome),
                    Ok(None) => {}
                    Err(e) => log::warn!("order {} not reconciled: {e}", order.merchant_reference),
                }
            }
        }
        Ok(outcomes)
    }

    /// Whether the process that claimed an operation is still running: the team journal knows
    /// it of every terminal (its presence lock); otherwise this machine's processes are checked
    /// and another host's owner counts as alive until the operation's deadline.
    pub(crate) async fn owner_alive(
        &self,
        owner: String,
        deadline: DateTime<Utc>,
    ) -> Result<bool, ServiceError> {
        let present = {
            let owner = owner.clone();
            self.journal(move |j| j.owner_present(&owner)).await?
        };
        Ok(present.unwrap_or_else(|| lease::owner_alive(&owner, Some(deadline), Utc::now())))
    }

    /// Settles one open operation found in the journal, unless another live process owns it.
    async fn settle_open(
        &self,
        ctx: &Ctx,
        order: &OrderRow,
        op: &OperationRow,
        pace: Pace,
        progress: &Progress,
    ) -> Result<Option<Outcome>, ServiceError> {
        // Journals from before leases have no deadline: this process's own window stands in.
        let window = chrono::Duration::from_std(self.settings().in_flight_window).unwrap_or_default();
        let deadline = op.deadline.unwrap_or(op.at + window);
        let me = lease::this_process();
        if let Some(owner) = op.owner.clone()
            && owner != me
            && self.owner_alive(owner, deadline).await?
        {
            // Its sender is alive: only it knows whether the request is still on its way.
            return Ok(None);
        }
        let (id, expected) = (op.id, op.owner.clone());
        let claimed = self.journal(move |j| j.claim_operation(id, expected.as_deref(), me)).await?;
        if !claimed {
            return Ok(None);
        }
        if op.operation == Operation::PaymentLink {
            let note =
                "The link may have been created: check the customer's email or SMS before creating another";
            let result = OpResult {
                state: OpState::Unknown,
                response_code: None,
                response_message: None,
                note: Some(note.into()),
                at: Utc::now(),
            };
            let update = OrderUpdate { needs_attention: Some(Some(note.into())), ..Default::default() };
            let id = op.id;
            self.journal(move |j| {
                j.record_outcome(id, &result, &update)?;
                j.release_operation(id, me)
            })
            .await?;
            return Ok(None);
        }
        let before = super::maintenance::amounts_of(order);
        let settling = Settling {
            reference: order.merchant_reference.clone(),
            intent: Intent {
                op: op.operation,
                amount: op.amount.map(|m| m.minor_units()).unwrap_or(order.amount_minor),
                currency: order.currency,
                before,
            },
            op_id: op.id,
            fort_id: order.fort_id.clone(),
            maintenance_reference: op.maintenance_reference.clone(),
            deadline,
            why: "the answer to this request was never received".into(),
            pace,
        };
        self.settle(ctx, settling, progress).await.map(Some)
    }
}

/// A lease reaching more than half a day ahead is only ever given to a row of a batch the APS
/// batch service holds (two days, `batch::aps_rows`); a request's own lease lasts its time
/// limit plus a margin, minutes at most, whatever `--timeout` another process was given.
/// Running that batch again books the row from APS's results, and before its lease ends no
/// status check can prove more than those results will.
pub(super) fn held_by_aps_batch(op: &OperationRow) -> bool {
    op.deadline.is_some_and(|deadline| deadline > Utc::now() + chrono::Duration::hours(12))
}

/// One operation to settle: what was sent, and what is known of its flight.
pub(super) struct Settling {
    pub reference: String,
    pub intent: Intent,
    pub op_id: OpId,
    pub fort_id: Option<String>,
    /// A refund's own reference: the status check asks about that refund.
    pub maintenance_reference: Option<String>,
    /// After this, the request can no longer be on its way.
    pub deadline: DateTime<Utc>,
    /// Why the outcome is in doubt, for the progress line.
    pub why: String,
    pub pace: Pace,
}

/// How many times to ask APS before leaving an operation to the next pass.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Pace {
    /// The whole back-off schedule: right after sending, or at the first pass over an order.
    Full,
    /// Twice, the confirmation delay apart: an order already flagged for a person.
    Short,
    /// Once: a command about to charge must not wait minutes for an old order.
    Once,
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

/// The answer's codes worth keeping on the order, as a charge's own answer would have given
/// them: the authorization code, and the card network's codes.
pub(super) fn status_codes(status: &OrderStatus) -> Option<crate::journal::Extra> {
    let codes: crate::journal::Extra = [
        ("authorization_code", &status.authorization_code),
        ("acquirer_response_code", &status.acquirer_response_code),
        ("processor_response_code", &status.processor_response_code),
    ]
    .into_iter()
    .filter_map(|(name, value)| {
        value
            .as_deref()
            .filter(|v| super::first_answer::worth_keeping(v))
            .map(|v| (name.to_owned(), v.into()))
    })
    .collect();
    (!codes.is_empty()).then_some(codes)
}

/// An approved capture of part of an authorization leaves the rest authorized. APS's verdict
/// cannot know that ("nothing more to do"), so its next step then says how much is left and
/// what to do with it (spec 3.5 and 3.6: captures up to the authorized total; no void once
/// anything is captured). Five days, as the authorization's own next step says: the spec's
/// sources give 5 to 7, and the shorter is the safe reading.
fn with_what_remains(mut verdict: Verdict, op: Operation, order: Option<&OrderRow>) -> Verdict {
    let left = order.map_or(0, OrderRow::capturable_minor);
    if let (Operation::Capture, Kind::Approved, true, Some(order)) = (op, verdict.kind, left > 0, order) {
        let currency = order.currency;
        verdict.next_step = format!(
            "{currency} {} is still authorized: capture it when the rest of the order is fulfilled, within 5 days of the authorization, or leave it and the card's bank releases it",
            crate::aps::money::format_minor(left, currency)
        );
    }
    verdict
}
