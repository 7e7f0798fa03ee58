//! Transaction feedback, APS's sending side (spec 3.13): after every final result of a
//! transaction (purchase, authorization, capture, refund, void) and every payment attempt on a
//! payment link, APS posts the signed result to the merchant's feedback URL. An answer other
//! than HTTP 2xx or 302 (or no answer) is retried, by default 10 times, 10 s apart.
//!
//! The post is sent even when the API answer itself never reached the client (a dropped
//! connection after the commit): that is what feedback is for.

use super::engine::{message, put, text};
use super::{OrderView, SimHandle};
use crate::aps::Params;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

/// How APS encodes its posts: form fields by default, JSON on the merchant's request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum FeedbackFormat {
    #[default]
    Form,
    Json,
}

/// Where and how the simulator posts transaction feedback.
#[derive(Clone, Debug)]
pub struct FeedbackTarget {
    pub url: String,
    pub format: FeedbackFormat,
    /// Attempts after the first one that fails.
    pub retries: u32,
    /// The pause between two attempts.
    pub interval: Duration,
}

impl FeedbackTarget {
    /// APS's schedule: form posts, 10 retries, 10 s apart.
    pub fn new(url: impl Into<String>) -> Self {
        Self { url: url.into(), format: FeedbackFormat::Form, retries: 10, interval: Duration::from_secs(10) }
    }
}

/// One attempt to deliver one post, for tests and the control API.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Delivery {
    pub merchant_reference: String,
    pub command: String,
    pub response_code: String,
    /// 1 for the first attempt.
    pub attempt: u32,
    /// The receiver's HTTP status; `None` when it could not be reached.
    pub http_status: Option<u16>,
    /// True once this attempt was accepted (2xx or 302): no more attempts follow.
    pub delivered: bool,
}

/// The sending side, shared by the connection tasks and the handle.
pub(crate) struct Notifier {
    target: Mutex<Option<FeedbackTarget>>,
    deliveries: Arc<Mutex<Vec<Delivery>>>,
    runtime: tokio::runtime::Handle,
    client: Option<reqwest::Client>,
}

/// Commands whose final result APS posts.
const POSTED: [&str; 5] = ["PURCHASE", "AUTHORIZATION", "CAPTURE", "REFUND", "VOID_AUTHORIZATION"];

impl Notifier {
    pub(crate) fn new(target: Option<FeedbackTarget>, runtime: tokio::runtime::Handle) -> Self {
        let client = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().ok();
        Self { target: Mutex::new(target), deliveries: Arc::default(), runtime, client }
    }

    fn target(&self) -> Option<FeedbackTarget> {
        self.target.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    pub(crate) fn set_target(&self, target: Option<FeedbackTarget>) {
        *self.target.lock().unwrap_or_else(PoisonError::into_inner) = target;
    }

    pub(crate) fn deliveries(&self) -> Vec<Delivery> {
        self.deliveries.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// True when an API answer to `command` is a transaction result APS would post: a
    /// transaction command that APS recorded (the answer carries a Fort ID).
    pub(crate) fn wants(command: Option<&str>, answer: &Params) -> bool {
        command.is_some_and(|c| POSTED.contains(&c)) && text(answer, "fort_id").is_some()
    }

    /// Posts one signed result in the background, with the retry schedule. Nothing happens
    /// when no feedback URL is set.
    pub(crate) fn post(&self, signed: Params) {
        let (Some(target), Some(client)) = (self.target(), self.client.clone()) else { return };
        let deliveries = Arc::clone(&self.deliveries);
        self.runtime.spawn(deliver(client, target, signed, deliveries));
    }
}

async fn deliver(
    client: reqwest::Client,
    target: FeedbackTarget,
    signed: Params,
    deliveries: Arc<Mutex<Vec<Delivery>>>,
) {
    let field = |name: &str| text(&signed, name).unwrap_or_default().to_owned();
    for attempt in 1..=target.retries.saturating_add(1) {
        let request = client.post(&target.url);
        let request = match target.format {
            FeedbackFormat::Json => request.json(&signed),
            FeedbackFormat::Form => request
                .header(reqwest::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(form_body(&signed)),
        };
        let status = request.send().await.ok().map(|r| r.status().as_u16());
        let delivered = status.is_some_and(|s| (200..300).contains(&s) || s == 302);
        deliveries.lock().unwrap_or_else(PoisonError::into_inner).push(Delivery {
            merchant_reference: field("merchant_reference"),
            command: field("command"),
            response_code: field("response_code"),
            attempt,
            http_status: status,
            delivered,
        });
        if delivered {
            return;
        }
        tokio::time::sleep(target.interval).await;
    }
}

/// The flat fields of a post, form-encoded (numbers as their digits).
fn form_body(params: &Params) -> String {
    let mut form = form_urlencoded::Serializer::new(String::new());
    for (name, value) in params {
        form.append_pair(name, &value.as_str().map_or_else(|| value.to_string(), str::to_owned));
    }
    form.finish()
}

/// What APS posts when a customer pays (or fails to pay) a payment link: the transaction the
/// link made, unsigned.
pub(crate) fn link_result(view: &OrderView, merchant_identifier: &str) -> Params {
    let mut out = Params::new();
    let code = view.transaction_code.clone();
    put(&mut out, "command", view.command.clone());
    put(&mut out, "merchant_identifier", merchant_identifier);
    put(&mut out, "merchant_reference", view.merchant_reference.clone());
    put(&mut out, "fort_id", view.fort_id.clone());
    put(&mut out, "amount", view.amount.to_string());
    put(&mut out, "currency", view.currency.clone());
    put(&mut out, "status", code.get(..2).unwrap_or_default());
    let words = message(&out, code.get(2..).unwrap_or_default());
    put(&mut out, "response_message", words);
    put(&mut out, "response_code", code);
    put(&mut out, "language", "en");
    for (name, value) in
        [("payment_link_id", &view.payment_link_id), ("eci", &view.eci), ("card_number", &view.card_number)]
    {
        if let Some(value) = value {
            put(&mut out, name, value.clone());
        }
    }
    out
}

impl SimHandle {
    /// Where transaction feedback goes from now on (`None`: nowhere).
    pub fn set_feedback(&self, target: Option<FeedbackTarget>) {
        self.shared.notifier.set_target(target);
    }

    /// Every feedback delivery attempt so far, oldest first.
    pub fn feedback_deliveries(&self) -> Vec<Delivery> {
        self.shared.notifier.deliveries()
    }
}
