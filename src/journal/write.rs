//! The statements behind the journal's writes and their checks, shared by the order,
//! operation, agreement, link and token code.

use super::*;
use db::{ToValue, Value};
use std::borrow::Cow;
use std::sync::LazyLock;

/// Finishes an operation and updates its order, inside the write transaction; returns the
/// order as it now stands (`None` if that row cannot be read back: the outcome is written all
/// the same).
pub(crate) fn write_outcome(
    tx: Db<'_>,
    id: OpId,
    result: &OpResult,
    update: &OrderUpdate,
) -> Result<Option<OrderRow>, JournalError> {
    if tx.is_team() {
        return team_outcome(tx, id, result, update);
    }
    let order_id = finish_operation_in(tx, id, result)?.ok_or_else(|| no_order(id))?;
    update_order_in(tx, order_id, update)
}

fn no_order(id: OpId) -> JournalError {
    JournalError::Invalid {
        field: Field::Operation,
        problem: format!("operation {id} belongs to no order; use finish_operation"),
    }
}

/// [`write_outcome`] on the team journal in one statement, so one round trip with the commit:
/// the order is updated only through the operation this statement finished.
fn team_outcome(
    tx: Db<'_>,
    id: OpId,
    result: &OpResult,
    update: &OrderUpdate,
) -> Result<Option<OrderRow>, JournalError> {
    check_result(result)?;
    let mut values = finish_values(id, result);
    values.extend(order_update_values(update)?);
    let answers = tx.pipeline(&[(&TEAM_OUTCOME, &values)], true)?;
    // A row this version cannot read is still an outcome recorded (`None`, as on SQLite).
    let readable = |r: &DbRow<'_>| Ok(order_from_row(r).ok().map(|(_, order)| order));
    if let Some(order) = answers.first().map(|a| a.first(readable)).transpose()?.flatten() {
        return Ok(order);
    }
    // Nothing changed: say why, in the order SQLite finds it.
    let op: Option<(String, Option<i64>)> =
        tx.query_opt("SELECT state, order_id FROM operations WHERE id = ?1", params![id.0], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?;
    let (state, order_id) = op.ok_or(JournalError::OperationNotFound(id))?;
    let state = parse_op_state(&state).map_err(JournalError::Corrupt)?;
    match order_id {
        _ if !state.is_open() => Err(JournalError::OperationAlreadyFinished { id, state }),
        None => Err(no_order(id)),
        Some(_) => Err(JournalError::Internal(format!("operation {id} is open but was not finished"))),
    }
}

/// [`team_outcome`]'s statement: [`FINISH`] (?1 to ?6), then the order's update (from ?7).
static TEAM_OUTCOME: LazyLock<String> = LazyLock::new(|| {
    format!(
        "WITH finished AS ({FINISH} AND order_id IS NOT NULL RETURNING order_id)
         UPDATE orders SET {} FROM finished WHERE orders.id = finished.order_id RETURNING {ORDER_COLUMNS}",
        order_set(7, Dialect::Pg)
    )
});

/// The duplicate guard's query on `column` (`token_name` or `card_fingerprint`). It reads
/// only that card's or token's orders of that amount (`orders_same_token`, `orders_same_card`):
/// a batch of many thousand rows inside the guard's ten minutes must not read all of them for
/// each new row.
pub(crate) fn duplicate_sql(column: &str) -> String {
    guard_sql(column, ORDER_COLUMNS)
}

/// [`duplicate_sql`] with `select` for its columns.
pub(crate) fn guard_sql(column: &str, select: &str) -> String {
    format!(
        "SELECT {select} FROM orders
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

/// [`duplicate_sql`] on `token_name`, then on `card_fingerprint`.
static DUPLICATE: LazyLock<[String; 2]> =
    LazyLock::new(|| [duplicate_sql("token_name"), duplicate_sql("card_fingerprint")]);

pub(crate) fn duplicate_in(
    db: Db<'_>,
    profile: &str,
    method: &PaymentMethod,
    amount: Money,
    since: DateTime<Utc>,
) -> Result<Option<OrderRow>, JournalError> {
    let (sql, key) = match method {
        PaymentMethod::Token { token_name, .. } => (&DUPLICATE[0], token_name.as_str()),
        PaymentMethod::Card { fingerprint, .. } => (&DUPLICATE[1], fingerprint.as_str()),
        PaymentMethod::Link | PaymentMethod::Outside => return Ok(None),
    };
    let minor = sql_amount(Field::Amount, amount.minor_units())?;
    let (currency, since) = (amount.currency().code(), ts(&since));
    let row = db.query_opt(sql, params![profile, key, minor, currency, since], order_from_row)?;
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
        // What makes the statement's merge a plain replacement of keys (see `order_set`).
        if let Some((key, _)) = extra.iter().find(|(_, v)| !v.is_string()) {
            return Err(JournalError::Internal(format!("the order detail {key} must be text")));
        }
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

/// Inserts an operation as an intent; its order is `order_id`, or when `None` the order of its
/// reference if the profile has one.
pub(crate) fn insert_operation(
    db: Db<'_>,
    order_id: Option<i64>,
    op: &NewOperation,
) -> Result<OpId, JournalError> {
    let values = operation_values(order_id, op)?;
    static SQL: LazyLock<String> = LazyLock::new(|| insert_operation_sql("?1"));
    Ok(OpId(db.insert(&SQL, &values)?))
}

/// The insert of an operation whose order is `order` (an SQL expression; ?1 is the order's
/// id), bound by [`operation_values`].
pub(crate) fn insert_operation_sql(order: &str) -> String {
    format!("{OPERATION_INSERT_INTO} VALUES ({order}, {OPERATION_INSERT_ROW})")
}

pub(crate) const OPERATION_INSERT_INTO: &str = "INSERT INTO operations (order_id, profile,
        merchant_reference, operation, maintenance_reference, amount_minor, currency, state, operator,
        at, note, owner, deadline, batch_row, approved_by)";

/// The operation's row after its order's id (?1), as [`operation_values`] binds it.
pub(crate) const OPERATION_INSERT_ROW: &str =
    "?2, ?3, ?4, ?5, ?6, ?7, 'intent', ?8, ?9, ?10, ?11, ?12, ?13, ?14";

/// `sql` with each parameter `?N` renumbered `?(N + by)`, to place it after others in one
/// statement.
pub(crate) fn shifted(sql: &str, by: usize) -> String {
    let mut out = String::with_capacity(sql.len() + 16);
    let mut rest = sql;
    while let Some(at) = rest.find('?') {
        out.push_str(&rest[..=at]);
        rest = &rest[at + 1..];
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        match rest[..digits].parse::<usize>() {
            Ok(n) => out.push_str(&(n + by).to_string()),
            Err(_) => out.push_str(&rest[..digits]),
        }
        rest = &rest[digits..];
    }
    out.push_str(rest);
    out
}

/// An order's first operation, sent with the order: it finds the order by its reference.
pub(crate) const ITS_ORDER: &str =
    "COALESCE(?1, (SELECT id FROM orders WHERE profile = ?2 AND merchant_reference = ?3))";

/// The parameters of [`insert_operation_sql`].
pub(crate) fn operation_values(
    order_id: Option<i64>,
    op: &NewOperation,
) -> Result<Vec<Value<'_>>, JournalError> {
    let amount = op.amount.map(|m| sql_amount(Field::Amount, m.minor_units())).transpose()?;
    Ok(vec![
        order_id.map_or(Value::Null, Value::Int),
        op.profile.to_value(),
        op.merchant_reference.to_value(),
        op.operation.wire_name().to_value(),
        op.maintenance_reference.to_value(),
        amount.map_or(Value::Null, Value::Int),
        Value::owned(op.amount.map(|m| m.currency().code().to_owned())),
        op.operator.to_value(),
        Value::owned(ts(&op.at)),
        op.note.to_value(),
        op.lease.as_ref().map(|l| l.owner.as_str()).map_or(Value::Null, |o| o.to_value()),
        Value::owned(op.lease.as_ref().map(|l| ts(&l.deadline))),
        op.batch_row.to_value(),
        op.approved_by.to_value(),
    ])
}

/// The update that finishes an operation still open ([`finish_values`] binds it).
const FINISH: &str = "UPDATE operations SET state = ?2, response_code = ?3, response_message = ?4,
        note = COALESCE(?5, note), finished_at = ?6
     WHERE id = ?1 AND state IN ('intent', 'unknown')";

fn finish_values(id: OpId, result: &OpResult) -> Vec<Value<'_>> {
    vec![
        Value::Int(id.0),
        result.state.as_str().to_value(),
        result.response_code.to_value(),
        result.response_message.to_value(),
        result.note.to_value(),
        Value::owned(ts(&result.at)),
    ]
}

/// A text parameter, or NULL.
fn text(v: Option<&str>) -> Value<'_> {
    v.map_or(Value::Null, |t| Value::Text(Cow::Borrowed(t)))
}

fn check_result(result: &OpResult) -> Result<(), JournalError> {
    if result.state == OpState::Intent {
        return Err(JournalError::Invalid {
            field: Field::OperationResult,
            problem: "an outcome cannot be Intent; use Unknown when the answer is not known".to_owned(),
        });
    }
    check_text("note", result.note.as_deref())?;
    check_text("response message", result.response_message.as_deref())
}

/// Returns the operation's order id, if it has one.
pub(crate) fn finish_operation_in(
    db: Db<'_>,
    id: OpId,
    result: &OpResult,
) -> Result<Option<i64>, JournalError> {
    check_result(result)?;
    // Only while it is open, in one statement: of two desks finishing it at once (its sender and
    // another desk's reconciliation), the second finds it finished instead of overwriting it.
    // SQLite reads the order's id after, rather than through RETURNING (see `Db::insert`).
    static SQL: LazyLock<String> = LazyLock::new(|| format!("{FINISH} RETURNING order_id"));
    let values = finish_values(id, result);
    let finished: Option<Option<i64>> = match db {
        Db::Pg(_) => db.query_opt(&SQL, &values, |r| r.get(0))?,
        Db::Lite(_) if db.execute(FINISH, &values)? == 1 => {
            Some(db.query_one("SELECT order_id FROM operations WHERE id = ?1", params![id.0], |r| r.get(0))?)
        }
        Db::Lite(_) => None,
    };
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
    let mut values = vec![Value::Int(order_id)];
    values.extend(order_update_values(u)?);
    let readable = |r: &DbRow<'_>| Ok(order_from_row(r).ok().map(|(_, order)| order));
    // SQLite reads the row after, rather than through RETURNING (see `Db::insert`).
    let row = match db {
        Db::Pg(_) => db.query_opt(&UPDATE_ORDER_RETURNING, &values, readable)?,
        Db::Lite(_) if db.execute(&UPDATE_ORDER, &values)? == 1 => {
            db.query_opt(&READ_ORDER, &values[..1], readable)?
        }
        Db::Lite(_) => None,
    };
    Ok(row.flatten())
}

/// [`update_order_in`]'s statement: the order's id (?1), then its update (from ?2).
static UPDATE_ORDER: LazyLock<String> =
    LazyLock::new(|| format!("UPDATE orders SET {} WHERE id = ?1", order_set(2, Dialect::Lite)));

static UPDATE_ORDER_RETURNING: LazyLock<String> = LazyLock::new(|| {
    format!("UPDATE orders SET {} WHERE id = ?1 RETURNING {ORDER_COLUMNS}", order_set(2, Dialect::Pg))
});

/// The order with id ?1.
static READ_ORDER: LazyLock<String> =
    LazyLock::new(|| format!("SELECT {ORDER_COLUMNS} FROM orders WHERE id = ?1"));

/// The assignments of an order update, each `{}` a parameter ([`order_update_values`] binds
/// them, numbered from `first`).
const ORDER_SET: &str = "state = COALESCE({}, state),
    authorized_minor = COALESCE({}, authorized_minor),
    captured_minor = COALESCE({}, captured_minor),
    refunded_minor = COALESCE({}, refunded_minor),
    fort_id = COALESCE({}, fort_id),
    last_response_code = COALESCE({}, last_response_code),
    last_message = COALESCE({}, last_message),
    attention = CASE WHEN {} THEN {} ELSE attention END,
    masked_card = COALESCE({}, masked_card),
    last4 = COALESCE({}, last4),
    extra = {},
    updated_at = {}";

/// The two journals' SQL, where it differs.
#[derive(Clone, Copy)]
enum Dialect {
    Lite,
    Pg,
}

/// [`ORDER_SET`] with its parameters numbered from `first`. The keys given for the order's
/// extra object are merged into it by the statement itself, each replacing the key of its name
/// (their values are text, never objects or nulls, so SQLite's `json_patch` merges as
/// PostgreSQL's `||` does): no read before the update, and on the team journal no lock held
/// between the two, nor a round trip for each. An update without extra keys leaves the stored
/// text alone, unparsed.
fn order_set(first: usize, dialect: Dialect) -> String {
    let numbered = (first..)
        .take(ORDER_SET.matches("{}").count())
        .fold(ORDER_SET.to_owned(), |sql, n| sql.replacen("{}", &format!("?{n}"), 1));
    let before = ORDER_SET.find(EXTRA_SET).map_or(0, |at| ORDER_SET[..at].matches("{}").count());
    let keys = format!("?{}", first + before);
    let merge = match dialect {
        Dialect::Lite => {
            format!("extra = CASE WHEN {keys} IS NULL THEN extra ELSE json_patch(extra, {keys}) END")
        }
        // Typed where first seen: PostgreSQL settles a parameter's type there.
        Dialect::Pg => format!(
            "extra = CASE WHEN {keys}::text IS NULL THEN extra ELSE (extra::jsonb || {keys}::text::jsonb)::text END"
        ),
    };
    numbered.replacen(&EXTRA_SET.replace("{}", &keys), &merge, 1)
}

/// [`ORDER_SET`]'s assignment of the extra keys, which [`order_set`] makes a merge.
const EXTRA_SET: &str = "extra = {}";

/// [`order_set`]'s parameters: `u`, its extra keys as a JSON object to merge.
fn order_update_values(u: &OrderUpdate) -> Result<Vec<Value<'_>>, JournalError> {
    let amount = |v: Option<u64>| -> Result<Value<'static>, JournalError> {
        Ok(v.map(|m| sql_amount(Field::Amount, m)).transpose()?.map_or(Value::Null, Value::Int))
    };
    let (attention_set, attention) = match &u.needs_attention {
        Some(reason) => (true, reason.as_deref()),
        None => (false, None),
    };
    Ok(vec![
        text(u.state.map(OrderState::as_str)),
        amount(u.authorized_minor)?,
        amount(u.captured_minor)?,
        amount(u.refunded_minor)?,
        u.fort_id.to_value(),
        u.last_response_code.to_value(),
        u.last_message.to_value(),
        Value::Int(i64::from(attention_set)),
        text(attention),
        text(u.masked_card.as_ref().map(MaskedCard::as_str)),
        Value::owned(u.masked_card.as_ref().and_then(MaskedCard::last4)),
        Value::owned(u.extra.as_ref().map(|add| serde_json::Value::Object(add.clone()).to_string())),
        Value::owned(ts(&Utc::now())),
    ])
}

#[cfg(test)]
mod shifted_tests {
    use super::shifted;

    #[test]
    fn order_set_numbers_every_parameter_once_and_merges_extra_only_when_given() {
        use super::{Dialect, order_set};
        let lite = order_set(2, Dialect::Lite);
        assert!(lite.starts_with("state = COALESCE(?2, state)"), "{lite}");
        assert!(
            lite.contains("extra = CASE WHEN ?13 IS NULL THEN extra ELSE json_patch(extra, ?13) END"),
            "{lite}"
        );
        assert!(lite.ends_with("updated_at = ?14"), "{lite}");
        let pg = order_set(7, Dialect::Pg);
        assert!(pg.contains(
            "CASE WHEN ?18::text IS NULL THEN extra ELSE (extra::jsonb || ?18::text::jsonb)::text END"
        ));
        assert!(pg.ends_with("updated_at = ?19"), "{pg}");
        assert!(!pg.contains("{}") && !lite.contains("{}"));
    }

    #[test]
    fn shifted_renumbers_every_parameter_and_nothing_else() {
        assert_eq!(shifted("a = ?1 AND b IN (?2, ?10) OR c = ?", 30), "a = ?31 AND b IN (?32, ?40) OR c = ?");
        assert_eq!(shifted(super::OPERATION_INSERT_ROW, 16).matches('?').count(), 13);
        assert!(shifted(super::OPERATION_INSERT_ROW, 16).starts_with("?18, ?19,"));
        assert!(shifted(super::OPERATION_INSERT_ROW, 16).ends_with("?30"));
    }
}
