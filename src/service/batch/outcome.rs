//! What became of each row, in the words of the results file: approved, declined, rejected,
//! invalid, unknown or not_sent, with APS's code and message and the order's Fort ID.

use super::run::PlanRow;
use crate::aps::money::{Money, format_minor};
use crate::aps::response::{Kind, Verdict, classify};
use crate::files::csv_cell;
use crate::journal::{OpState, OperationRow, OrderRow};
use crate::service::policy::{Finding, finding};
use crate::service::{Outcome, ServiceError};

/// A row's outcome.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RowOutcome {
    Approved,
    Declined,
    Rejected,
    /// The row was not valid: nothing was sent.
    Invalid,
    /// Money may have moved and nobody knows yet: a person must look.
    Unknown,
    /// Nothing reached APS (stopped, refused before sending, or APS has no record).
    NotSent,
}

impl RowOutcome {
    pub const ALL: [RowOutcome; 6] =
        [Self::Approved, Self::Declined, Self::Rejected, Self::Invalid, Self::Unknown, Self::NotSent];

    /// The word in the results file.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Approved => "approved",
            Self::Declined => "declined",
            Self::Rejected => "rejected",
            Self::Invalid => "invalid",
            Self::Unknown => "unknown",
            Self::NotSent => "not_sent",
        }
    }

    /// The word on screen: the results file's word, in plain words.
    pub fn label(self) -> &'static str {
        match self {
            Self::NotSent => "not sent",
            other => other.as_str(),
        }
    }
}

/// One row of the results, in file order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RowResult {
    pub row: u32,
    pub operation: String,
    pub merchant_reference: String,
    pub amount: Option<Money>,
    pub outcome: RowOutcome,
    pub response_code: String,
    pub response_message: String,
    pub fort_id: String,
}

/// What a row did: an answer just received, or what the journal recorded before.
pub(super) enum Settled {
    Live(Outcome),
    Recorded { op: OperationRow, order: Option<OrderRow> },
}

impl Settled {
    /// It provably never reached APS (never left, or APS has no record of it): it may be sent
    /// again under its own reference, which APS would refuse as a duplicate had it arrived.
    pub fn never_arrived(&self) -> bool {
        match self {
            Self::Live(outcome) => finding(&outcome.verdict).is_some(),
            Self::Recorded { op, .. } => {
                op.state == OpState::NotSent || (op.state == OpState::Resolved && op.response_code.is_none())
            }
        }
    }
}

/// The outcome word of a verdict.
pub fn outcome_of_verdict(verdict: &Verdict) -> RowOutcome {
    match finding(verdict) {
        Some(Finding::NotSent | Finding::NoRecord) => return RowOutcome::NotSent,
        None => {}
    }
    match verdict.kind {
        Kind::Approved => RowOutcome::Approved,
        Kind::Declined => RowOutcome::Declined,
        Kind::Rejected => RowOutcome::Rejected,
        Kind::Uncertain => RowOutcome::Unknown,
    }
}

/// The outcome word of a recorded operation.
pub fn outcome_of_operation(op: &OperationRow) -> RowOutcome {
    match op.state {
        OpState::Approved => RowOutcome::Approved,
        OpState::Declined => RowOutcome::Declined,
        OpState::Rejected => RowOutcome::Rejected,
        OpState::NotSent => RowOutcome::NotSent,
        OpState::Intent | OpState::Unknown => RowOutcome::Unknown,
        OpState::Resolved => match &op.response_code {
            Some(code) => outcome_of_verdict(&classify(op.operation, code)),
            None => RowOutcome::NotSent,
        },
    }
}

/// A row the service gave up on with an error. A request that left but whose result could not
/// be written down may have been processed ("unknown": the run exits 3 and the row is checked in
/// Status, never sent again blindly). Otherwise nothing was sent: a wrong field is the row's
/// fault ("invalid"), anything else left nothing at APS ("not_sent").
pub fn outcome_of_error(error: &ServiceError) -> RowOutcome {
    match error {
        ServiceError::NotRecorded(_) => RowOutcome::Unknown,
        ServiceError::Invalid { .. } | ServiceError::NotFound(_) => RowOutcome::Invalid,
        _ => RowOutcome::NotSent,
    }
}

impl RowResult {
    /// A row that was not run, or failed before anything left: `message` says why.
    pub fn of_plan(row: &PlanRow, outcome: RowOutcome, message: &str) -> Self {
        Self {
            row: row.row,
            operation: row.operation.clone(),
            merchant_reference: row.merchant_reference.clone(),
            amount: row.amount,
            outcome,
            response_code: String::new(),
            response_message: message.to_owned(),
            fort_id: String::new(),
        }
    }

    pub(super) fn of_settled(row: &PlanRow, settled: &Settled) -> Self {
        match settled {
            Settled::Live(outcome) => Self {
                outcome: outcome_of_verdict(&outcome.verdict),
                response_code: outcome.verdict.code.clone(),
                response_message: outcome.verdict.explanation.clone(),
                fort_id: outcome.order.as_ref().and_then(|o| o.fort_id.clone()).unwrap_or_default(),
                ..Self::of_plan(row, RowOutcome::Unknown, "")
            },
            Settled::Recorded { op, order } => Self {
                outcome: outcome_of_operation(op),
                response_code: op.response_code.clone().unwrap_or_default(),
                // The same words as a live answer: APS's code explained, else what was recorded.
                response_message: match &op.response_code {
                    Some(code) => classify(op.operation, code).explanation,
                    None => op.response_message.clone().or_else(|| op.note.clone()).unwrap_or_default(),
                },
                fort_id: order.as_ref().and_then(|o| o.fort_id.clone()).unwrap_or_default(),
                ..Self::of_plan(row, RowOutcome::Unknown, "")
            },
        }
    }
}

/// The results file's columns.
pub const RESULTS_HEADER: [&str; 9] = [
    "row",
    "operation",
    "merchant_reference",
    "amount",
    "currency",
    "outcome",
    "response_code",
    "response_message",
    "fort_id",
];

/// The results as CSV (RFC 4180, formula-looking text neutralised), one line per row.
pub fn results_csv(results: &[RowResult]) -> String {
    let mut out = RESULTS_HEADER.join(",");
    out.push_str("\r\n");
    for r in results {
        let row = r.row.to_string();
        let amount = r.amount.map(|m| format_minor(m.minor_units(), m.currency())).unwrap_or_default();
        let currency = r.amount.map(|m| m.currency().code().to_owned()).unwrap_or_default();
        let cells = [
            row.as_str(),
            &r.operation,
            &r.merchant_reference,
            &amount,
            &currency,
            r.outcome.as_str(),
            &r.response_code,
            &r.response_message,
            &r.fort_id,
        ];
        let cells: Vec<_> = cells.iter().map(|c| csv_cell(c)).collect();
        out.push_str(&cells.join(","));
        out.push_str("\r\n");
    }
    out
}

/// How many rows ended each way.
pub fn tally(results: &[RowResult]) -> Vec<(RowOutcome, usize)> {
    RowOutcome::ALL
        .into_iter()
        .map(|o| (o, results.iter().filter(|r| r.outcome == o).count()))
        .filter(|(_, n)| *n > 0)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::RowOutcome;

    #[test]
    fn the_screen_says_in_words_what_the_results_file_writes_as_a_token() {
        let words: Vec<_> = RowOutcome::ALL.iter().map(|o| o.label()).collect();
        assert_eq!(words, ["approved", "declined", "rejected", "invalid", "unknown", "not sent"]);
        assert_eq!(RowOutcome::NotSent.as_str(), "not_sent", "the results file keeps its column value");
    }

    #[test]
    fn a_row_sent_but_not_recorded_is_unknown_never_not_sent() {
        use super::{ServiceError, outcome_of_error};
        let unrecorded = ServiceError::NotRecorded("disk full".into());
        assert_eq!(outcome_of_error(&unrecorded), RowOutcome::Unknown, "{unrecorded}");
        let unwritten = ServiceError::Journal("disk full".into());
        assert_eq!(outcome_of_error(&unwritten), RowOutcome::NotSent, "its intent failed first: {unwritten}");
        let wrong = ServiceError::invalid(crate::service::Field::Amount, "type an amount");
        assert_eq!(outcome_of_error(&wrong), RowOutcome::Invalid);
    }
}
