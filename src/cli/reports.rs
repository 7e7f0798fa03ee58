//! `receipt` and `report`: a receipt for an approved operation, and the end-of-shift report.

use super::Exit;
use super::ops::service_error;
use crate::service::{ReportQuery, Service, report_period};
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct ReceiptArgs {
    /// The order's merchant reference.
    #[arg(long)]
    pub reference: String,
    /// The operation's number in the order's timeline (default: its last approved sale,
    /// authorization, capture, refund or void).
    #[arg(long, value_name = "N")]
    pub operation: Option<i64>,
    /// Write the receipt as a PDF here; without it the receipt is printed as text.
    #[arg(long, value_name = "FILE.pdf")]
    pub out: Option<PathBuf>,
    #[arg(long)]
    pub profile: Option<String>,
}

#[derive(clap::Args, Debug)]
pub struct ReportArgs {
    /// Start: an RFC 3339 time or a date (its midnight here). Default: today.
    #[arg(long, value_name = "T")]
    pub from: Option<String>,
    /// End (not included): an RFC 3339 time, or a date (the whole day). Default: the end of
    /// the day `--from` starts.
    #[arg(long, value_name = "T")]
    pub to: Option<String>,
    /// Only this operator's operations (any case).
    #[arg(long = "operator", value_name = "NAME")]
    pub only_operator: Option<String>,
    /// Only this profile's operations (default: every profile).
    #[arg(long)]
    pub profile: Option<String>,
    #[arg(long, value_enum, default_value = "table")]
    pub format: ReportFormat,
    /// Write the report here (needed for `--format pdf`).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReportFormat {
    Table,
    Csv,
    Json,
    Pdf,
}

pub async fn receipt(service: &Service, profile: String, args: ReceiptArgs) -> Result<(), Exit> {
    let receipt = service.receipt(&profile, &args.reference, args.operation).await.map_err(service_error)?;
    let Some(out) = args.out else {
        print!("{}", receipt.text());
        return Ok(());
    };
    let pdf = receipt.pdf().map_err(|e| Exit::failed(e.to_string()))?;
    service.save_export(out.clone(), pdf).await.map_err(service_error)?;
    println!("receipt for {} ({}) written to {}", args.reference, receipt.amount, out.display());
    Ok(())
}

pub async fn report(service: &Service, args: ReportArgs) -> Result<(), Exit> {
    if args.format == ReportFormat::Pdf && args.out.is_none() {
        return Err(Exit::usage("--format pdf needs --out FILE.pdf"));
    }
    let (from, to) = report_period(args.from.as_deref(), args.to.as_deref()).map_err(service_error)?;
    let query = ReportQuery {
        from,
        to,
        profile: args.profile,
        operator: args.only_operator.filter(|o| !o.trim().is_empty()),
    };
    let report = service.shift_report(query).await.map_err(service_error)?;
    let bytes = match args.format {
        ReportFormat::Table => report.table().into_bytes(),
        ReportFormat::Csv => report.csv().into_bytes(),
        ReportFormat::Json => format!("{}\n", report.json()).into_bytes(),
        ReportFormat::Pdf => report.pdf().map_err(|e| Exit::failed(e.to_string()))?,
    };
    match args.out {
        Some(out) => {
            service.save_export(out.clone(), bytes).await.map_err(service_error)?;
            println!("report for {} written to {}", report.period(), out.display());
        }
        None => print!("{}", String::from_utf8_lossy(&bytes)),
    }
    Ok(())
}
