//! The `simulator` subcommand's flags and its listening line.

use super::*;
use clap::Parser;
use moto_terminal::sim::SimError;
use moto_terminal::sim::args::{SimulatorArgs, serve_until};
use std::sync::{Arc, Mutex};

#[derive(Parser, Debug)]
struct Cli {
    #[command(flatten)]
    sim: SimulatorArgs,
}

fn parse(args: &[&str]) -> SimulatorArgs {
    let mut argv = vec!["simulator"];
    argv.extend_from_slice(args);
    Cli::try_parse_from(argv).unwrap().sim
}

/// A writer the test can read while the server runs.
#[derive(Clone, Default)]
struct Shared(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Shared {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_prints_the_listening_line_first_and_serves_until_told_to_stop() {
    let args = parse(&["--listen", "127.0.0.1:0", "--seed-token", "DESK-7:4005550000000001:3309"]);
    let out = Shared::default();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let mut writer = out.clone();
    let server = tokio::spawn(async move {
        serve_until(args, &mut writer, async {
            let _ = stopped.await;
        })
        .await
    });
    let mut printed = String::new();
    for _ in 0..200 {
        printed = String::from_utf8(out.0.lock().unwrap().clone()).unwrap();
        if printed.lines().count() == 2 && printed.ends_with('\n') {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let mut lines = printed.lines();
    let url = lines.next().unwrap().strip_prefix("listening on ").unwrap().to_owned();
    assert!(url.starts_with("http://127.0.0.1:") && url.ends_with("/FortAPI/paymentApi"), "{url}");
    assert!(!url.contains(":0/"), "the real port is printed: {url}");

    // The second line is the control token; the control API refuses requests without it.
    let token = lines.next().unwrap().strip_prefix("control token: ").unwrap().to_owned();
    let faults = url.replace("/FortAPI/paymentApi", "/sim/faults");
    assert_eq!(client().get(&faults).send().await.unwrap().status(), 403);
    assert_eq!(client_with_token(&token).get(&faults).send().await.unwrap().status(), 200);

    // The seeded token and the Demo merchant's credentials work against the printed URL.
    let mut params = object(json!({
        "command": "PURCHASE", "access_code": DEMO_ACCESS_CODE, "merchant_identifier": DEMO_MERCHANT_IDENTIFIER,
        "merchant_reference": reference("CLI"), "amount": "100", "currency": "AED", "language": "en",
        "customer_email": "c@example.com", "eci": "MOTO", "token_name": "DESK-7"
    }));
    let signature = sign::sign(&params, DEMO_REQUEST_PHRASE, Algorithm::Sha256);
    params.insert("signature".into(), json!(signature));
    let answer: Params = client().post(&url).json(&params).send().await.unwrap().json().await.unwrap();
    assert_eq!(code(&answer), "14000", "{answer:?}");
    assert_eq!(sign::verify(&answer, DEMO_RESPONSE_PHRASE, Algorithm::Sha256), Ok(()));
    // Demo tokens stay available next to seeded ones.
    params.insert("token_name".into(), json!("DEMO-MC-2346"));
    params.insert("merchant_reference".into(), json!(reference("CLI")));
    let signature = sign::sign(&params, DEMO_REQUEST_PHRASE, Algorithm::Sha256);
    params.insert("signature".into(), json!(signature));
    let answer: Params = client().post(&url).json(&params).send().await.unwrap().json().await.unwrap();
    assert_eq!(code(&answer), "14000");

    stop.send(()).unwrap();
    server.await.unwrap().unwrap();
    assert_eq!(String::from_utf8(out.0.lock().unwrap().clone()).unwrap().lines().count(), 2);
}

#[test]
fn flags_build_the_configuration() {
    let args = parse(&[
        "--merchant-identifier",
        "Merch01",
        "--access-code",
        "Acc0123",
        "--algorithm",
        "hmac-sha512",
        "--seed-token",
        "T1:5123456789012346:3001",
        "--seed-token",
        "DEMO-VISA-0001:345678901234564:3002",
        "--state",
        "/tmp/sim.json",
        "--unique-tokens",
        "--latency-ms",
        "50",
    ]);
    let shown = format!("{args:?}");
    assert!(!shown.contains("5123456789012346") && !shown.contains("Acc0123"), "{shown}");
    let config = args.into_config(Some("req phrase".into()), Some("resp phrase".into())).unwrap();
    assert_eq!(config.merchant_identifier, "Merch01");
    assert_eq!(config.access_code.expose(), "Acc0123");
    assert_eq!(config.algorithm, Algorithm::HmacSha512);
    assert_eq!(config.request_phrase.expose(), "req phrase");
    assert_eq!(config.response_phrase.expose(), "resp phrase");
    assert_eq!(config.state_file.as_deref(), Some(std::path::Path::new("/tmp/sim.json")));
    assert!(config.unique_tokens);
    assert_eq!(config.latency, std::time::Duration::from_millis(50));
    let names: Vec<&str> = config.seed_tokens.iter().map(|t| t.name.as_str()).collect();
    assert!(names.contains(&"T1") && names.contains(&"DEMO-MC-2346"));
    assert_eq!(names.iter().filter(|n| **n == "DEMO-VISA-0001").count(), 1, "a seed replaces a demo token");
    let replaced = config.seed_tokens.iter().find(|t| t.name == "DEMO-VISA-0001").unwrap();
    assert_eq!(replaced.card_number.expose(), "345678901234564");
}

#[test]
fn defaults_are_the_demo_merchant() {
    let config = parse(&[]).into_config(None, None).unwrap();
    let demo = SimConfig::demo();
    assert_eq!(config.merchant_identifier, demo.merchant_identifier);
    assert_eq!(config.access_code, demo.access_code);
    assert_eq!(config.request_phrase, demo.request_phrase);
    assert_eq!(config.response_phrase, demo.response_phrase);
    assert_eq!(config.algorithm, Algorithm::Sha256);
    assert_eq!(config.seed_tokens.len(), demo.seed_tokens.len());
    assert!(config.state_file.is_none() && !config.unique_tokens);
    assert_eq!(config.latency, std::time::Duration::ZERO);
    assert_eq!(parse(&[]).listen, "127.0.0.1:0".parse().unwrap());
    // Only a request phrase: the response phrase is the same.
    let one = parse(&[]).into_config(Some("only".into()), None).unwrap();
    assert_eq!(one.response_phrase.expose(), "only");
}

#[test]
fn a_bad_seed_token_is_refused_without_echoing_the_card() {
    for bad in [
        "T1:4005550000000002:3001",
        "T1:4005550000000001:3013",
        "4005550000000001",
        "bad name!:4005550000000001:3001",
    ] {
        let error = parse(&["--seed-token", bad]).into_config(None, None).unwrap_err();
        assert!(matches!(error, SimError::SeedToken { .. }), "{bad}: {error}");
        let shown = error.to_string();
        assert!(!shown.contains("400555000000000"), "{shown}");
        assert!(shown.contains("--seed-token"), "{shown}");
    }
    assert!(Cli::try_parse_from(["simulator", "--algorithm", "md5"]).is_err());
}

#[test]
fn a_latency_beyond_a_minute_or_below_zero_is_refused() {
    for bad in ["60001", "-1", "fast"] {
        let flag = format!("--latency-ms={bad}");
        let error = Cli::try_parse_from(["simulator", flag.as_str()]).unwrap_err().to_string();
        assert!(error.contains("--latency-ms"), "{bad}: {error}");
    }
    assert_eq!(parse(&["--latency-ms", "60000"]).latency_ms, 60_000);
}
