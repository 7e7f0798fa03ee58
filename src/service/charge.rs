//! Charging a customer: MOTO by token, trusted channel by keyed card, recurring by agreement.
//!
//! The steps, each before the next: validate the draft into a typed command (nothing is
//! recorded for a draft with a mistake); apply the duplicate guard; record the intent durably;
//! sign and send; read the answer; if in doubt, reconcile with CHECK_STATUS.

use super::policy::{self, Amounts, Intent, Reading};
use super::reconcile::{Pace, Settling};
use super::{Ctx, Field, Outcome, Progress, Service, ServiceError, Stage};
use crate::aps::Params;
use crate::aps::card::{CardNumber, Cvv, Expiry};
use crate::aps::command::{
    Charge, ChargeKind, Command, KeyedCard, OrderDetails, PaymentSource, RecurringSetup,
};
use crate::aps::money::{Currency, Money};
use crate::aps::response::Kind;
use crate::aps::secret::WipedParams;
use crate::journal::{
    CardFingerprint, Channel, Extra, Journal, MaskedCard, NewOrder, OpId, OpResult, OpState, OrderKind,
    OrderState, OrderUpdate, PaymentMethod,
};
use chrono::{Datelike, Utc};
use zeroize::Zeroizing;

/// A charge as typed: raw text, validated by the service.
#[derive(Clone, Debug)]
pub struct ChargeDraft {
    pub profile: String,
    pub kind: ChargeKind,
    pub channel: Channel,
    /// Decimal text as typed, e.g. `12.50`.
    pub amount: String,
    pub currency: String,
    pub payment: PaymentDraft,
    pub customer_email: String,
    pub customer_name: String,
    pub description: String,
    pub phone_number: String,
    /// Left empty, the service makes one.
    pub merchant_reference: String,
    /// Charge even if the same card or token paid the same amount minutes ago.
    pub allow_duplicate: bool,
    pub mail: Option<MailDetails>,
    /// A merchant-initiated recurring charge of a stored token (`eci=RECURRING`).
    pub recurring: bool,
    /// The agreement id from the customer's first payment, sent with a recurring charge.
    pub agreement_id: Option<String>,
    /// The batch row this charge is ("batch id:row"), kept on its intent.
    pub batch_row: Option<String>,
    /// A customer's first payment that sets up a recurring agreement with APS (spec 3.4).
    pub recurring_setup: Option<RecurringSetup>,
}

impl ChargeDraft {
    /// An empty draft for a profile, to fill field by field.
    pub fn new(profile: &str, currency: &str) -> Self {
        Self {
            profile: profile.to_owned(),
            kind: ChargeKind::Sale,
            channel: Channel::Phone,
            amount: String::new(),
            currency: currency.to_owned(),
            payment: PaymentDraft::Token(String::new()),
            customer_email: String::new(),
            customer_name: String::new(),
            description: String::new(),
            phone_number: String::new(),
            merchant_reference: String::new(),
            allow_duplicate: false,
            mail: None,
            recurring: false,
            batch_row: None,
            agreement_id: None,
            recurring_setup: None,
        }
    }
}

/// Mail-order paperwork, kept with the order for the back office.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct MailDetails {
    pub order_date: String,
    pub slip_number: String,
    pub postal_address: String,
}

#[derive(Clone, Debug)]
pub enum PaymentDraft {
    Token(String),
    Card(CardDraft),
}

/// A card as typed. The buffers wipe themselves when dropped; Debug never shows them.
#[derive(Clone, Default)]
pub struct CardDraft {
    pub number: Zeroizing<String>,
    /// As printed on the card: MM/YY.
    pub expiry: String,
    pub cvv: Zeroizing<String>,
    pub holder_name: String,
    pub remember: bool,
}

impl std::fmt::Debug for CardDraft {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let digits: String = self.number.chars().filter(char::is_ascii_digit).collect();
        f.debug_struct("CardDraft")
            .field("number", &crate::aps::card::mask_pan(&digits))
            .field("holder_name", &self.holder_name)
            .finish_non_exhaustive()
    }
}

fn non_empty(text: &str) -> Option<String> {
    let t = text.trim();
    (!t.is_empty()).then(|| t.to_owned())
}

/// Parses a typed card into the protocol's card, checking it as APS would.
///
/// # Errors
/// [`ServiceError::Invalid`] naming the card field and the fix.
pub(crate) fn parse_card(draft: &CardDraft) -> Result<KeyedCard, ServiceError> {
    let number = CardNumber::parse(&draft.number).map_err(|e| ServiceError::invalid(Field::CardNumber, e))?;
    let expiry = Expiry::parse(&draft.expiry).map_err(|e| ServiceError::invalid(Field::ExpiryDate, e))?;
    let today = Utc::now();
    if expiry.is_expired(u16::try_from(today.year()).unwrap_or(u16::MAX), today.month() as u8) {
        return Err(ServiceError::invalid(
            Field::ExpiryDate,
            "the card has expired: ask the customer for another card",
        ));
    }
    let cvv = match non_empty(&draft.cvv) {
        Some(text) => Some(
            Cvv::parse(&text, number.brand())
                .map_err(|e| ServiceError::invalid(Field::CardSecurityCode, e))?,
        ),
        None => None,
    };
    Ok(KeyedCard {
        number,
        expiry,
        cvv,
        holder_name: non_empty(&draft.holder_name),
        token_name: None,
        remember: draft.remember,
    })
}

/// A charge checked and ready to journal and send.
struct ChargeRequest {
    /// The charge's parameter list, built and checked once, before the intent: the same list
    /// is signed and sent. It holds the access code (and a keyed card): wiped when dropped.
    params: WipedParams,
    kind: ChargeKind,
    money: Money,
    reference: String,
}

/// The order a charge is journalled as, before its lease is taken.
fn charge_order(
    ctx: &Ctx,
    draft: &ChargeDraft,
    request: &ChargeRequest,
    method: PaymentMethod,
    now: chrono::DateTime<Utc>,
) -> NewOrder {
    let order_kind = match (request.kind, draft.recurring) {
        (_, true) => OrderKind::Recurring,
        (ChargeKind::Sale, false) => OrderKind::Sale,
        (ChargeKind::AuthorizeOnly, false) => OrderKind::AuthorizeOnly,
    };
    let mut extra = Extra::new();
    if let Some(mail) = &draft.mail {
        for (k, v) in [
            ("order_date", &mail.order_date),
            ("slip_number", &mail.slip_number),
            ("postal_address", &mail.postal_address),
        ] {
            if let Some(v) = non_empty(v) {
                extra.insert(k.into(), v.into());
            }
        }
    }
    if let Some(agreement) = draft.agreement_id.as_deref().and_then(non_empty) {
        extra.insert("agreement_id".into(), agreement.into());
    }
    if let Some(setup) = &draft.recurring_setup {
        // Kept so that sending the order again sets up the same agreement.
        super::recurring_setup::setup_into(setup, &mut extra);
    }
    NewOrder {
        profile: ctx.profile.name.clone(),
        merchant_reference: request.reference.clone(),
        kind: order_kind,
        channel: draft.channel,
        amount: request.money,
        method,
        customer_email: non_empty(&draft.customer_email),
        customer_name: non_empty(&draft.customer_name),
        description: non_empty(&draft.description),
        operator: ctx.profile.operator.clone(),
        terminal: ctx.terminal.clone(),
        created_at: now,
        extra,
        lease: None,
        batch_row: draft.batch_row.clone(),
    }
}

impl Service {
    /// Charges a customer once. See the module docs for the steps.
    ///
    /// # Errors
    /// [`ServiceError`] when nothing was sent (bad field, duplicate, profile, journal). Once a
    /// request has left, the result is always an [`Outcome`], even when it is still unknown.
    pub async fn charge(&self, draft: ChargeDraft, progress: &Progress) -> Result<Outcome, ServiceError> {
        self.allow(crate::service::access::Right::Charge).await?;
        if draft.batch_row.is_some() {
            // A batch's rows are audited as the batch's start and end.
            return self.charge_now(draft, progress).await;
        }
        let action = match (draft.kind, draft.recurring) {
            (_, true) => "recurring-charge",
            (ChargeKind::AuthorizeOnly, _) => "authorize",
            _ => "sale",
        };
        let (profile, reference) = (draft.profile.clone(), draft.merchant_reference.clone());
        let result = self.charge_now(draft, progress).await;
        let reference = (!reference.trim().is_empty()).then_some(reference);
        self.audited(action, &profile, reference.as_deref(), None, result).await
    }

    async fn charge_now(&self, draft: ChargeDraft, progress: &Progress) -> Result<Outcome, ServiceError> {
        let in_book = match &draft.payment {
            PaymentDraft::Token(token) => self.token_in_book(&draft.profile, token).await?,
            PaymentDraft::Card(_) => false,
        };
        super::guard::charge(&draft, in_book)?;
        self.ready().await;
        let ctx = self.ctx(&draft.profile).await?;
        let now = Utc::now();
        let (request, method) = self.charge_request(&ctx, &draft).await?;

        // The duplicate guard's window; `None` when the operator overrode it.
        let duplicate_since = (!draft.allow_duplicate)
            .then(|| now - chrono::Duration::from_std(self.settings().duplicate_window).unwrap_or_default());

        let new_order = charge_order(&ctx, &draft, &request, method, now);
        let ChargeRequest { params, kind, money, reference } = request;
        // Held until the outcome is recorded: reconciliation leaves an order in flight alone.
        let lock = self.order_lock(&ctx.profile.name, &reference);
        let _in_flight = lock.lock().await;
        let lease = self.lease();
        let deadline = lease.deadline;
        let new_order = NewOrder { lease: Some(lease), ..new_order };
        let op_id = self.record_charge_intent(new_order, duplicate_since).await?;

        progress.report(Stage::Sending);
        let keyed = matches!(draft.payment, PaymentDraft::Card(_));
        let (_sent, reading) = self.exchange_params(&ctx, kind.operation(), params).await;
        let intent = Intent {
            op: kind.operation(),
            amount: money.minor_units(),
            currency: money.currency(),
            before: Amounts::default(),
        };
        let mut outcome =
            self.finish_first_operation(&ctx, &reference, op_id, intent, deadline, reading, progress).await?;
        if !keyed {
            // The answer only echoes the token that was charged; a new token comes from a keyed card.
            outcome.token_name = None;
        }
        Ok(outcome)
    }

    /// Reads the draft into a checked charge command, and how the journal names its payment.
    async fn charge_request(
        &self,
        ctx: &Ctx,
        draft: &ChargeDraft,
    ) -> Result<(ChargeRequest, PaymentMethod), ServiceError> {
        let currency =
            Currency::parse(&draft.currency).map_err(|e| ServiceError::invalid(Field::Currency, e))?;
        let money =
            Money::parse(&draft.amount, currency).map_err(|e| ServiceError::invalid(Field::Amount, e))?;
        let reference = self.charge_reference(draft).await?;
        let (source, method) = self.payment_source(ctx, draft).await?;
        if draft.recurring && !matches!(draft.payment, PaymentDraft::Token(_)) {
            return Err(ServiceError::invalid(
                Field::TokenName,
                "a recurring charge uses the customer's stored card (token)",
            ));
        }
        // APS needs the agreement the customer set up for merchant-initiated charges (spec 3.4);
        // sent without one, it refuses the request. Say so before anything is recorded.
        if draft.recurring && draft.agreement_id.as_deref().and_then(non_empty).is_none() {
            return Err(ServiceError::invalid(
                Field::AgreementId,
                "a recurring charge needs the customer's agreement id with APS: add it to the agreement in Recurring (moto-terminal recurring add --existing --agreement-id ID)",
            ));
        }
        // Recurring charges are PURCHASE only (spec 3.4).
        let kind = if draft.recurring { ChargeKind::Sale } else { draft.kind };
        let command = Command::Charge(Charge {
            kind,
            merchant_reference: reference.clone(),
            money,
            customer_email: draft.customer_email.trim().to_owned(),
            source,
            recurring: draft.recurring,
            agreement_id: draft.agreement_id.as_deref().and_then(non_empty),
            recurring_setup: draft.recurring_setup.filter(|_| !draft.recurring),
            details: OrderDetails {
                customer_name: non_empty(&draft.customer_name),
                order_description: non_empty(&draft.description),
                phone_number: non_empty(&draft.phone_number),
                customer_ip: ctx.profile.customer_ip.clone(),
                ..Default::default()
            },
        });
        // Every field is checked before anything is recorded: a typo costs nothing. The
        // command (a keyed card's number inside) is wiped as it goes out of scope here.
        let params = command
            .to_params(&ctx.merchant())
            .map_err(|e| ServiceError::Invalid { field: e.field, message: e.to_string() })?;
        Ok((ChargeRequest { params: WipedParams(params), kind, money, reference }, method))
    }

    /// The typed reference, or a new one; never something that looks like a card number.
    async fn charge_reference(&self, draft: &ChargeDraft) -> Result<String, ServiceError> {
        let reference = match non_empty(&draft.merchant_reference) {
            Some(typed) => typed,
            None => self.new_reference().await?,
        };
        // A card number pasted into the reference would be stored and sent in clear.
        crate::journal::refuse_card_numbers("merchant_reference", &reference).map_err(|_| {
            ServiceError::invalid(
                Field::MerchantReference,
                "this looks like a card number: use the order's own reference",
            )
        })?;
        Ok(reference)
    }

    /// What is charged (a token, or a keyed card on a trusted-channel profile), and how the
    /// journal names it.
    async fn payment_source(
        &self,
        ctx: &Ctx,
        draft: &ChargeDraft,
    ) -> Result<(PaymentSource, PaymentMethod), ServiceError> {
        Ok(match &draft.payment {
            PaymentDraft::Token(token) => {
                let token = non_empty(token).ok_or_else(|| {
                    ServiceError::invalid(Field::TokenName, "choose the customer's saved card (token) first")
                })?;
                (
                    PaymentSource::Token(token.clone()),
                    PaymentMethod::Token { token_name: token, masked_card: None },
                )
            }
            PaymentDraft::Card(card) => {
                if !ctx.profile.trusted_channel {
                    return Err(ServiceError::invalid(
                        Field::CardNumber,
                        "this profile may not send card numbers: charge a saved card (token), or enable the trusted channel for a PCI-compliant merchant in Settings",
                    ));
                }
                let keyed = parse_card(card)?;
                let method = self.card_method(ctx, &keyed.number).await?;
                (PaymentSource::Card(keyed), method)
            }
        })
    }

    /// The duplicate guard and the intent in one write transaction.
    async fn record_charge_intent(
        &self,
        new_order: NewOrder,
        duplicate_since: Option<chrono::DateTime<Utc>>,
    ) -> Result<OpId, ServiceError> {
        let recorded = self.commit(Journal::order_intent_write(&new_order, duplicate_since)?).await?;
        recorded.map_err(|existing| ServiceError::PossibleDuplicate { existing: Box::new(existing) })
    }

    /// The journal's view of a keyed card: masked text and a keyed fingerprint, never the number.
    /// On the team journal the key is the merchant's team card key (the same on every desk),
    /// else this installation's own.
    pub(super) async fn card_method(
        &self,
        ctx: &Ctx,
        number: &CardNumber,
    ) -> Result<PaymentMethod, ServiceError> {
        let key = if self.inner.journal.is_team() {
            crate::vault::team_card_key(&ctx.credentials.request_phrase, &ctx.profile.merchant_identifier)
        } else {
            let vault = self.vault().clone();
            tokio::task::spawn_blocking(move || vault.installation_key())
                .await
                .map_err(|e| ServiceError::Profile(e.to_string()))?
                .map_err(|e| ServiceError::Profile(e.to_string()))?
        };
        let fingerprint = crate::vault::card_fingerprint(&key, number.expose());
        let masked =
            MaskedCard::parse(&number.masked()).map_err(|e| ServiceError::invalid(Field::CardNumber, e))?;
        let fingerprint =
            CardFingerprint::parse(&fingerprint).map_err(|e| ServiceError::Profile(e.to_string()))?;
        Ok(PaymentMethod::Card { masked_card: masked, fingerprint })
    }

    /// Records what the first answer of a new order means, reconciling when in doubt.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn finish_first_operation(
        &self,
        ctx: &Ctx,
        reference: &str,
        op_id: OpId,
        intent: Intent,
        deadline: chrono::DateTime<Utc>,
        reading: Reading,
        progress: &Progress,
    ) -> Result<Outcome, ServiceError> {
        let (op, amount_minor) = (intent.op, intent.amount);
        let profile = ctx.profile.name.clone();
        let at = Utc::now();
        match reading {
            Reading::Final { verdict, response } => {
                self.record_final_answer(&profile, reference, op_id, op, amount_minor, verdict, &response)
                    .await
            }
            Reading::NotSent { why } => {
                let verdict = policy::not_sent_verdict(&why);
                let result = OpResult {
                    state: OpState::NotSent,
                    response_code: None,
                    response_message: None,
                    note: Some(why),
                    at,
                };
                let update = OrderUpdate { state: Some(OrderState::NotSent), ..Default::default() };
                self.record(move |j| j.record_outcome(op_id, &result, &update)).await?;
                Ok(self.outcome(&profile, reference, op, verdict, false).await)
            }
            Reading::Unknown { why } => {
                let result = OpResult {
                    state: OpState::Unknown,
                    response_code: None,
                    response_message: None,
                    note: Some(why.clone()),
                    at,
                };
                let update = OrderUpdate { state: Some(OrderState::Unknown), ..Default::default() };
                self.record(move |j| j.record_outcome(op_id, &result, &update)).await?;
                let settling = Settling {
                    reference: reference.to_owned(),
                    intent,
                    op_id,
                    fort_id: None,
                    maintenance_reference: None,
                    deadline,
                    why,
                    pace: Pace::Full,
                };
                self.settle(ctx, settling, progress).await
            }
        }
    }

    pub(super) async fn order_row(&self, profile: &str, reference: &str) -> Option<crate::journal::OrderRow> {
        let (p, r) = (profile.to_owned(), reference.to_owned());
        self.journal(move |j| j.order(&p, &r)).await.ok().flatten()
    }
}

pub(super) fn op_state(kind: Kind) -> OpState {
    match kind {
        Kind::Approved => OpState::Approved,
        Kind::Declined => OpState::Declined,
        Kind::Rejected => OpState::Rejected,
        Kind::Uncertain => OpState::Unknown,
    }
}

/// A string field of an APS answer, if present and not empty.
pub(super) fn text(response: &Params, name: &str) -> Option<String> {
    response.get(name).and_then(|v| match v {
        serde_json::Value::String(s) if !s.is_empty() => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    })
}
