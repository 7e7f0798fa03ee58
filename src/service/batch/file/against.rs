//! Capture, refund and void rows checked against the orders they name: the journal's orders and
//! those the file's own sale and authorize rows create. The rows are played in file order on a
//! model of each order, so three captures of one authorization are checked against what the
//! first two leave.
//!
//! The check is for a file before it runs: on a resumed run, the journal already holds what the
//! settled rows did, and playing them again would count them twice.

use super::model::{BatchLine, BatchOp, BatchRow, Column, RowProblem, shown};
use crate::aps::money::Currency;
use crate::aps::money::format_grouped;
use std::collections::HashMap;

/// What the journal knows of an order: what it still allows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OrderFacts {
    pub currency: Currency,
    /// Authorized and not yet captured or voided.
    pub capturable_minor: u64,
    /// Captured (or sold) and not yet refunded.
    pub refundable_minor: u64,
    /// An authorization with nothing captured and not voided.
    pub voidable: bool,
}

impl OrderFacts {
    /// The order a valid sale or authorize row creates, before anything else happens to it.
    fn created_by(row: &BatchRow) -> Option<Self> {
        let money = row.money?;
        let minor = money.minor_units();
        match row.op {
            BatchOp::Sale => Some(Self {
                currency: money.currency(),
                capturable_minor: 0,
                refundable_minor: minor,
                voidable: false,
            }),
            BatchOp::Authorize => Some(Self {
                currency: money.currency(),
                capturable_minor: minor,
                refundable_minor: 0,
                voidable: true,
            }),
            // A link's order has no money until the customer pays: nothing to capture or refund.
            BatchOp::PaymentLink => Some(Self {
                currency: money.currency(),
                capturable_minor: 0,
                refundable_minor: 0,
                voidable: false,
            }),
            BatchOp::Capture | BatchOp::Void | BatchOp::Refund => None,
        }
    }
}

/// Checks every valid row against the orders, in file order; invalid rows are passed over.
/// `lookup` answers for an order of the journal by its merchant reference (of the profile the
/// batch runs on); it is asked at most once per reference.
pub fn check_against<'a, F>(rows: impl IntoIterator<Item = &'a BatchLine>, lookup: F) -> Vec<RowProblem>
where
    F: Fn(&str) -> Option<OrderFacts>,
{
    let mut simulation = Simulation::new(lookup);
    rows.into_iter().filter_map(|line| simulation.check(line)).collect()
}

/// The token names that hold a run of digits passing the Luhn check, each once: the file's
/// reading kept them only as APS's own names may look so (`guard::token_name`), so each must be
/// one the token book holds. [`check_tokens`] then judges them.
pub fn card_like_token_names(rows: &[BatchLine]) -> Vec<String> {
    let mut names: Vec<String> = rows
        .iter()
        .filter_map(|l| l.checked.as_ref().ok()?.token_name.clone())
        .filter(|name| crate::aps::card::contains_card_number(name))
        .collect();
    names.sort_unstable();
    names.dedup();
    names
}

/// A problem for every valid row whose token name holds a card-like run of digits that the
/// token book does not hold (`in_book`): a card number typed as a token name, never sent.
pub fn check_tokens<'a, F>(rows: impl IntoIterator<Item = &'a BatchLine>, in_book: F) -> Vec<RowProblem>
where
    F: Fn(&str) -> bool,
{
    rows.into_iter()
        .filter_map(|line| {
            let name = line.checked.as_ref().ok()?.token_name.as_deref()?;
            let Err(e) = crate::service::guard::token_name(name, in_book(name)) else { return None };
            let advice = match e {
                crate::service::ServiceError::Invalid { message, .. } => message,
                other => other.to_string(),
            };
            Some(RowProblem::new(
                line.row,
                Column::TokenName,
                format!("{}: {advice}", Column::TokenName.name()),
            ))
        })
        .collect()
}

/// The orders as the rows so far leave them: [`check_against`] one row at a time, for a file
/// read with [`super::open`].
pub struct Simulation<F> {
    lookup: F,
    /// Every order a row has named, as the rows so far leave it (`None`: no such order).
    orders: HashMap<String, Option<OrderFacts>>,
}

impl<F: Fn(&str) -> Option<OrderFacts>> Simulation<F> {
    pub fn new(lookup: F) -> Self {
        Self { lookup, orders: HashMap::new() }
    }

    /// Plays one row; its problem when the order cannot take it (the order is then unchanged).
    pub fn check(&mut self, line: &BatchLine) -> Option<RowProblem> {
        let row = line.checked.as_ref().ok()?;
        let reference = row.merchant_reference.as_str();
        if row.op.creates_order() {
            self.orders.insert(reference.to_owned(), OrderFacts::created_by(row));
            return None;
        }
        let lookup = &self.lookup;
        let order = self.orders.entry(reference.to_owned()).or_insert_with(|| lookup(reference));
        let Some(facts) = order.as_mut() else {
            return Some(RowProblem::new(
                line.row,
                Column::MerchantReference,
                format!(
                    "merchant_reference {} names no order of this profile, nor a sale or authorize row above this one: check the reference",
                    shown(reference)
                ),
            ));
        };
        apply(line.row, row, facts).err()
    }
}

/// Changes `facts` as the row would, or says why the order cannot take it.
fn apply(at: u32, row: &BatchRow, facts: &mut OrderFacts) -> Result<(), RowProblem> {
    let order = shown(&row.merchant_reference);
    if let Some(money) = row.money
        && money.currency() != facts.currency
    {
        let (typed, wanted) = (money.currency(), facts.currency);
        return Err(RowProblem::new(
            at,
            Column::Currency,
            format!("currency {typed} does not match order {order}, which is in {wanted}: write {wanted}"),
        ));
    }
    let minor = row.money.map_or(0, |m| m.minor_units());
    match row.op {
        BatchOp::Capture => {
            let left = facts.capturable_minor;
            if left == 0 {
                return Err(RowProblem::new(
                    at,
                    Column::Operation,
                    format!(
                        "order {order} has nothing left to capture: it is a sale, or already fully captured or voided; remove this row"
                    ),
                ));
            }
            within(at, "capture", &order, minor, left, facts.currency)?;
            facts.capturable_minor -= minor;
            facts.refundable_minor += minor;
            facts.voidable = false;
        }
        BatchOp::Refund => {
            let left = facts.refundable_minor;
            if left == 0 {
                return Err(RowProblem::new(
                    at,
                    Column::Operation,
                    format!(
                        "order {order} has nothing captured to refund: capture it first, or void it to cancel the authorization"
                    ),
                ));
            }
            within(at, "refund", &order, minor, left, facts.currency)?;
            facts.refundable_minor -= minor;
        }
        BatchOp::Void => {
            if !facts.voidable {
                return Err(RowProblem::new(
                    at,
                    Column::Operation,
                    format!(
                        "order {order} cannot be voided: only an authorization with nothing captured can be; to give money back, use refund"
                    ),
                ));
            }
            facts.capturable_minor = 0;
            facts.voidable = false;
        }
        BatchOp::Sale | BatchOp::Authorize | BatchOp::PaymentLink => {}
    }
    Ok(())
}

fn within(
    at: u32,
    verb: &str,
    order: &str,
    minor: u64,
    left: u64,
    currency: Currency,
) -> Result<(), RowProblem> {
    if minor <= left {
        return Ok(());
    }
    let (asked, left) = (format_grouped(minor.into(), currency), format_grouped(left.into(), currency));
    Err(RowProblem::new(
        at,
        Column::Amount,
        format!(
            "amount {asked} is more than the {left} order {order} has left to {verb}: {verb} at most {left}"
        ),
    ))
}
