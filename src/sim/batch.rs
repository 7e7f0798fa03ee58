//! Batch processing (spec 3.11): UPLOAD_BATCH_FILE, GET_BATCH_RESULTS, PROCESS_BATCH.
//!
//! The file is CSV with a header row naming request parameters; each row runs through the same
//! checks and state machine as a `paymentApi` request, without a per-row signature (the upload
//! was signed). Card numbers are refused in a batch file, so none is ever stored.
//!
//! APS checks and runs a file in the background (spec 3.11): "while still validating you get
//! message 138". So does the simulator, counted in requests rather than time so that tests are
//! exact: the first GET_BATCH_RESULTS after an upload answers `138`, and the first after
//! PROCESS_BATCH answers `140` "still under processing" before the results file (a file of more
//! than 50 rows is queued: `72148` "will be processed", and three `140`s). PROCESS_BATCH before
//! the file is validated answers `73138` and runs nothing.
//!
//! Rows: recurring purchases, captures, refunds, voids and payment links (batch invoicing,
//! NEW-DOC). Validation refuses a repeat of any type (module `state`, `BatchRow::duplicate_key`)
//! and a new order's reference or a refund's maintenance reference APS already holds.

use super::engine::{Body, Endpoint, Engine, answer, put, text, validate};
use super::state::{Batch, BatchLineResult, BatchRow, BatchStatus, State};
use crate::aps::{Operation, Params};
use serde_json::Value;
use std::collections::HashSet;

/// Columns never accepted in a batch file.
const CARD_COLUMNS: [&str; 2] = ["card_number", "card_security_code"];

/// Results requests answered `138` after an upload, before the validation result.
pub(crate) const VALIDATION_POLLS: u32 = 1;
/// Results requests answered `140` after PROCESS_BATCH, before the results file.
pub(crate) const PROCESSING_POLLS: u32 = 1;
/// A file of more rows than this is queued: PROCESS_BATCH answers `72148` "will be processed"
/// instead of `72147`, and the results take [`QUEUED_POLLS`] requests more.
pub(crate) const QUEUE_ABOVE_ROWS: usize = 50;
pub(crate) const QUEUED_POLLS: u32 = 3;

/// Parses CSV (RFC 4180: quotes, doubled quotes, CRLF or LF) into records with the line number
/// each starts on. Blank lines are skipped.
pub(crate) fn parse_csv(text: &str) -> Result<Vec<(usize, Vec<String>)>, String> {
    let mut records = Vec::new();
    let mut fields: Vec<String> = Vec::new();
    let mut field = String::new();
    let mut line = 1;
    let mut record_line = 1;
    let mut in_quotes = false;
    let mut after_quote = false;
    let mut chars = text.chars().peekable();
    let mut end_record = |fields: &mut Vec<String>, field: &mut String, record_line: usize| {
        fields.push(std::mem::take(field));
        let record = std::mem::take(fields);
        if !(record.len() == 1 && record[0].is_empty()) {
            records.push((record_line, record));
        }
    };
    while let Some(c) = chars.next() {
        if in_quotes {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => {
                    in_quotes = false;
                    after_quote = true;
                }
                '\n' => {
                    line += 1;
                    field.push(c);
                }
                _ => field.push(c),
            }
            continue;
        }
        match c {
            ',' => {
                fields.push(std::mem::take(&mut field));
                after_quote = false;
            }
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' => {
                end_record(&mut fields, &mut field, record_line);
                line += 1;
                record_line = line;
                after_quote = false;
            }
            '"' if field.is_empty() && !after_quote => in_quotes = true,
            _ if after_quote => return Err(format!("line {line}: text after a closing quote")),
            '"' => return Err(format!("line {line}: a quote inside an unquoted value")),
            _ => field.push(c),
        }
    }
    if in_quotes {
        return Err(format!("line {record_line}: a quoted value is never closed"));
    }
    if !field.is_empty() || !fields.is_empty() {
        end_record(&mut fields, &mut field, record_line);
    }
    Ok(records)
}

/// Reads a batch file into rows, and says why it is invalid if it is. `Err` when it is not
/// text at all (upload refused with `51144`).
pub(crate) fn read_batch_file(bytes: &[u8]) -> Result<(Vec<BatchRow>, Option<String>), ()> {
    let text = std::str::from_utf8(bytes).map_err(|_| ())?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.trim().is_empty() {
        return Err(());
    }
    let records = match parse_csv(text) {
        Ok(records) => records,
        Err(problem) => return Ok((Vec::new(), Some(problem))),
    };
    let mut records = records.into_iter();
    let Some((_, header)) = records.next() else { return Err(()) };
    let header: Vec<String> = header.iter().map(|h| h.trim().to_owned()).collect();
    let mut invalid = None;
    for needed in ["command", "merchant_reference"] {
        if !header.iter().any(|h| h == needed) {
            invalid.get_or_insert_with(|| format!("the header has no {needed} column"));
        }
    }
    if header.iter().any(|h| CARD_COLUMNS.contains(&h.as_str())) {
        invalid.get_or_insert_with(|| "card data is not accepted in a batch file: use token_name".to_owned());
    }
    let mut rows = Vec::new();
    let mut seen = HashSet::new();
    for (line, values) in records {
        if values.len() != header.len() {
            invalid.get_or_insert_with(|| {
                format!("line {line} has {} values but the header has {}", values.len(), header.len())
            });
        }
        let fields: Vec<(String, String)> = header
            .iter()
            .zip(values)
            .filter(|(name, _)| !CARD_COLUMNS.contains(&name.as_str()))
            .map(|(name, value)| (name.clone(), value))
            .collect();
        let row = BatchRow { line, fields };
        if let Some(key) = row.duplicate_key()
            && !seen.insert(key.clone())
        {
            invalid.get_or_insert_with(|| format!("line {line}: {key} is repeated"));
        }
        rows.push(row);
    }
    if rows.is_empty() {
        invalid.get_or_insert_with(|| "the file holds no transactions".to_owned());
    }
    Ok((rows, invalid))
}

/// Validation checks every row against what APS already holds: a purchase's or a payment
/// link's `merchant_reference` must be new (not taken at the terminal, by a link or another
/// channel), and a refund's `maintenance_reference` new on its order.
fn known_reference(st: &State, rows: &[BatchRow]) -> Option<String> {
    rows.iter().find_map(|row| {
        if let Some(reference) = row.new_order_reference() {
            return st
                .orders
                .contains_key(reference)
                .then(|| format!("line {}: merchant_reference {reference} already exists", row.line));
        }
        let maintenance = row.field("maintenance_reference").filter(|m| !m.is_empty())?;
        let order = st.orders.get(row.field("merchant_reference")?)?;
        order
            .refunds
            .iter()
            .any(|r| r.maintenance_reference.as_deref() == Some(maintenance))
            .then(|| format!("line {}: maintenance_reference {maintenance} already exists", row.line))
    })
}

/// The results file: header, then one quoted row per transaction.
///
/// The lines are not in file order: the successful ones come first, then the others (each group
/// in line order), as a results file gathered by outcome would be. Nothing documents the order,
/// so a client must match lines by `Line_Number`, never by position.
pub(crate) fn format_results(results: &[BatchLineResult]) -> String {
    let quote = |v: &str| format!("\"{}\"", v.replace('"', "\"\""));
    let mut out = crate::aps::batch::RESULTS_HEADER.join(",");
    out.push('\n');
    let mut ordered: Vec<&BatchLineResult> = results.iter().collect();
    ordered.sort_by_key(|r| (!r.response_code.ends_with("000"), r.line));
    for r in ordered {
        let values = [
            r.line.to_string(),
            r.response_code.clone(),
            r.response_message.clone(),
            r.status.clone(),
            r.eci.clone(),
            r.fort_id.clone(),
            r.merchant_reference.clone(),
            r.amount.clone(),
            r.card_number.clone(),
            r.expiry_date.clone(),
            r.currency.clone(),
        ];
        let row: Vec<String> = values.iter().map(|v| quote(v)).collect();
        out.push_str(&row.join(","));
        out.push('\n');
    }
    out
}

impl Engine {
    /// UPLOAD_BATCH_FILE from the multipart form: text fields in `req`, the CSV in `file`.
    pub(crate) fn handle_upload(&self, req: &Params, file: Option<&[u8]>) -> Body {
        let op = match self.admit(req, Endpoint::Upload) {
            Ok(op) => op,
            Err((status, msg)) => return Body::Json(self.finish(None, answer(req, status, msg))),
        };
        if let Err((status, msg)) = validate(op, req) {
            return Body::Json(self.finish(Some(op), answer(req, status, msg)));
        }
        let Some(file) = file else { return Body::Json(self.finish(Some(op), answer(req, "00", "001"))) };
        let Ok((rows, invalid)) = read_batch_file(file) else {
            return Body::Json(self.finish(Some(op), answer(req, "51", "144")));
        };
        let reference = text(req, "batch_reference").unwrap_or_default().to_owned();
        let out = self.with_state(|st| {
            if st.batches.contains_key(&reference) {
                return (answer(req, "51", "146"), false);
            }
            let invalid = invalid.or_else(|| known_reference(st, &rows));
            let batch_id = self.next_fort_id();
            st.batches.insert(
                reference.clone(),
                Batch {
                    reference: reference.clone(),
                    batch_id: batch_id.clone(),
                    status: BatchStatus::Uploaded,
                    rows,
                    invalid,
                    results: Vec::new(),
                    validating: VALIDATION_POLLS,
                    processing: 0,
                },
            );
            let mut out = answer(req, "50", "000");
            put(&mut out, "batch_id", batch_id);
            (out, true)
        });
        Body::Json(self.finish(Some(op), out))
    }

    /// GET_BATCH_RESULTS: `138` while validating, then the validation result (`70000` with
    /// `transactions_count`, or `77136`); after PROCESS_BATCH, `140` while processing, then the
    /// per-line results file.
    pub(super) fn get_batch_results(&self, req: &Params) -> Body {
        let op = Some(Operation::GetBatchResults);
        let body = self.with_state(|st| {
            let Some(batch) = find_batch(st, req) else {
                return (Body::Json(answer(req, "71", "141")), false);
            };
            if batch.validating > 0 {
                batch.validating -= 1;
                return (Body::Json(answer(req, "71", "138")), true);
            }
            if batch.status == BatchStatus::Processed {
                if batch.processing > 0 {
                    batch.processing -= 1;
                    return (Body::Json(answer(req, "71", "140")), true);
                }
                return (Body::Csv(format_results(&batch.results)), false);
            }
            let out = if batch.invalid.is_some() {
                answer(req, "77", "136")
            } else {
                let mut out = answer(req, "70", "000");
                put(&mut out, "batch_id", batch.batch_id.clone());
                put(&mut out, "transactions_count", batch.rows.len().to_string());
                out
            };
            (Body::Json(out), false)
        });
        match body {
            Body::Json(out) => Body::Json(self.finish(op, out)),
            csv => csv,
        }
    }

    /// PROCESS_BATCH: runs every row now and answers `72147`, or `72148` for a large file.
    pub(super) fn process_batch(&self, req: &Params) -> Params {
        self.with_state(|st| {
            let (rows, batch_id) = match find_batch(st, req) {
                None => return (answer(req, "73", "141"), false),
                Some(batch) if batch.validating > 0 => return (answer(req, "73", "138"), false),
                Some(batch) if batch.invalid.is_some() => return (answer(req, "73", "136"), false),
                Some(batch) if batch.status == BatchStatus::Processed => {
                    return (answer(req, "73", "047"), false);
                }
                Some(batch) => (batch.rows.clone(), batch.batch_id.clone()),
            };
            let language = text(req, "language").unwrap_or("en");
            let results: Vec<BatchLineResult> =
                rows.iter().map(|row| self.process_row(st, row, language)).collect();
            let queued = rows.len() > QUEUE_ABOVE_ROWS;
            if let Some(batch) = find_batch(st, req) {
                batch.status = BatchStatus::Processed;
                batch.results = results;
                batch.processing = if queued { QUEUED_POLLS } else { PROCESSING_POLLS };
            }
            let mut out = answer(req, "72", if queued { "148" } else { "147" });
            put(&mut out, "batch_id", batch_id);
            (out, true)
        })
    }

    /// One row: a recurring PURCHASE or a maintenance operation, through the usual checks.
    fn process_row(&self, st: &mut State, row: &BatchRow, language: &str) -> BatchLineResult {
        let mut req = Params::new();
        for (name, value) in &row.fields {
            if !value.is_empty() {
                req.insert(name.clone(), Value::String(value.clone()));
            }
        }
        if !req.contains_key("language") {
            req.insert("language".into(), Value::String(language.to_owned()));
        }
        // Every row names its operation in the `command` column; over the API a payment link
        // is a `service_command` (how APS's own files name it is UNKNOWN, spec 3.11).
        if text(&req, "command") == Some("PAYMENT_LINK")
            && let Some(command) = req.remove("command")
        {
            req.insert("service_command".into(), command);
        }
        let named = text(&req, "command").or_else(|| text(&req, "service_command"));
        let op = named.and_then(Operation::from_wire).filter(|op| {
            matches!(
                op,
                Operation::Purchase
                    | Operation::Capture
                    | Operation::Refund
                    | Operation::VoidAuthorization
                    | Operation::PaymentLink
            )
        });
        let out = match op {
            None => answer(&req, "00", "004"),
            Some(Operation::Purchase) if text(&req, "eci") != Some("RECURRING") => answer(&req, "00", "033"),
            Some(op) => match validate(op, &req) {
                Err((status, msg)) => answer(&req, status, msg),
                Ok(checked) => self.apply(st, op, &req, checked).0,
            },
        };
        let get = |name: &str| text(&out, name).unwrap_or_default().to_owned();
        BatchLineResult {
            line: row.line,
            response_code: get("response_code"),
            response_message: get("response_message"),
            status: get("status"),
            eci: get("eci"),
            fort_id: text(&out, "fort_id").map(str::to_owned).unwrap_or_else(|| self.next_fort_id()),
            merchant_reference: get("merchant_reference"),
            amount: get("amount"),
            card_number: get("card_number"),
            expiry_date: get("expiry_date"),
            currency: get("currency"),
        }
    }
}

/// The batch a request names by `batch_reference` (and `batch_id`, when given).
fn find_batch<'a>(st: &'a mut State, req: &Params) -> Option<&'a mut Batch> {
    let batch = st.batches.get_mut(text(req, "batch_reference").unwrap_or_default())?;
    match text(req, "batch_id") {
        Some(id) if id != batch.batch_id => None,
        _ => Some(batch),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_crlf_and_blank_lines() {
        let text = "a,b,c\r\n\"x, y\",\"he said \"\"hi\"\"\",3\r\n\r\n\"multi\nline\",,z\n";
        let records = parse_csv(text).unwrap();
        assert_eq!(records.len(), 3);
        assert_eq!(records[0], (1, vec!["a".to_string(), "b".into(), "c".into()]));
        assert_eq!(records[1], (2, vec!["x, y".to_string(), "he said \"hi\"".into(), "3".into()]));
        assert_eq!(records[2], (4, vec!["multi\nline".to_string(), String::new(), "z".into()]));
        assert_eq!(parse_csv("a,b").unwrap(), vec![(1, vec!["a".to_string(), "b".into()])]);
    }

    #[test]
    fn csv_errors_name_the_line() {
        assert_eq!(parse_csv("a\n\"open"), Err("line 2: a quoted value is never closed".into()));
        assert_eq!(parse_csv("a\n\"x\"y"), Err("line 2: text after a closing quote".into()));
        assert_eq!(parse_csv("a\nx\"y"), Err("line 2: a quote inside an unquoted value".into()));
    }

    #[test]
    fn batch_file_validation() {
        let ok = "command,merchant_reference,amount\nPURCHASE,R1,100\nCAPTURE,R0,50\n";
        let (rows, invalid) = read_batch_file(ok.as_bytes()).unwrap();
        assert_eq!(invalid, None);
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].line, 2);
        assert_eq!(rows[1].fields[0], ("command".to_string(), "CAPTURE".to_string()));

        let dup = "command,merchant_reference\nPURCHASE,R1\nPURCHASE,R1\n";
        assert!(read_batch_file(dup.as_bytes()).unwrap().1.unwrap().contains("R1 is repeated"));
        let short = "command,merchant_reference\nPURCHASE\n";
        assert!(read_batch_file(short.as_bytes()).unwrap().1.unwrap().contains("line 2 has 1 values"));
        let no_cmd = "merchant_reference\nR1\n";
        assert!(read_batch_file(no_cmd.as_bytes()).unwrap().1.unwrap().contains("no command column"));
        let empty = "command,merchant_reference\n";
        assert!(read_batch_file(empty.as_bytes()).unwrap().1.unwrap().contains("no transactions"));
        assert!(read_batch_file(b"").is_err());
        assert!(read_batch_file(b"\xff\xfe").is_err());
    }

    #[test]
    fn card_columns_are_refused_and_never_kept() {
        let file = "command,merchant_reference,card_number\nPURCHASE,R1,4005550000000001\n";
        let (rows, invalid) = read_batch_file(file.as_bytes()).unwrap();
        assert!(invalid.unwrap().contains("card data"));
        assert!(
            rows.iter().all(|r| r.fields.iter().all(|(n, v)| n != "card_number" && !v.contains("400555")))
        );
    }

    #[test]
    fn results_are_quoted() {
        let r = BatchLineResult {
            line: 2,
            response_code: "14000".into(),
            response_message: "Success".into(),
            status: "14".into(),
            eci: "RECURRING".into(),
            fort_id: "1".into(),
            merchant_reference: "a\"b".into(),
            amount: "100".into(),
            card_number: "400555******0001".into(),
            expiry_date: "3012".into(),
            currency: "USD".into(),
        };
        let text = format_results(&[r]);
        let mut lines = text.lines();
        assert_eq!(lines.next(), Some(crate::aps::batch::RESULTS_HEADER.join(",").as_str()));
        assert_eq!(
            lines.next(),
            Some(
                "\"2\",\"14000\",\"Success\",\"14\",\"RECURRING\",\"1\",\"a\"\"b\",\"100\",\"400555******0001\",\"3012\",\"USD\""
            )
        );
    }
}
