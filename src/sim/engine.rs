//! The APS behaviour: request checks in APS's order, then the operation on the state.
//!
//! Every entry point returns the unsigned answer; the HTTP layer signs it (or, under a fault,
//! mis-signs, garbles or drops it). State changes happen inside one short lock, and the state
//! file is written before the answer leaves, so "committed" always means "would survive a
//! restart".

use super::SimConfig;
use super::SimError;
use super::state::{Persister, State, Token, TokenStatus};
use crate::aps::field::Field;
use crate::aps::money::{Currency, Money};
use crate::aps::secret::Secret;
use crate::aps::sign::{self, Algorithm};
use crate::aps::{Operation, Params, fields, response};
use serde_json::Value;
use sha2::{Digest, Sha256};
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

    pub(crate) fn order(&self, merchant_reference: &str) -> Option<super::OrderView> {
        self.lock().orders.get(merchant_reference).map(super::state::Order::view)
    }

    pub(crate) fn movements(&self) -> Vec<super::Movement> {
        self.lock().movements()
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

/// A string parameter (numbers were turned into text when the request was read).
pub(crate) fn text<'a>(params: &'a Params, name: &str) -> Option<&'a str> {
    params.get(name).and_then(Value::as_str)
}

/// Turns number and boolean values into their text, as APS reads `"amount": 1000` and
/// `"amount": "1000"` alike and signs the decimal text either way (spec 1).
pub(crate) fn normalize(params: Params) -> Params {
    params
        .into_iter()
        .map(|(name, value)| {
            let value = match value {
                Value::Number(n) => Value::String(n.to_string()),
                Value::Bool(b) => Value::String(b.to_string()),
                other => other,
            };
            (name, value)
        })
        .collect()
}

/// The echo of a request: every parameter but the signature, with the card number masked and
/// the card security code left out.
pub(crate) fn echo(req: &Params) -> Params {
    let mut out = Params::new();
    for (name, value) in req {
        match name.as_str() {
            "signature" | "card_security_code" => {}
            "card_number" => {
                let masked = value.as_str().map(crate::aps::card::mask_pan).unwrap_or_default();
                out.insert(name.clone(), Value::String(masked));
            }
            _ => {
                out.insert(name.clone(), value.clone());
            }
        }
    }
    out
}

/// The echo plus `response_code`, `response_message` (in the request's language) and `status`.
pub(crate) fn answer(req: &Params, status: &str, msg: &str) -> Params {
    let mut out = echo(req);
    out.insert("response_code".into(), Value::String(format!("{status}{msg}")));
    out.insert("response_message".into(), Value::String(message(req, msg)));
    out.insert("status".into(), Value::String(status.to_owned()));
    out
}

/// The text of a message code in the request's language; Arabic falls back to English.
pub(crate) fn message(req: &Params, msg: &str) -> String {
    if text(req, "language") == Some("ar")
        && let Some(arabic) = response::message_text_ar(msg)
    {
        return arabic.to_owned();
    }
    response::message_text(msg).to_owned()
}

/// Sets a string field of an answer.
pub(crate) fn put(out: &mut Params, name: &str, value: impl Into<String>) {
    out.insert(name.to_owned(), Value::String(value.into()));
}

pub(crate) fn constant_time_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |diff, (x, y)| diff | (x ^ y)) == 0
}

/// What the simulator may keep about a card: never the PAN itself, nor anything derived from
/// it beyond the masked number (which, among the test cards, identifies the card).
pub(crate) struct CardFacts {
    pub masked: String,
    pub bin: String,
    pub last4: String,
    pub brand: String,
    pub issuer_declines: bool,
}

impl CardFacts {
    /// The facts of a card number, or the APS message code refusing it: `003` for a number of
    /// no supported brand, `016` for any other invalid number (Luhn, length) and for a valid
    /// number that is not one of the public test cards ([`super::cards::TEST_CARDS`]).
    pub(crate) fn of(pan: &str) -> Result<Self, &'static str> {
        let card = match crate::aps::card::CardNumber::parse(pan) {
            Ok(card) => card,
            Err(crate::aps::card::CardError::UnknownBrand) => return Err("003"),
            Err(_) => return Err("016"),
        };
        if !super::cards::is_test_card(card.expose()) {
            return Err("016");
        }
        Ok(Self {
            masked: card.masked(),
            bin: card.bin().to_owned(),
            last4: card.last4().to_owned(),
            brand: card.brand().payment_option().to_owned(),
            issuer_declines: card.expose() == super::DECLINED_CARD,
        })
    }

    pub(crate) fn token(
        &self,
        name: &str,
        expiry: &str,
        holder_name: Option<&str>,
        currency: Option<&str>,
        at: &str,
    ) -> Token {
        Token {
            seq: 0,
            name: name.to_owned(),
            status: TokenStatus::Active,
            masked: self.masked.clone(),
            bin: self.bin.clone(),
            last4: self.last4.clone(),
            brand: self.brand.clone(),
            expiry: expiry.to_owned(),
            holder_name: holder_name.map(str::to_owned),
            currency: currency.map(str::to_owned),
            created_at: at.to_owned(),
            issuer_declines: self.issuer_declines,
        }
    }
}

/// Fills `buf` from the OS generator; if that fails, from a hash of the clock and a counter
/// (these values name tokens and links, they protect nothing).
pub(crate) fn random_bytes(buf: &mut [u8]) {
    if getrandom::fill(buf).is_ok() {
        return;
    }
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut seed = Sha256::new();
    seed.update(chrono::Utc::now().timestamp_nanos_opt().unwrap_or(0).to_le_bytes());
    seed.update(COUNTER.fetch_add(1, Ordering::Relaxed).to_le_bytes());
    let digest = seed.finalize();
    for (i, b) in buf.iter_mut().enumerate() {
        *b = digest[i % digest.len()];
    }
}

pub(crate) fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    random_bytes(&mut buf);
    buf.iter().map(|b| format!("{b:02x}")).collect()
}

/// `n` random decimal digits.
pub(crate) fn random_digits(n: usize) -> String {
    let mut buf = vec![0u8; n];
    random_bytes(&mut buf);
    buf.iter().map(|b| char::from(b'0' + b % 10)).collect()
}

pub(crate) fn now_rfc3339() -> String {
    chrono::Local::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn params(v: Value) -> Params {
        match v {
            Value::Object(map) => map,
            _ => panic!("object expected"),
        }
    }

    #[test]
    fn echo_masks_the_card_and_drops_cvv_and_signature() {
        let req = params(json!({
            "card_number": "4005550000000001", "card_security_code": "123",
            "signature": "abc", "amount": "100"
        }));
        let out = echo(&req);
        assert_eq!(out.get("card_number"), Some(&json!("400555******0001")));
        assert!(!out.contains_key("card_security_code"));
        assert!(!out.contains_key("signature"));
        assert_eq!(out.get("amount"), Some(&json!("100")));
    }

    #[test]
    fn numbers_become_text() {
        let req = normalize(params(json!({"amount": 1000, "flag": true, "nested": {"a": 1}})));
        assert_eq!(req.get("amount"), Some(&json!("1000")));
        assert_eq!(req.get("flag"), Some(&json!("true")));
        assert_eq!(req.get("nested"), Some(&json!({"a": 1})));
    }

    #[test]
    fn only_the_public_test_cards_are_taken() {
        let visa = CardFacts::of("4005 5500 0000 0001").unwrap();
        assert_eq!((visa.masked.as_str(), visa.brand.as_str()), ("400555******0001", "VISA"));
        // Valid cards, but not test cards: refused like an invalid number.
        for real in ["4111111111111111", "5555555555554444", "378282246310005"] {
            assert_eq!(CardFacts::of(real).err(), Some("016"), "{real}");
        }
        assert_eq!(CardFacts::of("4005550000000002").err(), Some("016"), "Luhn");
        assert_eq!(CardFacts::of("6011111111111117").err(), Some("003"), "no supported brand");
    }

    #[test]
    fn random_values_have_the_right_shape() {
        assert_eq!(random_hex(16).len(), 32);
        let digits = random_digits(6);
        assert_eq!(digits.len(), 6);
        assert!(digits.bytes().all(|b| b.is_ascii_digit()));
        assert_ne!(random_hex(16), random_hex(16));
    }

    #[test]
    fn constant_time_eq_is_exact() {
        assert!(constant_time_eq("abc", "abc"));
        assert!(!constant_time_eq("abc", "abC"));
        assert!(!constant_time_eq("abc", "ab"));
    }
}
