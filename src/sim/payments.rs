//! The order state machine: charges (token, card data, recurring), captures, voids, refunds,
//! check status and payment links.

pub mod agreements;
mod links;

pub(crate) use links::html_escape;

use super::INSUFFICIENT_FUNDS_ENDING;
use super::engine::{
    CardFacts, Checked, Engine, answer, message, now_rfc3339, put, random_digits, random_hex, text,
};
use super::state::{MovementKind, Order, OrderKind, RefundRecord, State, TokenStatus};
use crate::aps::card::Expiry;
use crate::aps::{Operation, Params};
use chrono::Datelike;

/// The demo card a paid payment link is charged to (the customer's card is never known).
const LINK_CARD_MASKED: &str = "400555******0001";

/// What to do with the card's token after a successful trusted-channel charge.
pub(super) enum TokenPlan {
    /// Keep no token (`remember_me=NO`).
    None,
    /// The token already exists for this card: refresh its expiry and return its name.
    Reuse(String),
    /// Create a token with this name.
    Create(String),
}

/// Where the money comes from once the request is accepted.
struct Source {
    token_name: Option<String>,
    masked: String,
    expiry: String,
    payment_option: String,
    issuer_declines: bool,
    new_card: Option<(CardFacts, TokenPlan)>,
}

/// The current year and month, for expiry checks.
fn today() -> (u16, u8) {
    let now = chrono::Local::now();
    (u16::try_from(now.year()).unwrap_or(u16::MAX), u8::try_from(now.month()).unwrap_or(12))
}

/// Message code for an expiry in `YYMM`: `None` when valid and in the future, `100` when it
/// cannot be read, `012` when past.
pub(super) fn expiry_problem(expiry: &str) -> Option<&'static str> {
    let Ok(parsed) = Expiry::from_wire(expiry) else { return Some("100") };
    let (year, month) = today();
    if parsed.is_expired(year, month) { Some("012") } else { None }
}

impl Engine {
    /// Chooses the token a card gets, or refuses (`114`) a name that belongs to another card.
    pub(super) fn plan_token(
        &self,
        st: &State,
        card: &CardFacts,
        requested: Option<&str>,
        remember: bool,
    ) -> Result<TokenPlan, &'static str> {
        if !remember {
            return Ok(TokenPlan::None);
        }
        if self.unique_tokens
            && let Some(existing) = st.by_card.get(&card.masked)
            && st.tokens.contains_key(existing)
        {
            return Ok(TokenPlan::Reuse(existing.clone()));
        }
        match requested {
            Some(name) => match st.tokens.get(name) {
                Some(token) if token.masked == card.masked => Ok(TokenPlan::Reuse(name.to_owned())),
                Some(_) => Err("114"),
                None => Ok(TokenPlan::Create(name.to_owned())),
            },
            None => Ok(TokenPlan::Create(random_hex(16))),
        }
    }

    /// Creates or refreshes the token of a plan; returns its name.
    pub(super) fn keep_token(
        &self,
        st: &mut State,
        card: &CardFacts,
        plan: TokenPlan,
        expiry: &str,
        req: &Params,
        at: &str,
    ) -> Option<String> {
        let holder = text(req, "card_holder_name");
        let currency = text(req, "currency");
        match plan {
            TokenPlan::None => None,
            TokenPlan::Reuse(name) => {
                if let Some(token) = st.tokens.get_mut(&name) {
                    token.expiry = expiry.to_owned();
                    if let Some(holder) = holder {
                        token.holder_name = Some(holder.to_owned());
                    }
                }
                Some(name)
            }
            TokenPlan::Create(name) => {
                st.add_token(card.token(&name, expiry, holder, currency, at));
                Some(name)
            }
        }
    }

    /// PURCHASE and AUTHORIZATION, by token (MOTO, RECURRING) or with card data (trusted
    /// channel).
    pub(super) fn charge(
        &self,
        st: &mut State,
        op: Operation,
        req: &Params,
        checked: Checked,
    ) -> (Params, bool) {
        let (kind, ok, fail) = if op == Operation::Purchase {
            (OrderKind::Purchase, "14", "13")
        } else {
            (OrderKind::Authorization, "02", "03")
        };
        let reference = text(req, "merchant_reference").unwrap_or_default();
        if st.orders.contains_key(reference) {
            return (answer(req, "00", "066"), false);
        }
        let (Some(currency), Some(amount)) = (checked.currency, checked.amount) else {
            return (answer(req, "00", "001"), false);
        };
        let set_up = match agreements::checked(st, req) {
            Ok(set_up) => set_up,
            Err(msg) => return (answer(req, "00", msg), false),
        };
        let source = match self.charge_source(st, req) {
            Ok(source) => source,
            Err(msg) => return (answer(req, fail, msg), false),
        };
        let decline = decline_of(&source, amount);
        let at = now_rfc3339();
        let fort_id = self.next_fort_id();
        let mut token_name = source.token_name.clone();
        if decline.is_none()
            && let Some((card, plan)) = source.new_card
        {
            token_name = self.keep_token(st, &card, plan, &source.expiry, req, &at);
        }
        let authorization_code = decline.is_none().then(|| random_digits(6));
        let order = Order {
            seq: 0,
            merchant_reference: reference.to_owned(),
            fort_id,
            kind,
            currency: currency.code().to_owned(),
            amount,
            authorized: if decline.is_none() { amount } else { 0 },
            captured: if decline.is_none() && kind == OrderKind::Purchase { amount } else { 0 },
            refunded: 0,
            voided: false,
            declined: decline.is_some(),
            last_status: if decline.is_some() { fail } else { ok }.to_owned(),
            last_message: decline.unwrap_or("000").to_owned(),
            eci: text(req, "eci").map(str::to_owned),
            token_name,
            card_masked: Some(source.masked),
            expiry: Some(source.expiry),
            payment_option: Some(source.payment_option),
            authorization_code,
            link: None,
            refunds: Vec::new(),
            movements: Vec::new(),
            created_at: at.clone(),
        };
        let mut out = charge_answer(req, &order);
        st.add_order(order);
        if decline.is_none() {
            agreements::approved(st, req, set_up, &mut out);
            let movement = if kind == OrderKind::Purchase {
                MovementKind::Purchase
            } else {
                MovementKind::Authorization
            };
            st.record_movement(reference, movement, amount, None, &at);
        }
        (out, true)
    }

    /// Checks the token or the card data of a charge; the error is the message code.
    fn charge_source(&self, st: &State, req: &Params) -> Result<Source, &'static str> {
        if let Some(pan) = text(req, "card_number") {
            let card = CardFacts::of(pan)?;
            let expiry = text(req, "expiry_date").unwrap_or_default();
            if let Some(problem) = expiry_problem(expiry) {
                return Err(problem);
            }
            let remember = text(req, "remember_me") != Some("NO");
            let plan = self.plan_token(st, &card, text(req, "token_name"), remember)?;
            return Ok(Source {
                token_name: None,
                masked: card.masked.clone(),
                expiry: expiry.to_owned(),
                payment_option: card.brand.clone(),
                issuer_declines: card.issuer_declines,
                new_card: Some((card, plan)),
            });
        }
        let name = text(req, "token_name").unwrap_or_default();
        let token = st.tokens.get(name).ok_or("044")?;
        if token.status != TokenStatus::Active {
            return Err("014");
        }
        if let Some(problem) = expiry_problem(&token.expiry) {
            return Err(problem);
        }
        Ok(Source {
            token_name: Some(token.name.clone()),
            masked: token.masked.clone(),
            expiry: token.expiry.clone(),
            payment_option: token.brand.clone(),
            issuer_declines: token.issuer_declines,
            new_card: None,
        })
    }

    /// The order a maintenance request names, by merchant_reference and/or fort_id.
    fn target(st: &State, req: &Params) -> Option<String> {
        st.find_order(text(req, "merchant_reference"), text(req, "fort_id"))
            .map(|o| o.merchant_reference.clone())
    }

    /// CAPTURE: partial captures repeat until the authorized amount is reached.
    pub(super) fn capture(&self, st: &mut State, req: &Params, checked: Checked) -> (Params, bool) {
        let Some(reference) = Self::target(st, req) else { return (answer(req, "05", "036"), false) };
        let (Some(currency), Some(amount)) = (checked.currency, checked.amount) else {
            return (answer(req, "00", "001"), false);
        };
        let Some(order) = st.orders.get_mut(&reference) else { return (answer(req, "05", "036"), false) };
        let fort_id = order.fort_id.clone();
        let refuse = |msg: &str| {
            let mut out = answer(req, "05", msg);
            put(&mut out, "fort_id", fort_id.clone());
            (out, false)
        };
        if order.currency != currency.code() {
            return refuse("013");
        }
        let state = order.state();
        if order.kind != OrderKind::Authorization
            || !matches!(state, super::OrderState::Authorized | super::OrderState::PartiallyCaptured)
        {
            return refuse("034");
        }
        if amount > order.authorized - order.captured {
            return refuse("042");
        }
        order.captured += amount;
        order.last_status = "04".into();
        order.last_message = "000".into();
        let at = now_rfc3339();
        st.record_movement(&reference, MovementKind::Capture, amount, None, &at);
        let mut out = answer(req, "04", "000");
        put(&mut out, "fort_id", fort_id);
        (out, true)
    }

    /// VOID_AUTHORIZATION: the whole authorization, only before any capture.
    pub(super) fn void(&self, st: &mut State, req: &Params) -> (Params, bool) {
        let Some(reference) = Self::target(st, req) else { return (answer(req, "09", "036"), false) };
        let Some(order) = st.orders.get_mut(&reference) else { return (answer(req, "09", "036"), false) };
        let fort_id = order.fort_id.clone();
        if order.kind != OrderKind::Authorization || order.state() != super::OrderState::Authorized {
            let mut out = answer(req, "09", "034");
            put(&mut out, "fort_id", fort_id);
            return (out, false);
        }
        order.voided = true;
        order.last_status = "08".into();
        order.last_message = "000".into();
        let released = order.authorized - order.captured;
        let at = now_rfc3339();
        st.record_movement(&reference, MovementKind::Void, released, None, &at);
        let mut out = answer(req, "08", "000");
        put(&mut out, "fort_id", fort_id);
        (out, true)
    }

    /// REFUND: partial refunds repeat until the captured amount is reached; a
    /// maintenance_reference that already succeeded is not refunded again.
    pub(super) fn refund(&self, st: &mut State, req: &Params, checked: Checked) -> (Params, bool) {
        let Some(reference) = Self::target(st, req) else { return (answer(req, "07", "036"), false) };
        let (Some(currency), Some(amount)) = (checked.currency, checked.amount) else {
            return (answer(req, "00", "001"), false);
        };
        let maintenance_reference = text(req, "maintenance_reference").map(str::to_owned);
        let Some(order) = st.orders.get_mut(&reference) else { return (answer(req, "07", "036"), false) };
        let fort_id = order.fort_id.clone();
        let refuse = |msg: &str| {
            let mut out = answer(req, "07", msg);
            put(&mut out, "fort_id", fort_id.clone());
            out
        };
        if order.currency != currency.code() {
            return (refuse("013"), false);
        }
        if order.declined || order.voided || order.captured == 0 {
            return (refuse("034"), false);
        }
        if maintenance_reference.is_some()
            && order
                .refunds
                .iter()
                .any(|r| r.status == "06" && r.maintenance_reference == maintenance_reference)
        {
            return (refuse("047"), false);
        }
        if amount > order.captured - order.refunded {
            order.refunds.push(RefundRecord {
                maintenance_reference,
                amount,
                status: "07".into(),
                message: "048".into(),
            });
            return (refuse("048"), true);
        }
        order.refunded += amount;
        order.last_status = "06".into();
        order.last_message = "000".into();
        order.refunds.push(RefundRecord {
            maintenance_reference: maintenance_reference.clone(),
            amount,
            status: "06".into(),
            message: "000".into(),
        });
        let at = now_rfc3339();
        st.record_movement(&reference, MovementKind::Refund, amount, maintenance_reference, &at);
        let mut out = answer(req, "06", "000");
        put(&mut out, "fort_id", fort_id);
        (out, true)
    }

    /// CHECK_STATUS: 12000 with the order's last operation and amounts, or 11036.
    pub(super) fn check_status(&self, st: &State, req: &Params) -> Params {
        let Some(order) = st.find_order(text(req, "merchant_reference"), text(req, "fort_id")) else {
            return answer(req, "11", "036");
        };
        let (status, msg) = match text(req, "maintenance_reference") {
            Some(mref) => {
                match order.refunds.iter().rev().find(|r| r.maintenance_reference.as_deref() == Some(mref)) {
                    Some(refund) => (refund.status.clone(), refund.message.clone()),
                    None => return answer(req, "11", "036"),
                }
            }
            // A link nobody paid before its expiry answers 115 (spec 5.2: expired invoice
            // payment link; whether APS says so in CHECK_STATUS is UNKNOWN).
            None if order.link.as_ref().is_some_and(|l| !l.paid && link_expired(&l.expires)) => {
                (order.last_status.clone(), "115".to_owned())
            }
            None => (order.last_status.clone(), order.last_message.clone()),
        };
        let mut out = answer(req, "12", "000");
        put(&mut out, "fort_id", order.fort_id.clone());
        put(&mut out, "merchant_reference", order.merchant_reference.clone());
        put(&mut out, "transaction_status", status.clone());
        put(&mut out, "transaction_code", format!("{status}{msg}"));
        put(&mut out, "transaction_message", message(req, &msg));
        put(&mut out, "authorized_amount", order.authorized.to_string());
        put(&mut out, "captured_amount", order.captured.to_string());
        put(&mut out, "refunded_amount", order.refunded.to_string());
        if let Some(code) = &order.authorization_code {
            put(&mut out, "authorization_code", code.clone());
        }
        if let Some(link) = &order.link {
            put(&mut out, "payment_link_id", link.id.clone());
        }
        if text(req, "return_third_party_response_codes") == Some("YES") {
            let (processor, acquirer) = network_codes(&msg).unwrap_or(("", ""));
            put(&mut out, "processor_response_code", processor);
            put(&mut out, "acquirer_response_code", acquirer);
        }
        out
    }
}

/// Why the issuer declines a charge (its message code), if it does: the declined test card, or
/// an amount ending in the insufficient-funds digits.
fn decline_of(source: &Source, amount: u64) -> Option<&'static str> {
    if source.issuer_declines {
        Some("666")
    } else if amount % 100 == INSUFFICIENT_FUNDS_ENDING {
        Some("029")
    } else {
        None
    }
}

/// The card network's codes behind a charge's message code: the processor's word and the
/// acquirer's ISO 8583 code.
fn network_codes(message: &str) -> Option<(&'static str, &'static str)> {
    match message {
        "000" => Some(("APPROVED", "00")),
        "029" => Some(("INSUFFICIENT_FUNDS", "51")),
        "666" => Some(("DECLINED", "05")),
        _ => None,
    }
}

/// Whether a link's `request_expiry_date` (RFC 3339) has passed.
pub(super) fn link_expired(expires: &str) -> bool {
    chrono::DateTime::parse_from_rfc3339(expires).is_ok_and(|at| at < chrono::Utc::now())
}

/// The answer to a charge just recorded as `order`: its code, and the order and card facts APS
/// echoes (a declined charge has no authorization code).
fn charge_answer(req: &Params, order: &Order) -> Params {
    let mut out = answer(req, &order.last_status, &order.last_message);
    put(&mut out, "fort_id", order.fort_id.clone());
    // APS may add the card network's own codes to a charge's answer (spec 3.2).
    if let Some((processor, acquirer)) = network_codes(&order.last_message) {
        put(&mut out, "processor_response_code", processor);
        put(&mut out, "acquirer_response_code", acquirer);
    }
    if let Some(code) = &order.authorization_code {
        put(&mut out, "authorization_code", code.clone());
    }
    for (name, value) in [
        ("payment_option", &order.payment_option),
        ("card_number", &order.card_masked),
        ("expiry_date", &order.expiry),
        ("token_name", &order.token_name),
    ] {
        if let Some(value) = value {
            put(&mut out, name, value.clone());
        }
    }
    out
}
