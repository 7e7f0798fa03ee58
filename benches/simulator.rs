//! Throughput of the APS simulator: N concurrent keep-alive clients send signed requests (three
//! PURCHASEs by token for every CHECK_STATUS) for a few seconds; prints requests per second and
//! latency percentiles. The simulator must never be what limits a client benchmark (target:
//! 5,000 requests/s on 2 cores, client and server sharing them).
//!
//! `cargo bench --bench simulator`; `SIM_BENCH_CLIENTS` (default 32) and `SIM_BENCH_SECS`
//! (default 5) change the load.

use moto_terminal::aps::Params;
use moto_terminal::aps::sign::{self, Algorithm};
use moto_terminal::sim::{self, DEMO_ACCESS_CODE, DEMO_MERCHANT_IDENTIFIER, DEMO_REQUEST_PHRASE, SimConfig};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

type Error = Box<dyn std::error::Error + Send + Sync>;

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn main() -> Result<(), Error> {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(run())
}

fn signed(fields: Value) -> Params {
    let mut params = match fields {
        Value::Object(map) => map,
        _ => Params::new(),
    };
    params.insert("access_code".into(), json!(DEMO_ACCESS_CODE));
    params.insert("merchant_identifier".into(), json!(DEMO_MERCHANT_IDENTIFIER));
    params.insert("language".into(), json!("en"));
    let signature = sign::sign(&params, DEMO_REQUEST_PHRASE, Algorithm::Sha256);
    params.insert("signature".into(), json!(signature));
    params
}

struct ClientReport {
    latencies_us: Vec<u32>,
    failures: u64,
}

async fn client(http: reqwest::Client, url: String, id: u64, until: Instant) -> ClientReport {
    let mut report = ClientReport { latencies_us: Vec::with_capacity(100_000), failures: 0 };
    let mut n = 0u64;
    let mut last_reference = String::new();
    while Instant::now() < until {
        n += 1;
        let (params, expected) = if n.is_multiple_of(4) && !last_reference.is_empty() {
            (signed(json!({"query_command": "CHECK_STATUS", "merchant_reference": last_reference})), "12000")
        } else {
            last_reference = format!("BENCH-{id}-{n}");
            let fields = json!({
                "command": "PURCHASE", "merchant_reference": last_reference, "amount": "1000", "currency": "AED",
                "customer_email": "bench@example.com", "eci": "MOTO", "token_name": "DEMO-VISA-0001"
            });
            (signed(fields), "14000")
        };
        let started = Instant::now();
        let outcome = match http.post(&url).json(&params).send().await {
            Ok(response) => response.json::<Params>().await.ok(),
            Err(_) => None,
        };
        let elapsed = u32::try_from(started.elapsed().as_micros()).unwrap_or(u32::MAX);
        let ok =
            outcome.as_ref().and_then(|p| p.get("response_code")).and_then(Value::as_str) == Some(expected);
        if ok {
            report.latencies_us.push(elapsed);
        } else {
            report.failures += 1;
        }
    }
    report
}

fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((sorted.len() - 1) as f64 * p).round() as usize;
    f64::from(sorted[rank.min(sorted.len() - 1)]) / 1000.0
}

async fn run() -> Result<(), Error> {
    let clients = env_number("SIM_BENCH_CLIENTS", 32);
    let seconds = env_number("SIM_BENCH_SECS", 5);
    let handle = sim::start(SimConfig::demo(), "127.0.0.1:0".parse()?).await?;
    let url = handle.payment_api_url();
    let http = reqwest::Client::builder().no_proxy().pool_max_idle_per_host(usize::MAX).build()?;

    // Warm up connections and code paths.
    let warm_until = Instant::now() + Duration::from_millis(500);
    let mut warm = Vec::new();
    for id in 0..clients {
        warm.push(tokio::spawn(client(http.clone(), url.clone(), 1_000_000 + id, warm_until)));
    }
    for task in warm {
        task.await?;
    }

    let started = Instant::now();
    let until = started + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for id in 0..clients {
        tasks.push(tokio::spawn(client(http.clone(), url.clone(), id, until)));
    }
    let mut latencies = Vec::new();
    let mut failures = 0;
    for task in tasks {
        let report = task.await?;
        latencies.extend(report.latencies_us);
        failures += report.failures;
    }
    let elapsed = started.elapsed().as_secs_f64();
    latencies.sort_unstable();
    let ok = latencies.len();
    println!(
        "simulator benchmark: {clients} keep-alive clients, {seconds} s, signed PURCHASE x3 + CHECK_STATUS x1"
    );
    println!("  requests ok      {ok}");
    println!("  failures         {failures}");
    println!("  throughput       {:.0} requests/s", ok as f64 / elapsed);
    println!("  latency p50      {:.3} ms", percentile(&latencies, 0.50));
    println!("  latency p99      {:.3} ms", percentile(&latencies, 0.99));
    println!("  latency max      {:.3} ms", percentile(&latencies, 1.0));
    println!("  orders in sim    {}", handle.orders().len());
    handle.shutdown().await;
    if failures > 0 {
        return Err(format!("{failures} requests failed").into());
    }
    Ok(())
}
