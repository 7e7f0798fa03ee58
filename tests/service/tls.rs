//! Certificates are always verified: a server whose certificate no trusted root vouches for is
//! refused before anything is sent, and the same server is accepted once its root is trusted.
//! The key pair under tests/fixtures/tls was made for these tests and guards nothing.

use moto_terminal::aps::Params;
use moto_terminal::gateway::{GatewayConfig, HttpGateway, TransportError};
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};

const CERT: &[u8] = include_bytes!("../fixtures/tls/test-server.crt");
const KEY: &[u8] = include_bytes!("../fixtures/tls/test-server.key");

/// An HTTPS server on 127.0.0.1:0 that answers every request with a tiny JSON body.
async fn https_server() -> u16 {
    let certs = vec![CertificateDer::from_pem_slice(CERT).unwrap()];
    let key = PrivateKeyDer::from_pem_slice(KEY).unwrap();
    let config = rustls::ServerConfig::builder().with_no_client_auth().with_single_cert(certs, key).unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else { return };
                let mut buf = vec![0u8; 8192];
                let _ = tls.read(&mut buf).await;
                let body = br#"{"ok":"yes"}"#;
                let head = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                    body.len()
                );
                let _ = tls.write_all(head.as_bytes()).await;
                let _ = tls.write_all(body).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    port
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_untrusted_certificate_is_refused_before_sending() {
    let port = https_server().await;
    let url = format!("https://localhost:{port}/FortAPI/paymentApi");
    let gateway = HttpGateway::new(&GatewayConfig::default()).unwrap();
    let err = gateway.post_json(&url, &Params::new()).await.unwrap_err();
    assert!(matches!(err, TransportError::NotDelivered(_)), "a TLS failure is a connect failure: {err:?}");

    let trusting =
        HttpGateway::new(&GatewayConfig { extra_root_pem: vec![CERT.to_vec()], ..Default::default() })
            .unwrap();
    let reply = trusting.post_json(&url, &Params::new()).await.unwrap();
    assert_eq!(reply.http_status, 200);
    assert_eq!(&reply.body[..], br#"{"ok":"yes"}"#);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_http_is_refused_off_loopback_without_sending() {
    let gateway = HttpGateway::new(&GatewayConfig::default()).unwrap();
    // 192.0.2.0/24 is reserved for documentation: nothing is ever sent there.
    let err = gateway.post_json("http://192.0.2.1/FortAPI/paymentApi", &Params::new()).await.unwrap_err();
    match err {
        TransportError::NotDelivered(why) => assert!(why.contains("https"), "{why}"),
        other => panic!("expected NotDelivered, got {other:?}"),
    }
}
