//! Reading rows back: the column lists and the conversions from SQLite and PostgreSQL rows to the journal's
//! types, strict about anything a damaged or newer file could hold.

use super::*;

pub(crate) const ORDER_COLUMNS: &str =
    "id, profile, merchant_reference, kind, channel, currency, amount_minor, state,
    authorized_minor, captured_minor, refunded_minor, fort_id, last_response_code, last_message, token_name,
    masked_card, last4, card_fingerprint, customer_email, customer_name, description, operator, created_at,
    updated_at, attention, extra, terminal";

pub(crate) const OPERATION_COLUMNS: &str =
    "id, profile, merchant_reference, operation, maintenance_reference, amount_minor,
    currency, state, response_code, response_message, operator, at, finished_at, note, owner, deadline, approved_by";

pub(crate) use super::db::{DbRow, bad};

pub(crate) fn named<T: Copy>(
    all: &[T],
    name: fn(T) -> &'static str,
    text: &str,
    what: &str,
) -> Result<T, String> {
    all.iter().copied().find(|v| name(*v) == text).ok_or_else(|| format!("unknown {what} \"{text}\""))
}

pub(crate) fn parse_op_state(text: &str) -> Result<OpState, String> {
    named(&OpState::ALL, OpState::as_str, text, "operation state")
}

pub(crate) fn parse_currency(code: &str) -> Result<Currency, String> {
    Currency::parse(code).map_err(|e| e.to_string())
}

pub(crate) fn parse_extra(text: &str) -> Result<Extra, String> {
    match serde_json::from_str(text) {
        Ok(serde_json::Value::Object(map)) => Ok(map),
        _ => Err("extra order details are not a JSON object".to_owned()),
    }
}

pub(crate) fn parse_ts(text: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| format!("\"{text}\" is not an RFC 3339 time"))
}

/// Reads column `idx` as text and converts it, reporting a conversion failure with the column.
pub(crate) fn col<T>(
    row: &DbRow<'_>,
    idx: usize,
    convert: impl FnOnce(&str) -> Result<T, String>,
) -> Result<T, JournalError> {
    let text: String = row.get(idx)?;
    convert(&text).map_err(|what| bad(idx, what))
}

pub(crate) fn col_amount(row: &DbRow<'_>, idx: usize) -> Result<u64, JournalError> {
    let v: i64 = row.get(idx)?;
    u64::try_from(v).map_err(|_| bad(idx, format!("negative amount {v}")))
}

pub(crate) fn order_from_row(row: &DbRow<'_>) -> Result<(i64, OrderRow), JournalError> {
    let token_name: Option<String> = row.get(14)?;
    let masked_card: Option<String> = row.get(15)?;
    let kind = col(row, 3, |t| named(&OrderKind::ALL, OrderKind::as_str, t, "order kind"))?;
    let payment_method = match (&masked_card, &token_name) {
        (Some(card), Some(token)) => format!("{token} ({card})"),
        (Some(card), None) => card.clone(),
        (None, Some(token)) => token.clone(),
        (None, None) if kind == OrderKind::PaymentLink => "payment link".to_owned(),
        (None, None) => "taken outside this terminal".to_owned(),
    };
    let order = OrderRow {
        profile: row.get(1)?,
        merchant_reference: row.get(2)?,
        kind,
        channel: col(row, 4, |t| named(&Channel::ALL, Channel::as_str, t, "channel"))?,
        currency: col(row, 5, parse_currency)?,
        amount_minor: col_amount(row, 6)?,
        state: col(row, 7, |t| named(&OrderState::ALL, OrderState::as_str, t, "order state"))?,
        authorized_minor: col_amount(row, 8)?,
        captured_minor: col_amount(row, 9)?,
        refunded_minor: col_amount(row, 10)?,
        fort_id: row.get(11)?,
        last_response_code: row.get(12)?,
        last_message: row.get(13)?,
        payment_method,
        token_name,
        masked_card,
        last4: row.get(16)?,
        card_fingerprint: row.get(17)?,
        customer_email: row.get(18)?,
        customer_name: row.get(19)?,
        description: row.get(20)?,
        operator: row.get(21)?,
        created_at: col(row, 22, parse_ts)?,
        updated_at: col(row, 23, parse_ts)?,
        needs_attention: row.get(24)?,
        extra: col(row, 25, parse_extra)?,
        terminal: row.get(26)?,
    };
    Ok((row.get(0)?, order))
}

pub(crate) fn operation_from_row(row: &DbRow<'_>) -> Result<OperationRow, JournalError> {
    let amount_minor: Option<i64> = row.get(5)?;
    let currency: Option<String> = row.get(6)?;
    let amount = match (amount_minor, currency) {
        (Some(minor), Some(code)) => {
            let currency = parse_currency(&code).map_err(|e| bad(6, e))?;
            let minor = u64::try_from(minor).map_err(|_| bad(5, format!("negative amount {minor}")))?;
            Some(Money::from_minor(minor, currency).map_err(|e| bad(5, e.to_string()))?)
        }
        _ => None,
    };
    let finished_at: Option<String> = row.get(12)?;
    let deadline: Option<String> = row.get(15)?;
    Ok(OperationRow {
        id: OpId(row.get(0)?),
        profile: row.get(1)?,
        merchant_reference: row.get(2)?,
        operation: col(row, 3, |t| {
            Operation::from_wire(t).ok_or_else(|| format!("unknown operation \"{t}\""))
        })?,
        maintenance_reference: row.get(4)?,
        amount,
        state: col(row, 7, parse_op_state)?,
        response_code: row.get(8)?,
        response_message: row.get(9)?,
        operator: row.get(10)?,
        at: col(row, 11, parse_ts)?,
        finished_at: finished_at.map(|t| parse_ts(&t).map_err(|e| bad(12, e))).transpose()?,
        note: row.get(13)?,
        owner: row.get(14)?,
        deadline: deadline.map(|t| parse_ts(&t).map_err(|e| bad(15, e))).transpose()?,
        approved_by: row.get(16)?,
    })
}
