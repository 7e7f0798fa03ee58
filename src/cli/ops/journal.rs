//! `journal`: the orders of the journal as a table, CSV or JSON lines; `journal migrate --to
//! URL` moves them into a team journal.

use super::super::Exit;
use super::service_error;
use crate::service::{Filter, Service};

#[derive(clap::Args, Debug)]
#[command(args_conflicts_with_subcommands = true)]
pub struct JournalArgs {
    #[command(subcommand)]
    pub action: Option<JournalAction>,
    #[arg(long)]
    pub profile: Option<String>,
    /// Substring of the merchant reference.
    #[arg(long)]
    pub reference: Option<String>,
    /// Only the orders this operator keyed (any case).
    #[arg(long, value_name = "NAME")]
    pub operator: Option<String>,
    #[arg(long, value_enum, default_value = "table")]
    pub format: JournalFormat,
    #[arg(long, default_value_t = 200)]
    pub limit: u32,
}

#[derive(clap::Subcommand, Debug)]
pub enum JournalAction {
    /// Copy this desk's journal (orders, operations, tokens, agreements, links, batches) into a
    /// team journal on PostgreSQL, in one transaction. A second run adds only orders not there
    /// yet: an order already copied keeps the timeline it was copied with.
    Migrate {
        /// The team journal: postgres://USER@HOST/DATABASE (the password from the URL or
        /// PGPASSWORD).
        #[arg(long, value_name = "URL")]
        to: String,
    },
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum JournalFormat {
    Table,
    Csv,
    Json,
}

pub async fn journal(service: &Service, args: JournalArgs) -> Result<(), Exit> {
    if let Some(JournalAction::Migrate { to }) = args.action {
        let copied = service.copy_journal_to(&to).await.map_err(service_error)?;
        println!(
            "copied into the team journal: {} orders ({} already there), {} operations, {} tokens \
             ({} customers), {} agreements, {} payment links, {} batches ({} rows)",
            copied.orders,
            copied.orders_already_there,
            copied.operations,
            copied.tokens,
            copied.token_customers,
            copied.agreements,
            copied.payment_links,
            copied.batches,
            copied.batch_rows
        );
        return Ok(());
    }
    let filter = Filter {
        profile: args.profile,
        reference: args.reference,
        operator: args.operator.filter(|o| !o.trim().is_empty()),
        limit: Some(args.limit),
        ..Default::default()
    };
    match args.format {
        JournalFormat::Csv => {
            let mut out = Vec::new();
            service.export_csv(filter, &mut out).await.map_err(service_error)?;
            print!("{}", String::from_utf8_lossy(&out));
        }
        JournalFormat::Json => {
            for o in service.search(filter).await.map_err(service_error)? {
                let line = serde_json::json!({
                    "merchant_reference": o.merchant_reference,
                    "profile": o.profile,
                    "kind": o.kind,
                    "channel": o.channel,
                    "currency": o.currency.code(),
                    "amount_minor": o.amount_minor,
                    "state": o.state.as_str(),
                    "authorized_minor": o.authorized_minor,
                    "captured_minor": o.captured_minor,
                    "refunded_minor": o.refunded_minor,
                    "fort_id": o.fort_id,
                    "response_code": o.last_response_code,
                    "message": o.last_message,
                    "payment_method": o.payment_method,
                    "operator": o.operator,
                    "terminal": o.terminal,
                    "created_at": o.created_at.to_rfc3339(),
                    "needs_attention": o.needs_attention,
                    "authorization_code": o.extra.get("authorization_code"),
                    "acquirer_response_code": o.extra.get("acquirer_response_code"),
                    "processor_response_code": o.extra.get("processor_response_code"),
                });
                println!("{line}");
            }
        }
        JournalFormat::Table => {
            println!(
                "{:<28} {:<16} {:<19} {:>16} {:<20} when (UTC)",
                "reference", "profile", "state", "amount", "fort_id"
            );
            for o in service.search(filter).await.map_err(service_error)? {
                println!(
                    "{:<28} {:<16} {:<19} {:>16} {:<20} {}",
                    o.merchant_reference,
                    o.profile,
                    o.state.as_str(),
                    format!("{} {}", o.currency, crate::aps::money::format_minor(o.amount_minor, o.currency)),
                    o.fort_id.as_deref().unwrap_or("-"),
                    o.created_at.format("%Y-%m-%d %H:%M")
                );
            }
        }
    }
    Ok(())
}
