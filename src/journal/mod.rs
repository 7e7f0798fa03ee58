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
mod audit;
mod backend;
mod batch;
mod bulk;
mod card_guard;
mod claims;
mod db;
mod group;
mod model;
#[cfg(test)]
pub(crate) use model::tests::sample_row;
mod orders;
mod people;
pub mod postgres;
mod prepared;
mod reads;
mod records;
mod rows;
mod schema;
mod search;
mod substring;
mod token_customers;
mod tokens;
mod write;

pub use aps_batch::{ApsBatch, ApsStage};
pub use audit::{AUDIT_KEY_CHECK, AuditEntry, AuditHead, AuditSeal};
pub use batch::{BatchRecord, BatchRowRecord, BatchState, NewBatch, NewBatchRow, batch_row_key};
#[doc(hidden)]
pub use bulk::BulkLoad;
pub use card_guard::{card_like_id, check_agreement_id, check_token_name, refuse_card_numbers};
pub use claims::{MaintenanceIntent, RetryIntent};
#[doc(hidden)]
pub use group::GroupStats;
pub use model::{
    Agreement, AgreementLimit, AgreementUpdate, CardFingerprint, Channel, Cycle, Extra, Filter, Lease,
    LinkRow, LinkStatus, MaskedCard, NewAgreement, NewLink, NewOperation, NewOrder, OpId, OpResult, OpState,
    OperationRow, OrderKind, OrderRow, OrderState, OrderUpdate, PaymentMethod, Unresolved,
};
pub use people::{OperatorChange, OperatorRecord};
pub use prepared::Write;
pub use schema::SCHEMA_VERSION;
pub use search::CSV_HEADER;

pub use token_customers::TokenCustomer;
pub use tokens::TokenRecord;

pub(crate) use rows::*;
pub(crate) use write::*;

use crate::aps::Operation;
use crate::aps::field::Field;
use crate::aps::money::{Currency, Money};
use chrono::{DateTime, SecondsFormat, Utc};
use db::{Db, params};
use group::Durability;
use rusqlite::{Connection, OpenFlags, TransactionBehavior};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
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
    /// The change is not allowed as things now stand (the message says why).
    #[error("{0}")]
    NotAllowed(String),
    #[error("the amount is in {got} but the order is in {expected}; use the order's currency")]
    CurrencyMismatch { expected: Currency, got: Currency },
    #[error("the journal database failed: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The team journal (PostgreSQL) failed or cannot be reached; the message says which.
    #[error("{message}")]
    Team { message: String, code: Option<String> },
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

/// The journal. Cheap to share in an `Arc`; see the module docs for the threading contract.
pub struct Journal {
    backend: Backend,
}

enum Backend {
    /// The embedded journal: a file, or memory.
    Lite(Lite),
    /// The team journal on PostgreSQL.
    Team(Arc<db::pg::Pool>),
}

struct Lite {
    conn: Mutex<Connection>,
    /// The group-commit writer of a journal file (`None` in memory: writes go to `conn`).
    writer: Option<group::Writer>,
    path: Option<PathBuf>,
}

impl std::fmt::Debug for Journal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.backend {
            Backend::Lite(lite) => f.debug_struct("Journal").field("path", &lite.path).finish(),
            Backend::Team(_) => f.debug_struct("Journal").field("team", &true).finish(),
        }
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
        let lite = Lite { conn: Mutex::new(conn), writer: Some(writer), path: Some(path.to_owned()) };
        Ok(Journal { backend: Backend::Lite(lite) })
    }

    /// Opens the team journal at a `postgres://` or `postgresql://` URL, setting its schema up
    /// or bringing it up to date.
    ///
    /// # Errors
    /// A URL that names no team journal, an unreachable server ("Team journal offline"), or a
    /// database set up by a newer moto-terminal.
    pub fn open_team(url: &str) -> Result<Journal, JournalError> {
        Ok(Journal { backend: Backend::Team(Arc::new(db::pg::Pool::open(url)?)) })
    }

    /// True for the team journal (PostgreSQL).
    pub fn is_team(&self) -> bool {
        matches!(self.backend, Backend::Team(_))
    }

    /// Declares that `owner` (this process's lease owner name) is running, for as long as the
    /// journal stays open: on the team journal a lock held on a session of its own, which the
    /// server lets go when the process ends, however it ends. Nothing to do on SQLite.
    ///
    /// # Errors
    /// The team journal cannot be reached.
    pub fn announce(&self, owner: &str) -> Result<(), JournalError> {
        match &self.backend {
            Backend::Lite(_) => Ok(()),
            Backend::Team(pool) => pool.announce(owner),
        }
    }

    /// Whether the process that owns an operation in flight is still running, as the team
    /// journal knows it (see [`Journal::announce`]); `None` on SQLite, which cannot tell.
    ///
    /// # Errors
    /// The team journal cannot be reached.
    pub fn owner_present(&self, owner: &str) -> Result<Option<bool>, JournalError> {
        match &self.backend {
            Backend::Lite(_) => Ok(None),
            Backend::Team(pool) => pool.present(owner).map(Some),
        }
    }

    /// A journal that lives in memory only, for tests and the throw-away demo.
    ///
    /// # Errors
    /// Only if SQLite itself cannot start.
    pub fn open_in_memory() -> Result<Journal, JournalError> {
        let mut conn = Connection::open_in_memory()?;
        configure(&mut conn, false)?;
        schema::migrate_to(&mut conn, SCHEMA_VERSION, ":memory:")?;
        Ok(Journal { backend: Backend::Lite(Lite { conn: Mutex::new(conn), writer: None, path: None }) })
    }

    /// The file behind this journal (`None` in memory).
    pub fn path(&self) -> Option<&Path> {
        match &self.backend {
            Backend::Lite(lite) => lite.path.as_deref(),
            Backend::Team(_) => None,
        }
    }

    /// The schema version of the open journal.
    ///
    /// # Errors
    /// Only on a database failure.
    pub fn schema_version(&self) -> Result<u32, JournalError> {
        match &self.backend {
            Backend::Lite(lite) => schema::user_version(&lite.lock()),
            Backend::Team(pool) => {
                let session = pool.get()?;
                let db = Db::Pg(&session);
                let version: i64 = db.query_one("SELECT version FROM moto_schema", &[], |r| r.get(0))?;
                u32::try_from(version).map_err(|_| JournalError::Corrupt(format!("schema version {version}")))
            }
        }
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
    // A savepoint's undo pages (the group writer opens one per write) stay in memory. Left to
    // a temporary file, each write of a batch spilled them to disk: 175 KB written per batch
    // row, against 38 KB with this.
    conn.pragma_update(None, "temp_store", "MEMORY")?;
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

#[cfg(test)]
impl Journal {
    /// The SQLite connection, for tests that look inside a desk journal.
    fn lock(&self) -> MutexGuard<'_, Connection> {
        self.desk_connection().unwrap_or_else(|e| panic!("{e}"))
    }

    fn group_writer(&self) -> Option<&group::Writer> {
        match &self.backend {
            Backend::Lite(lite) => lite.writer.as_ref(),
            Backend::Team(_) => None,
        }
    }
}
