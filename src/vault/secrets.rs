//! Checking secrets as typed, and the keyed card fingerprint of the duplicate guard.

use super::*;

/// Checks a secret as typed, before anything is written (the message never repeats it).
///
/// # Errors
/// [`VaultError`] naming the secret and what is wrong with it.
pub fn check_secret(kind: SecretKind, secret: &Secret) -> Result<(), VaultError> {
    validate_secret(kind, secret, None)
}

/// Checks a secret without ever echoing it. `source_name` names an environment variable when
/// the value came from one.
pub(crate) fn validate_secret(
    kind: SecretKind,
    secret: &Secret,
    source_name: Option<&str>,
) -> Result<(), VaultError> {
    let value = secret.expose();
    let problem = if value.is_empty() {
        Some(format!("enter the {kind}"))
    } else if value.trim() != value {
        Some(format!("the {kind} starts or ends with a space; copy it again without the spaces"))
    } else if value.chars().any(char::is_control) {
        Some(format!("the {kind} contains a line break or control character; copy it again"))
    } else if kind == SecretKind::AccessCode
        && (value.len() > 20 || !value.bytes().all(|b| b.is_ascii_alphanumeric()))
    {
        Some("the access code is up to 20 letters and digits, as shown in APS Security Settings".to_owned())
    } else if value.chars().count() > 256 {
        Some(format!("the {kind} is longer than 256 characters; copy it again"))
    } else {
        None
    };
    match problem {
        Some(problem) => Err(VaultError::InvalidSecret {
            kind,
            source_name: source_name.map_or_else(|| kind.label().to_owned(), str::to_owned),
            problem,
        }),
        None => Ok(()),
    }
}

/// The duplicate guard's card fingerprint: hex HMAC-SHA256 of the card's digits (spaces and
/// dashes ignored) keyed with the installation key. The same card always gives the same value
/// on this installation; without the key, the value says nothing about the card.
/// The card fingerprint key every terminal of a team journal shares for one merchant: an HMAC
/// of the merchant's identifier keyed with its SHA request phrase, which each terminal has in
/// its own keychain and the team journal never holds. So the same card gives the same
/// fingerprint on every desk of the merchant (the duplicate guard sees across desks), while the
/// journal alone still cannot be used to test guessed card numbers.
pub fn team_card_key(request_phrase: &Secret, merchant_identifier: &str) -> Secret {
    let label = format!("moto-terminal team card fingerprint key v1|{merchant_identifier}");
    Secret::new(card_fingerprint_bytes(request_phrase, label.as_bytes()))
}

fn card_fingerprint_bytes(key: &Secret, data: &[u8]) -> String {
    match <Hmac<Sha256> as KeyInit>::new_from_slice(key.expose().as_bytes()) {
        Ok(mut mac) => {
            mac.update(data);
            store::hex(&mac.finalize().into_bytes())
        }
        Err(_) => String::new(),
    }
}

pub fn card_fingerprint(key: &Secret, pan_digits: &str) -> String {
    let digits: String = pan_digits.chars().filter(char::is_ascii_digit).collect();
    // HMAC takes keys of any length, so this cannot fail; an empty result would be refused by
    // the journal rather than matching anything.
    card_fingerprint_bytes(key, digits.as_bytes())
}
