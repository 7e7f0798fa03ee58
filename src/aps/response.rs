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

use super::{Operation, Params};
use serde_json::Value;
use std::fmt;

mod texts;
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

/// The message-specific next step, where one exists. Shared by Rejected and Declined.
fn advice(op: Operation, message: &str) -> Option<&'static str> {
    let token_op = matches!(op, Operation::CreateToken | Operation::UpdateToken);
    Some(match message {
        "001" => {
            "Fill in every required field and send again; if it happens again, report the code to support"
        }
        "002" | "073" => "Correct the format of the field APS names in its message and send again",
        "032" => "Shorten the field APS names in its message and send again",
        "033" => "Use an allowed value for the field APS names in its message and send again",
        "027" | "110" => {
            "Remove the extra or contradicting fields and send again; report the code to support"
        }
        "004" => "This account does not accept this operation: check the operation, or ask APS to enable it",
        "005" => "Correct the amount and send again",
        "007" | "066" => "This reference was already used: check its status in History before charging again",
        "047" => "This order was already processed: check its status in History before doing anything else",
        "008" => "Check the SHA request phrase and SHA type in Settings",
        "009" => "Check the merchant identifier in Settings",
        "010" => "Check the access code in Settings",
        "012" => "Ask the customer for another card, or for the new expiry date of this one",
        "100" => "Check the expiry date with the customer and send again",
        "016" | "121" => "Check the card number with the customer, or ask for another card",
        "029" | "747" => "Ask the customer for another card",
        "666" | "074" | "075" => "Ask the customer for another card, or to call their bank",
        "030" | "031" | "087" | "092" | "095" | "787" => "Ask the customer for another card",
        "017" | "018" => "The bank does not allow this operation on this card: ask for another card",
        "013" | "023" | "024" => "Use a currency enabled on this account",
        "003" | "014" | "021" | "039" | "080" => {
            "This card type is not enabled on the account: ask for another card, or ask APS to enable it"
        }
        "049" => {
            "This payment option does not allow this operation: if the account is purchase-only, use Purchase instead of Authorization"
        }
        "015" | "019" | "020" | "025" | "026" | "038" | "046" | "067" | "068" | "082" | "093" | "225" => {
            "The merchant account is not set up for this: contact APS support with the code"
        }
        "042" => "Capture at most the remaining authorized amount",
        "048" => "Refund at most the captured amount not yet refunded",
        "044" | "088" => "The stored card no longer exists: ask the customer for the card details again",
        "043" if token_op => "The stored card is inactive: ask the customer for the card details again",
        "043" | "034" | "662" => {
            "This operation is not possible on this order now: check the order in History"
        }
        "036" => "Check the order reference: APS has no order with it",
        "050" | "057" | "058" | "221" | "746" => "Use a smaller amount, or ask APS to raise the limit",
        "181" => "Use a larger amount",
        "079" | "785" | "078" => {
            "Do not try this card again: ask for another payment method or call your supervisor"
        }
        "072" => "The customer cancelled: ask whether they want to pay again",
        "773" => "This order is closed: start a new order",
        "114" => "The card is already stored: use the existing stored card",
        "115" | "117" | "125" | "150" => "Check the payment link in History before sending another",
        "123" => "Wait before trying again: APS counts too many attempts",
        "136" | "137" | "142" | "144" => "Fix the batch file and upload it again",
        "141" => "Check the batch reference",
        "146" => "Use a new batch reference",
        "138" | "140" | "147" | "148" => "Wait, then ask for the batch results again",
        _ => return None,
    })
}

/// The next step when no message-specific one applies.
fn default_next_step(op: Operation, kind: Kind) -> &'static str {
    match (kind, op) {
        (Kind::Rejected, _) => {
            "Fix the request and send again; if you cannot tell what is wrong, contact support with the code"
        }
        (_, Operation::Purchase | Operation::Authorization) => {
            "Ask the customer for another card, or contact APS support with the code"
        }
        (_, Operation::Capture | Operation::VoidAuthorization | Operation::Refund) => {
            "Check the order in History; contact APS support with the code if this should have worked"
        }
        (_, Operation::CheckStatus) => "Check the reference and try the status check again",
        _ => "Contact APS support with the code",
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
        Operation::Capture => ("The authorized amount was charged to the card.", "Nothing more to do"),
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

/// What APS says the order is now (the CHECK_STATUS fields of spec 3.8).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct OrderStatus {
    /// Status of the order's last operation (e.g. `14`, `02`, `04`).
    pub transaction_status: String,
    /// Full response code of the order's last operation (e.g. `14000`).
    pub transaction_code: String,
    pub transaction_message: String,
    pub authorized_minor: u64,
    pub captured_minor: u64,
    pub refunded_minor: u64,
    pub fort_id: Option<String>,
    pub authorization_code: Option<String>,
    /// The order's currency, when APS names it (spec 3.8 does not list it among the answer's
    /// fields: UNKNOWN whether APS sends it, so it is compared only when present).
    #[serde(default)]
    pub currency: Option<String>,
    /// False when APS left out all three amounts: then only the transaction code speaks.
    #[serde(default)]
    pub amounts_reported: bool,
}

impl OrderStatus {
    /// The operation the order's last transaction was, read from its status.
    pub fn last_operation(&self) -> Option<Operation> {
        let status = ResponseCode::parse(&self.transaction_code)
            .map(|c| c.status().to_owned())
            .unwrap_or_else(|| self.transaction_status.clone());
        Some(match status.as_str() {
            "02" | "03" => Operation::Authorization,
            "04" | "05" => Operation::Capture,
            "06" | "07" => Operation::Refund,
            "08" | "09" => Operation::VoidAuthorization,
            "13" | "14" => Operation::Purchase,
            _ => return None,
        })
    }

    /// The verdict on the order's last transaction, when its operation is known.
    pub fn transaction_verdict(&self) -> Option<Verdict> {
        self.last_operation().map(|op| classify(op, &self.transaction_code))
    }
}

/// What a CHECK_STATUS answer says about the order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StatusAnswer {
    /// The query succeeded (`12000`) and the last transaction's code is final.
    Found(OrderStatus),
    /// The query succeeded but the last transaction is on hold or uncertain (spec 5.4): poll again.
    StillUncertain(OrderStatus),
    /// Status 11 with message 036: APS has no order with this reference (spec 8 step 4).
    NotFound,
    /// Any other answer: the order stays unknown.
    QueryFailed(Verdict),
}

/// Reads a text field that APS may send as a JSON string or a JSON number; numbers are padded
/// with leading zeros to `width`, which a JSON number cannot carry.
fn text_field(response: &Params, name: &str, width: usize) -> Result<Option<String>, ()> {
    match response.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(Value::Number(n)) => match n.as_u64() {
            Some(n) => Ok(Some(format!("{n:0width$}"))),
            None => Err(()),
        },
        Some(_) => Err(()),
    }
}

/// Reads an amount in minor units, as digits in a string or as a JSON integer; missing or empty
/// is 0 (spec 3.8 omits amounts that never happened).
fn amount_field(response: &Params, name: &str) -> Result<u64, ()> {
    match response.get(name) {
        None | Some(Value::Null) => Ok(0),
        Some(Value::String(s)) if s.is_empty() => Ok(0),
        Some(Value::String(s)) if s.bytes().all(|b| b.is_ascii_digit()) => s.parse().map_err(|_| ()),
        Some(Value::Number(n)) => n.as_u64().ok_or(()),
        Some(_) => Err(()),
    }
}

/// A status answer that says 12000 but cannot be read: the order stays unknown.
fn unreadable_status(field: &str) -> StatusAnswer {
    StatusAnswer::QueryFailed(verdict(
        Kind::Uncertain,
        "12000",
        "Status unknown: APS's answer could not be read".to_owned(),
        format!(
            "APS answered the status query, but its field {field} is not readable, so the terminal cannot \
             tell what happened to the order."
        ),
        "Check the order in the APS back office before charging again",
    ))
}

/// Interprets a CHECK_STATUS response (spec 3.8 and 8). The response signature must have been
/// verified already: this only reads the fields.
pub fn interpret_check_status(response: &Params) -> StatusAnswer {
    let raw = match response.get("response_code") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    };
    let Some(code) = response.get("response_code").and_then(ResponseCode::from_value) else {
        return StatusAnswer::QueryFailed(classify(Operation::CheckStatus, &raw));
    };
    if code.status() == "11" && code.message() == "036" {
        return StatusAnswer::NotFound;
    }
    if code.as_str() != Operation::CheckStatus.success_code() {
        return StatusAnswer::QueryFailed(classify(Operation::CheckStatus, code.as_str()));
    }
    let Ok(transaction_code) = text_field(response, "transaction_code", 5) else {
        return unreadable_status("transaction_code");
    };
    let Ok(transaction_status) = text_field(response, "transaction_status", 2) else {
        return unreadable_status("transaction_status");
    };
    let Ok(transaction_message) = text_field(response, "transaction_message", 0) else {
        return unreadable_status("transaction_message");
    };
    let mut amounts = [0u64; 3];
    for (slot, field) in amounts.iter_mut().zip(["authorized_amount", "captured_amount", "refunded_amount"]) {
        match amount_field(response, field) {
            Ok(minor) => *slot = minor,
            Err(()) => return unreadable_status(field),
        }
    }
    let Ok(fort_id) = text_field(response, "fort_id", 0) else {
        return unreadable_status("fort_id");
    };
    let Ok(authorization_code) = text_field(response, "authorization_code", 0) else {
        return unreadable_status("authorization_code");
    };
    let transaction = transaction_code.as_deref().and_then(ResponseCode::parse);
    let transaction_status = match (transaction_status, transaction) {
        (Some(status), _) => status,
        (None, Some(code)) => code.status().to_owned(),
        (None, None) => String::new(),
    };
    let [authorized_minor, captured_minor, refunded_minor] = amounts;
    let amounts_reported = ["authorized_amount", "captured_amount", "refunded_amount"]
        .iter()
        .any(|f| response.get(*f).is_some_and(|v| !v.is_null() && v.as_str() != Some("")));
    let Ok(currency) = text_field(response, "currency", 3) else {
        return unreadable_status("currency");
    };
    let order = OrderStatus {
        transaction_status,
        transaction_code: transaction_code.unwrap_or_default(),
        transaction_message: transaction_message.unwrap_or_default(),
        authorized_minor,
        captured_minor,
        refunded_minor,
        fort_id,
        authorization_code,
        currency,
        amounts_reported,
    };
    match transaction {
        Some(code) if !is_on_hold(&code) => StatusAnswer::Found(order),
        _ => StatusAnswer::StillUncertain(order),
    }
}

#[cfg(test)]
mod tests;
