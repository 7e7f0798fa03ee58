//! Secrets held in memory: an access code or a SHA phrase.
//!
//! The wrapper has no `Display`, a redacted `Debug`, and wipes its bytes when dropped, so a
//! secret cannot reach a log line or a crash report by accident. Read it with [`Secret::expose`]
//! only at the point of use (signing, or handing it to the keychain).
//!
//! Parameter lists and JSON read from stdin can hold a card number or the access code too:
//! [`wipe_params`] and [`WipedParams`] overwrite them in place before they are freed.

use super::Params;
use serde_json::Value;
use zeroize::Zeroize;

/// A secret string: never printed, zeroed on drop.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret. The caller's copy is moved in, not duplicated.
    pub fn new(value: String) -> Self {
        Self(value)
    }

    /// The secret text, for signing or storing. Never format this into a message.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Self(value.to_owned())
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl Drop for Secret {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

/// Overwrites every string, number and boolean of a JSON value in place (names are kept: they
/// are parameter names, never secret).
pub fn wipe_value(value: &mut Value) {
    match value {
        Value::String(text) => text.zeroize(),
        // Same variant, same place: the old number's bytes are overwritten.
        Value::Number(number) => *number = serde_json::Number::from(0u8),
        Value::Bool(flag) => *flag = false,
        Value::Array(items) => items.iter_mut().for_each(wipe_value),
        Value::Object(map) => map.values_mut().for_each(wipe_value),
        Value::Null => {}
    }
}

/// Overwrites every value of a parameter list in place.
pub fn wipe_params(params: &mut Params) {
    params.values_mut().for_each(wipe_value);
}

/// A parameter list that is wiped when dropped (JSON read from stdin, a list built only to be
/// checked).
#[derive(Default)]
pub struct WipedParams(pub Params);

impl std::ops::Deref for WipedParams {
    type Target = Params;
    fn deref(&self) -> &Params {
        &self.0
    }
}

impl std::ops::DerefMut for WipedParams {
    fn deref_mut(&mut self) -> &mut Params {
        &mut self.0
    }
}

impl Drop for WipedParams {
    fn drop(&mut self) {
        wipe_params(&mut self.0);
    }
}

impl std::fmt::Debug for WipedParams {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "WipedParams({} parameters, values hidden)", self.0.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wiping_overwrites_every_value_in_place() {
        let mut p = match serde_json::json!({
            "card_number": "4005550000000001", "cvv": 123, "remember": true, "none": null,
            "nested": {"inner": "secret", "list": ["4005550000000001", 4005550000000001u64]}
        }) {
            Value::Object(map) => map,
            _ => unreachable!(),
        };
        wipe_params(&mut p);
        assert_eq!(
            Value::Object(p),
            serde_json::json!({
                "card_number": "", "cvv": 0, "remember": false, "none": null,
                "nested": {"inner": "", "list": ["", 0]}
            })
        );
    }

    #[test]
    fn wiped_params_never_show_their_values() {
        let mut p = WipedParams::default();
        p.insert("card_number".into(), "4005550000000001".into());
        assert_eq!(format!("{p:?}"), "WipedParams(1 parameters, values hidden)");
    }

    #[test]
    fn debug_never_shows_the_value() {
        let s = Secret::from("$2y$10$Req.Phrase/42");
        let shown = format!("{s:?}");
        assert!(!shown.contains("Req.Phrase"), "{shown}");
        assert_eq!(s.expose(), "$2y$10$Req.Phrase/42");
    }
}
