//! A new order's first answer from APS, recorded: the operation's outcome and what the order
//! now holds in one journal write, and the token book with it (see
//! `journal::Write::remembering_token`).

use super::charge::{op_state, text};
use super::policy::Amounts;
use super::{Outcome, Service, ServiceError};
use crate::aps::response::{Kind, Verdict};
use crate::aps::{Operation, Params};
use crate::journal::{Journal, MaskedCard, OpId, OpResult, OrderState, OrderUpdate};
use chrono::Utc;

impl Service {
    /// Records APS's final answer to a new order's first operation, and the token book; returns
    /// the order as it now stands.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn record_final_answer(
        &self,
        profile: &str,
        reference: &str,
        op_id: OpId,
        op: Operation,
        amount_minor: u64,
        verdict: Verdict,
        response: &Params,
    ) -> Result<Outcome, ServiceError> {
        let approved = verdict.kind == Kind::Approved;
        let token_name = text(response, "token_name");
        let update = first_answer_update(op, amount_minor, &verdict, response);
        let result = OpResult {
            state: op_state(verdict.kind),
            response_code: Some(verdict.code.clone()),
            response_message: text(response, "response_message"),
            note: network_note(response),
            at: Utc::now(),
        };
        let token = token_name
            .as_ref()
            .filter(|_| approved)
            .map(|t| super::tokens::token_record(profile, t, response));
        let write = Journal::outcome_write(op_id, &result, &update)
            .map_err(|e| super::after_send(e.into()))?
            .remembering_token(token.as_ref());
        let order = self.commit(write).await.map_err(super::after_send)?;
        Ok(Outcome {
            amount: None,
            profile: profile.to_owned(),
            merchant_reference: reference.to_owned(),
            operation: op,
            verdict,
            order,
            reconciled: false,
            token_name,
            payment_link: None,
        })
    }
}

/// What an order becomes after the answer to its first operation: a purchase approved has
/// its amount captured, an authorization only authorized, anything else nothing.
fn first_answer_update(
    op: Operation,
    amount_minor: u64,
    verdict: &Verdict,
    response: &Params,
) -> OrderUpdate {
    let approved = verdict.kind == Kind::Approved;
    let amounts = match (approved, op) {
        (true, Operation::Purchase) => {
            Amounts { authorized: amount_minor, captured: amount_minor, ..Default::default() }
        }
        (true, _) => Amounts { authorized: amount_minor, ..Default::default() },
        (false, _) => Amounts::default(),
    };
    let state = match verdict.kind {
        Kind::Approved => OrderState::from_amounts(amounts.authorized, amounts.captured, 0, false),
        Kind::Rejected => OrderState::Rejected,
        Kind::Declined | Kind::Uncertain => OrderState::Declined,
    };
    OrderUpdate {
        state: Some(state),
        authorized_minor: Some(amounts.authorized),
        captured_minor: Some(amounts.captured),
        refunded_minor: Some(0),
        fort_id: text(response, "fort_id"),
        last_response_code: Some(verdict.code.clone()),
        last_message: text(response, "response_message"),
        masked_card: text(response, "card_number").and_then(|m| MaskedCard::parse(&m).ok()),
        extra: answer_codes(response),
        ..Default::default()
    }
}

/// The codes of APS's answer that a receipt or an agent needs later: the issuer's authorization
/// code, and the card network's own codes when APS sends them (spec 3.2: it may).
pub(super) fn answer_codes(response: &Params) -> Option<crate::journal::Extra> {
    let codes: crate::journal::Extra =
        ["authorization_code", "acquirer_response_code", "processor_response_code", "agreement_id"]
            .into_iter()
            .filter_map(|name| {
                // APS's agreement id is its own identifier, kept as the journal keeps it (digits
                // that may pass the Luhn check by chance, like a Fort ID).
                let keep = |v: &String| match name {
                    "agreement_id" => crate::journal::check_agreement_id(v).is_ok(),
                    _ => worth_keeping(v),
                };
                text(response, name).filter(keep).map(|v| (name.to_owned(), v.into()))
            })
            .collect();
    (!codes.is_empty()).then_some(codes)
}

/// The card network's codes of one answer, in words, for the operation's line in the timeline
/// ("card network: processor DECLINED, acquirer 05 (do not honour)").
pub(super) fn network_note(response: &Params) -> Option<String> {
    let code = |name| text(response, name).filter(|v| worth_keeping(v));
    let words = crate::aps::response::network_words(
        code("processor_response_code").as_deref(),
        code("acquirer_response_code").as_deref(),
    )?;
    Some(format!("card network: {words}"))
}

/// A code to keep: short, plain letters, digits, `_` and `-`, and nothing that could be a card
/// number (the journal would refuse the whole outcome for it). Anything else is left out: these
/// codes are for people to read, never decided on.
pub(super) fn worth_keeping(code: &str) -> bool {
    !code.is_empty()
        && code.len() <= 40
        && code.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        && crate::journal::refuse_card_numbers("code", code).is_ok()
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_plain_short_codes_are_kept() {
        for kept in ["123456", "A1B2C3", "APPROVED", "INSUFFICIENT_FUNDS", "00"] {
            assert!(super::worth_keeping(kept), "{kept}");
        }
        // A card number would make the journal refuse the whole outcome: it is left out.
        for left in ["", "4005550000000001", "12 34", "a;b", &"X".repeat(41)] {
            assert!(!super::worth_keeping(left), "{left}");
        }
    }
}
