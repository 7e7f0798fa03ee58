//! Reading batches back from the journal: the list, and one batch's rows with what each did.

use super::outcome::{RowOutcome, RowResult, Settled};
use super::run::PlanRow;
use crate::aps::Operation;
use crate::aps::money::Money;
use crate::journal::{ApsBatch, BatchRecord, BatchRowRecord, batch_row_key};
use crate::service::{Service, ServiceError};

impl Service {
    /// Batches, newest first; of one profile when given.
    ///
    /// # Errors
    /// Journal failure.
    pub async fn batches(&self, profile: Option<&str>) -> Result<Vec<BatchRecord>, ServiceError> {
        self.allow(crate::service::access::Right::Batch).await?;
        let profile = profile.map(str::to_owned);
        self.journal(move |j| j.batches(profile.as_deref())).await
    }

    /// Where a batch sent through APS's batch service stands there, in a line: "APS batch
    /// MTB-… (APS id 123): finished; …". `None` for a batch run row by row.
    ///
    /// # Errors
    /// Journal failure.
    pub async fn aps_batch_summary(&self, id: i64) -> Result<Option<String>, ServiceError> {
        self.allow(crate::service::access::Right::Batch).await?;
        Ok(self.journal(move |j| j.aps_batch(id)).await?.map(|aps| aps_summary(&aps)))
    }

    /// One batch and, in file order, what each row did as the journal has it now.
    ///
    /// # Errors
    /// Journal failure.
    pub async fn batch_results(
        &self,
        id: i64,
    ) -> Result<Option<(BatchRecord, Vec<RowResult>)>, ServiceError> {
        self.allow(crate::service::access::Right::Batch).await?;
        let Some(batch) = self.journal(move |j| j.batch(id)).await? else { return Ok(None) };
        let rows = self.journal(move |j| j.batch_rows(id)).await?;
        let mut results = Vec::with_capacity(rows.len());
        for row in rows {
            results.push(self.stored_row(&batch, row).await?);
        }
        Ok(Some((batch, results)))
    }

    async fn stored_row(&self, batch: &BatchRecord, row: BatchRowRecord) -> Result<RowResult, ServiceError> {
        let amount = match (row.amount_minor, row.currency) {
            (Some(minor), Some(currency)) => Money::from_minor(minor, currency).ok(),
            _ => None,
        };
        let plan = PlanRow {
            row: row.row,
            operation: row.operation.clone(),
            merchant_reference: row.merchant_reference.clone(),
            amount,
            job: Err(row.problem.clone().unwrap_or_default()),
        };
        if let Some(problem) = &row.problem {
            return Ok(RowResult::of_plan(&plan, RowOutcome::Invalid, problem));
        }
        let key = batch_row_key(batch.id, row.row);
        let (profile, reference) = (batch.profile.clone(), row.merchant_reference.clone());
        let (ops, order) = self
            .journal(move |j| Ok((j.operations_of_batch_row(&key)?, j.order(&profile, &reference)?)))
            .await?;
        // A sale row's later sends (sent again) carry no key: its order's last charge counts.
        let charges = |o: &&crate::journal::OperationRow| {
            matches!(o.operation, Operation::Purchase | Operation::Authorization)
        };
        let op = match ops.first() {
            Some(first) if charges(&first) => {
                let (p, r) = (batch.profile.clone(), row.merchant_reference.clone());
                let timeline = self.journal(move |j| j.timeline(&p, &r)).await?;
                timeline.iter().rfind(|o| charges(o)).cloned()
            }
            _ => ops.last().cloned(),
        };
        Ok(match op {
            Some(op) => RowResult::of_settled(&plan, &Settled::Recorded { op, order }),
            None => RowResult::of_plan(&plan, RowOutcome::NotSent, "not started"),
        })
    }
}

fn aps_summary(aps: &ApsBatch) -> String {
    let id = aps.batch_id.as_deref().map(|id| format!(" (APS id {id})")).unwrap_or_default();
    let note = aps.note.as_deref().map(|n| format!("; {n}")).unwrap_or_default();
    format!("APS batch {}{id}: {}{note}", aps.reference, aps.stage.as_str())
}
