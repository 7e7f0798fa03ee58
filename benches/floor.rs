//! The floor this machine puts under the client-work targets: the least CPU a client of the
//! same design spends per row, measured with the same runtime (tokio, two workers) and the same
//! CPU clock as `batch` and `team`, with nothing of moto-terminal's in the loop.
//!
//! A row here is the journal's part of a charge and nothing more: an intent made durable, then
//! its outcome made durable. No HTTP, no signing, no checks; a table of four columns and one
//! index.
//!
//! - SQLite: one writer thread owns the connection (WAL, `synchronous = FULL`) and commits all
//!   the writes waiting in one transaction (group commit); tokio tasks hand it their writes over
//!   a channel and await its answer, as the journal's group writer is used. Also with a pause of
//!   1 ms between intent and outcome (a tokio timer standing in for the gateway's answer, whose
//!   own wake is counted here), so that the writer sleeps between groups as it does in a batch.
//! - PostgreSQL: tokio-postgres on 8 connections; an intent is one `INSERT`, an outcome one
//!   `UPDATE`, each a statement the server commits alone: two round trips a row, as on the team
//!   journal's path. At 32 in flight four tasks share each connection, which pipelines them.
//!   Also with each statement taking the server 1 ms and 3 ms longer (`pg_sleep`, which uses
//!   no CPU): the team journal's statements take the server that long on a two-core machine it
//!   shares with the client, and an idle client pays a wake for every answer.
//!
//! Compare with `batch -- cpu` (client work per row, HTTP exchange apart), `team -- tasks` (the
//! service's path on the team journal) and `team -- tasks sqlite` (the same on SQLite).
//!
//! Run: `cargo bench --bench floor` for SQLite alone, or
//! `scripts/postgres-test-env cargo bench --bench floor -- postgres` for both.
mod common;

use common::cpu_time;
use rusqlite::Connection;
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

/// Rows per run; each figure is the median of three runs.
const ROWS: usize = 4_000;

/// A write for the writer thread: an intent (a new row) or an outcome (that row settled). Each
/// is answered with the row's id once its transaction has committed.
enum Write {
    Intent { reference: String, amount: i64, done: oneshot::Sender<i64> },
    Outcome { id: i64, done: oneshot::Sender<i64> },
}

fn fail<E: std::fmt::Display>(e: E) -> ! {
    panic!("{e}")
}

/// The writer thread: waits for a write, takes every other one waiting, runs them in one
/// transaction, commits (a sync of the WAL), then answers each.
fn writer(path: std::path::PathBuf, writes: mpsc::Receiver<Write>) {
    let mut conn = Connection::open(path).unwrap_or_else(|e| fail(e));
    conn.pragma_update(None, "journal_mode", "WAL").unwrap_or_else(|e| fail(e));
    conn.pragma_update(None, "synchronous", "FULL").unwrap_or_else(|e| fail(e));
    let table = "CREATE TABLE orders (id INTEGER PRIMARY KEY, reference TEXT NOT NULL UNIQUE,
                                      amount INTEGER NOT NULL, state TEXT NOT NULL)";
    conn.execute_batch(table).unwrap_or_else(|e| fail(e));
    while let Ok(first) = writes.recv() {
        let group: Vec<Write> = std::iter::once(first).chain(writes.try_iter()).collect();
        let tx = conn.transaction().unwrap_or_else(|e| fail(e));
        let mut answers = Vec::with_capacity(group.len());
        for write in group {
            answers.push(match write {
                Write::Intent { reference, amount, done } => {
                    let sql = "INSERT INTO orders (reference, amount, state) VALUES (?1, ?2, 'intent')";
                    let mut insert = tx.prepare_cached(sql).unwrap_or_else(|e| fail(e));
                    insert.execute(rusqlite::params![reference, amount]).unwrap_or_else(|e| fail(e));
                    (done, tx.last_insert_rowid())
                }
                Write::Outcome { id, done } => {
                    let sql = "UPDATE orders SET state = 'approved' WHERE id = ?1";
                    let mut update = tx.prepare_cached(sql).unwrap_or_else(|e| fail(e));
                    update.execute([id]).unwrap_or_else(|e| fail(e));
                    (done, id)
                }
            });
        }
        tx.commit().unwrap_or_else(|e| fail(e));
        for (done, id) in answers {
            let _ = done.send(id);
        }
    }
}

/// Hands `write` to the writer and waits for its commit.
async fn commit(writes: &mpsc::Sender<Write>, write: impl FnOnce(oneshot::Sender<i64>) -> Write) -> i64 {
    let (done, answer) = oneshot::channel();
    writes.send(write(done)).unwrap_or_else(|e| fail(e));
    answer.await.unwrap_or_else(|e| fail(e))
}

/// `ROWS` rows by `in_flight` tasks through the writer thread, `pause` between each row's
/// intent and outcome: this process's CPU per row.
async fn sqlite_run(writes: &mpsc::Sender<Write>, in_flight: usize, pause: Duration, run: usize) -> Duration {
    let cpu = cpu_time();
    let tasks: Vec<_> = (0..in_flight)
        .map(|task| {
            let writes = writes.clone();
            tokio::spawn(async move {
                for i in 0..ROWS / in_flight {
                    let (reference, amount) = (format!("F{run}-{task}-{i}"), 100 + i as i64);
                    let id = commit(&writes, |done| Write::Intent { reference, amount, done }).await;
                    if !pause.is_zero() {
                        tokio::time::sleep(pause).await;
                    }
                    commit(&writes, |done| Write::Outcome { id, done }).await;
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap_or_else(|e| fail(e));
    }
    cpu_time().saturating_sub(cpu) / ROWS as u32
}

/// `ROWS` rows by `in_flight` tasks on `clients` (shared in turn), each statement taking the
/// server `server_ms` longer: this process's CPU per row, and rows per second.
async fn postgres_run(
    clients: &[Arc<tokio_postgres::Client>],
    in_flight: usize,
    server_ms: u32,
    run: usize,
) -> (Duration, f64) {
    let (cpu, started) = (cpu_time(), Instant::now());
    let tasks: Vec<_> = (0..in_flight)
        .map(|task| {
            let client = Arc::clone(&clients[task % clients.len()]);
            tokio::spawn(async move {
                let wait = f64::from(server_ms) / 1000.0;
                let insert = format!(
                    "INSERT INTO floor_orders (reference, amount, state)
                     SELECT $1, $2, 'intent' FROM pg_sleep({wait}) RETURNING id"
                );
                let update =
                    format!("UPDATE floor_orders SET state = 'approved' FROM pg_sleep({wait}) WHERE id = $1");
                let insert = client.prepare(&insert).await.unwrap_or_else(|e| fail(e));
                let update = client.prepare(&update).await.unwrap_or_else(|e| fail(e));
                for i in 0..ROWS / in_flight {
                    let (reference, amount) = (format!("F{run}-{task}-{i}"), 100 + i as i64);
                    let row =
                        client.query_one(&insert, &[&reference, &amount]).await.unwrap_or_else(|e| fail(e));
                    let id: i64 = row.get(0);
                    client.execute(&update, &[&id]).await.unwrap_or_else(|e| fail(e));
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap_or_else(|e| fail(e));
    }
    (cpu_time().saturating_sub(cpu) / ROWS as u32, ROWS as f64 / started.elapsed().as_secs_f64())
}

/// The middle of three runs of `each`, by the value it is sorted on.
fn median<T: Copy, K: PartialOrd>(mut each: impl FnMut() -> T, key: impl Fn(&T) -> K) -> T {
    let mut runs: Vec<T> = (0..3).map(|_| each()).collect();
    runs.sort_by(|a, b| key(a).partial_cmp(&key(b)).unwrap_or(std::cmp::Ordering::Equal));
    runs[1]
}

fn sqlite(runtime: &tokio::runtime::Runtime, run: &mut usize) {
    let dir = tempfile::tempdir().unwrap_or_else(|e| fail(e));
    let (writes, queue) = mpsc::channel();
    let path = dir.path().join("floor.sqlite3");
    let thread = std::thread::Builder::new().name("floor-writer".into()).spawn(move || writer(path, queue));
    let thread = thread.unwrap_or_else(|e| fail(e));
    for (in_flight, pause_ms) in [(1, 0), (8, 0), (32, 0), (8, 1), (32, 1)] {
        let pause = Duration::from_millis(pause_ms);
        let cpu = median(
            || {
                *run += 1;
                runtime.block_on(sqlite_run(&writes, in_flight, pause, *run))
            },
            |cpu| *cpu,
        );
        println!(
            "  SQLite, group commit, {in_flight:>2} in flight, {pause_ms} ms pause: client CPU {cpu:>4.0?} per row"
        );
    }
    drop(writes);
    thread.join().unwrap_or_else(|_| panic!("the writer failed"));
}

fn postgres(runtime: &tokio::runtime::Runtime, run: &mut usize) {
    let url = std::env::var("MOTO_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| panic!("MOTO_TEST_POSTGRES_URL is not set: run under scripts/postgres-test-env"));
    let clients: Vec<_> = runtime.block_on(async {
        let mut clients = Vec::new();
        for _ in 0..8 {
            let client = moto_terminal::journal::postgres::connect(&url).await.unwrap_or_else(|e| fail(e));
            clients.push(Arc::new(client));
        }
        let setup = "DROP TABLE IF EXISTS floor_orders;
            CREATE TABLE floor_orders (id bigserial PRIMARY KEY, reference text NOT NULL UNIQUE,
                                       amount bigint NOT NULL, state text NOT NULL)";
        clients[0].batch_execute(setup).await.unwrap_or_else(|e| fail(e));
        clients
    });
    for (in_flight, server_ms) in [(1, 0), (8, 0), (32, 0), (8, 1), (32, 1), (8, 3), (32, 3)] {
        let each = || {
            *run += 1;
            runtime.block_on(postgres_run(&clients, in_flight, server_ms, *run))
        };
        let (cpu, rate) = median(each, |(cpu, _)| *cpu);
        println!(
            "  PostgreSQL, tokio-postgres, {in_flight:>2} in flight, server +{server_ms} ms a statement: \
             client CPU {cpu:>4.0?} per row ({rate:.0} rows/s)"
        );
    }
}

fn main() {
    // As the application's (`main.rs`): two workers.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap_or_else(|e| fail(e));
    println!(
        "the floor: an intent and an outcome made durable per row, nothing else (medians of three runs)"
    );
    let mut run = 0;
    sqlite(&runtime, &mut run);
    if std::env::args().any(|a| a == "postgres") {
        postgres(&runtime, &mut run);
    }
}
