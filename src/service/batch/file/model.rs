//! The batch file's types: operations, columns, rows as typed and as checked, and the problems
//! a row or the whole file can have. A leaf: the parts of `file` all use it, it uses none.

use crate::aps::Operation;
use crate::aps::card::contains_card_number;
use crate::aps::money::Money;
use std::fmt;

/// What a row asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum BatchOp {
    Sale,
    Authorize,
    Capture,
    Void,
    Refund,
    /// A payment link sent to the customer (batch invoicing).
    PaymentLink,
}

impl BatchOp {
    pub const ALL: [BatchOp; 6] =
        [Self::Sale, Self::Authorize, Self::Capture, Self::Void, Self::Refund, Self::PaymentLink];

    /// The APS operation the row becomes.
    pub fn operation(self) -> Operation {
        match self {
            Self::Sale => Operation::Purchase,
            Self::Authorize => Operation::Authorization,
            Self::Capture => Operation::Capture,
            Self::Void => Operation::VoidAuthorization,
            Self::Refund => Operation::Refund,
            Self::PaymentLink => Operation::PaymentLink,
        }
    }

    /// The APS name: `PURCHASE`, `AUTHORIZATION`, `CAPTURE`, `VOID_AUTHORIZATION`, `REFUND`,
    /// `PAYMENT_LINK`.
    pub fn wire_name(self) -> &'static str {
        self.operation().wire_name()
    }

    /// The file's own word: `sale`, `authorize`, `capture`, `void`, `refund`, `payment_link`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Sale => "sale",
            Self::Authorize => "authorize",
            Self::Capture => "capture",
            Self::Void => "void",
            Self::Refund => "refund",
            Self::PaymentLink => "payment_link",
        }
    }

    /// Reads the file's word or the APS name, in any case, spaces around ignored.
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        Self::ALL
            .into_iter()
            .find(|op| text.eq_ignore_ascii_case(op.name()) || text.eq_ignore_ascii_case(op.wire_name()))
    }

    /// True for the rows that create an order (sale, authorize, payment link).
    pub fn creates_order(self) -> bool {
        matches!(self, Self::Sale | Self::Authorize | Self::PaymentLink)
    }
}

impl fmt::Display for BatchOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A column the file may have, by its header name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Column {
    Operation,
    MerchantReference,
    Amount,
    Currency,
    TokenName,
    CustomerEmail,
    CustomerName,
    Description,
    AgreementId,
    PhoneNumber,
}

impl Column {
    pub const ALL: [Column; 10] = [
        Self::Operation,
        Self::MerchantReference,
        Self::Amount,
        Self::Currency,
        Self::TokenName,
        Self::CustomerEmail,
        Self::CustomerName,
        Self::Description,
        Self::AgreementId,
        Self::PhoneNumber,
    ];

    /// The header name, as problems name the column.
    pub fn name(self) -> &'static str {
        match self {
            Self::Operation => "operation",
            Self::MerchantReference => "merchant_reference",
            Self::Amount => "amount",
            Self::Currency => "currency",
            Self::TokenName => "token_name",
            Self::CustomerEmail => "customer_email",
            Self::CustomerName => "customer_name",
            Self::Description => "description",
            Self::AgreementId => "agreement_id",
            Self::PhoneNumber => "phone_number",
        }
    }

    /// The APS field whose rule the column's text follows.
    pub fn field(self) -> crate::aps::field::Field {
        use crate::aps::field::Field;
        match self {
            Self::Operation => Field::Operation,
            Self::MerchantReference => Field::MerchantReference,
            Self::Amount => Field::Amount,
            Self::Currency => Field::Currency,
            Self::TokenName => Field::TokenName,
            Self::CustomerEmail => Field::CustomerEmail,
            Self::CustomerName => Field::CustomerName,
            Self::Description => Field::OrderDescription,
            Self::AgreementId => Field::AgreementId,
            Self::PhoneNumber => Field::PhoneNumber,
        }
    }
}

/// A row's cells as typed, for the results file and the preview table. Absent columns are empty.
/// A cell that held a card number is replaced by [`CARD_REMOVED`]: it never reaches a results
/// file, a log or a Debug string.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RowInput {
    pub operation: String,
    pub merchant_reference: String,
    pub amount: String,
    pub currency: String,
    pub token_name: String,
    pub customer_email: String,
    pub customer_name: String,
    pub description: String,
    pub agreement_id: String,
    pub phone_number: String,
}

/// What stands in a [`RowInput`] cell that held a card number.
pub const CARD_REMOVED: &str = "(card number removed)";

impl RowInput {
    pub fn get(&self, column: Column) -> &str {
        match column {
            Column::Operation => &self.operation,
            Column::MerchantReference => &self.merchant_reference,
            Column::Amount => &self.amount,
            Column::Currency => &self.currency,
            Column::TokenName => &self.token_name,
            Column::CustomerEmail => &self.customer_email,
            Column::CustomerName => &self.customer_name,
            Column::Description => &self.description,
            Column::AgreementId => &self.agreement_id,
            Column::PhoneNumber => &self.phone_number,
        }
    }

    pub(super) fn cell_mut(&mut self, column: Column) -> &mut String {
        match column {
            Column::Operation => &mut self.operation,
            Column::MerchantReference => &mut self.merchant_reference,
            Column::Amount => &mut self.amount,
            Column::Currency => &mut self.currency,
            Column::TokenName => &mut self.token_name,
            Column::CustomerEmail => &mut self.customer_email,
            Column::CustomerName => &mut self.customer_name,
            Column::Description => &mut self.description,
            Column::AgreementId => &mut self.agreement_id,
            Column::PhoneNumber => &mut self.phone_number,
        }
    }

    /// True when every cell is empty or spaces: the row is skipped.
    pub fn is_blank(&self) -> bool {
        Column::ALL.iter().all(|c| self.get(*c).trim().is_empty())
    }
}

/// A valid row, ready for the runner. Text is trimmed; `None` is an empty cell.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BatchRow {
    pub op: BatchOp,
    /// The order's reference: typed, or derived for a sale or authorize row left empty.
    pub merchant_reference: String,
    /// Amount and currency; `None` only on a void row.
    pub money: Option<Money>,
    pub token_name: Option<String>,
    pub customer_email: Option<String>,
    pub customer_name: Option<String>,
    pub description: Option<String>,
    pub agreement_id: Option<String>,
    pub phone_number: Option<String>,
    /// The reference was made from the file's hash and the row number.
    pub reference_derived: bool,
}

/// One order row of the file, in file order.
#[derive(Clone, Debug)]
pub struct BatchLine {
    /// The spreadsheet row number: the header is row 1 (see the module docs).
    pub row: u32,
    pub input: RowInput,
    pub checked: Result<BatchRow, RowProblem>,
}

/// What is wrong with one row, and how to fix it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RowProblem {
    pub row: u32,
    /// The column at fault, by its header name.
    pub column: Option<&'static str>,
    /// Starts with the column's name where there is one; never holds a card number.
    pub message: String,
}

impl RowProblem {
    pub(super) fn new(row: u32, column: Column, message: impl Into<String>) -> Self {
        Self { row, column: Some(column.name()), message: message.into() }
    }
}

impl fmt::Display for RowProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "row {}: {}", self.row, self.message)
    }
}

/// A whole file that cannot be read as a batch. Nothing in it is run.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FileError {
    #[error(
        "the file is empty: it needs a header row naming the columns (operation,merchant_reference,amount,currency,token_name,customer_email) and one row per order"
    )]
    Empty,
    #[error("the file has a header but no order rows: add one row per order below the header")]
    NoRows,
    #[error(
        "the file is not UTF-8 text (line {line}): in Excel use Save As and choose \"CSV UTF-8 (Comma delimited)\""
    )]
    NotUtf8 { line: u64 },
    #[error(
        "the file is saved as UTF-16 (Excel's \"Unicode Text\"): use Save As and choose \"CSV UTF-8 (Comma delimited)\""
    )]
    Utf16,
    #[error(
        "the columns are separated by {0} instead of commas: in Excel use Save As and choose \"CSV UTF-8 (Comma delimited)\""
    )]
    WrongSeparator(&'static str),
    #[error("{}", unknown_column(.name, *.suggestion))]
    UnknownColumn { name: String, suggestion: Option<&'static str> },
    #[error("the header names the column {name} twice (columns {first} and {second}): remove one of them")]
    DuplicateColumn { name: &'static str, first: usize, second: usize },
    #[error(
        "the header has no {0} column: add it, with sale, authorize, capture, void, refund or payment_link on every row"
    )]
    MissingColumn(&'static str),
}

fn unknown_column(name: &str, suggestion: Option<&str>) -> String {
    let known: Vec<&str> = Column::ALL.iter().map(|c| c.name()).collect();
    match suggestion {
        Some(s) => format!(
            "the header names an unknown column {name}: did you mean {s}? (the columns are {})",
            known.join(", ")
        ),
        None => format!(
            "the header names an unknown column {name}: rename it to one of {}, or remove it",
            known.join(", ")
        ),
    }
}

/// The whole file, read and checked row by row.
#[derive(Clone, Debug)]
pub struct ParsedBatch {
    pub file_name: String,
    /// Hex SHA-256 of the file's bytes, as read (BOM included).
    pub file_hash: String,
    pub rows: Vec<BatchLine>,
}

impl ParsedBatch {
    /// The rows' problems, in file order.
    pub fn problems(&self) -> impl Iterator<Item = &RowProblem> {
        self.rows.iter().filter_map(|line| line.checked.as_ref().err())
    }

    pub fn is_valid(&self) -> bool {
        self.problems().next().is_none()
    }
}

/// Most characters of typed text a message repeats.
const MAX_SHOWN: usize = 40;

/// Typed text as a message may quote it: in quotes, cut at 40 characters, and never a card
/// number.
pub fn shown(text: &str) -> String {
    let text = text.trim();
    if contains_card_number(text) {
        return "(a card number, not shown)".into();
    }
    if text.chars().count() <= MAX_SHOWN {
        return format!("'{text}'");
    }
    let cut: String = text.chars().take(MAX_SHOWN - 3).collect();
    format!("'{cut}...' ({} characters)", text.chars().count())
}
