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

/// Refuses an order's extra details when a value holds a card number. `agreement_id` is APS's
/// own identifier, like `fort_id` (see [`check_agreement_id`]).
///
/// # Errors
/// As [`refuse_card_numbers`], or an agreement id that is not plain.
pub fn refuse_card_numbers_in_extra(extra: &super::Extra) -> Result<(), JournalError> {
    // The link's id is taken out of its address only when it cannot be part of a card number
    // written there: it has a letter, and is long enough not to match a group of digits by chance.
    let link_id = extra
        .get("payment_link_id")
        .and_then(|v| v.as_str())
        .filter(|id| id.len() >= 8 && id.chars().any(|c| c.is_ascii_alphabetic()));
    for (name, value) in extra {
        refuse_card_numbers("extra order details", name)?;
        let text = value.as_str().map_or_else(|| value.to_string(), str::to_owned);
        match name.as_str() {
            "agreement_id" => check_agreement_id(&text)?,
            // APS's id of a payment link, judged as an agreement id is; its format is UNKNOWN
            // (spec), and the simulator's hex ids hold runs of digits that may pass the Luhn
            // check. Not judged again inside the link's address.
            "payment_link_id" if card_like_id(&text) => {
                return Err(JournalError::LooksLikeCardNumber { field: "payment link id" });
            }
            "payment_link_id" => {}
            "payment_link" => {
                let rest = link_id.map_or_else(|| text.clone(), |id| text.replace(id, " "));
                refuse_card_numbers("extra order details", &rest)?;
            }
            _ => refuse_card_numbers("extra order details", &text)?,
        }
    }
    Ok(())
}

/// A token name as the journal keeps it: APS's own identifier of a stored card, judged as an
/// agreement id is. APS may name a token itself (its format is UNKNOWN, spec §3.9), and the
/// simulator's 32 hex characters hold a run of 12 or more digits that passes the Luhn check
/// about once in 250 tokens: the plain scan would refuse APS's own answer, and the customer's
/// saved card would be missing from the token book and refused when chosen. So a token name
/// is refused here only when it is a card's number by its digits. One a person typed was
/// scanned in full by the service first, which lets through only a name the token book
/// already holds, that is one APS issued (`service::guard`).
///
/// # Errors
/// [`JournalError::Invalid`] when empty, [`JournalError::LooksLikeCardNumber`] when a card's.
pub fn check_token_name(name: &str) -> Result<(), JournalError> {
    if name.trim().is_empty() {
        return Err(JournalError::Invalid {
            field: crate::aps::field::Field::TokenName,
            problem: "must not be empty".to_owned(),
        });
    }
    if card_like_id(name) {
        return Err(JournalError::LooksLikeCardNumber { field: "token name" });
    }
    Ok(())
}

/// Whether an identifier APS issued is a card's number by its digits: only digits and
/// separators, 12 to 19 digits, Luhn-valid, and starting as a card brand does.
pub fn card_like_id(id: &str) -> bool {
    let separated = id.chars().all(|c| c.is_ascii_digit() || matches!(c, ' ' | '-' | '_' | '.'));
    let digits: String = id.chars().filter(char::is_ascii_digit).collect();
    separated
        && (12..=19).contains(&digits.len())
        && crate::aps::card::luhn_valid(&digits)
        && crate::aps::card::detect_brand(&digits).is_some()
}

/// An agreement id is APS's identifier of a customer's recurring agreement: up to 100 letters,
/// digits, `-` and `_`. APS issues digit strings (e.g. `115170000001`) of which one in ten passes
/// the Luhn check, like a Fort ID, so the plain scan would refuse APS's own answer after the
/// customer paid. It is refused as a card number only when its digits are also a card's: 12 to
/// 19 of them, Luhn-valid, and starting as a card brand does. One a person typed was scanned in
/// full by the service before it came here (`guard`).
///
/// # Errors
/// [`JournalError::LooksLikeCardNumber`], or [`JournalError::Invalid`] for anything not plain.
pub fn check_agreement_id(id: &str) -> Result<(), JournalError> {
    if card_like_id(id) {
        return Err(JournalError::LooksLikeCardNumber { field: "agreement id" });
    }
    let plain = id.len() <= 100 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if plain {
        Ok(())
    } else {
        Err(JournalError::Invalid {
            field: crate::aps::field::Field::AgreementId,
            problem: "an agreement id is up to 100 letters, digits, - and _".into(),
        })
    }
}
