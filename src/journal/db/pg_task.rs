//! Team journal writes from async tasks, sent on connections the runtime drives.
//!
//! The service's writes (an order's intent, an outcome, the token book's refresh after it) are
//! each one statement the server runs and commits alone. From a task, such a write is run
//! twice on the task's thread, and never blocks it:
//!
//! 1. Its work runs on a session that sends nothing and notes the one statement it asks for
//!    (`Session::recording`).
//! 2. The task sends that statement on one of the pool's task connections and awaits the
//!    answer. Those connections run on the tokio runtime, so a task waiting for the server
//!    costs no thread of its own, and tasks sharing a connection have their requests sent
//!    together and their answers read together.
//! 3. The work runs again on a session that gives it that answer when it asks for the same
//!    statement (`Session::replaying`); what it reads from the answer is the write's value.
//!
//! The work is the same code that runs on a blocking thread, so it must ask for the same
//! statement both times (the journal's writes are deterministic, as the group writer's retry
//! already requires; a second run that asks for another is refused, and says so). A write
//! that asks for anything else (a lock, more than one round trip) sends nothing while it is
//! noted, and is run the blocking way instead.
//!
//! Why: a write sent from the task's own thread through `block_in_place` cost that thread a
//! hand-off to tokio and a sleep in the kernel for every round trip, and thread switches are
//! what a write costs most on these machines.
//!
//! Requests on one connection never interleave within one: each is a whole statement with its
//! own Sync, so the server runs and commits each alone, in the order received. So a guarded
//! intent that waits for another desk's lock (up to the 15 s `lock_timeout`) holds up what is
//! queued behind it on its connection; connections are shared only once all are busy, as rides
//! are. A connection whose runtime has ended is closed, and replaced by one on the runtime of
//! the task asking.
//!
//! Unlike a blocking write, a task's write can be dropped between sending and reading its
//! answer (its runtime shutting down): the statement then commits or not unheard, as a SQLite
//! write queued for the group writer does, and reconciliation settles such an intent.

use super::pg::{Pool, error};
use super::pg_ride::Answers;
use super::pg_session::{Recorded, Session};
use super::{Db, JournalError, Value};
use crate::journal::postgres as team;
use std::collections::HashMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, Statement};

/// Task connections one process keeps open at most: as many as its blocking sessions, so the
/// server's group commit can flush several desks' and tasks' intents at once.
const TASK_CONNECTIONS: usize = super::pg::MAX_SESSIONS;

/// The pool's connections for tasks.
#[derive(Default)]
pub(crate) struct TaskConns {
    state: Mutex<TaskState>,
    /// Told when a connection being opened is open, or failed to open.
    opened: tokio::sync::Notify,
}

#[derive(Default)]
struct TaskState {
    open: Vec<Arc<TaskConn>>,
    /// Connections being opened now.
    opening: usize,
}

/// One connection for tasks; shared by the tasks using it.
struct TaskConn {
    client: Client,
    /// Statements prepared on it, by their journal text.
    statements: Mutex<HashMap<String, Statement, foldhash::fast::RandomState>>,
    /// Requests sent on it and not answered yet.
    busy: AtomicUsize,
}

/// A write's follow-up sent in the same round trip ([`Pool::transaction_for_task`]).
pub(crate) type Trailer<'t> = &'t mut (dyn FnMut(Db<'_>) -> Result<(), JournalError> + Send);

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Counts a request on its connection while it is on its way.
struct Busy<'c>(&'c TaskConn);

impl Drop for Busy<'_> {
    fn drop(&mut self) {
        self.0.busy.fetch_sub(1, Ordering::Relaxed);
    }
}

impl TaskConn {
    /// `sql` prepared on this connection: once, then from its cache.
    async fn prepared(&self, sql: &str) -> Result<Statement, tokio_postgres::Error> {
        if let Some(statement) = lock(&self.statements).get(sql).cloned() {
            return Ok(statement);
        }
        let statement = self.client.prepare(&super::pg::numbered(sql)).await?;
        lock(&self.statements).insert(sql.to_owned(), statement.clone());
        Ok(statement)
    }

    /// Sends `sql` alone with `values`; its rows.
    async fn send(&self, sql: &str, values: &[Value<'static>]) -> Answers {
        self.busy.fetch_add(1, Ordering::Relaxed);
        let _busy = Busy(self);
        let statement = self.prepared(sql).await.map_err(error)?;
        let args: Vec<&(dyn ToSql + Sync)> = values.iter().map(|v| v as &(dyn ToSql + Sync)).collect();
        let rows = self.client.query(&statement, &args).await.map_err(error)?;
        Ok(vec![rows])
    }
}

/// A connection being opened: counted in `opening` until it is open or has failed, even if
/// the task opening it is dropped meanwhile; those waiting for it are told either way.
struct Opening<'p>(&'p TaskConns);

impl Drop for Opening<'_> {
    fn drop(&mut self) {
        lock(&self.0.state).opening -= 1;
        self.0.opened.notify_waiters();
    }
}

impl Pool {
    /// A task connection: an idle one, else a new one while fewer than [`TASK_CONNECTIONS`]
    /// are open or being opened, else the least busy (or, with none open yet, the first opened).
    async fn task_conn(&self) -> Result<Arc<TaskConn>, JournalError> {
        let tasks = &self.tasks;
        let opening = loop {
            // Registered before the state is read, so an opening that ends meanwhile is heard.
            let opened = tasks.opened.notified();
            tokio::pin!(opened);
            opened.as_mut().enable();
            {
                let mut state = lock(&tasks.state);
                state.open.retain(|conn| !conn.client.is_closed());
                let full = state.open.len() + state.opening >= TASK_CONNECTIONS;
                let least = state.open.iter().min_by_key(|conn| conn.busy.load(Ordering::Relaxed)).cloned();
                match least {
                    Some(conn) if full || conn.busy.load(Ordering::Relaxed) == 0 => return Ok(conn),
                    None if full => {}
                    _ => {
                        state.opening += 1;
                        break Opening(tasks);
                    }
                }
            }
            opened.await;
        };
        let client = team::connect_with(&self.config, self.tls.clone()).await?;
        let conn = Arc::new(TaskConn { client, statements: Mutex::default(), busy: AtomicUsize::new(0) });
        lock(&tasks.state).open.push(Arc::clone(&conn));
        drop(opening);
        Ok(conn)
    }

    /// Runs `work` as one transaction from an async task, its one statement sent on a task
    /// connection (see the module docs); `None` when it asks for anything else, and has sent
    /// nothing: run it the blocking way then. A `trailer` that is one statement too goes in the
    /// same round trip, just after, as a transaction of its own whatever becomes of `work`'s; a
    /// failure there is logged. With the work's answer: whether the trailer went.
    pub(crate) async fn transaction_for_task<T, W>(
        self: &Arc<Self>,
        synced: bool,
        work: &mut W,
        trailer: Option<Trailer<'_>>,
    ) -> Option<(Result<T, JournalError>, bool)>
    where
        W: FnMut(Db<'_>) -> Result<T, JournalError> + Send,
    {
        let (sql, values) = match self.note(synced, work) {
            Ok(noted) => noted?,
            Err(stopped) => return Some((Err(stopped), false)),
        };
        let trailer = trailer.and_then(|trailer| self.note(false, trailer).ok().flatten());
        let answer = match self.task_conn().await {
            Err(e) => Err(e),
            Ok(conn) => match &trailer {
                None => conn.send(&sql, &values).await,
                Some((after, after_values)) => {
                    // Sent together, so answered together. Each is a transaction of its own,
                    // in either order (a statement prepared first may go first); the trailer
                    // runs even when the work's statement fails, which only refreshes the token
                    // book with what APS said.
                    let (answer, after) =
                        tokio::join!(biased; conn.send(&sql, &values), conn.send(after, after_values));
                    if let Err(e) = after {
                        log::warn!("token book not updated: {e}");
                    }
                    answer
                }
            },
        };
        // A write whose statement found nothing may ask the journal why (an outcome for an
        // operation already finished): those questions are blocking calls, so that replay runs
        // where a thread may block.
        let may_ask = matches!(&answer, Ok(rows) if rows.iter().all(Vec::is_empty));
        let session = Session::replaying(Arc::clone(self), sql, answer);
        session.begin_transaction(synced, true);
        let replay = || {
            let value = work(Db::Pg(&session));
            if !session.replayed() {
                // The statement was sent, but this run did not read its answer.
                return Err(JournalError::Internal(
                    "the team journal may have recorded this, but the terminal could not read its answer: look the order up in History before trying again"
                        .into(),
                ));
            }
            session.end_transaction(value)
        };
        let ran = match may_ask {
            true => in_place(replay),
            false => catch_unwind(AssertUnwindSafe(replay)).unwrap_or_else(|_| Err(stopped())),
        };
        Some((ran, trailer.is_some()))
    }

    /// Runs `work` on a session that sends nothing: its one statement and values if that is
    /// all it asks for (`None` otherwise), or the failure of a `work` that panicked.
    fn note<T>(
        self: &Arc<Self>,
        synced: bool,
        work: &mut (impl FnMut(Db<'_>) -> Result<T, JournalError> + ?Sized),
    ) -> Result<Option<(String, Vec<Value<'static>>)>, JournalError> {
        let session = Session::recording(Arc::clone(self));
        session.begin_transaction(synced, true);
        if catch_unwind(AssertUnwindSafe(|| work(Db::Pg(&session)))).is_err() {
            return Err(stopped());
        }
        Ok(match session.recorded() {
            Recorded::Alone(sql, values) => Some((sql, values)),
            Recorded::Nothing | Recorded::Other => None,
        })
    }

    /// Task connections open now (not closed by the server or their runtime's end).
    #[cfg(test)]
    pub(crate) fn task_connections(&self) -> usize {
        lock(&self.tasks.state).open.iter().filter(|conn| !conn.client.is_closed()).count()
    }
}

/// A write that panicked, as its caller hears of it.
pub(crate) fn stopped() -> JournalError {
    JournalError::Internal("a team journal write stopped".into())
}

/// Runs `run`, which may block its thread, from async code on the task's own thread: on a
/// multi-threaded runtime once tokio has handed that thread's other tasks to another
/// (`block_in_place`). A panic is an error.
pub(crate) fn in_place<T>(run: impl FnOnce() -> Result<T, JournalError>) -> Result<T, JournalError> {
    let run = || catch_unwind(AssertUnwindSafe(run)).unwrap_or_else(|_| Err(stopped()));
    if multi_threaded() { tokio::task::block_in_place(run) } else { run() }
}

/// Whether this code runs on a multi-threaded tokio runtime (the application's).
pub(crate) fn multi_threaded() -> bool {
    tokio::runtime::Handle::try_current()
        .is_ok_and(|handle| handle.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread)
}
