//! The exactly-once rules as pure functions, table-tested without a network.
//!
//! Two questions decide everything the service does after sending a request:
//! 1. [`read_reply`]: what does this answer (or this failure) mean? Final, never sent, or unknown.
//! 2. [`judge_status`]: after a CHECK_STATUS, did the operation take effect, not take effect, or
//!    must we keep asking?
//!
//! Neither ever answers "send it again": an operation whose outcome is unknown is resolved only
//! by asking APS about it.

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
    for echoed in [op.command_field(), "merchant_reference", "maintenance_reference"] {
        if let Some(expected) = sent.get(echoed)
            && response.get(echoed).is_some_and(|got| got != expected)
        {
            return Reading::Unknown {
                why: format!("the answer was about a different request ({echoed} differs)"),
            };
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
    /// The operation took effect; these are APS's amounts now.
    Applied { amounts: Amounts, status: OrderStatus },
    /// It definitively did not take effect (declined, or APS has no record of it twice).
    NotApplied { verdict: Verdict },
    /// APS had no record of the order once: ask again after [`NOT_FOUND_CONFIRM_AFTER`].
    NotFoundOnce,
    /// Still in doubt; ask again later.
    KeepWaiting { why: String },
}

/// A "not found" answer counts only when a second check, this long after the first, agrees:
/// check status mainly reports completed transactions (spec 3.8 and 8).
pub const NOT_FOUND_CONFIRM_AFTER: Duration = Duration::from_secs(30);

/// Decides what a CHECK_STATUS answer means for `op` of `op_amount`, given the order's amounts
/// before the operation was sent.
///
/// `settled_in_time` is true once the operation is old enough that a request still on its way
/// (this process or another, waiting out its own timeout) cannot change APS's answer any more;
/// `not_found_before` is true when an earlier check, long enough ago, already found nothing.
/// Only then may "APS shows nothing" count as proof that nothing happened.
pub fn judge_status(
    op: Operation,
    before: Amounts,
    op_amount: u64,
    answer: StatusAnswer,
    not_found_before: bool,
    settled_in_time: bool,
) -> Judgement {
    let status = match answer {
        StatusAnswer::Found(status) => status,
        StatusAnswer::StillUncertain(status) => {
            return Judgement::KeepWaiting {
                why: format!("APS still reports the order as in progress ({})", status.transaction_code),
            };
        }
        StatusAnswer::NotFound if matches!(op, Operation::Purchase | Operation::Authorization) => {
            if not_found_before && settled_in_time {
                return Judgement::NotApplied {
                    verdict: not_applied_verdict(op, "APS has no record of this order after two checks"),
                };
            }
            return Judgement::NotFoundOnce;
        }
        StatusAnswer::NotFound => {
            return Judgement::KeepWaiting {
                why: "APS did not find the order this operation belongs to".into(),
            };
        }
        StatusAnswer::QueryFailed(verdict) => {
            return Judgement::KeepWaiting { why: format!("the status check failed: {}", verdict.headline) };
        }
    };
    if is_on_hold(&status.transaction_code) {
        return Judgement::KeepWaiting {
            why: format!("APS reports the last operation as on hold ({})", status.transaction_code),
        };
    }
    let reported = Amounts::of(&status);
    let last_is_this = status.last_operation() == Some(op);
    // The official plugins decide "paid" from the transaction code (spec 3.8); the amounts are a
    // second witness. Either is enough; the larger amounts are kept.
    let code_says_done = last_is_this && status.transaction_code == op.success_code();
    let amounts_say_done = match op {
        Operation::Purchase | Operation::Authorization => reported.captured > 0 || reported.authorized > 0,
        Operation::Capture => reported.captured >= before.captured.saturating_add(op_amount),
        Operation::Refund => reported.refunded >= before.refunded.saturating_add(op_amount),
        Operation::VoidAuthorization => reported.voided,
        _ => false,
    };
    if code_says_done || amounts_say_done {
        let expected = match op {
            Operation::Purchase => Amounts { authorized: op_amount, captured: op_amount, ..before },
            Operation::Authorization => Amounts { authorized: op_amount, ..before },
            Operation::Capture => Amounts { captured: before.captured.saturating_add(op_amount), ..before },
            Operation::Refund => Amounts { refunded: before.refunded.saturating_add(op_amount), ..before },
            _ => Amounts { voided: true, ..before },
        };
        let amounts = Amounts {
            authorized: reported.authorized.max(if code_says_done { expected.authorized } else { 0 }),
            captured: reported.captured.max(if code_says_done { expected.captured } else { 0 }),
            refunded: reported.refunded.max(if code_says_done { expected.refunded } else { 0 }),
            voided: reported.voided || (code_says_done && expected.voided),
        };
        return Judgement::Applied { amounts, status };
    }
    if last_is_this {
        let last = response::classify(op, &status.transaction_code);
        if matches!(last.kind, Kind::Declined | Kind::Rejected) {
            return Judgement::NotApplied { verdict: last };
        }
    }
    if settled_in_time {
        return Judgement::NotApplied {
            verdict: not_applied_verdict(op, "APS shows no trace of it, long after it was sent"),
        };
    }
    Judgement::KeepWaiting { why: format!("APS does not show this {} yet", op.wire_name().to_lowercase()) }
}

/// The verdict for an operation that provably did not happen.
pub fn not_applied_verdict(op: Operation, evidence: &str) -> Verdict {
    let what = match op {
        Operation::Purchase | Operation::Authorization => "Nothing was charged",
        Operation::Capture => "Nothing was captured",
        Operation::Refund => "Nothing was refunded",
        Operation::VoidAuthorization => "The authorization was not voided",
        _ => "Nothing changed",
    };
    Verdict {
        kind: Kind::Declined,
        code: String::new(),
        headline: format!("Not processed: {}", what.to_lowercase()),
        explanation: format!("{what}: {evidence}."),
        next_step: match op {
            Operation::Purchase | Operation::Authorization => "It is safe to charge again with a new order.",
            Operation::Capture => "It is safe to capture again.",
            Operation::Refund => "It is safe to refund again.",
            Operation::VoidAuthorization => "It is safe to void again.",
            _ => "It is safe to try again.",
        }
        .into(),
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
mod tests {
    use super::*;
    use serde_json::json;

    fn params(v: serde_json::Value) -> Params {
        v.as_object().cloned().unwrap()
    }

    fn signed(mut p: Params) -> bytes::Bytes {
        let s = sign::sign(&p, "resp", Algorithm::Sha256);
        p.insert("signature".into(), s.into());
        bytes::Bytes::from(serde_json::to_vec(&p).unwrap())
    }

    fn sent() -> Params {
        params(json!({"command": "PURCHASE", "merchant_reference": "R1", "amount": "1000"}))
    }

    fn reply(body: bytes::Bytes) -> Result<Reply, TransportError> {
        Ok(Reply { http_status: 200, body })
    }

    #[test]
    fn replies_are_read_safely() {
        let ok = params(
            json!({"command": "PURCHASE", "merchant_reference": "R1", "response_code": "14000", "status": "14"}),
        );
        assert!(matches!(
            read_reply(Operation::Purchase, &sent(), reply(signed(ok.clone())), "resp", Algorithm::Sha256),
            Reading::Final { verdict, .. } if verdict.kind == Kind::Approved
        ));
        // Wrong phrase: the same answer cannot be trusted.
        assert!(matches!(
            read_reply(Operation::Purchase, &sent(), reply(signed(ok.clone())), "other", Algorithm::Sha256),
            Reading::Unknown { .. }
        ));
        // An answer about another order.
        let mut other = ok.clone();
        other.insert("merchant_reference".into(), "R2".into());
        assert!(matches!(
            read_reply(Operation::Purchase, &sent(), reply(signed(other)), "resp", Algorithm::Sha256),
            Reading::Unknown { .. }
        ));
        let declined = params(
            json!({"command": "PURCHASE", "merchant_reference": "R1", "response_code": "13666", "status": "13"}),
        );
        assert!(matches!(
            read_reply(Operation::Purchase, &sent(), reply(signed(declined)), "resp", Algorithm::Sha256),
            Reading::Final { verdict, .. } if verdict.kind == Kind::Declined
        ));
        let uncertain = params(
            json!({"command": "PURCHASE", "merchant_reference": "R1", "response_code": "15777", "status": "15"}),
        );
        assert!(matches!(
            read_reply(Operation::Purchase, &sent(), reply(signed(uncertain)), "resp", Algorithm::Sha256),
            Reading::Unknown { .. }
        ));
        let http500 = Ok(Reply { http_status: 500, body: signed(ok) });
        assert!(matches!(
            read_reply(Operation::Purchase, &sent(), http500, "resp", Algorithm::Sha256),
            Reading::Unknown { .. }
        ));
        let garbled = reply(bytes::Bytes::from_static(b"<html>oops"));
        assert!(matches!(
            read_reply(Operation::Purchase, &sent(), garbled, "resp", Algorithm::Sha256),
            Reading::Unknown { .. }
        ));
        let refused = Err(TransportError::NotDelivered("refused".into()));
        assert!(matches!(
            read_reply(Operation::Purchase, &sent(), refused, "resp", Algorithm::Sha256),
            Reading::NotSent { .. }
        ));
        let timeout = Err(TransportError::OutcomeUnknown("timeout".into()));
        assert!(matches!(
            read_reply(Operation::Purchase, &sent(), timeout, "resp", Algorithm::Sha256),
            Reading::Unknown { .. }
        ));
    }

    fn found(code: &str, authorized: u64, captured: u64, refunded: u64) -> StatusAnswer {
        StatusAnswer::Found(OrderStatus {
            transaction_status: code[..2].to_owned(),
            transaction_code: code.to_owned(),
            transaction_message: String::new(),
            authorized_minor: authorized,
            captured_minor: captured,
            refunded_minor: refunded,
            fort_id: Some("1".into()),
            authorization_code: None,
        })
    }

    #[test]
    fn status_judgement_table() {
        let none = Amounts::default();
        let auth = Amounts { authorized: 1000, ..Default::default() };
        let sale = Amounts { authorized: 1000, captured: 1000, ..Default::default() };
        use Operation::*;
        let applied = |j: &Judgement| matches!(j, Judgement::Applied { .. });
        let not_applied = |j: &Judgement| matches!(j, Judgement::NotApplied { .. });
        let waiting = |j: &Judgement| matches!(j, Judgement::KeepWaiting { .. });
        // (op, before, amount, answer, not found before, settled in time)
        assert!(applied(&judge_status(Purchase, none, 1000, found("14000", 1000, 1000, 0), false, false)));
        assert!(applied(&judge_status(Authorization, none, 1000, found("02000", 1000, 0, 0), false, false)));
        assert!(not_applied(&judge_status(Purchase, none, 1000, found("13666", 0, 0, 0), false, false)));
        assert!(matches!(
            judge_status(Purchase, none, 1000, StatusAnswer::NotFound, false, true),
            Judgement::NotFoundOnce
        ));
        assert!(
            matches!(
                judge_status(Purchase, none, 1000, StatusAnswer::NotFound, true, false),
                Judgement::NotFoundOnce
            ),
            "a second 'not found' too soon after sending proves nothing: the request may still be on its way"
        );
        assert!(not_applied(&judge_status(Purchase, none, 1000, StatusAnswer::NotFound, true, true)));
        assert!(waiting(&judge_status(Purchase, none, 1000, found("15777", 0, 0, 0), false, true)));
        // The success code alone is enough, even when APS leaves the amounts out.
        assert!(matches!(
            judge_status(Purchase, none, 1000, found("14000", 0, 0, 0), false, false),
            Judgement::Applied { amounts: Amounts { authorized: 1000, captured: 1000, .. }, .. }
        ));
        assert!(applied(&judge_status(Capture, auth, 400, found("04000", 1000, 400, 0), false, false)));
        assert!(applied(&judge_status(Capture, auth, 400, found("04000", 1000, 0, 0), false, false)));
        // No trace of a capture: wait while it could still be on its way, then it did not happen.
        assert!(waiting(&judge_status(Capture, auth, 400, found("02000", 1000, 0, 0), false, false)));
        assert!(not_applied(&judge_status(Capture, auth, 400, found("02000", 1000, 0, 0), false, true)));
        assert!(not_applied(&judge_status(Capture, auth, 400, found("05042", 1000, 0, 0), false, false)));
        assert!(applied(&judge_status(Refund, sale, 300, found("06000", 1000, 1000, 300), false, false)));
        assert!(waiting(&judge_status(Refund, sale, 300, found("14000", 1000, 1000, 0), false, false)));
        assert!(not_applied(&judge_status(Refund, sale, 300, found("14000", 1000, 1000, 0), false, true)));
        assert!(applied(&judge_status(VoidAuthorization, auth, 0, found("08000", 1000, 0, 0), false, false)));
        assert!(not_applied(&judge_status(
            VoidAuthorization,
            auth,
            0,
            found("02000", 1000, 0, 0),
            false,
            true
        )));
        // A maintenance operation on an order APS cannot find is not proof of anything.
        assert!(waiting(&judge_status(Capture, auth, 400, StatusAnswer::NotFound, true, true)));
    }

    #[test]
    fn on_hold_codes_of_the_spec() {
        for code in [
            "15777", "15778", "15779", "15780", "15781", "00006", "04006", "13006", "17006", "19000",
            "20000", "40090", "14051", "10000",
        ] {
            assert!(is_on_hold(code), "{code}");
        }
        for code in ["14000", "02000", "13666", "00008", "06000", "08000"] {
            assert!(!is_on_hold(code), "{code}");
        }
        assert!(is_on_hold(""), "a missing code is never final");
    }

    #[test]
    fn capturable_and_refundable() {
        let a = Amounts { authorized: 1000, captured: 400, refunded: 100, voided: false };
        assert_eq!((a.capturable(), a.refundable()), (600, 300));
        assert_eq!(Amounts { voided: true, ..a }.capturable(), 0);
    }
}
