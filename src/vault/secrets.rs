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
pub fn card_fingerprint(key: &Secret, pan_digits: &str) -> String {
    let digits: String = pan_digits.chars().filter(char::is_ascii_digit).collect();
    // HMAC takes keys of any length, so this cannot fail; an empty result would be refused by
    // the journal rather than matching anything.
    match <Hmac<Sha256> as KeyInit>::new_from_slice(key.expose().as_bytes()) {
        Ok(mut mac) => {
            mac.update(digits.as_bytes());
            store::hex(&mac.finalize().into_bytes())
        }
        Err(_) => String::new(),
    }
}
