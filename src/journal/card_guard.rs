//! The last guard before the disk: free text that looks like a card number is refused.

use super::JournalError;
use crate::aps::card::luhn_valid;

/// Refuses free text that holds something shaped like a card number: 13 to 19 digits (spaces or
/// dashes between them allowed) that pass the Luhn check. Agents paste into notes and names;
/// this stops a card number from reaching the file that way.
///
/// # Errors
/// [`JournalError::LooksLikeCardNumber`] naming `field`.
pub fn refuse_card_numbers(field: &'static str, text: &str) -> Result<(), JournalError> {
    let mut digits = String::new();
    let mut pending_separator = false;
    let check = |digits: &str| (13..=19).contains(&digits.len()) && luhn_valid(digits);
    for c in text.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            pending_separator = false;
        } else if (c == ' ' || c == '-') && !digits.is_empty() && !pending_separator {
            pending_separator = true;
        } else {
            if check(&digits) {
                return Err(JournalError::LooksLikeCardNumber { field });
            }
            digits.clear();
            pending_separator = false;
        }
    }
    if check(&digits) {
        return Err(JournalError::LooksLikeCardNumber { field });
    }
    Ok(())
}
