//! The command line: the same service as the desktop terminal, for batch runs, status checks,
//! end-of-day reconciliation, signature debugging and the built-in simulator.
//!
//! Card data never travels on argv (other users can read a process's arguments): a keyed card
//! comes as JSON on stdin, secrets from environment variables or a no-echo prompt.
//!
//! Exit codes: 0 done or approved; 1 declined or rejected; 2 usage or invalid input;
//! 3 outcome still unknown after reconciliation (a person must look; the journal says so);
//! 4 not allowed: no operator signed in, a wrong PIN, or a role without the right (nothing sent).
//!
//! A command that moves money (charge, capture, refund, void, recurring charge, link create,
//! token update or create) never runs on a production profile just because it is the default:
//! without `--profile` it is refused with exit 2.

mod again;
mod audit_list;
mod batch;
pub mod feedback;
mod ops;
mod people;
mod profile;
mod reports;
mod sign;
mod stdin;

use crate::service::{ProfileEnvironment, Service};
use std::path::PathBuf;

/// How a command ended, as a process exit code and one line for stderr.
#[derive(Debug)]
pub struct Exit {
    pub code: u8,
    pub message: Option<String>,
}

impl Exit {
    pub const DONE: u8 = 0;
    pub const DECLINED: u8 = 1;
    pub const USAGE: u8 = 2;
    pub const UNKNOWN: u8 = 3;
    pub const NOT_ALLOWED: u8 = 4;

    /// Bad invocation or invalid input (exit 2).
    pub fn usage(message: impl Into<String>) -> Self {
        Self { code: Self::USAGE, message: Some(message.into()) }
    }

    /// Declined, rejected or invalid result (exit 1), with the reason on stderr.
    pub fn failed(message: impl Into<String>) -> Self {
        Self { code: Self::DECLINED, message: Some(message.into()) }
    }

    /// Exit 1 when stdout already said everything.
    pub fn failed_quiet(_why: impl Into<String>) -> Self {
        Self { code: Self::DECLINED, message: None }
    }

    /// Not signed in, a wrong PIN, or a role without the right (exit 4).
    pub fn not_allowed(message: impl Into<String>) -> Self {
        Self { code: Self::NOT_ALLOWED, message: Some(message.into()) }
    }

    /// The outcome is still unknown (exit 3).
    pub fn unknown(message: impl Into<String>) -> Self {
        Self { code: Self::UNKNOWN, message: Some(message.into()) }
    }
}

#[derive(clap::Parser, Debug)]
#[command(
    name = "moto-terminal",
    version,
    about = "MOTO virtual terminal for Amazon Payment Services (APS, formerly PayFort).\n\nWithout a command it opens the desktop terminal."
)]
pub struct Cli {
    #[command(flatten)]
    pub desk: Desk,
    /// Open the desktop on the Batch screen with this CSV file checked, ready to run.
    #[arg(long, value_name = "FILE")]
    pub open_batch: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Where this desk keeps its data, who works it, and how long it waits for APS: options of
/// every command.
#[derive(clap::Args, Debug, Clone)]
pub struct Desk {
    /// Folder for the profiles file and the journal (default: the platform's data folder).
    #[arg(long, global = true, env = "MOTO_TERMINAL_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// Total time limit for one APS request, in seconds.
    #[arg(long, global = true, default_value_t = 60)]
    pub timeout: u64,
    /// Time limit for connecting to APS, in seconds.
    #[arg(long, global = true, default_value_t = 15)]
    pub connect_timeout: u64,
    /// Who is keying, recorded on every order (default: the profile's or Settings' operator,
    /// else the OS user). Given before the command: `moto-terminal --operator amal charge ...`
    /// (after `journal`, `--operator` picks whose orders to list).
    #[arg(long, env = "MOTO_TERMINAL_OPERATOR", value_name = "NAME")]
    pub operator: Option<String>,
    /// This desk's name, recorded on every order (default: the host name). Given before the
    /// command.
    #[arg(long, env = "MOTO_TERMINAL_TERMINAL", value_name = "NAME")]
    pub terminal: Option<String>,
    /// The journal: a team journal's `postgres://USER@HOST/DATABASE` URL (the password from
    /// the URL, PGPASSWORD or the keychain) or a SQLite journal file (default: the one saved in
    /// Settings, else the data folder's journal). Given before the command.
    #[arg(long, env = "MOTO_TERMINAL_JOURNAL", value_name = "URL_OR_PATH", hide_env_values = true)]
    pub journal: Option<String>,
}

#[derive(clap::Subcommand, Debug)]
pub enum Command {
    /// Charge a customer: a stored card (--token) or a keyed card (--card-stdin).
    Charge(ops::ChargeArgs),
    /// Capture part or all of an authorization.
    Capture(ops::AmountArgs),
    /// Refund part or all of a captured payment.
    Refund(ops::AmountArgs),
    /// Void an authorization that has not been captured.
    Void(ops::ReferenceArgs),
    /// Ask APS about an order and bring the journal in line.
    Status(ops::StatusArgs),
    /// Send an order APS has no record of again, with the same merchant reference.
    SendAgain(again::SendAgainArgs),
    /// Resolve every order whose outcome is unknown (end of shift, or after a crash).
    Reconcile(ops::ReconcileArgs),
    /// Stored cards (tokens).
    #[command(subcommand)]
    Token(ops::TokenCommand),
    /// Payment links.
    #[command(subcommand)]
    Link(ops::LinkCommand),
    /// Recurring (merchant-initiated) charges.
    #[command(subcommand)]
    Recurring(ops::RecurringCommand),
    /// Batch files: a stack of orders in one CSV.
    #[command(subcommand)]
    Batch(batch::BatchCommand),
    /// The local journal of every order.
    Journal(ops::JournalArgs),
    /// A receipt for an approved sale, authorization, capture, refund or void: text, or a PDF.
    Receipt(reports::ReceiptArgs),
    /// The end-of-shift report: totals per operator, currency and operation, net per currency,
    /// and the orders that need attention.
    Report(reports::ReportArgs),
    /// Merchant profiles and their secrets.
    #[command(subcommand)]
    Profile(profile::ProfileCommand),
    /// Operator accounts: who may sign in, with which role.
    #[command(subcommand)]
    Operator(people::OperatorCommand),
    /// The audit trail: verify its chain, list it, move its key.
    #[command(subcommand)]
    Audit(people::AuditCommand),
    /// Print the signature of the request JSON on stdin.
    Sign(sign::SignArgs),
    /// Check the signature of a response JSON on stdin: prints valid or invalid.
    Verify(sign::VerifyArgs),
    /// Run the APS simulator (the Demo merchant's server) until Ctrl-C.
    Simulator(crate::sim::args::SimulatorArgs),
    /// Receive APS's transaction feedback posts and apply them to the journal, until Ctrl-C.
    FeedbackServer(feedback::FeedbackArgs),
}

impl Command {
    /// Commands that need the service (profiles, journal, keychain); the others run without.
    pub fn needs_service(&self) -> bool {
        !matches!(self, Self::Sign(_) | Self::Verify(_) | Self::Simulator(_))
    }

    /// `journal migrate`: copies this desk's own journal, so it always opens the local one.
    pub fn reads_local_journal(&self) -> bool {
        matches!(self, Self::Journal(ops::JournalArgs { action: Some(_), .. }))
    }

    /// For a command that moves money: the `--profile` it was given (`None` when absent).
    /// `None` for every other command.
    pub fn money_move_profile(&self) -> Option<Option<&str>> {
        use ops::{LinkCommand, RecurringCommand, TokenCommand};
        let profile = match self {
            Self::Charge(a) => &a.profile,
            Self::Capture(a) | Self::Refund(a) => &a.profile,
            Self::Void(a) => &a.profile,
            Self::Recurring(RecurringCommand::Add(a)) => &a.profile,
            Self::Recurring(RecurringCommand::Charge { profile })
            | Self::Link(LinkCommand::Create { profile, .. })
            | Self::Token(TokenCommand::Update { profile, .. } | TokenCommand::Create { profile, .. }) => {
                profile
            }
            Self::Batch(c) => return c.money_move_profile(),
            _ => return None,
        };
        Some(profile.as_deref())
    }
}

/// Refuses a money-moving command that would fall back on a production default profile.
fn refuse_implicit_production(
    command: &Command,
    service: &Service,
    default_profile: &str,
) -> Result<(), Exit> {
    if command.money_move_profile() == Some(None)
        && service.vault().environment_of(default_profile) == Some(ProfileEnvironment::Production)
    {
        return Err(Exit::usage(format!(
            "the default profile \"{default_profile}\" is a PRODUCTION profile (real cards, real money): \
             pass --profile \"{default_profile}\" explicitly to move money on it"
        )));
    }
    Ok(())
}

/// Runs a command that needs no service.
///
/// # Errors
/// The [`Exit`] to leave with.
pub fn run_offline(command: Command) -> Result<(), Exit> {
    match command {
        Command::Sign(args) => sign::run_sign(&args),
        Command::Verify(args) => sign::run_verify(&args),
        _ => Err(Exit::usage("this command needs the service")),
    }
}

/// Runs a command against the service. `default_profile` is used when `--profile` is absent.
///
/// # Errors
/// The [`Exit`] to leave with.
pub async fn run(command: Command, service: &Service, default_profile: &str) -> Result<(), Exit> {
    refuse_implicit_production(&command, service, default_profile)?;
    people::sign_in(service).await?;
    let pick = |p: Option<String>| p.unwrap_or_else(|| default_profile.to_owned());
    match command {
        Command::Charge(args) => {
            let profile = pick(args.profile.clone());
            // Orders left in doubt by an earlier run are settled before a new charge.
            ops::settle_first(service, &profile).await?;
            ops::charge(service, profile, args).await
        }
        Command::Capture(args) => ops::capture(service, pick(args.profile.clone()), args).await,
        Command::Refund(args) => ops::refund(service, pick(args.profile.clone()), args).await,
        Command::Void(args) => ops::void(service, pick(args.profile.clone()), args).await,
        Command::Status(args) => ops::status(service, pick(args.profile.clone()), args).await,
        Command::SendAgain(args) => again::send_again(service, pick(args.profile.clone()), args).await,
        Command::Reconcile(args) => ops::reconcile(service, args).await,
        Command::Token(c) => ops::token(service, default_profile, c).await,
        Command::Link(c) => ops::link(service, default_profile, c).await,
        Command::Recurring(c) => ops::recurring(service, default_profile, c).await,
        Command::Batch(c) => batch::run(service, default_profile, c).await,
        Command::Journal(args) => ops::journal(service, args).await,
        Command::Receipt(args) => reports::receipt(service, pick(args.profile.clone()), args).await,
        Command::Report(args) => reports::report(service, args).await,
        Command::Profile(c) => profile::run(service, c).await,
        Command::Operator(c) => people::operator(service, c).await,
        Command::Audit(c) => people::audit(service, c).await,
        Command::FeedbackServer(args) => feedback::serve(service, pick(args.profile.clone()), args).await,
        Command::Sign(_) | Command::Verify(_) | Command::Simulator(_) => {
            Err(Exit::usage("this command runs without the service"))
        }
    }
}

/// Reads one JSON object from stdin; its text and values are wiped once dropped.
///
/// # Errors
/// A usage error naming what is wrong with the input.
pub fn read_stdin_json() -> Result<crate::aps::secret::WipedParams, Exit> {
    stdin::read_json_object(std::io::stdin().lock())
}
