//! The command line: the same service as the desktop terminal, for batch runs, status checks,
//! end-of-day reconciliation, signature debugging and the built-in simulator.
//!
//! Card data never travels on argv (other users can read a process's arguments): a keyed card
//! comes as JSON on stdin, secrets from environment variables or a no-echo prompt.
//!
//! Exit codes: 0 done or approved; 1 declined or rejected; 2 usage or invalid input;
//! 3 outcome still unknown after reconciliation (a person must look; the journal says so).

mod sign;

use crate::aps::Params;
use std::io::Read;
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
    /// Folder for the profiles file and the journal (default: the platform's data folder).
    #[arg(long, global = true, env = "MOTO_TERMINAL_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// Total time limit for one APS request, in seconds.
    #[arg(long, global = true, default_value_t = 60)]
    pub timeout: u64,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(clap::Subcommand, Debug)]
pub enum Command {
    /// Print the signature of the request JSON on stdin.
    Sign(sign::SignArgs),
    /// Check the signature of a response JSON on stdin: prints valid or invalid.
    Verify(sign::VerifyArgs),
}

/// Runs one command to completion.
///
/// # Errors
/// The [`Exit`] to leave with.
pub fn run(cli: Cli) -> Result<(), Exit> {
    match cli.command {
        Some(Command::Sign(args)) => sign::run_sign(&args),
        Some(Command::Verify(args)) => sign::run_verify(&args),
        None => Err(Exit::usage("no command given; see --help")),
    }
}

/// Reads one JSON object from stdin.
///
/// # Errors
/// A usage error naming what is wrong with the input.
pub fn read_stdin_json() -> Result<Params, Exit> {
    let mut text = String::new();
    std::io::stdin()
        .read_to_string(&mut text)
        .map_err(|e| Exit::usage(format!("could not read stdin: {e}")))?;
    match serde_json::from_str::<serde_json::Value>(&text) {
        Ok(serde_json::Value::Object(map)) => Ok(map),
        Ok(_) => Err(Exit::usage("stdin must hold one JSON object, e.g. {\"command\":\"PURCHASE\", ...}")),
        Err(e) => Err(Exit::usage(format!("stdin is not valid JSON: {e}"))),
    }
}
