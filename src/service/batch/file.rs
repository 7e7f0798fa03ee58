//! The batch file: a CSV of orders, read and checked without sending anything. Pure: it takes
//! the file's bytes and its name, and does no I/O.
//!
//! # Format
//! UTF-8, comma-separated, RFC 4180 quoting, a header row naming the columns in any order:
//! `operation`, `merchant_reference`, `amount`, `currency`, `token_name`, `customer_email`,
//! `customer_name`, `description`, `agreement_id`, `phone_number`. Only `operation` must be in
//! the header; an absent column is empty on every row. A file saved by Excel reads as it is:
//! a UTF-8 byte-order mark, CRLF line ends, quoted cells holding commas, quotes or line breaks,
//! header names in any case or with spaces (`Merchant Reference`), and empty positions after the
//! last named column. A header naming an unknown column, or one column twice, refuses the file.
//!
//! # Rows
//! `operation` is `sale`, `authorize`, `capture`, `void`, `refund` or `payment_link` in any
//! case, or the APS name (`PURCHASE`, `AUTHORIZATION`, `CAPTURE`, `VOID_AUTHORIZATION`,
//! `REFUND`, `PAYMENT_LINK`).
//! - sale, authorize: `amount`, `currency`, `token_name` and `customer_email` are needed.
//!   `merchant_reference` may be left empty: it is then `BT-<first 10 hex digits of the file's
//!   SHA-256>-<row>`, so the same file always gets the same references and running it again
//!   can never charge a row under a second one. Two such rows with one reference: the later
//!   row is refused.
//! - capture, refund: `merchant_reference`, `amount` and `currency` are needed.
//! - payment_link (batch invoicing): `amount`, `currency` and `customer_email`; APS emails the
//!   customer a link valid for 72 hours. Its reference is made as a sale's when left empty.
//! - void: `merchant_reference` only; `amount` and `currency` must be empty (a void cancels the
//!   whole authorization, and an amount there suggests a capture was meant).
//!
//! Amounts are exact decimals in the currency's exponent (never floats); every text cell follows
//! the APS rule of its field; a card number in any cell refuses the row and is removed from the
//! row's [`RowInput`] at once. A row whose cells are all empty is skipped.
//!
//! # Row numbers
//! A row is numbered as a spreadsheet shows the file: the header is row 1 and the first order
//! row 2. Each CSV record is one row, however many line breaks its quoted cells hold; a
//! skipped empty line is still counted as a row, as the spreadsheet shows it. Every problem
//! names its row and column.

mod against;
mod header;
mod model;
mod row;
mod summary;

pub use against::{OrderFacts, Simulation, card_like_token_names, check_against, check_tokens};
pub use model::{
    BatchLine, BatchOp, BatchRow, CARD_REMOVED, Column, FileError, ParsedBatch, RowInput, RowProblem, shown,
};
pub use summary::{OpTotals, Summary, Totals};

use row::RowChecker;
use sha2::{Digest, Sha256};

/// Reads the file and checks every row.
///
/// # Errors
/// [`FileError`] when the file as a whole cannot be a batch, including [`FileError::NoRows`].
pub fn parse(file_name: &str, bytes: &[u8]) -> Result<ParsedBatch, FileError> {
    let reader = open(file_name, bytes)?;
    let (file_name, file_hash) = (reader.file_name.clone(), reader.file_hash.clone());
    let rows: Vec<BatchLine> = reader.collect();
    if rows.is_empty() {
        return Err(FileError::NoRows);
    }
    Ok(ParsedBatch { file_name, file_hash, rows })
}

/// Reads the header and returns the rows one at a time, so a file of any size is checked in
/// little memory (only the references of sale and authorize rows are kept, to find repeats).
///
/// # Errors
/// [`FileError`] for the encoding or the header. A file with a header and no rows yields
/// nothing.
pub fn open<'a>(file_name: &str, bytes: &'a [u8]) -> Result<BatchReader<'a>, FileError> {
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return Err(FileError::Utf16);
    }
    let text = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if let Err(e) = std::str::from_utf8(text) {
        let line = text[..e.valid_up_to()].iter().filter(|b| **b == b'\n').count() + 1;
        return Err(FileError::NotUtf8 { line: line as u64 });
    }
    let file_hash = hex_sha256(bytes);
    let csv = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text);
    let mut reader = BatchReader {
        file_name: file_name.to_owned(),
        checker: RowChecker::new(&file_hash),
        file_hash,
        text,
        csv,
        columns: Vec::new(),
        row: 0,
        done: false,
    };
    let header = loop {
        match reader.next_record() {
            Some(Ok(record)) if record.iter().all(|cell| cell.trim().is_empty()) => continue,
            Some(Ok(record)) => break record,
            Some(Err(_)) | None => return Err(FileError::Empty),
        }
    };
    let cells: Vec<&str> = header.iter().collect();
    reader.columns = header::columns(&cells)?;
    Ok(reader)
}

/// The rows of an opened file, checked in file order. See [`open`].
pub struct BatchReader<'a> {
    file_name: String,
    file_hash: String,
    /// The file without its byte-order mark.
    text: &'a [u8],
    csv: csv::Reader<&'a [u8]>,
    /// The column at each header position.
    columns: Vec<Option<Column>>,
    /// The spreadsheet row of the last record read.
    row: u32,
    checker: RowChecker,
    done: bool,
}

impl std::fmt::Debug for BatchReader<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BatchReader")
            .field("file_name", &self.file_name)
            .field("file_hash", &self.file_hash)
            .field("row", &self.row)
            .finish_non_exhaustive()
    }
}

impl BatchReader<'_> {
    pub fn file_name(&self) -> &str {
        &self.file_name
    }

    /// Hex SHA-256 of the file's bytes.
    pub fn file_hash(&self) -> &str {
        &self.file_hash
    }

    /// The named columns, in header order.
    pub fn columns(&self) -> impl Iterator<Item = Column> + '_ {
        self.columns.iter().flatten().copied()
    }

    /// The next CSV record, with `row` moved past it and any empty lines before it.
    fn next_record(&mut self) -> Option<Result<csv::StringRecord, csv::Error>> {
        let start = usize::try_from(self.csv.position().byte()).unwrap_or(usize::MAX).min(self.text.len());
        let mut record = csv::StringRecord::new();
        match self.csv.read_record(&mut record) {
            Ok(false) => None,
            Ok(true) => {
                let skipped = empty_lines(self.text, start);
                self.row = self.row.saturating_add(skipped.saturating_add(1));
                Some(Ok(record))
            }
            Err(e) => Some(Err(e)),
        }
    }

    /// The row as typed, and the position (from 1) of a value under no named column.
    fn input(&self, record: &csv::StringRecord) -> (RowInput, Option<usize>) {
        let mut input = RowInput::default();
        let mut stray = None;
        for (i, cell) in record.iter().enumerate() {
            match self.columns.get(i).copied().flatten() {
                Some(column) => cell.clone_into(input.cell_mut(column)),
                None if !cell.trim().is_empty() => {
                    stray.get_or_insert(i + 1);
                }
                None => {}
            }
        }
        (input, stray)
    }
}

impl Iterator for BatchReader<'_> {
    type Item = BatchLine;

    fn next(&mut self) -> Option<BatchLine> {
        while !self.done {
            let record = match self.next_record()? {
                Ok(record) => record,
                Err(e) => {
                    // Not expected from UTF-8 text read flexibly, but never silently dropped.
                    self.done = true;
                    let row = self.row.saturating_add(1);
                    let message = format!(
                        "could not be read as CSV ({e}): check the quotes on this row and the ones above"
                    );
                    let problem = RowProblem { row, column: None, message };
                    return Some(BatchLine { row, input: RowInput::default(), checked: Err(problem) });
                }
            };
            let (mut input, stray) = self.input(&record);
            if input.is_blank() && stray.is_none() {
                continue;
            }
            let row = self.row;
            let checked = self.checker.check(row, &mut input, stray);
            return Some(BatchLine { row, input, checked });
        }
        None
    }
}

/// How many empty lines precede the record starting at `start`: the run of line ends there,
/// less the `\n` that finishes the previous record's `\r\n`.
fn empty_lines(text: &[u8], start: usize) -> u32 {
    let mut i = start;
    if i > 0 && text.get(i - 1) == Some(&b'\r') && text.get(i) == Some(&b'\n') {
        i += 1;
    }
    let mut count = 0u32;
    while let Some(&b) = text.get(i) {
        match b {
            b'\r' if text.get(i + 1) == Some(&b'\n') => i += 2,
            b'\r' | b'\n' => i += 1,
            _ => break,
        }
        count = count.saturating_add(1);
    }
    count
}

fn hex_sha256(bytes: &[u8]) -> String {
    use std::fmt::Write;
    Sha256::digest(bytes).iter().fold(String::with_capacity(64), |mut out, b| {
        let _ = write!(out, "{b:02x}");
        out
    })
}

#[cfg(test)]
mod tests;
