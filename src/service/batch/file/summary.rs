//! Counts and totals of a batch, for `batch check` and the read-back before a run.

use super::model::{BatchLine, BatchOp, ParsedBatch};
use crate::aps::money::{Currency, Money, format_grouped};
use std::fmt;

/// Amounts per currency, in the order the currencies first appear. Sums in minor units.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Totals(Vec<(Currency, u128)>);

impl Totals {
    pub fn add(&mut self, money: Money) {
        let minor = u128::from(money.minor_units());
        match self.0.iter_mut().find(|(c, _)| *c == money.currency()) {
            Some((_, sum)) => *sum += minor,
            None => self.0.push((money.currency(), minor)),
        }
    }

    /// The sum in one currency, in minor units (0 when none).
    pub fn get(&self, currency: Currency) -> u128 {
        self.0.iter().find(|(c, _)| *c == currency).map_or(0, |(_, sum)| *sum)
    }

    pub fn iter(&self) -> impl Iterator<Item = (Currency, u128)> + '_ {
        self.0.iter().copied()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// `SAR 2,469.00 + KWD 1.250`; `no amounts` when empty.
impl fmt::Display for Totals {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("no amounts");
        }
        let parts: Vec<String> = self.0.iter().map(|(c, sum)| format_grouped(*sum, *c)).collect();
        f.write_str(&parts.join(" + "))
    }
}

/// One operation's valid rows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpTotals {
    pub op: BatchOp,
    pub count: u32,
    pub totals: Totals,
}

/// What a batch holds: rows per operation with their totals, and the invalid rows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Summary {
    /// Order rows (blank rows are not counted).
    pub rows: u32,
    pub invalid: u32,
    /// Every operation, in [`BatchOp::ALL`] order, also those with no rows.
    pub per_op: Vec<OpTotals>,
    /// The money of every valid row, whatever its operation (sales, captures and refunds
    /// alike): per operation, see `per_op`.
    pub totals: Totals,
}

impl Default for Summary {
    fn default() -> Self {
        Self {
            rows: 0,
            invalid: 0,
            per_op: BatchOp::ALL.map(|op| OpTotals { op, count: 0, totals: Totals::default() }).to_vec(),
            totals: Totals::default(),
        }
    }
}

impl Summary {
    pub fn of(batch: &ParsedBatch) -> Self {
        let mut summary = Self::default();
        batch.rows.iter().for_each(|line| summary.add(line));
        summary
    }

    /// Counts one more row (for a file read with [`super::open`]).
    pub fn add(&mut self, line: &BatchLine) {
        self.rows += 1;
        let Ok(row) = &line.checked else {
            self.invalid += 1;
            return;
        };
        if let Some(entry) = self.per_op.iter_mut().find(|e| e.op == row.op) {
            entry.count += 1;
            if let Some(money) = row.money {
                entry.totals.add(money);
            }
        }
        if let Some(money) = row.money {
            self.totals.add(money);
        }
    }

    /// The valid rows of one operation.
    pub fn op(&self, op: BatchOp) -> Option<&OpTotals> {
        self.per_op.iter().find(|e| e.op == op)
    }

    pub fn valid(&self) -> u32 {
        self.rows - self.invalid
    }
}

/// `7 rows: 3 sale (SAR 2,469.00 + KWD 1.250), 1 void, 2 refund (SAR 50.00); 1 invalid`.
impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = if self.rows == 1 { "" } else { "s" };
        write!(f, "{} row{s}", self.rows)?;
        let parts: Vec<String> = self
            .per_op
            .iter()
            .filter(|e| e.count > 0)
            .map(|e| match e.totals.is_empty() {
                true => format!("{} {}", e.count, e.op),
                false => format!("{} {} ({})", e.count, e.op, e.totals),
            })
            .collect();
        if !parts.is_empty() {
            write!(f, ": {}", parts.join(", "))?;
        }
        if self.invalid > 0 {
            write!(f, "; {} invalid", self.invalid)?;
        }
        Ok(())
    }
}
