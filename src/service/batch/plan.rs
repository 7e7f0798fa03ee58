//! From a file to a plan: parse and check it (`file`), check its capture, refund and void rows
//! against the journal's orders, and hand the runner one row per line.

use super::file::{self, BatchLine, OrderFacts, ParsedBatch, Summary};
use super::outcome::{RowResult, results_csv};
use super::run::{BatchJob, BatchPlan, PlanRow};
use crate::aps::field::Field;
use crate::journal::{BatchState, OrderRow};
use crate::service::{Service, ServiceError};
use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

/// A checked file: the plan to run, every problem ("row 5: ..."), and what it holds in words.
#[derive(Clone, Debug)]
pub struct Checked {
    pub plan: BatchPlan,
    pub problems: Vec<String>,
    /// "7 rows: 3 sale (SAR 2,469.00), 1 void, 2 refund (SAR 50.00); 1 invalid".
    pub summary: String,
    /// "SAR 2,519.00": the money of every valid row, per currency.
    pub totals: String,
    /// An unfinished batch of this file sent through the APS batch service: running the file
    /// again must finish it there (`run_batch_via_aps`), never row by row.
    pub aps_batch: Option<i64>,
}

fn facts_of(order: &OrderRow) -> OrderFacts {
    OrderFacts {
        currency: order.currency,
        capturable_minor: order.capturable_minor(),
        refundable_minor: order.refundable_minor(),
        voidable: order.capturable_minor() > 0 && order.captured_minor == 0,
    }
}

impl Service {
    /// Reads the file at `path` and checks it ([`Self::check_batch`]): the desktop names a file,
    /// the service reads it, so no screen touches the disk.
    ///
    /// # Errors
    /// The file cannot be read (the message names it), or as [`Self::check_batch`].
    pub async fn check_batch_file(&self, profile: &str, path: PathBuf) -> Result<Checked, ServiceError> {
        self.allow(crate::service::access::Right::Batch).await?;
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let shown = path.display().to_string();
        let bytes = tokio::fs::read(&path).await.map_err(|e| {
            ServiceError::invalid(
                Field::BatchFile,
                format!("{shown} cannot be read ({e}): choose another file"),
            )
        })?;
        let mut checked = self.check_batch(profile, &name, bytes).await?;
        checked.plan.source = Some(path);
        Ok(checked)
    }

    /// Writes a batch's results as CSV to a file the agent chose (owner-only, never through a
    /// link).
    ///
    /// # Errors
    /// The file cannot be written: the message names it and says to choose another.
    pub async fn write_batch_results(
        &self,
        path: PathBuf,
        results: Vec<RowResult>,
    ) -> Result<(), ServiceError> {
        let shown = path.display().to_string();
        let cannot = |problem: String| {
            ServiceError::invalid(
                Field::ExportFile,
                format!("{shown} could not be written ({problem}): choose another folder or name"),
            )
        };
        let bytes = results_csv(&results).into_bytes();
        tokio::task::spawn_blocking(move || crate::files::write_private(&path, &bytes))
            .await
            .map_err(|e| cannot(e.to_string()))?
            .map_err(|e| cannot(e.to_string()))
    }

    /// Checks a batch file for `profile` without sending anything.
    ///
    /// # Errors
    /// The profile is unknown, the file cannot be read as a batch (the message names the fix),
    /// or the journal fails.
    pub async fn check_batch(
        &self,
        profile: &str,
        file_name: &str,
        bytes: Vec<u8>,
    ) -> Result<Checked, ServiceError> {
        self.allow(crate::service::access::Right::Batch).await?;
        self.ctx(profile).await?;
        let parsed =
            file::parse(file_name, &bytes).map_err(|e| ServiceError::invalid(Field::BatchFile, e))?;
        let (p, hash) = (profile.to_owned(), parsed.file_hash.clone());
        let unfinished = self
            .journal(move |j| {
                Ok(j.batches(Some(&p))?
                    .into_iter()
                    .filter(|b| b.file_hash == hash && b.state != BatchState::Finished)
                    .collect::<Vec<_>>())
            })
            .await?;
        let resuming = !unfinished.is_empty();
        let aps_batch = unfinished.iter().find(|b| b.via == "aps").map(|b| b.id);
        // A batch being resumed was checked against the journal when it started; its own rows
        // have changed those orders since, so they are not checked again.
        let mut problems: Vec<_> = parsed.problems().cloned().collect();
        if !resuming {
            let facts = self.order_facts(profile, &parsed).await?;
            problems.extend(file::check_against(&parsed.rows, |r| facts.get(r).copied()));
        }
        let mut in_book = HashSet::new();
        for name in file::card_like_token_names(&parsed.rows) {
            if self.token_in_book(profile, &name).await? {
                in_book.insert(name);
            }
        }
        problems.extend(file::check_tokens(&parsed.rows, |name| in_book.contains(name)));
        problems.sort_by_key(|p| p.row);
        let summary = Summary::of(&parsed);
        let plan = plan_of(profile, &parsed, &problems);
        Ok(Checked {
            plan,
            problems: problems.iter().map(ToString::to_string).collect(),
            totals: summary.totals.to_string(),
            summary: summary.to_string(),
            aps_batch,
        })
    }

    /// The journal's facts for the orders the file's capture, refund and void rows name.
    async fn order_facts(
        &self,
        profile: &str,
        parsed: &ParsedBatch,
    ) -> Result<HashMap<String, OrderFacts>, ServiceError> {
        let named: HashSet<String> = parsed
            .rows
            .iter()
            .filter_map(|l| l.checked.as_ref().ok())
            .filter(|r| !r.op.creates_order())
            .map(|r| r.merchant_reference.clone())
            .collect();
        let p = profile.to_owned();
        self.journal(move |j| {
            let mut facts = HashMap::new();
            for reference in named {
                if let Some(order) = j.order(&p, &reference)? {
                    facts.insert(reference, facts_of(&order));
                }
            }
            Ok(facts)
        })
        .await
    }

    /// A sale row's order found by its reference: the order this row of the file sent (in this
    /// run or an earlier run of the same file), or the same charge (amount, currency and token
    /// as the row: an earlier run of the file as it was before an edit), or else an error naming
    /// it. Someone else's order is not this row's: its outcome is not reported as the row's,
    /// and it is never sent again for the row.
    pub(super) async fn own_order(
        &self,
        batch_id: i64,
        row: u32,
        job: &BatchJob,
        order: OrderRow,
    ) -> Result<OrderRow, ServiceError> {
        let same_charge = job
            .money
            .is_some_and(|m| m.minor_units() == order.amount_minor && m.currency() == order.currency)
            && order.token_name.as_deref() == Some(job.token_name.as_str());
        if same_charge {
            return Ok(order);
        }
        let sent = self.journal(move |j| j.operations_of_file_row(batch_id, row)).await?;
        if sent.iter().any(|op| op.merchant_reference == order.merchant_reference) {
            return Ok(order);
        }
        let when = order.created_at.format("%Y-%m-%d %H:%M");
        let money = format!(
            "{} {}",
            order.currency,
            crate::aps::money::format_minor(order.amount_minor, order.currency)
        );
        Err(ServiceError::invalid(
            Field::MerchantReference,
            format!(
                "'{}' is already another charge ({money}, {}, {when} UTC), not this row's amount and card: check the row before giving it a reference of its own",
                order.merchant_reference, order.state
            ),
        ))
    }

    /// Batch files are an agent's work; refund and void rows need a supervisor's right (a batch
    /// has no read-back dialog to approve them in), checked before any row is sent.
    pub(super) async fn batch_rights(&self, plan: &BatchPlan) -> Result<(), ServiceError> {
        use crate::aps::Operation;
        use crate::service::access::{Right, allows, refusal};
        let actor = self.allow(Right::Batch).await?;
        let money_back = |r: &PlanRow| matches!(&r.job, Ok(j) if matches!(j.op, Operation::Refund | Operation::VoidAuthorization));
        if let Some(role) = actor.role
            && !allows(role, Right::Refund)
            && plan.rows.iter().any(money_back)
        {
            let why = refusal(&actor.name, role, Right::Refund);
            return Err(ServiceError::NotAllowed(format!(
                "{why} (this file has refund or void rows; nothing was sent)"
            )));
        }
        Ok(())
    }

    /// Marks the sale and authorization rows whose reference the journal did not have when
    /// the run began ([`BatchJob::new_reference`]): one pass over the journal for the file,
    /// where each row would otherwise ask on its own.
    pub(super) async fn mark_new_references(&self, plan: &mut BatchPlan) -> Result<(), ServiceError> {
        let sale = |job: &BatchJob| {
            matches!(job.op, crate::aps::Operation::Purchase | crate::aps::Operation::Authorization)
        };
        let references: Vec<String> = plan
            .rows
            .iter()
            .filter_map(|r| r.job.as_ref().ok().filter(|j| sale(j)).map(|j| j.merchant_reference.clone()))
            .collect();
        let profile = plan.profile.clone();
        let known = self
            .journal(move |j| {
                let references: Vec<&str> = references.iter().map(String::as_str).collect();
                j.references_in_journal(&profile, &references)
            })
            .await?;
        for job in plan.rows.iter_mut().filter_map(|r| r.job.as_mut().ok()) {
            job.new_reference = sale(job) && !known.contains(&job.merchant_reference);
        }
        Ok(())
    }
}

/// One plan row per line; a line with a problem (from the file or the journal) is not run.
fn plan_of(profile: &str, parsed: &ParsedBatch, problems: &[file::RowProblem]) -> BatchPlan {
    let by_row: HashMap<u32, String> = problems.iter().map(|p| (p.row, p.to_string())).collect();
    BatchPlan {
        profile: profile.to_owned(),
        file_name: parsed.file_name.clone(),
        file_hash: parsed.file_hash.clone(),
        source: None,
        rows: parsed.rows.iter().map(|line| plan_row(line, by_row.get(&line.row))).collect(),
    }
}

fn plan_row(line: &BatchLine, problem: Option<&String>) -> PlanRow {
    let (operation, reference, amount) = match &line.checked {
        Ok(row) => (row.op.name().to_owned(), row.merchant_reference.clone(), row.money),
        Err(_) => (line.input.operation.clone(), line.input.merchant_reference.clone(), None),
    };
    let job = match (&line.checked, problem) {
        (_, Some(problem)) => Err(problem.clone()),
        (Err(problem), None) => Err(problem.to_string()),
        (Ok(row), None) => Ok(BatchJob {
            op: row.op.operation(),
            merchant_reference: row.merchant_reference.clone(),
            money: row.money,
            token_name: row.token_name.clone().unwrap_or_default(),
            customer_email: row.customer_email.clone().unwrap_or_default(),
            customer_name: row.customer_name.clone().unwrap_or_default(),
            description: row.description.clone().unwrap_or_default(),
            agreement_id: row.agreement_id.clone().unwrap_or_default(),
            new_reference: false,
        }),
    };
    PlanRow { row: line.row, operation, merchant_reference: reference, amount, job }
}
