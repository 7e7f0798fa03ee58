//! Request and response signatures (spec section 2).
//!
//! The string to sign is the phrase, then every parameter sent (except `signature`) as
//! `name=value`, sorted by name in byte order and joined with no separator, then the phrase
//! again. Nested objects render as `{k=v, k=v}` in the order they appear in the body, lists as
//! `[a, b]`. The hash is SHA-256 or SHA-512 of that string, or HMAC with the phrase as key over
//! the same wrapped string. Hex goes out lower-case and is compared case-insensitively, in
//! constant time.
//!
//! The string to sign holds the phrase and, over the trusted channel, the card number: it is
//! built in one buffer of exactly the right size (measured first, so no reallocation leaves a
//! copy behind) and wiped as soon as it has been hashed.

use super::Params;
use hmac::{Hmac, KeyInit, Mac};
use serde_json::Value;
use sha2::{Digest, Sha256, Sha512};
use std::fmt::Write;
use zeroize::Zeroizing;

/// The SHA type chosen in the merchant's APS security settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Algorithm {
    Sha256,
    Sha512,
    HmacSha256,
    HmacSha512,
}

impl Algorithm {
    pub const ALL: [Algorithm; 4] = [Self::Sha256, Self::Sha512, Self::HmacSha256, Self::HmacSha512];

    /// The name used on the command line and in config files.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sha256 => "sha256",
            Self::Sha512 => "sha512",
            Self::HmacSha256 => "hmac-sha256",
            Self::HmacSha512 => "hmac-sha512",
        }
    }

    /// The name APS's back office shows for this setting.
    pub fn label(self) -> &'static str {
        match self {
            Self::Sha256 => "SHA-256",
            Self::Sha512 => "SHA-512",
            Self::HmacSha256 => "HMAC-256",
            Self::HmacSha512 => "HMAC-512",
        }
    }
}

impl std::str::FromStr for Algorithm {
    type Err = SignatureError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let norm = text.trim().to_ascii_lowercase().replace('_', "-");
        match norm.as_str() {
            "sha256" | "sha-256" => Ok(Self::Sha256),
            "sha512" | "sha-512" => Ok(Self::Sha512),
            "hmac-sha256" | "hmac256" | "hmac-256" | "hmacsha256" => Ok(Self::HmacSha256),
            "hmac-sha512" | "hmac512" | "hmac-512" | "hmacsha512" => Ok(Self::HmacSha512),
            _ => Err(SignatureError::UnknownAlgorithm(text.to_owned())),
        }
    }
}

impl std::fmt::Display for Algorithm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error(
        "unknown signature algorithm \"{0}\": use sha256, sha512, hmac-sha256 or hmac-sha512 (as set in the APS security settings)"
    )]
    UnknownAlgorithm(String),
    #[error("the response carries no signature")]
    Missing,
    #[error("the response signature does not match the response phrase")]
    Mismatch,
}

/// Fields sent with the browser tokenization form but never signed (spec 2.3, vector P02).
/// Server-to-server requests sign every field, card data included.
pub const TOKENIZATION_PAGE_UNSIGNED: &[&str] =
    &["card_security_code", "card_number", "expiry_date", "card_holder_name", "remember_me"];

/// The exact text that is hashed, in a buffer that wipes itself when dropped. It contains the
/// phrase: show it only with the phrase masked (see [`string_to_sign_masked`]).
pub fn string_to_sign(params: &Params, phrase: &str, excluded: &[&str]) -> Zeroizing<String> {
    let names = signed_names(params, excluded);
    let mut length = Measure(2 * phrase.len());
    write_params(&names, &mut length);
    let mut out = Zeroizing::new(String::with_capacity(length.0));
    out.push_str(phrase);
    write_params(&names, &mut *out);
    out.push_str(phrase);
    out
}

/// The string to sign with the phrase shown as `<phrase>`, for debugging mismatches.
pub fn string_to_sign_masked(params: &Params, excluded: &[&str]) -> String {
    string_to_sign(params, "<phrase>", excluded).as_str().to_owned()
}

/// Counts the bytes that would be written, to size the buffer before writing.
struct Measure(usize);

impl Write for Measure {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.0 += s.len();
        Ok(())
    }
}

/// The parameters that are signed, sorted by name (bytes).
fn signed_names<'a>(params: &'a Params, excluded: &[&str]) -> Vec<(&'a String, &'a Value)> {
    let mut names: Vec<(&String, &Value)> = params
        .iter()
        .filter(|(name, value)| {
            name.as_str() != "signature" && !excluded.contains(&name.as_str()) && !value.is_null()
        })
        .collect();
    names.sort_unstable_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    names
}

/// The sorted `name=value` concatenation, without the phrase. Writing to a `String` or a
/// [`Measure`] cannot fail, so the results are ignored.
fn write_params(names: &[(&String, &Value)], out: &mut impl Write) {
    for (name, value) in names {
        let _ = out.write_str(name);
        let _ = out.write_char('=');
        render_value(value, out);
    }
}

/// Renders one value: strings raw, numbers and booleans as their JSON text, null as nothing,
/// objects as `{k=v, k=v}` in body order, lists as `[a, b]`.
fn render_value(value: &Value, out: &mut impl Write) {
    match value {
        Value::Null => {}
        Value::String(s) => {
            let _ = out.write_str(s);
        }
        Value::Bool(b) => {
            let _ = out.write_str(if *b { "true" } else { "false" });
        }
        Value::Number(n) => {
            let _ = write!(out, "{n}");
        }
        Value::Array(items) => {
            let _ = out.write_char('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    let _ = out.write_str(", ");
                }
                render_value(item, out);
            }
            let _ = out.write_char(']');
        }
        Value::Object(map) => {
            let _ = out.write_char('{');
            for (i, (k, v)) in map.iter().enumerate() {
                if i > 0 {
                    let _ = out.write_str(", ");
                }
                let _ = out.write_str(k);
                let _ = out.write_char('=');
                render_value(v, out);
            }
            let _ = out.write_char('}');
        }
    }
}

/// Hashes an already-built string to sign; lower-case hex.
pub fn digest(algorithm: Algorithm, phrase: &str, string_to_sign: &str) -> String {
    let bytes = string_to_sign.as_bytes();
    match algorithm {
        Algorithm::Sha256 => hex(&Sha256::digest(bytes)),
        Algorithm::Sha512 => hex(&Sha512::digest(bytes)),
        Algorithm::HmacSha256 => {
            // HMAC accepts keys of any length, so new_from_slice cannot fail here.
            match <Hmac<Sha256> as KeyInit>::new_from_slice(phrase.as_bytes()) {
                Ok(mut mac) => {
                    mac.update(bytes);
                    hex(&mac.finalize().into_bytes())
                }
                Err(_) => String::new(),
            }
        }
        Algorithm::HmacSha512 => match <Hmac<Sha512> as KeyInit>::new_from_slice(phrase.as_bytes()) {
            Ok(mut mac) => {
                mac.update(bytes);
                hex(&mac.finalize().into_bytes())
            }
            Err(_) => String::new(),
        },
    }
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}

/// Signs a server-to-server request or response: every parameter but `signature`.
pub fn sign(params: &Params, phrase: &str, algorithm: Algorithm) -> String {
    sign_excluding(params, phrase, algorithm, &[])
}

/// Signs leaving out the named parameters as well as `signature` (the browser tokenization form).
pub fn sign_excluding(params: &Params, phrase: &str, algorithm: Algorithm, excluded: &[&str]) -> String {
    digest(algorithm, phrase, &string_to_sign(params, phrase, excluded))
}

/// Checks the `signature` parameter of `params` against the phrase.
///
/// # Errors
/// [`SignatureError::Missing`] when there is no string `signature`, [`SignatureError::Mismatch`]
/// when it differs (hex case is ignored).
pub fn verify(params: &Params, phrase: &str, algorithm: Algorithm) -> Result<(), SignatureError> {
    let given = params
        .get("signature")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .ok_or(SignatureError::Missing)?;
    let expected = sign(params, phrase, algorithm);
    if equal_ignoring_hex_case(&expected, given) { Ok(()) } else { Err(SignatureError::Mismatch) }
}

/// Constant-time comparison of two hex strings, ignoring ASCII case. The time taken depends only
/// on the lengths, never on where the first difference is.
pub fn equal_ignoring_hex_case(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut diff = 0u8;
    for (x, y) in a.iter().zip(b) {
        diff |= x.to_ascii_lowercase() ^ y.to_ascii_lowercase();
    }
    diff == 0
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
    fn worked_example_from_the_spec() {
        let p = params(json!({
            "command": "PURCHASE", "merchant_reference": "Test010", "amount": "1000",
            "access_code": "SILgpo7pWbmzuURp2qri", "merchant_identifier": "MxvOupuG",
            "currency": "USD", "language": "en", "customer_email": "test@gmail.com"
        }));
        assert_eq!(
            string_to_sign(&p, "PASS", &[]).as_str(),
            "PASSaccess_code=SILgpo7pWbmzuURp2qriamount=1000command=PURCHASEcurrency=USDcustomer_email=test@gmail.comlanguage=enmerchant_identifier=MxvOupuGmerchant_reference=Test010PASS"
        );
        assert_eq!(
            sign(&p, "PASS", Algorithm::Sha256),
            "94c38afc7bdae0114fc8c740edf12416f22998241ce4b4ea70d5521233a2c882"
        );
    }

    #[test]
    fn verify_accepts_upper_case_hex_and_rejects_changes() {
        let mut p = params(json!({"a": "1", "b": "2"}));
        let sig = sign(&p, "k", Algorithm::HmacSha512).to_ascii_uppercase();
        p.insert("signature".into(), Value::String(sig));
        assert_eq!(verify(&p, "k", Algorithm::HmacSha512), Ok(()));
        assert_eq!(verify(&p, "K", Algorithm::HmacSha512), Err(SignatureError::Mismatch));
        assert_eq!(verify(&p, "k", Algorithm::Sha512), Err(SignatureError::Mismatch));
        p.insert("b".into(), json!("3"));
        assert_eq!(verify(&p, "k", Algorithm::HmacSha512), Err(SignatureError::Mismatch));
        p.remove("signature");
        assert_eq!(verify(&p, "k", Algorithm::HmacSha512), Err(SignatureError::Missing));
    }

    #[test]
    fn algorithm_names_parse() {
        for a in Algorithm::ALL {
            assert_eq!(a.as_str().parse::<Algorithm>(), Ok(a));
        }
        assert_eq!("SHA-512".parse::<Algorithm>(), Ok(Algorithm::Sha512));
        assert_eq!("HMAC-256".parse::<Algorithm>(), Ok(Algorithm::HmacSha256));
        assert!("md5".parse::<Algorithm>().is_err());
    }

    #[test]
    fn constant_time_compare() {
        assert!(equal_ignoring_hex_case("abcDEF", "ABCdef"));
        assert!(!equal_ignoring_hex_case("abc", "abd"));
        assert!(!equal_ignoring_hex_case("abc", "abcd"));
    }

    #[test]
    fn sorting_is_by_bytes_underscore_between_cases() {
        let p = params(json!({"b": "1", "a_b": "2", "aB": "3", "a1": "4"}));
        assert_eq!(string_to_sign(&p, "", &[]).as_str(), "a1=4aB=3a_b=2b=1");
    }

    #[test]
    fn the_string_to_sign_is_one_exact_buffer_that_wipes_itself() {
        let p = params(json!({
            "card_number": "4005550000000001", "amount": 1250, "ok": true, "none": null,
            "apple_header": {"a": "1", "b": [1, "x"]}, "columns": ["a", "b"]
        }));
        // The type is the guarantee: Zeroizing overwrites the buffer when it is dropped.
        let text: Zeroizing<String> = string_to_sign(&p, "$2y$10$Req.Phrase/42", &[]);
        assert_eq!(
            text.as_str(),
            "$2y$10$Req.Phrase/42amount=1250apple_header={a=1, b=[1, x]}card_number=4005550000000001columns=[a, b]ok=true$2y$10$Req.Phrase/42"
        );
        assert_eq!(text.len(), text.capacity(), "measured exactly: no reallocation left a copy behind");
    }
}
