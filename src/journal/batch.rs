//! Batch files in the journal: the batch (file, profile, operator, state) and its rows in file
//! order, and for each row the operation sent for it, found by the row's key on the operation.

use super::db::{Db, DbRow, params};
use super::rows::{parse_currency, parse_ts};
use super::write::{check_text, require, sql_amount, ts};
use super::{Journal, JournalError, OperationRow};
use crate::aps::field::Field;
use crate::aps::money::{Currency, Money};
use chrono::{DateTime, Utc};

/// A batch to open: one file on one profile.
#[derive(Clone, Debug)]
pub struct NewBatch {
    pub profile: String,
    pub file_name: String,
    /// Hex SHA-256 of the file's bytes: the same file is the same batch until it finishes.
    pub file_hash: String,
    /// Where the file was read from, when it came from a file on this computer.
    pub file_path: Option<String>,
    pub operator: String,
    /// "terminal" (rows sent one by one) or "aps" (the APS batch service).
    pub via: String,
    pub at: DateTime<Utc>,
}

/// A row of a batch file as checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewBatchRow {
    /// Spreadsheet numbering: the header is row 1.
    pub row: u32,
    /// As written in the file (`sale`, `REFUND`, ...), or the operation's name.
    pub operation: String,
    pub merchant_reference: String,
    pub amount: Option<Money>,
    /// Why the row cannot be run; `None` for a valid row.
    pub problem: Option<String>,
}

/// Where a batch stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BatchState {
    Running,
    Stopped,
    Finished,
}

impl BatchState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Stopped => "stopped",
            Self::Finished => "finished",
        }
    }

    fn parse(text: &str) -> Result<Self, JournalError> {
        [Self::Running, Self::Stopped, Self::Finished]
            .into_iter()
            .find(|s| s.as_str() == text)
            .ok_or_else(|| JournalError::Corrupt(format!("unknown batch state {text:?}")))
    }
}

/// A batch as stored.
#[derive(Clone, Debug, PartialEq)]
pub struct BatchRecord {
    pub id: i64,
    pub profile: String,
    pub file_name: String,
    pub file_hash: String,
    pub file_path: Option<String>,
    pub operator: String,
    pub via: String,
    pub row_count: u32,
    pub state: BatchState,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A stored row, with the operations sent for it (oldest first).
#[derive(Clone, Debug, PartialEq)]
pub struct BatchRowRecord {
    pub row: u32,
    pub operation: String,
    pub merchant_reference: String,
    pub amount_minor: Option<u64>,
    pub currency: Option<Currency>,
    pub problem: Option<String>,
}

/// The key an operation carries for a batch row.
pub fn batch_row_key(batch_id: i64, row: u32) -> String {
    format!("{batch_id}:{row}")
}

const BATCH_COLUMNS: &str =
    "id, profile, file_name, file_hash, operator, via, row_count, state, created_at, updated_at, file_path";

fn batch_of(row: &DbRow<'_>) -> Result<BatchRecord, JournalError> {
    let text = |i: usize| -> Result<String, JournalError> { row.get::<String>(i) };
    let time = |i: usize| parse_ts(&text(i)?).map_err(JournalError::Corrupt);
    Ok(BatchRecord {
        id: row.get(0)?,
        profile: text(1)?,
        file_name: text(2)?,
        file_hash: text(3)?,
        operator: text(4)?,
        via: text(5)?,
        row_count: row.get(6)?,
        state: BatchState::parse(&text(7)?)?,
        created_at: time(8)?,
        updated_at: time(9)?,
        file_path: row.get(10)?,
    })
}

impl Journal {
    /// The unfinished batch of this profile and file, or a new one with `rows`. Returns it and
    /// whether it was already there (a run to resume).
    ///
    /// # Errors
    /// Empty profile or file hash, or a database failure.
    pub fn open_batch(
        &self,
        batch: &NewBatch,
        rows: &[NewBatchRow],
    ) -> Result<(BatchRecord, bool), JournalError> {
        require(Field::Profile, &batch.profile)?;
        require(Field::Operator, &batch.operator)?;
        check_text("batch file name", Some(&batch.file_name))?;
        check_text("batch file path", batch.file_path.as_deref())?;
        let (batch, rows) = (batch.clone(), rows.to_vec());
        self.write_now(move |tx| open_batch_in(tx, &batch, &rows))
    }

    /// Marks a batch running, stopped or finished.
    ///
    /// # Errors
    /// Database failure.
    pub fn set_batch_state(&self, id: i64, state: BatchState, at: DateTime<Utc>) -> Result<(), JournalError> {
        self.hold_write()?.db().execute(
            "UPDATE batches SET state = ?2, updated_at = ?3 WHERE id = ?1",
            params![id, state.as_str(), ts(&at)],
        )?;
        Ok(())
    }

    /// Batches, newest first; of one profile when given.
    ///
    /// # Errors
    /// Database failure or an unreadable row.
    pub fn batches(&self, profile: Option<&str>) -> Result<Vec<BatchRecord>, JournalError> {
        let held = self.hold()?;
        let conn = held.db();
        let sql = format!(
            "SELECT {BATCH_COLUMNS} FROM batches WHERE CAST(?1 AS TEXT) IS NULL OR profile = ?1 ORDER BY id DESC"
        );
        conn.query_map(&sql, params![profile], batch_of)
    }

    /// One batch by id.
    ///
    /// # Errors
    /// Database failure or an unreadable row.
    pub fn batch(&self, id: i64) -> Result<Option<BatchRecord>, JournalError> {
        let held = self.hold()?;
        let conn = held.db();
        let sql = format!("SELECT {BATCH_COLUMNS} FROM batches WHERE id = ?1");
        conn.query_opt(&sql, params![id], batch_of)
    }

    /// A batch's rows in file order.
    ///
    /// # Errors
    /// Database failure or an unreadable row.
    pub fn batch_rows(&self, id: i64) -> Result<Vec<BatchRowRecord>, JournalError> {
        let held = self.hold()?;
        let conn = held.db();
        let sql = "SELECT row, operation, merchant_reference, amount_minor, currency, problem
             FROM batch_rows WHERE batch_id = ?1 ORDER BY row";
        conn.query_map(sql, params![id], |r| {
            let currency: Option<String> = r.get(4)?;
            Ok(BatchRowRecord {
                row: r.get(0)?,
                operation: r.get(1)?,
                merchant_reference: r.get(2)?,
                amount_minor: r.get::<Option<i64>>(3)?.and_then(|a| u64::try_from(a).ok()),
                currency: currency
                    .as_deref()
                    .map(parse_currency)
                    .transpose()
                    .map_err(JournalError::Corrupt)?,
                problem: r.get(5)?,
            })
        })
    }

    /// The operations sent for a batch row, oldest first.
    ///
    /// # Errors
    /// Database failure or an unreadable row.
    pub fn operations_of_batch_row(&self, key: &str) -> Result<Vec<OperationRow>, JournalError> {
        let ids: Vec<i64> = self.read(|db| {
            db.query_map("SELECT id FROM operations WHERE batch_row = ?1 ORDER BY id", params![key], |r| {
                r.get(0)
            })
        })?;
        ids.into_iter().filter_map(|id| self.operation(super::OpId(id)).transpose()).collect()
    }

    /// The operations sent for row `row` of batch `batch_id`'s file, by that batch or by an
    /// earlier run of the same file on the same profile (one that finished, after which running
    /// the file again opens a new batch), oldest first.
    ///
    /// # Errors
    /// Database failure or an unreadable row.
    pub fn operations_of_file_row(&self, batch_id: i64, row: u32) -> Result<Vec<OperationRow>, JournalError> {
        let sql = "SELECT o.id FROM batches this
             JOIN batches b ON b.profile = this.profile AND b.file_hash = this.file_hash
             JOIN operations o ON o.batch_row = CAST(b.id AS TEXT) || ':' || ?2
             WHERE this.id = ?1 ORDER BY o.id";
        let ids: Vec<i64> =
            self.read(|db| db.query_map(sql, params![batch_id, row.to_string()], |r| r.get(0)))?;
        ids.into_iter().filter_map(|id| self.operation(super::OpId(id)).transpose()).collect()
    }
}

/// Opens a batch, or finds the unfinished one of the same file, in the write transaction.
/// Desks sharing the team journal take turns on one file, so a second desk starting it
/// resumes the first's batch instead of opening another.
fn open_batch_in(
    tx: Db<'_>,
    batch: &NewBatch,
    rows: &[NewBatchRow],
) -> Result<(BatchRecord, bool), JournalError> {
    tx.lock(&format!("batch {} {}", batch.profile, batch.file_hash))?;
    let sql = format!(
        "SELECT {BATCH_COLUMNS} FROM batches WHERE profile = ?1 AND file_hash = ?2 AND state <> 'finished'"
    );
    if let Some(found) = tx.query_opt(&sql, params![batch.profile, batch.file_hash], batch_of)? {
        // The same file may have moved: remember where it was read from this time.
        let file_path = batch.file_path.clone().or(found.file_path.clone());
        tx.execute(
            "UPDATE batches SET state = 'running', updated_at = ?2, file_path = ?3 WHERE id = ?1",
            params![found.id, ts(&batch.at), file_path],
        )?;
        return Ok((BatchRecord { state: BatchState::Running, file_path, ..found }, true));
    }
    let id: i64 = tx.query_one(
        "INSERT INTO batches (profile, file_name, file_hash, operator, via, row_count, state, created_at, updated_at, file_path)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'running', ?7, ?7, ?8) RETURNING id",
        params![
            batch.profile,
            batch.file_name,
            batch.file_hash,
            batch.operator,
            batch.via,
            i64::try_from(rows.len()).unwrap_or(i64::MAX),
            ts(&batch.at),
            batch.file_path
        ],
        |r| r.get(0),
    )?;
    insert_rows(tx, id, rows)?;
    let record =
        tx.query_one(&format!("SELECT {BATCH_COLUMNS} FROM batches WHERE id = ?1"), params![id], batch_of)?;
    Ok((record, false))
}

/// A new batch's rows.
pub(super) fn insert_rows(tx: Db<'_>, id: i64, rows: &[NewBatchRow]) -> Result<(), JournalError> {
    for r in rows {
        let amount = r.amount.map(|m| sql_amount(Field::Amount, m.minor_units())).transpose()?;
        tx.execute(
            "INSERT INTO batch_rows (batch_id, row, operation, merchant_reference, amount_minor, currency, problem)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![id, r.row, r.operation, r.merchant_reference, amount, r.amount.map(|m| m.currency().code()), r.problem],
        )?;
    }
    Ok(())
}
