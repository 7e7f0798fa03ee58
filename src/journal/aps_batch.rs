//! A batch sent through the APS batch service: its batch reference, APS's batch id and the
//! stage it reached, each written (and synced) before the step it names is taken. A run after a
//! crash reads the stage back and so knows what APS may already have: it asks APS before it
//! uploads or processes anything again, and never makes a second reference for the same file.

use super::db::{Db, params};
use super::rows::parse_ts;
use super::write::{require, ts};
use super::{BatchRecord, Journal, JournalError, NewBatch, NewBatchRow};
use crate::aps::field::Field;
use chrono::{DateTime, Utc};

/// How far a batch got with APS. Each stage is recorded before the step it starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ApsStage {
    /// The batch and its reference are recorded; nothing has gone to APS.
    Prepared,
    /// The upload may be on its way or done: APS's state is unknown until asked.
    Uploading,
    /// APS has the file (it answered the upload, or said it already has the reference).
    Uploaded,
    /// APS checked the file and it passed; it is not processed yet.
    Validated,
    /// PROCESS_BATCH may be on its way or done: the rows may be charged.
    Processing,
    /// Every row's result is in the journal (some may still be settled with CHECK_STATUS).
    Finished,
    /// APS refused the file: none of its rows was processed.
    Refused,
    /// The terminal gave the batch up before asking APS to process it: nothing was processed.
    Abandoned,
}

impl ApsStage {
    pub const ALL: [ApsStage; 8] = [
        Self::Prepared,
        Self::Uploading,
        Self::Uploaded,
        Self::Validated,
        Self::Processing,
        Self::Finished,
        Self::Refused,
        Self::Abandoned,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Prepared => "prepared",
            Self::Uploading => "uploading",
            Self::Uploaded => "uploaded",
            Self::Validated => "validated",
            Self::Processing => "processing",
            Self::Finished => "finished",
            Self::Refused => "refused",
            Self::Abandoned => "abandoned",
        }
    }

    /// Nothing more will happen to the batch at APS.
    pub fn is_final(self) -> bool {
        matches!(self, Self::Finished | Self::Refused | Self::Abandoned)
    }

    fn parse(text: &str) -> Result<Self, JournalError> {
        Self::ALL
            .into_iter()
            .find(|s| s.as_str() == text)
            .ok_or_else(|| JournalError::Corrupt(format!("unknown APS batch stage {text:?}")))
    }
}

/// A batch's standing with APS.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApsBatch {
    pub reference: String,
    /// APS's own id of the batch, once an upload answer gave it.
    pub batch_id: Option<String>,
    pub stage: ApsStage,
    /// When the stage was recorded: a request sent at that moment may be on its way until the
    /// in-flight window has passed.
    pub stage_at: DateTime<Utc>,
    /// APS's response code in its last word on the batch as a whole.
    pub code: Option<String>,
    /// That word's meaning, for `batch show`.
    pub note: Option<String>,
}

impl Journal {
    /// The batch of this reference on this profile (whatever its state), or a new one with
    /// `rows` in stage [`ApsStage::Prepared`], committed before anything is sent. Returns it,
    /// its standing with APS, and whether it was already there. A batch that is not final is
    /// marked running again.
    ///
    /// # Errors
    /// [`JournalError::Busy`] when the same file is being run row by row on this profile (an
    /// unfinished batch without a reference); empty profile or operator; database failure.
    pub fn open_aps_batch(
        &self,
        batch: &NewBatch,
        rows: &[NewBatchRow],
        reference: &str,
    ) -> Result<(BatchRecord, ApsBatch, bool), JournalError> {
        require(Field::Profile, &batch.profile)?;
        require(Field::Operator, &batch.operator)?;
        require(Field::BatchReference, reference)?;
        let (batch, rows, reference_owned) = (batch.clone(), rows.to_vec(), reference.to_owned());
        let (id, resumed) = self.write_now(move |tx| {
            let (batch, rows, reference) = (&batch, &rows, reference_owned.as_str());
            tx.lock(&format!("batch {} {}", batch.profile, batch.file_hash))?;
            let found: Option<(i64, String)> = tx.query_opt(
                "SELECT id, aps_stage FROM batches WHERE profile = ?1 AND aps_reference = ?2",
                params![batch.profile, reference],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
            if let Some((id, stage)) = found {
                if !ApsStage::parse(&stage)?.is_final() {
                    tx.execute(
                        "UPDATE batches SET state = 'running', updated_at = ?2 WHERE id = ?1",
                        params![id, ts(&batch.at)],
                    )?;
                }
                Ok((id, true))
            } else {
                refuse_row_by_row_run(tx, batch)?;
                Ok((insert_aps_batch(tx, batch, rows, reference)?, false))
            }
        })?;
        let record = self.batch(id)?.ok_or_else(|| JournalError::Corrupt(format!("batch {id} vanished")))?;
        let aps = self
            .aps_batch(id)?
            .ok_or_else(|| JournalError::Corrupt(format!("batch {id} lost its reference")))?;
        Ok((record, aps, resumed))
    }

    /// Records the stage a batch is about to enter (or has reached), at `at`, with APS's batch
    /// id once an answer gave it (`None` keeps the one recorded).
    ///
    /// # Errors
    /// Database failure, or a batch id that is not an identifier.
    pub fn set_aps_stage(
        &self,
        id: i64,
        stage: ApsStage,
        batch_id: Option<&str>,
        at: DateTime<Utc>,
    ) -> Result<(), JournalError> {
        if let Some(batch_id) = batch_id {
            check_batch_id(batch_id)?;
        }
        self.hold_write()?.db().execute(
            "UPDATE batches SET aps_stage = ?2, aps_stage_at = ?3, aps_batch_id = COALESCE(?4, aps_batch_id),
                updated_at = ?3
             WHERE id = ?1 AND aps_reference IS NOT NULL",
            params![id, stage.as_str(), ts(&at), batch_id],
        )?;
        Ok(())
    }

    /// Records APS's last word on the batch as a whole: its response code (if it gave one) and
    /// what that means, in words.
    ///
    /// # Errors
    /// Database failure, or a note holding a card number.
    pub fn set_aps_note(&self, id: i64, code: Option<&str>, note: &str) -> Result<(), JournalError> {
        super::write::check_text("APS batch note", Some(note))?;
        super::write::check_text("APS batch code", code)?;
        self.hold_write()?.db().execute(
            "UPDATE batches SET aps_code = ?2, aps_note = ?3 WHERE id = ?1 AND aps_reference IS NOT NULL",
            params![id, code, note],
        )?;
        Ok(())
    }

    /// A batch's standing with APS; `None` for a batch run row by row, or no such batch.
    ///
    /// # Errors
    /// Database failure or an unreadable row.
    pub fn aps_batch(&self, id: i64) -> Result<Option<ApsBatch>, JournalError> {
        let held = self.hold()?;
        let conn = held.db();
        type Columns = (String, Option<String>, String, String, Option<String>, Option<String>);
        let row: Option<Columns> = conn.query_opt(
            "SELECT aps_reference, aps_batch_id, aps_stage, aps_stage_at, aps_code, aps_note
                 FROM batches WHERE id = ?1 AND aps_reference IS NOT NULL",
            params![id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?)),
        )?;
        let Some((reference, batch_id, stage, stage_at, code, note)) = row else { return Ok(None) };
        Ok(Some(ApsBatch {
            reference,
            batch_id,
            stage: ApsStage::parse(&stage)?,
            stage_at: parse_ts(&stage_at).map_err(JournalError::Corrupt)?,
            code,
            note,
        }))
    }

    /// The unfinished batch of this file on this profile that is being sent through the APS
    /// batch service, if there is one: it must not be run row by row meanwhile.
    ///
    /// # Errors
    /// Database failure.
    pub fn unfinished_aps_batch(&self, profile: &str, file_hash: &str) -> Result<Option<i64>, JournalError> {
        self.hold()?.db().query_opt(
            "SELECT id FROM batches WHERE profile = ?1 AND file_hash = ?2 AND state <> 'finished'
                 AND aps_reference IS NOT NULL",
            params![profile, file_hash],
            |r| r.get(0),
        )
    }

    /// Brings the deadline of the batch's operations still open forward to `deadline`: once
    /// APS has answered the batch's results, none of its rows can still be on its way, and a
    /// status check that finds no record of one may then count.
    ///
    /// # Errors
    /// Database failure.
    pub fn end_batch_leases(&self, id: i64, deadline: DateTime<Utc>) -> Result<usize, JournalError> {
        let (prefix, at) = (format!("{id}:"), ts(&deadline));
        let held = self.hold_write()?;
        let db = held.db();
        if db.is_team() {
            // PostgreSQL finds the open operations through `operations_open`; its text order
            // follows the database's collation, in which a range of keys is not a prefix.
            return db.execute(END_LEASES, params![prefix, at]);
        }
        db.execute(&END_LEASES_LITE, params![prefix, at, format!("{id};")])
    }
}

/// [`Journal::end_batch_leases`]'s statement: the batch's key prefix (?1), the deadline (?2).
const END_LEASES: &str = "UPDATE operations SET deadline = ?2
     WHERE batch_row IS NOT NULL AND substr(batch_row, 1, length(CAST(?1 AS TEXT))) = ?1
       AND state IN ('intent', 'unknown') AND (deadline IS NULL OR deadline > ?2)";

/// [`END_LEASES`] on SQLite, whose text order is the bytes': a batch's row keys (`12:1`,
/// `12:2`, ...) all lie from `12:` up to `12;` (?3), a range of `operations_batch_row`, so only
/// the batch's own operations are read.
pub(super) static END_LEASES_LITE: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| format!("{END_LEASES} AND batch_row >= ?1 AND batch_row < ?3"));

/// APS's batch id is, like a `fort_id`, APS's own identifier from a signed answer, never typed
/// by a person, and often digits that pass the Luhn check by chance: it is not scanned for card
/// numbers, but it must be 1 to 20 letters and digits (spec 3.11).
fn check_batch_id(batch_id: &str) -> Result<(), JournalError> {
    if batch_id.is_empty() || batch_id.len() > 20 || !batch_id.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(JournalError::Invalid {
            field: Field::BatchId,
            problem: "must be 1 to 20 letters and digits".to_owned(),
        });
    }
    Ok(())
}

/// The same file being run row by row on the profile: the two must never overlap.
fn refuse_row_by_row_run(tx: Db<'_>, batch: &NewBatch) -> Result<(), JournalError> {
    let row_by_row: Option<i64> = tx.query_opt(
        "SELECT id FROM batches WHERE profile = ?1 AND file_hash = ?2 AND state <> 'finished'
             AND aps_reference IS NULL",
        params![batch.profile, batch.file_hash],
        |r| r.get(0),
    )?;
    match row_by_row {
        Some(id) => Err(JournalError::Busy(format!(
            "this file is being run row by row as batch {id}: finish that batch first (run the same file again without --via aps)"
        ))),
        None => Ok(()),
    }
}

fn insert_aps_batch(
    tx: Db<'_>,
    batch: &NewBatch,
    rows: &[NewBatchRow],
    reference: &str,
) -> Result<i64, JournalError> {
    let count = i64::try_from(rows.len()).unwrap_or(i64::MAX);
    let id: i64 = tx.query_one(
        "INSERT INTO batches (profile, file_name, file_hash, operator, via, row_count, state, created_at,
            updated_at, aps_reference, aps_stage, aps_stage_at)
         VALUES (?1, ?2, ?3, ?4, 'aps', ?5, 'running', ?6, ?6, ?7, 'prepared', ?6) RETURNING id",
        params![
            batch.profile,
            batch.file_name,
            batch.file_hash,
            batch.operator,
            count,
            ts(&batch.at),
            reference
        ],
        |r| r.get(0),
    )?;
    super::batch::insert_rows(tx, id, rows)?;
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aps::money::{Currency, Money};
    use crate::journal::tests::{journal, on_both};
    use crate::journal::{BatchState, Lease, NewOrder, OpState, batch_row_key};
    use chrono::TimeZone;

    fn at(minutes: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).unwrap() + chrono::Duration::minutes(minutes)
    }

    fn new_batch(hash: &str) -> NewBatch {
        NewBatch {
            profile: "main".into(),
            file_name: "members.csv".into(),
            file_hash: hash.into(),
            file_path: None,
            operator: "sara".into(),
            via: "aps".into(),
            at: at(0),
        }
    }

    fn rows() -> Vec<NewBatchRow> {
        let aed = Currency::parse("AED").unwrap();
        vec![
            NewBatchRow {
                row: 2,
                operation: "sale".into(),
                merchant_reference: "M-1".into(),
                amount: Some(Money::from_minor(1000, aed).unwrap()),
                problem: None,
            },
            NewBatchRow {
                row: 3,
                operation: "authorize".into(),
                merchant_reference: "M-2".into(),
                amount: None,
                problem: Some("row 3: not through APS".into()),
            },
        ]
    }

    on_both! {
    fn a_batch_is_recorded_with_its_reference_before_anything_and_found_again_by_it() {
        let j = journal();
        let (batch, aps, resumed) = j.open_aps_batch(&new_batch("h1"), &rows(), "MTB-1").unwrap();
        assert!(!resumed);
        assert_eq!((batch.via.as_str(), batch.row_count, batch.state), ("aps", 2, BatchState::Running));
        assert_eq!((aps.reference.as_str(), aps.stage, aps.batch_id), ("MTB-1", ApsStage::Prepared, None));
        assert_eq!(j.batch_rows(batch.id).unwrap()[1].problem.as_deref(), Some("row 3: not through APS"));
        assert_eq!(j.unfinished_aps_batch("main", "h1").unwrap(), Some(batch.id));

        j.set_aps_stage(batch.id, ApsStage::Uploading, None, at(1)).unwrap();
        j.set_aps_stage(batch.id, ApsStage::Uploaded, Some("7001"), at(2)).unwrap();
        j.set_aps_note(batch.id, Some("71138"), "APS is still checking the batch file.").unwrap();
        j.set_aps_stage(batch.id, ApsStage::Validated, None, at(3)).unwrap();
        j.set_batch_state(batch.id, BatchState::Stopped, at(3)).unwrap();
        let (again, aps, resumed) = j.open_aps_batch(&new_batch("h1"), &rows(), "MTB-1").unwrap();
        assert!(resumed);
        assert_eq!((again.id, again.state), (batch.id, BatchState::Running));
        assert_eq!(aps.stage, ApsStage::Validated);
        assert_eq!(aps.batch_id.as_deref(), Some("7001"), "an id once learned is kept");
        assert_eq!(aps.code.as_deref(), Some("71138"));
        assert_eq!(aps.note.as_deref(), Some("APS is still checking the batch file."));
        assert_eq!(aps.stage_at, at(3));
    }
    }

    on_both! {
    fn a_final_batch_is_found_again_and_left_as_it_is() {
        let j = journal();
        let (batch, _, _) = j.open_aps_batch(&new_batch("h2"), &rows(), "MTB-2").unwrap();
        j.set_aps_stage(batch.id, ApsStage::Refused, None, at(1)).unwrap();
        j.set_batch_state(batch.id, BatchState::Finished, at(1)).unwrap();
        assert_eq!(j.unfinished_aps_batch("main", "h2").unwrap(), None);
        let (again, aps, resumed) = j.open_aps_batch(&new_batch("h2"), &rows(), "MTB-2").unwrap();
        assert!(resumed);
        assert_eq!((again.id, again.state, aps.stage), (batch.id, BatchState::Finished, ApsStage::Refused));
    }
    }

    on_both! {
    fn the_same_file_never_runs_both_ways_at_once() {
        let j = journal();
        let mut local = new_batch("h3");
        local.via = "terminal".into();
        let (row_by_row, _) = j.open_batch(&local, &rows()).unwrap();
        let e = j.open_aps_batch(&new_batch("h3"), &rows(), "MTB-3").unwrap_err();
        assert!(
            matches!(&e, JournalError::Busy(m) if m.contains(&format!("batch {}", row_by_row.id))),
            "{e}"
        );
        assert_eq!(j.aps_batch(row_by_row.id).unwrap(), None, "a row-by-row batch has no APS standing");
        j.set_batch_state(row_by_row.id, BatchState::Finished, at(1)).unwrap();
        assert!(j.open_aps_batch(&new_batch("h3"), &rows(), "MTB-3").is_ok());
    }
    }

    on_both! {
    fn apss_batch_id_is_kept_even_when_its_digits_pass_the_luhn_check() {
        let j = journal();
        let (batch, _, _) = j.open_aps_batch(&new_batch("h6"), &rows(), "MTB-6").unwrap();
        j.set_aps_stage(batch.id, ApsStage::Uploaded, Some("4005550000000001"), at(1)).unwrap();
        assert_eq!(j.aps_batch(batch.id).unwrap().unwrap().batch_id.as_deref(), Some("4005550000000001"));
        for bad in ["", "123456789012345678901", "12-34", "12 34"] {
            let e = j.set_aps_stage(batch.id, ApsStage::Uploaded, Some(bad), at(2));
            assert!(matches!(e, Err(JournalError::Invalid { field: Field::BatchId, .. })), "{bad:?}");
        }
    }
    }

    on_both! {
    fn notes_are_checked_for_card_numbers_and_stages_read_back() {
        let j = journal();
        let (batch, _, _) = j.open_aps_batch(&new_batch("h4"), &rows(), "MTB-4").unwrap();
        let e = j.set_aps_note(batch.id, None, "card 4005550000000001");
        assert!(matches!(e, Err(JournalError::LooksLikeCardNumber { .. })));
        for stage in ApsStage::ALL {
            j.set_aps_stage(batch.id, stage, None, at(2)).unwrap();
            assert_eq!(j.aps_batch(batch.id).unwrap().unwrap().stage, stage);
        }
        assert!(ApsStage::ALL.iter().filter(|s| s.is_final()).count() == 3);
    }
    }

    on_both! {
    fn leases_of_a_batchs_open_operations_end_when_its_results_are_read() {
        let j = journal();
        let (batch, _, _) = j.open_aps_batch(&new_batch("h5"), &rows(), "MTB-5").unwrap();
        let mine = j.record_order_intent(&intent("M-1", batch_row_key(batch.id, 2))).unwrap();
        let other = j.record_order_intent(&intent("X-1", batch_row_key(batch.id + 10, 2))).unwrap();
        assert_eq!(j.end_batch_leases(batch.id, at(5)).unwrap(), 1);
        assert_eq!(j.operation(mine).unwrap().unwrap().deadline, Some(at(5)));
        assert_eq!(j.operation(other).unwrap().unwrap().deadline, Some(at(60 * 24 * 7)));
        assert_eq!(j.end_batch_leases(batch.id, at(9)).unwrap(), 0, "never pushed later");
        assert_eq!(j.operation(mine).unwrap().unwrap().state, OpState::Intent);
    }
    }

    on_both! {
    fn a_rows_operations_are_found_across_runs_of_the_same_file_and_no_other() {
        let j = journal();
        let local = NewBatch { via: "terminal".into(), ..new_batch("h7") };
        let (first, _) = j.open_batch(&local, &rows()).unwrap();
        j.set_batch_state(first.id, BatchState::Finished, at(1)).unwrap();
        let (second, resumed) = j.open_batch(&local, &rows()).unwrap();
        assert!(!resumed && second.id != first.id, "a finished file run again is a new batch");
        let (other, _) = j.open_batch(&NewBatch { file_hash: "h8".into(), ..local }, &rows()).unwrap();
        let sent = j.record_order_intent(&intent("M-7", batch_row_key(first.id, 2))).unwrap();
        let elsewhere = j.record_order_intent(&intent("M-8", batch_row_key(other.id, 2))).unwrap();
        let found = |batch: i64, row| j.operations_of_file_row(batch, row).unwrap().iter().map(|o| o.id).collect::<Vec<_>>();
        assert_eq!(found(second.id, 2), [sent], "the earlier run's operation for the row");
        assert_eq!(found(first.id, 2), [sent]);
        assert!(found(second.id, 3).is_empty(), "not another row's");
        assert_eq!(found(other.id, 2), [elsewhere], "not another file's");
    }
    }

    /// A batch row's order intent, leased for a week as an APS batch's rows are.
    fn intent(reference: &str, key: String) -> NewOrder {
        let aed = Currency::parse("AED").unwrap();
        NewOrder {
            profile: "main".into(),
            merchant_reference: reference.into(),
            kind: crate::journal::OrderKind::Recurring,
            channel: crate::journal::Channel::Batch,
            amount: Money::from_minor(1000, aed).unwrap(),
            method: crate::journal::PaymentMethod::Token { token_name: "T-1".into(), masked_card: None },
            customer_email: None,
            customer_name: None,
            description: None,
            operator: "sara".into(),
            terminal: "desk-1".into(),
            created_at: at(0),
            extra: crate::journal::Extra::new(),
            lease: Some(Lease { owner: "me".into(), deadline: at(60 * 24 * 7) }),
            batch_row: Some(key),
        }
    }
}
