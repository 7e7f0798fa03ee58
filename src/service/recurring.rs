//! Recurring agreements on stored cards, and charging the ones that are due.

use super::Field;
use super::tokens::non_empty;
use super::{Service, ServiceError};
use crate::aps::money::{Currency, Money};
use crate::journal::Agreement;
use chrono::Utc;

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
    /// `daily`, `weekly`, `monthly`, `annual`, or a number of days (1 to 366), as typed.
    pub cycle: String,
    /// YYYY-MM-DD; empty means today.
    pub first_due: String,
    /// `fixed` (the same amount every time, the default) or `variable`.
    pub mode: String,
    /// How many payments the customer agreed to in all (the first one included), or empty.
    pub payments: String,
    /// The last date a payment may be taken, YYYY-MM-DD, or empty.
    pub until: String,
    /// Take the first payment even if the same card paid the same amount minutes ago.
    pub allow_duplicate: bool,
}

impl Service {
    /// Registers a recurring agreement on a stored token.
    ///
    /// # Errors
    /// A field is wrong (named), or the journal cannot be written.
    pub async fn add_agreement(&self, profile: &str, draft: AgreementDraft) -> Result<i64, ServiceError> {
        self.allow(crate::service::access::Right::Recurring).await?;
        self.refuse_offline()?;
        let in_book = self.token_in_book(profile, &draft.token_name).await?;
        let new = checked_agreement(profile, &draft, in_book)?;
        let id = self.journal(move |j| j.add_agreement(&new)).await?;
        self.note("recurring-add", "ok", &format!("agreement {id} on profile {profile}")).await;
        Ok(id)
    }

    /// Pauses or resumes an agreement.
    ///
    /// # Errors
    /// No such agreement, or the journal cannot be written.
    pub async fn set_agreement_active(&self, id: i64, active: bool) -> Result<(), ServiceError> {
        self.allow(crate::service::access::Right::Recurring).await?;
        self.refuse_offline()?;
        let cancelled =
            self.journal(move |j| j.agreement(id)).await?.is_some_and(|a| a.cancelled_at.is_some());
        if active && cancelled {
            return Err(ServiceError::invalid(
                Field::Agreement,
                format!("agreement {id} was cancelled and cannot be resumed: add a new agreement"),
            ));
        }
        let update = crate::journal::AgreementUpdate { active: Some(active), ..Default::default() };
        self.journal(move |j| j.update_agreement(id, &update)).await?;
        let action = if active { "recurring-resume" } else { "recurring-pause" };
        self.note(action, "ok", &format!("agreement {id}")).await;
        Ok(())
    }

    /// Cancels an agreement for good: it is never charged again.
    ///
    /// # Errors
    /// No such agreement, or the journal cannot be written.
    pub async fn cancel_agreement(&self, id: i64) -> Result<(), ServiceError> {
        self.allow(crate::service::access::Right::Recurring).await?;
        self.refuse_offline()?;
        self.journal(move |j| j.cancel_agreement(id, Utc::now())).await?;
        self.note("recurring-cancel", "ok", &format!("agreement {id}")).await;
        Ok(())
    }

    /// Recurring agreements of a profile.
    ///
    /// # Errors
    /// Journal failure.
    pub async fn agreements(&self, profile: &str) -> Result<Vec<Agreement>, ServiceError> {
        self.allow(crate::service::access::Right::OwnHistory).await?;
        let p = profile.to_owned();
        self.journal(move |j| j.agreements(Some(&p))).await
    }
}

/// An agreement as typed, checked field by field: each mistake names its field.
/// `in_book`: the token book holds its token (see `guard::token_name`).
pub(super) fn checked_agreement(
    profile: &str,
    draft: &AgreementDraft,
    in_book: bool,
) -> Result<crate::journal::NewAgreement, ServiceError> {
    super::guard::agreement(draft, in_book)?;
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
    let currency = Currency::parse(&draft.currency).map_err(|e| ServiceError::invalid(Field::Currency, e))?;
    let amount =
        Money::parse(&draft.amount, currency).map_err(|e| ServiceError::invalid(Field::Amount, e))?;
    let cycle = crate::journal::Cycle::parse(&draft.cycle)
        .map_err(|e| ServiceError::invalid(Field::IntervalDays, e))?;
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
        cycle,
        next_due,
        created_at: Utc::now(),
        limit: super::recurring_setup::agreement_limit(draft, Utc::now().date_naive())?,
    };
    Ok(new)
}

/// A recurring charge's reference: the installation's prefix, the due date and the agreement,
/// e.g. `RC-KQZT-20261204-N12`. The same agreement and due date always give the same reference,
/// so running the same day twice cannot charge twice; the prefix keeps two installations on one
/// merchant account apart, and the letter keeps the digits from running together.
pub(super) fn recurring_reference(prefix: &str, agreement: i64, due: chrono::NaiveDate) -> String {
    format!("RC-{prefix}-{}-N{agreement}", due.format("%Y%m%d"))
}
