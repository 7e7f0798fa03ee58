//! The HTTP client never re-sends a request by itself. reqwest's default re-sends after an
//! HTTP/2 REFUSED_STREAM or GOAWAY; a real HTTP/2 server (TLS with ALPN h2, loopback, port 0)
//! that answers every request that way counts what it received: reqwest's default sends it
//! three times, the gateway once, and reports correctly whether APS can have processed it.
//!
//! The server speaks just enough HTTP/2 by hand (the frames of RFC 9113 section 6) to choose
//! the last stream id of its GOAWAY, which no server library lets a test set.

use moto_terminal::aps::Params;
use moto_terminal::gateway::{GatewayConfig, HttpGateway, TransportError};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};

const CERT: &[u8] = include_bytes!("../fixtures/tls/test-server.crt");
const KEY: &[u8] = include_bytes!("../fixtures/tls/test-server.key");

const HEADERS: u8 = 0x1;
const RST_STREAM: u8 = 0x3;
const SETTINGS: u8 = 0x4;
const GOAWAY: u8 = 0x7;
const ACK: u8 = 0x1;
const NO_ERROR: u32 = 0x0;
const REFUSED_STREAM: u32 = 0x7;

/// How the server answers each request it receives.
#[derive(Clone, Copy)]
enum Answer {
    /// RST_STREAM REFUSED_STREAM: "not processed, try again" (RFC 9113 8.7).
    RefuseStream,
    /// GOAWAY (NO_ERROR) whose last stream id is below this request's, then close.
    GoAwayBefore,
    /// GOAWAY (NO_ERROR) whose last stream id is this request's, then close without answering:
    /// the server may have processed it.
    GoAwayAfter,
}

struct H2Server {
    url: String,
    requests: Arc<AtomicUsize>,
}

fn frame(kind: u8, flags: u8, stream: u32, payload: &[u8]) -> Vec<u8> {
    let len = u32::try_from(payload.len()).unwrap().to_be_bytes();
    let mut out = vec![len[1], len[2], len[3], kind, flags];
    out.extend_from_slice(&stream.to_be_bytes());
    out.extend_from_slice(payload);
    out
}

async fn serve_connection<S>(mut io: S, answer: Answer, requests: &AtomicUsize) -> std::io::Result<()>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let mut preface = [0u8; 24];
    io.read_exact(&mut preface).await?;
    assert_eq!(&preface, b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "the client speaks HTTP/2");
    io.write_all(&frame(SETTINGS, 0, 0, &[])).await?;
    loop {
        let mut head = [0u8; 9];
        io.read_exact(&mut head).await?;
        let len = usize::from(head[0]) << 16 | usize::from(head[1]) << 8 | usize::from(head[2]);
        let (kind, flags) = (head[3], head[4]);
        let stream = u32::from_be_bytes([head[5], head[6], head[7], head[8]]) & 0x7fff_ffff;
        let mut payload = vec![0u8; len];
        io.read_exact(&mut payload).await?;
        match kind {
            SETTINGS if flags & ACK == 0 => io.write_all(&frame(SETTINGS, ACK, 0, &[])).await?,
            HEADERS => {
                requests.fetch_add(1, Ordering::SeqCst);
                let last = match answer {
                    Answer::RefuseStream => {
                        io.write_all(&frame(RST_STREAM, 0, stream, &REFUSED_STREAM.to_be_bytes())).await?;
                        continue;
                    }
                    Answer::GoAwayBefore => stream.saturating_sub(2),
                    Answer::GoAwayAfter => stream,
                };
                let mut goaway = last.to_be_bytes().to_vec();
                goaway.extend_from_slice(&NO_ERROR.to_be_bytes());
                io.write_all(&frame(GOAWAY, 0, 0, &goaway)).await?;
                io.flush().await?;
                return io.shutdown().await;
            }
            _ => {}
        }
    }
}

/// An HTTPS server on 127.0.0.1:0 that speaks only HTTP/2 and answers every request with `answer`.
async fn h2_server(answer: Answer) -> H2Server {
    let certs = vec![CertificateDer::from_pem_slice(CERT).unwrap()];
    let key = PrivateKeyDer::from_pem_slice(KEY).unwrap();
    let mut config =
        rustls::ServerConfig::builder().with_no_client_auth().with_single_cert(certs, key).unwrap();
    config.alpn_protocols = vec![b"h2".to_vec()];
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let requests = Arc::new(AtomicUsize::new(0));
    let counter = requests.clone();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let (acceptor, counter) = (acceptor.clone(), counter.clone());
            tokio::spawn(async move {
                if let Ok(tls) = acceptor.accept(tcp).await {
                    let _ = serve_connection(tls, answer, &counter).await;
                }
            });
        }
    });
    H2Server { url: format!("https://localhost:{port}/FortAPI/paymentApi"), requests }
}

fn gateway() -> HttpGateway {
    HttpGateway::new(&GatewayConfig { extra_root_pem: vec![CERT.to_vec()], ..Default::default() }).unwrap()
}

/// reqwest as it comes, trusting the test certificate: what the gateway would be without its setting.
async fn default_reqwest_attempts(answer: Answer) -> usize {
    let server = h2_server(answer).await;
    let cert = reqwest::Certificate::from_pem(CERT).unwrap();
    let client = reqwest::Client::builder().tls_certs_merge([cert]).build().unwrap();
    let result = client.post(&server.url).body("{}").send().await;
    assert!(result.is_err(), "the test server never answers a request");
    server.requests.load(Ordering::SeqCst)
}

fn purchase() -> Params {
    let mut p = Params::new();
    p.insert("command".into(), "PURCHASE".into());
    p.insert("merchant_reference".into(), "H2-1".into());
    p
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_stream_is_sent_once_and_reported_not_delivered() {
    assert_eq!(default_reqwest_attempts(Answer::RefuseStream).await, 3, "reqwest's default re-sends twice");

    let server = h2_server(Answer::RefuseStream).await;
    let err = gateway().post_json(&server.url, &purchase()).await.unwrap_err();
    assert_eq!(server.requests.load(Ordering::SeqCst), 1, "the gateway sent it once");
    match err {
        TransportError::NotDelivered(why) => assert!(why.contains("REFUSED_STREAM"), "{why}"),
        other => panic!("REFUSED_STREAM means APS did not process it: {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn goaway_before_our_stream_is_sent_once_and_reported_not_delivered() {
    assert!(default_reqwest_attempts(Answer::GoAwayBefore).await > 1, "reqwest's default re-sends");

    let server = h2_server(Answer::GoAwayBefore).await;
    let err = gateway().post_json(&server.url, &purchase()).await.unwrap_err();
    assert_eq!(server.requests.load(Ordering::SeqCst), 1, "the gateway sent it once");
    match err {
        TransportError::NotDelivered(why) => assert!(why.contains("GOAWAY"), "{why}"),
        other => panic!("a GOAWAY below our stream means APS did not process it: {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn goaway_after_our_stream_may_have_been_processed() {
    let server = h2_server(Answer::GoAwayAfter).await;
    let err = gateway().post_json(&server.url, &purchase()).await.unwrap_err();
    assert_eq!(server.requests.load(Ordering::SeqCst), 1);
    assert!(
        matches!(err, TransportError::OutcomeUnknown(_)),
        "our stream is within the GOAWAY's last id: APS may have processed it, so CHECK_STATUS: {err:?}"
    );
}
