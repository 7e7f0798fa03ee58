//! The journal's one way to talk SQL, to either backend: the embedded SQLite file or the team's
//! PostgreSQL. Every statement of the journal is written once, in the dialect both accept
//! (`?1`-style parameters, `RETURNING id`, `IS NOT DISTINCT FROM`, instants as fixed-width UTC
//! text), and runs through [`Db`]; the few places the two differ ask [`Db::is_team`].
//!
//! Values cross in three shapes only: NULL, a 64-bit integer and text. That is all the journal
//! stores (amounts are integer minor units, instants are text), so a column reads back the same
//! from both.

pub(crate) mod pg;
mod pg_ride;
mod pg_session;
mod pg_task;
mod pg_values;
mod wire;

use super::JournalError;
use rusqlite::types::{ToSqlOutput, ValueRef};
use std::borrow::Cow;

/// A statement parameter.
#[derive(Clone, Debug)]
pub(crate) enum Value<'a> {
    Null,
    Int(i64),
    Text(Cow<'a, str>),
}

impl Value<'static> {
    /// Text the value owns; NULL for `None`.
    pub(crate) fn owned(text: impl Into<Option<String>>) -> Value<'static> {
        text.into().map_or(Value::Null, |t| Value::Text(Cow::Owned(t)))
    }
}

impl Value<'_> {
    /// The same value, owning its text.
    pub(crate) fn detached(&self) -> Value<'static> {
        match self {
            Value::Null => Value::Null,
            Value::Int(i) => Value::Int(*i),
            Value::Text(t) => Value::Text(Cow::Owned(t.to_string())),
        }
    }
}

/// Anything that can be bound as a parameter ([`params!`]).
pub(crate) trait ToValue {
    fn to_value(&self) -> Value<'_>;
}

impl ToValue for str {
    fn to_value(&self) -> Value<'_> {
        Value::Text(Cow::Borrowed(self))
    }
}

impl ToValue for String {
    fn to_value(&self) -> Value<'_> {
        Value::Text(Cow::Borrowed(self))
    }
}

impl ToValue for i64 {
    fn to_value(&self) -> Value<'_> {
        Value::Int(*self)
    }
}

impl ToValue for i32 {
    fn to_value(&self) -> Value<'_> {
        Value::Int(i64::from(*self))
    }
}

impl ToValue for u32 {
    fn to_value(&self) -> Value<'_> {
        Value::Int(i64::from(*self))
    }
}

impl ToValue for bool {
    fn to_value(&self) -> Value<'_> {
        Value::Int(i64::from(*self))
    }
}

impl ToValue for Value<'_> {
    fn to_value(&self) -> Value<'_> {
        match self {
            Value::Null => Value::Null,
            Value::Int(v) => Value::Int(*v),
            Value::Text(t) => Value::Text(Cow::Borrowed(t)),
        }
    }
}

impl<T: ToValue + ?Sized> ToValue for &T {
    fn to_value(&self) -> Value<'_> {
        (**self).to_value()
    }
}

impl<T: ToValue> ToValue for Option<T> {
    fn to_value(&self) -> Value<'_> {
        self.as_ref().map_or(Value::Null, ToValue::to_value)
    }
}

/// The parameters of one statement: `params![a, b]` binds `?1` and `?2`.
macro_rules! params {
    ($($value:expr),* $(,)?) => {
        &[$($crate::journal::db::ToValue::to_value(&$value)),*] as &[$crate::journal::db::Value<'_>]
    };
}
pub(crate) use params;

impl rusqlite::ToSql for Value<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self {
            Value::Null => ToSqlOutput::Owned(rusqlite::types::Value::Null),
            Value::Int(v) => ToSqlOutput::Owned(rusqlite::types::Value::Integer(*v)),
            Value::Text(t) => ToSqlOutput::Borrowed(ValueRef::Text(t.as_bytes())),
        })
    }
}

/// One stored value as read back.
#[derive(Clone, Debug)]
pub(crate) enum Cell {
    Null,
    Int(i64),
    Text(String),
}

/// A Rust value a column reads into.
pub(crate) trait FromDb: Sized {
    fn from_cell(cell: Cell) -> Result<Self, String>;
}

impl FromDb for i64 {
    fn from_cell(cell: Cell) -> Result<Self, String> {
        match cell {
            Cell::Int(v) => Ok(v),
            other => Err(format!("expected a number, found {other:?}")),
        }
    }
}

impl FromDb for u32 {
    fn from_cell(cell: Cell) -> Result<Self, String> {
        let v = i64::from_cell(cell)?;
        u32::try_from(v).map_err(|_| format!("{v} is out of range"))
    }
}

impl FromDb for i32 {
    fn from_cell(cell: Cell) -> Result<Self, String> {
        let v = i64::from_cell(cell)?;
        i32::try_from(v).map_err(|_| format!("{v} is out of range"))
    }
}

impl FromDb for bool {
    fn from_cell(cell: Cell) -> Result<Self, String> {
        i64::from_cell(cell).map(|v| v != 0)
    }
}

impl FromDb for String {
    fn from_cell(cell: Cell) -> Result<Self, String> {
        match cell {
            Cell::Text(t) => Ok(t),
            other => Err(format!("expected text, found {other:?}")),
        }
    }
}

impl<T: FromDb> FromDb for Option<T> {
    fn from_cell(cell: Cell) -> Result<Self, String> {
        match cell {
            Cell::Null => Ok(None),
            other => T::from_cell(other).map(Some),
        }
    }
}

/// One row of an answer, from either backend.
pub(crate) enum DbRow<'a> {
    Lite(&'a rusqlite::Row<'a>),
    Pg(&'a tokio_postgres::Row),
    /// A row read before it was asked for ([`Db::pipeline`]).
    Read(&'a [Cell]),
}

/// The rows one statement of a [`Db::pipeline`] answered.
pub(crate) enum Answer {
    Lite(Vec<Vec<Cell>>),
    Pg(Vec<tokio_postgres::Row>),
}

impl Answer {
    /// The first row, if any, through `read`.
    pub(crate) fn first<T>(
        &self,
        read: impl FnOnce(&DbRow<'_>) -> Result<T, JournalError>,
    ) -> Result<Option<T>, JournalError> {
        match self {
            Answer::Lite(rows) => rows.first().map(|row| read(&DbRow::Read(row))).transpose(),
            Answer::Pg(rows) => rows.first().map(|row| read(&DbRow::Pg(row))).transpose(),
        }
    }
}

impl DbRow<'_> {
    /// Column `idx` (from 0) as `T`; a value of another shape is reported as damage.
    pub(crate) fn get<T: FromDb>(&self, idx: usize) -> Result<T, JournalError> {
        let cell = match self {
            DbRow::Lite(row) => lite_cell(row, idx)?,
            DbRow::Pg(row) => pg::cell(row, idx)?,
            DbRow::Read(cells) => cells.get(idx).cloned().ok_or_else(|| bad(idx, "no such column".into()))?,
        };
        T::from_cell(cell).map_err(|what| bad(idx, what))
    }
}

/// A stored value this version cannot read, naming its column.
pub(crate) fn bad(idx: usize, what: String) -> JournalError {
    JournalError::Corrupt(format!("column {idx}: {what}"))
}

fn lite_cell(row: &rusqlite::Row<'_>, idx: usize) -> Result<Cell, JournalError> {
    Ok(match row.get_ref(idx)? {
        ValueRef::Null => Cell::Null,
        ValueRef::Integer(v) => Cell::Int(v),
        ValueRef::Text(t) => {
            Cell::Text(String::from_utf8(t.to_vec()).map_err(|_| bad(idx, "text is not UTF-8".into()))?)
        }
        ValueRef::Real(_) | ValueRef::Blob(_) => return Err(bad(idx, "unexpected value type".into())),
    })
}

/// A connection (inside a transaction, for writes) to one of the two backends.
#[derive(Clone, Copy)]
pub(crate) enum Db<'a> {
    Lite(&'a rusqlite::Connection),
    Pg(&'a pg::Session),
}

impl Db<'_> {
    /// True on the team journal (PostgreSQL).
    pub(crate) fn is_team(self) -> bool {
        matches!(self, Db::Pg(_))
    }

    /// Runs a statement; returns the rows it changed.
    pub(crate) fn execute(self, sql: &str, params: &[Value<'_>]) -> Result<usize, JournalError> {
        match self {
            Db::Lite(conn) => Ok(conn.prepare_cached(sql)?.execute(rusqlite::params_from_iter(params))?),
            Db::Pg(session) => session.execute(sql, params),
        }
    }

    /// The first row of the answer, if any, through `read`.
    pub(crate) fn query_opt<T>(
        self,
        sql: &str,
        params: &[Value<'_>],
        read: impl FnOnce(&DbRow<'_>) -> Result<T, JournalError>,
    ) -> Result<Option<T>, JournalError> {
        match self {
            Db::Lite(conn) => {
                let mut stmt = conn.prepare_cached(sql)?;
                let mut rows = stmt.query(rusqlite::params_from_iter(params))?;
                match rows.next()? {
                    Some(row) => read(&DbRow::Lite(row)).map(Some),
                    None => Ok(None),
                }
            }
            Db::Pg(session) => {
                session.query(sql, params)?.first().map(|row| read(&DbRow::Pg(row))).transpose()
            }
        }
    }

    /// Runs `insert`, an INSERT of one row into a table keyed by `id`, and returns the new
    /// row's id. On SQLite the id is read from the connection: a statement with a RETURNING
    /// clause runs through a buffer table and a statement journal (a copy of every page it
    /// changes), which made a sixth of a batch row's instructions. The team journal is sent the
    /// clause (one round trip).
    pub(crate) fn insert(self, insert: &str, params: &[Value<'_>]) -> Result<i64, JournalError> {
        match self {
            Db::Lite(conn) => {
                conn.prepare_cached(insert)?.execute(rusqlite::params_from_iter(params))?;
                Ok(conn.last_insert_rowid())
            }
            Db::Pg(_) => self.query_one(&format!("{insert} RETURNING id"), params, |r| r.get(0)),
        }
    }

    /// The answer's one row through `read`; no row at all is an error.
    pub(crate) fn query_one<T>(
        self,
        sql: &str,
        params: &[Value<'_>],
        read: impl FnOnce(&DbRow<'_>) -> Result<T, JournalError>,
    ) -> Result<T, JournalError> {
        self.query_opt(sql, params, read)?.ok_or_else(|| {
            JournalError::Internal("a journal query that always answers returned nothing".into())
        })
    }

    /// Every row of the answer through `read`, in order.
    pub(crate) fn query_map<T>(
        self,
        sql: &str,
        params: &[Value<'_>],
        mut read: impl FnMut(&DbRow<'_>) -> Result<T, JournalError>,
    ) -> Result<Vec<T>, JournalError> {
        match self {
            Db::Lite(conn) => {
                let mut stmt = conn.prepare_cached(sql)?;
                let mut rows = stmt.query(rusqlite::params_from_iter(params))?;
                let mut out = Vec::new();
                while let Some(row) = rows.next()? {
                    out.push(read(&DbRow::Lite(row))?);
                }
                Ok(out)
            }
            Db::Pg(session) => session.query(sql, params)?.iter().map(|row| read(&DbRow::Pg(row))).collect(),
        }
    }

    /// Says that the transaction's statement makes its commit wait for the server's disk
    /// itself (it sets `synchronous_commit`), so that a synced write of one statement can be
    /// sent alone, without `BEGIN` and `COMMIT` around it.
    pub(crate) fn synced_by_statement(self) {
        if let Db::Pg(session) = self {
            session.synced_by_statement();
        }
    }

    /// Serialises writers of the same `key` until the transaction ends. SQLite has one writer
    /// at a time already; on the team journal this is a transaction-scoped advisory lock, so a
    /// check and the insert it guards cannot interleave with another desk's. It is held before
    /// the next statement runs (it travels with it).
    pub(crate) fn lock(self, key: &str) -> Result<(), JournalError> {
        match self {
            Db::Lite(_) => Ok(()),
            Db::Pg(session) => {
                session.lock(key);
                Ok(())
            }
        }
    }

    /// Runs `statements` in order and gives each one's rows. On the team journal they travel in
    /// one round trip, and with `commit` the transaction's commit travels with them when
    /// nothing else of it follows (see `pg::Session::pipeline`); SQLite runs them one after
    /// another and commits as always. The first failure is returned; on the team journal it
    /// undoes the whole transaction, the statements after it included.
    pub(crate) fn pipeline(
        self,
        statements: &[(&str, &[Value<'_>])],
        commit: bool,
    ) -> Result<Vec<Answer>, JournalError> {
        match self {
            Db::Lite(conn) => statements
                .iter()
                .map(|(sql, params)| {
                    let mut stmt = conn.prepare_cached(sql)?;
                    let width = stmt.column_count();
                    let mut rows = stmt.query(rusqlite::params_from_iter(*params))?;
                    let mut out = Vec::new();
                    while let Some(row) = rows.next()? {
                        out.push((0..width).map(|i| lite_cell(row, i)).collect::<Result<Vec<_>, _>>()?);
                    }
                    Ok(Answer::Lite(out))
                })
                .collect(),
            Db::Pg(session) => {
                Ok(session.pipeline(statements, commit)?.into_iter().map(Answer::Pg).collect())
            }
        }
    }
}

/// True when `e` is a unique-index violation (a duplicate reference, say), on either backend.
pub(crate) fn is_unique_violation(e: &JournalError) -> bool {
    match e {
        JournalError::Sqlite(rusqlite::Error::SqliteFailure(f, _)) => {
            f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                || f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
        }
        JournalError::Team { code, .. } => code.as_deref() == Some("23505"),
        _ => false,
    }
}

/// True when `e` is a foreign-key violation (a payment link for an order not in the journal).
pub(crate) fn is_foreign_key_violation(e: &JournalError) -> bool {
    match e {
        JournalError::Sqlite(rusqlite::Error::SqliteFailure(f, _)) => {
            f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_FOREIGNKEY
        }
        JournalError::Team { code, .. } => code.as_deref() == Some("23503"),
        _ => false,
    }
}
