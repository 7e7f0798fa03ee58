//! `audit list`: the entries as a table, CSV or JSON lines.

use super::people::AuditFormat;
use crate::aps::money::{Currency, format_minor};
use crate::service::{AuditEntry, csv_cell};

fn amount(e: &AuditEntry) -> String {
    match (e.amount_minor.and_then(|a| u64::try_from(a).ok()), e.currency.as_deref()) {
        (Some(minor), Some(code)) => match Currency::parse(code) {
            Ok(c) => format!("{code} {}", format_minor(minor, c)),
            Err(_) => format!("{code} {minor}"),
        },
        _ => String::new(),
    }
}

pub fn print(entries: &[AuditEntry], format: AuditFormat) {
    match format {
        AuditFormat::Table => {
            println!(
                "{:>6} {:<19} {:<12} {:<12} {:<18} {:<10} {:<24} {:<14} detail",
                "entry", "when (UTC)", "operator", "terminal", "action", "result", "reference", "amount"
            );
            for e in entries {
                println!(
                    "{:>6} {} {:<12} {:<12} {:<18} {:<10} {:<24} {:<14} {}",
                    e.seq,
                    e.at.format("%Y-%m-%d %H:%M:%S"),
                    e.operator,
                    e.terminal,
                    e.action,
                    e.result,
                    e.reference.as_deref().unwrap_or(""),
                    amount(e),
                    e.detail
                );
            }
        }
        AuditFormat::Csv => {
            println!("seq,at,operator,terminal,action,profile,reference,amount,result,detail");
            for e in entries {
                let cells = [
                    e.seq.to_string(),
                    e.at.to_rfc3339(),
                    e.operator.clone(),
                    e.terminal.clone(),
                    e.action.clone(),
                    e.profile.clone().unwrap_or_default(),
                    e.reference.clone().unwrap_or_default(),
                    amount(e),
                    e.result.clone(),
                    e.detail.clone(),
                ];
                let line: Vec<String> = cells.iter().map(|c| csv_cell(c).into_owned()).collect();
                println!("{}", line.join(","));
            }
        }
        AuditFormat::Json => {
            for e in entries {
                println!("{}", serde_json::to_string(e).unwrap_or_default());
            }
        }
    }
}
