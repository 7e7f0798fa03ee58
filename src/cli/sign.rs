//! `sign` and `verify`: the signature rule on the command line, for merchants debugging a
//! signature mismatch. The phrase comes from an environment variable, never from argv, where
//! any user of the machine could read it in the process list.

use super::{Exit, read_stdin_json};
use crate::aps::sign::{self, Algorithm};

#[derive(clap::Args, Debug)]
pub struct SignArgs {
    /// sha256, sha512, hmac-sha256 or hmac-sha512, as set in the APS security settings.
    #[arg(long)]
    pub algorithm: String,
    /// Environment variable holding the SHA phrase.
    #[arg(long, default_value = "APS_PHRASE")]
    pub phrase_env: String,
    /// Also print the string that was hashed, with the phrase shown as <phrase> (and the card
    /// number masked, the CVV and access code as placeholders).
    #[arg(long)]
    pub show_string: bool,
}

#[derive(clap::Args, Debug)]
pub struct VerifyArgs {
    /// sha256, sha512, hmac-sha256 or hmac-sha512, as set in the APS security settings.
    #[arg(long)]
    pub algorithm: String,
    /// Environment variable holding the SHA response phrase.
    #[arg(long, default_value = "APS_PHRASE")]
    pub phrase_env: String,
}

fn algorithm_and_phrase(algorithm: &str, phrase_env: &str) -> Result<(Algorithm, String), Exit> {
    let algorithm: Algorithm = algorithm.parse().map_err(|e| Exit::usage(format!("{e}")))?;
    let phrase = std::env::var(phrase_env).ok().filter(|p| !p.is_empty()).ok_or_else(|| {
        Exit::usage(format!("no SHA phrase: set the environment variable {phrase_env} (the phrase is never read from the command line)"))
    })?;
    Ok((algorithm, phrase))
}

/// Prints the lower-case hex signature of the JSON object on stdin.
///
/// # Errors
/// Usage errors (exit 2) for bad JSON, an unknown algorithm or a missing phrase.
pub fn run_sign(args: &SignArgs) -> Result<(), Exit> {
    let (algorithm, phrase) = algorithm_and_phrase(&args.algorithm, &args.phrase_env)?;
    let params = read_stdin_json()?;
    if args.show_string {
        println!("{}", sign::string_to_sign_masked(&masked_for_display(&params), &[]));
    }
    println!("{}", sign::sign(&params, &phrase, algorithm));
    Ok(())
}

/// Prints `valid` (exit 0) or `invalid` (exit 1) for the response JSON on stdin.
///
/// # Errors
/// Usage errors (exit 2), or [`Exit::failed`] when the signature does not verify.
pub fn run_verify(args: &VerifyArgs) -> Result<(), Exit> {
    let (algorithm, phrase) = algorithm_and_phrase(&args.algorithm, &args.phrase_env)?;
    let params = read_stdin_json()?;
    match sign::verify(&params, &phrase, algorithm) {
        Ok(()) => {
            println!("valid");
            Ok(())
        }
        Err(e) => {
            println!("invalid");
            Err(Exit::failed_quiet(e.to_string()))
        }
    }
}

/// The parameters as they may be shown: card number masked (first 6 / last 4), CVV and access
/// code replaced by placeholders. Only for display; the signature uses the real values.
fn masked_for_display(params: &crate::aps::Params) -> crate::aps::Params {
    let mut shown = params.clone();
    for (name, value) in shown.iter_mut() {
        let placeholder = match name.as_str() {
            // Whatever its JSON type: a number (as some SDKs send it) is masked as its digits.
            "card_number" => Some(match value {
                serde_json::Value::String(digits) => crate::aps::card::mask_pan(digits),
                serde_json::Value::Number(n) => crate::aps::card::mask_pan(&n.to_string()),
                _ => "<card_number>".to_owned(),
            }),
            "card_security_code" => Some("<card_security_code>".to_owned()),
            "access_code" => Some("<access_code>".to_owned()),
            _ => None,
        };
        if let Some(text) = placeholder {
            *value = serde_json::Value::String(text);
        }
    }
    shown
}
