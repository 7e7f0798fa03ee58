//! Batch runs through the whole service (journal intent, sign, POST, verify, classify, outcome)
//! against the simulator running as its own process, so the figures for CPU and memory are the
//! client's alone.
//!
//! Prints:
//! - 400 rows with 50 ms of gateway latency: one row at a time (the sequential client doing the
//!   same work, a durable commit per order) against 32 in flight, the speed-up, and the share of
//!   the bound 32 / 50 ms = 640 rows/s that was reached;
//! - the same without latency (4,000 rows), with the client's CPU time per row, its kernel
//!   share, and both by thread (the journal's writer, tokio's threads, the main thread), for the
//!   run and for the HTTP exchange alone;
//! - a 100,000-row file at 32 in flight: time, rows/s and the process's peak resident memory.
//!
//! Run: `cargo bench --bench batch` (optionally `-- ROWS` for the size of the large file, or
//! `-- cpu` for the client's CPU per row alone).
mod common;

use common::{ByThread, cpu_split, cpu_time, thread_cpu, thread_cpu_since};

use moto_terminal::aps::Params;
use moto_terminal::aps::command::{
    Charge, ChargeKind, Command as ApsCommand, Merchant, OrderDetails, PaymentSource,
};
use moto_terminal::aps::money::{Currency, Money};
use moto_terminal::aps::secret::Secret;
use moto_terminal::aps::sign::{self, Algorithm};
use moto_terminal::gateway::{GatewayConfig, HttpGateway};
use moto_terminal::journal::Journal;
use moto_terminal::service::batch::outcome::RowOutcome;
use moto_terminal::service::batch::run::RunOptions;
use moto_terminal::service::{Service, ServiceSettings};
use moto_terminal::sim;
use moto_terminal::vault::{Credentials, Environment, Profile, Vault};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

const PROFILE: &str = "Bench merchant";
const TOKENS: [&str; 3] = ["DEMO-VISA-0001", "DEMO-MC-2346", "DEMO-AMEX-4564"];

/// The simulator in its own process, stopped when dropped. Its output stays open while it
/// runs: it writes a second line after the address, and a closed pipe would end it.
struct Simulator {
    child: Child,
    _output: BufReader<std::process::ChildStdout>,
    url: String,
}

impl Simulator {
    fn start(latency_ms: u64) -> Simulator {
        let mut child = Command::new(env!("CARGO_BIN_EXE_moto-terminal"))
            .args(["simulator", "--listen", "127.0.0.1:0", "--latency-ms", &latency_ms.to_string()])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("the simulator did not start: {e}"));
        let stdout = child.stdout.take().unwrap_or_else(|| panic!("no simulator output"));
        let mut first = String::new();
        let mut output = BufReader::new(stdout);
        output.read_line(&mut first).unwrap_or_else(|e| panic!("{e}"));
        let url = first.trim().strip_prefix("listening on ").unwrap_or_else(|| panic!("{first}")).to_owned();
        Simulator { child, _output: output, url }
    }
}

impl Drop for Simulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A service with a fresh durable journal in `dir`, on a profile pointing at `url`.
fn service(dir: &Path, url: &str) -> (Service, Arc<Journal>) {
    let store = keyring_core::mock::Store::new().unwrap_or_else(|e| panic!("{e}"));
    let vault = Vault::open(dir, store).unwrap_or_else(|e| panic!("{e}"));
    let aed = Currency::parse("AED").unwrap_or_else(|e| panic!("{e}"));
    let mut profile = Profile::new(PROFILE, Environment::Demo, sim::DEMO_MERCHANT_IDENTIFIER, aed);
    profile.endpoint = url.to_owned();
    profile.operator = "bench".into();
    let credentials = Credentials {
        access_code: Secret::from(sim::DEMO_ACCESS_CODE),
        request_phrase: Secret::from(sim::DEMO_REQUEST_PHRASE),
        response_phrase: Secret::from(sim::DEMO_RESPONSE_PHRASE),
    };
    vault.add_ephemeral(profile, credentials).unwrap_or_else(|e| panic!("{e}"));
    let journal = Journal::open(&dir.join("journal.sqlite3")).unwrap_or_else(|e| panic!("{e}"));
    let gateway = HttpGateway::new(&GatewayConfig::default()).unwrap_or_else(|e| panic!("{e}"));
    let journal = Arc::new(journal);
    (Service::new(Arc::new(vault), journal.clone(), gateway, ServiceSettings::default()), journal)
}

/// A file of `rows` sales with distinct amounts (the duplicate guard stays on and quiet: it
/// compares the same card and amount, and a token's rows are three apart).
fn write_file(path: &Path, tag: &str, rows: usize) {
    let mut csv = String::from("operation,merchant_reference,amount,currency,token_name,customer_email\n");
    for i in 0..rows {
        let token = TOKENS[i % TOKENS.len()];
        // Minor units ending in 51 are the simulator's "insufficient funds": skip them.
        let cents = if i % 100 == 51 { 52 } else { i % 100 };
        let amount = format!("{}.{cents:02}", 1 + i / 100);
        csv.push_str(&format!("sale,B{tag}-{i},{amount},AED,{token},member{i}@example.com\n"));
    }
    std::fs::write(path, csv).unwrap_or_else(|e| panic!("{e}"));
}

/// Bytes this process has written through write calls so far (the journal's WAL, mostly).
fn bytes_written() -> u64 {
    let io = std::fs::read_to_string("/proc/self/io").unwrap_or_default();
    io.lines().find_map(|l| l.strip_prefix("wchar:")).and_then(|v| v.trim().parse().ok()).unwrap_or(0)
}

/// Peak resident memory of this process, in MB.
fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kb = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
        .unwrap_or(0.0);
    kb / 1024.0
}

struct Measured {
    rows: usize,
    elapsed: Duration,
    cpu: Duration,
    /// Of `cpu`, the time in the kernel (system calls: the journal's writes and syncs, sockets).
    system: Duration,
    written: u64,
    /// Of `cpu`, reading and checking the file.
    check_cpu: Duration,
    commits: u64,
    writes: u64,
    /// CPU time by thread name over the run.
    threads: ByThread,
}

impl Measured {
    fn rate(&self) -> f64 {
        self.rows as f64 / self.elapsed.as_secs_f64()
    }
}

/// Checks and runs a fresh file of `rows` sales at `concurrency`, in its own journal.
async fn run(url: &str, tag: &str, rows: usize, concurrency: usize) -> Measured {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let (service, journal) = service(dir.path(), url);
    let file = dir.path().join(format!("{tag}.csv"));
    write_file(&file, tag, rows);
    let (started, cpu, written) = (Instant::now(), cpu_time(), bytes_written());
    let system = cpu_split().1;
    let threads = thread_cpu();
    let checked = service.check_batch_file(PROFILE, file).await.unwrap_or_else(|e| panic!("{e}"));
    let check_cpu = cpu_time().saturating_sub(cpu);
    let options = RunOptions { concurrency, ..RunOptions::default() };
    let done = service.run_batch(checked.plan, options).await.unwrap_or_else(|e| panic!("{e}"));
    let measured = Measured {
        rows,
        elapsed: started.elapsed(),
        cpu: cpu_time().saturating_sub(cpu),
        system: cpu_split().1.saturating_sub(system),
        written: bytes_written().saturating_sub(written),
        check_cpu,
        commits: journal.group_stats().map_or(0, |g| g.commits),
        writes: journal.group_stats().map_or(0, |g| g.writes),
        threads: thread_cpu_since(&threads),
    };
    let approved = done.results.iter().filter(|r| r.outcome == RowOutcome::Approved).count();
    let other = done.results.iter().find(|r| r.outcome != RowOutcome::Approved);
    assert_eq!(approved, rows, "every row approved; for example not {other:?}");
    measured
}

/// The HTTP exchanges of `rows` sales and nothing else: the same gateway POSTs requests built
/// and signed beforehand, `concurrency` at a time, and reads each answer. Its CPU time is what
/// the transport (HTTP client, connections, JSON on the wire) costs this process per row.
async fn transport_only(
    url: &str,
    tag: &str,
    rows: usize,
    concurrency: usize,
) -> (Duration, Duration, ByThread) {
    let code = Secret::from(sim::DEMO_ACCESS_CODE);
    let merchant =
        Merchant { merchant_identifier: sim::DEMO_MERCHANT_IDENTIFIER, access_code: &code, language: "en" };
    let aed = Currency::parse("AED").unwrap_or_else(|e| panic!("{e}"));
    let requests: Vec<Params> = (0..rows)
        .map(|i| {
            let command = ApsCommand::Charge(Charge {
                kind: ChargeKind::Sale,
                merchant_reference: format!("T{tag}-{i}"),
                money: Money::from_minor(100 + (i % 100) as u64 * 1000 + 2, aed)
                    .unwrap_or_else(|e| panic!("{e}")),
                customer_email: format!("member{i}@example.com"),
                source: PaymentSource::Token(TOKENS[i % TOKENS.len()].into()),
                recurring: false,
                agreement_id: None,
                recurring_setup: None,
                details: OrderDetails::default(),
            });
            let mut params = command.to_params(&merchant).unwrap_or_else(|e| panic!("{e}"));
            let signature = sign::sign(&params, sim::DEMO_REQUEST_PHRASE, Algorithm::Sha256);
            params.insert("signature".into(), signature.into());
            params
        })
        .collect();
    let gateway = HttpGateway::new(&GatewayConfig::default()).unwrap_or_else(|e| panic!("{e}"));
    let requests = Arc::new(requests);
    let (cpu, system, threads) = (cpu_time(), cpu_split().1, thread_cpu());
    let tasks: Vec<_> = (0..concurrency)
        .map(|t| {
            let (gateway, requests, url) = (gateway.clone(), Arc::clone(&requests), url.to_owned());
            tokio::spawn(async move {
                for params in requests.iter().skip(t).step_by(concurrency) {
                    gateway.post_json(&url, params).await.unwrap_or_else(|e| panic!("{e}"));
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap_or_else(|e| panic!("{e}"));
    }
    (cpu_time().saturating_sub(cpu), cpu_split().1.saturating_sub(system), thread_cpu_since(&threads))
}

fn line(label: &str, m: &Measured) {
    println!(
        "  {label:<26} {:>9.0} rows/s  ({:.2} s for {} rows)",
        m.rate(),
        m.elapsed.as_secs_f64(),
        m.rows
    );
}

fn main() {
    let large: usize = std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(100_000);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    let only_cpu = std::env::args().any(|a| a == "cpu");
    runtime.block_on(async {
        println!("moto-terminal batch benchmark: simulator in its own process, durable journal");
        if only_cpu {
            let fast = Simulator::start(0);
            println!("no latency, 4,000 rows (client CPU only):");
            return client_cpu(&fast.url, None).await;
        }
        let slow = Simulator::start(50);
        println!("400 rows, 50 ms gateway latency:");
        let one = run(&slow.url, "L1", 400, 1).await;
        line("one row at a time", &one);
        let many = run(&slow.url, "L32", 400, 32).await;
        line("32 in flight", &many);
        println!(
            "  speed-up {:.1}x; {:.0}% of the bound 32 / 50 ms = 640 rows/s",
            many.rate() / one.rate(),
            many.rate() / 640.0 * 100.0
        );
        drop(slow);

        let fast = Simulator::start(0);
        println!("no latency, 4,000 rows:");
        let one = run(&fast.url, "F1", 4_000, 1).await;
        line("one row at a time", &one);
        client_cpu(&fast.url, Some(&one)).await;

        println!("{large} rows in one file, 32 in flight:");
        let big = run(&fast.url, "M", large, 32).await;
        line("large file", &big);
        println!("  peak resident memory of this process: {:.0} MB", peak_rss_mb());
    });
}

/// 4,000 rows at 32 in flight, three times: rows per second (against `one` at a time), and
/// the client's CPU per row, whole and without the HTTP exchange.
async fn client_cpu(url: &str, one: Option<&Measured>) {
    // CPU time is read in 10 ms ticks and the machine is shared with the simulator: the
    // figures per row are the median of three runs.
    let mut runs = Vec::new();
    for n in 0..3 {
        runs.push(run(url, &format!("F32-{n}"), 4_000, 32).await);
    }
    runs.sort_by_key(|m| m.cpu);
    let many = runs.swap_remove(1);
    line("32 in flight", &many);
    if let Some(one) = one {
        println!("  speed-up {:.1}x", many.rate() / one.rate());
    }
    let mut http = Vec::new();
    for n in 0..3 {
        http.push(transport_only(url, &n.to_string(), 4_000, 32).await);
    }
    http.sort();
    let per_row = |cpu: Duration| cpu.as_secs_f64() * 1e6 / many.rows as f64;
    let (total, transport) = (per_row(many.cpu), per_row(http[1].0));
    println!("  client CPU per row, amortised, 32 in flight (medians of three runs):");
    println!("    whole process (check, journal, sign, HTTP, verify, classify): {total:.0} µs");
    println!("    the HTTP exchange alone (same gateway, requests signed beforehand): {transport:.0} µs");
    println!("    client work (check, build, sign, verify, classify, journal): {:.0} µs", total - transport);
    println!("      of which reading and checking the file: {:.0} µs", per_row(many.check_cpu));
    println!(
        "    in the kernel (system calls), whole process / HTTP exchange alone: {:.0} / {:.0} µs",
        per_row(many.system),
        per_row(http[1].1)
    );
    let by_thread = |threads: &ByThread| {
        let busy = threads.iter().filter(|(_, spent)| per_row(spent.total) >= 0.5);
        let each = busy.map(|(name, spent)| {
            format!("{name} {:.0} ({:.0} kernel)", per_row(spent.total), per_row(spent.system))
        });
        each.collect::<Vec<_>>().join(", ")
    };
    println!("    by thread, µs per row: whole process: {}", by_thread(&many.threads));
    println!("      the HTTP exchange alone: {}", by_thread(&http[1].2));
    println!(
        "  journal: {:.2} commits per row, {:.1} writes per commit, {:.1} KB written per row",
        many.commits as f64 / many.rows as f64,
        many.writes as f64 / many.commits.max(1) as f64,
        many.written as f64 / 1024.0 / many.rows as f64
    );
}
