//! Reading a CHECK_STATUS answer (spec 3.8 and 8): what APS says the order is now.

use super::{Kind, ResponseCode, Verdict, classify, is_on_hold, verdict};
use crate::aps::{Operation, Params};
use serde_json::Value;

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
    /// The card processor's word on the last transaction (e.g. `APPROVED`, `DECLINED`), when
    /// asked for with `return_third_party_response_codes`.
    #[serde(default)]
    pub processor_response_code: Option<String>,
    /// The acquirer's (issuer's) code for it (e.g. `00`, `51`): why a card was declined.
    #[serde(default)]
    pub acquirer_response_code: Option<String>,
    /// The payment link the order is, when it is one (a link made by a batch file learns its
    /// id here).
    #[serde(default)]
    pub payment_link_id: Option<String>,
    /// The order's reference as APS names it (asked by Fort ID alone, it is how the order is
    /// found again).
    #[serde(default)]
    pub merchant_reference: Option<String>,
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

    /// The card network's words on the last transaction, e.g. "processor DECLINED, acquirer 05
    /// (do not honour)"; `None` when APS sent neither.
    pub fn issuer_words(&self) -> Option<String> {
        network_words(self.processor_response_code.as_deref(), self.acquirer_response_code.as_deref())
    }

    /// The verdict on the order's last transaction, when its operation is known.
    pub fn transaction_verdict(&self) -> Option<Verdict> {
        self.last_operation().map(|op| classify(op, &self.transaction_code))
    }
}

/// The card network's words on one transaction from its two codes, e.g. "processor DECLINED,
/// acquirer 05 (do not honour)"; `None` when neither is given.
pub fn network_words(processor: Option<&str>, acquirer: Option<&str>) -> Option<String> {
    let processor = processor.filter(|p| !p.is_empty()).map(|p| format!("processor {p}"));
    let acquirer = acquirer.filter(|a| !a.is_empty()).map(|a| match acquirer_meaning(a) {
        Some(meaning) => format!("acquirer {a} ({meaning})"),
        None => format!("acquirer {a}"),
    });
    let words: Vec<String> = processor.into_iter().chain(acquirer).collect();
    (!words.is_empty()).then(|| words.join(", "))
}

/// The common ISO 8583 answers an acquirer gives for a card (spec 5.2 leaves decline reasons to
/// `acquirer_response_code`); others are shown as the bare code.
fn acquirer_meaning(code: &str) -> Option<&'static str> {
    Some(match code {
        "00" => "approved",
        "01" | "02" => "refer to the card issuer",
        "04" | "07" => "pick up the card",
        "05" => "do not honour",
        "12" => "invalid transaction",
        "13" => "invalid amount",
        "14" => "invalid card number",
        "41" => "card reported lost",
        "43" => "card reported stolen",
        "51" => "insufficient funds",
        "54" => "expired card",
        "55" => "wrong PIN",
        "57" | "58" => "not permitted for this card",
        "61" => "over the card's amount limit",
        "62" => "restricted card",
        "65" => "over the card's use limit",
        "91" => "card issuer unavailable",
        "96" => "system error",
        _ => return None,
    })
}

#[cfg(test)]
impl OrderStatus {
    /// A found order whose last transaction answered `code`, with these amounts.
    pub(crate) fn sample(code: &str, authorized: u64, captured: u64) -> OrderStatus {
        OrderStatus {
            transaction_status: code.get(..2).unwrap_or_default().to_owned(),
            transaction_code: code.to_owned(),
            transaction_message: String::new(),
            authorized_minor: authorized,
            captured_minor: captured,
            refunded_minor: 0,
            fort_id: Some("169996200012345678".into()),
            authorization_code: None,
            currency: None,
            amounts_reported: true,
            processor_response_code: None,
            acquirer_response_code: None,
            payment_link_id: None,
            merchant_reference: None,
        }
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
    // Only ever shown, never decided on: an unreadable one is left out rather than failing the
    // whole answer.
    let third_party = |name| text_field(response, name, 0).ok().flatten().filter(|v| v.len() <= 100);
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
        processor_response_code: third_party("processor_response_code"),
        acquirer_response_code: third_party("acquirer_response_code"),
        payment_link_id: text_field(response, "payment_link_id", 0).ok().flatten().filter(|v| v.len() <= 20),
        merchant_reference: text_field(response, "merchant_reference", 0)
            .ok()
            .flatten()
            .filter(|v| v.len() <= 40),
    };
    match transaction {
        Some(code) if !is_on_hold(&code) => StatusAnswer::Found(order),
        _ => StatusAnswer::StillUncertain(order),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(extra: &[(&str, &str)]) -> Params {
        let mut p = Params::new();
        for (k, v) in
            [("response_code", "12000"), ("transaction_code", "14029"), ("transaction_status", "14")]
                .iter()
                .chain(extra)
        {
            p.insert((*k).to_owned(), (*v).into());
        }
        p
    }

    fn found(p: &Params) -> OrderStatus {
        match interpret_check_status(p) {
            StatusAnswer::Found(s) => s,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_card_networks_codes_are_read_and_told_in_words() {
        let s = found(&answer(&[
            ("processor_response_code", "INSUFFICIENT_FUNDS"),
            ("acquirer_response_code", "51"),
        ]));
        assert_eq!(s.processor_response_code.as_deref(), Some("INSUFFICIENT_FUNDS"));
        assert_eq!(
            s.issuer_words().as_deref(),
            Some("processor INSUFFICIENT_FUNDS, acquirer 51 (insufficient funds)")
        );
        let unusual = found(&answer(&[("acquirer_response_code", "Q7")]));
        assert_eq!(unusual.issuer_words().as_deref(), Some("acquirer Q7"), "an unknown code is shown bare");
        assert_eq!(found(&answer(&[])).issuer_words(), None, "not asked for, nothing shown");
        // Shown only, never decided on: an unreadable one is left out, the answer still counts.
        let odd = found(&answer(&[("acquirer_response_code", "")]));
        assert_eq!(odd.acquirer_response_code, None);
        let mut long = answer(&[]);
        long.insert("processor_response_code".into(), "X".repeat(101).into());
        assert_eq!(found(&long).processor_response_code, None);
    }
}
