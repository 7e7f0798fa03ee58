//! Stored cards (tokens), payment links, recurring charges and the credential test.
//!
//! APS offers no documented way to list a merchant's tokens (GET_TOKENS is UNKNOWN in the
//! spec), so the terminal keeps its own token book: every token it created, charged or updated,
//! with the masked card APS returned, the customer it was used for, and its last known status.

use super::charge::{CardDraft, ChargeDraft, op_state, parse_card, text};
use super::policy::{self, Reading};
use super::{Field, Outcome, Progress, Service, ServiceError, Stage};
use crate::aps::command::{
    ChargeKind, Command, CreateToken, Notification, PaymentLink, TokenStatus, UpdateToken,
};
use crate::aps::money::{Currency, Money};
use crate::aps::response::{Kind, StatusAnswer};
use crate::aps::{Operation, Params};
use crate::journal::{
    Agreement, Channel, LinkRow, LinkStatus, NewLink, NewOperation, NewOrder, OpResult, OpState, OrderKind,
    OrderState, OrderUpdate, PaymentMethod, TokenRecord,
};
use chrono::{Duration as ChronoDuration, Utc};

/// Changes to a stored card, as typed on the Tokens screen.
#[derive(Clone, Debug, Default)]
pub struct TokenUpdateDraft {
    pub token_name: String,
    pub new_token_name: String,
    pub status: Option<TokenStatus>,
    /// MM/YY; empty leaves it.
    pub expiry: String,
    pub holder_name: String,
}

/// A card to store without charging it.
#[derive(Clone, Debug, Default)]
pub struct CreateTokenDraft {
    pub card: CardDraft,
    pub token_name: String,
    pub customer_email: String,
    pub customer_name: String,
}

/// A payment link to send to a customer.
#[derive(Clone, Debug)]
pub struct LinkDraft {
    pub amount: String,
    pub currency: String,
    pub customer_email: String,
    pub customer_name: String,
    /// Digits, needed when the link goes by SMS.
    pub customer_phone: String,
    pub description: String,
    pub notification: Notification,
    pub kind: ChargeKind,
    /// How long the customer has to pay.
    pub valid_hours: u32,
    /// Left empty, the service makes one.
    pub merchant_reference: String,
}

impl Default for LinkDraft {
    fn default() -> Self {
        Self {
            amount: String::new(),
            currency: String::new(),
            customer_email: String::new(),
            customer_name: String::new(),
            customer_phone: String::new(),
            description: String::new(),
            notification: Notification::Email,
            kind: ChargeKind::Sale,
            valid_hours: 72,
            merchant_reference: String::new(),
        }
    }
}

/// A recurring agreement as typed on the Recurring screen.
#[derive(Clone, Debug, Default)]
pub struct AgreementDraft {
    pub token_name: String,
    /// From the customer's first payment, when APS gave one.
    pub agreement_id: String,
    pub customer_email: String,
    pub customer_name: String,
    pub amount: String,
    pub currency: String,
    pub interval_days: u32,
    /// YYYY-MM-DD; empty means today.
    pub first_due: String,
}

/// Which credential a profile test found wrong, in words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProfileTest {
    pub ok: bool,
    pub message: String,
}

fn non_empty(text: &str) -> Option<String> {
    let t = text.trim();
    (!t.is_empty()).then(|| t.to_owned())
}

impl Service {
    /// Activates, deactivates, renames a token or changes its expiry or holder name.
    ///
    /// # Errors
    /// Nothing sent: bad field, profile or journal failure.
    pub async fn update_token(
        &self,
        profile: &str,
        draft: TokenUpdateDraft,
        progress: &Progress,
    ) -> Result<Outcome, ServiceError> {
        super::guard::token_update(&draft)?;
        let ctx = self.ctx(profile).await?;
        let token = non_empty(&draft.token_name)
            .ok_or_else(|| ServiceError::invalid(Field::TokenName, "choose a token first"))?;
        let expiry = match non_empty(&draft.expiry) {
            Some(e) => Some(
                crate::aps::card::Expiry::parse(&e)
                    .map_err(|e| ServiceError::invalid(Field::ExpiryDate, e))?,
            ),
            None => None,
        };
        let reference = self.new_reference().await?;
        let command = Command::UpdateToken(UpdateToken {
            merchant_reference: reference.clone(),
            token_name: token.clone(),
            new_token_name: non_empty(&draft.new_token_name),
            token_status: draft.status,
            expiry,
            card_holder_name: non_empty(&draft.holder_name),
            currency: None,
        });
        let outcome = self.token_operation(&ctx, command, &reference, progress).await?;
        if outcome.verdict.kind == Kind::Approved {
            let renamed = non_empty(&draft.new_token_name);
            let (p, old) = (profile.to_owned(), token.clone());
            let status = draft.status;
            let expiry = expiry.map(|e| e.wire());
            let holder = non_empty(&draft.holder_name);
            let new_name = renamed.clone();
            self.journal(move |j| {
                j.update_token(
                    &p,
                    &old,
                    new_name.as_deref(),
                    status.map(TokenStatus::wire),
                    expiry.as_deref(),
                    holder.as_deref(),
                )
            })
            .await?;
            return Ok(Outcome { token_name: Some(renamed.unwrap_or(token)), ..outcome });
        }
        Ok(outcome)
    }

    /// Stores a card as a token without charging it (trusted channel only).
    ///
    /// # Errors
    /// Nothing sent: the profile may not send card numbers, a bad field, profile or journal failure.
    pub async fn create_token(
        &self,
        profile: &str,
        draft: CreateTokenDraft,
        progress: &Progress,
    ) -> Result<Outcome, ServiceError> {
        super::guard::create_token(&draft)?;
        let ctx = self.ctx(profile).await?;
        if !ctx.profile.trusted_channel {
            return Err(ServiceError::invalid(
                Field::CardNumber,
                "this profile may not send card numbers: tokens can only be created on a trusted-channel profile",
            ));
        }
        let card = parse_card(&draft.card)?;
        let reference = self.new_reference().await?;
        let command = Command::CreateToken(CreateToken {
            merchant_reference: reference.clone(),
            number: card.number,
            expiry: card.expiry,
            holder_name: card.holder_name,
            token_name: non_empty(&draft.token_name),
            currency: Currency::parse(&ctx.profile.default_currency.to_string()).ok(),
            return_url: ctx.profile.endpoint.clone(),
        });
        let outcome = self.token_operation(&ctx, command, &reference, progress).await?;
        Ok(outcome)
    }

    /// Sends a token operation, which moves no money: an unknown outcome is recorded for a person
    /// to check (re-sending an UPDATE_TOKEN is harmless, but the agent decides).
    async fn token_operation(
        &self,
        ctx: &super::Ctx,
        command: Command,
        reference: &str,
        progress: &Progress,
    ) -> Result<Outcome, ServiceError> {
        let op = command.operation();
        // Validate before recording anything.
        command
            .check(&ctx.merchant())
            .map_err(|e| ServiceError::Invalid { field: e.field, message: e.to_string() })?;
        let new_op = NewOperation {
            profile: ctx.profile.name.clone(),
            merchant_reference: reference.to_owned(),
            operation: op,
            maintenance_reference: None,
            amount: None,
            operator: ctx.profile.operator.clone(),
            at: Utc::now(),
            note: None,
            lease: Some(self.lease()),
        };
        let op_id = self.journal(move |j| j.record_operation_intent(&new_op)).await?;
        progress.report(Stage::Sending);
        let (_, reading) = self.exchange(ctx, &command).await?;
        drop(command);
        let (verdict, state, response) = match reading {
            Reading::Final { verdict, response } => (verdict.clone(), op_state(verdict.kind), Some(response)),
            Reading::NotSent { why } => (policy::not_sent_verdict(&why), OpState::NotSent, None),
            Reading::Unknown { why } => {
                let mut v = policy::unknown_verdict(&why);
                v.next_step = "Check the token in the APS back office before trying again.".into();
                (v, OpState::Unknown, None)
            }
        };
        let result = OpResult {
            state,
            response_code: (!verdict.code.is_empty()).then(|| verdict.code.clone()),
            response_message: response.as_ref().and_then(|r| text(r, "response_message")),
            note: None,
            at: Utc::now(),
        };
        self.record(move |j| j.finish_operation(op_id, &result)).await?;
        let mut token_name = None;
        if let Some(response) = &response
            && verdict.kind == Kind::Approved
            && let Some(token) = text(response, "token_name")
        {
            self.remember_token(&ctx.profile.name, &token, response).await;
            token_name = Some(token);
        }
        Ok(Outcome {
            profile: ctx.profile.name.clone(),
            merchant_reference: reference.to_owned(),
            operation: op,
            verdict,
            order: None,
            reconciled: false,
            token_name,
            payment_link: None,
        })
    }

    /// Adds or refreshes a token in the token book from an APS answer (masked card only).
    pub(super) async fn remember_token(&self, profile: &str, token: &str, response: &Params) {
        let record = TokenRecord {
            profile: profile.to_owned(),
            token_name: token.to_owned(),
            masked_card: text(response, "card_number"),
            expiry: text(response, "expiry_date"),
            brand: text(response, "card_brand").or_else(|| text(response, "payment_option")),
            holder_name: text(response, "card_holder_name"),
            customer_email: text(response, "customer_email"),
            customer_name: text(response, "customer_name"),
            status: text(response, "token_status").unwrap_or_else(|| "ACTIVE".into()),
        };
        // Most charges reuse a token the book already knows as it is: skip the disk write then.
        let write = move |j: &crate::journal::Journal| {
            let known = j.tokens(&record.profile, &record.token_name)?;
            let unchanged = known.iter().any(|t| {
                t.token_name == record.token_name
                    && t.status == record.status
                    && (record.masked_card.is_none() || t.masked_card == record.masked_card)
                    && (record.expiry.is_none() || t.expiry == record.expiry)
            });
            if unchanged { Ok(()) } else { j.upsert_token(&record) }
        };
        if let Err(e) = self.journal(write).await {
            log::warn!("token book not updated: {e}");
        }
    }

    /// Adds tokens the terminal did not create to the token book (the Demo merchant's built-in
    /// cards), keeping anything already known about them.
    ///
    /// # Errors
    /// A record the journal refuses (a card number that is not masked), or a journal failure.
    pub async fn add_to_token_book(&self, records: Vec<TokenRecord>) -> Result<(), ServiceError> {
        self.journal(move |j| {
            for record in &records {
                if j.tokens(&record.profile, &record.token_name)?
                    .iter()
                    .all(|t| t.token_name != record.token_name)
                {
                    j.upsert_token(record)?;
                }
            }
            Ok(())
        })
        .await
    }

    /// The token book, filtered by customer, email, last 4 or token name.
    ///
    /// # Errors
    /// Journal failure.
    pub async fn tokens(&self, profile: &str, query: &str) -> Result<Vec<TokenRecord>, ServiceError> {
        let (p, q) = (profile.to_owned(), query.trim().to_owned());
        self.journal(move |j| j.tokens(&p, &q)).await
    }

    /// Creates a payment link APS sends to the customer.
    ///
    /// # Errors
    /// Nothing sent: bad field, profile or journal failure.
    pub async fn payment_link(
        &self,
        profile: &str,
        draft: LinkDraft,
        progress: &Progress,
    ) -> Result<Outcome, ServiceError> {
        super::guard::link(&draft)?;
        let ctx = self.ctx(profile).await?;
        let now = Utc::now();
        let currency =
            Currency::parse(&draft.currency).map_err(|e| ServiceError::invalid(Field::Currency, e))?;
        let money =
            Money::parse(&draft.amount, currency).map_err(|e| ServiceError::invalid(Field::Amount, e))?;
        let reference = match non_empty(&draft.merchant_reference) {
            Some(typed) => typed,
            None => self.new_reference().await?,
        };
        let expires_at = now + ChronoDuration::hours(i64::from(draft.valid_hours.clamp(1, 24 * 30)));
        let command = Command::PaymentLink(PaymentLink {
            merchant_reference: reference.clone(),
            money,
            customer_email: draft.customer_email.trim().to_owned(),
            request_expiry_date: expires_at.format("%Y-%m-%dT%H:%M:%S+00:00").to_string(),
            notification: draft.notification,
            link_command: draft.kind,
            customer_name: non_empty(&draft.customer_name),
            customer_phone: non_empty(&draft.customer_phone),
            order_description: non_empty(&draft.description),
        });
        command
            .check(&ctx.merchant())
            .map_err(|e| ServiceError::Invalid { field: e.field, message: e.to_string() })?;
        let new_order = NewOrder {
            profile: ctx.profile.name.clone(),
            merchant_reference: reference.clone(),
            kind: OrderKind::PaymentLink,
            channel: Channel::Phone,
            amount: money,
            method: PaymentMethod::Link,
            customer_email: non_empty(&draft.customer_email),
            customer_name: non_empty(&draft.customer_name),
            description: non_empty(&draft.description),
            operator: ctx.profile.operator.clone(),
            created_at: now,
            extra: Default::default(),
            lease: Some(self.lease()),
        };
        let op_id = self.journal(move |j| j.record_order_intent(&new_order)).await?;
        progress.report(Stage::Sending);
        let (_, reading) = self.exchange(&ctx, &command).await?;
        let (verdict, op_state_now, order_state, response) = match reading {
            Reading::Final { verdict, response } => {
                let state = match verdict.kind {
                    Kind::Approved => OrderState::Pending,
                    Kind::Rejected => OrderState::Rejected,
                    Kind::Declined | Kind::Uncertain => OrderState::Declined,
                };
                (verdict.clone(), op_state(verdict.kind), state, Some(response))
            }
            Reading::NotSent { why } => {
                (policy::not_sent_verdict(&why), OpState::NotSent, OrderState::NotSent, None)
            }
            Reading::Unknown { why } => {
                let mut v = policy::unknown_verdict(&why);
                v.next_step = "The link may have been sent: ask the customer or check the APS back office before creating another.".into();
                (v, OpState::Unknown, OrderState::Unknown, None)
            }
        };
        let link_url = response.as_ref().and_then(|r| text(r, "payment_link"));
        let link_id = response.as_ref().and_then(|r| text(r, "payment_link_id"));
        let result = OpResult {
            state: op_state_now,
            response_code: (!verdict.code.is_empty()).then(|| verdict.code.clone()),
            response_message: response.as_ref().and_then(|r| text(r, "response_message")),
            note: link_url.clone(),
            at: Utc::now(),
        };
        let mut extra = crate::journal::Extra::new();
        if let Some(url) = &link_url {
            extra.insert("payment_link".into(), url.clone().into());
        }
        if let Some(id) = &link_id {
            extra.insert("payment_link_id".into(), id.clone().into());
        }
        let update = OrderUpdate {
            state: Some(order_state),
            last_response_code: (!verdict.code.is_empty()).then(|| verdict.code.clone()),
            needs_attention: (op_state_now == OpState::Unknown).then(|| Some(verdict.next_step.clone())),
            extra: Some(extra),
            ..Default::default()
        };
        self.record(move |j| j.record_outcome(op_id, &result, &update)).await?;
        if verdict.kind == Kind::Approved {
            let link = NewLink {
                profile: ctx.profile.name.clone(),
                merchant_reference: reference.clone(),
                payment_link_id: link_id,
                url: link_url.clone(),
                amount: money,
                customer_email: draft.customer_email.trim().to_owned(),
                notification: draft.notification.wire().to_owned(),
                expires_at,
                created_at: now,
            };
            self.record(move |j| j.record_link(&link)).await?;
        }
        Ok(Outcome {
            profile: ctx.profile.name.clone(),
            merchant_reference: reference.clone(),
            operation: Operation::PaymentLink,
            verdict,
            order: self.order_row(&ctx.profile.name, &reference).await,
            reconciled: false,
            token_name: None,
            payment_link: link_url,
        })
    }

    /// Payment links of a profile, after asking APS about every open one.
    ///
    /// # Errors
    /// Profile or journal failure.
    pub async fn refresh_links(&self, profile: &str) -> Result<Vec<LinkRow>, ServiceError> {
        let ctx = self.ctx(profile).await?;
        let p = profile.to_owned();
        let open = self.journal(move |j| j.links(Some(&p), Some(LinkStatus::Open))).await?;
        for link in open {
            let answer = self.query_status(&ctx, &link.merchant_reference, None, None).await?;
            let status = match &answer {
                StatusAnswer::Found(s) if s.authorized_minor > 0 || s.captured_minor > 0 => {
                    let update = OrderUpdate {
                        state: Some(OrderState::from_amounts(
                            s.authorized_minor,
                            s.captured_minor,
                            s.refunded_minor,
                            false,
                        )),
                        authorized_minor: Some(s.authorized_minor),
                        captured_minor: Some(s.captured_minor),
                        refunded_minor: Some(s.refunded_minor),
                        fort_id: s.fort_id.clone(),
                        last_response_code: Some(s.transaction_code.clone()),
                        last_message: Some(s.transaction_message.clone()),
                        ..Default::default()
                    };
                    let (p, r) = (profile.to_owned(), link.merchant_reference.clone());
                    self.journal(move |j| j.update_order(&p, &r, &update)).await?;
                    Some(LinkStatus::Paid)
                }
                // Expired and unpaid only on APS's word, twice: no such order, or an order without
                // money, well after the link's expiry (a payment made at the last moment may take
                // a while), and again a little later.
                StatusAnswer::NotFound | StatusAnswer::Found(_) if self.link_expired(&link).await? => {
                    let (p, r) = (profile.to_owned(), link.merchant_reference.clone());
                    let update = OrderUpdate {
                        state: Some(OrderState::NotSent),
                        last_message: Some("payment link expired unpaid".into()),
                        ..Default::default()
                    };
                    self.journal(move |j| j.update_order(&p, &r, &update)).await?;
                    Some(LinkStatus::Expired)
                }
                _ => None,
            };
            if let Some(status) = status {
                let (p, r) = (profile.to_owned(), link.merchant_reference.clone());
                self.journal(move |j| j.update_link_status(&p, &r, status)).await?;
            }
        }
        let p = profile.to_owned();
        self.journal(move |j| j.links(Some(&p), None)).await
    }

    /// Whether an open link APS has just shown unpaid may be declared expired: its expiry plus
    /// the in-flight window has passed, and an earlier unpaid answer after that lies at least
    /// the confirmation delay back. Notes this answer for the next check otherwise.
    async fn link_expired(&self, link: &LinkRow) -> Result<bool, ServiceError> {
        let now = Utc::now();
        let grace = ChronoDuration::from_std(self.settings().in_flight_window).unwrap_or_default();
        if now < link.expires_at + grace {
            return Ok(false);
        }
        let (p, r) = (link.profile.clone(), link.merchant_reference.clone());
        let first = self.journal(move |j| j.note_link_unpaid(&p, &r, now)).await?;
        let confirm = ChronoDuration::from_std(self.settings().not_found_confirm).unwrap_or_default();
        Ok(now - first >= confirm)
    }

    /// Proves a profile's credentials with a signed CHECK_STATUS of a reference that does not
    /// exist, and says which credential is wrong when it fails.
    ///
    /// # Errors
    /// The profile or its secrets are missing.
    pub async fn test_profile(&self, profile: &str) -> Result<ProfileTest, ServiceError> {
        let ctx = self.ctx(profile).await?;
        let reference = format!("MT-TEST-{}", &self.new_reference().await?[3..]);
        let command = Command::CheckStatus(crate::aps::command::CheckStatus {
            merchant_reference: reference,
            fort_id: None,
            maintenance_reference: None,
            third_party_codes: false,
        });
        let mut params = command
            .to_params(&ctx.merchant())
            .map_err(|e| ServiceError::Invalid { field: e.field, message: e.to_string() })?;
        let signature =
            crate::aps::sign::sign(&params, ctx.credentials.request_phrase.expose(), ctx.profile.algorithm);
        params.insert("signature".into(), signature.into());
        let reply = match self.inner.gateway.post_json(&ctx.profile.endpoint, &params).await {
            Ok(reply) => reply,
            Err(e) => {
                return Ok(ProfileTest {
                    ok: false,
                    message: format!("APS could not be reached at {}: {e}", ctx.profile.endpoint),
                });
            }
        };
        let response = match serde_json::from_slice::<serde_json::Value>(&reply.body) {
            Ok(serde_json::Value::Object(map)) if reply.http_status == 200 => map,
            _ => {
                return Ok(ProfileTest {
                    ok: false,
                    message: format!(
                        "the endpoint answered HTTP {} without an APS reply: check the endpoint address",
                        reply.http_status
                    ),
                });
            }
        };
        let code = text(&response, "response_code").unwrap_or_default();
        let message = match code.get(2..).unwrap_or_default() {
            "009" => "APS does not know this merchant identifier: check it in Settings",
            "010" => {
                "APS refused the access code: enter it again from Integration Settings, Security Settings"
            }
            "008" => "APS says the signature does not match: check the SHA request phrase and the SHA type",
            _ => "",
        };
        if !message.is_empty() {
            return Ok(ProfileTest { ok: false, message: message.into() });
        }
        if crate::aps::sign::verify(
            &response,
            ctx.credentials.response_phrase.expose(),
            ctx.profile.algorithm,
        )
        .is_err()
        {
            return Ok(ProfileTest {
                ok: false,
                message: "APS accepted the request, but its answer's signature does not match: check the SHA response phrase".into(),
            });
        }
        Ok(ProfileTest {
            ok: true,
            message: format!(
                "Connected: APS accepted the merchant identifier, access code and both phrases ({}).",
                ctx.profile.algorithm.label()
            ),
        })
    }

    /// Registers a recurring agreement on a stored token.
    ///
    /// # Errors
    /// A field is wrong (named), or the journal cannot be written.
    pub async fn add_agreement(&self, profile: &str, draft: AgreementDraft) -> Result<i64, ServiceError> {
        super::guard::agreement(&draft)?;
        let token = non_empty(&draft.token_name).ok_or_else(|| {
            ServiceError::invalid(Field::TokenName, "choose the customer's stored card (token)")
        })?;
        crate::aps::fields::check(Field::TokenName, &token)
            .map_err(|e| ServiceError::invalid(Field::TokenName, e))?;
        let email = draft.customer_email.trim().to_owned();
        crate::aps::fields::check(Field::CustomerEmail, &email)
            .map_err(|e| ServiceError::invalid(Field::CustomerEmail, e))?;
        let agreement_id = non_empty(&draft.agreement_id);
        if let Some(id) = &agreement_id {
            crate::aps::fields::check(Field::AgreementId, id)
                .map_err(|e| ServiceError::invalid(Field::AgreementId, e))?;
        }
        let currency =
            Currency::parse(&draft.currency).map_err(|e| ServiceError::invalid(Field::Currency, e))?;
        let amount =
            Money::parse(&draft.amount, currency).map_err(|e| ServiceError::invalid(Field::Amount, e))?;
        if !(1..=366).contains(&draft.interval_days) {
            return Err(ServiceError::invalid(
                Field::IntervalDays,
                "charge every 1 to 366 days, e.g. 30 for monthly",
            ));
        }
        let next_due = match non_empty(&draft.first_due) {
            Some(text) => chrono::NaiveDate::parse_from_str(&text, "%Y-%m-%d").map_err(|_| {
                ServiceError::invalid(Field::FirstDue, "type the first charge date as YYYY-MM-DD")
            })?,
            None => Utc::now().date_naive(),
        };
        let new = crate::journal::NewAgreement {
            profile: profile.to_owned(),
            token_name: token,
            agreement_id,
            customer_email: email,
            customer_name: non_empty(&draft.customer_name),
            amount,
            interval_days: draft.interval_days,
            next_due,
            created_at: Utc::now(),
        };
        self.journal(move |j| j.add_agreement(&new)).await
    }

    /// Pauses or resumes an agreement.
    ///
    /// # Errors
    /// No such agreement, or the journal cannot be written.
    pub async fn set_agreement_active(&self, id: i64, active: bool) -> Result<(), ServiceError> {
        let update = crate::journal::AgreementUpdate { active: Some(active), ..Default::default() };
        self.journal(move |j| j.update_agreement(id, &update)).await
    }

    /// Recurring agreements of a profile.
    ///
    /// # Errors
    /// Journal failure.
    pub async fn agreements(&self, profile: &str) -> Result<Vec<Agreement>, ServiceError> {
        let p = profile.to_owned();
        self.journal(move |j| j.agreements(Some(&p))).await
    }

    /// Charges every active agreement that is due today or earlier, once. The reference is made
    /// from the agreement and the due date, so running the same day twice cannot charge twice:
    /// the journal refuses a reference it already has.
    ///
    /// # Errors
    /// Journal or profile failure before the first charge.
    pub async fn run_due_recurring(
        &self,
        profile: &str,
        progress: &Progress,
    ) -> Result<Vec<Result<Outcome, ServiceError>>, ServiceError> {
        let today = Utc::now().date_naive();
        let p = profile.to_owned();
        let due = self.journal(move |j| j.due_agreements(Some(&p), today)).await?;
        let prefix = self.journal(crate::journal::Journal::reference_prefix).await?;
        let mut results = Vec::new();
        for agreement in due {
            let reference = recurring_reference(&prefix, agreement.id, agreement.next_due);
            let mut draft = ChargeDraft::new(profile, agreement.currency.code());
            draft.channel = Channel::Recurring;
            draft.amount = crate::aps::money::format_minor(agreement.amount_minor, agreement.currency);
            draft.payment = super::PaymentDraft::Token(agreement.token_name.clone());
            draft.customer_email = agreement.customer_email.clone();
            draft.customer_name = agreement.customer_name.clone().unwrap_or_default();
            draft.merchant_reference = reference.clone();
            draft.recurring = true;
            draft.agreement_id = agreement.agreement_id.clone();
            draft.allow_duplicate = true;
            let result = self.charge(draft, progress).await;
            if let Ok(outcome) = &result
                && outcome.verdict.kind == Kind::Approved
            {
                let next =
                    agreement.next_due + ChronoDuration::days(i64::from(agreement.interval_days.max(1)));
                let id = agreement.id;
                let r = reference.clone();
                self.journal(move |j| j.mark_charged(id, &r, next)).await?;
            }
            results.push(result);
        }
        Ok(results)
    }
}

/// A recurring charge's reference: the installation's prefix, the due date and the agreement,
/// e.g. `RC-KQZT-20261204-N12`. The same agreement and due date always give the same reference,
/// so running the same day twice cannot charge twice; the prefix keeps two installations on one
/// merchant account apart, and the letter keeps the digits from running together.
pub(super) fn recurring_reference(prefix: &str, agreement: i64, due: chrono::NaiveDate) -> String {
    format!("RC-{prefix}-{}-N{agreement}", due.format("%Y%m%d"))
}
