//! The exactly-once rules as pure functions, table-tested without a network.
//!
//! Two questions decide everything the service does after sending a request:
//! 1. [`read_reply`]: what does this answer (or this failure) mean? Final, never sent, or unknown.
//! 2. [`judge_status`]: after a CHECK_STATUS, did the operation take effect, not take effect, or
//!    must we keep asking?
//!
//! Neither ever answers "send it again": an operation whose outcome is unknown is resolved only
//! by asking APS about it.

use crate::aps::money::{Currency, Money, format_minor};
use crate::aps::response::{self, Kind, OrderStatus, StatusAnswer, Verdict};
use crate::aps::sign::{self, Algorithm};
use crate::aps::{Operation, Params};
use crate::gateway::{Reply, TransportError};
use std::time::Duration;

/// What an answer means for the operation that was sent.
#[derive(Clone, Debug)]
pub enum Reading {
    /// A trustworthy, final answer: approved, declined or rejected.
    Final { verdict: Verdict, response: Params },
    /// APS cannot have seen the request; nothing happened.
    NotSent { why: String },
    /// It may have been processed: resolve with CHECK_STATUS, never by sending again.
    Unknown { why: String },
}

/// Reads the result of sending `sent` for `op`.
pub fn read_reply(
    op: Operation,
    sent: &Params,
    result: Result<Reply, TransportError>,
    response_phrase: &str,
    algorithm: Algorithm,
) -> Reading {
    let reply = match result {
        Ok(reply) => reply,
        Err(TransportError::NotDelivered(why)) => return Reading::NotSent { why },
        Err(TransportError::OutcomeUnknown(why)) => return Reading::Unknown { why },
    };
    if reply.http_status != 200 {
        return Reading::Unknown { why: format!("APS answered with HTTP error {}", reply.http_status) };
    }
    let response = match serde_json::from_slice::<serde_json::Value>(&reply.body) {
        Ok(serde_json::Value::Object(map)) => map,
        _ => return Reading::Unknown { why: "the answer from APS could not be read".into() },
    };
    if sign::verify(&response, response_phrase, algorithm).is_err() {
        return Reading::Unknown {
            why: "the answer's signature did not verify, so it cannot be trusted (check the SHA response phrase and SHA type)".into(),
        };
    }
    // APS echoes every parameter it was sent (spec 2.6): an answer that leaves out or changes
    // what identifies the request, or the money in it, is not an answer to this request.
    let echoed = [op.command_field(), "merchant_reference", "maintenance_reference", "amount", "currency"];
    for field in echoed {
        let Some(expected) = sent.get(field) else { continue };
        match response.get(field) {
            Some(got) if value_text(got) == value_text(expected) => {}
            Some(_) => {
                return Reading::Unknown {
                    why: format!("the answer names a different {} than was sent", field.replace('_', " ")),
                };
            }
            None => {
                return Reading::Unknown {
                    why: format!("the answer does not repeat the {} that was sent", field.replace('_', " ")),
                };
            }
        }
    }
    let code = response.get("response_code").and_then(serde_json::Value::as_str).unwrap_or_default();
    let verdict = response::classify(op, code);
    match verdict.kind {
        Kind::Uncertain => Reading::Unknown { why: verdict.headline },
        Kind::Approved | Kind::Declined | Kind::Rejected => Reading::Final { verdict, response },
    }
}

/// Money on an order, in minor units.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Amounts {
    pub authorized: u64,
    pub captured: u64,
    pub refunded: u64,
    pub voided: bool,
}

impl Amounts {
    pub fn of(status: &OrderStatus) -> Self {
        Self {
            authorized: status.authorized_minor,
            captured: status.captured_minor,
            refunded: status.refunded_minor,
            voided: status.transaction_status == "08",
        }
    }

    /// What may still be captured.
    pub fn capturable(self) -> u64 {
        if self.voided { 0 } else { self.authorized.saturating_sub(self.captured) }
    }

    /// What may still be refunded.
    pub fn refundable(self) -> u64 {
        self.captured.saturating_sub(self.refunded)
    }
}

/// The verdict of reconciliation for one operation.
#[derive(Clone, Debug)]
pub enum Judgement {
    /// The operation took effect; these are APS's amounts now, and they agree with the journal.
    Applied { amounts: Amounts, status: OrderStatus },
    /// APS itself reports the operation as declined or refused: nothing moved.
    NotApplied { verdict: Verdict },
    /// APS has no record of the operation, twice, long after it could have arrived. Nothing is
    /// concluded from that beyond "nothing shows": the operation may be sent again only with the
    /// same reference (APS refuses a repeat of one it did process), never as a new order.
    NoRecord { verdict: Verdict },
    /// No trace of the operation yet: ask again after [`NOT_FOUND_CONFIRM_AFTER`].
    NoTraceOnce,
    /// APS's answer disagrees with the journal (another amount or currency, totals that fit
    /// neither before nor after): a person must look. Never taken as a confirmation.
    Mismatch { why: String },
    /// Still in doubt; ask again later.
    KeepWaiting { why: String },
}

/// What the settling loop knows besides APS's latest answer.
#[derive(Clone, Copy, Debug, Default)]
pub struct Evidence {
    /// An earlier check, at least [`NOT_FOUND_CONFIRM_AFTER`] ago, found no trace either.
    pub no_trace_before: bool,
    /// The operation's own deadline has passed: its request can no longer be on its way.
    pub past_deadline: bool,
    /// A refund sent under the reference of an earlier refund of the order that did not
    /// succeed (spec 3.7 allows that retry): until this one can no longer be on its way, the
    /// code APS reports for the reference may be the earlier one's.
    pub reference_reused: bool,
}

/// "No trace" counts only when a second check, this long after the first, agrees: check status
/// mainly reports completed transactions (spec 3.8 and 8).
pub const NOT_FOUND_CONFIRM_AFTER: Duration = Duration::from_secs(30);

/// The intent being reconciled: the operation, its amount and currency, and the order's amounts
/// in the journal before it was sent.
#[derive(Clone, Copy, Debug)]
pub struct Intent {
    pub op: Operation,
    pub amount: u64,
    pub currency: Currency,
    pub before: Amounts,
}

impl Intent {
    /// The operation's amount, when it has one (a void has none).
    pub fn money(&self) -> Option<Money> {
        (self.amount > 0).then(|| Money::from_minor(self.amount, self.currency).ok()).flatten()
    }

    /// The order's amounts if the operation took effect.
    pub fn after(&self) -> Amounts {
        let b = self.before;
        match self.op {
            Operation::Purchase => Amounts { authorized: self.amount, captured: self.amount, ..b },
            Operation::Authorization => Amounts { authorized: self.amount, ..b },
            Operation::Capture => Amounts { captured: b.captured.saturating_add(self.amount), ..b },
            Operation::Refund => Amounts { refunded: b.refunded.saturating_add(self.amount), ..b },
            _ => Amounts { voided: true, ..b },
        }
    }
}

/// Decides what a CHECK_STATUS answer means for an intent. A refund is asked about by its own
/// maintenance reference, so the answer's transaction is that refund's; every other operation
/// is judged from the order's totals, which must equal the journal's before or after it.
pub fn judge_status(intent: Intent, answer: StatusAnswer, evidence: Evidence) -> Judgement {
    let op = intent.op;
    let status = match answer {
        StatusAnswer::Found(status) => status,
        StatusAnswer::StillUncertain(status) => {
            return Judgement::KeepWaiting {
                why: format!("APS still reports the order as in progress ({})", status.transaction_code),
            };
        }
        StatusAnswer::NotFound if matches!(op, Operation::Capture | Operation::VoidAuthorization) => {
            return Judgement::KeepWaiting {
                why: "APS did not find the order this operation belongs to".into(),
            };
        }
        StatusAnswer::NotFound => return no_trace(op, evidence),
        StatusAnswer::QueryFailed(verdict) => {
            return Judgement::KeepWaiting { why: format!("the status check failed: {}", verdict.headline) };
        }
    };
    if is_on_hold(&status.transaction_code) {
        return Judgement::KeepWaiting {
            why: format!("APS reports the last operation as on hold ({})", status.transaction_code),
        };
    }
    if let Some(currency) = &status.currency
        && !currency.eq_ignore_ascii_case(intent.currency.code())
    {
        return Judgement::Mismatch {
            why: format!(
                "APS shows this reference in {currency}, but this terminal sent {}: it may be another order under the same reference",
                intent.currency
            ),
        };
    }
    let reported = Amounts::of(&status);
    let after = intent.after();
    let last_is_this = status.last_operation() == Some(op);
    let code_says_done = last_is_this && status.transaction_code == op.success_code();
    let applied = match op {
        // The order's own first amounts; later captures or refunds of it do not matter here.
        Operation::Purchase => reported.authorized == intent.amount && reported.captured >= intent.amount,
        Operation::Authorization => reported.authorized == intent.amount,
        Operation::Capture => totals_equal(reported, after),
        Operation::Refund => code_says_done && totals_equal(reported, after),
        Operation::VoidAuthorization => reported.voided && reported.captured == 0,
        _ => false,
    };
    if applied {
        let voided = reported.voided || op == Operation::VoidAuthorization;
        return Judgement::Applied { amounts: Amounts { voided, ..reported }, status };
    }
    if code_says_done && !status.amounts_reported && is_first(op) {
        // The official plugins decide "paid" from the code alone (spec 3.8); APS left the
        // amounts out, so there is nothing to disagree with.
        return Judgement::Applied { amounts: after, status };
    }
    let nothing_moved = if is_first(op) {
        reported.authorized == 0 && reported.captured == 0
    } else {
        totals_equal(reported, intent.before) && !reported.voided
    };
    // A first operation's or a refund's code is its own (a refund is asked about by its own
    // reference, unless an earlier refund used it too); a capture's may be an earlier capture's.
    let code_is_own = is_first(op) || (op == Operation::Refund && !evidence.reference_reused);
    if (code_says_done && code_is_own) || !nothing_moved {
        return Judgement::Mismatch { why: mismatch_words(intent, reported) };
    }
    let declined = last_is_this
        && matches!(response::classify(op, &status.transaction_code).kind, Kind::Declined | Kind::Rejected);
    if declined {
        // APS's own word. For a capture or void (or a refund under a reused reference) the
        // decline may be an earlier one's, so it counts only once this operation can no
        // longer be on its way.
        if code_is_own || evidence.past_deadline {
            return Judgement::NotApplied { verdict: response::classify(op, &status.transaction_code) };
        }
        return Judgement::KeepWaiting { why: "APS shows only an earlier failed operation so far".into() };
    }
    no_trace(op, evidence)
}

fn is_first(op: Operation) -> bool {
    matches!(op, Operation::Purchase | Operation::Authorization)
}

/// The three totals agree (a void shows only as APS's last transaction, so it is judged apart).
fn totals_equal(reported: Amounts, journal: Amounts) -> bool {
    reported.authorized == journal.authorized
        && reported.captured == journal.captured
        && reported.refunded == journal.refunded
}

fn no_trace(op: Operation, evidence: Evidence) -> Judgement {
    if evidence.no_trace_before && evidence.past_deadline {
        Judgement::NoRecord { verdict: no_record_verdict(op) }
    } else {
        Judgement::NoTraceOnce
    }
}

fn mismatch_words(intent: Intent, reported: Amounts) -> String {
    let money = |minor: u64| format!("{} {}", intent.currency, format_minor(minor, intent.currency));
    let totals = |a: Amounts| {
        format!(
            "authorized {}, captured {}, refunded {}",
            money(a.authorized),
            money(a.captured),
            money(a.refunded)
        )
    };
    format!(
        "APS shows {} for this order; those amounts fit neither the journal before this {} nor after it ({}): check the order in the APS back office",
        totals(reported),
        intent.op.wire_name().to_lowercase().replace('_', " "),
        totals(intent.after()),
    )
}

/// The verdict for an operation APS has no record of after two checks and its deadline.
pub fn no_record_verdict(op: Operation) -> Verdict {
    let (what, next) = match op {
        Operation::Purchase | Operation::Authorization => (
            "this payment",
            "Do not start a new order. If the customer still wants to pay, send this same order again (Status, \"Send again\"): it keeps its reference, so APS refuses it if the first attempt did go through.",
        ),
        Operation::Refund => (
            "this refund",
            "Refund again if it is still owed: the terminal reuses this refund's own reference, so APS refuses it if the first attempt did go through.",
        ),
        Operation::Capture => {
            ("this capture", "Check the order in Status before capturing again: the amounts there are APS's.")
        }
        Operation::VoidAuthorization => {
            ("this void", "Check the order in Status; void again if it is still authorized.")
        }
        _ => ("this request", "Check it in Status before trying again."),
    };
    Verdict {
        kind: Kind::Declined,
        code: String::new(),
        headline: format!("No record at APS: {what} does not show"),
        explanation: format!(
            "APS has no record of {what} after two checks, long after it was sent, so nothing appears to have moved."
        ),
        next_step: next.into(),
    }
}

/// What a verdict made by the terminal itself (not an APS code) says happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Finding {
    /// The request never left this machine.
    NotSent,
    /// APS has no record of the order or operation (CHECK_STATUS `11036`, or twice after the
    /// deadline).
    NoRecord,
}

/// Tells the terminal's own findings apart from APS's verdicts, so a screen can say "not sent"
/// or "no record at APS" instead of "declined".
pub fn finding(verdict: &Verdict) -> Option<Finding> {
    match (verdict.kind, verdict.code.as_str()) {
        (Kind::Rejected, "") => Some(Finding::NotSent),
        (Kind::Declined, "" | "11036") => Some(Finding::NoRecord),
        _ => None,
    }
}

/// The verdict for a request that never reached APS.
pub fn not_sent_verdict(why: &str) -> Verdict {
    Verdict {
        kind: Kind::Rejected,
        code: String::new(),
        headline: "Not sent: APS could not be reached".into(),
        explanation: format!("The request never reached APS ({why}), so nothing happened."),
        next_step: "Check the network connection, then send it again.".into(),
    }
}

/// The verdict while an outcome is still unknown.
pub fn unknown_verdict(why: &str) -> Verdict {
    Verdict {
        kind: Kind::Uncertain,
        code: String::new(),
        headline: "Outcome unknown: still checking with APS".into(),
        explanation: format!("APS may have processed this request: {why}."),
        next_step: "Do not charge again. The terminal keeps checking with APS; see Status for the result."
            .into(),
    }
}

/// A parameter's value as text, whether APS sent it as a string or a number.
fn value_text(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Codes that mean "not final yet" (spec 5.4); a missing or unreadable code is never final.
pub fn is_on_hold(code: &str) -> bool {
    response::ResponseCode::parse(code).is_none_or(|c| response::is_on_hold(&c))
}

/// Waits between status checks: quick at first (the answer is usually there within seconds),
/// then slower. The service stops after the last one and leaves the order to the background
/// reconciler and the Status screen.
pub fn backoff_schedule(scale: Duration) -> Vec<Duration> {
    [0u32, 2, 5, 10, 20, 30, 60].iter().map(|&n| scale * n).collect()
}

#[cfg(test)]
mod tests;
