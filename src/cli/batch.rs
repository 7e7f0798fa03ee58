//! `moto-terminal batch`: check a CSV of orders, run it (resumable: run the same command again
//! after a crash), list batches and show one.
//!
//! Exit codes: 0 every row approved (or, for `check`, the file is valid); 1 some row declined,
//! rejected, invalid or not sent; 2 file invalid or bad usage; 3 some outcome still unknown.

use super::Exit;
use super::ops::service_error;
use crate::service::batch::outcome::{RowOutcome, RowResult, results_csv, tally};
use crate::service::batch::plan::Checked;
use crate::service::batch::run::{MAX_CONCURRENCY, RunOptions};
use crate::service::{ProfileEnvironment, Service};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

#[derive(clap::Subcommand, Debug)]
pub enum BatchCommand {
    /// Check a file without sending anything: every invalid row, counts and totals.
    Check {
        file: PathBuf,
        #[arg(long)]
        profile: Option<String>,
    },
    /// Run a file (or finish one a crash interrupted: run the same command again).
    Run(RunArgs),
    /// The batches in the journal, newest first.
    List {
        #[arg(long)]
        profile: Option<String>,
    },
    /// One batch's rows and what each did.
    Show {
        id: i64,
        #[arg(long, value_enum, default_value_t = ShowFormat::Table)]
        format: ShowFormat,
    },
}

#[derive(clap::Args, Debug)]
pub struct RunArgs {
    pub file: PathBuf,
    #[arg(long)]
    pub profile: Option<String>,
    /// Rows in flight at once (1 to 64).
    #[arg(long, default_value_t = 8)]
    pub concurrency: usize,
    /// Write one line per row, in file order, to this CSV file.
    #[arg(long)]
    pub results: Option<PathBuf>,
    /// Run the valid rows of a file that has invalid ones (they are reported as invalid).
    #[arg(long)]
    pub skip_invalid: bool,
    /// Confirm the totals without asking (needed on a production profile without a terminal).
    #[arg(long)]
    pub yes: bool,
    /// `api`: row by row through the payment API; `aps`: one file through the APS batch
    /// service (upload, check, process, results).
    #[arg(long, value_enum, default_value_t = Via::Api)]
    pub via: Via,
}

/// How a batch goes to APS.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Via {
    Api,
    Aps,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShowFormat {
    Table,
    Csv,
    Json,
}

impl BatchCommand {
    /// The profile a money-moving batch command names (`None` when absent).
    pub fn money_move_profile(&self) -> Option<Option<&str>> {
        match self {
            Self::Run(args) => Some(args.profile.as_deref()),
            _ => None,
        }
    }
}

pub async fn run(service: &Service, default_profile: &str, command: BatchCommand) -> Result<(), Exit> {
    let pick = |p: Option<String>| p.unwrap_or_else(|| default_profile.to_owned());
    match command {
        BatchCommand::Check { file, profile } => check(service, &pick(profile), &file).await,
        BatchCommand::Run(args) => run_file(service, pick(args.profile.clone()), args).await,
        BatchCommand::List { profile } => list(service, profile.as_deref()).await,
        BatchCommand::Show { id, format } => show(service, id, format).await,
    }
}

async fn checked(service: &Service, profile: &str, file: &std::path::Path) -> Result<Checked, Exit> {
    service.check_batch_file(profile, file.to_path_buf()).await.map_err(|e| match e {
        crate::service::ServiceError::NotAllowed(_) => Exit::not_allowed(e.to_string()),
        other => Exit::usage(other.to_string()),
    })
}

/// Every problem, then counts and totals.
fn print_check(checked: &Checked) {
    for problem in &checked.problems {
        println!("{problem}");
    }
    println!("{}", checked.summary);
    println!("total: {}", if checked.totals.is_empty() { "no money" } else { &checked.totals });
}

async fn check(service: &Service, profile: &str, file: &std::path::Path) -> Result<(), Exit> {
    let checked = checked(service, profile, file).await?;
    print_check(&checked);
    if checked.problems.is_empty() { Ok(()) } else { Err(Exit { code: Exit::USAGE, message: None }) }
}

async fn run_file(service: &Service, profile: String, args: RunArgs) -> Result<(), Exit> {
    let mut checked = checked(service, &profile, &args.file).await?;
    if args.via == Via::Aps {
        let refused = crate::service::batch::via_aps::aps_problems(&mut checked.plan);
        checked.problems.extend(refused);
    }
    if !checked.problems.is_empty() && !args.skip_invalid {
        print_check(&checked);
        return Err(Exit::usage(
            "the file has invalid rows and nothing was sent: fix them, or run with --skip-invalid",
        ));
    }
    if !(1..=MAX_CONCURRENCY).contains(&args.concurrency) {
        return Err(Exit::usage(format!("--concurrency must be 1 to {MAX_CONCURRENCY}")));
    }
    confirm(service, &profile, &checked, args.yes)?;
    let bar = progress_bar(checked.plan.rows.len());
    let on_bar = bar.clone();
    let counts = Arc::new(Tally::default());
    let options = RunOptions {
        concurrency: args.concurrency,
        on_row: Arc::new(move |r| {
            on_bar.set_message(counts.count(r));
            on_bar.inc(1);
        }),
        ..RunOptions::default()
    };
    let run = match args.via {
        Via::Api => service.run_batch(checked.plan, options).await,
        Via::Aps => service.run_batch_via_aps(checked.plan, options).await,
    }
    .map_err(service_error);
    bar.finish_and_clear();
    let run = run?;
    if let Some(path) = args.results.clone() {
        service
            .write_batch_results(path, run.results.clone())
            .await
            .map_err(|e| Exit::failed(e.to_string()))?;
    }
    let resumed = if run.resumed { ", resumed" } else { "" };
    println!("batch {}{resumed}: {}", run.batch.id, summary_line(&run.results));
    exit_of(&run.results)
}

/// A progress bar on stderr when it is a terminal (hidden otherwise: a script reads only the
/// summary line).
fn progress_bar(rows: usize) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(Some(rows as u64), ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template("{bar:40} {pos}/{len} rows  {msg}  [{elapsed}]") {
        bar.set_style(style);
    }
    bar
}

/// Live counts for the progress bar.
#[derive(Default)]
struct Tally {
    approved: AtomicUsize,
    unknown: AtomicUsize,
    other: AtomicUsize,
}

impl Tally {
    /// Counts a settled row; returns the counts in words.
    fn count(&self, result: &RowResult) -> String {
        let counter = match result.outcome {
            RowOutcome::Approved => &self.approved,
            RowOutcome::Unknown => &self.unknown,
            _ => &self.other,
        };
        counter.fetch_add(1, Ordering::SeqCst);
        format!(
            "{} approved, {} not approved, {} unknown",
            self.approved.load(Ordering::SeqCst),
            self.other.load(Ordering::SeqCst),
            self.unknown.load(Ordering::SeqCst)
        )
    }
}

/// On a production profile the totals are confirmed first: `--yes`, or "yes" typed at a prompt.
fn confirm(service: &Service, profile: &str, checked: &Checked, yes: bool) -> Result<(), Exit> {
    let production = service.vault().environment_of(profile) == Some(ProfileEnvironment::Production);
    if !production || yes {
        return Ok(());
    }
    if !std::io::stdin().is_terminal() {
        return Err(Exit::usage(format!(
            "\"{profile}\" is a PRODUCTION profile: confirm the totals ({}) with --yes",
            checked.totals
        )));
    }
    eprint!(
        "PRODUCTION profile \"{profile}\": run {} rows, {}? Type yes: ",
        checked.plan.rows.len(),
        checked.totals
    );
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer).map_err(|e| Exit::usage(e.to_string()))?;
    if answer.trim().eq_ignore_ascii_case("yes") {
        Ok(())
    } else {
        Err(Exit::usage("not confirmed: nothing was sent"))
    }
}

/// "12 approved, 1 declined, 2 invalid".
fn summary_line(results: &[RowResult]) -> String {
    let parts: Vec<String> = tally(results).iter().map(|(o, n)| format!("{n} {}", o.as_str())).collect();
    if parts.is_empty() { "no rows".to_owned() } else { parts.join(", ") }
}

fn exit_of(results: &[RowResult]) -> Result<(), Exit> {
    if results.iter().any(|r| r.outcome == RowOutcome::Unknown) {
        return Err(Exit::unknown(
            "some outcomes are still unknown: check them on the Status screen or with `moto-terminal reconcile`",
        ));
    }
    if results.iter().all(|r| r.outcome == RowOutcome::Approved) {
        return Ok(());
    }
    Err(Exit { code: Exit::DECLINED, message: None })
}

async fn list(service: &Service, profile: Option<&str>) -> Result<(), Exit> {
    for b in service.batches(profile).await.map_err(service_error)? {
        println!(
            "{}\t{}\t{}\t{} rows\t{}\t{}\t{}",
            b.id,
            b.created_at.format("%Y-%m-%d %H:%M"),
            b.profile,
            b.row_count,
            b.state.as_str(),
            b.file_name,
            b.operator
        );
    }
    Ok(())
}

async fn show(service: &Service, id: i64, format: ShowFormat) -> Result<(), Exit> {
    let Some((batch, results)) = service.batch_results(id).await.map_err(service_error)? else {
        return Err(Exit::failed(format!("no batch {id} in the journal: see `moto-terminal batch list`")));
    };
    match format {
        ShowFormat::Csv => print!("{}", results_csv(&results)),
        ShowFormat::Json => {
            for r in &results {
                let line = serde_json::json!({
                    "row": r.row, "operation": r.operation, "merchant_reference": r.merchant_reference,
                    "amount": r.amount.map(|m| m.to_string()), "outcome": r.outcome.as_str(),
                    "response_code": r.response_code, "response_message": r.response_message, "fort_id": r.fort_id,
                });
                println!("{line}");
            }
        }
        ShowFormat::Table => {
            println!(
                "batch {} ({}, {}): {}",
                batch.id,
                batch.file_name,
                batch.state.as_str(),
                summary_line(&results)
            );
            if let Some(aps) = service.aps_batch_summary(id).await.map_err(service_error)? {
                println!("{aps}");
            }
            for r in &results {
                let amount = r.amount.map(|m| m.to_string()).unwrap_or_default();
                println!(
                    "{}\t{}\t{}\t{amount}\t{}\t{}\t{}",
                    r.row,
                    r.operation,
                    r.merchant_reference,
                    r.outcome.as_str(),
                    r.response_code,
                    r.response_message
                );
            }
        }
    }
    Ok(())
}
