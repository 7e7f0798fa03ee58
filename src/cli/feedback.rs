//! `moto-terminal feedback-server`: receives APS's transaction feedback (spec 3.13) and applies
//! it to the journal. It speaks plain HTTP/1.1 and is meant to sit behind the merchant's TLS
//! reverse proxy (APS posts only to HTTPS URLs); README "Transaction feedback" shows the set-up.
//!
//! Every POST, on any path, is one post. The answer is 200 once it is applied (or is about an
//! order this journal does not hold), 400 when it cannot be believed (bad or missing signature,
//! another merchant, unreadable), and 503 when it cannot be applied yet, so APS posts it again.
//! One line per post goes to stderr; it never repeats a field's value beyond the reference,
//! command and response code, and a reference holding a card number is not printed.

use super::Exit;
use crate::aps::card::contains_card_number;
use crate::aps::feedback::Post;
use crate::service::{FeedbackReply, Service};
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{CONTENT_TYPE, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use std::io::Write;
use std::net::SocketAddr;
use std::sync::Arc;

/// A post is a few dozen fields: anything larger is not APS.
const BODY_LIMIT: usize = 64 * 1024;

#[derive(clap::Args, Debug)]
pub struct FeedbackArgs {
    /// Address to listen on; port 0 picks a free port (printed on the first line).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:0")]
    pub listen: SocketAddr,
    /// The profile whose SHA response phrase checks the posts and whose journal they update.
    #[arg(long)]
    pub profile: Option<String>,
}

/// Serves until Ctrl-C. The first stdout line is `listening on http://HOST:PORT`.
///
/// # Errors
/// An unknown profile, or an address that cannot be bound.
pub async fn serve(service: &Service, profile: String, args: FeedbackArgs) -> Result<(), Exit> {
    if !service.vault().has_profile(&profile) {
        return Err(Exit::usage(format!(
            "there is no profile \"{profile}\": pass --profile with one `moto-terminal profile list` shows"
        )));
    }
    let server = FeedbackServer::start(service.clone(), profile, args.listen)
        .await
        .map_err(|e| Exit::failed(format!("cannot listen on {}: {e}", args.listen)))?;
    let mut stdout = std::io::stdout();
    let _ = writeln!(stdout, "listening on {}", server.url());
    let _ = stdout.flush();
    let _ = tokio::signal::ctrl_c().await;
    server.shutdown().await;
    Ok(())
}

/// A running receiver; dropping it stops accepting.
pub struct FeedbackServer {
    addr: SocketAddr,
    stop: Option<tokio::sync::watch::Sender<bool>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl FeedbackServer {
    /// Binds `listen` and serves posts for `profile` on the current tokio runtime.
    ///
    /// # Errors
    /// The address cannot be bound.
    pub async fn start(service: Service, profile: String, listen: SocketAddr) -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind(listen).await?;
        let addr = listener.local_addr()?;
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let task = tokio::spawn(accept(listener, Arc::new((service, profile)), stopped));
        Ok(Self { addr, stop: Some(stop), task: Some(task) })
    }

    /// `http://HOST:PORT`: where APS (or the proxy in front) posts.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting and waits for the listener to close.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(true);
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for FeedbackServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(true);
        }
    }
}

async fn accept(
    listener: tokio::net::TcpListener,
    shared: Arc<(Service, String)>,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            changed = stop.changed() => {
                if changed.is_err() || *stop.borrow() {
                    return;
                }
            }
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else {
                    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                    continue;
                };
                let shared = Arc::clone(&shared);
                tokio::spawn(async move {
                    let handler = hyper::service::service_fn(move |req| {
                        let shared = Arc::clone(&shared);
                        async move { Ok::<_, std::convert::Infallible>(answer(&shared.0, &shared.1, req).await) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .timer(TokioTimer::new())
                        .serve_connection(TokioIo::new(stream), handler)
                        .await;
                });
            }
        }
    }
}

async fn answer(service: &Service, profile: &str, req: Request<Incoming>) -> Response<Full<Bytes>> {
    if req.method() != Method::POST {
        return plain(StatusCode::METHOD_NOT_ALLOWED, "APS feedback is posted: use POST".into());
    }
    let content_type = req.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let body = match Limited::new(req.into_body(), BODY_LIMIT).collect().await {
        Ok(body) => body.to_bytes(),
        Err(_) => return refuse("the post is larger than 64 KiB or was cut off".into()),
    };
    let post = match Post::parse(content_type.as_deref(), &body) {
        Ok(post) => post,
        Err(e) => return refuse(e.to_string()),
    };
    let reply = service.take_feedback(profile, &post).await;
    let reference = if contains_card_number(&post.merchant_reference) {
        "(a reference holding a card number)"
    } else {
        post.merchant_reference.as_str()
    };
    let command =
        if post.command.chars().all(|c| c.is_ascii_uppercase() || c == '_') { &post.command } else { "?" };
    let code = if post.response_code.chars().all(|c| c.is_ascii_digit()) { &post.response_code } else { "?" };
    eprintln!("feedback {reference} {command} {code}: {}", reply.words());
    let status = StatusCode::from_u16(reply.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    plain(status, reply.words())
}

fn refuse(why: String) -> Response<Full<Bytes>> {
    let reply = FeedbackReply::Refused { why };
    eprintln!("feedback: {}", reply.words());
    plain(StatusCode::BAD_REQUEST, reply.words())
}

fn plain(status: StatusCode, text: String) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(text + "\n")));
    *response.status_mut() = status;
    response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("text/plain;charset=UTF-8"));
    response
}
