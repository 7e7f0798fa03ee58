//! Start-up only: parse the command line, then run a command or the desktop terminal.

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("warn")).init();
    let cli = moto_terminal::cli::Cli::parse();
    match moto_terminal::cli::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(exit) => {
            if let Some(message) = exit.message {
                eprintln!("moto-terminal: {message}");
            }
            ExitCode::from(exit.code)
        }
    }
}
