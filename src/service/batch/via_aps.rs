//! Running a checked batch through the APS batch service (spec 3.11) instead of row by row.
//!
//! The steps, each recorded in the journal before it is taken: the batch and its reference
//! (derived from the merchant account and the file, so the same file always has the same one);
//! every row's intent; UPLOAD_BATCH_FILE; GET_BATCH_RESULTS until APS has checked the file;
//! PROCESS_BATCH; GET_BATCH_RESULTS until the per-line results come; each row booked as the
//! answer to a single request would be. Waits between questions follow the status back-off.
//!
//! A run that stops (no answer, APS still busy, Stop before processing) leaves the batch at its
//! stage; running the same file again carries on from there under the same reference. The file
//! is never uploaded under a new reference, and APS takes a reference once (`146` then means
//! "carry on with the batch APS has"). PROCESS_BATCH is sent again only after APS's results say
//! the batch was checked and not processed.

use super::aps_calls::{Flight, Step};
use super::outcome::{RowOutcome, RowResult};
use super::run::{BatchPlan, BatchRun, RunOptions, new_row};
use crate::aps::Operation;
use crate::aps::batch::{BatchEndpoints, batch_endpoints, batch_reference};
use crate::journal::{ApsStage, BatchRecord, BatchState, NewBatch};
use crate::service::policy::{self, Reading};
use crate::service::{Ctx, Service, ServiceError};
use std::collections::{HashMap, HashSet};
use std::sync::atomic::Ordering;

/// Most steps one run takes before it stops and leaves the batch to the next run.
const MAX_STEPS: usize = 64;

/// The rows the APS batch service cannot take, each made invalid with a problem that names its
/// row, its column and the fix: authorize rows (the service takes recurring purchases and
/// maintenance, spec 3.11), sale rows without the agreement id a recurring charge carries, and
/// a second row on one order (APS promises no order between the rows of a batch).
pub fn aps_problems(plan: &mut BatchPlan) -> Vec<String> {
    let mut named = HashSet::new();
    let mut problems = Vec::new();
    for row in &mut plan.rows {
        let Ok(job) = &row.job else { continue };
        let problem = if job.op == Operation::Authorization {
            Some(format!(
                "row {}: operation '{}' cannot go through the APS batch service: send the file row by row instead (without --via aps)",
                row.row, row.operation
            ))
        } else if job.op == Operation::Purchase && job.agreement_id.trim().is_empty() {
            Some(format!(
                "row {}: agreement_id is empty: a sale through the APS batch service is a recurring charge of the saved card and needs the customer's agreement id (or send the file row by row, without --via aps)",
                row.row
            ))
        } else if !named.insert(job.merchant_reference.clone()) {
            Some(format!(
                "row {}: merchant_reference '{}' is named by an earlier row, and the APS batch service keeps no order between rows: send the file row by row instead (without --via aps)",
                row.row, job.merchant_reference
            ))
        } else {
            None
        };
        if let Some(problem) = problem {
            row.job = Err(problem.clone());
            problems.push(problem);
        }
    }
    problems
}

impl Service {
    /// Runs (or carries on with) a batch through the APS batch service. Rows it cannot take
    /// ([`aps_problems`]) are reported invalid and not sent.
    ///
    /// # Errors
    /// The profile, its endpoint or the journal cannot be used; the batch's own troubles are
    /// in its rows' results.
    pub async fn run_batch_via_aps(
        &self,
        mut plan: BatchPlan,
        options: RunOptions,
    ) -> Result<BatchRun, ServiceError> {
        self.batch_rights(&plan).await?;
        self.refuse_offline()?;
        aps_problems(&mut plan);
        self.ready().await;
        let ctx = self.ctx(&plan.profile).await?;
        let endpoints = batch_endpoints(&ctx.profile.endpoint).map_err(ServiceError::Profile)?;
        let reference = batch_reference(&ctx.profile.merchant_identifier, &plan.file_hash);
        let new = NewBatch {
            profile: plan.profile.clone(),
            file_name: plan.file_name.clone(),
            file_hash: plan.file_hash.clone(),
            file_path: plan.source.as_ref().map(|p| p.display().to_string()),
            operator: ctx.profile.operator.clone(),
            via: "aps".to_owned(),
            at: chrono::Utc::now(),
        };
        let rows: Vec<_> = plan.rows.iter().map(new_row).collect();
        let r = reference.clone();
        let (batch, aps, resumed) = self.journal(move |j| j.open_aps_batch(&new, &rows, &r)).await?;
        let start = format!("batch {} via APS ({}, {} rows)", batch.id, plan.file_name, plan.rows.len());
        self.note("batch-start", if resumed { "resumed" } else { "ok" }, &start).await;
        let mut flight = Flight { id: batch.id, reference, aps_id: aps.batch_id, stage: aps.stage, rows: 0 };
        let mut refused = HashMap::new();
        let halted = if aps.stage.is_final() {
            None
        } else {
            self.fly(&ctx, &endpoints, &plan, &mut flight, &options, &mut refused).await?
        };
        let state = if flight.stage.is_final() { BatchState::Finished } else { BatchState::Stopped };
        let id = batch.id;
        self.end_batch(id, state).await;
        let results = self.aps_results(id, refused, halted.as_deref()).await?;
        self.note("batch-end", state.as_str(), &format!("batch {id}: {}", super::run::tally_words(&results)))
            .await;
        for result in &results {
            (options.on_row)(result);
        }
        Ok(BatchRun { batch: BatchRecord { state, ..batch }, resumed, results })
    }

    /// Takes the batch's steps from its recorded stage. Returns why it stopped, or `None` once
    /// the batch is final.
    async fn fly(
        &self,
        ctx: &Ctx,
        endpoints: &BatchEndpoints,
        plan: &BatchPlan,
        flight: &mut Flight,
        options: &RunOptions,
        refused: &mut HashMap<u32, RowResult>,
    ) -> Result<Option<String>, ServiceError> {
        if flight.stage == ApsStage::Prepared {
            *refused = self.record_intents(ctx, plan, flight.id).await?;
        }
        let file = self.aps_file(ctx, plan, flight.id).await?;
        flight.rows = file.len();
        if file.is_empty() {
            self.note_batch(flight, None, "No row of the file could be sent, so nothing went to APS.")
                .await?;
            self.set_stage(flight, ApsStage::Abandoned, None).await?;
            return Ok(None);
        }
        let mut waits = policy::backoff_schedule(self.settings().backoff_unit).into_iter();
        for _ in 0..MAX_STEPS {
            let before_processing = matches!(
                flight.stage,
                ApsStage::Prepared | ApsStage::Uploading | ApsStage::Uploaded | ApsStage::Validated
            );
            if before_processing && options.stop.load(Ordering::SeqCst) {
                return Ok(Some(
                    "stopped before APS was asked to process the batch: run the same command again to carry on"
                        .into(),
                ));
            }
            let step = match flight.stage {
                ApsStage::Prepared | ApsStage::Uploading => {
                    self.upload_step(ctx, endpoints, flight, &file).await?
                }
                ApsStage::Uploaded | ApsStage::Processing => {
                    self.results_step(ctx, endpoints, flight).await?
                }
                ApsStage::Validated => self.process_step(ctx, endpoints, flight).await?,
                ApsStage::Finished | ApsStage::Refused | ApsStage::Abandoned => return Ok(None),
            };
            match step {
                Step::Next => {}
                Step::Wait(why) => match waits.next() {
                    Some(wait) => tokio::time::sleep(wait).await,
                    None => return Ok(Some(format!("{why}; run the same command again later to carry on"))),
                },
                Step::Halt(why) => {
                    self.note_batch(flight, None, &why).await?;
                    return Ok(Some(why));
                }
                Step::Refused { code, words } => {
                    self.note_batch(flight, Some(&code), &words).await?;
                    for entry in &file {
                        self.book_row(ctx, entry, Reading::NotSent { why: words.clone() }).await?;
                    }
                    self.set_stage(flight, ApsStage::Refused, None).await?;
                    return Ok(None);
                }
                Step::Results(results) => {
                    let (id, now) = (flight.id, chrono::Utc::now());
                    self.journal(move |j| j.end_batch_leases(id, now)).await?;
                    self.book_results(ctx, &file, &results).await?;
                    self.set_stage(flight, ApsStage::Finished, None).await?;
                    return Ok(None);
                }
            }
        }
        Ok(Some(
            "APS's answers did not settle the batch; run the same command again later to carry on".into(),
        ))
    }

    /// Every row's result as the journal has it (as `batch show` reads it), with the reason of
    /// this run for a row refused before the file left, and for a row still in doubt.
    async fn aps_results(
        &self,
        id: i64,
        mut refused: HashMap<u32, RowResult>,
        halted: Option<&str>,
    ) -> Result<Vec<RowResult>, ServiceError> {
        let (_, results) = self
            .batch_results(id)
            .await?
            .ok_or_else(|| ServiceError::Journal(format!("batch {id} is no longer in the journal")))?;
        Ok(results
            .into_iter()
            .map(|r| match (refused.remove(&r.row), halted) {
                (Some(refused), _) => refused,
                (None, Some(why)) if r.outcome == RowOutcome::Unknown && r.response_message.is_empty() => {
                    RowResult { response_message: format!("not settled yet: {why}"), ..r }
                }
                (None, _) => r,
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::batch::run::{BatchJob, PlanRow};

    fn row(n: u32, op: Operation, reference: &str, agreement: &str) -> PlanRow {
        PlanRow {
            row: n,
            operation: op.wire_name().to_lowercase(),
            merchant_reference: reference.into(),
            amount: None,
            job: Ok(BatchJob {
                op,
                merchant_reference: reference.into(),
                money: None,
                token_name: "T".into(),
                customer_email: "a@example.com".into(),
                customer_name: String::new(),
                description: String::new(),
                agreement_id: agreement.into(),
                new_reference: false,
            }),
        }
    }

    #[test]
    fn rows_the_aps_batch_service_cannot_take_become_invalid_and_say_why() {
        let mut plan = BatchPlan {
            profile: "p".into(),
            file_name: "f.csv".into(),
            file_hash: "h".into(),
            source: None,
            rows: vec![
                row(2, Operation::Purchase, "R-1", "AGR-1"),
                row(3, Operation::Authorization, "R-2", ""),
                row(4, Operation::Purchase, "R-3", " "),
                row(5, Operation::Refund, "R-1", ""),
                row(6, Operation::Capture, "R-0", ""),
                row(7, Operation::VoidAuthorization, "R-9", ""),
            ],
        };
        let problems = aps_problems(&mut plan);
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert!(
            problems[0].starts_with("row 3: operation 'authorization'") && problems[0].contains("--via aps")
        );
        assert!(problems[1].starts_with("row 4: agreement_id"));
        assert!(problems[2].starts_with("row 5: merchant_reference 'R-1'"));
        let valid: Vec<u32> = plan.rows.iter().filter(|r| r.job.is_ok()).map(|r| r.row).collect();
        assert_eq!(valid, [2, 6, 7]);
        assert!(aps_problems(&mut plan).is_empty(), "checking twice finds nothing more");
    }
}
