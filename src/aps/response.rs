//! What an APS `response_code` means, and what the agent should do about it (spec section 5).
//!
//! Every response is sorted into one of four kinds. The rule that matters most: a response is
//! called Declined or Rejected only when the spec says no money can have moved; everything the
//! official plugins treat as "on hold" (spec 5.4), everything the terminal does not recognise for
//! a money-moving operation, and every unreadable answer is Uncertain, so the service checks the
//! order's status with APS instead of charging again.
//!
//! The words come from APS's own code tables (OLD-DOC transactioncodes, spec 5.1 and 5.2), so an
//! agent reading a code to APS support uses the same words as APS.

use super::Operation;
use serde_json::Value;
use std::fmt;

mod advice;
mod link;
mod status;
mod texts;
use advice::{advice, default_next_step};
pub use link::{LinkState, describe_link};
pub use status::{OrderStatus, StatusAnswer, interpret_check_status, network_words};
pub use texts::{UNKNOWN_MESSAGE, UNKNOWN_STATUS, message_text, message_text_ar, status_text};

/// APS `response_code`: 2-digit status + 3-digit message (spec 5). Kept as the five ASCII digits
/// received, because leading zeros are significant (`02000` is not `2000`).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ResponseCode([u8; 5]);

impl ResponseCode {
    /// Reads a response code given as text: exactly five ASCII digits, nothing else.
    pub fn parse(code: &str) -> Option<ResponseCode> {
        let bytes: [u8; 5] = code.as_bytes().try_into().ok()?;
        bytes.iter().all(u8::is_ascii_digit).then_some(ResponseCode(bytes))
    }

    /// Reads a response code from a JSON value. APS sends text, but a JSON number is accepted
    /// too, restoring the leading zeros a number cannot carry (`2000` is `02000`).
    pub fn from_value(value: &Value) -> Option<ResponseCode> {
        match value {
            Value::String(text) => Self::parse(text),
            Value::Number(number) => {
                let n = number.as_u64().filter(|n| *n <= 99_999)?;
                Self::parse(&format!("{n:05}"))
            }
            _ => None,
        }
    }

    /// The 2-digit status (spec 5.1).
    pub fn status(&self) -> &str {
        self.as_str().get(..2).unwrap_or("")
    }

    /// The 3-digit message (spec 5.2).
    pub fn message(&self) -> &str {
        self.as_str().get(2..).unwrap_or("")
    }

    /// The five digits.
    pub fn as_str(&self) -> &str {
        // Only ASCII digits are ever stored, so this cannot fail.
        std::str::from_utf8(&self.0).unwrap_or("")
    }
}

impl fmt::Debug for ResponseCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ResponseCode({})", self.as_str())
    }
}

impl fmt::Display for ResponseCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How an agent must treat a response.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// The operation succeeded.
    Approved,
    /// APS processed the request and refused it; no money moved.
    Declined,
    /// APS refused the request before processing it; nothing moved and the request must be fixed.
    Rejected,
    /// Money may or may not have moved: the order's status must be checked before anything else.
    Uncertain,
}

impl Kind {
    /// A short word for the kind, as shown in lists.
    pub fn label(self) -> &'static str {
        match self {
            Self::Approved => "Approved",
            Self::Declined => "Declined",
            Self::Rejected => "Rejected",
            Self::Uncertain => "Outcome unknown",
        }
    }
}

/// What an agent is told. Built only here, so every code has words.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Verdict {
    pub kind: Kind,
    /// The response code as received ("" if none). Anything that is not a response code is cut
    /// to 10 characters, too short to ever hold a card number.
    pub code: String,
    pub headline: String,
    /// Plain words for a call-centre agent, including APS's meaning of the code.
    pub explanation: String,
    /// What the agent should do now.
    pub next_step: String,
}

/// The codes the official plugins treat as on hold (spec 5.4), by exact value.
const ON_HOLD_CODES: [&str; 5] = ["15777", "15778", "15779", "15780", "15781"];

/// Statuses that mean an operation succeeded (spec 5.1); seen with a code that is not this
/// operation's success, they mean APS answered about something else.
const SUCCESS_STATUSES: [&str; 32] = [
    "01", "02", "04", "06", "08", "12", "14", "18", "22", "24", "28", "30", "32", "42", "44", "46", "48",
    "50", "52", "54", "56", "58", "62", "66", "70", "72", "74", "76", "80", "88", "90", "92",
];

/// Failures of the payment operations that spec 5.4 lists as definitive: processed, no money
/// moved (when the message is not a technical one, which is caught before).
const PAYMENT_FAILURES: [&str; 5] = ["03", "05", "07", "09", "13"];

/// Why a code leaves the outcome open (spec 5.4), whatever the operation; `None` if it does not.
///
/// A technical problem (`006`) is open for every status, not only the thirteen the plugins list:
/// the rule "when in doubt, assume money may have moved" costs one status check at most.
fn open_reason(code: &ResponseCode) -> Option<&'static str> {
    let (status, message) = (code.status(), code.message());
    if ON_HOLD_CODES.contains(&code.as_str()) {
        return Some("APS lists this code as on hold: the result is not final yet.");
    }
    if message == "006" {
        return Some("APS had a technical problem and cannot say whether the request was processed.");
    }
    let reason = match (status, message) {
        // "Order stored" (spec 5.1): APS holds the order but reports no result for it yet.
        ("01", _) => "APS has stored the order but not yet reported a result for it.",
        ("15", _) => "APS marked the transaction as uncertain.",
        ("19", _) => "APS says the transaction is still pending.",
        ("10", _) => "APS says the transaction is incomplete.",
        ("20", m) if m != "064" => "APS put the transaction on hold.",
        ("40", _) | (_, "090") => "APS put the transaction in review.",
        (_, "051") => "APS had a technical error and cannot say whether the request was processed.",
        (_, "777") => "APS processed the transaction but did not receive the confirmation.",
        (_, "778") => "The session timed out while APS was working on the request.",
        (_, "784") => "APS is still processing an earlier transaction for this order.",
        _ => return None,
    };
    Some(reason)
}

/// True when a transaction code reported by CHECK_STATUS is not final yet (spec 5.4): the order
/// must be checked again later. A 3-D Secure request (`20064`) counts too, since the order waits.
pub fn is_on_hold(code: &ResponseCode) -> bool {
    open_reason(code).is_some() || code.status() == "20"
}

/// Whether `code` is a success of `op` (spec 5.3).
fn is_success(op: Operation, code: &ResponseCode) -> bool {
    let c = code.as_str();
    if c == op.success_code() {
        return true;
    }
    match op {
        Operation::CreateToken => code.status() == "52" || matches!(c, "18000" | "18062" | "18063"),
        Operation::UpdateToken => matches!(c, "18000" | "18062" | "18063"),
        _ => false,
    }
}

/// Whether `code` is the success of some operation (spec 5.3): seen where it is not this
/// operation's success, APS answered about something else.
fn is_success_elsewhere(code: &ResponseCode) -> bool {
    Operation::ALL.iter().any(|op| is_success(*op, code))
        || (SUCCESS_STATUSES.contains(&code.status()) && code.message() == "000")
}

/// The word for doing `op` again, for "do not ... again".
fn redo_verb(op: Operation) -> &'static str {
    match op {
        Operation::Purchase => "charge",
        Operation::Authorization => "authorize",
        Operation::Capture => "capture",
        Operation::VoidAuthorization => "void",
        Operation::Refund => "refund",
        Operation::CheckStatus => "check",
        Operation::CreateToken => "store the card",
        Operation::UpdateToken => "update the card",
        Operation::PaymentLink => "send a link",
        Operation::UploadBatchFile => "upload the file",
        Operation::GetBatchResults => "ask for the results",
        Operation::ProcessBatch => "process the batch",
    }
}

/// APS's meaning of a code, in one sentence.
fn meaning(code: &ResponseCode) -> String {
    format!(
        "APS code {}: {} ({}).",
        code.as_str(),
        status_text(code.status()),
        message_text(code.message()).to_lowercase_first()
    )
}

/// Lower-cases the first letter of a message so it reads inside a sentence, unless the first
/// word is a name or an acronym ("OLP", "SDK", "Apple Pay").
trait LowerFirst {
    fn to_lowercase_first(&self) -> String;
}

impl LowerFirst for str {
    fn to_lowercase_first(&self) -> String {
        let first_word = self.split(' ').next().unwrap_or("");
        let keep = first_word == "Apple" || first_word.chars().skip(1).any(|c| c.is_ascii_uppercase());
        let mut chars = self.chars();
        match chars.next() {
            Some(first) if !keep => first.to_lowercase().chain(chars).collect(),
            _ => self.to_owned(),
        }
    }
}

fn verdict(kind: Kind, code: &str, headline: String, explanation: String, next_step: &str) -> Verdict {
    Verdict { kind, code: code.to_owned(), headline, explanation, next_step: next_step.to_owned() }
}

/// Classifies any response of `op` by its response_code (spec 5.3, 5.4). Exhaustive: every
/// string gets a verdict with words.
pub fn classify(op: Operation, response_code: &str) -> Verdict {
    let Some(code) = ResponseCode::parse(response_code) else {
        return unreadable(op, response_code);
    };
    let (status, message) = (code.status(), code.message());
    if is_success(op, &code) {
        return approved(op, &code);
    }
    if let Some(reason) = open_reason(&code) {
        return uncertain(op, &code, reason);
    }
    if is_success_elsewhere(&code) {
        return uncertain(
            op,
            &code,
            "APS answered with the success code of another operation, so this answer does not say what happened to this request.",
        );
    }
    if status == "00" {
        return rejected(op, &code);
    }
    if message == "047" && op.moves_money() {
        // "Order already processed" answers a repeat (spec 8): an earlier request under this
        // reference may have moved the money, whatever the status says of this one.
        return uncertain(
            op,
            &code,
            "APS says the order was already processed: an earlier request under this reference may have gone through.",
        );
    }
    if op == Operation::CheckStatus && status == "11" && message == "036" {
        return verdict(
            Kind::Declined,
            code.as_str(),
            "Order not found".to_owned(),
            format!(
                "APS has no order with this reference, so nothing was charged under it, unless APS is \
                 slow to report it. {}",
                meaning(&code)
            ),
            "Check the status again in a few minutes before charging: only then is it safe to charge",
        );
    }
    if PAYMENT_FAILURES.contains(&status) || !op.moves_money() {
        return declined(op, &code);
    }
    if code.as_str() == "20064" {
        return uncertain(
            op,
            &code,
            "APS asked for a 3-D Secure check, which a phone order cannot complete; the payment is waiting and not final.",
        );
    }
    uncertain(
        op,
        &code,
        "This code is not a result the terminal expects for this operation, so it cannot tell whether money moved.",
    )
}

fn unreadable(op: Operation, received: &str) -> Verdict {
    let shown: String = received.chars().take(10).collect();
    let what = if received.is_empty() {
        "APS's answer had no response code".to_owned()
    } else {
        format!("APS's answer had a response code that is not 5 digits (\"{shown}\")")
    };
    let verdict = uncertain_words(op, &format!("{what}, so the terminal cannot tell what happened."));
    Verdict { code: shown, ..verdict }
}

fn uncertain(op: Operation, code: &ResponseCode, reason: &str) -> Verdict {
    let mut v = uncertain_words(op, &format!("{reason} {}", meaning(code)));
    v.code = code.as_str().to_owned();
    v
}

fn uncertain_words(op: Operation, why: &str) -> Verdict {
    let (headline, effect, next_step) = if op.moves_money() {
        (
            "Outcome unknown: checking with APS".to_owned(),
            format!(
                "The {} may or may not have gone through.",
                op.wire_name().to_lowercase().replace('_', " ")
            ),
            format!("Do not {} again: the terminal is checking the status with APS", redo_verb(op)),
        )
    } else if op == Operation::CheckStatus {
        (
            "Status unknown: APS did not answer clearly".to_owned(),
            "The order's status is still unknown.".to_owned(),
            "Check the status again in a few minutes; do not charge the order meanwhile".to_owned(),
        )
    } else {
        (
            format!("Outcome unknown: {} not confirmed", op.wire_name()),
            "No money moves with this operation, but it may or may not have been done.".to_owned(),
            format!("Check the result in History or the APS back office before you {} again", redo_verb(op)),
        )
    };
    Verdict {
        kind: Kind::Uncertain,
        code: String::new(),
        headline,
        explanation: format!("{why} {effect}"),
        next_step,
    }
}

fn approved(op: Operation, code: &ResponseCode) -> Verdict {
    let (what, next_step) = match op {
        Operation::Purchase => (
            "The payment was charged to the card.",
            "Give the customer the order reference; nothing more to do",
        ),
        Operation::Authorization => (
            "The amount is reserved on the card but not charged until you capture it.",
            "Capture when the order is fulfilled (within 5 days), or void it if the order is cancelled",
        ),
        Operation::Capture => ("The amount captured was charged to the card.", "Nothing more to do"),
        Operation::VoidAuthorization => {
            ("The reservation was released; the customer will not be charged.", "Nothing more to do")
        }
        Operation::Refund => (
            "The refund was accepted and the money is going back to the card.",
            "Tell the customer the refund is on its way to their card",
        ),
        Operation::CheckStatus => ("APS answered the status query.", "Read the order status shown"),
        Operation::CreateToken => {
            ("The card was stored for later charges.", "Charge the stored card when the customer asks")
        }
        Operation::UpdateToken => ("The stored card was updated.", "Nothing more to do"),
        Operation::PaymentLink => (
            "The payment link was created.",
            "Tell the customer to pay with the link; its status shows in History",
        ),
        Operation::UploadBatchFile => {
            ("APS received the batch file.", "Process the batch, then ask for its results")
        }
        Operation::GetBatchResults => ("APS returned the batch results.", "Review the results shown"),
        Operation::ProcessBatch => {
            ("APS accepted the batch for processing.", "Ask for the batch results later to see each payment")
        }
    };
    verdict(
        Kind::Approved,
        code.as_str(),
        "Approved".to_owned(),
        format!("{what} {}", meaning(code)),
        next_step,
    )
}

fn rejected(op: Operation, code: &ResponseCode) -> Verdict {
    let message = code.message();
    let reason = message_text(message).to_lowercase_first();
    let headline = if message_text(message) == UNKNOWN_MESSAGE {
        format!("Not sent: the request was refused (message {message})")
    } else {
        format!("Not sent: the request was refused ({reason})")
    };
    let moved = if matches!(message, "007" | "066" | "047") {
        "APS refused this request before processing it, so this request moved no money; but an earlier \
         request with the same reference may have."
    } else {
        "APS refused this request before processing it, so nothing moved."
    };
    let next_step = advice(op, message).unwrap_or_else(|| default_next_step(op, Kind::Rejected));
    verdict(Kind::Rejected, code.as_str(), headline, format!("{moved} {}", meaning(code)), next_step)
}

fn declined(op: Operation, code: &ResponseCode) -> Verdict {
    let message = code.message();
    let headline = match (op, code.status()) {
        (Operation::CheckStatus, "11") => {
            format!("Status check failed: {}", message_text(message).to_lowercase_first())
        }
        _ if message_text(message) == UNKNOWN_MESSAGE => format!("Declined: message {message}"),
        _ => format!("Declined: {}", message_text(message).to_lowercase_first()),
    };
    let effect = match op {
        Operation::Purchase | Operation::Authorization => {
            "APS processed the payment and refused it; no money moved."
        }
        Operation::Capture => "APS refused the capture; nothing was charged by it.",
        Operation::VoidAuthorization => "APS refused the void; the reservation is unchanged.",
        Operation::Refund => "APS refused the refund; no money went back to the card.",
        Operation::CheckStatus => {
            "APS could not answer the status query; the order's status is still unknown."
        }
        _ => "APS refused the request; no money moves with this operation.",
    };
    let next_step = advice(op, message).unwrap_or_else(|| default_next_step(op, Kind::Declined));
    verdict(Kind::Declined, code.as_str(), headline, format!("{effect} {}", meaning(code)), next_step)
}

#[cfg(test)]
mod tests;
