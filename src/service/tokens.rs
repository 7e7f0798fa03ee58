//! Stored cards (tokens): creating and updating them, and the token book.
//!
//! APS offers no documented way to list a merchant's tokens (GET_TOKENS is UNKNOWN in the
//! spec), so the terminal keeps its own token book: every token it created, charged or updated,
//! with the masked card APS returned, every customer it was used for (one token can belong to
//! several: APS's unique tokens), and its last known status.
//! Payment links are in `links`, recurring charges in `recurring`, the credential test in
//! `profile_test`.

use super::charge::{CardDraft, op_state, parse_card, text};
use super::policy::{self, Reading};
use super::{Field, Outcome, Progress, Service, ServiceError, Stage};
use crate::aps::Params;
use crate::aps::command::{Command, CreateToken, TokenStatus, UpdateToken};
use crate::aps::money::Currency;
use crate::aps::response::Kind;
use crate::journal::{NewOperation, OpResult, OpState, TokenCustomer, TokenRecord};
use chrono::Utc;

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

/// A trimmed text, or `None` when it is blank.
pub(super) fn non_empty(text: &str) -> Option<String> {
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
        self.allow(crate::service::access::Right::Tokens).await?;
        let result = self.update_token_now(profile, draft, progress).await;
        self.audited("token-update", profile, None, None, result).await
    }

    async fn update_token_now(
        &self,
        profile: &str,
        draft: TokenUpdateDraft,
        progress: &Progress,
    ) -> Result<Outcome, ServiceError> {
        let in_book = self.token_in_book(profile, &draft.token_name).await?;
        super::guard::token_update(&draft, in_book)?;
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
        let outcome = self.token_operation(&ctx, command, &reference, None, progress).await?;
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
        self.allow(crate::service::access::Right::Tokens).await?;
        let result = self.create_token_now(profile, draft, progress).await;
        self.audited("token-create", profile, None, None, result).await
    }

    async fn create_token_now(
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
        // CREATE_TOKEN carries no customer: the one typed is the token's first customer.
        let customer = TokenCustomer::new(Some(&draft.customer_name), Some(&draft.customer_email), None);
        self.token_operation(&ctx, command, &reference, Some(customer), progress).await
    }

    /// Sends a token operation, which moves no money: an unknown outcome is recorded for a person
    /// to check (re-sending an UPDATE_TOKEN is harmless, but the agent decides). An approved
    /// token is remembered with `customer`, when given.
    async fn token_operation(
        &self,
        ctx: &super::Ctx,
        command: Command,
        reference: &str,
        customer: Option<TokenCustomer>,
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
            batch_row: None,
            approved_by: None,
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
            self.remember_token(&ctx.profile.name, &token, response, customer).await;
            token_name = Some(token);
        }
        Ok(Outcome {
            amount: None,
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

    /// Whether the token book holds `name` on `profile`, that is whether APS issued it: the
    /// card-number guard then judges it as APS's identifier (`guard::token_name`). Asked only of
    /// a name that holds a run of digits passing the Luhn check (`false` for any other).
    ///
    /// # Errors
    /// The journal cannot be read.
    pub(crate) async fn token_in_book(&self, profile: &str, name: &str) -> Result<bool, ServiceError> {
        if !crate::aps::card::contains_card_number(name) {
            return Ok(false);
        }
        let (p, n) = (profile.to_owned(), name.trim().to_owned());
        Ok(self.journal(move |j| j.token(&p, &n)).await?.is_some())
    }

    /// Adds or refreshes a token in the token book from an APS answer (masked card only), with
    /// `customer` as one of its customers.
    async fn remember_token(
        &self,
        profile: &str,
        token: &str,
        response: &Params,
        customer: Option<TokenCustomer>,
    ) {
        let mut record = token_record(profile, token, response);
        record.customers.extend(customer.filter(|c| !c.is_empty()));
        if let Err(e) = self.journal(move |j| j.refresh_token(&record)).await {
            log::warn!("token book not updated: {e}");
        }
    }

    /// Adds tokens the terminal did not create to the token book (the Demo merchant's built-in
    /// cards), keeping anything already known about them; the customers of a token already in
    /// the book are added when it does not know them yet. The terminal's own set-up at start,
    /// before anyone signs in: nothing is sent, so no operator's right is asked.
    ///
    /// # Errors
    /// A record the journal refuses (a card number that is not masked), or a journal failure.
    pub async fn add_to_token_book(&self, records: Vec<TokenRecord>) -> Result<(), ServiceError> {
        self.refuse_offline()?;
        self.journal(move |j| {
            for record in &records {
                if j.token(&record.profile, &record.token_name)?.is_some() {
                    j.add_token_customers(&record.profile, &record.token_name, &record.customers)?;
                } else {
                    j.upsert_token(record)?;
                }
            }
            Ok(())
        })
        .await
    }

    /// The token book, filtered by a customer's name, email or phone, the last 4 digits or the
    /// token name; each token with every customer seen with it (those found first).
    ///
    /// # Errors
    /// Journal failure.
    pub async fn tokens(&self, profile: &str, query: &str) -> Result<Vec<TokenRecord>, ServiceError> {
        self.allow(crate::service::access::Right::Tokens).await?;
        let (p, q) = (profile.to_owned(), query.trim().to_owned());
        self.journal(move |j| j.tokens(&p, &q)).await
    }
}

/// What an answer from APS says of a token, for the token book. APS echoes every parameter of
/// the request, so the customer is the order's: its email, name and phone, when it had them.
pub(super) fn token_record(profile: &str, token: &str, response: &Params) -> TokenRecord {
    let customer = TokenCustomer::new(
        text(response, "customer_name").as_deref(),
        text(response, "customer_email").as_deref(),
        text(response, "phone_number").as_deref(),
    );
    TokenRecord {
        profile: profile.to_owned(),
        token_name: token.to_owned(),
        masked_card: text(response, "card_number"),
        expiry: text(response, "expiry_date"),
        brand: text(response, "card_brand").or_else(|| text(response, "payment_option")),
        holder_name: text(response, "card_holder_name"),
        customers: if customer.is_empty() { Vec::new() } else { vec![customer] },
        status: text(response, "token_status").unwrap_or_else(|| "ACTIVE".into()),
    }
}
