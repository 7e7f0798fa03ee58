//! `operator ...`, `audit ...`, and signing in on the command line: `--operator NAME` (or
//! `MOTO_TERMINAL_OPERATOR`) with the PIN in `MOTO_TERMINAL_PIN` or at a no-echo prompt.

use super::Exit;
use super::ops::service_error;
use crate::aps::secret::Secret;
use crate::service::access::Role;
use crate::service::{Approval, Service, ServiceError, Verified};
use std::io::IsTerminal;

#[derive(clap::Subcommand, Debug)]
pub enum OperatorCommand {
    /// Add an operator (the PIN from MOTO_TERMINAL_NEW_PIN or a prompt). The first must be an admin.
    Add {
        name: String,
        #[arg(long, value_parser = parse_role)]
        role: Role,
    },
    /// List the operators.
    List,
    /// Stop an operator from signing in.
    Disable { name: String },
    /// Let a disabled operator sign in again.
    Enable { name: String },
    /// Give an operator another role.
    SetRole {
        name: String,
        #[arg(value_parser = parse_role)]
        role: Role,
    },
    /// Set a new PIN (from MOTO_TERMINAL_NEW_PIN or a prompt); lifts a lockout.
    ResetPin { name: String },
}

#[derive(clap::Subcommand, Debug)]
pub enum AuditCommand {
    /// Check the audit trail's HMAC chain: exit 0 when intact, 1 naming the first bad entry.
    Verify,
    /// List audit entries.
    List {
        /// From this time on (RFC 3339, or a date: 2026-12-06).
        #[arg(long)]
        since: Option<String>,
        /// Only this operator's entries.
        #[arg(long, value_name = "NAME")]
        operator: Option<String>,
        #[arg(long, value_enum, default_value = "table")]
        format: AuditFormat,
    },
    /// Move the team journal's audit key to another member's keychain, or renew a desk's.
    #[command(subcommand)]
    Key(KeyCommand),
}

#[derive(clap::Subcommand, Debug)]
pub enum KeyCommand {
    /// Print the audit key (admins only; treat it as a secret).
    Export,
    /// Store the audit key read from stdin (or MOTO_TERMINAL_AUDIT_KEY) in this keychain.
    Import,
    /// Start a new audit key on a desk journal whose key this keychain lost (the entries so
    /// far stay, but can no longer be verified).
    Renew,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuditFormat {
    Table,
    Csv,
    Json,
}

fn parse_role(text: &str) -> Result<Role, String> {
    Role::parse(text)
}

/// A secret from `var`, else a no-echo prompt on a terminal, else `None`.
fn secret(var: &str, prompt: &str) -> Result<Option<Secret>, Exit> {
    if let Ok(value) = std::env::var(var)
        && !value.is_empty()
    {
        return Ok(Some(Secret::new(value)));
    }
    if !std::io::stdin().is_terminal() {
        return Ok(None);
    }
    let value = rpassword::prompt_password(format!("{prompt} (not shown): "))
        .map_err(|e| Exit::usage(format!("could not read the {prompt}: {e}")))?;
    Ok((!value.is_empty()).then(|| Secret::new(value)))
}

/// Signs in the operator named by `--operator` once operators are defined.
///
/// # Errors
/// Exit 4 when no operator or PIN is given, or the PIN is wrong.
pub async fn sign_in(service: &Service) -> Result<(), Exit> {
    if !service.operators_defined().await.map_err(service_error)? {
        return Ok(());
    }
    let Some(name) = service.settings().operator.clone() else {
        return Err(Exit::not_allowed(
            "not allowed: operators are defined, so every command needs one signed in: \
             pass --operator NAME (or MOTO_TERMINAL_OPERATOR), with the PIN in MOTO_TERMINAL_PIN or at the prompt",
        ));
    };
    let Some(pin) = secret("MOTO_TERMINAL_PIN", &format!("PIN for {name}"))? else {
        return Err(Exit::not_allowed(format!(
            "not allowed: no PIN for {name}: set MOTO_TERMINAL_PIN, or run on a terminal to be asked"
        )));
    };
    service.sign_in(&name, &pin).await.map(|_| ()).map_err(service_error)
}

/// The approval of `--approved-by NAME`, with the PIN from MOTO_TERMINAL_APPROVER_PIN or a prompt.
///
/// # Errors
/// Exit 4 when the approver's PIN is missing.
pub fn approval(approved_by: Option<&str>) -> Result<Option<Approval>, Exit> {
    let Some(name) = approved_by else { return Ok(None) };
    let Some(pin) = secret("MOTO_TERMINAL_APPROVER_PIN", &format!("PIN for approver {name}"))? else {
        return Err(Exit::not_allowed(format!(
            "not allowed: no PIN for approver {name}: set MOTO_TERMINAL_APPROVER_PIN, or run on a terminal to be asked"
        )));
    };
    Ok(Some(Approval { name: name.to_owned(), pin }))
}

fn new_pin(name: &str) -> Result<Secret, Exit> {
    secret("MOTO_TERMINAL_NEW_PIN", &format!("new PIN for {name}"))?.ok_or_else(|| {
        Exit::usage(format!("no PIN for {name}: set MOTO_TERMINAL_NEW_PIN, or run on a terminal to be asked"))
    })
}

fn operator_error(e: ServiceError) -> Exit {
    match e {
        ServiceError::Invalid { .. } => Exit::usage(e.to_string()),
        other => service_error(other),
    }
}

pub async fn operator(service: &Service, command: OperatorCommand) -> Result<(), Exit> {
    let done = match command {
        OperatorCommand::Add { name, role } => {
            let pin = new_pin(&name)?;
            service.add_operator(&name, role, &pin).await.map(|()| format!("operator {name} added as {role}"))
        }
        OperatorCommand::List => {
            for o in service.operator_list().await.map_err(operator_error)? {
                let state = match (o.disabled, o.locked_until) {
                    (true, _) => "disabled".to_owned(),
                    (false, Some(until)) => format!("locked until {} UTC", until.format("%H:%M")),
                    (false, None) => "active".to_owned(),
                };
                println!("{:<24} {:<10} {state}", o.name, o.role);
            }
            return Ok(());
        }
        OperatorCommand::Disable { name } => {
            service.set_operator_disabled(&name, true).await.map(|()| format!("operator {name} disabled"))
        }
        OperatorCommand::Enable { name } => {
            service.set_operator_disabled(&name, false).await.map(|()| format!("operator {name} enabled"))
        }
        OperatorCommand::SetRole { name, role } => {
            service.set_operator_role(&name, role).await.map(|()| format!("operator {name} is now {role}"))
        }
        OperatorCommand::ResetPin { name } => {
            let pin = new_pin(&name)?;
            service.reset_operator_pin(&name, &pin).await.map(|()| format!("new PIN set for {name}"))
        }
    };
    println!("{}", done.map_err(operator_error)?);
    Ok(())
}

pub async fn audit(service: &Service, command: AuditCommand) -> Result<(), Exit> {
    match command {
        AuditCommand::Verify => match service.audit_verify().await.map_err(service_error)? {
            Verified::Intact { entries, unverified } => {
                println!("{}", crate::service::intact_words(entries, unverified));
                Ok(())
            }
            Verified::Broken(b) => {
                Err(Exit::failed(format!("audit chain broken at entry {}: {}", b.seq, b.why)))
            }
        },
        AuditCommand::List { since, operator, format } => {
            let since = since.as_deref().map(parse_since).transpose()?;
            let entries = service.audit_entries(since, operator).await.map_err(service_error)?;
            super::audit_list::print(&entries, format);
            Ok(())
        }
        AuditCommand::Key(KeyCommand::Export) => {
            let key = service.export_audit_key().await.map_err(service_error)?;
            println!("{}", key.expose());
            Ok(())
        }
        AuditCommand::Key(KeyCommand::Import) => {
            let key = match std::env::var("MOTO_TERMINAL_AUDIT_KEY") {
                Ok(k) if !k.is_empty() => Secret::new(k),
                _ => {
                    let mut line = String::new();
                    std::io::stdin()
                        .read_line(&mut line)
                        .map_err(|e| Exit::usage(format!("could not read the key from stdin: {e}")))?;
                    Secret::new(line.trim().to_owned())
                }
            };
            service.import_audit_key(key).await.map_err(service_error)?;
            println!("audit key stored in this computer's keychain");
            Ok(())
        }
        AuditCommand::Key(KeyCommand::Renew) => {
            let lost = service.renew_audit_key().await.map_err(service_error)?;
            println!("{}", crate::service::renewed_words(lost));
            Ok(())
        }
    }
}

/// RFC 3339, or a date (from its midnight UTC).
fn parse_since(text: &str) -> Result<chrono::DateTime<chrono::Utc>, Exit> {
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(text.trim()) {
        return Ok(t.with_timezone(&chrono::Utc));
    }
    chrono::NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
        .ok_or_else(|| {
            Exit::usage(format!("--since '{text}' is not a time: give 2026-12-06 or 2026-12-06T09:00:00Z"))
        })
}
