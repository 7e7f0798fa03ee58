//! The last guard before the disk: text that looks like a card number is refused.

use super::JournalError;
use crate::aps::card::contains_card_number;

/// Refuses text that holds something shaped like a card number: 12 to 19 digits, together or
/// in groups split by spaces, dashes, dots, slashes or underscores, that pass the Luhn check
/// (the protocol core's detector, [`contains_card_number`]). Agents paste into notes, names
/// and references; this stops a card number from reaching the file that way.
///
/// # Errors
/// [`JournalError::LooksLikeCardNumber`] naming `field`.
pub fn refuse_card_numbers(field: &'static str, text: &str) -> Result<(), JournalError> {
    if contains_card_number(text) {
        return Err(JournalError::LooksLikeCardNumber { field });
    }
    Ok(())
}
