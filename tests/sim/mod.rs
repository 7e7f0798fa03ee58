//! Black-box tests of the APS simulator over real HTTP (127.0.0.1, port 0), signing requests
//! and verifying answers with `aps::sign` exactly as a client would.

mod batch;
mod cards;
mod checks;
mod cli;
mod faults;
mod latency;
mod link_pages;
mod links;
mod orders;
mod persistence;
mod tokens;

use moto_terminal::aps::Params;
use moto_terminal::aps::sign::{self, Algorithm};
use moto_terminal::sim::{
    self, DEMO_ACCESS_CODE, DEMO_MERCHANT_IDENTIFIER, DEMO_REQUEST_PHRASE, DEMO_RESPONSE_PHRASE, Movement,
    OrderView, SimConfig, SimHandle,
};
use serde_json::{Value, json};
use std::sync::atomic::{AtomicU64, Ordering};

/// A running simulator and a client that talks to it like the terminal would (and, like the
/// test bench, with the control token for `/sim/`).
pub struct Sim {
    pub handle: SimHandle,
    pub http: reqwest::Client,
    merchant_identifier: String,
    access_code: String,
    request_phrase: String,
    response_phrase: String,
    algorithm: Algorithm,
}

/// A client without the control token.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().timeout(std::time::Duration::from_secs(10)).build().unwrap()
}

/// A client that sends `token` as the control token on every request.
pub fn client_with_token(token: &str) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(sim::CONTROL_TOKEN_HEADER, token.parse().unwrap());
    reqwest::Client::builder()
        .no_proxy()
        .timeout(std::time::Duration::from_secs(10))
        .default_headers(headers)
        .build()
        .unwrap()
}

/// The Demo merchant on a free port.
pub async fn demo() -> Sim {
    start(SimConfig::demo()).await
}

pub async fn start(config: SimConfig) -> Sim {
    let merchant_identifier = config.merchant_identifier.clone();
    let access_code = config.access_code.expose().to_owned();
    let request_phrase = config.request_phrase.expose().to_owned();
    let response_phrase = config.response_phrase.expose().to_owned();
    let algorithm = config.algorithm;
    let handle = sim::start(config, "127.0.0.1:0".parse().unwrap()).await.unwrap();
    Sim {
        http: client_with_token(handle.control_token()),
        handle,
        merchant_identifier,
        access_code,
        request_phrase,
        response_phrase,
        algorithm,
    }
}

/// A merchant reference no other test uses.
pub fn reference(prefix: &str) -> String {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    format!("{prefix}-{}", NEXT.fetch_add(1, Ordering::Relaxed))
}

pub fn object(value: Value) -> Params {
    match value {
        Value::Object(map) => map,
        other => panic!("expected a JSON object, got {other}"),
    }
}

/// A string field of an answer ("" when absent).
pub fn field<'a>(params: &'a Params, name: &str) -> &'a str {
    params.get(name).and_then(Value::as_str).unwrap_or_default()
}

pub fn code(params: &Params) -> &str {
    field(params, "response_code")
}

impl Sim {
    /// The credentials and `language=en` plus `fields`, unsigned.
    pub fn request(&self, fields: Value) -> Params {
        let mut params = object(json!({
            "access_code": self.access_code,
            "merchant_identifier": self.merchant_identifier,
            "language": "en",
        }));
        for (name, value) in object(fields) {
            if value.is_null() {
                params.remove(&name);
            } else {
                params.insert(name, value);
            }
        }
        params
    }

    pub fn sign(&self, params: &mut Params) {
        params.remove("signature");
        let signature = sign::sign(params, &self.request_phrase, self.algorithm);
        params.insert("signature".into(), Value::String(signature));
    }

    /// Signs and posts to `paymentApi`; asserts HTTP 200 and a valid response signature.
    pub async fn send(&self, fields: Value) -> Params {
        let mut params = self.request(fields);
        self.sign(&mut params);
        self.post_signed(&self.handle.payment_api_url(), &params).await
    }

    /// Posts already-built params as they are.
    pub async fn post_signed(&self, url: &str, params: &Params) -> Params {
        let response = self.http.post(url).json(params).send().await.unwrap();
        assert_eq!(response.status(), 200);
        let answer: Params = response.json().await.unwrap();
        self.assert_signed(&answer);
        answer
    }

    pub fn assert_signed(&self, answer: &Params) {
        assert_eq!(
            sign::verify(answer, &self.response_phrase, self.algorithm),
            Ok(()),
            "response signature must verify with the response phrase: {answer:?}"
        );
    }

    pub async fn purchase(&self, reference: &str, amount: u64, token: &str) -> Params {
        self.send(json!({
            "command": "PURCHASE", "merchant_reference": reference, "amount": amount.to_string(),
            "currency": "AED", "customer_email": "agent@example.com", "eci": "MOTO", "token_name": token,
            "customer_ip": "192.0.2.10"
        }))
        .await
    }

    pub async fn authorize(&self, reference: &str, amount: u64, token: &str) -> Params {
        self.send(json!({
            "command": "AUTHORIZATION", "merchant_reference": reference, "amount": amount.to_string(),
            "currency": "AED", "customer_email": "agent@example.com", "eci": "MOTO", "token_name": token
        }))
        .await
    }

    pub async fn capture(&self, reference: &str, amount: u64) -> Params {
        self.send(json!({
            "command": "CAPTURE", "merchant_reference": reference, "amount": amount.to_string(), "currency": "AED"
        }))
        .await
    }

    pub async fn refund(&self, reference: &str, amount: u64, maintenance_reference: Option<&str>) -> Params {
        self.send(json!({
            "command": "REFUND", "merchant_reference": reference, "amount": amount.to_string(), "currency": "AED",
            "maintenance_reference": maintenance_reference
        }))
        .await
    }

    pub async fn void(&self, reference: &str) -> Params {
        self.send(json!({ "command": "VOID_AUTHORIZATION", "merchant_reference": reference })).await
    }

    pub async fn check(&self, reference: &str) -> Params {
        self.send(json!({ "query_command": "CHECK_STATUS", "merchant_reference": reference })).await
    }

    /// `GET /sim/orders`, the committed truth.
    pub async fn truth(&self) -> (Vec<OrderView>, Vec<Movement>) {
        let url = format!("{}/orders", self.handle.control_url());
        let body: Value = self.http.get(url).send().await.unwrap().json().await.unwrap();
        let orders = serde_json::from_value(body["orders"].clone()).unwrap();
        let movements = serde_json::from_value(body["movements"].clone()).unwrap();
        (orders, movements)
    }

    pub async fn truth_of(&self, reference: &str) -> Option<OrderView> {
        self.truth().await.0.into_iter().find(|o| o.merchant_reference == reference)
    }
}

#[test]
fn demo_constants_are_what_the_docs_promise() {
    assert_eq!(DEMO_MERCHANT_IDENTIFIER, "MotoDemo");
    assert_eq!(DEMO_ACCESS_CODE.len(), 20);
    assert_ne!(DEMO_REQUEST_PHRASE, DEMO_RESPONSE_PHRASE);
    let config = SimConfig::demo();
    assert_eq!(config.algorithm, Algorithm::Sha256);
    let names: Vec<&str> = config.seed_tokens.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "DEMO-VISA-0001",
            "DEMO-MC-2346",
            "DEMO-AMEX-4564",
            "DEMO-MADA-5689",
            "DEMO-VISA-DECLINED-0242",
            "DEMO-MC-EXPIRED-2346"
        ]
    );
    // Debug output of the configuration never shows a card number or a secret.
    let shown = format!("{config:?}");
    for secret in
        ["4005550000000001", "5123456789012346", DEMO_ACCESS_CODE, DEMO_REQUEST_PHRASE, DEMO_RESPONSE_PHRASE]
    {
        assert!(!shown.contains(secret), "{secret} leaked into {shown}");
    }
}
