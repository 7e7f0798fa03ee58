//! Secrets held in memory: an access code or a SHA phrase.
//!
//! The wrapper has no `Display`, a redacted `Debug`, and wipes its bytes when dropped, so a
//! secret cannot reach a log line or a crash report by accident. Read it with [`Secret::expose`]
//! only at the point of use (signing, or handing it to the keychain).

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_value() {
        let s = Secret::from("$2y$10$Req.Phrase/42");
        let shown = format!("{s:?}");
        assert!(!shown.contains("Req.Phrase"), "{shown}");
        assert_eq!(s.expose(), "$2y$10$Req.Phrase/42");
    }
}
