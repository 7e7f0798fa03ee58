//! Stored cards, payment links and recurring charges on the command line.

use super::super::Exit;
use super::{card_from_stdin, report, service_error};
use crate::aps::command::{Notification, TokenStatus};
use crate::service::{AgreementLimit, LinkDraft, Progress, Service, TokenCustomer, TokenUpdateDraft};

#[derive(clap::Subcommand, Debug)]
pub enum TokenCommand {
    /// Activate, deactivate, rename or change the expiry of a stored card.
    Update {
        #[arg(long)]
        profile: Option<String>,
        #[arg(long)]
        token: String,
        #[arg(long)]
        rename: Option<String>,
        #[arg(long, value_enum)]
        status: Option<CliTokenStatus>,
        /// New expiry, MM/YY.
        #[arg(long)]
        expiry: Option<String>,
        #[arg(long)]
        holder: Option<String>,
    },
    /// Store a keyed card (JSON on stdin, as for charge --card-stdin) without charging it.
    Create {
        #[arg(long)]
        profile: Option<String>,
        #[arg(long)]
        name: Option<String>,
        #[arg(long, default_value = "")]
        email: String,
    },
    /// List the token book.
    List {
        #[arg(long)]
        profile: Option<String>,
        /// A customer's name, email or phone, the last 4 digits or the token name.
        #[arg(long, default_value = "")]
        query: String,
    },
}

#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub enum CliTokenStatus {
    Active,
    Inactive,
}

#[derive(clap::Subcommand, Debug)]
pub enum LinkCommand {
    /// Create a payment link APS sends to the customer.
    Create {
        #[arg(long)]
        profile: Option<String>,
        #[arg(long)]
        amount: String,
        #[arg(long)]
        currency: String,
        #[arg(long)]
        email: String,
        #[arg(long, default_value = "")]
        name: String,
        /// Digits, needed for SMS.
        #[arg(long, default_value = "")]
        phone: String,
        #[arg(long, value_enum, default_value = "email")]
        notify: CliNotify,
        /// How long the link can be paid, in hours (1 to 720).
        #[arg(long, default_value_t = 72, value_parser = clap::value_parser!(u32).range(1..=720))]
        valid_hours: u32,
        #[arg(long)]
        reference: Option<String>,
    },
    /// List payment links after asking APS about the open ones.
    List {
        #[arg(long)]
        profile: Option<String>,
    },
}

#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub enum CliNotify {
    Email,
    Sms,
    Both,
    None,
}

#[derive(clap::Subcommand, Debug)]
pub enum RecurringCommand {
    /// Set up an agreement: take the customer's first payment now from a stored card, with the
    /// agreement's set-up fields, and charge the same amount every cycle after it (monthly by
    /// default). With --existing, enter an agreement already set up with APS (nothing charged).
    Add(Box<super::agreement::AddArgs>),
    /// Charge every agreement that is due (each at most once per due date).
    Charge {
        #[arg(long)]
        profile: Option<String>,
    },
    /// List agreements.
    List {
        #[arg(long)]
        profile: Option<String>,
    },
    /// Pause an agreement: it is not charged until it is resumed.
    Pause {
        /// The agreement's number, as `recurring list` shows it.
        id: i64,
    },
    /// Resume a paused agreement from its next due date.
    Resume {
        /// The agreement's number, as `recurring list` shows it.
        id: i64,
    },
    /// Cancel an agreement for good: it is never charged again and cannot be resumed.
    Cancel {
        /// The agreement's number, as `recurring list` shows it.
        id: i64,
    },
}

pub async fn token(service: &Service, default_profile: &str, command: TokenCommand) -> Result<(), Exit> {
    match command {
        TokenCommand::Update { profile, token, rename, status, expiry, holder } => {
            let draft = TokenUpdateDraft {
                token_name: token,
                new_token_name: rename.unwrap_or_default(),
                status: status.map(|s| match s {
                    CliTokenStatus::Active => TokenStatus::Active,
                    CliTokenStatus::Inactive => TokenStatus::Inactive,
                }),
                expiry: expiry.unwrap_or_default(),
                holder_name: holder.unwrap_or_default(),
            };
            let profile = profile.unwrap_or_else(|| default_profile.to_owned());
            let outcome =
                service.update_token(&profile, draft, &Progress::none()).await.map_err(service_error)?;
            report(&outcome)
        }
        TokenCommand::Create { profile, name, email } => {
            // Storing the card is what this command is for.
            let card = card_from_stdin(true)?;
            let draft = crate::service::CreateTokenDraft {
                card,
                token_name: name.unwrap_or_default(),
                customer_email: email,
                customer_name: String::new(),
            };
            let profile = profile.unwrap_or_else(|| default_profile.to_owned());
            let outcome =
                service.create_token(&profile, draft, &Progress::none()).await.map_err(service_error)?;
            report(&outcome)
        }
        TokenCommand::List { profile, query } => {
            let profile = profile.unwrap_or_else(|| default_profile.to_owned());
            // One line per token; the last column lists every customer seen with it ("; "
            // between them, those the query found first): one card can belong to several.
            for t in service.tokens(&profile, &query).await.map_err(service_error)? {
                let customers: Vec<String> = t.customers.iter().map(TokenCustomer::describe).collect();
                println!(
                    "{}\t{}\t{}\t{}\t{}",
                    t.token_name,
                    t.masked_card.as_deref().unwrap_or("-"),
                    t.expiry.as_deref().unwrap_or("-"),
                    t.status,
                    if customers.is_empty() { "-".to_owned() } else { customers.join("; ") }
                );
            }
            Ok(())
        }
    }
}

pub async fn link(service: &Service, default_profile: &str, command: LinkCommand) -> Result<(), Exit> {
    match command {
        LinkCommand::Create {
            profile,
            amount,
            currency,
            email,
            name,
            phone,
            notify,
            valid_hours,
            reference,
        } => {
            let draft = LinkDraft {
                amount,
                currency,
                customer_email: email,
                customer_name: name,
                customer_phone: phone,
                notification: match notify {
                    CliNotify::Email => Notification::Email,
                    CliNotify::Sms => Notification::Sms,
                    CliNotify::Both => Notification::EmailAndSms,
                    CliNotify::None => Notification::None,
                },
                valid_hours,
                merchant_reference: reference.unwrap_or_default(),
                ..Default::default()
            };
            let profile = profile.unwrap_or_else(|| default_profile.to_owned());
            let outcome =
                service.payment_link(&profile, draft, &Progress::none()).await.map_err(service_error)?;
            report(&outcome)
        }
        LinkCommand::List { profile } => {
            let profile = profile.unwrap_or_else(|| default_profile.to_owned());
            for l in service.refresh_links(&profile).await.map_err(service_error)? {
                println!(
                    "{}\t{}\t{} {}\t{}\t{}",
                    l.merchant_reference,
                    l.status,
                    l.currency,
                    crate::aps::money::format_minor(l.amount_minor, l.currency),
                    l.customer_email,
                    l.url.as_deref().unwrap_or("-")
                );
            }
            Ok(())
        }
    }
}

pub async fn recurring(
    service: &Service,
    default_profile: &str,
    command: RecurringCommand,
) -> Result<(), Exit> {
    match command {
        RecurringCommand::Add(args) => super::agreement::add(service, default_profile, *args).await,
        RecurringCommand::Charge { profile } => {
            charge_due(service, &profile.unwrap_or_else(|| default_profile.to_owned())).await
        }
        RecurringCommand::Pause { id } | RecurringCommand::Resume { id } => {
            let active = matches!(command, RecurringCommand::Resume { .. });
            service.set_agreement_active(id, active).await.map_err(service_error)?;
            println!("agreement {id} {}", if active { "resumed" } else { "paused" });
            Ok(())
        }
        RecurringCommand::Cancel { id } => {
            service.cancel_agreement(id).await.map_err(service_error)?;
            println!("agreement {id} cancelled");
            Ok(())
        }
        RecurringCommand::List { profile } => {
            list_agreements(service, &profile.unwrap_or_else(|| default_profile.to_owned())).await
        }
    }
}

/// `recurring charge`: every due agreement once. The exit code is the first failure's, except
/// that an outcome still unknown (3) wins over any other: a person must check that one.
async fn charge_due(service: &Service, profile: &str) -> Result<(), Exit> {
    let results = service.run_due_recurring(profile, &Progress::none()).await.map_err(service_error)?;
    if results.is_empty() {
        println!("no recurring charge is due");
    }
    let failures = results.into_iter().filter_map(|result| match result {
        Ok(outcome) => report(&outcome).err(),
        Err(e) => {
            eprintln!("moto-terminal: {e}");
            Some(service_error(e))
        }
    });
    decisive(failures.collect()).map_or(Ok(()), Err)
}

/// The failure a run's exit code reports: the first one, unless an outcome is still unknown.
fn decisive(failures: Vec<Exit>) -> Option<Exit> {
    let unknown = failures.iter().position(|e| e.code == Exit::UNKNOWN);
    failures.into_iter().nth(unknown.unwrap_or(0))
}

/// `recurring list`: one agreement per line.
async fn list_agreements(service: &Service, profile: &str) -> Result<(), Exit> {
    for a in service.agreements(profile).await.map_err(service_error)? {
        let state = match (a.active, a.cancelled_at, a.limit) {
            (_, Some(_), _) => "cancelled",
            (_, None, Some(AgreementLimit::PaymentsLeft(0))) => "ended",
            (_, None, Some(AgreementLimit::Until(last))) if a.next_due > last => "ended",
            (true, None, _) => "active",
            (false, None, _) => "paused",
        };
        let amount = crate::aps::money::format_minor(a.amount_minor, a.currency);
        let limit = match a.limit {
            Some(AgreementLimit::PaymentsLeft(n)) => format!("\t{n} payments left"),
            Some(AgreementLimit::Until(last)) => format!("\tuntil {last}"),
            None => String::new(),
        };
        println!(
            "{}\t{}\t{} {amount}\t{}\tnext {}\t{state}{limit}",
            a.id, a.token_name, a.currency, a.cycle, a.next_due
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_outcome_decides_the_exit_code_over_an_earlier_decline() {
        let exit = |code| Exit { code, message: None };
        let codes = |v: Vec<u8>| decisive(v.into_iter().map(exit).collect()).map(|e| e.code);
        assert_eq!(codes(vec![Exit::DECLINED, Exit::UNKNOWN]), Some(Exit::UNKNOWN));
        assert_eq!(codes(vec![Exit::USAGE, Exit::DECLINED]), Some(Exit::USAGE), "else the first");
        assert_eq!(codes(vec![]), None);
    }
}
