//! Group commit for a journal file: one writer thread, with its own connection, commits the
//! writes that arrive together in one transaction.
//!
//! A caller hands the writer a job (a closure over the open transaction) and waits. The writer
//! takes the first job and whatever else is already queued, up to [`MAX_BATCH`], opens one
//! `IMMEDIATE` transaction, runs each job, commits once, and only then answers each caller.
//! Nothing waits for company: a lone job is committed at once.
//!
//! A job that fails (a duplicate reference, `Busy`, bad input) must undo only its own writes:
//! it gets its own error, and the others commit. The writer first runs the jobs straight
//! through, with no savepoint, because a savepoint makes SQLite copy every page its write
//! changes, and the writes of one batch all change the same index pages (callgrind: a seventh
//! of a batch row's instructions went to those copies). Should a job fail, that transaction is rolled
//! back and the batch runs again with a savepoint per job, rolling back to it when its job
//! fails. So a job may run twice: it must be a function of the transaction alone (a closure
//! that only reads what it captured), which its `FnMut` bound lets it be.
//!
//! A batch holding a [`Durability::Synced`] job (every intent) commits with
//! `synchronous=FULL`: no intent's call returns, so no request leaves, before the commit is on
//! disk. A batch of [`Durability::Committed`] jobs only (outcomes) commits with `NORMAL`.
//!
//! Writes that do not go through the writer (agreements, links, tokens, batches) take the
//! writer's gate first, so this process's two connections never wait on each other inside
//! SQLite, whose busy handler would sleep; only another process is waited for that way.

use super::JournalError;
use super::db::Db;
use rusqlite::{Connection, TransactionBehavior};
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;

/// The most jobs one transaction takes; later ones wait for the next.
pub(crate) const MAX_BATCH: usize = 64;

/// What a job's caller needs of the commit before its call returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Durability {
    /// On disk (`synchronous=FULL`): an intent, a claim, anything a request depends on.
    Synced,
    /// Committed, possibly still in the operating system's cache: an outcome (see the journal
    /// module docs for why that is safe).
    Committed,
}

/// How much grouping happened: commits and the writes they carried, since the journal opened.
#[doc(hidden)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GroupStats {
    /// Transactions committed by the writer.
    pub commits: u64,
    /// Of those, the ones synced to disk (they held at least one intent).
    pub synced_commits: u64,
    /// Writes those transactions carried.
    pub writes: u64,
    /// Of those, the ones that asked to be synced (intents and claims).
    pub synced_writes: u64,
}

impl GroupStats {
    /// Intents per disk sync: above 1 when concurrent intents shared a commit.
    pub fn intents_per_sync(&self) -> f64 {
        if self.synced_commits == 0 {
            return 0.0;
        }
        self.synced_writes as f64 / self.synced_commits as f64
    }

    /// What happened between `earlier` and these figures.
    pub fn since(&self, earlier: &GroupStats) -> GroupStats {
        GroupStats {
            commits: self.commits.saturating_sub(earlier.commits),
            synced_commits: self.synced_commits.saturating_sub(earlier.synced_commits),
            writes: self.writes.saturating_sub(earlier.writes),
            synced_writes: self.synced_writes.saturating_sub(earlier.synced_writes),
        }
    }
}

#[derive(Default)]
struct Counters {
    /// Jobs sent to the writer, counted once each is in its queue.
    sent: AtomicU64,
    /// Jobs the writer has taken from its queue.
    taken: AtomicU64,
    commits: AtomicU64,
    synced_commits: AtomicU64,
    writes: AtomicU64,
    synced_writes: AtomicU64,
}

/// Why a whole batch failed, told to each of its jobs as a fresh error.
struct Failure {
    message: String,
    code: Option<rusqlite::ffi::Error>,
}

impl Failure {
    fn of_sqlite(e: &rusqlite::Error) -> Failure {
        match e {
            rusqlite::Error::SqliteFailure(code, message) => {
                Failure { message: message.clone().unwrap_or_else(|| code.to_string()), code: Some(*code) }
            }
            other => Failure { message: other.to_string(), code: None },
        }
    }

    fn of_journal(e: &JournalError) -> Failure {
        match e {
            JournalError::Sqlite(e) => Failure::of_sqlite(e),
            JournalError::Internal(message) => Failure { message: message.clone(), code: None },
            other => {
                Failure { message: format!("another write of the same commit failed: {other}"), code: None }
            }
        }
    }

    fn error(&self) -> JournalError {
        match self.code {
            Some(code) => {
                JournalError::Sqlite(rusqlite::Error::SqliteFailure(code, Some(self.message.clone())))
            }
            None => JournalError::Internal(self.message.clone()),
        }
    }
}

/// One caller's write, type-erased for the queue.
trait Job: Send {
    fn durability(&self) -> Durability;
    /// Runs the write against the open transaction; false when it failed. It may run again
    /// after its transaction was rolled back; the last run's result is the one answered.
    fn run(&mut self, db: Db<'_>) -> bool;
    /// Its own failure, to tell the others when it ended the whole transaction.
    fn failure(&self) -> Failure;
    /// Answers the caller: its own result, unless the batch as a whole failed.
    fn reply(self: Box<Self>, batch_failed: Option<&Failure>);
}

/// Where a job's result goes: a thread blocked in [`Writer::submit`], or a task awaiting
/// [`Writer::submit_async`] (which costs no thread of its own while it waits).
enum Reply<T> {
    Blocking(Sender<Result<T, JournalError>>),
    Async(tokio::sync::oneshot::Sender<Result<T, JournalError>>),
}

struct Task<T, F> {
    /// `None` once it panicked: it is not run again.
    work: Option<F>,
    durability: Durability,
    result: Option<Result<T, JournalError>>,
    reply: Reply<T>,
}

impl<T, F> Job for Task<T, F>
where
    T: Send,
    F: FnMut(Db<'_>) -> Result<T, JournalError> + Send,
{
    fn durability(&self) -> Durability {
        self.durability
    }

    fn run(&mut self, db: Db<'_>) -> bool {
        let Some(work) = self.work.as_mut() else { return false };
        // A bug in one write must not take the writer, and every other caller, down with it.
        let result = std::panic::catch_unwind(AssertUnwindSafe(|| work(db))).unwrap_or_else(|_| {
            self.work = None;
            Err(JournalError::Internal("a journal write stopped on an internal error".into()))
        });
        let ok = result.is_ok();
        self.result = Some(result);
        ok
    }

    fn failure(&self) -> Failure {
        match &self.result {
            Some(Err(e)) => Failure::of_journal(e),
            _ => Failure { message: "a write in the same transaction failed".into(), code: None },
        }
    }

    fn reply(self: Box<Self>, batch_failed: Option<&Failure>) {
        let result = match (self.result, batch_failed) {
            (Some(Err(own)), _) => Err(own),
            (_, Some(failure)) => Err(failure.error()),
            (Some(Ok(value)), None) => Ok(value),
            (None, None) => Err(JournalError::Internal("the journal write was never run".into())),
        };
        // A caller that stopped waiting has nobody to tell.
        match self.reply {
            Reply::Blocking(reply) => drop(reply.send(result)),
            Reply::Async(reply) => drop(reply.send(result)),
        }
    }
}

/// The writer thread of one open journal file. Dropping it lets the thread finish what is
/// queued and waits for it, so the file is closed when the journal is.
pub(crate) struct Writer {
    jobs: Option<Sender<Box<dyn Job>>>,
    thread: Option<JoinHandle<()>>,
    gate: Arc<Mutex<()>>,
    counters: Arc<Counters>,
}

impl Writer {
    /// Starts the writer on `conn`, a connection of its own to the journal file, configured
    /// with `synchronous=FULL`.
    pub(crate) fn start(conn: Connection) -> std::io::Result<Writer> {
        let (jobs, queue) = mpsc::channel();
        let gate = Arc::new(Mutex::new(()));
        let counters = Arc::new(Counters::default());
        let thread = std::thread::Builder::new().name("journal-writer".into()).spawn({
            let (gate, counters) = (Arc::clone(&gate), Arc::clone(&counters));
            move || write_batches(conn, &queue, &gate, &counters)
        })?;
        Ok(Writer { jobs: Some(jobs), thread: Some(thread), gate, counters })
    }

    /// Runs `work` in the next group commit and waits until that commit is done (on disk for
    /// [`Durability::Synced`]). `work` sees the open transaction; its error undoes only its own
    /// writes.
    pub(crate) fn submit<T, F>(&self, durability: Durability, work: F) -> Result<T, JournalError>
    where
        T: Send + 'static,
        F: FnMut(Db<'_>) -> Result<T, JournalError> + Send + 'static,
    {
        let (reply, answer) = mpsc::channel();
        self.queue(Box::new(Task {
            work: Some(work),
            durability,
            result: None,
            reply: Reply::Blocking(reply),
        }))?;
        answer.recv().unwrap_or_else(|_| Err(stopped()))
    }

    /// As [`Writer::submit`], for async callers: the job is queued at once, and the returned
    /// future only waits for its answer, so no thread is held while the commit happens.
    pub(crate) fn submit_async<T, F>(
        &self,
        durability: Durability,
        work: F,
    ) -> impl Future<Output = Result<T, JournalError>> + Send + 'static
    where
        T: Send + 'static,
        F: FnMut(Db<'_>) -> Result<T, JournalError> + Send + 'static,
    {
        let (reply, answer) = tokio::sync::oneshot::channel();
        let queued = self.queue(Box::new(Task {
            work: Some(work),
            durability,
            result: None,
            reply: Reply::Async(reply),
        }));
        async move {
            queued?;
            answer.await.unwrap_or_else(|_| Err(stopped()))
        }
    }

    fn queue(&self, job: Box<dyn Job>) -> Result<(), JournalError> {
        match &self.jobs {
            Some(jobs) if jobs.send(job).is_ok() => {
                self.counters.sent.fetch_add(1, Ordering::Relaxed);
                Ok(())
            }
            _ => Err(stopped()),
        }
    }

    /// Held by every write that uses another connection of this process.
    pub(crate) fn gate(&self) -> MutexGuard<'_, ()> {
        self.gate.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Jobs waiting in the queue, never more than are really there (a job counts as sent
    /// only once it is in the queue), so a test that waits for n of them knows they are in.
    #[cfg(test)]
    pub(crate) fn queued(&self) -> u64 {
        let taken = self.counters.taken.load(Ordering::Relaxed);
        self.counters.sent.load(Ordering::Relaxed).saturating_sub(taken)
    }

    pub(crate) fn stats(&self) -> GroupStats {
        let c = &self.counters;
        GroupStats {
            commits: c.commits.load(Ordering::Relaxed),
            synced_commits: c.synced_commits.load(Ordering::Relaxed),
            writes: c.writes.load(Ordering::Relaxed),
            synced_writes: c.synced_writes.load(Ordering::Relaxed),
        }
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        // Closing the queue ends the thread once it has answered every job already sent.
        self.jobs = None;
        if let Some(thread) = self.thread.take() {
            // A writer that panicked has already answered its callers with errors.
            drop(thread.join());
        }
    }
}

fn stopped() -> JournalError {
    JournalError::Internal("the journal writer has stopped; restart moto-terminal".into())
}

/// The writer thread: one batch per round, until the journal is dropped.
fn write_batches(
    mut conn: Connection,
    queue: &Receiver<Box<dyn Job>>,
    gate: &Mutex<()>,
    counters: &Counters,
) {
    let mut synced = true;
    while let Ok(first) = queue.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH
            && let Ok(next) = queue.try_recv()
        {
            batch.push(next);
        }
        counters.taken.fetch_add(batch.len() as u64, Ordering::Relaxed);
        let durable = batch.iter().any(|job| job.durability() == Durability::Synced);
        let committed = {
            let _gate = gate.lock().unwrap_or_else(PoisonError::into_inner);
            commit_batch(&mut conn, &mut batch, durable, &mut synced)
        };
        let failed = committed.err();
        if failed.is_none() {
            count(counters, &batch, durable);
        }
        for job in batch {
            job.reply(failed.as_ref());
        }
        index_new_orders(&mut conn, gate);
    }
}

/// Adds the newest orders to the search index once there are enough of them (see
/// `substring`), after their writers have had their answers. The index is built from the
/// orders, so a failure here loses nothing: it is logged and tried again after the next commit.
fn index_new_orders(conn: &mut Connection, gate: &Mutex<()>) {
    use super::substring::{INDEX_EVERY, index_new_orders, not_indexed};
    // Read without a transaction: usually there are too few, and nothing is locked.
    if not_indexed(Db::Lite(conn)).is_ok_and(|n| n < INDEX_EVERY) {
        return;
    }
    let _gate = gate.lock().unwrap_or_else(PoisonError::into_inner);
    // Another process holding the file's write lock is not waited for long: the next intents
    // wait behind this, and the orders are indexed after a later commit.
    if let Err(e) = conn.busy_timeout(std::time::Duration::from_millis(50)) {
        log::warn!("search index not brought up to date: {e}");
        return;
    }
    // A write transaction from the start: another process's writer may be adding the same
    // orders, and both must not.
    let indexed = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(JournalError::from)
        .and_then(|tx| {
            index_new_orders(Db::Lite(&tx), INDEX_EVERY)?;
            Ok(tx.commit()?)
        });
    let restored = conn.busy_timeout(super::BUSY_TIMEOUT).map_err(JournalError::from);
    if let Err(e) = indexed.and(restored) {
        log::warn!("search index not brought up to date: {e}");
    }
}

/// Runs every job in one transaction and commits it: straight through, or, when a job fails
/// that way, again with a savepoint per job (see the module docs).
fn commit_batch(
    conn: &mut Connection,
    batch: &mut [Box<dyn Job>],
    durable: bool,
    synced: &mut bool,
) -> Result<(), Failure> {
    if *synced != durable {
        let mode = if durable { "FULL" } else { "NORMAL" };
        conn.pragma_update(None, "synchronous", mode).map_err(|e| Failure::of_sqlite(&e))?;
        *synced = durable;
    }
    if run_batch(conn, batch, false)? {
        return Ok(());
    }
    run_batch(conn, batch, true).map(drop)
}

/// One run of the batch in one transaction. True when it committed; false when, without
/// `savepoints`, a job failed and the transaction was rolled back.
fn run_batch(conn: &mut Connection, batch: &mut [Box<dyn Job>], savepoints: bool) -> Result<bool, Failure> {
    let sqlite = |e: rusqlite::Error| Failure::of_sqlite(&e);
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(sqlite)?;
    // Compiled once and kept: a savepoint per job is two statements per write.
    let run = |sql: &str| tx.prepare_cached(sql).and_then(|mut s| s.execute([])).map_err(sqlite);
    for job in batch.iter_mut() {
        if savepoints {
            run("SAVEPOINT job")?;
        }
        let ran = job.run(Db::Lite(&tx));
        if tx.is_autocommit() {
            // SQLite rolled the whole transaction back (a full disk, an I/O error), even if the
            // job went on as if nothing happened (the token book's writes log their failure):
            // every write of the batch is gone, and each caller is told why.
            return Err(job.failure());
        } else if ran {
            if savepoints {
                run("RELEASE job")?;
            }
        } else if !savepoints {
            tx.rollback().map_err(sqlite)?;
            return Ok(false);
        } else {
            run("ROLLBACK TO job")?;
            run("RELEASE job")?;
        }
    }
    tx.commit().map_err(sqlite)?;
    Ok(true)
}

fn count(counters: &Counters, batch: &[Box<dyn Job>], durable: bool) {
    let synced_writes = batch.iter().filter(|job| job.durability() == Durability::Synced).count();
    counters.commits.fetch_add(1, Ordering::Relaxed);
    counters.writes.fetch_add(batch.len() as u64, Ordering::Relaxed);
    if durable {
        counters.synced_commits.fetch_add(1, Ordering::Relaxed);
        counters.synced_writes.fetch_add(synced_writes as u64, Ordering::Relaxed);
    }
}
