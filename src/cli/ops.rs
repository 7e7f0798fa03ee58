//! Payment commands on the command line: the same service calls as the desktop forms.

mod agreement;
mod journal;
mod stored;

pub use journal::{JournalArgs, journal};
pub use stored::{LinkCommand, RecurringCommand, TokenCommand, link, recurring, token};

use super::{Exit, read_stdin_json};
use crate::aps::command::ChargeKind;
use crate::aps::money::Currency;
use crate::aps::response::{Kind, StatusAnswer};
use crate::service::{
    CardDraft, Channel, ChargeDraft, OrderRow, Outcome, PaymentDraft, Progress, Service, ServiceError,
};
use zeroize::Zeroizing;

#[derive(clap::Args, Debug)]
pub struct ChargeArgs {
    #[arg(long)]
    pub profile: Option<String>,
    /// Charge this stored card (token).
    #[arg(long, conflicts_with = "card_stdin")]
    pub token: Option<String>,
    /// Read a keyed card as JSON from stdin: {"number": "...", "expiry": "MM/YY", "cvv": "...", "holder": "..."}.
    #[arg(long)]
    pub card_stdin: bool,
    /// With --card-stdin: ask APS to keep the card as a token for later charges (remember_me=YES).
    /// Off unless given: the customer must agree to their card being kept.
    #[arg(long, requires = "card_stdin")]
    pub remember: bool,
    /// Amount as printed, e.g. 12.50 (KWD, BHD, OMR, JOD take three decimals).
    #[arg(long)]
    pub amount: String,
    #[arg(long)]
    pub currency: String,
    #[arg(long)]
    pub email: String,
    #[arg(long, default_value = "")]
    pub name: String,
    /// The customer's phone, in international form (+971 50 123 4567): sent to APS, and kept
    /// with the customer in the token book.
    #[arg(long, default_value = "")]
    pub phone: String,
    #[arg(long, default_value = "")]
    pub description: String,
    /// Authorize only; capture or void later.
    #[arg(long)]
    pub authorize_only: bool,
    /// Merchant reference; made up when left out.
    #[arg(long)]
    pub reference: Option<String>,
    #[arg(long, value_enum, default_value = "phone")]
    pub channel: CliChannel,
    /// Charge even though the same card or token paid the same amount in the last 10 minutes.
    #[arg(long)]
    pub allow_duplicate: bool,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub enum CliChannel {
    Phone,
    Mail,
}

#[derive(clap::Args, Debug)]
pub struct AmountArgs {
    #[arg(long)]
    pub profile: Option<String>,
    #[arg(long)]
    pub reference: String,
    #[arg(long)]
    pub amount: String,
    /// Refund only: the supervisor approving an agent's refund above the profile's limit (their
    /// PIN from MOTO_TERMINAL_APPROVER_PIN or a prompt).
    #[arg(long, value_name = "NAME")]
    pub approved_by: Option<String>,
}

#[derive(clap::Args, Debug)]
pub struct ReferenceArgs {
    #[arg(long)]
    pub profile: Option<String>,
    #[arg(long)]
    pub reference: String,
    /// The supervisor approving an agent's void (their PIN from MOTO_TERMINAL_APPROVER_PIN or a
    /// prompt).
    #[arg(long, value_name = "NAME")]
    pub approved_by: Option<String>,
}

#[derive(clap::Args, Debug)]
pub struct StatusArgs {
    #[arg(long)]
    pub profile: Option<String>,
    /// The order's merchant reference.
    #[arg(long, required_unless_present = "fort_id")]
    pub reference: Option<String>,
    /// APS's Fort ID, instead of the reference (an order taken elsewhere is found by it too).
    #[arg(long, conflicts_with = "reference")]
    pub fort_id: Option<String>,
    /// For an order taken outside this terminal (not in the journal): the currency the customer
    /// paid in, so it can be brought into the journal (CHECK_STATUS does not say it).
    #[arg(long)]
    pub currency: Option<String>,
}

#[derive(clap::Args, Debug)]
pub struct ReconcileArgs {
    /// Only this profile (default: every profile).
    #[arg(long)]
    pub profile: Option<String>,
}

pub(crate) fn service_error(e: ServiceError) -> Exit {
    match e {
        ServiceError::Invalid { .. } | ServiceError::PossibleDuplicate { .. } => Exit::usage(e.to_string()),
        ServiceError::Busy(_) | ServiceError::NotRecorded(_) => Exit::unknown(e.to_string()),
        ServiceError::Profile(_)
        | ServiceError::NotFound(_)
        | ServiceError::Journal(_)
        | ServiceError::Team(_) => Exit::failed(e.to_string()),
        ServiceError::NotAllowed(_) => Exit::not_allowed(e.to_string()),
    }
}

/// Prints an outcome and turns it into the exit code of the table.
pub(super) fn report(outcome: &Outcome) -> Result<(), Exit> {
    let v = &outcome.verdict;
    let code = if v.code.is_empty() { String::new() } else { format!(" [{}]", v.code) };
    println!("{}: {}{code}", outcome.merchant_reference, v.headline);
    if !v.explanation.is_empty() {
        println!("  {}", v.explanation);
    }
    if let Some(order) = &outcome.order {
        println!("  {}", order_line(order));
    }
    if let Some(token) = &outcome.token_name {
        println!("  token: {token}");
    }
    if let Some(link) = &outcome.payment_link {
        println!("  payment link: {link}");
    }
    if !v.next_step.is_empty() {
        println!("  next: {}", v.next_step);
    }
    match v.kind {
        Kind::Approved => Ok(()),
        Kind::Declined | Kind::Rejected => Err(Exit::failed_quiet(v.headline.clone())),
        Kind::Uncertain => Err(Exit::unknown(format!(
            "the outcome of {} is still unknown; the journal flags it for a person (run `moto-terminal reconcile` later)",
            outcome.merchant_reference
        ))),
    }
}

fn order_line(o: &OrderRow) -> String {
    let m = |minor: u64| crate::aps::money::format_minor(minor, o.currency);
    format!(
        "state {} | {} {} | authorized {} captured {} refunded {} | fort_id {}",
        o.state.as_str(),
        o.currency,
        m(o.amount_minor),
        m(o.authorized_minor),
        m(o.captured_minor),
        m(o.refunded_minor),
        o.fort_id.as_deref().unwrap_or("-")
    )
}

/// Reads {"number", "expiry", "cvv"?, "holder"?} from stdin into wiping buffers. `remember`:
/// ask APS to keep the card as a token.
pub(super) fn card_from_stdin(remember: bool) -> Result<CardDraft, Exit> {
    let mut json = read_stdin_json()?;
    // Strings are moved out whole (no copy); anything else left in `json` is wiped with it.
    let mut take = |k: &str| -> String {
        match json.remove(k) {
            Some(serde_json::Value::String(s)) => s,
            Some(mut value @ serde_json::Value::Number(_)) => {
                let text = value.to_string();
                crate::aps::secret::wipe_value(&mut value);
                text
            }
            _ => String::new(),
        }
    };
    let card = CardDraft {
        number: Zeroizing::new(take("number")),
        expiry: take("expiry"),
        cvv: Zeroizing::new(take("cvv")),
        holder_name: take("holder"),
        remember,
    };
    if card.number.is_empty() || card.expiry.is_empty() {
        return Err(Exit::usage("the card JSON on stdin needs \"number\" and \"expiry\" (MM/YY)"));
    }
    Ok(card)
}

pub async fn charge(service: &Service, profile: String, args: ChargeArgs) -> Result<(), Exit> {
    // A token name APS issued may hold digits that pass the Luhn check: the token book then
    // holds it, and the service judges it so.
    let typed_card = match args.token.as_deref() {
        Some(token) if crate::aps::card::contains_card_number(token) => {
            !service.token_in_book(&profile, token).await.map_err(service_error)?
        }
        _ => false,
    };
    if typed_card {
        return Err(Exit::usage(
            "--token: this looks like a card number; give the saved card's token name, or on a trusted-channel profile pipe the card as JSON to --card-stdin (a number on the command line stays in the shell history)",
        ));
    }
    let mut draft = ChargeDraft::new(&profile, &args.currency);
    draft.kind = if args.authorize_only { ChargeKind::AuthorizeOnly } else { ChargeKind::Sale };
    draft.channel = match args.channel {
        CliChannel::Phone => Channel::Phone,
        CliChannel::Mail => Channel::Mail,
    };
    draft.amount = args.amount;
    draft.customer_email = args.email;
    draft.customer_name = args.name;
    draft.phone_number = args.phone;
    draft.description = args.description;
    draft.merchant_reference = args.reference.unwrap_or_default();
    draft.allow_duplicate = args.allow_duplicate;
    draft.payment = match (args.token, args.card_stdin) {
        (Some(token), false) => PaymentDraft::Token(token),
        (None, true) => PaymentDraft::Card(card_from_stdin(args.remember)?),
        _ => {
            return Err(Exit::usage(
                "give either --token NAME or --card-stdin (card numbers are never read from the command line)",
            ));
        }
    };
    let outcome = service.charge(draft, &Progress::none()).await.map_err(service_error)?;
    report(&outcome)
}

pub async fn capture(service: &Service, profile: String, args: AmountArgs) -> Result<(), Exit> {
    if args.approved_by.is_some() {
        return Err(Exit::usage("--approved-by is for refunds and voids: a capture needs no approval"));
    }
    let outcome = service
        .capture(&profile, &args.reference, &args.amount, &Progress::none())
        .await
        .map_err(service_error)?;
    report(&outcome)
}

pub async fn refund(service: &Service, profile: String, args: AmountArgs) -> Result<(), Exit> {
    let outcome = service
        .refund(
            &profile,
            &args.reference,
            &args.amount,
            super::people::approval(args.approved_by.as_deref())?,
            &Progress::none(),
        )
        .await
        .map_err(service_error)?;
    report(&outcome)
}

pub async fn void(service: &Service, profile: String, args: ReferenceArgs) -> Result<(), Exit> {
    let approval = super::people::approval(args.approved_by.as_deref())?;
    let outcome =
        service.void(&profile, &args.reference, approval, &Progress::none()).await.map_err(service_error)?;
    report(&outcome)
}

pub async fn status(service: &Service, profile: String, args: StatusArgs) -> Result<(), Exit> {
    let currency = match args.currency.as_deref().map(Currency::parse) {
        Some(Ok(c)) => Some(c),
        Some(Err(e)) => return Err(Exit::usage(format!("--currency: {e}"))),
        None => None,
    };
    let progress = Progress::none();
    let report_ = match (&args.reference, &args.fort_id) {
        (Some(reference), _) => service.check_status_in(&profile, reference, currency, &progress).await,
        (None, Some(fort_id)) => {
            service.check_status_by_fort_id(&profile, fort_id, currency, &progress).await
        }
        (None, None) => return Err(Exit::usage("give --reference or --fort-id")),
    }
    .map_err(service_error)?;
    let reference = match (&report_.order, &report_.answer) {
        (Some(order), _) => order.merchant_reference.clone(),
        (None, StatusAnswer::Found(s) | StatusAnswer::StillUncertain(s))
            if s.merchant_reference.is_some() =>
        {
            s.merchant_reference.clone().unwrap_or_default()
        }
        _ => args.reference.clone().or(args.fort_id.clone()).unwrap_or_default(),
    };
    let v = &report_.verdict;
    println!("{reference}: {}", v.headline);
    if !v.explanation.is_empty() {
        println!("  {}", v.explanation);
    }
    if let StatusAnswer::Found(s) | StatusAnswer::StillUncertain(s) = &report_.answer
        && let Some(issuer) = s.issuer_words()
    {
        println!("  card network: {issuer}");
    }
    if let Some(order) = &report_.order {
        println!("  journal: {}", order_line(order));
    }
    match v.kind {
        _ if report_.taken_outside && report_.order.is_none() => {
            println!("  {}", v.next_step);
            Err(Exit::usage(format!(
                "order {reference} was taken outside this terminal: add --currency to bring it in"
            )))
        }
        Kind::Approved => Ok(()),
        Kind::Uncertain => Err(Exit::unknown(format!("APS has not finished order {reference}"))),
        Kind::Declined | Kind::Rejected => Err(Exit::failed_quiet(v.headline.clone())),
    }
}

pub async fn reconcile(service: &Service, args: ReconcileArgs) -> Result<(), Exit> {
    let profile = args.profile.as_deref();
    let outcomes = service.reconcile(profile, &Progress::none()).await.map_err(service_error)?;
    for outcome in &outcomes {
        println!("{}", crate::service::reconcile_summary(outcome));
    }
    // What is still in doubt for a person now, whether this pass left it unknown or could not
    // even ask (a profile whose secrets cannot be read): never "every order's outcome is known"
    // then. Requests still on their way (another running terminal's, an APS batch's rows) are
    // not a person's to check.
    let left = service.in_doubt_for_a_person(profile).await.map_err(service_error)?;
    if left > 0 {
        return Err(Exit::unknown(format!(
            "{left} order(s) still in doubt; a person must check them (see `moto-terminal journal`, or Status)"
        )));
    }
    if outcomes.is_empty() {
        println!("nothing to reconcile: every order's outcome is known");
    }
    Ok(())
}

/// Settles a profile's orders left in doubt by an earlier run (a crash, a lost answer) before a
/// new charge: the order of the architecture's step 5.
pub async fn settle_first(service: &Service, profile: &str) -> Result<(), Exit> {
    let open = service.unresolved(Some(profile)).await.map_err(service_error)?;
    if open.is_empty() {
        return Ok(());
    }
    eprintln!("moto-terminal: settling {} earlier order(s) in doubt before charging", open.len());
    for outcome in service.reconcile_quick(profile, &Progress::none()).await.map_err(service_error)? {
        eprintln!("  {}", crate::service::reconcile_summary(&outcome));
    }
    Ok(())
}
