//! Card data as the journal may keep it: masked text and a keyed fingerprint, never the number.

use super::JournalError;
use crate::aps::field::Field;
use std::fmt;

/// A card number as it may be kept: at most the first 6 and last 4 digits visible, the rest
/// masked. There is deliberately no way to build one from a full card number.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct MaskedCard(String);

/// Characters accepted as masking in [`MaskedCard`] (APS masks with `*`; some screens use `X`).
const MASK_CHARS: [char; 4] = ['*', 'X', 'x', '•'];

impl MaskedCard {
    /// Most digits a masked card may show (first 6 + last 4).
    pub const MAX_VISIBLE_DIGITS: usize = 10;

    /// Accepts masked text such as `400555******0001`.
    ///
    /// # Errors
    /// [`JournalError::Invalid`] when the text shows more than 10 digits, hides none, or holds
    /// anything but digits, mask characters, spaces and dashes.
    pub fn parse(text: &str) -> Result<Self, JournalError> {
        let text = text.trim();
        let invalid =
            |problem: &str| JournalError::Invalid { field: Field::MaskedCard, problem: problem.to_owned() };
        if text.is_empty() || text.chars().count() > 30 {
            return Err(invalid(
                "give the card as first 6 and last 4 digits with the rest masked, e.g. 400555******0001",
            ));
        }
        if !text.chars().all(|c| c.is_ascii_digit() || MASK_CHARS.contains(&c) || c == ' ' || c == '-') {
            return Err(invalid("only digits, * and spaces are allowed, e.g. 400555******0001"));
        }
        if !text.chars().any(|c| MASK_CHARS.contains(&c)) {
            return Err(invalid(
                "the card number must be masked (first 6 and last 4 digits at most), e.g. 400555******0001",
            ));
        }
        if text.chars().filter(char::is_ascii_digit).count() > Self::MAX_VISIBLE_DIGITS {
            return Err(invalid("at most the first 6 and last 4 digits may be visible"));
        }
        Ok(Self(text.to_owned()))
    }

    /// Builds the standard mask from the first six and last four digits and the card length.
    ///
    /// # Errors
    /// [`JournalError::Invalid`] unless `first6` has 6 digits, `last4` has 4 and `len` is 12..=19.
    pub fn from_parts(first6: &str, last4: &str, len: usize) -> Result<Self, JournalError> {
        let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
        if !digits(first6, 6) || !digits(last4, 4) || !(12..=19).contains(&len) {
            return Err(JournalError::Invalid {
                field: Field::MaskedCard,
                problem: "needs the first 6 digits, the last 4 digits and a card length of 12 to 19"
                    .to_owned(),
            });
        }
        Ok(Self(format!("{first6}{}{last4}", "*".repeat(len - 10))))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The last four digits, when the masked text ends with them.
    pub fn last4(&self) -> Option<String> {
        let tail: Vec<char> = self.0.chars().rev().filter(|c| *c != ' ' && *c != '-').take(4).collect();
        (tail.len() == 4 && tail.iter().all(char::is_ascii_digit)).then(|| tail.into_iter().rev().collect())
    }
}

impl fmt::Debug for MaskedCard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MaskedCard({})", self.0)
    }
}

impl fmt::Display for MaskedCard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A keyed hash of a card number (hex HMAC-SHA256, made by `vault::card_fingerprint`), so the
/// duplicate guard can recognise the same card without the journal ever holding the number.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CardFingerprint(String);

impl CardFingerprint {
    /// # Errors
    /// [`JournalError::Invalid`] unless the text is 64 hex digits.
    pub fn parse(hex: &str) -> Result<Self, JournalError> {
        if hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            Ok(Self(hex.to_ascii_lowercase()))
        } else {
            Err(JournalError::Invalid {
                field: Field::CardFingerprint,
                problem: "must be the 64-digit hex HMAC-SHA256 from vault::card_fingerprint".to_owned(),
            })
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}
