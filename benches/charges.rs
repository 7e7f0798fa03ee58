//! Charges through the whole service against the in-process simulator, with the durable journal
//! (WAL, synchronous=FULL: every intent is on disk before its request leaves; outcomes are
//! synced by the next intent, see the journal module docs).
//!
//! Prints: end-to-end charges per second at several concurrency levels, latency percentiles,
//! how many intents shared each disk sync (group commit), and the client's own overhead per
//! charge (build, sign, journal, verify, classify), measured apart from the network and the
//! simulator, for one caller alone and amortised over 32 concurrent callers.
//!
//! Run: `cargo bench --bench charges` (optionally `-- 10000` for the number of charges).

mod common;

use moto_terminal::aps::command::{Charge, ChargeKind, Command, Merchant, OrderDetails, PaymentSource};
use moto_terminal::aps::money::{Currency, Money};
use moto_terminal::aps::secret::Secret;
use moto_terminal::aps::sign::{self, Algorithm};
use moto_terminal::aps::{Operation, response};
use moto_terminal::gateway::{GatewayConfig, HttpGateway};
use moto_terminal::journal::{Channel, GroupStats, Journal, NewOrder, OrderKind, PaymentMethod};
use moto_terminal::service::{ChargeDraft, PaymentDraft, Progress, Service, ServiceSettings};
use moto_terminal::sim::{self, SimConfig};
use moto_terminal::vault::{Credentials, Environment, Profile, Vault};
use std::sync::Arc;
use std::time::{Duration, Instant};

const PROFILE: &str = "Bench merchant";

fn credentials() -> Credentials {
    Credentials {
        access_code: Secret::from(sim::DEMO_ACCESS_CODE),
        request_phrase: Secret::from(sim::DEMO_REQUEST_PHRASE),
        response_phrase: Secret::from(sim::DEMO_RESPONSE_PHRASE),
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}

async fn end_to_end(service: &Service, total: usize, concurrency: usize) -> (f64, Vec<Duration>, usize) {
    let started = Instant::now();
    let per_task = total / concurrency;
    let mut tasks = Vec::new();
    for t in 0..concurrency {
        let service = service.clone();
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::with_capacity(per_task);
            let mut approved = 0;
            for i in 0..per_task {
                let mut draft = ChargeDraft::new(PROFILE, "AED");
                draft.payment = PaymentDraft::Token("DEMO-VISA-0001".into());
                // Distinct amounts keep the duplicate guard quiet without switching it off.
                draft.amount = format!("{}.{:02}", 10 + t, i % 100 + if i % 100 == 51 { 1 } else { 0 });
                draft.allow_duplicate = true;
                draft.customer_email = "bench@example.com".into();
                let t0 = Instant::now();
                if let Ok(outcome) = service.charge(draft, &Progress::none()).await
                    && outcome.verdict.kind == response::Kind::Approved
                {
                    approved += 1;
                }
                latencies.push(t0.elapsed());
            }
            (latencies, approved)
        }));
    }
    let mut latencies = Vec::new();
    let mut approved = 0;
    for task in tasks {
        if let Ok((l, a)) = task.await {
            latencies.extend(l);
            approved += a;
        }
    }
    let secs = started.elapsed().as_secs_f64();
    latencies.sort();
    (latencies.len() as f64 / secs, latencies, approved)
}

/// The pure client work of one charge: build and check the parameters, sign, verify a signed
/// answer, classify it.
fn pure_overhead(iterations: u32) -> Duration {
    let code = Secret::from(sim::DEMO_ACCESS_CODE);
    let merchant =
        Merchant { merchant_identifier: sim::DEMO_MERCHANT_IDENTIFIER, access_code: &code, language: "en" };
    let aed = Currency::parse("AED").unwrap_or_else(|e| panic!("{e}"));
    let mut response = None;
    let started = Instant::now();
    for i in 0..iterations {
        let cmd = Command::Charge(Charge {
            kind: ChargeKind::Sale,
            merchant_reference: format!("MT-BENCH-{i}"),
            money: Money::from_minor(1250, aed).unwrap_or_else(|e| panic!("{e}")),
            customer_email: "bench@example.com".into(),
            source: PaymentSource::Token("DEMO-VISA-0001".into()),
            recurring: false,
            agreement_id: None,
            recurring_setup: None,
            details: OrderDetails::default(),
        });
        let mut params = cmd.to_params(&merchant).unwrap_or_else(|e| panic!("{e}"));
        let signature = sign::sign(&params, sim::DEMO_REQUEST_PHRASE, Algorithm::Sha256);
        params.insert("signature".into(), signature.into());
        // The answer: the echo plus APS's fields, signed with the response phrase.
        let mut answer = params.clone();
        answer.remove("signature");
        answer.insert("response_code".into(), "14000".into());
        answer.insert("status".into(), "14".into());
        answer.insert("fort_id".into(), "169996200012345678".into());
        let s = sign::sign(&answer, sim::DEMO_RESPONSE_PHRASE, Algorithm::Sha256);
        answer.insert("signature".into(), s.into());
        let body = serde_json::to_vec(&answer).unwrap_or_default();
        let parsed: moto_terminal::aps::Params = serde_json::from_slice(&body).unwrap_or_default();
        let ok = sign::verify(&parsed, sim::DEMO_RESPONSE_PHRASE, Algorithm::Sha256).is_ok();
        let verdict = response::classify(Operation::Purchase, "14000");
        response = Some((ok, verdict.kind));
    }
    let elapsed = started.elapsed();
    assert!(matches!(response, Some((true, response::Kind::Approved))));
    // The response side was built here too (the simulator's job); halve nothing: it is an
    // upper bound of the client's pure work.
    elapsed / iterations
}

/// Intent and outcome written durably, as the service does for every charge: `threads` callers
/// at once, `n` charges in all. Returns the wall time per charge and the writer's figures.
fn journal_overhead(path: &std::path::Path, threads: u32, n: u32) -> (Duration, GroupStats) {
    let journal = Arc::new(Journal::open(path).unwrap_or_else(|e| panic!("{e}")));
    let before = journal.group_stats().unwrap_or_default();
    let started = Instant::now();
    let workers: Vec<_> = (0..threads)
        .map(|t| {
            let journal = Arc::clone(&journal);
            std::thread::spawn(move || {
                for i in 0..n / threads {
                    journal_charge(&journal, &format!("J-{t}-{i}"));
                }
            })
        })
        .collect();
    for worker in workers {
        worker.join().unwrap_or_else(|_| panic!("a journal worker failed"));
    }
    let per_charge = started.elapsed() / (n / threads * threads);
    (per_charge, journal.group_stats().unwrap_or_default().since(&before))
}

fn journal_charge(journal: &Journal, reference: &str) {
    let aed = Currency::parse("AED").unwrap_or_else(|e| panic!("{e}"));
    let order = NewOrder {
        profile: PROFILE.into(),
        merchant_reference: reference.into(),
        kind: OrderKind::Sale,
        channel: Channel::Phone,
        amount: Money::from_minor(1250, aed).unwrap_or_else(|e| panic!("{e}")),
        method: PaymentMethod::Token { token_name: "DEMO-VISA-0001".into(), masked_card: None },
        customer_email: Some("bench@example.com".into()),
        customer_name: None,
        description: None,
        operator: "bench".into(),
        terminal: "desk-1".into(),
        created_at: chrono::Utc::now(),
        extra: Default::default(),
        lease: None,
        batch_row: None,
    };
    let op = journal.record_order_intent(&order).unwrap_or_else(|e| panic!("{e}"));
    let (result, update) = common::approved(1250);
    journal.record_outcome(op, &result, &update).unwrap_or_else(|e| panic!("{e}"));
}

fn main() {
    let total: usize = std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(10_000);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    runtime.block_on(async {
        let sim = sim::start(SimConfig::demo(), "127.0.0.1:0".parse().unwrap_or_else(|e| panic!("{e}"))).await.unwrap_or_else(|e| panic!("{e}"));
        let store = keyring_core::mock::Store::new().unwrap_or_else(|e| panic!("{e}"));
        let vault = Vault::open(dir.path(), store).unwrap_or_else(|e| panic!("{e}"));
        let aed = Currency::parse("AED").unwrap_or_else(|e| panic!("{e}"));
        let mut profile = Profile::new(PROFILE, Environment::Demo, sim::DEMO_MERCHANT_IDENTIFIER, aed);
        profile.endpoint = sim.payment_api_url();
        profile.operator = "bench".into();
        vault.add_ephemeral(profile, credentials()).unwrap_or_else(|e| panic!("{e}"));
        let journal = Arc::new(Journal::open(&dir.path().join("journal.sqlite3")).unwrap_or_else(|e| panic!("{e}")));
        let gateway = HttpGateway::new(&GatewayConfig::default()).unwrap_or_else(|e| panic!("{e}"));
        let service = Service::new(Arc::new(vault), Arc::clone(&journal), gateway, ServiceSettings::default());

        println!("moto-terminal charge benchmark: {total} token charges per run, durable journal (WAL, synchronous=FULL)");
        println!(
            "{:>12} {:>12} {:>12} {:>10} {:>10} {:>10} {:>9} {:>16}",
            "concurrency", "charges/s", "µs/charge", "p50 ms", "p99 ms", "max ms", "approved", "intents/commit"
        );
        for concurrency in [1usize, 8, 32] {
            let before = journal.group_stats().unwrap_or_default();
            let (rate, latencies, approved) = end_to_end(&service, total, concurrency).await;
            let grouped = journal.group_stats().unwrap_or_default().since(&before);
            println!(
                "{:>12} {:>12.0} {:>12.0} {:>10.2} {:>10.2} {:>10.2} {:>9} {:>16.1}",
                concurrency,
                rate,
                1e6 / rate,
                percentile(&latencies, 0.5).as_secs_f64() * 1e3,
                percentile(&latencies, 0.99).as_secs_f64() * 1e3,
                latencies.last().copied().unwrap_or_default().as_secs_f64() * 1e3,
                approved,
                grouped.intents_per_sync()
            );
        }
        sim.shutdown().await;
    });
    let pure = pure_overhead(20_000);
    let (alone, _) = journal_overhead(&dir.path().join("journal-alone.sqlite3"), 1, 2_000);
    let (shared, grouped) = journal_overhead(&dir.path().join("journal-shared.sqlite3"), 32, 8_000);
    println!("client overhead per charge:");
    println!("  build + check + sign + verify + classify: {:>8.1} µs", pure.as_secs_f64() * 1e6);
    println!("  journal intent (synced) + outcome, alone: {:>8.1} µs", alone.as_secs_f64() * 1e6);
    println!(
        "  the same, 32 callers at once (amortised): {:>8.1} µs ({:.1} intents per commit)",
        shared.as_secs_f64() * 1e6,
        grouped.intents_per_sync()
    );
    println!("  total client work, alone:                 {:>8.1} µs", (pure + alone).as_secs_f64() * 1e6);
    println!("  total client work, 32 at once:            {:>8.1} µs", (pure + shared).as_secs_f64() * 1e6);
}
