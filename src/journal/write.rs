//! The statements behind the journal's writes and their checks, shared by the order,
//! operation, agreement, link and token code.

use super::*;

/// Finishes an operation and updates its order, inside the write transaction; returns the
/// order as it now stands (`None` if that row cannot be read back: the outcome is written all
/// the same).
pub(crate) fn write_outcome(
    tx: Db<'_>,
    id: OpId,
    result: &OpResult,
    update: &OrderUpdate,
) -> Result<Option<OrderRow>, JournalError> {
    let order_id = finish_operation_in(tx, id, result)?.ok_or_else(|| JournalError::Invalid {
        field: Field::Operation,
        problem: format!("operation {id} belongs to no order; use finish_operation"),
    })?;
    update_order_in(tx, order_id, update)
}

/// The duplicate guard's query on `column` (`token_name` or `card_fingerprint`). It reads
/// only that card's or token's orders of that amount (`orders_same_token`, `orders_same_card`):
/// a batch of many thousand rows inside the guard's ten minutes must not read all of them for
/// each new row.
pub(crate) fn duplicate_sql(column: &str) -> String {
    format!(
        "SELECT {ORDER_COLUMNS} FROM orders
             WHERE profile = ?1 AND {column} = ?2 AND amount_minor = ?3 AND currency = ?4 AND created_at >= ?5
               AND state NOT IN ('declined', 'rejected')
               AND NOT (state = 'not_sent' AND NOT EXISTS (
                   SELECT 1 FROM operations p WHERE p.order_id = orders.id AND p.state = 'resolved'))
             ORDER BY created_at DESC, id DESC LIMIT 1"
    )
}

/// What the duplicate guard serialises on: the profile and the card or token (`None` for a
/// payment link or an order taken elsewhere, which the guard never matches).
pub(crate) fn guard_key(profile: &str, method: &PaymentMethod) -> Option<String> {
    match method {
        PaymentMethod::Token { token_name, .. } => {
            Some(format!("duplicate guard {profile} token {token_name}"))
        }
        PaymentMethod::Card { fingerprint, .. } => {
            Some(format!("duplicate guard {profile} card {}", fingerprint.as_str()))
        }
        PaymentMethod::Link | PaymentMethod::Outside => None,
    }
}

pub(crate) fn duplicate_in(
    db: Db<'_>,
    profile: &str,
    method: &PaymentMethod,
    amount: Money,
    since: DateTime<Utc>,
) -> Result<Option<OrderRow>, JournalError> {
    let (column, key) = match method {
        PaymentMethod::Token { token_name, .. } => ("token_name", token_name.as_str()),
        PaymentMethod::Card { fingerprint, .. } => ("card_fingerprint", fingerprint.as_str()),
        PaymentMethod::Link | PaymentMethod::Outside => return Ok(None),
    };
    let minor = sql_amount(Field::Amount, amount.minor_units())?;
    let (currency, since) = (amount.currency().code(), ts(&since));
    let row =
        db.query_opt(&duplicate_sql(column), params![profile, key, minor, currency, since], order_from_row)?;
    Ok(row.map(|(_, o)| o))
}

pub(crate) use super::db::is_unique_violation;

/// Refuses an empty identifier, or one that holds a card number: a card typed as a token
/// name, a reference or an agreement id would otherwise be stored in clear. References the
/// terminal makes never hold a run of 12 or more digits, so only a typed one can trip this.
pub(crate) fn require(field: Field, value: &str) -> Result<(), JournalError> {
    if value.trim().is_empty() {
        return Err(JournalError::Invalid { field, problem: "must not be empty".to_owned() });
    }
    refuse_card_numbers(field.label(), value)
}

pub(crate) fn check_text(field: &'static str, value: Option<&str>) -> Result<(), JournalError> {
    value.map_or(Ok(()), |v| refuse_card_numbers(field, v))
}

pub(crate) fn validate_update(update: &OrderUpdate) -> Result<(), JournalError> {
    check_text("needs attention reason", update.needs_attention.as_ref().and_then(Option::as_deref))?;
    check_text("response message", update.last_message.as_deref())?;
    if let Some(extra) = &update.extra {
        super::card_guard::refuse_card_numbers_in_extra(extra)?;
    }
    // fort_id is the one identifier not scanned for card numbers: it is APS's own order id
    // (up to 20 digits), copied from APS's signed answer and never typed by a person, and one
    // in ten of them would pass the Luhn check. It must be digits only, which is checked here.
    if let Some(fort_id) = &update.fort_id
        && (fort_id.is_empty() || fort_id.len() > 20 || !fort_id.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(JournalError::Invalid {
            field: Field::FortId,
            problem: "must be 1 to 20 digits".to_owned(),
        });
    }
    Ok(())
}

pub(crate) fn sql_amount(field: Field, minor: u64) -> Result<i64, JournalError> {
    i64::try_from(minor)
        .map_err(|_| JournalError::Invalid { field, problem: "amount is too large".to_owned() })
}

/// Fixed-width UTC RFC 3339, so text order is time order in SQL comparisons.
pub(crate) fn ts(at: &DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

pub(crate) fn order_id(db: Db<'_>, profile: &str, reference: &str) -> Result<Option<i64>, JournalError> {
    db.query_opt(
        "SELECT id FROM orders WHERE profile = ?1 AND merchant_reference = ?2",
        params![profile, reference],
        |r| r.get(0),
    )
}

pub(crate) fn insert_operation(
    db: Db<'_>,
    order_id: Option<i64>,
    op: &NewOperation,
) -> Result<OpId, JournalError> {
    let amount = op.amount.map(|m| sql_amount(Field::Amount, m.minor_units())).transpose()?;
    let id = db.query_one(
        "INSERT INTO operations (order_id, profile, merchant_reference, operation, maintenance_reference,
            amount_minor, currency, state, operator, at, note, owner, deadline, batch_row, approved_by)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'intent', ?8, ?9, ?10, ?11, ?12, ?13, ?14) RETURNING id",
        params![
            order_id,
            op.profile,
            op.merchant_reference,
            op.operation.wire_name(),
            op.maintenance_reference,
            amount,
            op.amount.map(|m| m.currency().code()),
            op.operator,
            ts(&op.at),
            op.note,
            op.lease.as_ref().map(|l| l.owner.as_str()),
            op.lease.as_ref().map(|l| ts(&l.deadline)),
            op.batch_row,
            op.approved_by,
        ],
        |r| r.get(0),
    )?;
    Ok(OpId(id))
}

/// Returns the operation's order id, if it has one.
pub(crate) fn finish_operation_in(
    db: Db<'_>,
    id: OpId,
    result: &OpResult,
) -> Result<Option<i64>, JournalError> {
    if result.state == OpState::Intent {
        return Err(JournalError::Invalid {
            field: Field::OperationResult,
            problem: "an outcome cannot be Intent; use Unknown when the answer is not known".to_owned(),
        });
    }
    check_text("note", result.note.as_deref())?;
    check_text("response message", result.response_message.as_deref())?;
    // Only while it is open, in one statement: of two desks finishing it at once (its sender and
    // another desk's reconciliation), the second finds it finished instead of overwriting it.
    let finished: Option<Option<i64>> = db.query_opt(
        "UPDATE operations SET state = ?2, response_code = ?3, response_message = ?4,
            note = COALESCE(?5, note), finished_at = ?6
         WHERE id = ?1 AND state IN ('intent', 'unknown') RETURNING order_id",
        params![
            id.0,
            result.state.as_str(),
            result.response_code,
            result.response_message,
            result.note,
            ts(&result.at)
        ],
        |r| r.get(0),
    )?;
    if let Some(order_id) = finished {
        return Ok(order_id);
    }
    let state: String = db
        .query_opt("SELECT state FROM operations WHERE id = ?1", params![id.0], |r| r.get(0))?
        .ok_or(JournalError::OperationNotFound(id))?;
    let state = parse_op_state(&state).map_err(JournalError::Corrupt)?;
    Err(JournalError::OperationAlreadyFinished { id, state })
}

/// Applies `u` to the order; returns the order as it now stands (`None` if the row cannot be
/// read back).
pub(crate) fn update_order_in(
    db: Db<'_>,
    order_id: i64,
    u: &OrderUpdate,
) -> Result<Option<OrderRow>, JournalError> {
    let extra = match &u.extra {
        Some(add) => {
            // Read, merged and written back in one step for every desk of a team journal.
            db.lock(&format!("order id {order_id}"))?;
            let current: String =
                db.query_one("SELECT extra FROM orders WHERE id = ?1", params![order_id], |r| r.get(0))?;
            let mut map = parse_extra(&current).map_err(JournalError::Corrupt)?;
            map.extend(add.clone());
            Some(serde_json::Value::Object(map).to_string())
        }
        None => None,
    };
    let amount = |field, v: Option<u64>| v.map(|m| sql_amount(field, m)).transpose();
    let (attention_set, attention) = match &u.needs_attention {
        Some(reason) => (true, reason.clone()),
        None => (false, None),
    };
    let sql = format!(
        "UPDATE orders SET
            state = COALESCE(?2, state),
            authorized_minor = COALESCE(?3, authorized_minor),
            captured_minor = COALESCE(?4, captured_minor),
            refunded_minor = COALESCE(?5, refunded_minor),
            fort_id = COALESCE(?6, fort_id),
            last_response_code = COALESCE(?7, last_response_code),
            last_message = COALESCE(?8, last_message),
            attention = CASE WHEN ?9 THEN ?10 ELSE attention END,
            masked_card = COALESCE(?11, masked_card),
            last4 = COALESCE(?12, last4),
            extra = COALESCE(?13, extra),
            updated_at = ?14
         WHERE id = ?1 RETURNING {ORDER_COLUMNS}"
    );
    let row = db.query_opt(
        &sql,
        params![
            order_id,
            u.state.map(OrderState::as_str),
            amount(Field::Amount, u.authorized_minor)?,
            amount(Field::Amount, u.captured_minor)?,
            amount(Field::Amount, u.refunded_minor)?,
            u.fort_id,
            u.last_response_code,
            u.last_message,
            attention_set,
            attention,
            u.masked_card.as_ref().map(MaskedCard::as_str),
            u.masked_card.as_ref().and_then(MaskedCard::last4),
            extra,
            ts(&Utc::now()),
        ],
        |r| Ok(order_from_row(r).ok().map(|(_, order)| order)),
    )?;
    Ok(row.flatten())
}
