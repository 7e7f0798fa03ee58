//! A session on the team journal: one transaction's state, on a connection of the pool.
//!
//! A session holds its connection from its start, or (a write that is a single round trip,
//! when every connection is busy) takes one only if it needs one: its round trip may instead
//! ride on another session's ([`super::pg_ride`]).

use super::pg::{Pool, error, numbered};
use super::pg_ride::{Answers, Ridden, Ride};
use super::wire::{self, Wire};
use super::{JournalError, Value};
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, Row, Statement};

/// One connection to the team journal, as the pool keeps it. Its clones share it.
#[derive(Clone)]
pub(super) struct Conn {
    pub(super) client: Arc<Client>,
    /// Its socket, driven by the thread waiting for an answer.
    wire: Arc<Mutex<Wire>>,
    /// Statements prepared on this connection, by their journal text.
    statements: Arc<Mutex<HashMap<String, Statement, foldhash::fast::RandomState>>>,
}

impl Conn {
    pub(super) fn new(client: Client, wire: Wire) -> Conn {
        Conn { client: Arc::new(client), wire: Arc::new(Mutex::new(wire)), statements: Arc::default() }
    }

    /// Whether the server still holds this connection: it is polled once, without waiting, so
    /// one closed while idle is seen before it is used.
    pub(super) fn alive(&self) -> bool {
        self.wire.lock().unwrap_or_else(PoisonError::into_inner).alive() && !self.client.is_closed()
    }

    pub(super) fn is_closed(&self) -> bool {
        self.client.is_closed()
    }

    /// Runs a call on this connection's client to its end.
    pub(super) fn drive<F: Future>(&self, call: F) -> F::Output {
        self.wire.lock().unwrap_or_else(PoisonError::into_inner).drive(call)
    }

    /// `sql` prepared on this connection: once, then from its cache.
    pub(super) fn prepared(&self, sql: &str) -> Result<Statement, tokio_postgres::Error> {
        let cache = || self.statements.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(statement) = cache().get(sql).cloned() {
            return Ok(statement);
        }
        let statement = self.drive(self.client.prepare(&numbered(sql)))?;
        cache().insert(sql.to_owned(), statement.clone());
        Ok(statement)
    }
}

/// A session: what [`super::Db::Pg`] works on. Its connection goes back to the pool when it
/// is dropped.
pub(crate) struct Session {
    /// Where the connection goes back; `None` for a connection of its own (the presence lock).
    pool: Option<Arc<Pool>>,
    /// `None` until the session needs one (see the module docs).
    conn: Mutex<Option<Conn>>,
    pub(super) in_transaction: AtomicBool,
    /// The start of a transaction not sent yet: it goes with the next statement.
    pub(super) begin: Mutex<Option<&'static str>>,
    /// A statement failed in the open transaction.
    pub(super) failed: AtomicBool,
    /// Advisory locks taken in the open transaction and not sent yet: each goes, in order,
    /// with the next statement, which the server runs only once they are held.
    locks: Mutex<Vec<String>>,
    /// The open transaction's last statements may carry its commit (`Pool::transaction`).
    pub(super) last_may_commit: AtomicBool,
    /// Whether it sends, or notes or replays a task's round trip ([`super::pg_task`]).
    mode: Mode,
}

/// How a session sends its statements.
enum Mode {
    /// As they come.
    Send,
    /// Not at all: it notes the one statement that would be its whole transaction, sent alone,
    /// if that is all the work asks for.
    Record(Mutex<Recorded>),
    /// That statement was sent: its text and answer, for the work's call that asks for it
    /// again. Any other call before it is refused; after it, calls are sent.
    Replay(Mutex<Option<(String, Answers)>>),
}

/// What a recording session noted.
pub(super) enum Recorded {
    Nothing,
    /// The whole transaction: one statement, sent alone, and its values.
    Alone(String, Vec<Value<'static>>),
    /// The work asked for something else: more than one round trip, a lock, or a statement
    /// that cannot be sent alone.
    Other,
}

/// A call a recording session cannot make, or a replaying one out of turn.
fn not_sent() -> JournalError {
    JournalError::Internal("a team journal write took another path when its answer came".into())
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Session {
    /// A session on `conn`, given back to `pool` (if any) when dropped.
    pub(super) fn bound(pool: Option<Arc<Pool>>, conn: Conn) -> Session {
        Session::on(pool, Some(conn), Mode::Send)
    }

    /// A session that takes a connection from `pool` only when it needs one.
    pub(super) fn unbound(pool: Option<Arc<Pool>>) -> Session {
        Session::on(pool, None, Mode::Send)
    }

    /// A session that sends nothing: see [`Mode::Record`].
    pub(super) fn recording(pool: Arc<Pool>) -> Session {
        Session::on(Some(pool), None, Mode::Record(Mutex::new(Recorded::Nothing)))
    }

    /// A session whose one statement has been sent, and answered: see [`Mode::Replay`].
    pub(super) fn replaying(pool: Arc<Pool>, sent: String, answer: Answers) -> Session {
        Session::on(Some(pool), None, Mode::Replay(Mutex::new(Some((sent, answer)))))
    }

    /// What a recording session noted (`Recorded::Nothing` for any other session).
    pub(super) fn recorded(&self) -> Recorded {
        match &self.mode {
            Mode::Record(noted) => std::mem::replace(&mut *lock(noted), Recorded::Nothing),
            _ => Recorded::Nothing,
        }
    }

    /// Whether a replaying session gave its answer to the work (true for any other session).
    pub(super) fn replayed(&self) -> bool {
        !matches!(&self.mode, Mode::Replay(answer) if lock(answer).is_some())
    }

    fn on(pool: Option<Arc<Pool>>, conn: Option<Conn>, mode: Mode) -> Session {
        Session {
            mode,
            pool,
            conn: Mutex::new(conn),
            in_transaction: AtomicBool::new(false),
            begin: Mutex::new(None),
            failed: AtomicBool::new(false),
            locks: Mutex::new(Vec::new()),
            last_may_commit: AtomicBool::new(false),
        }
    }

    /// The session's connection, taken from the pool (waiting for one) on first need.
    fn conn(&self) -> Result<Conn, JournalError> {
        match &self.mode {
            Mode::Send => {}
            Mode::Record(noted) => {
                *lock(noted) = Recorded::Other;
                return Err(not_sent());
            }
            Mode::Replay(answer) if lock(answer).is_some() => return Err(not_sent()),
            // Answered: what the work asks for after its statement is sent (a rare follow-up,
            // such as the reason an outcome changed nothing), on a connection of the pool.
            Mode::Replay(_) => {}
        }
        let mut conn = lock(&self.conn);
        if let Some(conn) = &*conn {
            return Ok(conn.clone());
        }
        let pool = self
            .pool
            .as_ref()
            .ok_or_else(|| JournalError::Internal("a session without a connection".into()))?;
        let taken = pool.take()?;
        *conn = Some(taken.clone());
        Ok(taken)
    }

    /// Whether the connection still answers (one empty round trip).
    pub(super) fn answers(&self) -> bool {
        self.conn().is_ok_and(|conn| conn.drive(conn.client.simple_query("")).is_ok())
    }

    pub(super) fn simple(&self, sql: &str) -> Result<(), JournalError> {
        let conn = self.conn()?;
        conn.drive(conn.client.batch_execute(sql)).map_err(error)
    }

    fn statement(&self, conn: &Conn, sql: &str) -> Result<Statement, JournalError> {
        let prepared = conn.prepared(sql).map_err(error);
        let begun = lock(&self.begin).is_none();
        if prepared.is_err() && begun && self.in_transaction.load(Ordering::Relaxed) {
            // Refused inside the open transaction, which the server has now aborted.
            self.failed.store(true, Ordering::Relaxed);
        }
        prepared
    }

    pub(crate) fn execute(&self, sql: &str, params: &[Value<'_>]) -> Result<usize, JournalError> {
        let conn = self.conn()?;
        let statement = self.statement(&conn, sql)?;
        let args: Vec<&(dyn ToSql + Sync)> = params.iter().map(|p| p as &(dyn ToSql + Sync)).collect();
        let changed = self.pipelined(&conn, conn.client.execute(&statement, &args))?;
        Ok(usize::try_from(changed).unwrap_or(usize::MAX))
    }

    pub(crate) fn query(&self, sql: &str, params: &[Value<'_>]) -> Result<Vec<Row>, JournalError> {
        let conn = self.conn()?;
        let statement = self.statement(&conn, sql)?;
        let args: Vec<&(dyn ToSql + Sync)> = params.iter().map(|p| p as &(dyn ToSql + Sync)).collect();
        self.pipelined(&conn, conn.client.query(&statement, &args))
    }

    /// See [`super::Db::synced_by_statement`]: the transaction's start, not sent yet, need not
    /// ask for a synced commit.
    pub(crate) fn synced_by_statement(&self) {
        let mut begin = lock(&self.begin);
        if *begin == Some(BEGIN_SYNCED) {
            *begin = Some(BEGIN_UNSYNCED);
        }
    }

    /// Takes a transaction-scoped advisory lock on `key`. It is sent with the next statement
    /// (the server holds it before running that statement): a lock costs no round trip.
    pub(crate) fn lock(&self, key: &str) {
        lock(&self.locks).push(key.to_owned());
    }

    /// Forgets the advisory locks taken and not sent yet.
    pub(crate) fn drop_queued_locks(&self) {
        lock(&self.locks).clear();
    }

    /// What waits to go before the next statement, as calls: the transaction's start and the
    /// advisory locks taken since the last statement.
    fn waiting<'c>(&self, conn: &'c Conn) -> Result<Vec<Call<'c>>, JournalError> {
        let keys = std::mem::take(&mut *lock(&self.locks));
        // Prepared (once per connection) before the transaction's start is taken to go out.
        let locked = if keys.is_empty() { None } else { Some(self.statement(conn, LOCK)?) };
        let mut calls: Vec<Call<'c>> = Vec::new();
        if let Some(begin) = lock(&self.begin).take() {
            calls.push(Box::pin(async move { conn.client.batch_execute(begin).await.map(|()| Vec::new()) }));
        }
        if let Some(locked) = locked {
            for key in keys {
                let locked = locked.clone();
                calls.push(Box::pin(async move { conn.client.query(&locked, &[&key]).await }));
            }
        }
        Ok(calls)
    }

    /// Runs `call`, preceded in the same round trip by what waits to go first ([`Session::
    /// waiting`]; requests on one connection are answered in order).
    fn pipelined<T>(
        &self,
        conn: &Conn,
        call: impl Future<Output = Result<T, tokio_postgres::Error>>,
    ) -> Result<T, JournalError> {
        let waiting = self.waiting(conn)?;
        let answer = match waiting.is_empty() {
            true => conn.drive(call).map_err(error),
            // `biased`: what waits is queued, so answered, first.
            false => {
                let (before, answer) =
                    conn.drive(async { tokio::join!(biased; wire::in_order(waiting), call) });
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
    /// in `Pool::transaction`). Returns each statement's rows in order, or the first failure,
    /// which aborts the transaction: the statements after it, and the commit, change nothing.
    pub(crate) fn pipeline(
        &self,
        statements: &[(&str, &[Value<'_>])],
        commit: bool,
    ) -> Result<Vec<Vec<Row>>, JournalError> {
        // A failure the work swallowed leaves the commit to `Pool::transaction`, which reports it.
        let commit = commit
            && self.last_may_commit.load(Ordering::Relaxed)
            && self.in_transaction.load(Ordering::Relaxed)
            && !self.failed.load(Ordering::Relaxed);
        if let Some(answer) = self.tasked(statements, commit) {
            return answer;
        }
        if commit && let Some(answer) = self.ride(statements)? {
            return answer;
        }
        let conn = self.conn()?;
        let mut prepared = Vec::with_capacity(statements.len());
        for (sql, _) in statements {
            prepared.push(self.statement(&conn, sql)?);
        }
        let args: Vec<Vec<&(dyn ToSql + Sync)>> = statements
            .iter()
            .map(|(_, params)| params.iter().map(|p| p as &(dyn ToSql + Sync)).collect())
            .collect();
        if commit && statements.len() == 1 && lock(&self.locks).is_empty() {
            // The whole transaction is this one statement: sent alone, the server runs it in a
            // transaction of its own and commits it, without BEGIN and COMMIT to answer. Only
            // for a write that need not be synced (the commit then follows the server's
            // default), or whose statement makes its commit synced itself (`synced_by_statement`).
            let mut begin = lock(&self.begin);
            if *begin == Some(BEGIN_UNSYNCED) {
                *begin = None;
                drop(begin);
                self.in_transaction.store(false, Ordering::Relaxed);
                return conn
                    .drive(conn.client.query(&prepared[0], &args[0]))
                    .map(|rows| vec![rows])
                    .map_err(error);
            }
        }
        let mut calls = self.waiting(&conn)?;
        let first = calls.len();
        for (statement, args) in prepared.iter().zip(&args) {
            calls.push(Box::pin(conn.client.query(statement, args)));
        }
        if commit {
            calls.push(Box::pin(async { conn.client.batch_execute("COMMIT").await.map(|()| Vec::new()) }));
        }
        let answers = conn.drive(wire::in_order(calls));
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

    /// On a recording session: notes `statements` if they are the whole transaction, one
    /// statement sent alone (see [`Session::pipeline`]), and refuses them (the work's answer is
    /// not used). On a replaying one: their answer, and the transaction has ended. `None` on a
    /// session that sends, or one that has replayed its answer already.
    fn tasked(&self, statements: &[(&str, &[Value<'_>])], commit: bool) -> Option<Answers> {
        if matches!(self.mode, Mode::Send) {
            return None;
        }
        let alone = commit
            && statements.len() == 1
            && lock(&self.locks).is_empty()
            && *lock(&self.begin) == Some(BEGIN_UNSYNCED);
        match &self.mode {
            Mode::Send => None,
            Mode::Record(noted) => {
                let mut noted = lock(noted);
                *noted = match (&*noted, statements) {
                    (Recorded::Nothing, [(sql, values)]) if alone => {
                        Recorded::Alone((*sql).to_owned(), values.iter().map(Value::detached).collect())
                    }
                    _ => Recorded::Other,
                };
                Some(Err(not_sent()))
            }
            Mode::Replay(answer) => {
                let mut answer = lock(answer);
                let (sent, _) = answer.as_ref()?;
                if !alone || statements.first().is_none_or(|(sql, _)| sql != sent) {
                    return Some(Err(not_sent()));
                }
                let (_, answer) = answer.take()?;
                *lock(&self.begin) = None;
                self.in_transaction.store(false, Ordering::Relaxed);
                Some(answer)
            }
        }
    }

    /// Starts a transaction: its `BEGIN` goes with its first statement (`Pool::transaction`).
    pub(super) fn begin_transaction(&self, synced: bool, last_may_commit: bool) {
        // Sent with the transaction's first statement, in the same round trip. An intent is on
        // the server's disk when its commit returns, whatever the database's own default.
        let begin = if synced { BEGIN_SYNCED } else { BEGIN_UNSYNCED };
        *lock(&self.begin) = Some(begin);
        self.in_transaction.store(true, Ordering::Relaxed);
        self.failed.store(false, Ordering::Relaxed);
        self.last_may_commit.store(last_may_commit, Ordering::Relaxed);
        // Locks belong to the transaction that took them: none from before may ride along.
        self.drop_queued_locks();
    }

    /// Ends the transaction the work's `value` came from: committed if it is `Ok` and nothing
    /// failed, else rolled back (unless its last statements carried the commit already).
    pub(super) fn end_transaction<T>(&self, mut value: Result<T, JournalError>) -> Result<T, JournalError> {
        self.last_may_commit.store(false, Ordering::Relaxed);
        // PostgreSQL answers COMMIT in a transaction a failed statement aborted by rolling it
        // back, without an error: a failure the work did not pass on must not read as success.
        if value.is_ok() && self.failed.load(Ordering::Relaxed) {
            value = Err(JournalError::Team {
                message: "the team journal refused part of this write, so none of it was recorded: try again, and tell the supervisor if it repeats"
                    .into(),
                code: None,
            });
        }
        // Still open unless the work's last statements carried the commit. Locks never sent
        // guarded nothing.
        if self.in_transaction.load(Ordering::Relaxed) {
            self.drop_queued_locks();
            if lock(&self.begin).take().is_none() {
                self.simple(if value.is_ok() { "COMMIT" } else { "ROLLBACK" })?;
            }
        }
        self.in_transaction.store(false, Ordering::Relaxed);
        value
    }

    /// A whole transaction in one round trip, on a session with no connection yet: it rides on
    /// another session's round trip when every connection is busy (`Some`: its answer, and
    /// the transaction has ended); `None` when a connection was free, which it now holds.
    fn ride(&self, statements: &[(&str, &[Value<'_>])]) -> Result<Option<Answers>, JournalError> {
        let Some(pool) = self.pool.as_ref().filter(|_| lock(&self.conn).is_none()) else {
            return Ok(None);
        };
        let Some(begin) = *lock(&self.begin) else { return Ok(None) };
        let ride = || Ride::new(statements, lock(&self.locks).clone(), begin == BEGIN_SYNCED);
        match pool.ride(ride)? {
            Ridden::Free(conn) => {
                *lock(&self.conn) = Some(conn);
                Ok(None)
            }
            Ridden::Answered(answer) => {
                *lock(&self.begin) = None;
                lock(&self.locks).clear();
                self.in_transaction.store(false, Ordering::Relaxed);
                Ok(Some(answer))
            }
        }
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        let conn = self.conn.get_mut().unwrap_or_else(PoisonError::into_inner).take();
        if let (Some(pool), Some(conn)) = (&self.pool, conn) {
            // Lost, or left mid-transaction by a panic: closing it makes the server roll back.
            let lost = conn.is_closed() || *self.in_transaction.get_mut();
            pool.give_back((!lost).then_some(conn));
        }
    }
}

/// One request on a connection, for [`wire::in_order`].
pub(super) type Call<'c> = Pin<Box<dyn Future<Output = Result<Vec<Row>, tokio_postgres::Error>> + 'c>>;

/// The start of a transaction whose commit returns once the server's disk has it.
pub(super) const BEGIN_SYNCED: &str = "BEGIN; SET LOCAL synchronous_commit = on";

/// The start of a transaction whose commit may return before the server's disk has it.
pub(super) const BEGIN_UNSYNCED: &str = "BEGIN; SET LOCAL synchronous_commit = off";

/// A transaction-scoped advisory lock on a key ([`Session::lock`]).
pub(super) const LOCK: &str = "SELECT pg_advisory_xact_lock(hashtextextended(?1, 0))";

/// The first failure among answers, if any.
pub(super) fn first_failure<T>(
    answers: Vec<Result<T, tokio_postgres::Error>>,
) -> Result<(), tokio_postgres::Error> {
    answers.into_iter().find_map(Result::err).map_or(Ok(()), Err)
}
