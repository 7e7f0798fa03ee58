//! Receipts and end-of-shift reports: pure functions from what the journal recorded to text,
//! CSV, JSON and PDF bytes. No I/O here: the service reads the journal and the profile, the
//! desktop and the command line decide where the bytes go.

pub mod pdf;
pub mod receipt;
pub mod shift;

pub use pdf::PdfError;
pub use receipt::{Receipt, ReceiptKind};
pub use shift::{Attention, Entry, ReportOp, ShiftReport};
