//! Running a batch: every valid row through the same exactly-once path as a single charge, with
//! up to N rows in flight. Rows on one order run in file order, one at a time.
//!
//! Resuming is the same run again: the batch (profile + file hash) is found in the journal and
//! each row first asks the journal what it already did. A sale row is its order (its reference
//! is the row's); a capture, refund or void row is the operation carrying the row's key. A row
//! in doubt is settled with CHECK_STATUS, never sent blindly; a row APS provably never received
//! (no record) is sent again under the same reference, at most three attempts in all.

use super::outcome::{RowOutcome, RowResult, Settled, outcome_of_error};
use crate::aps::Operation;
use crate::aps::command::ChargeKind;
use crate::aps::field::Field;
use crate::aps::money::{Money, format_minor};
use crate::journal::{
    BatchRecord, BatchState, NewBatch, NewBatchRow, OperationRow, OrderRow, OrderState, batch_row_key,
};
use crate::service::{Channel, ChargeDraft, PaymentDraft, Progress, Service, ServiceError, lease};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// Attempts in all for a row APS has no record of.
const MAX_ATTEMPTS: usize = 3;
/// Most rows in flight at once.
pub const MAX_CONCURRENCY: usize = 64;
/// How often a paused run looks whether it may go on.
const PAUSE_POLL: std::time::Duration = std::time::Duration::from_millis(50);

/// A valid row, ready to run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BatchJob {
    pub op: Operation,
    pub merchant_reference: String,
    pub money: Option<Money>,
    pub token_name: String,
    pub customer_email: String,
    pub customer_name: String,
    pub description: String,
    /// The customer's agreement id, sent with a recurring charge (the APS batch service).
    pub agreement_id: String,
    /// The journal had no order of this reference when the run began, so a sale row need not
    /// look for one before its intent (whose insert refuses a reference taken since).
    pub new_reference: bool,
}

/// A row of the file as the run sees it: valid (a job) or not (why).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlanRow {
    /// Spreadsheet numbering: the header is row 1.
    pub row: u32,
    /// As written in the file.
    pub operation: String,
    pub merchant_reference: String,
    pub amount: Option<Money>,
    pub job: Result<BatchJob, String>,
}

/// A checked file on a profile.
#[derive(Clone, Debug)]
pub struct BatchPlan {
    pub profile: String,
    pub file_name: String,
    /// Hex SHA-256 of the file.
    pub file_hash: String,
    /// The file on this computer it was read from, if any: kept with the batch so an unfinished
    /// one can be resumed without asking for the file again.
    pub source: Option<PathBuf>,
    pub rows: Vec<PlanRow>,
}

/// How to run: how many rows at once, who hears of each settled row, a stop switch (rows not
/// yet started stay unsent; rows in flight settle) and a pause switch (no new row starts while
/// it is on; rows in flight settle; turning it off goes on where it left off).
#[derive(Clone)]
pub struct RunOptions {
    pub concurrency: usize,
    pub on_row: Arc<dyn Fn(&RowResult) + Send + Sync>,
    pub stop: Arc<AtomicBool>,
    pub pause: Arc<AtomicBool>,
}

impl Default for RunOptions {
    fn default() -> Self {
        Self {
            concurrency: 8,
            on_row: Arc::new(|_| {}),
            stop: Arc::new(AtomicBool::new(false)),
            pause: Arc::new(AtomicBool::new(false)),
        }
    }
}

impl RunOptions {
    /// Waits while the run is paused; a stop ends the wait at once.
    async fn wait_while_paused(&self) {
        while self.pause.load(Ordering::SeqCst) && !self.stop.load(Ordering::SeqCst) {
            tokio::time::sleep(PAUSE_POLL).await;
        }
    }
}

/// A finished (or stopped) run.
#[derive(Clone, Debug)]
pub struct BatchRun {
    pub batch: BatchRecord,
    /// The batch was already in the journal: this run resumed it.
    pub resumed: bool,
    /// One per row, in file order.
    pub results: Vec<RowResult>,
}

impl Service {
    /// Runs (or resumes) a batch. Invalid rows are reported, never sent.
    ///
    /// # Errors
    /// The profile or the journal cannot be used; rows' own failures are their outcomes.
    pub async fn run_batch(
        &self,
        mut plan: BatchPlan,
        options: RunOptions,
    ) -> Result<BatchRun, ServiceError> {
        self.batch_rights(&plan).await?;
        self.refuse_offline()?;
        let ctx = self.ctx(&plan.profile).await?;
        let new = NewBatch {
            profile: plan.profile.clone(),
            file_name: plan.file_name.clone(),
            file_hash: plan.file_hash.clone(),
            file_path: plan.source.as_ref().map(|p| p.display().to_string()),
            operator: ctx.profile.operator.clone(),
            via: "terminal".to_owned(),
            at: chrono::Utc::now(),
        };
        let rows: Vec<NewBatchRow> = plan.rows.iter().map(new_row).collect();
        let (p, hash) = (plan.profile.clone(), plan.file_hash.clone());
        if let Some(id) = self.journal(move |j| j.unfinished_aps_batch(&p, &hash)).await? {
            return Err(ServiceError::Busy(format!(
                "this file is being sent through the APS batch service as batch {id}: run it again with --via aps to finish that batch"
            )));
        }
        let (batch, resumed) = self.journal(move |j| j.open_batch(&new, &rows)).await?;
        self.mark_new_references(&mut plan).await?;
        let start = format!("batch {} ({}, {} rows)", batch.id, plan.file_name, plan.rows.len());
        self.note("batch-start", if resumed { "resumed" } else { "ok" }, &start).await;
        let results = self.run_rows(&plan.profile, plan.rows.into(), batch.id, &options).await;
        let state =
            if options.stop.load(Ordering::SeqCst) { BatchState::Stopped } else { BatchState::Finished };
        let id = batch.id;
        self.end_batch(id, state).await;
        self.note("batch-end", state.as_str(), &format!("batch {id}: {}", tally_words(&results))).await;
        Ok(BatchRun { batch: BatchRecord { state, ..batch }, resumed, results })
    }

    /// Records where a batch ended. Its rows went out and their outcomes are recorded, so a
    /// batch whose end cannot be written still reports them (running the file again finds
    /// every row settled): the failure is logged, not returned.
    pub(super) async fn end_batch(&self, id: i64, state: BatchState) {
        if let Err(e) = self.journal(move |j| j.set_batch_state(id, state, chrono::Utc::now())).await {
            log::warn!("batch {id}: its end could not be recorded: {e}");
        }
    }

    /// Every row, grouped by order so one order's rows run in file order; groups run at once up
    /// to the concurrency bound. Groups hold row numbers into the one shared list of rows: a
    /// copy of each row per group cost a kilobyte a row (100 MB for a 100,000-row file).
    async fn run_rows(
        &self,
        profile: &str,
        rows: Arc<[PlanRow]>,
        batch_id: i64,
        options: &RunOptions,
    ) -> Vec<RowResult> {
        let mut groups: Vec<Vec<usize>> = Vec::new();
        let mut by_reference: HashMap<&str, usize> = HashMap::new();
        let mut results: Vec<Option<RowResult>> = vec![None; rows.len()];
        for (index, row) in rows.iter().enumerate() {
            if let Err(problem) = &row.job {
                let result = RowResult::of_plan(row, RowOutcome::Invalid, problem);
                (options.on_row)(&result);
                results[index] = Some(result);
                continue;
            }
            let group = *by_reference.entry(row.merchant_reference.as_str()).or_insert_with(|| {
                groups.push(Vec::with_capacity(1));
                groups.len() - 1
            });
            groups[group].push(index);
        }
        drop(by_reference);
        // A fixed set of workers, each taking the next order as it finishes one: a task per
        // order cost a spawn, a wait for a permit and a wake of this future for every row.
        let (groups, next) = (Arc::new(groups), Arc::new(AtomicUsize::new(0)));
        let mut workers = tokio::task::JoinSet::new();
        for _ in 0..options.concurrency.clamp(1, MAX_CONCURRENCY).min(groups.len()) {
            let (service, profile, options, rows) =
                (self.clone(), profile.to_owned(), options.clone(), rows.clone());
            let (groups, next) = (groups.clone(), next.clone());
            // Boxed: the task then holds a pointer, not the row's whole future (kilobytes),
            // which tokio would otherwise copy as it spawns, finishes and reads the task.
            workers.spawn(Box::pin(async move {
                let mut done = Vec::new();
                while let Some(group) = groups.get(next.fetch_add(1, Ordering::Relaxed)) {
                    for &index in group {
                        let row = &rows[index];
                        options.wait_while_paused().await;
                        let result = if options.stop.load(Ordering::SeqCst) {
                            RowResult::of_plan(row, RowOutcome::NotSent, "stopped before it was sent")
                        } else {
                            service.run_row(&profile, batch_id, row).await
                        };
                        (options.on_row)(&result);
                        done.push((index, result));
                    }
                }
                done
            }));
        }
        while let Some(done) = workers.join_next().await {
            for (index, result) in done.unwrap_or_default() {
                results[index] = Some(result);
            }
        }
        rows.iter()
            .zip(results)
            .map(|(row, r)| {
                r.unwrap_or_else(|| RowResult::of_plan(row, RowOutcome::Unknown, "the row did not finish"))
            })
            .collect()
    }

    /// One row: what the journal says it already did, settled; or sent now.
    async fn run_row(&self, profile: &str, batch_id: i64, row: &PlanRow) -> RowResult {
        let Ok(job) = &row.job else { return RowResult::of_plan(row, RowOutcome::Invalid, "") };
        let key = batch_row_key(batch_id, row.row);
        let settled = match job.op {
            Operation::Purchase | Operation::Authorization => {
                self.sale_row(profile, job, batch_id, row.row).await
            }
            Operation::PaymentLink => self.link_row(profile, job).await,
            _ => self.maintenance_row(profile, job, batch_id, row.row).await,
        };
        let settled = match settled {
            Err(e) if maybe_taken(&e, job) => {
                // Another run of the same file (on another terminal) may have taken the row.
                self.taken_elsewhere(profile, job, &key).await.ok().flatten().ok_or(e)
            }
            Ok(Settled::Recorded { op, .. }) if self.sent_by_live_run(&op).await => {
                self.taken_elsewhere(profile, job, &key).await.and_then(|s| {
                    s.ok_or_else(|| ServiceError::NotFound(format!("batch row {key} lost its operation")))
                })
            }
            other => other,
        };
        match settled {
            Ok(settled) => RowResult::of_settled(row, &settled),
            Err(e) => RowResult::of_plan(row, outcome_of_error(&e), &e.to_string()),
        }
    }

    /// The operation is still on its way, sent by another process that is running (another
    /// terminal running the same file): its answer is worth waiting for.
    async fn sent_by_live_run(&self, op: &OperationRow) -> bool {
        let Some(owner) = op.owner.clone().filter(|o| op.state.is_open() && o != lease::this_process())
        else {
            return false;
        };
        let deadline = op.deadline.unwrap_or(op.at);
        self.owner_alive(owner, deadline).await.unwrap_or(false)
    }

    /// A row that another run of the same file sent at the same moment (its intent was first):
    /// that run's operation, once it has settled (or, past the in-flight window, as it stands).
    /// `None` when nobody else sent the row.
    async fn taken_elsewhere(
        &self,
        profile: &str,
        job: &BatchJob,
        key: &str,
    ) -> Result<Option<Settled>, ServiceError> {
        let deadline = std::time::Instant::now() + self.settings().in_flight_window;
        loop {
            let op = match job.op {
                Operation::Purchase | Operation::Authorization => {
                    // Only an order this row's key sent (not one of the same reference elsewhere).
                    let k = key.to_owned();
                    if self.journal(move |j| j.operations_of_batch_row(&k)).await?.is_empty() {
                        return Ok(None);
                    }
                    self.charge_attempts(profile, &job.merchant_reference).await?.pop()
                }
                Operation::PaymentLink => None,
                _ => {
                    let k = key.to_owned();
                    self.journal(move |j| j.operations_of_batch_row(&k)).await?.pop()
                }
            };
            let Some(op) = op else { return Ok(None) };
            if !op.state.is_open() || std::time::Instant::now() >= deadline {
                let (p, r) = (profile.to_owned(), job.merchant_reference.clone());
                let order = self.journal(move |j| j.order(&p, &r)).await?;
                return Ok(Some(Settled::Recorded { op, order }));
            }
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        }
    }

    /// A sale or authorization row: its order is its reference.
    async fn sale_row(
        &self,
        profile: &str,
        job: &BatchJob,
        batch_id: i64,
        row: u32,
    ) -> Result<Settled, ServiceError> {
        let (p, r) = (profile.to_owned(), job.merchant_reference.clone());
        let existing = match job.new_reference {
            true => None,
            false => self.journal(move |j| j.order(&p, &r)).await?,
        };
        let mut settled = match existing {
            // Run before: settle what is in doubt, never send it again blindly.
            Some(order) => {
                self.recorded_sale(profile, self.own_order(batch_id, row, job, order).await?).await?
            }
            None => {
                let key = batch_row_key(batch_id, row);
                Settled::Live(self.charge(sale_draft(profile, job, key), &Progress::none()).await?)
            }
        };
        if !settled.never_arrived() {
            return Ok(settled);
        }
        let mut attempts = self.charge_attempts(profile, &job.merchant_reference).await?.len();
        while settled.never_arrived() && attempts < MAX_ATTEMPTS {
            let again = self.send_again(profile, &job.merchant_reference, None, &Progress::none()).await?;
            settled = Settled::Live(again);
            attempts += 1;
        }
        Ok(settled)
    }

    /// A payment link row: its order is its reference. A link already made (a resumed run) is
    /// read back; one whose creation is in doubt is never created again (the customer may
    /// already have it), as on the Payment link screen.
    async fn link_row(&self, profile: &str, job: &BatchJob) -> Result<Settled, ServiceError> {
        let (p, r) = (profile.to_owned(), job.merchant_reference.clone());
        let existing = self.journal(move |j| j.order(&p, &r)).await?;
        if existing.is_some() {
            let (p, r) = (profile.to_owned(), job.merchant_reference.clone());
            let timeline = self.journal(move |j| j.timeline(&p, &r)).await?;
            let op =
                timeline.into_iter().find(|o| o.operation == Operation::PaymentLink).ok_or_else(|| {
                    ServiceError::Busy(format!(
                        "order {} is in the journal but is not a payment link: check the file's reference",
                        job.merchant_reference
                    ))
                })?;
            return Ok(Settled::Recorded { op, order: existing });
        }
        let (amount, currency) = match job.money {
            Some(m) => (format_minor(m.minor_units(), m.currency()), m.currency().code().to_owned()),
            None => (String::new(), String::new()),
        };
        let draft = crate::service::LinkDraft {
            amount,
            currency,
            customer_email: job.customer_email.clone(),
            customer_name: job.customer_name.clone(),
            description: job.description.clone(),
            merchant_reference: job.merchant_reference.clone(),
            ..Default::default()
        };
        Ok(Settled::Live(self.payment_link(profile, draft, &Progress::none()).await?))
    }

    /// A sale row already in the journal, after CHECK_STATUS if it is in doubt.
    async fn recorded_sale(&self, profile: &str, order: OrderRow) -> Result<Settled, ServiceError> {
        let reference = order.merchant_reference.clone();
        if matches!(order.state, OrderState::Pending | OrderState::Unknown) {
            self.reconcile_order(profile, &reference, &Progress::none()).await?;
        }
        let op = self.charge_attempts(profile, &reference).await?.pop();
        let (p, r) = (profile.to_owned(), reference.clone());
        let order = self.journal(move |j| j.order(&p, &r)).await?;
        match op {
            Some(op) => Ok(Settled::Recorded { op, order }),
            None => Err(ServiceError::NotFound(format!(
                "order {reference} has no charge in the journal: check it on the Status screen before running this row again"
            ))),
        }
    }

    /// The order's charge operations (first send and sends again), oldest first.
    async fn charge_attempts(
        &self,
        profile: &str,
        reference: &str,
    ) -> Result<Vec<OperationRow>, ServiceError> {
        let (p, r) = (profile.to_owned(), reference.to_owned());
        let timeline = self.journal(move |j| j.timeline(&p, &r)).await?;
        Ok(timeline
            .into_iter()
            .filter(|o| matches!(o.operation, Operation::Purchase | Operation::Authorization))
            .collect())
    }

    /// A capture, refund or void row: the operation carrying the row's key, or one an earlier
    /// run of the same file sent for the row (a finished file run again moves no money twice).
    async fn maintenance_row(
        &self,
        profile: &str,
        job: &BatchJob,
        batch_id: i64,
        row: u32,
    ) -> Result<Settled, ServiceError> {
        let key = batch_row_key(batch_id, row);
        let sent = self.journal(move |j| j.operations_of_file_row(batch_id, row)).await?;
        let reference = &job.merchant_reference;
        let Some(last) = sent.last() else {
            let amount = job.money.map(|m| format_minor(m.minor_units(), m.currency()));
            let progress = Progress::none();
            let outcome = self
                .maintain_batch_row(profile, reference, job.op, amount.as_deref(), key, &progress)
                .await?;
            return Ok(Settled::Live(outcome));
        };
        if last.state.is_open() {
            self.reconcile_order(profile, reference, &Progress::none()).await?;
        }
        let id = last.id;
        let (p, r) = (profile.to_owned(), reference.clone());
        let (op, order) = self.journal(move |j| Ok((j.operation(id)?, j.order(&p, &r)?))).await?;
        let op = op.ok_or_else(|| {
            ServiceError::NotFound(format!(
                "the journal no longer has operation {} of order {reference}: check the order on the Status screen",
                id.0
            ))
        })?;
        Ok(Settled::Recorded { op, order })
    }
}

/// An error that another run of the same file taking the row first would give: its order's
/// reference taken, the duplicate guard showing the row's own order, its order busy, or its
/// order no longer one to send again (the other run sent it again first).
fn maybe_taken(e: &ServiceError, job: &BatchJob) -> bool {
    match e {
        ServiceError::Busy(_)
        | ServiceError::Invalid { field: Field::MerchantReference | Field::Order, .. } => true,
        ServiceError::PossibleDuplicate { existing } => existing.merchant_reference == job.merchant_reference,
        _ => false,
    }
}

/// The draft for a sale row: a mail order on a saved card, under the row's reference. A job
/// without money cannot come from the file check; its empty amount would be refused as invalid.
fn sale_draft(profile: &str, job: &BatchJob, key: String) -> ChargeDraft {
    let (amount, currency) = match job.money {
        Some(m) => (format_minor(m.minor_units(), m.currency()), m.currency().code()),
        None => (String::new(), ""),
    };
    let mut draft = ChargeDraft::new(profile, currency);
    draft.kind =
        if job.op == Operation::Authorization { ChargeKind::AuthorizeOnly } else { ChargeKind::Sale };
    draft.channel = Channel::Mail;
    draft.amount = amount;
    draft.payment = PaymentDraft::Token(job.token_name.clone());
    draft.customer_email = job.customer_email.clone();
    draft.customer_name = job.customer_name.clone();
    draft.description = job.description.clone();
    draft.merchant_reference = job.merchant_reference.clone();
    draft.batch_row = Some(key);
    draft
}

pub(super) fn new_row(row: &PlanRow) -> NewBatchRow {
    NewBatchRow {
        row: row.row,
        operation: row.operation.clone(),
        merchant_reference: row.merchant_reference.clone(),
        amount: row.amount,
        problem: row.job.as_ref().err().cloned(),
    }
}

/// "3 approved, 1 declined": the batch's end, for the audit trail.
pub(super) fn tally_words(results: &[RowResult]) -> String {
    let mut counts = std::collections::BTreeMap::<&str, usize>::new();
    for r in results {
        *counts.entry(r.outcome.as_str()).or_default() += 1;
    }
    counts.iter().map(|(o, n)| format!("{n} {o}")).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
#[path = "run_tests.rs"]
mod tests;
