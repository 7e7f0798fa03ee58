//! `sim`: an APS-compatible HTTP server that runs in-process or as `moto-terminal simulator`.
//!
//! APS cannot be reached from a training room, a CI machine or a laptop on a plane, yet the
//! terminal must be shown, tested and benchmarked against something that behaves like APS down
//! to the response codes and signatures. This module is that something: the built-in "Demo
//! merchant", the test bed of every integration test, and the benchmark target. It uses the same
//! `aps` rules as the client (signatures, field rules, card rules, message texts), so a rule
//! fixed in one place is fixed for both.
//!
//! # Endpoints (HTTP/1.1, keep-alive)
//!
//! | Method and path | Body | What |
//! |---|---|---|
//! | `POST /FortAPI/paymentApi` | JSON object | every payment, maintenance, check-status, token and payment-link command |
//! | `POST /FortAPI/upload/` | `multipart/form-data` | `UPLOAD_BATCH_FILE` (text fields + a `file` part holding the CSV) |
//! | `POST /FortAPI/batchApi/` | JSON object | `GET_BATCH_RESULTS`, `PROCESS_BATCH` |
//! | `GET /pay/{payment_link_id}` | | the `payment_link` target: a small HTML page with a Pay button |
//! | `POST /pay/{payment_link_id}` | | that Pay button: the customer paid with the demo Visa card |
//!
//! With a latency set ([`SimConfig::latency`], `moto-terminal simulator --latency-ms N`), every
//! answer of the three `/FortAPI/` endpoints leaves that long after its request was processed,
//! each on its own timer: requests in flight together are delayed together, never queued.
//!
//! The two `/pay/` pages are the customer's side of a payment link and need no token, as a real
//! payment link needs none: whoever has the link may pay it. With [`SimConfig::link_pages`] they
//! are (also) served on an address of their own, which the links name, so a link outlives the
//! API's port (the Demo merchant in the terminal: [`SimConfig::demo_in`]).
//!
//! A body that is not a JSON object gets HTTP 500 with an HTML page, as APS answers a
//! form-encoded body (spec 1).
//!
//! # Control API (`/sim/`, with the control token)
//!
//! Every start draws a random control token ([`SimHandle::control_token`];
//! `moto-terminal simulator` prints it on its second line). Every `/sim/` request must carry it
//! in the `x-sim-control-token` header ([`CONTROL_TOKEN_HEADER`]); without it the answer is
//! HTTP 403 and nothing changes, so another program or a web page on the same computer cannot
//! inject faults, read the orders or mark links paid.
//!
//! | Method and path | Body / answer |
//! |---|---|
//! | `POST /sim/faults` | `{"fault":"drop_after_commit","count":1,"command":"PURCHASE","delay_ms":2000}`; `count` defaults to 1, `command` (optional) limits the fault to requests with that `command` / `query_command` / `service_command`, `delay_ms` is for `delay` (default 1000). Answers the queued faults. |
//! | `GET /sim/faults` | the queued faults |
//! | `DELETE /sim/faults` | clears every queued fault |
//! | `GET /sim/orders` | `{"orders":[OrderView..],"movements":[Movement..]}`: what was really committed |
//! | `GET /sim/requests` | `{"requests":[RequestRecord..]}`: the last 10,000 API requests, to count hits |
//! | `POST /sim/links/{payment_link_id}/pay` | marks a payment link paid (the customer paid with the demo Visa card); answers the order, 404 unknown, 409 already paid, 410 expired |
//!
//! Fault kinds ([`FaultKind`]), applied to the next `count` matching requests, first queued first:
//!
//! | `fault` | Committed? | The client sees |
//! |---|---|---|
//! | `drop_before_commit` | no | the connection closed without an answer |
//! | `drop_after_commit` | yes | the connection closed without an answer |
//! | `delay` | yes | the normal answer, `delay_ms` late |
//! | `http500_committed` | yes | HTTP 500 with an HTML body |
//! | `http500_uncommitted` | no | HTTP 500 with an HTML body |
//! | `garbled_body` | yes | HTTP 200 with half of the JSON body |
//! | `bad_signature` | yes | the normal answer signed with the wrong phrase |
//! | `uncertain_committed` | yes | `15777` (status 15, "processed but confirmation not received") |
//!
//! # The Demo merchant
//!
//! [`SimConfig::demo`]: merchant identifier [`DEMO_MERCHANT_IDENTIFIER`], access code
//! [`DEMO_ACCESS_CODE`], request phrase [`DEMO_REQUEST_PHRASE`], response phrase
//! [`DEMO_RESPONSE_PHRASE`], SHA-256. These are made up and public on purpose: they only ever
//! open this simulator. Built-in ACTIVE tokens for the public APS test cards (spec 6):
//!
//! | token_name | card | expiry (YYMM) | charging it |
//! |---|---|---|---|
//! | `DEMO-VISA-0001` | Visa 400555******0001 | 3012 | approved |
//! | `DEMO-MC-2346` | Mastercard 512345******2346 | 3012 | approved |
//! | `DEMO-AMEX-4564` | AMEX 345678*****4564 | 3012 | approved |
//! | `DEMO-MADA-5689` | MADA 529741******5689 | 3012 | approved |
//! | `DEMO-VISA-DECLINED-0242` | Visa 491678******0242 | 3012 | declined by the issuer (`13666` / `03666`) |
//! | `DEMO-MC-EXPIRED-2346` | Mastercard 512345******2346 | 2001 | card expired (`13012` / `03012`) |
//!
//! # Documented declines (PURCHASE and AUTHORIZATION, by token or card, and batch rows)
//!
//! | Trigger | Answer | Order recorded |
//! |---|---|---|
//! | card 4916783391760242 (a public "Visa declined" test card) | `13666` / `03666` "Transaction declined" | yes, DECLINED, no money |
//! | amount whose minor units end in `51` (e.g. 10.51) | `13029` / `03029` "Insufficient funds" | yes, DECLINED, no money |
//! | card or token expiry in the past (real current date) | `13012` / `03012` "Card expired" | no |
//! | card number failing Luhn | `13016` / `03016` "Invalid card number" | no |
//! | a valid card number that is not a public test card ([`TEST_CARDS`]: spec 6 and 4916783391760242) | `13016` / `03016` "Invalid card number" (`53016` for CREATE_TOKEN) | no |
//! | card of no supported brand | `13003` / `03003` "Payment option not available" | no |
//! | unknown token | `13044` / `03044` "Token name does not exist" | no |
//! | INACTIVE token | `13014` / `03014` "Inactive payment option" | no |
//!
//! (`13...` answers a PURCHASE, `03...` an AUTHORIZATION.) These are definitive failures in the
//! classification of spec 5.4.
//!
//! Only the public test cards are accepted, anywhere a card number can arrive (charges,
//! CREATE_TOKEN, `--seed-token`): a real customer's card typed into the Demo by mistake is
//! refused as APS refuses an invalid number, so it never reaches the state file or the log.
//!
//! # Where APS is UNKNOWN (spec 10), the simulator's reading
//!
//! - A repeated `merchant_reference` on a new payment or payment link: `00066` "Merchant
//!   reference already exists" (the real code may be `007`; spec 8). A declined order keeps its
//!   reference too.
//! - Several partial captures are allowed up to the authorized amount (`05042` beyond it).
//! - A REFUND repeating the `maintenance_reference` of a successful refund: `07047` "Order
//!   already processed", no money moves; a failed refund's reference may be retried.
//! - CHECK_STATUS of an unknown order (or unknown `maintenance_reference`): `11036`.
//! - Maintenance on an order in the wrong state (capture of a purchase, void after capture,
//!   refund before capture): the operation's failure status with `034` "Operation not allowed";
//!   an unknown order: failure status with `036`.
//! - `UPLOAD_BATCH_FILE` signs every text field but not the `file` part. The batch CSV has a
//!   header row naming request parameters (`command`, `merchant_reference`, `amount`,
//!   `currency`, `eci`, `token_name`, `agreement_id`, `fort_id`, `maintenance_reference`, ...);
//!   rows may be `PURCHASE` with `eci=RECURRING`, `CAPTURE`, `REFUND`, `VOID_AUTHORIZATION`. A
//!   card number column is refused. After `PROCESS_BATCH`, `GET_BATCH_RESULTS` answers the
//!   per-line results as a `text/csv` body (as the APS batch guide shows), line numbers counting
//!   the header as line 1.
//! - `CREATE_TOKEN` is accepted as JSON on `paymentApi` with card fields signed.
//! - ECOMMERCE charges with card data are accepted without 3-D Secure.
//! - Every answer carries a `fort_id`: the order's for order operations, a fresh one otherwise,
//!   except CHECK_STATUS, which carries the order's id or, when no order is found or the query is
//!   refused, none beyond an echoed one (a made-up id would pass for the order's).
//!
//! # State
//!
//! One in-memory state behind one lock, held only for the synchronous state change. With
//! `--state FILE` it is written as JSON (temp file, then rename) after every committed change,
//! before the answer leaves, and loaded at start; the file is readable by its owner only from
//! creation and never written through a symbolic link. No card number and no fingerprint of one
//! is kept: tokens hold the masked number, BIN and last four. Unique-token mode recognises a
//! card by its masked number, which is unique among the accepted test cards.

pub mod args;
mod batch;
mod cards;
mod engine;
mod faults;
mod handle;
mod http;
mod link_controls;
mod link_pages;
mod multipart;
mod notify;
mod payments;
mod state;
mod tokens;

pub use cards::TEST_CARDS;
pub use faults::{Fault, FaultKind};
pub use handle::SimHandle;
pub use http::CONTROL_TOKEN_HEADER;
pub use notify::{Delivery, FeedbackFormat, FeedbackTarget};
pub use payments::agreements::Agreement as RecurringAgreement;
pub use state::{Movement, MovementKind, OrderState, OrderView, RequestRecord};

use crate::aps::secret::Secret;
use crate::aps::sign::Algorithm;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// The Demo merchant's identifier (made up; it only opens this simulator).
pub const DEMO_MERCHANT_IDENTIFIER: &str = "MotoDemo";
/// The Demo merchant's access code (made up).
pub const DEMO_ACCESS_CODE: &str = "DemoAccessCode000001";
/// The Demo merchant's SHA request phrase (made up).
pub const DEMO_REQUEST_PHRASE: &str = "DemoRequestPhrase.1";
/// The Demo merchant's SHA response phrase (made up).
pub const DEMO_RESPONSE_PHRASE: &str = "DemoResponsePhrase.2";

/// A token that exists when the simulator starts. The card number is held as a [`Secret`] so a
/// `Debug` of the configuration never shows it.
#[derive(Clone)]
pub struct SeedToken {
    pub name: String,
    pub card_number: Secret,
    /// `YYMM`, as APS sends `expiry_date`.
    pub expiry: String,
}

impl SeedToken {
    pub fn new(name: &str, card_number: &str, expiry: &str) -> Self {
        Self { name: name.to_owned(), card_number: Secret::from(card_number), expiry: expiry.to_owned() }
    }

    /// Parses the `--seed-token NAME:CARD:YYMM` form. The error never repeats the card number.
    ///
    /// # Errors
    /// [`SimError::SeedToken`] naming what is wrong.
    pub fn parse(text: &str) -> Result<Self, SimError> {
        let mut parts = text.split(':');
        let (Some(name), Some(card), Some(expiry), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(SimError::SeedToken {
                name: String::new(),
                problem: "write it as NAME:CARD:YYMM, for example DEMO-1:<test card number>:3012".into(),
            });
        };
        let token = Self::new(name.trim(), card.trim(), expiry.trim());
        token.check()?;
        Ok(token)
    }

    /// Checks the name, card and expiry with the same rules APS applies to a request.
    ///
    /// # Errors
    /// [`SimError::SeedToken`]; the message shows the token name, never the card number.
    pub fn check(&self) -> Result<(), SimError> {
        let err =
            |problem: &str| SimError::SeedToken { name: self.name.clone(), problem: problem.to_owned() };
        if self.name.is_empty() {
            return Err(err("the token name is empty"));
        }
        if crate::aps::fields::check(crate::aps::field::Field::TokenName, &self.name).is_err() {
            return Err(err("the token name may hold letters, digits and _ - . @, at most 100"));
        }
        match crate::aps::card::CardNumber::parse(self.card_number.expose()) {
            Ok(card) if cards::is_test_card(card.expose()) => {}
            Ok(_) => return Err(err("the card number is not one of the public APS test cards (spec 6)")),
            Err(_) => return Err(err("the card number is not a valid card number (use a public test card)")),
        }
        if crate::aps::card::Expiry::from_wire(&self.expiry).is_err() {
            return Err(err("the expiry must be YYMM, for example 3012 for December 2030"));
        }
        Ok(())
    }
}

impl std::fmt::Debug for SeedToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SeedToken")
            .field("name", &self.name)
            .field("card_number", &crate::aps::card::mask_pan(self.card_number.expose()))
            .field("expiry", &self.expiry)
            .finish()
    }
}

/// Who the simulator pretends to be, and with which tokens it starts.
#[derive(Clone, Debug)]
pub struct SimConfig {
    pub merchant_identifier: String,
    pub access_code: Secret,
    pub request_phrase: Secret,
    pub response_phrase: Secret,
    pub algorithm: Algorithm,
    pub seed_tokens: Vec<SeedToken>,
    /// Where to keep orders and tokens across restarts; `None` keeps them in memory only.
    pub state_file: Option<PathBuf>,
    /// APS's account option where one card number always maps to one token (spec 3.9).
    pub unique_tokens: bool,
    /// Gateway latency to imitate: every API answer waits this long, each request on its own
    /// timer, so requests in flight together are delayed together, never one after another.
    pub latency: Duration,
    /// Where to post transaction feedback (spec 3.13); `None` posts nothing.
    pub feedback: Option<FeedbackTarget>,
    /// Serve the customers' payment-link pages on an address of their own, which the
    /// `payment_link` URLs then name, so a link given out stays valid when the API's port
    /// changes (see `link_pages`). Port 0: the port remembered in the state file, or a free one
    /// the first time. `None`: the pages are on the API's own address.
    pub link_pages: Option<SocketAddr>,
}

impl SimConfig {
    /// The documented Demo merchant with its built-in demo tokens (see the module docs).
    pub fn demo() -> Self {
        Self {
            merchant_identifier: DEMO_MERCHANT_IDENTIFIER.to_owned(),
            access_code: Secret::from(DEMO_ACCESS_CODE),
            request_phrase: Secret::from(DEMO_REQUEST_PHRASE),
            response_phrase: Secret::from(DEMO_RESPONSE_PHRASE),
            algorithm: Algorithm::Sha256,
            seed_tokens: demo_tokens(),
            state_file: None,
            unique_tokens: false,
            latency: Duration::ZERO,
            feedback: None,
            link_pages: None,
        }
    }

    /// The Demo merchant as the terminal runs it for the data folder `dir`: its memory in
    /// `demo-simulator.json` there, and its payment-link pages on a loopback port of their own,
    /// kept in that file, so a link given to a customer opens again after the terminal restarts
    /// (the API's port is a free one each time; see `link_pages`).
    pub fn demo_in(dir: &std::path::Path) -> Self {
        Self {
            state_file: Some(dir.join("demo-simulator.json")),
            link_pages: Some(SocketAddr::from(([127, 0, 0, 1], 0))),
            ..Self::demo()
        }
    }
}

/// The Demo merchant's tokens: the public APS test cards, plus one that the issuer declines and
/// one that has expired, so a demo can show both.
pub fn demo_tokens() -> Vec<SeedToken> {
    vec![
        SeedToken::new("DEMO-VISA-0001", "4005550000000001", "3012"),
        SeedToken::new("DEMO-MC-2346", "5123456789012346", "3012"),
        SeedToken::new("DEMO-AMEX-4564", "345678901234564", "3012"),
        SeedToken::new("DEMO-MADA-5689", "5297412542005689", "3012"),
        SeedToken::new("DEMO-VISA-DECLINED-0242", DECLINED_CARD, "3012"),
        SeedToken::new("DEMO-MC-EXPIRED-2346", "5123456789012346", "2001"),
    ]
}

/// The test card every charge declines with `666` "Transaction declined".
pub const DECLINED_CARD: &str = "4916783391760242";

/// Minor units ending in this (amount % 100) decline with `029` "Insufficient funds".
pub const INSUFFICIENT_FUNDS_ENDING: u64 = 51;

/// Why the simulator could not start or do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error("cannot listen on {addr}: {source}; choose another --listen address or port 0")]
    Bind { addr: SocketAddr, source: std::io::Error },
    #[error("state file {path}: {problem}")]
    StateFile { path: PathBuf, problem: String },
    #[error("--seed-token {name}: {problem}")]
    SeedToken { name: String, problem: String },
    #[error("{0}")]
    Config(String),
    #[error("payment link {0} does not exist: copy the payment_link_id from the PAYMENT_LINK answer")]
    LinkNotFound(String),
    #[error("payment link {0} is already paid")]
    LinkAlreadyPaid(String),
    #[error("payment link {0} has expired (request_expiry_date is in the past)")]
    LinkExpired(String),
    #[error("simulator I/O error: {0}")]
    Io(#[from] std::io::Error),
}

/// Starts the simulator on the caller's tokio runtime (use a multi-thread runtime) and returns
/// once it is listening. Bind `127.0.0.1:0` to get a free port.
///
/// # Errors
/// [`SimError::Bind`] if the address is taken, [`SimError::StateFile`] if the state file cannot
/// be read, [`SimError::SeedToken`] for an invalid seed token.
pub async fn start(config: SimConfig, listen: SocketAddr) -> Result<SimHandle, SimError> {
    for seed in &config.seed_tokens {
        seed.check()?;
    }
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|source| SimError::Bind { addr: listen, source })?;
    launch(listener, &config, &tokio::runtime::Handle::current())
}

/// [`start`] from outside async code (the Demo merchant starts on its first use, from a
/// blocking thread): binds at once and serves on `runtime`.
///
/// # Errors
/// As [`start`].
pub fn start_on(
    runtime: &tokio::runtime::Handle,
    config: SimConfig,
    listen: SocketAddr,
) -> Result<SimHandle, SimError> {
    for seed in &config.seed_tokens {
        seed.check()?;
    }
    let listener =
        std::net::TcpListener::bind(listen).map_err(|source| SimError::Bind { addr: listen, source })?;
    listener.set_nonblocking(true)?;
    let listener = {
        let _entered = runtime.enter();
        tokio::net::TcpListener::from_std(listener)?
    };
    launch(listener, &config, runtime)
}

fn launch(
    listener: tokio::net::TcpListener,
    config: &SimConfig,
    runtime: &tokio::runtime::Handle,
) -> Result<SimHandle, SimError> {
    let addr = listener.local_addr()?;
    let base_url = format!("http://{addr}");
    let mut engine = engine::Engine::new(config, base_url.clone())?;
    let pages = match config.link_pages {
        Some(wanted) => link_pages::bind(&mut engine, wanted, runtime)?,
        None => None,
    };
    let link_base_url = engine.base_url.clone();
    let mut token = [0u8; 16];
    getrandom::fill(&mut token).map_err(|e| {
        SimError::Config(format!("no control token: the system random generator failed: {e}"))
    })?;
    let token: String = token.iter().map(|b| format!("{b:02x}")).collect();
    let notifier = notify::Notifier::new(config.feedback.clone(), runtime.clone());
    let shared = Arc::new(http::Shared::new(engine, Secret::new(token), config.latency, notifier));
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let api = http::serve(listener, Arc::clone(&shared), stop_rx.clone(), http::Routes::All);
    let task = match pages {
        Some(pages) => {
            let pages = http::serve(pages, Arc::clone(&shared), stop_rx, http::Routes::LinkPages);
            runtime.spawn(async move {
                tokio::join!(api, pages);
            })
        }
        None => runtime.spawn(api),
    };
    Ok(SimHandle { addr, base_url, link_base_url, shared, stop: Some(stop_tx), task: Some(task) })
}
