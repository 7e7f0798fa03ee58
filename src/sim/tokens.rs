//! Token services: CREATE_TOKEN and UPDATE_TOKEN (spec 3.9).

use super::engine::{CardFacts, Engine, answer, now_rfc3339, put, text};
use super::payments::expiry_problem;
use super::state::{State, TokenStatus};
use crate::aps::Params;

impl Engine {
    /// CREATE_TOKEN: a token for a card without a payment (`52062`; failures status 53).
    pub(super) fn create_token(&self, st: &mut State, req: &Params) -> (Params, bool) {
        let pan = text(req, "card_number").unwrap_or_default();
        let card = match CardFacts::of(pan) {
            Ok(card) => card,
            Err(msg) => return (answer(req, "53", msg), false),
        };
        let expiry = text(req, "expiry_date").unwrap_or_default();
        if let Some(problem) = expiry_problem(expiry) {
            return (answer(req, "53", problem), false);
        }
        let plan = match self.plan_token(st, &card, text(req, "token_name"), true) {
            Ok(plan) => plan,
            Err(msg) => return (answer(req, "53", msg), false),
        };
        let at = now_rfc3339();
        let Some(name) = self.keep_token(st, &card, plan, expiry, req, &at) else {
            return (answer(req, "53", "006"), false);
        };
        let mut out = answer(req, "52", "062");
        put(&mut out, "token_name", name);
        put(&mut out, "card_number", card.masked.clone());
        put(&mut out, "expiry_date", expiry);
        put(&mut out, "card_bin", card.bin.clone());
        put(&mut out, "card_brand", card.brand.clone());
        (out, true)
    }

    /// UPDATE_TOKEN: status, name, expiry, holder name, currency (`58000`; failures status 59).
    pub(super) fn update_token(&self, st: &mut State, req: &Params) -> (Params, bool) {
        let name = text(req, "token_name").unwrap_or_default();
        if !st.tokens.contains_key(name) {
            return (answer(req, "59", "044"), false);
        }
        let new_name = text(req, "new_token_name").filter(|n| *n != name);
        if new_name.is_some_and(|n| st.tokens.contains_key(n)) {
            return (answer(req, "59", "114"), false);
        }
        if let Some(expiry) = text(req, "expiry_date")
            && crate::aps::card::Expiry::from_wire(expiry).is_err()
        {
            return (answer(req, "59", "100"), false);
        }
        let Some(token) = st.tokens.get_mut(name) else { return (answer(req, "59", "044"), false) };
        if let Some(expiry) = text(req, "expiry_date") {
            token.expiry = expiry.to_owned();
        }
        if let Some(holder) = text(req, "card_holder_name") {
            token.holder_name = Some(holder.to_owned());
        }
        if let Some(currency) = text(req, "currency") {
            token.currency = Some(currency.to_owned());
        }
        match text(req, "token_status") {
            Some("ACTIVE") => token.status = TokenStatus::Active,
            Some("INACTIVE") => token.status = TokenStatus::Inactive,
            _ => {}
        }
        let mut out = answer(req, "58", "000");
        put(&mut out, "card_number", token.masked.clone());
        put(&mut out, "token_status", token.status.wire());
        put(&mut out, "creation_date", token.created_at.clone());
        put(&mut out, "card_brand", token.brand.clone());
        put(&mut out, "card_bin", token.bin.clone());
        put(&mut out, "expiry_date", token.expiry.clone());
        if let Some(new_name) = new_name {
            let new_name = new_name.to_owned();
            st.rename_token(name, &new_name);
        }
        (out, true)
    }
}
