//! Sessions on the team journal, used from plain blocking code as the SQLite connection is.
//!
//! Each session's socket is driven by the thread using the session (`wire`): no runtime, no
//! thread hand-off per round trip.
//!
//! The pool opens sessions as they are needed, up to [`MAX_SESSIONS`], and never hands out one
//! whose connection was lost or that a failure left inside a transaction.

pub(crate) use super::pg_values::{cell, error, numbered};
use super::wire::{self, Wire};
use super::{JournalError, Value};
use crate::journal::postgres::{self as team, TeamError};
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::Duration;
use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, Config, Row, Statement};

/// Sessions one process keeps open at most (a batch runs up to 64 rows at once; they queue).
pub(crate) const MAX_SESSIONS: usize = 8;

/// How long a journal call waits for a free session before it is refused.
const SESSION_WAIT: Duration = Duration::from_secs(30);

/// The open sessions of one team journal.
pub(crate) struct Pool {
    config: Config,
    tls: tokio_postgres_rustls::MakeRustlsConnect,
    state: Mutex<PoolState>,
    freed: Condvar,
    /// The session that holds this process's presence lock for as long as it runs.
    presence: Mutex<Option<(String, Session)>>,
}

struct PoolState {
    idle: Vec<Session>,
    open: usize,
    /// Callers waiting for a session: a session given back wakes one, and only then.
    waiting: usize,
}

impl std::fmt::Debug for Pool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pool").finish_non_exhaustive()
    }
}

impl Pool {
    /// Connects to the team journal at `url` and brings its schema up to date.
    ///
    /// # Errors
    /// A URL that names no team journal, a server that cannot be reached, or a schema from a
    /// newer moto-terminal.
    pub(crate) fn open(url: &str) -> Result<Pool, TeamError> {
        let config = team::config(url)?;
        let pool = Pool {
            config,
            tls: team::tls()?,
            state: Mutex::new(PoolState { idle: Vec::new(), open: 1, waiting: 0 }),
            freed: Condvar::new(),
            presence: Mutex::new(None),
        };
        let (mut client, mut wire) = pool.connect()?;
        wire.drive(team::migrate(&mut client))?;
        pool.state().idle.push(Session::new(client, wire));
        Ok(pool)
    }

    fn state(&self) -> std::sync::MutexGuard<'_, PoolState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn connect(&self) -> Result<(Client, Wire), TeamError> {
        wire::connect(&self.config, &self.tls).map_err(TeamError::Offline)
    }

    /// A session for one call or one transaction; it goes back to the pool when dropped.
    pub(crate) fn get(&self) -> Result<Lease<'_>, JournalError> {
        let mut state = self.state();
        loop {
            if let Some(session) = state.idle.pop() {
                if session.alive() {
                    return Ok(Lease { pool: self, session });
                }
                // Closed by the server while idle (a restart, an idle limit): open another.
                state.open -= 1;
                continue;
            }
            if state.open < MAX_SESSIONS {
                state.open += 1;
                drop(state);
                return match self.connect() {
                    Ok((client, wire)) => Ok(Lease { pool: self, session: Session::new(client, wire) }),
                    Err(e) => {
                        self.give_back(None);
                        Err(e.into())
                    }
                };
            }
            state.waiting += 1;
            let (next, waited) =
                self.freed.wait_timeout(state, SESSION_WAIT).unwrap_or_else(PoisonError::into_inner);
            state = next;
            state.waiting -= 1;
            if waited.timed_out() && state.idle.is_empty() {
                return Err(JournalError::Busy(
                    "every team journal session stayed busy for 30 s; try again".into(),
                ));
            }
        }
    }

    /// Takes back a session (`None`: one that is closed, or that failed to open), and wakes a
    /// caller waiting for one, if any.
    fn give_back(&self, session: Option<Session>) {
        let mut state = self.state();
        match session {
            Some(session) => state.idle.push(session),
            None => state.open -= 1,
        }
        let wake = state.waiting > 0;
        drop(state);
        if wake {
            self.freed.notify_one();
        }
    }

    /// Runs `work` in one transaction on a session of its own, committed when it returns `Ok`
    /// and rolled back otherwise. `synced: false` lets the commit return before the server's
    /// disk has it (an outcome; see the journal's module docs). `last_may_commit`: `work`'s last
    /// statements are its last of the transaction, so they may carry its commit in their round
    /// trip ([`Session::pipeline`]); only a write no other write is composed around says so.
    pub(crate) fn transaction<T>(
        &self,
        synced: bool,
        last_may_commit: bool,
        work: impl FnOnce(super::Db<'_>) -> Result<T, JournalError>,
    ) -> Result<T, JournalError> {
        let lease = self.get()?;
        let session = lease.session();
        // Sent with the transaction's first statement, in the same round trip. An intent is on
        // the server's disk when its commit returns, whatever the database's own default.
        let begin = if synced { BEGIN_SYNCED } else { BEGIN_UNSYNCED };
        *session.begin.lock().unwrap_or_else(PoisonError::into_inner) = Some(begin);
        session.in_transaction.store(true, Ordering::Relaxed);
        session.failed.store(false, Ordering::Relaxed);
        session.last_may_commit.store(last_may_commit, Ordering::Relaxed);
        // Locks belong to the transaction that took them: none from before may ride along.
        session.drop_queued_locks();
        let mut value = work(super::Db::Pg(session));
        session.last_may_commit.store(false, Ordering::Relaxed);
        // PostgreSQL answers COMMIT in a transaction a failed statement aborted by rolling it
        // back, without an error: a failure the work did not pass on must not read as success.
        if value.is_ok() && session.failed.load(Ordering::Relaxed) {
            value = Err(JournalError::Team {
                message: "the team journal refused part of this write, so none of it was recorded: try again, and tell the supervisor if it repeats"
                    .into(),
                code: None,
            });
        }
        // Still open unless the work's last statements carried the commit. Locks never sent
        // guarded nothing.
        if session.in_transaction.load(Ordering::Relaxed) {
            session.drop_queued_locks();
            if session.begin.lock().unwrap_or_else(PoisonError::into_inner).take().is_none() {
                session.simple(if value.is_ok() { "COMMIT" } else { "ROLLBACK" })?;
            }
        }
        session.in_transaction.store(false, Ordering::Relaxed);
        value
    }
}

/// The advisory lock that says `owner` is running: a process holds it on a session of its own
/// from [`Pool::announce`] until it ends, when the server lets it go with the session.
/// Shared, so that every journal this process opens holds it (no two processes have the same
/// owner name); [`Pool::present`] asks for it exclusively, which any holder refuses.
const PRESENCE_LOCK: &str = "SELECT pg_try_advisory_lock_shared(hashtextextended('presence ' || ?1, 0))";

impl Pool {
    /// Holds the presence lock of `owner` (this process) on a session kept for the purpose. Any
    /// terminal can then tell this process's claims on operations in flight from those of one
    /// that has ended ([`Pool::present`]).
    pub(crate) fn announce(&self, owner: &str) -> Result<(), JournalError> {
        let (client, wire) = self.connect()?;
        let session = Session::new(client, wire);
        let held: bool =
            super::Db::Pg(&session).query_one(PRESENCE_LOCK, super::params![owner], |r| r.get(0))?;
        if !held {
            let message = "this terminal's presence lock is held elsewhere".to_owned();
            return Err(JournalError::Team { message, code: None });
        }
        *self.presence.lock().unwrap_or_else(PoisonError::into_inner) = Some((owner.to_owned(), session));
        Ok(())
    }

    /// Takes this process's presence lock again when the session holding it was lost (a server
    /// restart, a network cut): otherwise other terminals would take it for ended.
    fn keep_presence(&self) -> Result<(), JournalError> {
        let owner = {
            let presence = self.presence.lock().unwrap_or_else(PoisonError::into_inner);
            match presence.as_ref() {
                Some((owner, session)) if session.drive(session.client.simple_query("")).is_err() => {
                    owner.clone()
                }
                _ => return Ok(()),
            }
        };
        log::warn!("team journal: this terminal's presence was lost; taking it again");
        self.announce(&owner)
    }

    /// Whether the process named `owner` is running (holds its presence lock), asked without
    /// waiting: a free lock is taken and let go at once.
    pub(crate) fn present(&self, owner: &str) -> Result<bool, JournalError> {
        self.keep_presence()?;
        let lease = self.get()?;
        let db = super::Db::Pg(lease.session());
        let free: bool = db.query_one(
            "SELECT pg_try_advisory_lock(hashtextextended('presence ' || ?1, 0))",
            super::params![owner],
            |r| r.get(0),
        )?;
        if free {
            db.query_one(
                "SELECT pg_advisory_unlock(hashtextextended('presence ' || ?1, 0))",
                super::params![owner],
                |r| r.get::<bool>(0),
            )?;
        }
        Ok(!free)
    }
}

/// A session borrowed from the pool.
pub(crate) struct Lease<'a> {
    pool: &'a Pool,
    session: Session,
}

impl Lease<'_> {
    pub(crate) fn session(&self) -> &Session {
        &self.session
    }
}

impl Drop for Lease<'_> {
    fn drop(&mut self) {
        let session = self.session.clone();
        // Lost, or left mid-transaction by a panic: closing it makes the server roll back.
        let lost = session.client.is_closed() || session.in_transaction.load(Ordering::Relaxed);
        self.pool.give_back((!lost).then_some(session));
    }
}

/// One session on the team journal. Its clones share it: the pool keeps one while a
/// [`Lease`] lends another.
#[derive(Clone)]
pub(crate) struct Session {
    client: Arc<Client>,
    /// Its socket, driven by the thread holding the session.
    wire: Arc<Mutex<Wire>>,
    /// Statements prepared on this session, by their journal text.
    statements: Arc<Mutex<HashMap<String, Statement>>>,
    in_transaction: Arc<AtomicBool>,
    /// The start of a transaction not sent yet: it goes with the next statement.
    begin: Arc<Mutex<Option<&'static str>>>,
    /// A statement failed in the open transaction and no savepoint undid it since.
    failed: Arc<AtomicBool>,
    /// Advisory locks taken in the open transaction and not sent yet: each goes, in order,
    /// with the next statement, which the server runs only once they are held.
    locks: Arc<Mutex<Vec<String>>>,
    /// The open transaction's last statements may carry its commit ([`Pool::transaction`]).
    last_may_commit: Arc<AtomicBool>,
}

impl Session {
    fn new(client: Client, wire: Wire) -> Session {
        Session {
            client: Arc::new(client),
            wire: Arc::new(Mutex::new(wire)),
            statements: Arc::default(),
            in_transaction: Arc::new(AtomicBool::new(false)),
            begin: Arc::default(),
            failed: Arc::default(),
            locks: Arc::default(),
            last_may_commit: Arc::default(),
        }
    }

    /// Whether the server still holds this session: its connection is polled once, without
    /// waiting, so a connection closed while idle is seen before it is used.
    fn alive(&self) -> bool {
        self.wire.lock().unwrap_or_else(PoisonError::into_inner).alive() && !self.client.is_closed()
    }

    /// A savepoint undid the failed statements: the transaction goes on.
    pub(crate) fn recovered(&self) {
        self.failed.store(false, Ordering::Relaxed);
    }

    /// Runs a call on this session's client to its end.
    fn drive<F: std::future::Future>(&self, call: F) -> F::Output {
        self.wire.lock().unwrap_or_else(PoisonError::into_inner).drive(call)
    }

    fn simple(&self, sql: &str) -> Result<(), JournalError> {
        self.drive(self.client.batch_execute(sql)).map_err(error)
    }

    fn statement(&self, sql: &str) -> Result<Statement, JournalError> {
        let cached = |s: &Self| s.statements.lock().unwrap_or_else(PoisonError::into_inner).get(sql).cloned();
        if let Some(statement) = cached(self) {
            return Ok(statement);
        }
        let prepared = self.drive(self.client.prepare(&numbered(sql))).map_err(error);
        let begun = self.begin.lock().unwrap_or_else(PoisonError::into_inner).is_none();
        if prepared.is_err() && begun && self.in_transaction.load(Ordering::Relaxed) {
            // Refused inside the open transaction, which the server has now aborted.
            self.failed.store(true, Ordering::Relaxed);
        }
        let statement = prepared?;
        self.statements
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(sql.to_owned(), statement.clone());
        Ok(statement)
    }

    pub(crate) fn execute(&self, sql: &str, params: &[Value<'_>]) -> Result<usize, JournalError> {
        let statement = self.statement(sql)?;
        let args: Vec<&(dyn ToSql + Sync)> = params.iter().map(|p| p as &(dyn ToSql + Sync)).collect();
        let changed = self.pipelined(self.client.execute(&statement, &args))?;
        Ok(usize::try_from(changed).unwrap_or(usize::MAX))
    }

    pub(crate) fn query(&self, sql: &str, params: &[Value<'_>]) -> Result<Vec<Row>, JournalError> {
        let statement = self.statement(sql)?;
        let args: Vec<&(dyn ToSql + Sync)> = params.iter().map(|p| p as &(dyn ToSql + Sync)).collect();
        self.pipelined(self.client.query(&statement, &args))
    }

    /// Takes a transaction-scoped advisory lock on `key`. It is sent with the next statement
    /// (the server holds it before running that statement): a lock costs no round trip.
    pub(crate) fn lock(&self, key: &str) {
        self.locks.lock().unwrap_or_else(PoisonError::into_inner).push(key.to_owned());
    }

    /// Forgets the advisory locks taken and not sent yet.
    pub(crate) fn drop_queued_locks(&self) {
        self.locks.lock().unwrap_or_else(PoisonError::into_inner).clear();
    }

    /// What waits to go before the next statement, as calls: the transaction's start and the
    /// advisory locks taken since the last statement.
    fn waiting(&self) -> Result<Vec<Call<'_>>, JournalError> {
        let keys = std::mem::take(&mut *self.locks.lock().unwrap_or_else(PoisonError::into_inner));
        // Prepared (once per session) before the transaction's start is taken to go out.
        let lock = if keys.is_empty() { None } else { Some(self.statement(LOCK)?) };
        let mut calls: Vec<Call<'_>> = Vec::new();
        if let Some(begin) = self.begin.lock().unwrap_or_else(PoisonError::into_inner).take() {
            calls.push(Box::pin(async move { self.client.batch_execute(begin).await.map(|()| Vec::new()) }));
        }
        if let Some(lock) = lock {
            for key in keys {
                let lock = lock.clone();
                calls.push(Box::pin(async move { self.client.query(&lock, &[&key]).await }));
            }
        }
        Ok(calls)
    }

    /// Runs `call`, preceded in the same round trip by what waits to go first ([`Session::
    /// waiting`]; requests on one session are answered in order).
    fn pipelined<T>(
        &self,
        call: impl Future<Output = Result<T, tokio_postgres::Error>>,
    ) -> Result<T, JournalError> {
        let waiting = self.waiting()?;
        let answer = match waiting.is_empty() {
            true => self.drive(call).map_err(error),
            // `biased`: what waits is queued, so answered, first.
            false => {
                let (before, answer) =
                    self.drive(async { tokio::join!(biased; wire::in_order(waiting), call) });
                first_failure(before).map_err(error).and(answer.map_err(error))
            }
        };
        if answer.is_err() && self.in_transaction.load(Ordering::Relaxed) {
            self.failed.store(true, Ordering::Relaxed);
        }
        answer
    }

    /// Sends `statements` in one round trip, after what waits to go first, and followed by the
    /// transaction's `COMMIT` when `commit` and the transaction allows it (`last_may_commit`
    /// in [`Pool::transaction`]). Returns each statement's rows in order, or the first failure,
    /// which aborts the transaction: the statements after it, and the commit, change nothing.
    pub(crate) fn pipeline(
        &self,
        statements: &[(&str, &[Value<'_>])],
        commit: bool,
    ) -> Result<Vec<Vec<Row>>, JournalError> {
        let mut prepared = Vec::with_capacity(statements.len());
        for (sql, _) in statements {
            prepared.push(self.statement(sql)?);
        }
        let args: Vec<Vec<&(dyn ToSql + Sync)>> = statements
            .iter()
            .map(|(_, params)| params.iter().map(|p| p as &(dyn ToSql + Sync)).collect())
            .collect();
        // A failure the work swallowed leaves the commit to `Pool::transaction`, which reports it.
        let commit = commit
            && self.last_may_commit.load(Ordering::Relaxed)
            && self.in_transaction.load(Ordering::Relaxed)
            && !self.failed.load(Ordering::Relaxed);
        if commit
            && statements.len() == 1
            && self.locks.lock().unwrap_or_else(PoisonError::into_inner).is_empty()
        {
            // The whole transaction is this one statement: sent alone, the server runs it in a
            // transaction of its own and commits it, without BEGIN and COMMIT to answer. Only
            // for a write that need not be synced: the commit then follows the server's default.
            let mut begin = self.begin.lock().unwrap_or_else(PoisonError::into_inner);
            if *begin == Some(BEGIN_UNSYNCED) {
                *begin = None;
                drop(begin);
                self.in_transaction.store(false, Ordering::Relaxed);
                return self
                    .drive(self.client.query(&prepared[0], &args[0]))
                    .map(|rows| vec![rows])
                    .map_err(error);
            }
        }
        let mut calls = self.waiting()?;
        let first = calls.len();
        for (statement, args) in prepared.iter().zip(&args) {
            calls.push(Box::pin(self.client.query(statement, args)));
        }
        if commit {
            calls.push(Box::pin(async { self.client.batch_execute("COMMIT").await.map(|()| Vec::new()) }));
        }
        let answers = self.drive(wire::in_order(calls));
        if commit && answers.last().is_some_and(Result::is_ok) {
            // Ended: committed, or rolled back by a failure reported below.
            self.in_transaction.store(false, Ordering::Relaxed);
        }
        let mut rows = Vec::with_capacity(statements.len());
        let mut failure = None;
        for (i, answer) in answers.into_iter().enumerate() {
            match answer {
                Err(e) => {
                    failure.get_or_insert(e);
                }
                Ok(answer) if (first..first + statements.len()).contains(&i) => rows.push(answer),
                Ok(_) => {}
            }
        }
        if let Some(e) = failure {
            if self.in_transaction.load(Ordering::Relaxed) {
                self.failed.store(true, Ordering::Relaxed);
            }
            return Err(error(e));
        }
        Ok(rows)
    }
}

/// One request on a session, for [`wire::in_order`].
type Call<'c> = Pin<Box<dyn Future<Output = Result<Vec<Row>, tokio_postgres::Error>> + 'c>>;

/// The start of a transaction whose commit returns once the server's disk has it.
const BEGIN_SYNCED: &str = "BEGIN; SET LOCAL synchronous_commit = on";

/// The start of a transaction whose commit may return before the server's disk has it.
const BEGIN_UNSYNCED: &str = "BEGIN; SET LOCAL synchronous_commit = off";

/// A transaction-scoped advisory lock on a key ([`Session::lock`]).
const LOCK: &str = "SELECT pg_advisory_xact_lock(hashtextextended(?1, 0))";

/// The first failure among answers, if any.
fn first_failure<T>(answers: Vec<Result<T, tokio_postgres::Error>>) -> Result<(), tokio_postgres::Error> {
    answers.into_iter().find_map(Result::err).map_or(Ok(()), Err)
}
