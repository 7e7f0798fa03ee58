//! The durable local record of every payment attempt and its outcome (SQLite in WAL mode,
//! `synchronous=FULL`).
//!
//! The service writes an intent here, and it is on disk, before a request leaves; every answer
//! and every later operation is added to the order's timeline. After a crash, [`Journal::unresolved`]
//! lists what must be asked of APS before anything else is charged.
//!
//! # Durability: group commit
//!
//! On a journal file, intents, claims and outcomes go through one writer thread with its own
//! connection (`group`). Writes that arrive together share one transaction, and so one disk
//! sync: each runs in its own savepoint, so a write that fails (a duplicate reference, the
//! duplicate guard, `Busy`, bad input) undoes only itself and returns its own error while the
//! others commit. Every check (the duplicate guard, what an order still allows, a claim's
//! owner) runs in the same transaction as the insert it guards. The contract for callers:
//!
//! - an intent method (`record_*_intent`, [`Journal::claim_operation`], and every write other
//!   than an outcome) returns only after its transaction is committed and synced to disk, so a
//!   request sent after it returns is always on record, even after a power cut;
//! - an error means nothing of that call was written;
//! - no write waits for company: a lone write is committed at once, and a transaction takes at
//!   most 64 writes.
//!
//! One deliberate exception to `FULL`: [`Journal::record_outcome`] does not wait for the disk.
//! A batch of outcomes only commits with `synchronous=NORMAL`; one that shares a batch with an
//! intent is synced with it. A process crash loses nothing (the commit is in the operating
//! system's cache); a power cut can lose only outcomes written since the last synced commit,
//! and the very next intent syncs them. A lost outcome leaves its order pending, which
//! start-up reconciliation settles by asking APS: never a second charge. This halves the disk
//! syncs per charge, which is what bounds a call centre's throughput.
//!
//! A journal in memory has no writer: each write is a transaction of its own.
//!
//! Card numbers, CVVs and secrets cannot be stored: the types accept only masked card text and a
//! keyed fingerprint, and free text fields refuse anything shaped like a card number.
//!
//! Every method is synchronous and briefly takes the connection's lock (or waits for its group
//! commit); async callers use `spawn_blocking`. [`Journal`] is `Send + Sync`: share it in an
//! `Arc`. Reads use a connection of their own and are not held up by a commit in progress.
//! Several processes (the desktop app and the CLI) may open the same file; SQLite's busy
//! timeout serialises their writes.

mod aps_batch;
mod batch;
mod bulk;
mod card_guard;
mod claims;
mod group;
mod model;
mod orders;
pub mod postgres;
mod prepared;
mod records;
mod rows;
mod schema;
mod search;
mod substring;
mod tokens;
mod write;

pub use aps_batch::{ApsBatch, ApsStage};
pub use batch::{BatchRecord, BatchRowRecord, BatchState, NewBatch, NewBatchRow, batch_row_key};
#[doc(hidden)]
pub use bulk::BulkLoad;
pub use card_guard::{check_agreement_id, refuse_card_numbers};
pub use claims::{MaintenanceIntent, RetryIntent};
#[doc(hidden)]
pub use group::GroupStats;
pub use model::{
    Agreement, AgreementLimit, AgreementUpdate, CardFingerprint, Channel, Cycle, Extra, Filter, Lease,
    LinkRow, LinkStatus, MaskedCard, NewAgreement, NewLink, NewOperation, NewOrder, OpId, OpResult, OpState,
    OperationRow, OrderKind, OrderRow, OrderState, OrderUpdate, PaymentMethod, Unresolved,
};
pub use prepared::Write;
pub use schema::SCHEMA_VERSION;
pub use search::CSV_HEADER;
pub(crate) use search::csv_cell;
pub use tokens::TokenRecord;

pub(crate) use rows::*;
pub(crate) use write::*;

use crate::aps::Operation;
use crate::aps::field::Field;
use crate::aps::money::{Currency, Money};
use chrono::{DateTime, SecondsFormat, Utc};
use group::Durability;
use rusqlite::{Connection, OpenFlags, OptionalExtension, Row, TransactionBehavior, params};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

/// How long a write waits for another process holding the journal before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Why a journal call failed. Messages name what to do; none contains card data or secrets.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    #[error("cannot create the journal folder {path}: {source}; check the data directory is writable")]
    CreateDir { path: String, source: std::io::Error },
    #[error(
        "cannot open the journal at {path}: {source}; check the file is not on a read-only or network drive"
    )]
    Open { path: String, source: rusqlite::Error },
    #[error(
        "the journal at {path} was written by a newer moto-terminal (schema {found}, this version knows {supported}); update moto-terminal"
    )]
    TooNew { path: String, found: u32, supported: u32 },
    #[error(
        "merchant reference \"{reference}\" is already used by profile \"{profile}\": use a new reference, or open the existing order"
    )]
    DuplicateReference { profile: String, reference: String },
    #[error(
        "no order \"{reference}\" for profile \"{profile}\" in the journal; check the merchant reference and profile"
    )]
    OrderNotFound { profile: String, reference: String },
    #[error("operation {0} is not in the journal")]
    OperationNotFound(OpId),
    #[error("operation {id} already has its outcome ({state}); record a new operation instead")]
    OperationAlreadyFinished { id: OpId, state: OpState },
    /// Another operation on the same order is in flight or in doubt.
    #[error("{0}")]
    Busy(String),
    #[error("{field} looks like it contains a card number; remove it (card numbers are never stored)")]
    LooksLikeCardNumber { field: &'static str },
    #[error("{field}: {problem}")]
    Invalid { field: Field, problem: String },
    #[error("the amount is in {got} but the order is in {expected}; use the order's currency")]
    CurrencyMismatch { expected: Currency, got: Currency },
    #[error("the journal database failed: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("the journal holds a value this version cannot read ({0}); the file may be damaged")]
    Corrupt(String),
    #[error("writing the export failed: {0}")]
    Io(#[from] std::io::Error),
    /// The journal's own machinery failed; nothing was recorded by the call that got this.
    #[error(
        "the journal failed internally ({0}); nothing was recorded: try again, and restart moto-terminal if it repeats"
    )]
    Internal(String),
}

/// The orders [`Journal::unresolved`] lists (`?1`: one profile, or NULL for all).
const UNRESOLVED_WHERE: &str = "id IN (SELECT id FROM orders WHERE state IN ('pending', 'unknown')
        UNION SELECT order_id FROM operations
        WHERE state IN ('intent', 'unknown') AND operation <> 'CHECK_STATUS')
    AND (?1 IS NULL OR profile = ?1)";

/// The journal. Cheap to share in an `Arc`; see the module docs for the threading contract.
pub struct Journal {
    conn: Mutex<Connection>,
    /// The group-commit writer of a journal file (`None` in memory: writes go to `conn`).
    writer: Option<group::Writer>,
    path: Option<PathBuf>,
}

impl std::fmt::Debug for Journal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Journal").field("path", &self.path).finish()
    }
}

impl Journal {
    /// Opens (creating it and its folder if needed) the journal file and brings its schema up to
    /// date. The file is readable by its owner only: it holds customer names and emails.
    ///
    /// # Errors
    /// The folder cannot be created, the file cannot be opened or is not a journal, WAL mode is
    /// unavailable, or the file comes from a newer version ([`JournalError::TooNew`]).
    pub fn open(path: &Path) -> Result<Journal, JournalError> {
        Self::open_at_version(path, SCHEMA_VERSION)
    }

    pub(crate) fn open_at_version(path: &Path, version: u32) -> Result<Journal, JournalError> {
        let shown = path.display().to_string();
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            crate::files::create_private_dir(dir)
                .map_err(|source| JournalError::CreateDir { path: dir.display().to_string(), source })?;
        }
        // Created 0600 here, before SQLite opens it: SQLite gives the -wal and -shm files the
        // database file's mode, so none of the three is ever readable by others. No links.
        let private =
            |e: std::io::Error| JournalError::Invalid { field: Field::JournalFile, problem: e.to_string() };
        for suffix in ["-wal", "-shm"] {
            let mut side = path.as_os_str().to_owned();
            side.push(suffix);
            crate::files::refuse_symlink(Path::new(&side)).map_err(private)?;
        }
        crate::files::create_private(path).map_err(private)?;
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let mut conn = Connection::open_with_flags(path, flags)
            .map_err(|source| JournalError::Open { path: shown.clone(), source })?;
        restrict_permissions(path)?;
        configure_retrying(&mut conn).map_err(|source| JournalError::Open { path: shown.clone(), source })?;
        let mode: String = conn
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .map_err(|source| JournalError::Open { path: shown.clone(), source })?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(JournalError::Invalid {
                field: Field::JournalFile,
                problem: format!(
                    "{shown} cannot use write-ahead logging (mode {mode}); keep the data directory on a local disk"
                ),
            });
        }
        schema::migrate_to(&mut conn, version, &shown)?;
        let mut writer_conn = Connection::open_with_flags(path, flags)
            .map_err(|source| JournalError::Open { path: shown.clone(), source })?;
        configure_retrying(&mut writer_conn)
            .map_err(|source| JournalError::Open { path: shown.clone(), source })?;
        let writer = group::Writer::start(writer_conn)
            .map_err(|e| JournalError::Internal(format!("cannot start the journal writer: {e}")))?;
        Ok(Journal { conn: Mutex::new(conn), writer: Some(writer), path: Some(path.to_owned()) })
    }

    /// A journal that lives in memory only, for tests and the throw-away demo.
    ///
    /// # Errors
    /// Only if SQLite itself cannot start.
    pub fn open_in_memory() -> Result<Journal, JournalError> {
        let mut conn = Connection::open_in_memory()?;
        configure(&mut conn, false)?;
        schema::migrate_to(&mut conn, SCHEMA_VERSION, ":memory:")?;
        Ok(Journal { conn: Mutex::new(conn), writer: None, path: None })
    }

    /// The file behind this journal (`None` in memory).
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// The schema version of the open journal.
    ///
    /// # Errors
    /// Only on a database failure.
    pub fn schema_version(&self) -> Result<u32, JournalError> {
        schema::user_version(&self.lock())
    }

    fn lock(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave a half-written transaction behind (an
        // unfinished rusqlite Transaction rolls back when dropped), so the connection stays usable.
        self.conn.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The connection, for a write that does not go through the group writer: holds the
    /// writer's gate first, so the two connections of this process never wait on each other
    /// inside SQLite (whose busy handler sleeps).
    fn lock_write(&self) -> WriteLock<'_> {
        let gate = self.writer.as_ref().map(group::Writer::gate);
        WriteLock { conn: self.lock(), _gate: gate }
    }

    /// Runs `work` in one write transaction and returns when it is committed (synced to disk
    /// for [`Durability::Synced`]). On a file, the group writer runs it in its own savepoint of
    /// a transaction shared with the writes that arrived together; in memory, in a transaction
    /// of its own. An error from `work` undoes only `work`'s writes.
    fn write<T, F>(&self, durability: Durability, work: F) -> Result<T, JournalError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, JournalError> + Send + 'static,
    {
        if let Some(writer) = &self.writer {
            return writer.submit(durability, work);
        }
        let mut conn = self.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let value = work(&tx)?;
        tx.commit()?;
        Ok(value)
    }

    /// Commits and writes carried by the group writer since the journal opened (`None` in
    /// memory). For the benchmarks and tests that check intents really share commits.
    #[doc(hidden)]
    pub fn group_stats(&self) -> Option<GroupStats> {
        self.writer.as_ref().map(group::Writer::stats)
    }

    /// One order by its profile and merchant reference.
    ///
    /// # Errors
    /// Database failure or an unreadable row.
    pub fn order(&self, profile: &str, reference: &str) -> Result<Option<OrderRow>, JournalError> {
        let conn = self.lock();
        let sql =
            format!("SELECT {ORDER_COLUMNS} FROM orders WHERE profile = ?1 AND merchant_reference = ?2");
        let row =
            conn.prepare_cached(&sql)?.query_row(params![profile, reference], order_from_row).optional()?;
        Ok(row.map(|(_, o)| o))
    }

    /// The order APS knows by `fort_id`, within one profile or across all (newest first if two
    /// merchants' ids ever collide).
    ///
    /// # Errors
    /// Database failure or an unreadable row.
    pub fn find_by_fort_id(
        &self,
        profile: Option<&str>,
        fort_id: &str,
    ) -> Result<Option<OrderRow>, JournalError> {
        let conn = self.lock();
        let sql = format!(
            "SELECT {ORDER_COLUMNS} FROM orders WHERE fort_id = ?1 AND (?2 IS NULL OR profile = ?2)
             ORDER BY created_at DESC, id DESC LIMIT 1"
        );
        let row =
            conn.prepare_cached(&sql)?.query_row(params![fort_id, profile], order_from_row).optional()?;
        Ok(row.map(|(_, o)| o))
    }

    /// The order's operations, oldest first.
    ///
    /// # Errors
    /// Database failure or an unreadable row.
    pub fn timeline(&self, profile: &str, reference: &str) -> Result<Vec<OperationRow>, JournalError> {
        let conn = self.lock();
        let sql = format!(
            "SELECT {OPERATION_COLUMNS} FROM operations WHERE profile = ?1 AND merchant_reference = ?2 ORDER BY id"
        );
        let mut stmt = conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(params![profile, reference], operation_from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// One operation by id.
    ///
    /// # Errors
    /// Database failure or an unreadable row.
    pub fn operation(&self, id: OpId) -> Result<Option<OperationRow>, JournalError> {
        let conn = self.lock();
        let sql = format!("SELECT {OPERATION_COLUMNS} FROM operations WHERE id = ?1");
        Ok(conn.prepare_cached(&sql)?.query_row([id.0], operation_from_row).optional()?)
    }

    /// Orders whose outcome must be established with APS before new charges of their profile:
    /// those still pending or unknown, and those with an operation whose answer never came (a
    /// refund lost in flight, say). Lost CHECK_STATUS queries do not count: they move nothing and
    /// the next query replaces them. Oldest first, the order reconciliation should follow.
    /// Both halves look their rows up in an index (`orders_state`, `operations_unsettled`) and
    /// never read the settled orders, so start-up stays quick at a million orders.
    ///
    /// # Errors
    /// Database failure or an unreadable row.
    pub fn unresolved(&self, profile: Option<&str>) -> Result<Vec<Unresolved>, JournalError> {
        let conn = self.lock();
        let sql =
            format!("SELECT {ORDER_COLUMNS} FROM orders WHERE {UNRESOLVED_WHERE} ORDER BY created_at, id");
        let orders: Vec<(i64, OrderRow)> =
            conn.prepare_cached(&sql)?.query_map([profile], order_from_row)?.collect::<Result<_, _>>()?;
        let ops_sql = format!(
            "SELECT {OPERATION_COLUMNS} FROM operations
             WHERE order_id = ?1 AND state IN ('intent', 'unknown') AND operation <> 'CHECK_STATUS' ORDER BY id"
        );
        let mut ops = conn.prepare_cached(&ops_sql)?;
        orders
            .into_iter()
            .map(|(id, order)| {
                let open_operations = ops.query_map([id], operation_from_row)?.collect::<Result<_, _>>()?;
                Ok(Unresolved { order, open_operations })
            })
            .collect()
    }

    /// Token operations (CREATE_TOKEN, UPDATE_TOKEN) on no order whose answer never came, oldest
    /// first: a person should check the token in the APS back office.
    ///
    /// # Errors
    /// Database failure or an unreadable row.
    pub fn open_operations_without_order(
        &self,
        profile: Option<&str>,
    ) -> Result<Vec<OperationRow>, JournalError> {
        let conn = self.lock();
        let sql = format!(
            "SELECT {OPERATION_COLUMNS} FROM operations
             WHERE order_id IS NULL AND (?1 IS NULL OR profile = ?1)
               AND state IN ('intent', 'unknown') AND operation <> 'CHECK_STATUS' ORDER BY id"
        );
        let rows =
            conn.prepare_cached(&sql)?.query_map([profile], operation_from_row)?.collect::<Result<_, _>>()?;
        Ok(rows)
    }

    /// The newest order in the last few minutes that charged (or may have charged) the same card
    /// or token the same amount: approved, pending or unknown orders count, and so do orders APS
    /// had no record of when asked (they are sent again with their own reference, not as a new
    /// order); declined, rejected and never-sent ones do not. Payment links never match.
    ///
    /// # Errors
    /// Database failure or an unreadable row.
    pub fn recent_duplicate(
        &self,
        profile: &str,
        method: &PaymentMethod,
        amount: Money,
        since: DateTime<Utc>,
    ) -> Result<Option<OrderRow>, JournalError> {
        duplicate_in(&self.lock(), profile, method, amount, since)
    }
}

/// The journal's connection held for a write, with the group writer's gate.
struct WriteLock<'a> {
    conn: MutexGuard<'a, Connection>,
    _gate: Option<MutexGuard<'a, ()>>,
}

impl std::ops::Deref for WriteLock<'_> {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        &self.conn
    }
}

impl std::ops::DerefMut for WriteLock<'_> {
    fn deref_mut(&mut self) -> &mut Connection {
        &mut self.conn
    }
}

#[cfg(unix)]
fn restrict_permissions(path: &Path) -> Result<(), JournalError> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
        .map_err(|source| JournalError::CreateDir { path: path.display().to_string(), source })
}

#[cfg(not(unix))]
fn restrict_permissions(_path: &Path) -> Result<(), JournalError> {
    Ok(())
}

/// Switching a brand-new file to WAL needs an exclusive lock, and SQLite answers "busy" at once,
/// without its busy handler, when another process (the desktop app and a CLI run starting
/// together) holds the file at that moment. Try again for a few seconds before giving up.
fn configure_retrying(conn: &mut Connection) -> rusqlite::Result<()> {
    let mut wait = Duration::from_millis(5);
    let deadline = std::time::Instant::now() + BUSY_TIMEOUT;
    loop {
        match configure(conn, true) {
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.code == rusqlite::ErrorCode::DatabaseBusy && std::time::Instant::now() < deadline =>
            {
                std::thread::sleep(wait);
                wait = (wait * 2).min(Duration::from_millis(200));
            }
            other => return other,
        }
    }
}

fn configure(conn: &mut Connection, on_disk: bool) -> rusqlite::Result<()> {
    // First, so that switching to WAL and migrating wait for another process instead of failing.
    conn.busy_timeout(BUSY_TIMEOUT)?;
    if on_disk {
        // WAL keeps readers (the journal screen) from blocking the writer; FULL syncs the log on
        // every commit, so an intent survives a power cut once record_*_intent returns.
        conn.pragma_update(None, "journal_mode", "WAL")?;
    }
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", true)?;
    // The query planner's stability guarantee: a plan never depends on the values bound to it.
    // Without it, a statement on a table with a partial index (orders, operations) is compiled
    // again whenever its bound values change, because the planner compared them with the
    // index's condition: a quarter of a batch row's CPU went to compiling cached statements.
    // The partial indexes are matched by the literals written in the queries that use them.
    conn.set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
    conn.set_prepared_statement_cache_capacity(64);
    Ok(())
}

#[cfg(test)]
mod tests;

// MERGE: replaced by the PostgreSQL backend on main
impl Journal {
    /// Opens the team journal at a postgres:// or postgresql:// URL (sets the schema up).
    ///
    /// # Errors
    /// Until the PostgreSQL backend is merged, always.
    pub fn open_team(_url: &str) -> Result<Journal, JournalError> {
        Err(JournalError::Internal("team journal backend not merged yet".into()))
    }

    /// True for a team (PostgreSQL) journal.
    pub fn is_team(&self) -> bool {
        false
    }
}
