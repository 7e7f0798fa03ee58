//! The APS behaviour: request checks in APS's order, then the operation on the state.
//!
//! Every entry point returns the unsigned answer; the HTTP layer signs it (or, under a fault,
//! mis-signs, garbles or drops it). State changes happen inside one short lock, and the state
//! file is written before the answer leaves, so "committed" always means "would survive a
//! restart".

mod wire;

pub(crate) use wire::{
    CardFacts, answer, constant_time_eq, message, normalize, now_rfc3339, put, random_digits, random_hex,
    text,
};

use super::SimConfig;
use super::SimError;
use super::state::{Persister, State};
use crate::aps::field::Field;
use crate::aps::money::{Currency, Money};
use crate::aps::secret::Secret;
use crate::aps::sign::{self, Algorithm};
use crate::aps::{Operation, Params, fields};
use serde_json::Value;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};

/// The three API endpoints; each accepts only its own commands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Endpoint {
    PaymentApi,
    Upload,
    BatchApi,
}

impl Endpoint {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::PaymentApi => "paymentApi",
            Self::Upload => "upload",
            Self::BatchApi => "batchApi",
        }
    }

    fn accepts(self, op: Operation) -> bool {
        match self {
            Self::PaymentApi => !matches!(
                op,
                Operation::UploadBatchFile | Operation::GetBatchResults | Operation::ProcessBatch
            ),
            Self::Upload => op == Operation::UploadBatchFile,
            Self::BatchApi => matches!(op, Operation::GetBatchResults | Operation::ProcessBatch),
        }
    }
}

/// What an endpoint answers, before signing.
#[derive(Debug)]
pub(crate) enum Body {
    /// An APS JSON answer, not signed yet.
    Json(Params),
    /// The per-line batch results file (GET_BATCH_RESULTS after processing).
    Csv(String),
}

/// A refusal: status and message code, e.g. `("00", "008")`.
pub(crate) type Reject = (&'static str, &'static str);

/// What the checks found out about a request that passed them.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Checked {
    pub currency: Option<Currency>,
    pub amount: Option<u64>,
}

pub(crate) struct Engine {
    merchant_identifier: String,
    access_code: Secret,
    request_phrase: Secret,
    response_phrase: Secret,
    algorithm: Algorithm,
    pub(crate) unique_tokens: bool,
    pub(crate) base_url: String,
    state: Mutex<State>,
    persister: Option<Persister>,
    fort_seq: AtomicU64,
}

impl Engine {
    pub(crate) fn new(config: &SimConfig, base_url: String) -> Result<Self, SimError> {
        let persister = config.state_file.clone().map(Persister::new);
        let loaded = match &persister {
            Some(p) => p.load()?,
            None => None,
        };
        let mut state = loaded.unwrap_or_else(State::new);
        let at = now_rfc3339();
        for seed in &config.seed_tokens {
            if state.tokens.contains_key(&seed.name) {
                continue;
            }
            let pan = seed.card_number.expose();
            let Ok(card) = CardFacts::of(pan) else {
                return Err(SimError::SeedToken {
                    name: seed.name.clone(),
                    problem: "the card number is not one of the public APS test cards".into(),
                });
            };
            state.add_token(card.token(&seed.name, &seed.expiry, None, None, &at));
        }
        let clock = u64::try_from(chrono::Utc::now().timestamp_millis()).unwrap_or(0).saturating_mul(1000);
        state.fort_seq = state.fort_seq.max(clock);
        // Write the file at once, so a bad path fails at start rather than on the first charge.
        if let Some(p) = &persister {
            state.generation = 1;
            let bytes = serde_json::to_vec(&state)
                .map_err(|e| SimError::Config(format!("cannot encode the simulator state: {e}")))?;
            p.write(state.generation, &bytes)?;
        }
        let engine = Self {
            merchant_identifier: config.merchant_identifier.clone(),
            access_code: config.access_code.clone(),
            request_phrase: config.request_phrase.clone(),
            response_phrase: config.response_phrase.clone(),
            algorithm: config.algorithm,
            unique_tokens: config.unique_tokens,
            base_url,
            fort_seq: AtomicU64::new(state.fort_seq),
            state: Mutex::new(state),
            persister,
        };
        Ok(engine)
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Runs a state change; when it reports a change, the state file is rewritten before this
    /// returns.
    pub(crate) fn with_state<R>(&self, change: impl FnOnce(&mut State) -> (R, bool)) -> R {
        let (result, snapshot) = {
            let mut st = self.lock();
            let (result, changed) = change(&mut st);
            let snapshot = if changed && self.persister.is_some() {
                st.generation += 1;
                st.fort_seq = self.fort_seq.load(Ordering::Relaxed);
                Some((st.generation, serde_json::to_vec(&*st)))
            } else {
                None
            };
            (result, snapshot)
        };
        if let (Some(persister), Some((generation, bytes))) = (&self.persister, snapshot) {
            let written = match bytes {
                Ok(bytes) => persister.write(generation, &bytes),
                Err(e) => Err(SimError::Config(format!("cannot encode the simulator state: {e}"))),
            };
            if let Err(e) = written {
                log::error!("simulator state not saved: {e}");
            }
        }
        result
    }

    /// A new unique `fort_id`: 18 digits (20 at most after ~10^16 ids).
    pub(crate) fn next_fort_id(&self) -> String {
        let n = self.fort_seq.fetch_add(1, Ordering::Relaxed) + 1;
        format!("17{n:016}")
    }

    /// Signs an answer with the response phrase.
    pub(crate) fn merchant_identifier(&self) -> &str {
        &self.merchant_identifier
    }

    pub(crate) fn sign_response(&self, out: &mut Params) {
        out.remove("signature");
        let signature = sign::sign(out, self.response_phrase.expose(), self.algorithm);
        out.insert("signature".into(), Value::String(signature));
    }

    /// Signs an answer with a phrase that is not the response phrase (the `bad_signature` fault).
    pub(crate) fn sign_response_wrongly(&self, out: &mut Params) {
        out.remove("signature");
        let wrong = format!("{}-not-the-response-phrase", self.response_phrase.expose());
        let signature = sign::sign(out, &wrong, self.algorithm);
        out.insert("signature".into(), Value::String(signature));
    }

    /// A JSON request to `paymentApi` or `batchApi`.
    pub(crate) fn handle_json(&self, endpoint: Endpoint, req: &Params) -> Body {
        let op = match self.admit(req, endpoint) {
            Ok(op) => op,
            Err((status, msg)) => return Body::Json(self.finish(None, answer(req, status, msg))),
        };
        let checked = match validate(op, req) {
            Ok(checked) => checked,
            Err((status, msg)) => return Body::Json(self.finish(Some(op), answer(req, status, msg))),
        };
        match op {
            Operation::GetBatchResults => self.get_batch_results(req),
            Operation::ProcessBatch => Body::Json(self.finish(Some(op), self.process_batch(req))),
            _ => {
                let out = self.with_state(|st| self.apply(st, op, req, checked));
                Body::Json(self.finish(Some(op), out))
            }
        }
    }

    /// Runs one admitted, validated operation on the state.
    pub(crate) fn apply(
        &self,
        st: &mut State,
        op: Operation,
        req: &Params,
        checked: Checked,
    ) -> (Params, bool) {
        match op {
            Operation::Purchase | Operation::Authorization => self.charge(st, op, req, checked),
            Operation::Capture => self.capture(st, req, checked),
            Operation::VoidAuthorization => self.void(st, req),
            Operation::Refund => self.refund(st, req, checked),
            Operation::CheckStatus => (self.check_status(st, req), false),
            Operation::CreateToken => self.create_token(st, req),
            Operation::UpdateToken => self.update_token(st, req),
            Operation::PaymentLink => self.payment_link(st, req, checked),
            Operation::UploadBatchFile | Operation::GetBatchResults | Operation::ProcessBatch => {
                (answer(req, "00", "004"), false)
            }
        }
    }

    /// Adds the `fort_id` every answer carries (see the module docs for the rule).
    pub(crate) fn finish(&self, op: Option<Operation>, mut out: Params) -> Params {
        // A status query names an existing order or none; a fresh id would pass for the order's.
        let status_query = op == Some(Operation::CheckStatus) || out.contains_key("query_command");
        if !status_query && !out.contains_key("fort_id") {
            out.insert("fort_id".into(), Value::String(self.next_fort_id()));
        }
        out
    }

    /// The checks before any operation, in APS's order: merchant identifier (009), access code
    /// (010), signature (008), then exactly one known command for this endpoint (004; 001 when
    /// there is none).
    pub(crate) fn admit(&self, req: &Params, endpoint: Endpoint) -> Result<Operation, Reject> {
        if text(req, "merchant_identifier") != Some(self.merchant_identifier.as_str()) {
            return Err(("00", "009"));
        }
        let access_ok =
            text(req, "access_code").is_some_and(|given| constant_time_eq(given, self.access_code.expose()));
        if !access_ok {
            return Err(("00", "010"));
        }
        if sign::verify(req, self.request_phrase.expose(), self.algorithm).is_err() {
            return Err(("00", "008"));
        }
        let present: Vec<(&str, &str)> = ["command", "query_command", "service_command"]
            .into_iter()
            .filter_map(|field| text(req, field).map(|value| (field, value)))
            .collect();
        let [(field, name)] = present.as_slice() else {
            return Err(if present.is_empty() { ("00", "001") } else { ("00", "004") });
        };
        match Operation::from_wire(name) {
            Some(op) if op.command_field() == *field && endpoint.accepts(op) => Ok(op),
            _ => Err(("00", "004")),
        }
    }

    pub(crate) fn orders(&self) -> Vec<super::OrderView> {
        self.lock().views()
    }

    pub(crate) fn recurring_agreement(&self, agreement_id: &str) -> Option<super::RecurringAgreement> {
        self.lock().agreements.get(agreement_id).cloned()
    }

    pub(crate) fn order(&self, merchant_reference: &str) -> Option<super::OrderView> {
        self.lock().orders.get(merchant_reference).map(super::state::Order::view)
    }

    pub(crate) fn movements(&self) -> Vec<super::Movement> {
        self.lock().movements()
    }

    pub(crate) fn discard_unprocessed_batches(&self) -> usize {
        let mut st = self.lock();
        let before = st.batches.len();
        st.batches.retain(|_, b| b.status == super::state::BatchStatus::Processed);
        before - st.batches.len()
    }
}

/// Required fields (001), formats, lengths and values (002, 032, 033), currency (013), amount
/// (005), in that order.
pub(crate) fn validate(op: Operation, req: &Params) -> Result<Checked, Reject> {
    let required = required_fields(op, req);
    fields::require(req, &required).map_err(|e| ("00", e.message_code()))?;
    fields::check_params(req).map_err(|e| ("00", e.message_code()))?;
    check_values(op, req)?;
    let needs_money = matches!(
        op,
        Operation::Purchase
            | Operation::Authorization
            | Operation::Capture
            | Operation::Refund
            | Operation::PaymentLink
    );
    let currency = match text(req, "currency") {
        Some(code) => Some(Currency::parse(code).map_err(|_| ("00", "013"))?),
        None => None,
    };
    let amount = match (needs_money, currency, text(req, "amount")) {
        (true, Some(currency), Some(amount)) => {
            Some(Money::from_wire(amount, currency).map_err(|_| ("00", "005"))?.minor_units())
        }
        _ => None,
    };
    Ok(Checked { currency, amount })
}

/// The mandatory fields of a request (spec 3): the client's own list
/// ([`crate::aps::command::required_fields`]), less what [`Engine::admit`] already checked, plus
/// what depends on the request itself (card data, recurring, SMS, check status by fort_id).
fn required_fields(op: Operation, req: &Params) -> Vec<Field> {
    let mut names: Vec<Field> = crate::aps::command::required_fields(op)
        .iter()
        .copied()
        .filter(|n| !matches!(*n, Field::AccessCode | Field::MerchantIdentifier))
        .collect();
    match op {
        Operation::Purchase | Operation::Authorization => {
            let eci = text(req, "eci");
            if text(req, "card_number").is_some() && eci != Some("RECURRING") {
                names.push(Field::ExpiryDate);
                if eci == Some("ECOMMERCE") {
                    names.push(Field::CardSecurityCode);
                }
            } else {
                names.push(Field::TokenName);
            }
            if eci == Some("RECURRING") {
                names.push(Field::AgreementId);
            }
        }
        Operation::CheckStatus if text(req, "fort_id").is_some() => {
            names.retain(|n| *n != Field::MerchantReference)
        }
        Operation::PaymentLink => {
            let types = text(req, "notification_type").unwrap_or_default();
            if types.split(',').any(|t| t.trim() == "SMS") && !types.split(',').any(|t| t.trim() == "NONE") {
                names.push(Field::CustomerPhone);
            }
        }
        _ => {}
    }
    names
}

/// Combinations APS refuses that no single field rule covers.
fn check_values(op: Operation, req: &Params) -> Result<(), Reject> {
    // RECURRING is a merchant-initiated PURCHASE on a stored token only (spec 3.4).
    if matches!(op, Operation::Purchase | Operation::Authorization)
        && text(req, "eci") == Some("RECURRING")
        && (op == Operation::Authorization || text(req, "card_number").is_some())
    {
        return Err(("00", "033"));
    }
    if op == Operation::PaymentLink
        && text(req, "request_expiry_date").is_some_and(|d| chrono::DateTime::parse_from_rfc3339(d).is_err())
    {
        return Err(("00", "002"));
    }
    Ok(())
}
