//! Recurring agreements, as APS keeps them (spec 3.4): a customer's first payment that carries
//! `recurring_mode` sets one up (under the merchant's `agreement_id`, or one APS makes), and
//! each later RECURRING purchase must fit it: the same token, within its number of payments and
//! before its expiry date.
//!
//! The simulator's own choices where APS's behaviour is UNKNOWN: a set-up without its count or
//! expiry date, or without the days between payments, is refused as a missing parameter
//! (`00001`); an agreement id already in use is refused (`00033`, value not allowed), as is a
//! RECURRING purchase outside its agreement. An agreement id the simulator never saw (set up
//! before its state began) is accepted.

use super::super::engine::{put, random_digits, text};
use super::super::state::State;
use crate::aps::Params;
use serde::{Deserialize, Serialize};

/// One agreement APS holds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Agreement {
    pub token_name: String,
    /// `FIXED`, `VARIABLE` or `UNSCHEDULED`.
    pub mode: String,
    pub transactions_count: Option<u32>,
    /// YYYY-MM-DD.
    pub expiry_date: Option<String>,
    pub days_between_payments: u32,
    /// Payments made under it, the first one included.
    pub payments: u32,
}

/// A request message code for why APS refuses it.
type Refusal = &'static str;

/// A charge's agreement, checked: the one a first payment sets up (`None` when it sets up
/// none), or the one a RECURRING purchase is charged under.
pub(crate) fn checked(st: &State, req: &Params) -> Result<Option<(String, Agreement)>, Refusal> {
    let today = chrono::Utc::now().date_naive().to_string();
    check_recurring(st, req, &today)?;
    requested(st, req)
}

/// The agreement a first payment asks to set up, checked; `None` when it sets up none.
fn requested(st: &State, req: &Params) -> Result<Option<(String, Agreement)>, Refusal> {
    let Some(mode) = text(req, "recurring_mode") else { return Ok(None) };
    if text(req, "eci") == Some("RECURRING") {
        return Err("033");
    }
    let count = text(req, "recurring_transactions_count").map(str::parse::<u32>);
    let expiry = text(req, "recurring_expiry_date");
    let days = text(req, "recurring_days_between_payments").map(str::parse::<u32>);
    let (count, days) = match (count, days) {
        (Some(Err(_)), _) | (_, Some(Err(_))) => return Err("002"),
        (count, Some(Ok(days))) => (count.and_then(Result::ok), days),
        (_, None) => return Err("001"),
    };
    if mode != "UNSCHEDULED" && count.is_none() && expiry.is_none() {
        return Err("001");
    }
    let id = match text(req, "agreement_id") {
        Some(id) if st.agreements.contains_key(id) => return Err("033"),
        Some(id) => id.to_owned(),
        // Shaped like APS's example (`115170000001`, spec 3.4): 12 digits starting with 1.
        None => format!("1{}", random_digits(11)),
    };
    let agreement = Agreement {
        token_name: text(req, "token_name").unwrap_or_default().to_owned(),
        mode: mode.to_owned(),
        transactions_count: count,
        expiry_date: expiry.map(str::to_owned),
        days_between_payments: days,
        payments: 1,
    };
    Ok(Some((id, agreement)))
}

/// Checks a RECURRING purchase against its agreement, if APS holds it.
fn check_recurring(st: &State, req: &Params, today: &str) -> Result<(), Refusal> {
    if text(req, "eci") != Some("RECURRING") {
        return Ok(());
    }
    let Some(agreement) = text(req, "agreement_id").and_then(|id| st.agreements.get(id)) else {
        return Ok(());
    };
    let same_card = text(req, "token_name") == Some(agreement.token_name.as_str());
    let within_count = agreement.transactions_count.is_none_or(|n| agreement.payments < n);
    let within_date = agreement.expiry_date.as_deref().is_none_or(|last| today <= last);
    if same_card && within_count && within_date { Ok(()) } else { Err("033") }
}

/// Records an approved payment under its agreement: a new one, or one more RECURRING charge.
pub(crate) fn approved(st: &mut State, req: &Params, set_up: Option<(String, Agreement)>, out: &mut Params) {
    if let Some((id, agreement)) = set_up {
        put(out, "agreement_id", id.clone());
        st.agreements.insert(id, agreement);
    } else if text(req, "eci") == Some("RECURRING")
        && let Some(agreement) = text(req, "agreement_id").and_then(|id| st.agreements.get_mut(id))
    {
        agreement.payments += 1;
    }
}
