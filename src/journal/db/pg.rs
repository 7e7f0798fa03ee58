//! Sessions on the team journal, used from plain blocking code as the SQLite connection is.
//!
//! Each session's socket is driven by the thread using the session (`wire`): no runtime, no
//! thread hand-off per round trip.
//!
//! The pool opens sessions as they are needed, up to [`MAX_SESSIONS`], and never hands out one
//! whose connection was lost or that a failure left inside a transaction.

use super::wire::{self, Wire};
use super::{Cell, JournalError, Value};
use crate::journal::postgres::{self as team, TeamError};
use bytes::BytesMut;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::Duration;
use tokio_postgres::types::{IsNull, ToSql, Type, to_sql_checked};
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
            state: Mutex::new(PoolState { idle: Vec::new(), open: 1 }),
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
                        self.state().open -= 1;
                        self.freed.notify_one();
                        Err(e.into())
                    }
                };
            }
            let (next, waited) =
                self.freed.wait_timeout(state, SESSION_WAIT).unwrap_or_else(PoisonError::into_inner);
            state = next;
            if waited.timed_out() && state.idle.is_empty() {
                return Err(JournalError::Busy(
                    "every team journal session stayed busy for 30 s; try again".into(),
                ));
            }
        }
    }

    /// Runs `work` in one transaction on a session of its own, committed when it returns `Ok`
    /// and rolled back otherwise. `synced: false` lets the commit return before the server's
    /// disk has it (an outcome; see the journal's module docs).
    pub(crate) fn transaction<T>(
        &self,
        synced: bool,
        work: impl FnOnce(super::Db<'_>) -> Result<T, JournalError>,
    ) -> Result<T, JournalError> {
        let lease = self.get()?;
        let session = lease.session();
        // Sent with the transaction's first statement, in the same round trip. An intent is on
        // the server's disk when its commit returns, whatever the database's own default.
        let begin = match synced {
            true => "BEGIN; SET LOCAL synchronous_commit = on",
            false => "BEGIN; SET LOCAL synchronous_commit = off",
        };
        *session.begin.lock().unwrap_or_else(PoisonError::into_inner) = Some(begin);
        session.in_transaction.store(true, Ordering::Relaxed);
        session.failed.store(false, Ordering::Relaxed);
        let mut value = work(super::Db::Pg(session));
        // PostgreSQL answers COMMIT in a transaction a failed statement aborted by rolling it
        // back, without an error: a failure the work did not pass on must not read as success.
        if value.is_ok() && session.failed.load(Ordering::Relaxed) {
            value = Err(JournalError::Team {
                message: "the team journal refused part of this write, so none of it was recorded: try again, and tell the supervisor if it repeats"
                    .into(),
                code: None,
            });
        }
        if session.begin.lock().unwrap_or_else(PoisonError::into_inner).take().is_none() {
            session.simple(if value.is_ok() { "COMMIT" } else { "ROLLBACK" })?;
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
        let mut state = self.pool.state();
        if session.client.is_closed() || session.in_transaction.load(Ordering::Relaxed) {
            // Lost, or left mid-transaction by a panic: closing it makes the server roll back.
            state.open -= 1;
        } else {
            state.idle.push(session);
        }
        drop(state);
        self.pool.freed.notify_one();
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

    /// Runs `call`, preceded in the same round trip by the transaction's start if it is not
    /// sent yet (requests on one session are answered in order).
    fn pipelined<T>(
        &self,
        call: impl std::future::Future<Output = Result<T, tokio_postgres::Error>>,
    ) -> Result<T, JournalError> {
        let begin = self.begin.lock().unwrap_or_else(PoisonError::into_inner).take();
        let answer = match begin {
            None => self.drive(call).map_err(error),
            // `biased`: the transaction's start is queued, so answered, first.
            Some(begin) => {
                let (started, answer) =
                    self.drive(async { tokio::join!(biased; self.client.batch_execute(begin), call) });
                started.map_err(error).and(answer.map_err(error))
            }
        };
        if answer.is_err() && self.in_transaction.load(Ordering::Relaxed) {
            self.failed.store(true, Ordering::Relaxed);
        }
        answer
    }
}

/// The journal's `?1` parameters as PostgreSQL's `$1`, outside quoted text.
pub(crate) fn numbered(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut quoted = false;
    for c in sql.chars() {
        match c {
            '\'' => {
                quoted = !quoted;
                out.push(c);
            }
            '?' if !quoted => out.push('$'),
            _ => out.push(c),
        }
    }
    out
}

/// A database error in the journal's words: losing the server is "offline", and says nothing
/// was charged; a refusal names the server's reason.
pub(crate) fn error(e: tokio_postgres::Error) -> JournalError {
    use tokio_postgres::error::SqlState;
    let code = e.code().map(|c| c.code().to_owned());
    let message = match e.as_db_error() {
        // lock_timeout: another desk held this card, order or file for 15 s.
        Some(_) if e.code() == Some(&SqlState::LOCK_NOT_AVAILABLE) => {
            "another desk is working on this card or order right now, so this was not recorded: try again in a moment".to_owned()
        }
        Some(db) => format!(
            "the team journal refused this ({}, {}), so it was not recorded: try again, and tell the supervisor if it repeats",
            db.message(),
            db.code().code()
        ),
        None => TeamError::from(e).to_string(),
    };
    JournalError::Team { message, code }
}

impl From<TeamError> for JournalError {
    fn from(e: TeamError) -> Self {
        JournalError::Team { message: e.to_string(), code: None }
    }
}

/// Column `idx` of a PostgreSQL row in the journal's three shapes.
pub(crate) fn cell(row: &Row, idx: usize) -> Result<Cell, JournalError> {
    let column = row.columns().get(idx).ok_or_else(|| super::bad(idx, "no such column".into()))?;
    let failed = |e: tokio_postgres::Error| super::bad(idx, e.to_string());
    let ty = column.type_().clone();
    let int = |v: Option<i64>| v.map_or(Cell::Null, Cell::Int);
    Ok(match ty {
        Type::INT8 => int(row.try_get::<_, Option<i64>>(idx).map_err(failed)?),
        Type::INT4 => int(row.try_get::<_, Option<i32>>(idx).map_err(failed)?.map(i64::from)),
        Type::INT2 => int(row.try_get::<_, Option<i16>>(idx).map_err(failed)?.map(i64::from)),
        Type::BOOL => int(row.try_get::<_, Option<bool>>(idx).map_err(failed)?.map(i64::from)),
        Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME => {
            row.try_get::<_, Option<String>>(idx).map_err(failed)?.map_or(Cell::Null, Cell::Text)
        }
        other => return Err(super::bad(idx, format!("unexpected column type {other}"))),
    })
}

/// A parameter takes the type PostgreSQL inferred for its place in the statement: a journal
/// integer binds to BIGINT, INTEGER, SMALLINT or BOOLEAN columns, text to text.
impl ToSql for Value<'_> {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut BytesMut,
    ) -> Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        match (self, ty) {
            (Value::Null, _) => Ok(IsNull::Yes),
            (Value::Int(v), &Type::INT8) => v.to_sql(ty, out),
            (Value::Int(v), &Type::INT4) => i32::try_from(*v)?.to_sql(ty, out),
            (Value::Int(v), &Type::INT2) => i16::try_from(*v)?.to_sql(ty, out),
            (Value::Int(v), &Type::BOOL) => (*v != 0).to_sql(ty, out),
            (Value::Int(v), _) => v.to_string().as_str().to_sql(&Type::TEXT, out),
            (Value::Text(t), &Type::INT8) => t.parse::<i64>()?.to_sql(ty, out),
            (Value::Text(t), &Type::INT4) => t.parse::<i32>()?.to_sql(ty, out),
            (Value::Text(t), &Type::INT2) => t.parse::<i16>()?.to_sql(ty, out),
            (Value::Text(t), &Type::BOOL) => matches!(t.as_ref(), "1" | "true" | "t").to_sql(ty, out),
            (Value::Text(t), _) => t.as_ref().to_sql(&Type::TEXT, out),
        }
    }

    fn accepts(ty: &Type) -> bool {
        matches!(
            *ty,
            Type::INT8
                | Type::INT4
                | Type::INT2
                | Type::BOOL
                | Type::TEXT
                | Type::VARCHAR
                | Type::BPCHAR
                | Type::NAME
                | Type::UNKNOWN
        )
    }

    to_sql_checked!();
}

#[cfg(test)]
mod tests {
    use super::numbered;

    #[test]
    fn parameters_are_numbered_outside_quotes_only() {
        assert_eq!(numbered("SELECT ?1, '?' WHERE a = ?12"), "SELECT $1, '?' WHERE a = $12");
    }
}
