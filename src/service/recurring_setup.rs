//! A recurring agreement set up with APS through the customer's first payment (spec 3.4): the
//! customer is on the phone, the agent takes the first payment from the saved card (a MOTO
//! PURCHASE, customer-initiated) with the agreement's set-up fields, and once APS approves it
//! the agreement is registered here for the merchant-initiated charges that follow. Its
//! `agreement_id` is the merchant's own, or one the terminal makes from the payment's reference
//! (`AG` and the reference's letters and digits), sent with the payment so it is known even if
//! the answer is lost; an id APS's answer names instead wins.
//!
//! UNKNOWNs resolved on the safe side (spec 3.4 has the fields from the SDKs only):
//! - The number of payments counts the first one: an agreement for 12 payments is charged 11
//!   more times here, so the customer is never charged more often than agreed.
//! - `recurring_days_between_payments` is the least number of days between two charges: 1 for
//!   daily, 7 weekly, 28 monthly (the shortest month), 365 annual, or the number of days.
//! - Only `FIXED` and `VARIABLE` are offered: a terminal that charges on a calendar has a
//!   schedule, so `UNSCHEDULED` does not describe it.
//! - Whether APS keeps a merchant's `agreement_id` or makes its own is UNKNOWN: one is always
//!   sent, and the one APS's answer names is kept.

use super::charge::ChargeDraft;
use super::recurring::{AgreementDraft, checked_agreement};
use super::tokens::non_empty;
use super::{Field, Outcome, PaymentDraft, Progress, Service, ServiceError};
use crate::aps::command::{RecurringLimit, RecurringMode, RecurringSetup};
use crate::aps::response::Kind;
use crate::journal::{AgreementLimit, Cycle, Extra};
use chrono::{Datelike, NaiveDate, Utc};

/// What setting up an agreement did: the first payment's outcome and, when it was approved, the
/// agreement registered.
#[derive(Clone, Debug)]
pub struct AgreementSetUp {
    pub outcome: Outcome,
    /// The agreement's number here (`recurring list`), when the first payment was approved.
    pub agreement: Option<i64>,
    /// The agreement's id with APS, when it was registered.
    pub agreement_id: Option<String>,
    /// When the agreement's next charge falls due.
    pub next_due: Option<NaiveDate>,
}

impl Service {
    /// Takes the customer's first payment with the agreement's set-up fields and, once APS
    /// approves it, registers the agreement; its next charge falls due one cycle later.
    ///
    /// # Errors
    /// A field is wrong (named; nothing sent), or what [`Service::charge`] returns.
    pub async fn set_up_agreement(
        &self,
        profile: &str,
        draft: AgreementDraft,
        progress: &Progress,
    ) -> Result<AgreementSetUp, ServiceError> {
        self.allow(crate::service::access::Right::Recurring).await?;
        let in_book = self.token_in_book(profile, &draft.token_name).await?;
        let (mut new, setup) = checked_set_up(profile, &draft, in_book)?;
        let today = Utc::now().date_naive();
        let reference = self.new_reference().await?;
        // Without the merchant's own id, the terminal names the agreement itself, from the first
        // payment's reference: the id is then known even when that payment's answer is lost and a
        // status check (which names no agreement id) settles it.
        if new.agreement_id.is_none() {
            new.agreement_id = Some(format!("AG{}", reference.replace('-', "")));
        }
        let mut charge = ChargeDraft::new(profile, new.amount.currency().code());
        charge.merchant_reference = reference;
        charge.amount = draft.amount.trim().to_owned();
        charge.payment = PaymentDraft::Token(new.token_name.clone());
        charge.customer_email = new.customer_email.clone();
        charge.customer_name = new.customer_name.clone().unwrap_or_default();
        charge.agreement_id = new.agreement_id.clone();
        charge.recurring_setup = Some(setup);
        charge.allow_duplicate = draft.allow_duplicate;
        let outcome = self.charge(charge, progress).await?;
        if outcome.verdict.kind != Kind::Approved {
            return Ok(AgreementSetUp { outcome, agreement: None, agreement_id: None, next_due: None });
        }
        let from_aps = outcome
            .order
            .as_ref()
            .and_then(|o| o.extra.get("agreement_id"))
            .and_then(|v| v.as_str())
            .map(str::to_owned);
        new.agreement_id = from_aps.or(new.agreement_id);
        new.next_due = today;
        new.limit = Some(match setup.limit {
            RecurringLimit::Payments(n) => AgreementLimit::PaymentsLeft(u32::from(n)),
            RecurringLimit::Until(date) => AgreementLimit::Until(date),
        });
        let next_due = new.cycle.next(today, today.day());
        let reference = outcome.merchant_reference.clone();
        let agreement_id = new.agreement_id.clone();
        // The first payment counts as one of the agreement's payments.
        let id = self
            .record(move |j| {
                let id = j.add_agreement(&new)?;
                j.mark_charged(id, &reference, next_due)?;
                Ok(id)
            })
            .await?;
        self.note("recurring-add", "ok", &format!("agreement {id} on profile {}", outcome.profile)).await;
        Ok(AgreementSetUp { outcome, agreement: Some(id), agreement_id, next_due: Some(next_due) })
    }
}

/// Checks an agreement as typed, sending nothing: with `first_payment`, as
/// [`Service::set_up_agreement`] takes it, else as [`Service::add_agreement`] does. For a form
/// to name the field before its read-back.
///
/// # Errors
/// The first field that is wrong, named.
pub fn check_agreement(draft: &AgreementDraft, first_payment: bool) -> Result<(), ServiceError> {
    // The form cannot ask the token book: a name shaped as APS issues them is judged as APS's
    // identifier here, and scanned in full by the service unless the book holds it.
    let in_book = crate::aps::card::identifier_shaped(&draft.token_name);
    if first_payment {
        checked_set_up("-", draft, in_book).map(drop)
    } else {
        checked_agreement("-", draft, in_book).map(drop)
    }
}

fn checked_set_up(
    profile: &str,
    draft: &AgreementDraft,
    in_book: bool,
) -> Result<(crate::journal::NewAgreement, RecurringSetup), ServiceError> {
    if non_empty(&draft.first_due).is_some() {
        return Err(ServiceError::invalid(
            Field::FirstDue,
            "the first payment is taken now and the next falls due one cycle later: leave the first charge date empty",
        ));
    }
    let new = checked_agreement(profile, draft, in_book)?;
    let setup = recurring_setup(draft, new.cycle, Utc::now().date_naive())?;
    Ok((new, setup))
}

/// The set-up fields from what was typed: the mode, where the agreement ends (one of the
/// number of payments or the last date, required) and the days between payments.
fn recurring_setup(
    draft: &AgreementDraft,
    cycle: Cycle,
    today: NaiveDate,
) -> Result<RecurringSetup, ServiceError> {
    let mode = match draft.mode.trim().to_ascii_lowercase().as_str() {
        "" | "fixed" => RecurringMode::Fixed,
        "variable" => RecurringMode::Variable,
        _ => {
            return Err(ServiceError::invalid(
                Field::RecurringMode,
                "choose fixed (the same amount every time) or variable",
            ));
        }
    };
    let limit = match agreement_limit(draft, today)? {
        Some(AgreementLimit::PaymentsLeft(n)) if n >= 2 => RecurringLimit::Payments(n as u16),
        Some(AgreementLimit::PaymentsLeft(_)) => {
            return Err(ServiceError::invalid(
                Field::RecurringTransactionsCount,
                "an agreement has at least 2 payments, the first one included",
            ));
        }
        Some(AgreementLimit::Until(date)) => RecurringLimit::Until(date),
        None => {
            return Err(ServiceError::invalid(
                Field::RecurringTransactionsCount,
                "give how many payments the customer agreed to (the first one included), or the last payment date",
            ));
        }
    };
    Ok(RecurringSetup { mode, limit, days_between: least_days(cycle) })
}

/// Where an agreement ends, as typed: a number of payments (1 to 999) or a last date after
/// today; `None` when neither is given.
///
/// # Errors
/// Both given, or either unreadable; the error names the field.
pub(super) fn agreement_limit(
    draft: &AgreementDraft,
    today: NaiveDate,
) -> Result<Option<AgreementLimit>, ServiceError> {
    match (non_empty(&draft.payments), non_empty(&draft.until)) {
        (Some(_), Some(_)) => Err(ServiceError::invalid(
            Field::RecurringExpiryDate,
            "give the number of payments or the last payment date, not both",
        )),
        (Some(count), None) => match count.parse::<u32>() {
            Ok(n) if (1..=999).contains(&n) => Ok(Some(AgreementLimit::PaymentsLeft(n))),
            _ => Err(ServiceError::invalid(
                Field::RecurringTransactionsCount,
                "type the number of payments as a whole number from 1 to 999",
            )),
        },
        (None, Some(date)) => match NaiveDate::parse_from_str(&date, "%Y-%m-%d") {
            Ok(date) if date > today => Ok(Some(AgreementLimit::Until(date))),
            Ok(_) => Err(ServiceError::invalid(
                Field::RecurringExpiryDate,
                "the last payment date must be after today",
            )),
            Err(_) => Err(ServiceError::invalid(
                Field::RecurringExpiryDate,
                "type the last payment date as YYYY-MM-DD",
            )),
        },
        (None, None) => Ok(None),
    }
}

/// The least number of days between two charges of a cycle (module docs).
fn least_days(cycle: Cycle) -> u16 {
    match cycle {
        Cycle::Days(n) => u16::try_from(n).unwrap_or(366),
        Cycle::Weekly => 7,
        Cycle::Monthly => 28,
        Cycle::Annual => 365,
    }
}

/// Keeps a first payment's set-up fields with its order, so sending it again sets up the same
/// agreement.
pub(super) fn setup_into(setup: &RecurringSetup, extra: &mut Extra) {
    extra.insert("recurring_mode".into(), setup.mode.wire().into());
    match setup.limit {
        RecurringLimit::Payments(n) => {
            extra.insert("recurring_transactions_count".into(), n.to_string().into())
        }
        RecurringLimit::Until(d) => extra.insert("recurring_expiry_date".into(), d.to_string().into()),
    };
    extra.insert("recurring_days_between_payments".into(), setup.days_between.to_string().into());
}

/// The set-up fields [`setup_into`] kept, if the order has them.
pub(super) fn setup_from(extra: &Extra) -> Option<RecurringSetup> {
    let field = |name: &str| extra.get(name).and_then(|v| v.as_str());
    let mode = match field("recurring_mode")? {
        "FIXED" => RecurringMode::Fixed,
        "VARIABLE" => RecurringMode::Variable,
        _ => return None,
    };
    let limit = match (field("recurring_transactions_count"), field("recurring_expiry_date")) {
        (Some(n), _) => RecurringLimit::Payments(n.parse().ok()?),
        (None, Some(d)) => RecurringLimit::Until(NaiveDate::parse_from_str(d, "%Y-%m-%d").ok()?),
        (None, None) => return None,
    };
    let days_between = field("recurring_days_between_payments")?.parse().ok()?;
    Some(RecurringSetup { mode, limit, days_between })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft(payments: &str, until: &str) -> AgreementDraft {
        AgreementDraft { payments: payments.into(), until: until.into(), ..Default::default() }
    }

    fn day(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    fn refused(result: Result<RecurringSetup, ServiceError>) -> Field {
        match result {
            Err(ServiceError::Invalid { field, .. }) => field,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_set_up_fields_come_from_the_cycle_and_the_limit_typed() {
        let today = day("2026-12-06");
        let setup = recurring_setup(&draft("12", ""), Cycle::Monthly, today).unwrap();
        assert_eq!(
            setup,
            RecurringSetup {
                mode: RecurringMode::Fixed,
                limit: RecurringLimit::Payments(12),
                days_between: 28
            }
        );
        let variable = AgreementDraft { mode: "Variable".into(), ..draft("", "2027-12-31") };
        let setup = recurring_setup(&variable, Cycle::Weekly, today).unwrap();
        assert_eq!(
            (setup.mode, setup.limit, setup.days_between),
            (RecurringMode::Variable, RecurringLimit::Until(day("2027-12-31")), 7)
        );
        assert_eq!(recurring_setup(&draft("3", ""), Cycle::Days(10), today).unwrap().days_between, 10);
        assert_eq!(recurring_setup(&draft("3", ""), Cycle::Annual, today).unwrap().days_between, 365);
        let mut extra = Extra::new();
        setup_into(&setup, &mut extra);
        assert_eq!(setup_from(&extra), Some(setup), "sent again, the same agreement");
    }

    #[test]
    fn each_mistake_names_its_field() {
        let today = day("2026-12-06");
        assert_eq!(
            refused(recurring_setup(&draft("", ""), Cycle::Monthly, today)),
            Field::RecurringTransactionsCount
        );
        assert_eq!(
            refused(recurring_setup(&draft("1", ""), Cycle::Monthly, today)),
            Field::RecurringTransactionsCount
        );
        assert_eq!(
            refused(recurring_setup(&draft("1000", ""), Cycle::Monthly, today)),
            Field::RecurringTransactionsCount
        );
        assert_eq!(
            refused(recurring_setup(&draft("twelve", ""), Cycle::Monthly, today)),
            Field::RecurringTransactionsCount
        );
        assert_eq!(
            refused(recurring_setup(&draft("12", "2027-01-01"), Cycle::Monthly, today)),
            Field::RecurringExpiryDate
        );
        assert_eq!(
            refused(recurring_setup(&draft("", "2026-12-06"), Cycle::Monthly, today)),
            Field::RecurringExpiryDate
        );
        assert_eq!(
            refused(recurring_setup(&draft("", "31/12/2027"), Cycle::Monthly, today)),
            Field::RecurringExpiryDate
        );
        let odd = AgreementDraft { mode: "sometimes".into(), ..draft("12", "") };
        assert_eq!(refused(recurring_setup(&odd, Cycle::Monthly, today)), Field::RecurringMode);
    }
}
