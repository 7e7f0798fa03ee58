//! `recurring add`: set up a recurring agreement by taking the customer's first payment with
//! the agreement's set-up fields (spec 3.4), or enter one already set up with APS.

use super::super::Exit;
use super::{report, service_error};
use crate::service::{AgreementDraft, Progress, Service};

#[derive(clap::Args, Debug)]
pub struct AddArgs {
    #[arg(long)]
    pub profile: Option<String>,
    /// The customer's stored card.
    #[arg(long)]
    pub token: String,
    #[arg(long)]
    pub amount: String,
    #[arg(long)]
    pub currency: String,
    #[arg(long)]
    pub email: String,
    #[arg(long, default_value = "")]
    pub name: String,
    /// The merchant's id for the agreement (APS makes one when absent); with --existing, the id
    /// APS gave for the customer's first payment.
    #[arg(long, default_value = "")]
    pub agreement_id: String,
    /// How often: daily, weekly, monthly, annual (on calendar dates: monthly from the 31st
    /// runs on the last day of shorter months), or a number of days.
    #[arg(long, default_value = "monthly")]
    pub every: String,
    /// The cycle as a number of days (the same as `--every N`).
    #[arg(long, conflicts_with = "every")]
    pub every_days: Option<u32>,
    /// fixed (the same amount every time) or variable.
    #[arg(long, default_value = "fixed")]
    pub mode: String,
    /// How many payments the customer agreed to, the first one included.
    #[arg(long, default_value = "")]
    pub payments: String,
    /// The last date a payment may be taken, YYYY-MM-DD (instead of --payments).
    #[arg(long, default_value = "", conflicts_with = "payments")]
    pub until: String,
    /// Enter an agreement already set up with APS: no first payment (needs --agreement-id).
    #[arg(long, requires = "agreement_id")]
    pub existing: bool,
    /// With --existing: the first charge date, YYYY-MM-DD (default today).
    #[arg(long, default_value = "", requires = "existing")]
    pub first_due: String,
}

/// Takes the first payment and registers the agreement, or enters an existing one.
///
/// # Errors
/// The exit for a field that is wrong (2), a declined first payment (1) or one in doubt (3).
pub async fn add(service: &Service, default_profile: &str, args: AddArgs) -> Result<(), Exit> {
    let profile = args.profile.clone().unwrap_or_else(|| default_profile.to_owned());
    let draft = AgreementDraft {
        token_name: args.token,
        agreement_id: args.agreement_id,
        customer_email: args.email,
        customer_name: args.name,
        amount: args.amount,
        currency: args.currency,
        cycle: args.every_days.map_or(args.every, |days| days.to_string()),
        first_due: args.first_due,
        mode: args.mode,
        payments: args.payments,
        until: args.until,
        allow_duplicate: false,
    };
    if args.existing {
        let id = service.add_agreement(&profile, draft).await.map_err(service_error)?;
        println!("agreement {id} registered; nothing was charged");
        return Ok(());
    }
    let set_up = service.set_up_agreement(&profile, draft, &Progress::none()).await.map_err(service_error)?;
    let result = report(&set_up.outcome);
    if let (Some(id), Some(aps_id), Some(next)) = (set_up.agreement, &set_up.agreement_id, set_up.next_due) {
        println!("agreement {id} registered with APS as {aps_id}; next charge {next}");
    } else {
        println!("no agreement registered: the first payment was not approved");
    }
    result
}
