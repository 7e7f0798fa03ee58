//! The rows of a batch sent through the APS batch service: each recorded as an intent before
//! the file leaves (with a lease that lasts while APS holds the batch, so no status check
//! concludes "never arrived" meanwhile), the file made from what the journal recorded (so every
//! run makes the same file), and APS's per-line results booked exactly as the answer to a single
//! charge, capture, refund or void is.

use super::outcome::{RowResult, outcome_of_error};
use super::run::{BatchJob, BatchPlan};
use crate::aps::batch::{FileRow, ResultLine, Results};
use crate::aps::command::{Capture, Charge, ChargeKind, Command, OrderDetails, PaymentSource, Refund, Void};
use crate::aps::money::Money;
use crate::aps::response::{Kind, classify};
use crate::aps::{Operation, Params};
use crate::journal::{
    Channel, Extra, Lease, NewOperation, NewOrder, OpId, OrderKind, PaymentMethod, batch_row_key,
};
use crate::service::maintenance::{amounts_of, maintenance_reference};
use crate::service::policy::{Amounts, Intent, Reading};
use crate::service::reconcile::{Pace, Settling};
use crate::service::{Ctx, Field, Progress, Service, ServiceError};
use chrono::Utc;
use std::collections::HashMap;

/// How long a row's intent stays its sender's while APS holds the batch: a status check that
/// finds no order before then proves nothing (APS may not have run the batch yet). Reading the
/// results ends it at once.
pub(super) fn batch_lease() -> Lease {
    Lease {
        owner: crate::service::lease::this_process().to_owned(),
        deadline: Utc::now() + chrono::Duration::days(2),
    }
}

/// One row of the file sent: its operation, its intent in the journal and its cells.
#[derive(Clone, Debug)]
pub(super) struct FileEntry {
    pub op: Operation,
    pub reference: String,
    pub money: Option<Money>,
    pub op_id: OpId,
    pub cells: FileRow,
}

pub(super) fn non_empty(text: &str) -> Option<String> {
    let t = text.trim();
    (!t.is_empty()).then(|| t.to_owned())
}

pub(super) fn field_error(e: crate::aps::fields::FieldError) -> ServiceError {
    ServiceError::Invalid { field: e.field, message: e.to_string() }
}

fn money_of(job: &BatchJob) -> Result<Money, ServiceError> {
    job.money.ok_or_else(|| {
        ServiceError::invalid(Field::Amount, format!("{} needs an amount and a currency", job.op))
    })
}

/// The request a row is in the file: a recurring PURCHASE of a saved card (spec 3.11: the
/// batch service takes recurring purchases), or a capture, refund or void of an order.
/// `at` is when the row's intent was recorded: a payment link's expiry counts from it, so every
/// run makes the same file.
pub(super) fn row_command(
    job: &BatchJob,
    maintenance_reference: Option<String>,
    at: chrono::DateTime<Utc>,
) -> Result<Command, ServiceError> {
    let merchant_reference = job.merchant_reference.clone();
    Ok(match job.op {
        Operation::Purchase => Command::Charge(Charge {
            kind: ChargeKind::Sale,
            merchant_reference,
            money: money_of(job)?,
            customer_email: job.customer_email.trim().to_owned(),
            source: PaymentSource::Token(job.token_name.trim().to_owned()),
            recurring: true,
            agreement_id: non_empty(&job.agreement_id),
            recurring_setup: None,
            details: OrderDetails {
                customer_name: non_empty(&job.customer_name),
                order_description: non_empty(&job.description),
                ..Default::default()
            },
        }),
        Operation::Capture => Command::Capture(Capture {
            merchant_reference,
            money: money_of(job)?,
            fort_id: None,
            order_description: None,
        }),
        Operation::Refund => Command::Refund(Refund {
            merchant_reference,
            money: money_of(job)?,
            fort_id: None,
            maintenance_reference,
            order_description: None,
        }),
        Operation::VoidAuthorization => {
            Command::Void(Void { merchant_reference, fort_id: None, order_description: None })
        }
        Operation::PaymentLink => super::aps_links::link_command(job, money_of(job)?, at),
        op => {
            return Err(ServiceError::invalid(
                Field::Operation,
                format!("{op} cannot go through the APS batch service: run the file without --via aps"),
            ));
        }
    })
}

impl Service {
    /// Records every valid row's intent that is not recorded yet. A row refused here (a field
    /// APS would refuse, an order that no longer allows it, a possible duplicate) is left out
    /// of the file; its result says why.
    ///
    /// # Errors
    /// The journal cannot be written.
    pub(super) async fn record_intents(
        &self,
        ctx: &Ctx,
        plan: &BatchPlan,
        batch_id: i64,
    ) -> Result<HashMap<u32, RowResult>, ServiceError> {
        let mut refused = HashMap::new();
        for row in &plan.rows {
            let Ok(job) = &row.job else { continue };
            let key = batch_row_key(batch_id, row.row);
            let k = key.clone();
            if !self.journal(move |j| j.operations_of_batch_row(&k)).await?.is_empty() {
                continue;
            }
            let recorded = match job.op {
                Operation::Purchase => self.sale_intent(ctx, job, key).await,
                Operation::PaymentLink => self.link_intent(ctx, job, key).await,
                _ => self.maintenance_intent(ctx, job, key).await,
            };
            match recorded {
                Ok(()) => {}
                Err(e @ ServiceError::Journal(_)) => return Err(e),
                Err(e) => {
                    refused.insert(row.row, RowResult::of_plan(row, outcome_of_error(&e), &e.to_string()));
                }
            }
        }
        Ok(refused)
    }

    /// A sale row's order and its PURCHASE, after the same duplicate guard as a single charge.
    async fn sale_intent(&self, ctx: &Ctx, job: &BatchJob, key: String) -> Result<(), ServiceError> {
        row_command(job, None, Utc::now())?.check(&ctx.merchant()).map_err(field_error)?;
        let now = Utc::now();
        let mut extra = Extra::new();
        if let Some(agreement) = non_empty(&job.agreement_id) {
            extra.insert("agreement_id".into(), agreement.into());
        }
        let order = NewOrder {
            profile: ctx.profile.name.clone(),
            merchant_reference: job.merchant_reference.clone(),
            kind: OrderKind::Recurring,
            channel: Channel::Batch,
            amount: money_of(job)?,
            method: PaymentMethod::Token { token_name: job.token_name.trim().to_owned(), masked_card: None },
            customer_email: non_empty(&job.customer_email),
            customer_name: non_empty(&job.customer_name),
            description: non_empty(&job.description),
            operator: ctx.profile.operator.clone(),
            terminal: ctx.terminal.clone(),
            created_at: now,
            extra,
            lease: Some(batch_lease()),
            batch_row: Some(key),
        };
        let since = now - chrono::Duration::from_std(self.settings().duplicate_window).unwrap_or_default();
        let recorded = self.journal(move |j| j.record_order_intent_guarded(&order, Some(since))).await?;
        recorded
            .map(|_| ())
            .map_err(|existing| ServiceError::PossibleDuplicate { existing: Box::new(existing) })
    }

    /// A capture, refund or void row's operation, checked against the order in the same write.
    async fn maintenance_intent(&self, ctx: &Ctx, job: &BatchJob, key: String) -> Result<(), ServiceError> {
        row_command(job, None, Utc::now())?.check(&ctx.merchant()).map_err(field_error)?;
        let op = NewOperation {
            profile: ctx.profile.name.clone(),
            merchant_reference: job.merchant_reference.clone(),
            operation: job.op,
            maintenance_reference: None,
            amount: job.money,
            operator: ctx.profile.operator.clone(),
            at: Utc::now(),
            note: None,
            lease: Some(batch_lease()),
            batch_row: Some(key),
            approved_by: None,
        };
        let r = job.merchant_reference.clone();
        self.journal(move |j| j.record_maintenance_intent(&op, |n| maintenance_reference(&r, n))).await?;
        Ok(())
    }

    /// The file: every row whose intent is recorded, in file order, made from the plan and the
    /// journal alone, so a run after a crash makes the same file under the same reference.
    ///
    /// # Errors
    /// The journal cannot be read.
    pub(super) async fn aps_file(
        &self,
        ctx: &Ctx,
        plan: &BatchPlan,
        batch_id: i64,
    ) -> Result<Vec<FileEntry>, ServiceError> {
        let mut file = Vec::new();
        for row in &plan.rows {
            let Ok(job) = &row.job else { continue };
            let key = batch_row_key(batch_id, row.row);
            let ops = self.journal(move |j| j.operations_of_batch_row(&key)).await?;
            let Some(op) = ops.into_iter().next() else { continue };
            let mut params = row_command(job, op.maintenance_reference.clone(), op.at)?
                .to_params(&ctx.merchant())
                .map_err(field_error)?;
            let cells = FileRow::of_params(&params);
            crate::aps::secret::wipe_params(&mut params);
            file.push(FileEntry {
                op: job.op,
                reference: job.merchant_reference.clone(),
                money: job.money,
                op_id: op.id,
                cells,
            });
        }
        Ok(file)
    }

    /// Books every row of the file from APS's results: row `i` (from 0) is on line `i + 2`.
    ///
    /// # Errors
    /// The journal cannot be written.
    pub(super) async fn book_results(
        &self,
        ctx: &Ctx,
        file: &[FileEntry],
        results: &Results,
    ) -> Result<(), ServiceError> {
        let mut by_line: HashMap<u64, Vec<&ResultLine>> = HashMap::new();
        for line in &results.lines {
            by_line.entry(line.line).or_default().push(line);
        }
        for (i, entry) in file.iter().enumerate() {
            let line = i as u64 + 2;
            let reading = match by_line.get(&line).map(Vec::as_slice) {
                Some([one]) => reading_of(entry, one),
                Some(many) if many.len() > 1 => Reading::Unknown {
                    why: format!("APS's batch results have {} lines for line {line}", many.len()),
                },
                _ => {
                    Reading::Unknown { why: format!("APS's batch results have no line {line} for this row") }
                }
            };
            self.book_row(ctx, entry, reading).await?;
        }
        Ok(())
    }

    /// Books one row's reading, unless it was booked before: an answer to a sale row as the
    /// answer to a single charge, to any other row as the answer to a single capture, refund or
    /// void. A reading in doubt is settled with CHECK_STATUS there.
    ///
    /// # Errors
    /// The journal cannot be written.
    pub(super) async fn book_row(
        &self,
        ctx: &Ctx,
        entry: &FileEntry,
        reading: Reading,
    ) -> Result<(), ServiceError> {
        let lock = self.order_lock(&ctx.profile.name, &entry.reference);
        let _guard = lock.lock().await;
        let id = entry.op_id;
        let Some(op) = self.journal(move |j| j.operation(id)).await?.filter(|o| o.state.is_open()) else {
            return Ok(());
        };
        let now = Utc::now();
        if entry.op == Operation::PaymentLink {
            return self.book_link_row(ctx, entry, id, reading).await;
        }
        if entry.op == Operation::Purchase {
            let money =
                entry.money.ok_or_else(|| ServiceError::NotRecorded("a sale row lost its amount".into()))?;
            let intent = Intent {
                op: Operation::Purchase,
                amount: money.minor_units(),
                currency: money.currency(),
                before: Amounts::default(),
            };
            let progress = Progress::none();
            self.finish_first_operation(ctx, &entry.reference, id, intent, now, reading, &progress).await?;
            return Ok(());
        }
        let order = self.order_row(&ctx.profile.name, &entry.reference).await.ok_or_else(|| {
            ServiceError::NotRecorded(format!("order {} is no longer in the journal", entry.reference))
        })?;
        let settling = Settling {
            reference: entry.reference.clone(),
            intent: Intent {
                op: entry.op,
                amount: entry.money.map_or(0, Money::minor_units),
                currency: order.currency,
                before: amounts_of(&order),
            },
            op_id: id,
            fort_id: order.fort_id.clone(),
            maintenance_reference: op.maintenance_reference,
            deadline: now,
            why: String::new(),
            pace: Pace::Full,
        };
        self.finish_maintenance(ctx, settling, reading, &Progress::none()).await?;
        Ok(())
    }
}

/// What one results line says about the row sent on it. The results file is not signed, so a
/// line counts only when it repeats the row's reference and money; anything else, and any
/// code in doubt, is settled with CHECK_STATUS.
pub(super) fn reading_of(entry: &FileEntry, line: &ResultLine) -> Reading {
    let cells = &entry.cells.0;
    let (reference, amount, currency) = (&cells[1], &cells[2], &cells[3]);
    let same = line.merchant_reference == *reference
        && (amount.is_empty() || line.amount == *amount)
        && (currency.is_empty() || line.currency.eq_ignore_ascii_case(currency));
    if !same {
        return Reading::Unknown {
            why: format!(
                "line {} of APS's batch results names another order or amount than was sent",
                line.line
            ),
        };
    }
    let verdict = classify(entry.op, &line.response_code);
    if verdict.kind == Kind::Uncertain {
        return Reading::Unknown { why: verdict.headline };
    }
    let mut response = Params::new();
    let fields = [
        (entry.op.command_field(), entry.op.wire_name()),
        ("merchant_reference", line.merchant_reference.as_str()),
        ("amount", line.amount.as_str()),
        ("currency", line.currency.as_str()),
        ("response_code", line.response_code.as_str()),
        ("response_message", line.response_message.as_str()),
        ("status", line.status.as_str()),
        ("eci", line.eci.as_str()),
        ("fort_id", line.fort_id.as_str()),
        ("card_number", line.card_number.as_str()),
    ];
    for (name, value) in fields {
        if !value.is_empty() {
            response.insert(name.to_owned(), value.into());
        }
    }
    Reading::Final { verdict, response }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aps::money::Currency;

    fn entry(op: Operation, cells: [&str; 4]) -> FileEntry {
        let mut row = FileRow::default();
        for (i, c) in cells.iter().enumerate() {
            row.0[i] = (*c).to_owned();
        }
        FileEntry {
            op,
            reference: cells[1].to_owned(),
            money: Money::from_minor(1000, Currency::parse("AED").unwrap()).ok(),
            op_id: OpId(1),
            cells: row,
        }
    }

    fn line(code: &str, reference: &str, amount: &str) -> ResultLine {
        ResultLine {
            line: 2,
            response_code: code.into(),
            response_message: "words".into(),
            status: code.get(..2).unwrap_or_default().into(),
            eci: "RECURRING".into(),
            fort_id: "169996200012345680".into(),
            merchant_reference: reference.into(),
            amount: amount.into(),
            card_number: "400555******0001".into(),
            expiry_date: "3012".into(),
            currency: "AED".into(),
        }
    }

    #[test]
    fn a_line_is_read_as_the_answer_to_its_row() {
        let sale = entry(Operation::Purchase, ["PURCHASE", "R-1", "1000", "AED"]);
        let Reading::Final { verdict, response } = reading_of(&sale, &line("14000", "R-1", "1000")) else {
            panic!("an approved line is final");
        };
        assert_eq!(verdict.kind, Kind::Approved);
        assert_eq!(response["fort_id"], "169996200012345680");
        assert_eq!(response["command"], "PURCHASE");
        let Reading::Final { verdict, .. } = reading_of(&sale, &line("13666", "R-1", "1000")) else {
            panic!("a declined line is final");
        };
        assert_eq!(verdict.kind, Kind::Declined);
        let void = entry(Operation::VoidAuthorization, ["VOID_AUTHORIZATION", "R-9", "", ""]);
        assert!(matches!(reading_of(&void, &line("08000", "R-9", "")), Reading::Final { .. }));
    }

    #[test]
    fn a_line_that_names_another_row_or_a_code_in_doubt_is_settled_by_asking() {
        let sale = entry(Operation::Purchase, ["PURCHASE", "R-1", "1000", "AED"]);
        for other in [line("14000", "R-2", "1000"), line("14000", "R-1", "100"), line("15777", "R-1", "1000")]
        {
            assert!(matches!(reading_of(&sale, &other), Reading::Unknown { .. }), "{other:?}");
        }
    }
}
