//! `moto-terminal simulator`: the command line of the simulator.
//!
//! SHA phrases come from the environment (`APS_REQUEST_PHRASE`, `APS_RESPONSE_PHRASE`), never
//! from flags, so they do not show up in `ps` or shell history. Without flags or variables the
//! simulator is the documented Demo merchant.

use super::{
    DEMO_ACCESS_CODE, DEMO_REQUEST_PHRASE, DEMO_RESPONSE_PHRASE, FeedbackFormat, FeedbackTarget, SeedToken,
    SimConfig, SimError, demo_tokens,
};
use crate::aps::secret::Secret;
use crate::aps::sign::Algorithm;
use std::convert::Infallible;
use std::future::Future;
use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;

/// Runs an APS-compatible simulator (the offline Demo merchant).
#[derive(clap::Args, Debug)]
pub struct SimulatorArgs {
    /// Address to listen on; port 0 picks a free port (printed on the first line).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:0")]
    pub listen: SocketAddr,

    /// The merchant identifier requests must carry.
    #[arg(long, value_name = "M", default_value = super::DEMO_MERCHANT_IDENTIFIER)]
    pub merchant_identifier: String,

    /// The access code requests must carry (the Demo merchant's when absent).
    #[arg(long, value_name = "A", value_parser = secret)]
    pub access_code: Option<Secret>,

    /// Signature algorithm: sha256, sha512, hmac-sha256 or hmac-sha512.
    #[arg(long, value_name = "ALGORITHM", default_value = "sha256")]
    pub algorithm: Algorithm,

    /// Adds an ACTIVE token NAME for card CARD expiring YYMM (repeatable). CARD must be one of
    /// the public APS test cards (any other is refused). It is never printed back, not even in
    /// an error. The built-in demo tokens stay; a seed token of the same name replaces one.
    #[arg(long = "seed-token", value_name = "NAME:CARD:YYMM", value_parser = secret)]
    pub seed_tokens: Vec<Secret>,

    /// Keep orders and tokens in this JSON file across restarts (owner-only; no card number and
    /// no card fingerprint is written).
    #[arg(long = "state", value_name = "FILE")]
    pub state: Option<PathBuf>,

    /// One card number always maps to one token (APS's "unique tokens" account option).
    #[arg(long)]
    pub unique_tokens: bool,

    /// Serve the payment-link pages on this address of their own, which every payment_link URL
    /// names, so a link given out still opens after a restart on another --listen port. Port 0:
    /// the port kept in the --state file, or a free one the first time (then kept there).
    #[arg(long, value_name = "ADDR")]
    pub link_pages: Option<SocketAddr>,

    /// Imitate gateway latency: every API answer leaves N milliseconds after its request was
    /// processed (0 to 60000). Requests wait side by side, never one after another.
    #[arg(long, value_name = "N", default_value_t = 0, value_parser = clap::value_parser!(u64).range(0..=60_000))]
    pub latency_ms: u64,

    /// Post transaction feedback (every final transaction result and every payment-link
    /// attempt, signed with the response phrase) to this URL, as APS does to the Direct
    /// Transaction Feedback URL; retried 10 times, 10 s apart, until it answers 2xx or 302.
    #[arg(long, value_name = "URL")]
    pub feedback_url: Option<String>,

    /// Post the feedback as JSON instead of form fields.
    #[arg(long, requires = "feedback_url")]
    pub feedback_json: bool,
}

/// Wraps a flag value at once so it never reaches a `Debug` print or a clap error message.
fn secret(value: &str) -> Result<Secret, Infallible> {
    Ok(Secret::from(value))
}

impl SimulatorArgs {
    /// The configuration these flags describe. `request_phrase` / `response_phrase` are the
    /// environment values; a missing response phrase falls back to the request phrase (APS
    /// allows both to be equal), and both missing mean the Demo merchant's phrases.
    ///
    /// # Errors
    /// [`SimError::SeedToken`] for a malformed `--seed-token` (without echoing the card).
    pub fn into_config(
        self,
        request_phrase: Option<String>,
        response_phrase: Option<String>,
    ) -> Result<SimConfig, SimError> {
        let (request_phrase, response_phrase) = match (request_phrase, response_phrase) {
            (None, None) => (Secret::from(DEMO_REQUEST_PHRASE), Secret::from(DEMO_RESPONSE_PHRASE)),
            (Some(request), None) => (Secret::new(request.clone()), Secret::new(request)),
            (None, Some(response)) => (Secret::from(DEMO_REQUEST_PHRASE), Secret::new(response)),
            (Some(request), Some(response)) => (Secret::new(request), Secret::new(response)),
        };
        let seeds = self
            .seed_tokens
            .iter()
            .enumerate()
            .map(|(i, s)| {
                SeedToken::parse(s.expose()).map_err(|e| match e {
                    SimError::SeedToken { name, problem } if name.is_empty() => {
                        SimError::SeedToken { name: format!("#{}", i + 1), problem }
                    }
                    other => other,
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let mut seed_tokens: Vec<SeedToken> =
            demo_tokens().into_iter().filter(|d| !seeds.iter().any(|s| s.name == d.name)).collect();
        seed_tokens.extend(seeds);
        Ok(SimConfig {
            merchant_identifier: self.merchant_identifier,
            access_code: self.access_code.unwrap_or_else(|| Secret::from(DEMO_ACCESS_CODE)),
            request_phrase,
            response_phrase,
            algorithm: self.algorithm,
            seed_tokens,
            state_file: self.state,
            unique_tokens: self.unique_tokens,
            link_pages: self.link_pages,
            latency: std::time::Duration::from_millis(self.latency_ms),
            feedback: self.feedback_url.map(|url| FeedbackTarget {
                format: if self.feedback_json { FeedbackFormat::Json } else { FeedbackFormat::Form },
                ..FeedbackTarget::new(url)
            }),
        })
    }
}

/// Reads a phrase variable; an empty value counts as absent.
fn env_phrase(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// Runs the simulator until Ctrl-C. The first stdout line is
/// `listening on http://HOST:PORT/FortAPI/paymentApi`, the second `control token: TOKEN` (the
/// `x-sim-control-token` header the `/sim/` control API requires), flushed at once so a parent
/// process can read them.
///
/// # Errors
/// Any [`SimError`] from the configuration or start-up.
pub async fn serve(args: SimulatorArgs) -> Result<(), SimError> {
    let mut stdout = std::io::stdout();
    serve_until(args, &mut stdout, async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await
}

/// [`serve`] with the phrases from the environment, writing the listening line to `out` and
/// stopping when `until` completes.
///
/// # Errors
/// Any [`SimError`] from the configuration or start-up, or writing the line.
pub async fn serve_until<W: Write, F: Future<Output = ()>>(
    args: SimulatorArgs,
    out: &mut W,
    until: F,
) -> Result<(), SimError> {
    let listen = args.listen;
    let config = args.into_config(env_phrase("APS_REQUEST_PHRASE"), env_phrase("APS_RESPONSE_PHRASE"))?;
    let handle = super::start(config, listen).await?;
    writeln!(out, "listening on {}", handle.payment_api_url())?;
    writeln!(out, "control token: {}", handle.control_token())?;
    out.flush()?;
    until.await;
    handle.shutdown().await;
    Ok(())
}
