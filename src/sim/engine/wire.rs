//! Reading requests and building answers: parameters, echoes, what may be kept of a card, and
//! random values.

use crate::aps::{Params, response};
use crate::sim::state::{Token, TokenStatus};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::sync::atomic::{AtomicU64, Ordering};

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
    /// number that is not one of the public test cards ([`crate::sim::cards::TEST_CARDS`]).
    pub(crate) fn of(pan: &str) -> Result<Self, &'static str> {
        let card = match crate::aps::card::CardNumber::parse(pan) {
            Ok(card) => card,
            Err(crate::aps::card::CardError::UnknownBrand) => return Err("003"),
            Err(_) => return Err("016"),
        };
        if !crate::sim::cards::is_test_card(card.expose()) {
            return Err("016");
        }
        Ok(Self {
            masked: card.masked(),
            bin: card.bin().to_owned(),
            last4: card.last4().to_owned(),
            brand: card.brand().payment_option().to_owned(),
            issuer_declines: card.expose() == crate::sim::DECLINED_CARD,
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
