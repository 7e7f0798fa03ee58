//! The APS batch service (spec 3.11), pure: the batch reference of a file, the upload and
//! batch addresses, the batch file APS is sent, the per-line results file it answers, and
//! plain words for every batch message code (spec 5.2: 136-148, 154, 155).
//!
//! Where the spec says UNKNOWN, the reading taken here is the one that can never process a
//! batch twice or charge a row twice:
//! - The batch file's column set is UNKNOWN (spec 3.11, 10): a header row naming the request
//!   parameters, one transaction per row, no per-row signature (the upload is signed).
//! - Whether the results file is signed is UNKNOWN: it comes as a `text/csv` body without a
//!   signature, so a line is trusted only when it names the row it answers (line number,
//!   merchant reference, amount, currency); anything else leaves that row unknown, to be settled
//!   with CHECK_STATUS.
//! - How APS masks `card_number` in the results is UNKNOWN: a cell that holds a whole card
//!   number is emptied as the file is read, so it never goes further.

use super::card::contains_card_number;
use sha2::{Digest, Sha256};
use std::fmt;

/// Most characters of a `batch_reference` (spec 7).
pub const MAX_REFERENCE: usize = 20;

/// The batch reference of one file on one merchant account: `MTB-` and 16 hex digits of the
/// SHA-256 of the merchant identifier and the file's own hash. The same file on the same
/// account always gets the same reference, so a batch whose fate is unknown (a crash or a lost
/// answer after the upload) can only ever be uploaded again under the reference APS already
/// knows, which it refuses with `146` instead of processing the file twice.
pub fn batch_reference(merchant_identifier: &str, file_hash: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(merchant_identifier.as_bytes());
    hasher.update([0u8]);
    hasher.update(file_hash.as_bytes());
    let digest = hasher.finalize();
    let hex: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
    format!("MTB-{hex}")
}

/// Where the batch calls go, beside the profile's `paymentApi` address (spec 1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BatchEndpoints {
    /// `.../FortAPI/upload/`: UPLOAD_BATCH_FILE, multipart.
    pub upload: String,
    /// `.../FortAPI/batchApi/`: GET_BATCH_RESULTS and PROCESS_BATCH, JSON. The OLD-DOC also
    /// shows a separate `sbbatch` host for "process"; the spec prefers this one (spec 9).
    pub batch_api: String,
}

/// The batch addresses of a `paymentApi` address: the same host, `/FortAPI/upload/` and
/// `/FortAPI/batchApi/`.
///
/// # Errors
/// The address does not end in `/FortAPI/paymentApi`: the message says what to change.
pub fn batch_endpoints(payment_api: &str) -> Result<BatchEndpoints, String> {
    let trimmed = payment_api.trim().trim_end_matches('/');
    let base = trimmed
        .strip_suffix("/FortAPI/paymentApi")
        .filter(|base| !base.is_empty() && !trimmed.contains(['?', '#']))
        .ok_or_else(|| {
            format!(
                "the profile's endpoint {payment_api} does not end in /FortAPI/paymentApi, so the batch addresses \
                 (/FortAPI/upload/ and /FortAPI/batchApi/ beside it) cannot be found: use the APS address in Settings"
            )
        })?;
    Ok(BatchEndpoints {
        upload: format!("{base}/FortAPI/upload/"),
        batch_api: format!("{base}/FortAPI/batchApi/"),
    })
}

/// The columns of the batch file the terminal writes, in order: the request parameters of a
/// recurring PURCHASE, of CAPTURE, REFUND and VOID_AUTHORIZATION (spec 3.4-3.7), and of a
/// PAYMENT_LINK (batch invoicing, spec 3.10-3.11). Every row names its operation in `command`,
/// a payment link too (over the API it is a `service_command`; how APS's own files name it is
/// UNKNOWN).
pub const FILE_COLUMNS: [&str; 14] = [
    "command",
    "merchant_reference",
    "amount",
    "currency",
    "eci",
    "token_name",
    "agreement_id",
    "customer_email",
    "customer_name",
    "order_description",
    "maintenance_reference",
    "notification_type",
    "request_expiry_date",
    "link_command",
];

/// One transaction of the batch file, each cell in [`FILE_COLUMNS`] order; an empty cell is a
/// parameter not sent.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FileRow(pub [String; 14]);

impl FileRow {
    /// The row of a request's parameter list (as [`crate::aps::command::Command::to_params`]
    /// builds and checks it): the value of each of [`FILE_COLUMNS`], empty where the request
    /// has none. Every other parameter (the access code, the merchant identifier) is left out.
    pub fn of_params(params: &super::Params) -> FileRow {
        FileRow(FILE_COLUMNS.map(|name| match params.get(name).or_else(|| command_of(name, params)) {
            Some(serde_json::Value::String(text)) => text.clone(),
            Some(other) => other.to_string(),
            None => String::new(),
        }))
    }
}

/// A row's `command` cell: the request's `command`, or its `service_command` (a payment link).
fn command_of<'a>(name: &str, params: &'a super::Params) -> Option<&'a serde_json::Value> {
    (name == "command").then(|| params.get("service_command")).flatten()
}

/// The batch file: the header row, then one row per transaction, CRLF line ends, RFC 4180
/// quoting where a cell needs it. Row `i` (from 0) is on line `i + 2`: no cell holds a line
/// break (APS's field rules allow none), so the results' line numbers name the rows.
pub fn file_csv(rows: &[FileRow]) -> String {
    let mut out = FILE_COLUMNS.join(",");
    out.push_str("\r\n");
    for row in rows {
        let cells: Vec<String> = row.0.iter().map(|c| quoted(c)).collect();
        out.push_str(&cells.join(","));
        out.push_str("\r\n");
    }
    out
}

fn quoted(cell: &str) -> String {
    if cell.contains([',', '"', '\r', '\n']) || cell.trim() != cell {
        format!("\"{}\"", cell.replace('"', "\"\""))
    } else {
        cell.to_owned()
    }
}

/// The header of the per-line results file (spec 3.11).
pub const RESULTS_HEADER: [&str; 11] = [
    "Line_Number",
    "response_code",
    "response_message",
    "status",
    "eci",
    "fort_id",
    "merchant_reference",
    "amount",
    "card_number",
    "expiry_date",
    "currency",
];

/// One line of the results file: APS's answer to the transaction on `line` of the batch file.
#[derive(Clone, PartialEq, Eq)]
pub struct ResultLine {
    pub line: u64,
    pub response_code: String,
    pub response_message: String,
    pub status: String,
    pub eci: String,
    pub fort_id: String,
    pub merchant_reference: String,
    pub amount: String,
    /// Masked by APS; emptied when it held a whole card number.
    pub card_number: String,
    pub expiry_date: String,
    pub currency: String,
}

impl fmt::Debug for ResultLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResultLine")
            .field("line", &self.line)
            .field("response_code", &self.response_code)
            .field("merchant_reference", &self.merchant_reference)
            .field("amount", &self.amount)
            .field("currency", &self.currency)
            .finish_non_exhaustive()
    }
}

/// The results file as read: the lines that could be read, and how many could not.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Results {
    pub lines: Vec<ResultLine>,
    pub unreadable: usize,
}

/// True when an answer body is a results file rather than a JSON answer.
pub fn is_results(body: &[u8]) -> bool {
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    let body = body.strip_prefix(b"\"").unwrap_or(body);
    body.len() >= RESULTS_HEADER[0].len()
        && body[..RESULTS_HEADER[0].len()].eq_ignore_ascii_case(RESULTS_HEADER[0].as_bytes())
}

/// Reads a results file. A line that is not eleven cells with a line number is counted as
/// unreadable and left out: the row it answers stays unknown.
///
/// # Errors
/// The body is not UTF-8 text, or its header is not the results header.
pub fn parse_results(body: &[u8]) -> Result<Results, String> {
    let text = std::str::from_utf8(body).map_err(|_| "the batch results are not UTF-8 text".to_owned())?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text.as_bytes());
    let mut records = reader.records();
    let header = match records.next() {
        Some(Ok(header)) => header,
        _ => return Err("the batch results have no header row".to_owned()),
    };
    let named: Vec<&str> = header.iter().map(str::trim).collect();
    let expected = RESULTS_HEADER.iter().zip(&named).all(|(e, n)| e.eq_ignore_ascii_case(n));
    if named.len() != RESULTS_HEADER.len() || !expected {
        return Err(format!("the batch results' header is not {}", RESULTS_HEADER.join(",")));
    }
    let mut results = Results::default();
    for record in records {
        match record.ok().and_then(|r| line_of(&r)) {
            Some(line) => results.lines.push(line),
            None => results.unreadable += 1,
        }
    }
    Ok(results)
}

fn line_of(record: &csv::StringRecord) -> Option<ResultLine> {
    if record.len() != RESULTS_HEADER.len() {
        return None;
    }
    let cell = |i: usize| -> String {
        let value = record.get(i).unwrap_or_default().trim();
        // fort_id (5) is APS's order id: digits that may pass the Luhn check by chance.
        if i != 5 && contains_card_number(value) { String::new() } else { value.to_owned() }
    };
    let line = record.get(0)?.trim();
    if line.is_empty() || line.len() > 9 || !line.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(ResultLine {
        line: line.parse().ok()?,
        response_code: cell(1),
        response_message: cell(2),
        status: cell(3),
        eci: cell(4),
        fort_id: cell(5),
        merchant_reference: cell(6),
        amount: cell(7),
        card_number: cell(8),
        expiry_date: cell(9),
        currency: cell(10),
    })
}

/// A batch message code (spec 5.2), by meaning.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BatchMessage {
    /// 136
    ValidationFailed,
    /// 137
    InvalidExecutionDate,
    /// 138
    StillValidating,
    /// 140
    StillProcessing,
    /// 141
    ReferenceUnknown,
    /// 142
    HeaderInvalid,
    /// 144
    InvalidFile,
    /// 146
    ReferenceUsed,
    /// 147
    ProcessReceived,
    /// 148
    WillBeProcessed,
    /// 154
    UploadRetriesUsedUp,
    /// 155
    UploadRetriesNotSetUp,
}

/// What the terminal does about a batch message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BatchAction {
    /// APS is working on the batch: ask again later.
    Wait,
    /// The file is already at APS under this reference: carry on with it.
    AlreadyUploaded,
    /// APS has no batch under this reference.
    NotUploaded,
    /// APS refused the batch for good: nothing in it was processed.
    Refused,
}

impl BatchMessage {
    pub const ALL: [BatchMessage; 12] = [
        Self::ValidationFailed,
        Self::InvalidExecutionDate,
        Self::StillValidating,
        Self::StillProcessing,
        Self::ReferenceUnknown,
        Self::HeaderInvalid,
        Self::InvalidFile,
        Self::ReferenceUsed,
        Self::ProcessReceived,
        Self::WillBeProcessed,
        Self::UploadRetriesUsedUp,
        Self::UploadRetriesNotSetUp,
    ];

    /// The 3-digit message code.
    pub fn code(self) -> &'static str {
        match self {
            Self::ValidationFailed => "136",
            Self::InvalidExecutionDate => "137",
            Self::StillValidating => "138",
            Self::StillProcessing => "140",
            Self::ReferenceUnknown => "141",
            Self::HeaderInvalid => "142",
            Self::InvalidFile => "144",
            Self::ReferenceUsed => "146",
            Self::ProcessReceived => "147",
            Self::WillBeProcessed => "148",
            Self::UploadRetriesUsedUp => "154",
            Self::UploadRetriesNotSetUp => "155",
        }
    }

    /// The batch message of a full response code (`77136`) or a bare message code (`136`).
    pub fn of(code: &str) -> Option<Self> {
        let message = match code.len() {
            5 => code.get(2..)?,
            3 => code,
            _ => return None,
        };
        if !code.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        Self::ALL.into_iter().find(|m| m.code() == message)
    }

    pub fn action(self) -> BatchAction {
        match self {
            Self::StillValidating | Self::StillProcessing | Self::ProcessReceived | Self::WillBeProcessed => {
                BatchAction::Wait
            }
            Self::ReferenceUsed => BatchAction::AlreadyUploaded,
            Self::ReferenceUnknown => BatchAction::NotUploaded,
            Self::ValidationFailed
            | Self::InvalidExecutionDate
            | Self::HeaderInvalid
            | Self::InvalidFile
            | Self::UploadRetriesUsedUp
            | Self::UploadRetriesNotSetUp => BatchAction::Refused,
        }
    }

    /// What happened, in words for a back-office clerk.
    pub fn words(self) -> &'static str {
        match self {
            Self::ValidationFailed => {
                "APS checked the batch file and refused it, so none of its rows was charged."
            }
            Self::InvalidExecutionDate => {
                "APS refused the day the batch was to run on, so none of its rows was charged."
            }
            Self::StillValidating => "APS is still checking the batch file.",
            Self::StillProcessing => "APS is still working through the rows of the batch.",
            Self::ReferenceUnknown => "APS has no batch under this batch reference.",
            Self::HeaderInvalid => {
                "APS could not read the column names of the batch file, so none of its rows was charged."
            }
            Self::InvalidFile => "APS could not read the batch file, so none of its rows was charged.",
            Self::ReferenceUsed => {
                "APS already has a batch under this batch reference: this file was sent to APS before."
            }
            Self::ProcessReceived => "APS has received the request to run the batch.",
            Self::WillBeProcessed => "APS will run the batch shortly.",
            Self::UploadRetriesUsedUp => {
                "APS will not take this batch file again: it was sent as many times as the account allows."
            }
            Self::UploadRetriesNotSetUp => {
                "APS will not take this batch file again: sending a batch file again is not set up on the account."
            }
        }
    }

    /// What the clerk should do now.
    pub fn next_step(self) -> &'static str {
        match self {
            Self::ValidationFailed => {
                "Check that every merchant reference in the file is new and every row is complete, then run the corrected file"
            }
            Self::InvalidExecutionDate => "Contact APS support with the code: the terminal asks for no date",
            Self::StillValidating | Self::StillProcessing | Self::ProcessReceived | Self::WillBeProcessed => {
                "Wait: the terminal asks APS again until the results arrive (run the same command again if it stopped)"
            }
            Self::ReferenceUnknown => "Nothing to do: the terminal sends the file under the same reference",
            Self::HeaderInvalid | Self::InvalidFile => {
                "Contact APS support with the code, or run the file without --via aps (row by row)"
            }
            Self::ReferenceUsed => "Nothing to do: the terminal carries on with the batch APS already has",
            Self::UploadRetriesUsedUp | Self::UploadRetriesNotSetUp => {
                "Check the batch in the APS back office, or contact APS support with the code"
            }
        }
    }
}

impl fmt::Display for BatchMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}.", self.words(), self.next_step())
    }
}

#[cfg(test)]
mod tests;
