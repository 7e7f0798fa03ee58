//! `send-again`: the one way to send a payment a second time, by a person's decision, with the
//! order's own merchant reference, so APS refuses it if the first attempt did go through.

use super::Exit;
use super::ops::{card_from_stdin, report, service_error};
use crate::service::{Progress, Service};

#[derive(clap::Args, Debug)]
pub struct SendAgainArgs {
    #[arg(long)]
    pub profile: Option<String>,
    /// The order's merchant reference (it is kept).
    #[arg(long)]
    pub reference: String,
    /// For an order paid with a keyed card: the same card again, as JSON on stdin (see `charge`).
    #[arg(long)]
    pub card_stdin: bool,
}

pub async fn send_again(service: &Service, profile: String, args: SendAgainArgs) -> Result<(), Exit> {
    let card = if args.card_stdin { Some(card_from_stdin(false)?) } else { None };
    let outcome = service
        .send_again(&profile, &args.reference, card, &Progress::none())
        .await
        .map_err(service_error)?;
    report(&outcome)
}
