//! The end-of-shift report: what each operator did, per currency and operation, the net per
//! currency, and the orders a person must still look at. Built from entries the service reads
//! out of the journal; totals are exact sums of minor units.

use super::pdf::{self, Block, PdfError, Style};
use crate::aps::money::{Currency, format_grouped, format_minor};
use chrono::{DateTime, FixedOffset, Timelike};
use serde_json::json;
use std::collections::BTreeMap;

/// What an operation counts as in the report.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ReportOp {
    Sale,
    Authorize,
    Capture,
    Refund,
    Void,
    /// Declined by the issuer or refused by APS (any operation).
    Declined,
    /// Sent, but its outcome is not known yet.
    Unknown,
}

impl ReportOp {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sale => "sale",
            Self::Authorize => "authorize",
            Self::Capture => "capture",
            Self::Refund => "refund",
            Self::Void => "void",
            Self::Declined => "declined",
            Self::Unknown => "unknown",
        }
    }
}

/// One operation as the report counts it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub operator: String,
    pub currency: Currency,
    pub op: ReportOp,
    pub amount_minor: u64,
    /// When it was done, in the report's time zone.
    pub at: DateTime<FixedOffset>,
}

/// One line: an operator's operations of one kind in one currency.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReportLine {
    pub operator: String,
    pub currency: Currency,
    pub op: ReportOp,
    pub count: u64,
    pub total_minor: u128,
}

/// Money that moved in one currency: sales and captures in, refunds out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Net {
    pub currency: Currency,
    pub count: u64,
    pub net_minor: i128,
}

/// An order a person must look at (in doubt, or flagged).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attention {
    pub profile: String,
    pub merchant_reference: String,
    pub operator: String,
    pub currency: Currency,
    pub amount_minor: u64,
    pub state: String,
    pub reason: String,
}

/// The whole report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShiftReport {
    pub from: DateTime<FixedOffset>,
    pub to: DateTime<FixedOffset>,
    /// "profile Demo merchant, operator amal" when narrowed; empty otherwise.
    pub scope: String,
    pub lines: Vec<ReportLine>,
    pub net: Vec<Net>,
    pub attention: Vec<Attention>,
    /// Sales (and captures) per hour of the day and currency: (hour 0..=23, currency, total).
    pub sales_by_hour: Vec<(u32, Currency, u128)>,
    /// How many operations were approved, declined and left unknown.
    pub outcomes: [u64; 3],
}

type LineKey = (String, Currency, ReportOp);

impl ShiftReport {
    /// Adds the entries up.
    pub fn build(
        from: DateTime<FixedOffset>,
        to: DateTime<FixedOffset>,
        scope: String,
        entries: &[Entry],
        attention: Vec<Attention>,
    ) -> Self {
        let mut lines: BTreeMap<LineKey, (u64, u128)> = BTreeMap::new();
        let mut net: BTreeMap<Currency, (u64, i128)> = BTreeMap::new();
        let mut hours: BTreeMap<(u32, Currency), u128> = BTreeMap::new();
        let mut outcomes = [0u64; 3];
        for e in entries {
            let line = lines.entry((e.operator.clone(), e.currency, e.op)).or_default();
            line.0 += 1;
            line.1 += u128::from(e.amount_minor);
            let signed = match e.op {
                ReportOp::Sale | ReportOp::Capture => i128::from(e.amount_minor),
                ReportOp::Refund => -i128::from(e.amount_minor),
                _ => 0,
            };
            if signed != 0 {
                let n = net.entry(e.currency).or_default();
                n.0 += 1;
                n.1 += signed;
            }
            if matches!(e.op, ReportOp::Sale | ReportOp::Capture) {
                *hours.entry((e.at.hour(), e.currency)).or_default() += u128::from(e.amount_minor);
            }
            outcomes[match e.op {
                ReportOp::Declined => 1,
                ReportOp::Unknown => 2,
                _ => 0,
            }] += 1;
        }
        Self {
            from,
            to,
            scope,
            lines: lines
                .into_iter()
                .map(|((operator, currency, op), (count, total_minor))| ReportLine {
                    operator,
                    currency,
                    op,
                    count,
                    total_minor,
                })
                .collect(),
            net: net
                .into_iter()
                .map(|(currency, (count, net_minor))| Net { currency, count, net_minor })
                .collect(),
            attention,
            sales_by_hour: hours.into_iter().map(|((h, c), t)| (h, c, t)).collect(),
            outcomes,
        }
    }

    /// The period in words: `2026-12-06 00:00 to 2026-12-07 00:00 (UTC+04:00)`.
    pub fn period(&self) -> String {
        format!(
            "{} to {} (UTC{})",
            self.from.format("%Y-%m-%d %H:%M"),
            self.to.format("%Y-%m-%d %H:%M"),
            self.from.format("%:z")
        )
    }

    /// A table for the terminal.
    pub fn table(&self) -> String {
        let mut out = format!("End-of-shift report, {}", self.period());
        if !self.scope.is_empty() {
            out.push_str(&format!(", {}", self.scope));
        }
        out.push_str("\n\n");
        out.push_str(&table_lines(self).join("\n"));
        out.push('\n');
        out
    }

    /// CSV: the lines under `operator,currency,operation,count,total`, then one `net` line per
    /// currency (operator `all`), then a blank line and the orders that need attention.
    pub fn csv(&self) -> String {
        let mut out = String::from("operator,currency,operation,count,total\n");
        for l in &self.lines {
            out.push_str(&format!(
                "{},{},{},{},{}\n",
                csv_field(&l.operator),
                l.currency.code(),
                l.op.as_str(),
                l.count,
                plain(l.total_minor, l.currency)
            ));
        }
        for n in &self.net {
            out.push_str(&format!(
                "all,{},net,{},{}\n",
                n.currency.code(),
                n.count,
                signed(n.net_minor, n.currency)
            ));
        }
        out.push_str("\nneeds_attention,profile,operator,currency,amount,state,reason\n");
        for a in &self.attention {
            out.push_str(&format!(
                "{},{},{},{},{},{},{}\n",
                csv_field(&a.merchant_reference),
                csv_field(&a.profile),
                csv_field(&a.operator),
                a.currency.code(),
                format_minor(a.amount_minor, a.currency),
                a.state,
                csv_field(&a.reason)
            ));
        }
        out
    }

    /// One JSON object: period, lines, net and attention, amounts in minor units and as text.
    pub fn json(&self) -> serde_json::Value {
        json!({
            "from": self.from.to_rfc3339(),
            "to": self.to.to_rfc3339(),
            "lines": self.lines.iter().map(|l| json!({
                "operator": l.operator,
                "currency": l.currency.code(),
                "operation": l.op.as_str(),
                "count": l.count,
                "total_minor": l.total_minor.to_string(),
                "total": plain(l.total_minor, l.currency),
            })).collect::<Vec<_>>(),
            "net": self.net.iter().map(|n| json!({
                "currency": n.currency.code(),
                "count": n.count,
                "net_minor": n.net_minor.to_string(),
                "net": signed(n.net_minor, n.currency),
            })).collect::<Vec<_>>(),
            "needs_attention": self.attention.iter().map(|a| json!({
                "merchant_reference": a.merchant_reference,
                "profile": a.profile,
                "operator": a.operator,
                "currency": a.currency.code(),
                "amount_minor": a.amount_minor,
                "state": a.state,
                "reason": a.reason,
            })).collect::<Vec<_>>(),
        })
    }

    /// The report as a PDF (A4, as many pages as it needs).
    ///
    /// # Errors
    /// The embedded font failed to load (a build defect).
    pub fn pdf(&self) -> Result<Vec<u8>, PdfError> {
        let mut blocks = vec![
            Block::Line(Style::Title, "End-of-shift report".into()),
            Block::Line(Style::Body, self.period()),
        ];
        if !self.scope.is_empty() {
            blocks.push(Block::Line(Style::Body, self.scope.clone()));
        }
        blocks.push(Block::Rule);
        blocks.extend(table_lines(self).into_iter().map(|l| Block::Line(Style::Table, l)));
        pdf::render("End-of-shift report", &blocks)
    }
}

/// The lines of the table form (shared by the terminal and the PDF).
fn table_lines(report: &ShiftReport) -> Vec<String> {
    let mut out = vec![format!(
        "{:<16} {:<8} {:<10} {:>6} {:>18}",
        "operator", "currency", "operation", "count", "total"
    )];
    for l in &report.lines {
        out.push(format!(
            "{:<16} {:<8} {:<10} {:>6} {:>18}",
            l.operator,
            l.currency.code(),
            l.op.as_str(),
            l.count,
            grouped_amount(l.total_minor, l.currency)
        ));
    }
    if report.lines.is_empty() {
        out.push("(nothing in this period)".into());
    }
    out.push(String::new());
    out.push("Net per currency (sales + captures - refunds)".into());
    for n in &report.net {
        let sign = if n.net_minor < 0 { "-" } else { "" };
        let net = format!("{sign}{}", grouped_amount(n.net_minor.unsigned_abs(), n.currency));
        out.push(format!("{:<8} {:>18}", n.currency.code(), net));
    }
    if report.net.is_empty() {
        out.push("(no money moved)".into());
    }
    out.push(String::new());
    out.push(format!("Needs attention ({})", report.attention.len()));
    for a in &report.attention {
        out.push(format!(
            "{:<24} {:<4} {:>14} {:<10} {:<12} {}",
            a.merchant_reference,
            a.currency.code(),
            format_minor(a.amount_minor, a.currency),
            a.state,
            a.operator,
            a.reason
        ));
    }
    out
}

/// `1,234.50` (no currency code).
fn grouped_amount(minor: u128, currency: Currency) -> String {
    let text = format_grouped(minor, currency);
    text.strip_prefix(currency.code()).map_or(text.clone(), |t| t.trim().to_owned())
}

/// `1234.50`, exact (totals can exceed one order's `u64`).
fn plain(minor: u128, currency: Currency) -> String {
    grouped_amount(minor, currency).replace(',', "")
}

/// `-25.50` or `1234.50`.
pub fn signed(minor: i128, currency: Currency) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    format!("{sign}{}", plain(minor.unsigned_abs(), currency))
}

/// A text cell: quoted as needed, and never a formula a spreadsheet would run (an operator or
/// reference typed as `=HYPERLINK(...)`).
fn csv_field(text: &str) -> String {
    crate::files::csv_cell(text).into_owned()
}

#[cfg(test)]
#[path = "shift_tests.rs"]
mod tests;
