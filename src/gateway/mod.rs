//! The HTTP edge: sends a signed parameter list to APS and brings back the raw answer.
//!
//! It knows nothing of the UI, the journal or the keychain. Its one job beyond moving bytes is
//! to say, when something goes wrong, which of two things happened: the request can not have
//! reached APS ([`TransportError::NotDelivered`], safe to send again), or it may have been
//! processed ([`TransportError::OutcomeUnknown`], which the service resolves with CHECK_STATUS
//! and never by sending again). The error is classified from reqwest's own error before it is
//! turned into text, so no information is lost on the way.
//!
//! Certificates are always verified (rustls with the platform's roots); plain `http` is allowed
//! only to a loopback address, where the built-in simulator lives.
//!
//! The client never sends a request a second time. reqwest's default is to re-send after an
//! HTTP/2 GOAWAY or REFUSED_STREAM; here that is switched off (`retry::never`), because whether
//! to send again is the service's decision, made by its exactly-once rules. The HTTP/2 answers
//! that prove the server did not process the request are reported as `NotDelivered`.
//!
//! The JSON body is written into a buffer sized exactly (so no reallocation leaves a copy
//! behind) and handed to reqwest as `Bytes` that overwrite it when reqwest lets go of them.
//! The copies hyper and rustls make while writing (their send and encryption buffers) cannot
//! be reached from here and are not wiped.

use crate::aps::Params;
use std::time::Duration;

/// Largest answer body read; APS answers are a few kilobytes, batch results a few megabytes.
const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

#[derive(Clone, Debug)]
pub struct GatewayConfig {
    pub connect_timeout: Duration,
    pub total_timeout: Duration,
    /// Extra trusted roots (PEM), for a test server with its own certificate. The platform's
    /// roots stay trusted and verification is never switched off.
    pub extra_root_pem: Vec<Vec<u8>>,
}

impl Default for GatewayConfig {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(15),
            total_timeout: Duration::from_secs(60),
            extra_root_pem: Vec::new(),
        }
    }
}

/// An answer that came back over HTTP, whatever its status.
#[derive(Clone, Debug)]
pub struct Reply {
    pub http_status: u16,
    pub body: bytes::Bytes,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TransportError {
    /// APS cannot have seen the request: name resolution, connection refused, TLS handshake.
    #[error("not sent: {0}")]
    NotDelivered(String),
    /// The request may have been processed: timeout after sending, reset, a broken answer.
    #[error("no answer: {0}")]
    OutcomeUnknown(String),
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EndpointError {
    #[error(
        "endpoint \"{0}\" is not a valid URL: use the full address, e.g. https://sbpaymentservices.payfort.com/FortAPI/paymentApi"
    )]
    Invalid(String),
    #[error("endpoint \"{0}\" must use https: plain http is allowed only to this computer (the simulator)")]
    NotHttps(String),
}

/// Checks that an endpoint may be used: https anywhere, http only to loopback.
///
/// # Errors
/// [`EndpointError`] naming the problem.
pub fn check_endpoint(url: &str) -> Result<reqwest::Url, EndpointError> {
    let parsed = reqwest::Url::parse(url.trim()).map_err(|_| EndpointError::Invalid(url.to_owned()))?;
    match parsed.scheme() {
        "https" => Ok(parsed),
        "http" if is_loopback(&parsed) => Ok(parsed),
        "http" => Err(EndpointError::NotHttps(url.to_owned())),
        _ => Err(EndpointError::Invalid(url.to_owned())),
    }
}

fn is_loopback(url: &reqwest::Url) -> bool {
    let host = url.host_str().unwrap_or_default().trim_start_matches('[').trim_end_matches(']');
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// The one place an HTTP client is built.
#[derive(Clone)]
pub struct HttpGateway {
    client: reqwest::Client,
}

impl HttpGateway {
    /// # Errors
    /// [`TransportError::NotDelivered`] when the TLS stack or a given certificate cannot be set up.
    pub fn new(config: &GatewayConfig) -> Result<Self, TransportError> {
        let mut certs = Vec::new();
        for pem in &config.extra_root_pem {
            let cert = reqwest::Certificate::from_pem(pem)
                .map_err(|e| TransportError::NotDelivered(format!("bad certificate: {e}")))?;
            certs.push(cert);
        }
        let mut builder = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .timeout(config.total_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .retry(reqwest::retry::never())
            .user_agent(concat!("moto-terminal/", env!("CARGO_PKG_VERSION")))
            .pool_idle_timeout(Duration::from_secs(30));
        if !certs.is_empty() {
            builder = builder.tls_certs_merge(certs);
        }
        let client =
            builder.build().map_err(|e| TransportError::NotDelivered(format!("HTTP client: {e}")))?;
        Ok(Self { client })
    }

    /// POSTs the parameters as one JSON object (spec section 1).
    ///
    /// # Errors
    /// A classified [`TransportError`]; any HTTP status, even 500, is a [`Reply`].
    pub async fn post_json(&self, url: &str, params: &Params) -> Result<Reply, TransportError> {
        let url = check_endpoint(url).map_err(|e| TransportError::NotDelivered(e.to_string()))?;
        let body = json_body(params).map_err(|e| TransportError::NotDelivered(e.to_string()))?;
        let request =
            self.client.post(url).header("content-type", "application/json").body(wiped_when_sent(body));
        self.send(request).await
    }

    /// POSTs the parameters and one file as multipart/form-data (the batch upload, spec 3.11).
    ///
    /// # Errors
    /// As [`HttpGateway::post_json`].
    pub async fn post_multipart(
        &self,
        url: &str,
        params: &Params,
        file_name: &str,
        file: &[u8],
    ) -> Result<Reply, TransportError> {
        let url = check_endpoint(url).map_err(|e| TransportError::NotDelivered(e.to_string()))?;
        let boundary = format!("moto-terminal-{:016x}", random_u64());
        let body = multipart_body(&boundary, params, file_name, file);
        let request = self
            .client
            .post(url)
            .header("content-type", format!("multipart/form-data; boundary={boundary}"))
            .body(wiped_when_sent(body));
        self.send(request).await
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> Result<Reply, TransportError> {
        let response = request.send().await.map_err(classify)?;
        let http_status = response.status().as_u16();
        let body = response.bytes().await.map_err(|e| {
            TransportError::OutcomeUnknown(format!("the answer was cut off ({})", short_cause(&e)))
        })?;
        if body.len() > MAX_BODY_BYTES {
            return Err(TransportError::OutcomeUnknown("the answer was too large to be an APS reply".into()));
        }
        Ok(Reply { http_status, body })
    }
}

/// Sorts a reqwest failure into "cannot have been delivered" or "may have been processed".
/// Only failures before a connection existed are NotDelivered; everything else, including
/// errors reqwest does not explain, is OutcomeUnknown, the reading that never charges twice.
fn classify(err: reqwest::Error) -> TransportError {
    let cause = short_cause(&err);
    if err.is_builder() {
        TransportError::NotDelivered(format!("the request could not be built ({cause})"))
    } else if err.is_connect() {
        if err.is_timeout() {
            TransportError::NotDelivered(format!("could not connect in time ({cause})"))
        } else {
            TransportError::NotDelivered(format!("could not connect ({cause})"))
        }
    } else if let Some(why) = refused_by_http2(&err) {
        TransportError::NotDelivered(why.to_owned())
    } else if err.is_timeout() {
        TransportError::OutcomeUnknown(format!("no answer before the time limit ({cause})"))
    } else {
        TransportError::OutcomeUnknown(format!("the connection failed after sending ({cause})"))
    }
}

/// The HTTP/2 answers that prove the server did not process the request (RFC 9113 8.7):
/// REFUSED_STREAM on our stream, or a GOAWAY whose last stream id is below ours (h2 closes
/// exactly those streams with the GOAWAY as their error, and refuses to open new ones with
/// it). A stream at or below the GOAWAY's last id may have been processed: if the connection
/// then closes, h2 reports a broken pipe for it, which stays OutcomeUnknown.
fn refused_by_http2(err: &reqwest::Error) -> Option<&'static str> {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = source {
        if let Some(h2) = e.downcast_ref::<h2::Error>()
            && h2.is_remote()
        {
            if h2.is_reset() && h2.reason() == Some(h2::Reason::REFUSED_STREAM) {
                return Some("APS turned the request away before processing it (HTTP/2 REFUSED_STREAM)");
            }
            if h2.is_go_away() {
                return Some(
                    "APS was closing the connection and did not process the request (HTTP/2 GOAWAY)",
                );
            }
        }
        source = e.source();
    }
    None
}

/// Serializes the parameters into a buffer of exactly the right size: a growing buffer would
/// leave partial copies of the body in freed memory at each reallocation.
fn json_body(params: &Params) -> Result<Vec<u8>, serde_json::Error> {
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut count = Count(0);
    serde_json::to_writer(&mut count, params)?;
    let mut body = Vec::with_capacity(count.0);
    serde_json::to_writer(&mut body, params)?;
    Ok(body)
}

/// A request body that overwrites its bytes when dropped.
struct WipedBody(Vec<u8>);

impl WipedBody {
    fn wipe(&mut self) {
        use zeroize::Zeroize;
        self.0.as_mut_slice().zeroize();
    }
}

impl AsRef<[u8]> for WipedBody {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl Drop for WipedBody {
    fn drop(&mut self) {
        self.wipe();
    }
}

/// The body as reqwest takes it, without a copy: when reqwest drops the last reference (the
/// request was sent and answered, or failed), [`WipedBody`] overwrites the bytes.
fn wiped_when_sent(body: Vec<u8>) -> bytes::Bytes {
    bytes::Bytes::from_owner(WipedBody(body))
}

/// The innermost cause of an error, without the URL (which is not secret, but long).
fn short_cause(err: &reqwest::Error) -> String {
    let mut source: &dyn std::error::Error = err;
    while let Some(next) = source.source() {
        source = next;
    }
    source.to_string()
}

fn multipart_body(boundary: &str, params: &Params, file_name: &str, file: &[u8]) -> Vec<u8> {
    let mut body = Vec::with_capacity(file.len() + 1024);
    for (name, value) in params {
        let text = match value {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{text}\r\n")
                .as_bytes(),
        );
    }
    let safe_name: String = file_name.chars().filter(|c| !matches!(c, '"' | '\r' | '\n')).collect();
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{safe_name}\"\r\nContent-Type: text/csv\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    body
}

fn random_u64() -> u64 {
    let mut bytes = [0u8; 8];
    // A boundary only needs to be unlikely in the file; fall back to the clock if the OS
    // random source is unavailable.
    if getrandom::fill(&mut bytes).is_err() {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        return nanos as u64;
    }
    u64::from_le_bytes(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_policy() {
        assert!(check_endpoint("https://sbpaymentservices.payfort.com/FortAPI/paymentApi").is_ok());
        assert!(check_endpoint("http://127.0.0.1:8080/FortAPI/paymentApi").is_ok());
        assert!(check_endpoint("http://localhost:8080/x").is_ok());
        assert!(check_endpoint("http://[::1]:8080/x").is_ok());
        assert_eq!(
            check_endpoint("http://paymentservices.payfort.com/FortAPI/paymentApi"),
            Err(EndpointError::NotHttps("http://paymentservices.payfort.com/FortAPI/paymentApi".into()))
        );
        assert!(matches!(check_endpoint("http://10.0.0.5/x"), Err(EndpointError::NotHttps(_))));
        assert!(matches!(check_endpoint("ftp://x"), Err(EndpointError::Invalid(_))));
        assert!(matches!(check_endpoint("not a url"), Err(EndpointError::Invalid(_))));
    }

    #[test]
    fn the_json_body_is_built_without_reallocating_and_wiped_on_drop() {
        let mut p = Params::new();
        p.insert("card_number".into(), "4005550000000001".into());
        p.insert("amount".into(), "1250".into());
        let body = json_body(&p).unwrap();
        assert_eq!(body, serde_json::to_vec(&p).unwrap());
        assert_eq!(body.len(), body.capacity(), "sized exactly: no reallocation left a copy behind");
        let mut owned = WipedBody(body);
        owned.wipe();
        assert!(owned.0.iter().all(|b| *b == 0), "every byte overwritten");
        let bytes = wiped_when_sent(b"{}".to_vec());
        assert_eq!(&bytes[..], b"{}", "reqwest sees the body unchanged until it lets go");
    }

    #[test]
    fn multipart_has_every_field_and_the_file() {
        let mut p = Params::new();
        p.insert("service_command".into(), "UPLOAD_BATCH_FILE".into());
        let body = multipart_body("XyZ", &p, "b\"1.csv", b"a,b\n1,2\n");
        let text = String::from_utf8(body).unwrap();
        assert!(text.contains("name=\"service_command\"\r\n\r\nUPLOAD_BATCH_FILE\r\n"));
        assert!(text.contains("filename=\"b1.csv\""));
        assert!(text.contains("a,b\n1,2\n\r\n--XyZ--\r\n"));
    }
}
