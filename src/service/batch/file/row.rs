//! One row's checks, in the order an agent fixes them: card numbers first (and out of the row
//! at once), then the operation, the cells the operation needs, the reference, the money, and
//! the text fields by APS's rules. A row gets its first problem only.

use super::model::{BatchOp, BatchRow, CARD_REMOVED, Column, RowInput, RowProblem, shown};
use crate::aps::fields;
use crate::aps::money::{Currency, Money, MoneyError};
use crate::service::{ServiceError, guard};
use std::collections::HashMap;

/// Checks rows in file order, remembering the references sale and authorize rows use.
pub(super) struct RowChecker {
    /// `BT-` and the first 10 hex digits of the file's hash.
    prefix: String,
    /// Reference of each order-creating row so far, and its row.
    creating: HashMap<String, u32>,
}

/// The cells each operation needs, in column order.
fn required(op: BatchOp) -> &'static [Column] {
    match op {
        BatchOp::Sale | BatchOp::Authorize => {
            &[Column::Amount, Column::Currency, Column::TokenName, Column::CustomerEmail]
        }
        BatchOp::Capture | BatchOp::Refund => &[Column::MerchantReference, Column::Amount, Column::Currency],
        BatchOp::Void => &[Column::MerchantReference],
        BatchOp::PaymentLink => &[Column::Amount, Column::Currency, Column::CustomerEmail],
    }
}

/// The text cells checked by their APS field rule when not empty.
const TEXT: [Column; 6] = [
    Column::TokenName,
    Column::CustomerEmail,
    Column::CustomerName,
    Column::Description,
    Column::AgreementId,
    Column::PhoneNumber,
];

impl RowChecker {
    pub(super) fn new(file_hash: &str) -> Self {
        let short: String = file_hash.chars().take(10).collect();
        Self { prefix: format!("BT-{short}"), creating: HashMap::new() }
    }

    /// Checks one row. Cells holding a card number are replaced in `input` first, whatever
    /// else is wrong. `stray` is the position (from 1) of a value under no named column.
    pub(super) fn check(
        &mut self,
        row: u32,
        input: &mut RowInput,
        stray: Option<usize>,
    ) -> Result<BatchRow, RowProblem> {
        remove_card_numbers(row, input)?;
        if let Some(position) = stray {
            return Err(RowProblem {
                row,
                column: None,
                message: format!(
                    "column {position} has a value but no name in the header: name the column, or remove the value"
                ),
            });
        }
        let op = operation(row, &input.operation)?;
        let cell = |column: Column| input.get(column).trim();
        for &column in required(op) {
            if cell(column).is_empty() {
                return Err(RowProblem::new(row, column, missing(op, column)));
            }
        }
        if op == BatchOp::Void {
            for column in [Column::Amount, Column::Currency] {
                if !cell(column).is_empty() {
                    return Err(RowProblem::new(
                        row,
                        column,
                        format!(
                            "{}: a void cancels the whole authorization and takes no amount or currency: leave both empty (to take part of the money, use capture)",
                            column.name()
                        ),
                    ));
                }
            }
        }
        let (merchant_reference, reference_derived) =
            self.reference(row, op, cell(Column::MerchantReference))?;
        let money = match op {
            BatchOp::Void => None,
            _ => Some(money(row, cell(Column::Amount), cell(Column::Currency))?),
        };
        for column in TEXT {
            check_text(row, column, cell(column))?;
        }
        let text = |column: Column| Some(cell(column).to_owned()).filter(|t| !t.is_empty());
        Ok(BatchRow {
            op,
            merchant_reference,
            money,
            token_name: text(Column::TokenName),
            customer_email: text(Column::CustomerEmail),
            customer_name: text(Column::CustomerName),
            description: text(Column::Description),
            agreement_id: text(Column::AgreementId),
            phone_number: text(Column::PhoneNumber),
            reference_derived,
        })
    }

    /// The row's reference: as typed (checked by APS's rule), or derived for a sale or authorize
    /// row that leaves it empty. A second order-creating row with the same one is refused.
    fn reference(&mut self, row: u32, op: BatchOp, typed: &str) -> Result<(String, bool), RowProblem> {
        let column = Column::MerchantReference;
        let (reference, derived) = if typed.is_empty() {
            (format!("{}-{row}", self.prefix), true)
        } else {
            check_text(row, column, typed)?;
            (typed.to_owned(), false)
        };
        if op.creates_order() {
            if let Some(first) = self.creating.get(&reference) {
                return Err(RowProblem::new(
                    row,
                    column,
                    format!(
                        "merchant_reference {} is already used by row {first}: every sale, authorize or payment_link row needs its own reference; leave it empty and the terminal makes one",
                        shown(&reference)
                    ),
                ));
            }
            self.creating.insert(reference.clone(), row);
        }
        Ok((reference, derived))
    }
}

/// Replaces every cell that holds a card number, and reports the first.
fn remove_card_numbers(row: u32, input: &mut RowInput) -> Result<(), RowProblem> {
    let mut first = None;
    for column in Column::ALL {
        let cell = input.cell_mut(column);
        // A token name may be APS's own, whose digits may pass the Luhn check: only a card's
        // digits are removed here, and the check against the token book judges the rest.
        let checked = match column {
            Column::TokenName => guard::token_name(cell, true),
            _ => guard::field(column.field(), cell),
        };
        if let Err(e) = checked {
            *cell = CARD_REMOVED.to_owned();
            let advice = match e {
                ServiceError::Invalid { message, .. } => message,
                other => other.to_string(),
            };
            first.get_or_insert_with(|| RowProblem::new(row, column, format!("{}: {advice}", column.name())));
        }
    }
    first.map_or(Ok(()), Err)
}

fn operation(row: u32, typed: &str) -> Result<BatchOp, RowProblem> {
    let column = Column::Operation;
    if typed.trim().is_empty() {
        return Err(RowProblem::new(
            row,
            column,
            "operation is empty: write sale, authorize, capture, void, refund or payment_link",
        ));
    }
    BatchOp::parse(typed).ok_or_else(|| {
        RowProblem::new(
            row,
            column,
            format!(
                "operation {} is not known: write sale, authorize, capture, void, refund or payment_link",
                shown(typed)
            ),
        )
    })
}

fn missing(op: BatchOp, column: Column) -> String {
    let names: Vec<&str> = required(op).iter().map(|c| c.name()).collect();
    let needs = match names.as_slice() {
        [only] => (*only).to_owned(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
        [] => String::new(),
    };
    let article = if op == BatchOp::Authorize { "an" } else { "a" };
    format!("{} is empty: {article} {op} row needs {needs}; fill it in", column.name())
}

fn money(row: u32, amount: &str, currency: &str) -> Result<Money, RowProblem> {
    let currency = Currency::parse(currency).map_err(|_| {
        RowProblem::new(
            row,
            Column::Currency,
            format!(
                "currency {} is not an ISO 4217 code: write three letters such as SAR, AED or KWD",
                shown(currency)
            ),
        )
    })?;
    Money::parse(amount, currency).map_err(|e| {
        let message = match e {
            MoneyError::TooManyDecimals { allowed: 0, currency, .. } => {
                format!("amount has decimals but {currency} has none: write a whole number")
            }
            MoneyError::Zero => {
                "amount must be more than zero: write the amount, for example 12.50".to_owned()
            }
            other => other.to_string(),
        };
        RowProblem::new(row, Column::Amount, message)
    })
}

/// Checks a non-empty cell by its APS field rule; the message names the column as the file does.
fn check_text(row: u32, column: Column, text: &str) -> Result<(), RowProblem> {
    if text.is_empty() {
        return Ok(());
    }
    fields::check(column.field(), text).map_err(|e| {
        RowProblem::new(row, column, format!("{} {}: {}", column.name(), e.problem.phrase(), e.hint))
    })
}
