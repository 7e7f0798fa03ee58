//! The HTTP edge: hyper HTTP/1.1 with keep-alive, one task per connection, routing, fault
//! application and the control API.

use super::engine::{Body, Endpoint, Engine, constant_time_eq, normalize, text};
use super::faults::{Fault, FaultKind, FaultQueue};
use super::multipart;
use super::notify::Notifier;
use super::state::{RequestLog, RequestRecord};
use super::{SimError, payments::html_escape};
use crate::aps::Params;
use crate::aps::secret::Secret;
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{CONTENT_TYPE, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::task::JoinSet;

/// Largest JSON body accepted.
const JSON_LIMIT: usize = 1 << 20;
/// Largest batch upload accepted.
const UPLOAD_LIMIT: usize = 16 << 20;

/// What APS answers a request it cannot read as JSON (spec 1: an HTML HTTP 500).
const HTML_500: &str = "<!doctype html><html><head><title>HTTP Status 500 - Internal Server Error</title></head>\
<body><h1>HTTP Status 500 - Internal Server Error</h1><p>The server encountered an unexpected condition \
that prevented it from fulfilling the request.</p></body></html>";

/// The header that carries the control token on every `/sim/` request.
pub const CONTROL_TOKEN_HEADER: &str = "x-sim-control-token";

/// Everything the connection tasks share.
pub(crate) struct Shared {
    pub engine: Engine,
    pub faults: FaultQueue,
    pub log: RequestLog,
    /// Random per start; `/sim/` requests without it are refused.
    pub control_token: Secret,
    /// How long every API answer waits before it leaves (`SimConfig::latency`).
    pub latency: Duration,
    /// Transaction feedback to the merchant's URL (spec 3.13).
    pub notifier: Notifier,
}

impl Shared {
    pub(crate) fn new(engine: Engine, control_token: Secret, latency: Duration, notifier: Notifier) -> Self {
        Self {
            engine,
            faults: FaultQueue::default(),
            log: RequestLog::default(),
            control_token,
            latency,
            notifier,
        }
    }

    /// Posts the signed result of a link payment to the feedback URL, if one is set.
    pub(crate) fn post_link_result(&self, view: &super::OrderView) {
        let mut result = super::notify::link_result(view, self.engine.merchant_identifier());
        self.engine.sign_response(&mut result);
        self.notifier.post(result);
    }

    /// True when the request carries this run's control token.
    fn authorized<B>(&self, req: &Request<B>) -> bool {
        req.headers()
            .get(CONTROL_TOKEN_HEADER)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|given| constant_time_eq(given, self.control_token.expose()))
    }
}

/// Returned by the service to make hyper close the connection without writing a response.
#[derive(Debug)]
pub(crate) struct DropConnection;

impl std::fmt::Display for DropConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped on purpose (fault injection)")
    }
}

impl std::error::Error for DropConnection {}

type HttpResult = Result<Response<Full<Bytes>>, DropConnection>;

/// What one listener answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Routes {
    /// The API, the link pages and the control API.
    All,
    /// The payment-link pages only (their own address: see `link_pages`).
    LinkPages,
}

/// Accepts connections until `stop` changes or its sender is dropped, then closes them all.
pub(crate) async fn serve(
    listener: TcpListener,
    shared: Arc<Shared>,
    mut stop: tokio::sync::watch::Receiver<bool>,
    routes: Routes,
) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            changed = stop.changed() => {
                if changed.is_err() || *stop.borrow() {
                    break;
                }
            }
            accepted = listener.accept() => {
                let Ok((stream, _peer)) = accepted else {
                    // Out of file descriptors or similar: back off instead of spinning.
                    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                    continue;
                };
                // Small request/response pairs: never wait for Nagle.
                let _ = stream.set_nodelay(true);
                let shared = Arc::clone(&shared);
                connections.spawn(async move {
                    let service =
                        hyper::service::service_fn(move |req| handle(Arc::clone(&shared), req, routes));
                    let connection = hyper::server::conn::http1::Builder::new()
                        .timer(TokioTimer::new())
                        .keep_alive(true)
                        .serve_connection(TokioIo::new(stream), service);
                    let _ = connection.await;
                });
            }
        }
        while connections.try_join_next().is_some() {}
    }
    drop(listener);
    connections.shutdown().await;
}

async fn handle(shared: Arc<Shared>, req: Request<Incoming>, routes: Routes) -> HttpResult {
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    if routes == Routes::LinkPages && !path.starts_with("/pay/") {
        return Ok(plain(
            StatusCode::NOT_FOUND,
            "not found: this address serves payment link pages only, under /pay/",
        ));
    }
    match (&method, path.as_str()) {
        (&Method::POST, "/FortAPI/paymentApi" | "/FortAPI/paymentApi/") => {
            late(&shared, json_api(&shared, Endpoint::PaymentApi, req)).await
        }
        (&Method::POST, "/FortAPI/batchApi" | "/FortAPI/batchApi/") => {
            late(&shared, json_api(&shared, Endpoint::BatchApi, req)).await
        }
        (&Method::POST, "/FortAPI/upload" | "/FortAPI/upload/") => late(&shared, upload(&shared, req)).await,
        (_, "/FortAPI/paymentApi" | "/FortAPI/paymentApi/" | "/FortAPI/batchApi" | "/FortAPI/batchApi/")
        | (_, "/FortAPI/upload" | "/FortAPI/upload/") => {
            Ok(plain(StatusCode::METHOD_NOT_ALLOWED, "use POST"))
        }
        _ if path.starts_with("/pay/") => pay_page(&shared, method, &path),
        _ if path.starts_with("/sim/") && !shared.authorized(&req) => Ok(error(
            StatusCode::FORBIDDEN,
            "the control API needs the control token that `moto-terminal simulator` printed when it started, \
             sent as the x-sim-control-token header",
        )),
        _ if path.starts_with("/sim/") => control(&shared, method, &path, req).await,
        _ => Ok(plain(
            StatusCode::NOT_FOUND,
            "not found: the APS endpoints are under /FortAPI/, payment link pages under /pay/, the control API under /sim/",
        )),
    }
}

/// Runs one API call, then holds its answer (a dropped connection too) for the configured
/// latency. Each request sleeps on its own timer, so requests in flight together wait side by
/// side: the latency delays them, it never serialises them.
async fn late(shared: &Shared, call: impl Future<Output = HttpResult>) -> HttpResult {
    let answer = call.await;
    if !shared.latency.is_zero() {
        tokio::time::sleep(shared.latency).await;
    }
    answer
}

/// Reads a body up to `limit` bytes; `None` when it is larger. A broken connection drops.
async fn read_body(req: Request<Incoming>, limit: usize) -> Result<Option<Bytes>, DropConnection> {
    match Limited::new(req.into_body(), limit).collect().await {
        Ok(collected) => Ok(Some(collected.to_bytes())),
        Err(e) if e.downcast_ref::<http_body_util::LengthLimitError>().is_some() => Ok(None),
        Err(_) => Err(DropConnection),
    }
}

/// The request as APS reads it: a flat JSON object, numbers turned into text.
fn parse_json(body: &[u8]) -> Option<Params> {
    match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(serde_json::Value::Object(map)) => Some(normalize(map)),
        _ => None,
    }
}

fn command_of(req: &Params) -> Option<String> {
    ["command", "query_command", "service_command"].into_iter().find_map(|f| text(req, f)).map(str::to_owned)
}

async fn json_api(shared: &Shared, endpoint: Endpoint, req: Request<Incoming>) -> HttpResult {
    let Some(body) = read_body(req, JSON_LIMIT).await? else {
        return Ok(plain(StatusCode::PAYLOAD_TOO_LARGE, "the request body is larger than 1 MiB"));
    };
    let Some(params) = parse_json(&body) else {
        shared.log.push(record(endpoint, None, None, None, 500));
        return Ok(html_500());
    };
    run(shared, endpoint, &params, |engine| engine.handle_json(endpoint, &params)).await
}

async fn upload(shared: &Shared, req: Request<Incoming>) -> HttpResult {
    let content_type =
        req.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let Some(body) = read_body(req, UPLOAD_LIMIT).await? else {
        return Ok(plain(StatusCode::PAYLOAD_TOO_LARGE, "the batch file is larger than 16 MiB"));
    };
    let parts = multipart::boundary(&content_type).and_then(|b| multipart::parse(&body, &b));
    let Ok(parts) = parts else {
        shared.log.push(record(Endpoint::Upload, None, None, None, 500));
        return Ok(html_500());
    };
    let mut params = Params::new();
    let mut file = None;
    for part in parts {
        if part.name == "file" {
            file = Some(part.data);
        } else {
            let value = String::from_utf8_lossy(&part.data).into_owned();
            params.insert(part.name, serde_json::Value::String(value));
        }
    }
    run(shared, Endpoint::Upload, &params, |engine| engine.handle_upload(&params, file.as_deref())).await
}

/// Applies the next matching fault around one API call and logs the request.
async fn run(
    shared: &Shared,
    endpoint: Endpoint,
    req: &Params,
    call: impl FnOnce(&Engine) -> Body,
) -> HttpResult {
    let command = command_of(req);
    let fault = shared.faults.take(command.as_deref());
    let kind = fault.as_ref().map(|f| f.fault);
    let log = |response_code: Option<String>, http_status: u16| {
        let mut rec = record(endpoint, command.clone(), Some(req), response_code, http_status);
        rec.fault = kind;
        shared.log.push(rec);
    };
    match kind {
        Some(FaultKind::DropBeforeCommit) => {
            log(None, 0);
            return Err(DropConnection);
        }
        Some(FaultKind::Http500Uncommitted) => {
            log(None, 500);
            return Ok(html_500());
        }
        _ => {}
    }
    let body = call(&shared.engine);
    let mut out = match body {
        Body::Csv(csv) => {
            log(None, 200);
            return finish_csv(fault, csv).await;
        }
        Body::Json(out) => out,
    };
    if endpoint == Endpoint::PaymentApi && Notifier::wants(command.as_deref(), &out) {
        // APS posts what it did, whatever happens to the answer on its way back.
        let mut result = out.clone();
        shared.engine.sign_response(&mut result);
        shared.notifier.post(result);
    }
    let response_code = text(&out, "response_code").map(str::to_owned);
    match kind {
        Some(FaultKind::DropAfterCommit) => {
            log(response_code, 0);
            return Err(DropConnection);
        }
        Some(FaultKind::Http500Committed) => {
            log(response_code, 500);
            return Ok(html_500());
        }
        Some(FaultKind::UncertainCommitted) => {
            super::engine::put(&mut out, "response_code", "15777");
            super::engine::put(&mut out, "status", "15");
            super::engine::put(&mut out, "response_message", super::engine::message(req, "777"));
        }
        _ => {}
    }
    if kind == Some(FaultKind::BadSignature) {
        shared.engine.sign_response_wrongly(&mut out);
    } else {
        shared.engine.sign_response(&mut out);
    }
    log(text(&out, "response_code").map(str::to_owned), 200);
    let mut bytes = serde_json::to_vec(&out).unwrap_or_default();
    match fault {
        Some(f) if f.fault == FaultKind::GarbledBody => bytes.truncate(bytes.len() / 2),
        Some(f) if f.fault == FaultKind::Delay => tokio::time::sleep(f.delay_duration()).await,
        _ => {}
    }
    Ok(with_type(StatusCode::OK, "application/json;charset=UTF-8", bytes))
}

/// The batch results file; only the delay and drop-after faults make sense for it.
async fn finish_csv(fault: Option<Fault>, csv: String) -> HttpResult {
    match fault.as_ref().map(|f| f.fault) {
        Some(FaultKind::DropAfterCommit) => return Err(DropConnection),
        Some(FaultKind::Http500Committed) => return Ok(html_500()),
        Some(FaultKind::Delay) => {
            if let Some(f) = &fault {
                tokio::time::sleep(f.delay_duration()).await;
            }
        }
        _ => {}
    }
    let mut bytes = csv.into_bytes();
    if fault.as_ref().is_some_and(|f| f.fault == FaultKind::GarbledBody) {
        bytes.truncate(bytes.len() / 2);
    }
    Ok(with_type(StatusCode::OK, "text/csv;charset=UTF-8", bytes))
}

fn record(
    endpoint: Endpoint,
    command: Option<String>,
    req: Option<&Params>,
    response_code: Option<String>,
    http_status: u16,
) -> RequestRecord {
    let get = |name: &str| req.and_then(|r| text(r, name)).map(str::to_owned);
    RequestRecord {
        endpoint: endpoint.name().to_owned(),
        command,
        merchant_reference: get("merchant_reference"),
        maintenance_reference: get("maintenance_reference"),
        response_code,
        fault: None,
        http_status,
    }
}

/// The control API (see the module docs of `sim`).
async fn control(shared: &Shared, method: Method, path: &str, req: Request<Incoming>) -> HttpResult {
    let segments: Vec<&str> = path.trim_start_matches("/sim/").trim_end_matches('/').split('/').collect();
    match (method, segments.as_slice()) {
        (Method::GET, ["faults"]) => {
            Ok(json(StatusCode::OK, &serde_json::json!({ "faults": shared.faults.list() })))
        }
        (Method::DELETE, ["faults"]) => {
            shared.faults.clear();
            Ok(json(StatusCode::OK, &serde_json::json!({ "faults": [] })))
        }
        (Method::POST, ["faults"]) => {
            let Some(body) = read_body(req, JSON_LIMIT).await? else {
                return Ok(error(StatusCode::PAYLOAD_TOO_LARGE, "body too large"));
            };
            match serde_json::from_slice::<Fault>(&body) {
                Ok(fault) => {
                    shared.faults.push(fault);
                    Ok(json(StatusCode::OK, &serde_json::json!({ "faults": shared.faults.list() })))
                }
                Err(e) => Ok(error(
                    StatusCode::BAD_REQUEST,
                    &format!(
                        "{e}: send {{\"fault\":\"drop_after_commit\",\"count\":1,\"command\":\"PURCHASE\"}}; faults are \
                         drop_after_commit, drop_before_commit, delay (with delay_ms), http500_committed, \
                         http500_uncommitted, garbled_body, bad_signature, uncertain_committed"
                    ),
                )),
            }
        }
        (Method::GET, ["orders"]) => Ok(json(
            StatusCode::OK,
            &serde_json::json!({ "orders": shared.engine.orders(), "movements": shared.engine.movements() }),
        )),
        (Method::GET, ["requests"]) => {
            Ok(json(StatusCode::OK, &serde_json::json!({ "requests": shared.log.list() })))
        }
        (Method::POST, ["links", id, "pay"]) => match shared.engine.mark_link_paid(id) {
            Ok(order) => Ok(json(StatusCode::OK, &order)),
            Err(e @ SimError::LinkNotFound(_)) => Ok(error(StatusCode::NOT_FOUND, &e.to_string())),
            Err(e @ SimError::LinkAlreadyPaid(_)) => Ok(error(StatusCode::CONFLICT, &e.to_string())),
            Err(e @ SimError::LinkExpired(_)) => Ok(error(StatusCode::GONE, &e.to_string())),
            Err(e) => Ok(error(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string())),
        },
        _ => Ok(error(
            StatusCode::NOT_FOUND,
            "unknown control endpoint: use /sim/faults, /sim/orders, /sim/requests, /sim/links/{id}/pay",
        )),
    }
}

/// The customer's side of a payment link (no control token: the customer has only the link):
/// `GET /pay/{id}` shows the page, `POST /pay/{id}` is its Pay button.
fn pay_page(shared: &Shared, method: Method, path: &str) -> HttpResult {
    let id = path.trim_start_matches("/pay/").trim_end_matches('/');
    let html = |status, body: String| Ok(with_type(status, "text/html;charset=UTF-8", body.into_bytes()));
    let not_found = || {
        let body = format!(
            "<!doctype html><html><body><h1>Payment link {} not found</h1></body></html>",
            html_escape(id)
        );
        html(StatusCode::NOT_FOUND, body)
    };
    if method == Method::POST {
        match shared.engine.mark_link_paid(id) {
            Ok(view) => shared.post_link_result(&view),
            Err(SimError::LinkAlreadyPaid(_)) => {}
            Err(SimError::LinkNotFound(_)) => return not_found(),
            Err(e) => {
                let body = format!(
                    "<!doctype html><html><body><h1>{}</h1></body></html>",
                    html_escape(&e.to_string())
                );
                return html(StatusCode::CONFLICT, body);
            }
        }
    } else if method != Method::GET {
        return Ok(plain(StatusCode::METHOD_NOT_ALLOWED, "use GET or POST"));
    }
    match shared.engine.link_page(id) {
        Some(page) => html(StatusCode::OK, page),
        None => not_found(),
    }
}

fn with_type(status: StatusCode, content_type: &'static str, body: Vec<u8>) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

fn html_500() -> Response<Full<Bytes>> {
    with_type(StatusCode::INTERNAL_SERVER_ERROR, "text/html;charset=UTF-8", HTML_500.as_bytes().to_vec())
}

fn plain(status: StatusCode, message: &str) -> Response<Full<Bytes>> {
    with_type(status, "text/plain;charset=UTF-8", message.as_bytes().to_vec())
}

fn json<T: serde::Serialize>(status: StatusCode, value: &T) -> Response<Full<Bytes>> {
    match serde_json::to_vec(value) {
        Ok(bytes) => with_type(status, "application/json", bytes),
        Err(e) => plain(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
    }
}

fn error(status: StatusCode, message: &str) -> Response<Full<Bytes>> {
    json(status, &serde_json::json!({ "error": message }))
}
