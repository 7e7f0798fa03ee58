//! Batch runs through the whole service (journal intent, sign, POST, verify, classify, outcome)
//! against the simulator running as its own process, so the figures for CPU and memory are the
//! client's alone.
//!
//! Prints:
//! - 400 rows with 50 ms of gateway latency: one row at a time (the sequential client doing the
//!   same work, a durable commit per order) against 32 in flight, the speed-up, and the share of
//!   the bound 32 / 50 ms = 640 rows/s that was reached;
//! - the same without latency (4,000 rows), with the client's CPU time per row;
//! - a 100,000-row file at 32 in flight: time, rows/s and the process's peak resident memory.
//!
//! Run: `cargo bench --bench batch` (optionally `-- ROWS` for the size of the large file).

use moto_terminal::aps::money::Currency;
use moto_terminal::aps::secret::Secret;
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
fn service(dir: &Path, url: &str) -> Service {
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
    Service::new(Arc::new(vault), Arc::new(journal), gateway, ServiceSettings::default())
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

/// This process's user + system CPU time so far (from /proc, in clock ticks of 10 ms).
fn cpu_time() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after_name = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // After the name: state is field 3, utime 14 and stime 15 (1-based in proc(5)).
    let ticks: u64 = [11, 12].iter().filter_map(|&i| fields.get(i)?.parse::<u64>().ok()).sum();
    Duration::from_millis(ticks * 10)
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
}

impl Measured {
    fn rate(&self) -> f64 {
        self.rows as f64 / self.elapsed.as_secs_f64()
    }
}

/// Checks and runs a fresh file of `rows` sales at `concurrency`, in its own journal.
async fn run(url: &str, tag: &str, rows: usize, concurrency: usize) -> Measured {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let service = service(dir.path(), url);
    let file = dir.path().join(format!("{tag}.csv"));
    write_file(&file, tag, rows);
    let (started, cpu) = (Instant::now(), cpu_time());
    let checked = service.check_batch_file(PROFILE, file).await.unwrap_or_else(|e| panic!("{e}"));
    let options = RunOptions { concurrency, ..RunOptions::default() };
    let done = service.run_batch(checked.plan, options).await.unwrap_or_else(|e| panic!("{e}"));
    let measured = Measured { rows, elapsed: started.elapsed(), cpu: cpu_time().saturating_sub(cpu) };
    let approved = done.results.iter().filter(|r| r.outcome == RowOutcome::Approved).count();
    let other = done.results.iter().find(|r| r.outcome != RowOutcome::Approved);
    assert_eq!(approved, rows, "every row approved; for example not {other:?}");
    measured
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
    runtime.block_on(async {
        println!("moto-terminal batch benchmark: simulator in its own process, durable journal");
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
        let many = run(&fast.url, "F32", 4_000, 32).await;
        line("32 in flight", &many);
        println!("  speed-up {:.1}x", many.rate() / one.rate());
        println!(
            "  client CPU per row (this whole process: check, journal, sign, HTTP, verify, classify): {:.0} µs",
            many.cpu.as_secs_f64() * 1e6 / many.rows as f64
        );

        println!("{large} rows in one file, 32 in flight:");
        let big = run(&fast.url, "M", large, 32).await;
        line("large file", &big);
        println!("  peak resident memory of this process: {:.0} MB", peak_rss_mb());
    });
}
