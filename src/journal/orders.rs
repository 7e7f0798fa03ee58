//! Orders and their operations as they are written: the intent recorded, and synced, before a
//! request leaves, and how it ended.

use super::*;
use db::{ToValue, Value};
use std::sync::LazyLock;

impl Journal {
    /// Records a new order in state `pending` and its first operation as an intent, in one
    /// transaction, synced to disk before returning. Returns the operation to finish later.
    ///
    /// # Errors
    /// [`JournalError::DuplicateReference`] when the profile already has this merchant
    /// reference; [`JournalError::Invalid`] / [`JournalError::LooksLikeCardNumber`] for bad input.
    pub fn record_order_intent(&self, order: &NewOrder) -> Result<OpId, JournalError> {
        self.record_order_intent_guarded(order, None)?.map_err(|existing| JournalError::Invalid {
            field: Field::Order,
            problem: format!("unexpected duplicate of {}", existing.merchant_reference),
        })
    }

    /// As [`Journal::record_order_intent`], but first, in the same write transaction, looks for
    /// a recent order of the same card or token and amount since `duplicate_since` (see
    /// [`Journal::recent_duplicate`]); when there is one, records nothing and returns it. Two
    /// terminals charging the same card at the same moment cannot both pass.
    ///
    /// # Errors
    /// As [`Journal::record_order_intent`].
    pub fn record_order_intent_guarded(
        &self,
        order: &NewOrder,
        duplicate_since: Option<DateTime<Utc>>,
    ) -> Result<Result<OpId, OrderRow>, JournalError> {
        self.commit(Journal::order_intent_write(order, duplicate_since)?)
    }

    /// Records a later operation as an intent before it is sent. CREATE_TOKEN, UPDATE_TOKEN and
    /// CHECK_STATUS may name a reference that has no order here; every other operation needs one.
    ///
    /// # Errors
    /// [`JournalError::OrderNotFound`], [`JournalError::CurrencyMismatch`], or bad input.
    pub fn record_operation_intent(&self, op: &NewOperation) -> Result<OpId, JournalError> {
        require(Field::Profile, &op.profile)?;
        require(Field::MerchantReference, &op.merchant_reference)?;
        require(Field::Operator, &op.operator)?;
        check_text("operator", Some(&op.operator))?;
        check_text("note", op.note.as_deref())?;
        check_text("maintenance reference", op.maintenance_reference.as_deref())?;
        let op = op.clone();
        self.write(Durability::Synced, move |tx| operation_intent_in(tx, &op))
    }

    /// Records how an operation ended. Only an operation still in `Intent` or `Unknown` can be
    /// finished, so an outcome is never silently overwritten.
    ///
    /// # Errors
    /// [`JournalError::OperationNotFound`], [`JournalError::OperationAlreadyFinished`], or a
    /// result whose state is `Intent`.
    pub fn finish_operation(&self, id: OpId, result: &OpResult) -> Result<(), JournalError> {
        let result = result.clone();
        self.write(Durability::Synced, move |tx| finish_operation_in(tx, id, &result).map(drop))
    }

    /// Finishes an operation and updates its order in one transaction, so a crash cannot leave
    /// the timeline and the order disagreeing.
    ///
    /// # Errors
    /// As [`Journal::finish_operation`] and [`Journal::update_order`]; also when the operation
    /// belongs to no order.
    pub fn record_outcome(
        &self,
        id: OpId,
        result: &OpResult,
        update: &OrderUpdate,
    ) -> Result<(), JournalError> {
        self.commit(Journal::outcome_write(id, result, update)?).map(drop)
    }

    /// Changes an order after an answer or a reconciliation.
    ///
    /// # Errors
    /// [`JournalError::OrderNotFound`] or bad input.
    pub fn update_order(
        &self,
        profile: &str,
        reference: &str,
        update: &OrderUpdate,
    ) -> Result<(), JournalError> {
        validate_update(update)?;
        let (profile, reference, update) = (profile.to_owned(), reference.to_owned(), update.clone());
        self.write(Durability::Synced, move |tx| {
            let order_id = order_id(tx, &profile, &reference)?.ok_or_else(|| {
                JournalError::OrderNotFound { profile: profile.clone(), reference: reference.clone() }
            })?;
            update_order_in(tx, order_id, &update).map(drop)
        })
    }
}

/// An order's first operation, recorded with the order.
fn first_operation(order: &NewOrder) -> NewOperation {
    NewOperation {
        operation: order.kind.first_operation(),
        amount: Some(order.amount),
        at: order.created_at,
        profile: order.profile.clone(),
        merchant_reference: order.merchant_reference.clone(),
        maintenance_reference: None,
        operator: order.operator.clone(),
        note: None,
        lease: order.lease.clone(),
        batch_row: order.batch_row.clone(),
        approved_by: None,
    }
}

/// A new order whose fields passed the checks: its columns as they are stored.
pub(super) struct CheckedOrder {
    method: MethodColumns,
    extra: String,
    amount: i64,
}

/// Every check of a new order that needs no database.
pub(super) fn check_new_order(order: &NewOrder) -> Result<CheckedOrder, JournalError> {
    require(Field::Profile, &order.profile)?;
    require(Field::MerchantReference, &order.merchant_reference)?;
    require(Field::Operator, &order.operator)?;
    check_text("operator", Some(&order.operator))?;
    check_text("terminal", Some(&order.terminal))?;
    check_text("customer email", order.customer_email.as_deref())?;
    check_text("customer name", order.customer_name.as_deref())?;
    check_text("description", order.description.as_deref())?;
    super::card_guard::refuse_card_numbers_in_extra(&order.extra)?;
    let extra = serde_json::Value::Object(order.extra.clone()).to_string();
    let method = method_columns(&order.method)?;
    check_method_fits(order)?;
    let amount = sql_amount(Field::Amount, order.amount.minor_units())?;
    Ok(CheckedOrder { method, extra, amount })
}

impl Journal {
    /// Brings into the journal an order taken outside this terminal, as CHECK_STATUS describes
    /// it, in one transaction: the order (channel `outside`), one resolved CHECK_STATUS
    /// operation saying where it came from, and APS's amounts. No request is recorded as sent.
    ///
    /// # Errors
    /// [`JournalError::DuplicateReference`] when the journal already holds the reference, or bad
    /// input; nothing is written then.
    pub fn import_order(
        &self,
        order: &NewOrder,
        result: &OpResult,
        update: &OrderUpdate,
    ) -> Result<(), JournalError> {
        if order.channel != Channel::Outside {
            return Err(JournalError::Invalid {
                field: Field::Order,
                problem: "only an order taken outside this terminal is brought in".into(),
            });
        }
        let checked = check_new_order(order)?;
        validate_update(update)?;
        let (order, result, update) = (order.clone(), result.clone(), update.clone());
        self.write(Durability::Synced, move |tx| {
            let order_id = insert_order(tx, &order, &checked)?;
            let op = NewOperation {
                operation: Operation::CheckStatus,
                amount: None,
                lease: None,
                batch_row: None,
                ..first_operation(&order)
            };
            let op_id = insert_operation(tx, Some(order_id), &op)?;
            finish_operation_in(tx, op_id, &result)?;
            update_order_in(tx, order_id, &update).map(drop)
        })
    }
}

/// Inserts a checked order in state `pending` and its first operation as an intent, in one
/// round trip on the team journal, which also carries the commit when nothing follows them.
pub(super) fn insert_order_intent(
    tx: Db<'_>,
    order: &NewOrder,
    checked: &CheckedOrder,
) -> Result<OpId, JournalError> {
    let first = first_operation(order);
    if let Db::Lite(_) = tx {
        // One statement after the other, each without RETURNING (see `Db::insert`).
        let order_id = insert_order(tx, order, checked)?;
        return insert_operation(tx, Some(order_id), &first);
    }
    // The operation finds its order by reference: no need to wait for the order's id.
    let order_values = order_values(order, checked);
    let op_values = operation_values(None, &first)?;
    static INSERT_OPERATION: LazyLock<String> =
        LazyLock::new(|| format!("{} RETURNING id", insert_operation_sql(ITS_ORDER)));
    static INSERT_ORDER_RETURNING: LazyLock<String> =
        LazyLock::new(|| format!("{} RETURNING id", *INSERT_ORDER));
    let answers = tx
        .pipeline(&[(&INSERT_ORDER_RETURNING, &order_values), (&INSERT_OPERATION, &op_values)], true)
        .map_err(|e| duplicate_reference(e, order))?;
    let id = answers.get(1).map(|a| a.first(|r| r.get(0))).transpose()?.flatten();
    id.map(OpId).ok_or_else(|| JournalError::Internal("the new operation's id was not returned".into()))
}

/// The duplicate guard's check and [`insert_order_intent`] in one statement, for the team
/// journal: the order and its first operation are inserted only when the guard finds no recent
/// order of the same card or token and amount since `since`. Returns `None` for a payment
/// method the guard never matches (the caller inserts without the check). The statement takes
/// the guard's lock and makes its commit synced itself (`moto_guard`, the team schema's step
/// 5): it is the whole transaction, sent alone.
pub(super) fn team_guarded_intent(
    tx: Db<'_>,
    order: &NewOrder,
    checked: &CheckedOrder,
    since: DateTime<Utc>,
) -> Result<Option<Result<OpId, OrderRow>>, JournalError> {
    let (guard, key) = match &order.method {
        PaymentMethod::Token { token_name, .. } => (&GUARDS[0], token_name.as_str()),
        PaymentMethod::Card { fingerprint, .. } => (&GUARDS[1], fingerprint.as_str()),
        PaymentMethod::Link | PaymentMethod::Outside => return Ok(None),
    };
    let mut values = order_values(order, checked);
    let first = first_operation(order);
    values.extend(operation_values(None, &first)?.into_iter().skip(1));
    let (currency, since) = (order.amount.currency().code(), ts(&since));
    values.extend([
        Value::owned(guard_key(&order.profile, &order.method)),
        guard.to_value(),
        order.profile.to_value(),
        key.to_value(),
        Value::Int(checked.amount),
        currency.to_value(),
        since.to_value(),
    ]);
    tx.synced_by_statement();
    let answers =
        tx.pipeline(&[(&GUARDED_INTENT, &values)], true).map_err(|e| duplicate_reference(e, order))?;
    // The order the guard shows, or else the new operation's id.
    let read = |r: &DbRow<'_>| match r.get::<Option<i64>>(0)? {
        Some(_) => order_from_row(r).map(|(_, shown)| (Some(shown), None)),
        None => Ok((None, r.get::<Option<i64>>(GUARDED_OP_ID)?)),
    };
    match answers.first().map(|a| a.first(read)).transpose()?.flatten() {
        Some((Some(shown), _)) => Ok(Some(Err(shown))),
        Some((None, Some(id))) => Ok(Some(Ok(OpId(id)))),
        _ => Err(JournalError::Internal("the new operation's id was not returned".into())),
    }
}

/// The column of [`team_guarded_intent`]'s answer with the new operation's id (after the
/// order the guard shows, if any).
const GUARDED_OP_ID: usize = 27;

static GUARDED_INTENT: LazyLock<String> = LazyLock::new(guarded_intent_sql);

/// The guard's query on `token_name`, then on `card_fingerprint`, as `moto_guard` runs it: the
/// whole order, its values numbered for PostgreSQL.
static GUARDS: LazyLock<[String; 2]> = LazyLock::new(|| {
    ["token_name", "card_fingerprint"].map(|column| super::db::pg::numbered(&guard_sql(column, "orders.*")))
});

/// Parameters: the order's (?1 to ?17), its first operation's after the order id (?18 to
/// ?30), then `moto_guard`'s (?31 to ?37: the lock's key, the guard's query, and its values).
fn guarded_intent_sql() -> String {
    format!(
        "WITH shown AS MATERIALIZED (
             SELECT {ORDER_COLUMNS} FROM moto_guard(?31, ?32, ?33, ?34, ?35, ?36, ?37) AS orders),
         new_order AS ({ORDER_INSERT_INTO} SELECT {ORDER_INSERT_ROW}
             WHERE NOT EXISTS (SELECT 1 FROM shown) RETURNING id),
         new_operation AS ({OPERATION_INSERT_INTO} SELECT new_order.id, {} FROM new_order RETURNING id)
         SELECT shown.*, (SELECT id FROM new_operation) FROM (SELECT 1) AS one LEFT JOIN shown ON true",
        shifted(OPERATION_INSERT_ROW, 16)
    )
}

/// The checks and the insert of a later operation, inside the write transaction.
fn operation_intent_in(tx: Db<'_>, op: &NewOperation) -> Result<OpId, JournalError> {
    let order: Option<(i64, String)> = tx.query_opt(
        "SELECT id, currency FROM orders WHERE profile = ?1 AND merchant_reference = ?2",
        params![op.profile, op.merchant_reference],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let order_id = match order {
        Some((id, currency)) => {
            if let Some(amount) = op.amount
                && amount.currency().code() != currency
            {
                return Err(JournalError::CurrencyMismatch {
                    expected: parse_currency(&currency).map_err(JournalError::Corrupt)?,
                    got: amount.currency(),
                });
            }
            Some(id)
        }
        None if matches!(
            op.operation,
            Operation::CreateToken | Operation::UpdateToken | Operation::CheckStatus
        ) =>
        {
            None
        }
        None => {
            return Err(JournalError::OrderNotFound {
                profile: op.profile.clone(),
                reference: op.merchant_reference.clone(),
            });
        }
    };
    insert_operation(tx, order_id, op)
}

/// The payment method's columns: token name, masked card, last four digits and fingerprint.
type MethodColumns = (Option<String>, Option<String>, Option<String>, Option<String>);

fn method_columns(method: &PaymentMethod) -> Result<MethodColumns, JournalError> {
    Ok(match method {
        PaymentMethod::Token { token_name, masked_card } => {
            super::card_guard::check_token_name(token_name)?;
            (
                Some(token_name.clone()),
                masked_card.as_ref().map(|m| m.as_str().to_owned()),
                masked_card.as_ref().and_then(MaskedCard::last4),
                None,
            )
        }
        PaymentMethod::Card { masked_card, fingerprint } => (
            None,
            Some(masked_card.as_str().to_owned()),
            masked_card.last4(),
            Some(fingerprint.as_str().to_owned()),
        ),
        PaymentMethod::Link | PaymentMethod::Outside => (None, None, None, None),
    })
}

/// A payment link is paid by link, a recurring charge by a stored token, a sale or an
/// authorization by a token or a keyed card.
fn check_method_fits(order: &NewOrder) -> Result<(), JournalError> {
    let method_fits = match order.kind {
        OrderKind::PaymentLink => matches!(order.method, PaymentMethod::Link),
        OrderKind::Recurring => matches!(order.method, PaymentMethod::Token { .. }),
        OrderKind::Sale | OrderKind::AuthorizeOnly => !matches!(order.method, PaymentMethod::Link),
    };
    // Only an order brought in from CHECK_STATUS has no known payment method, and it always has.
    let method_fits =
        method_fits && matches!(order.method, PaymentMethod::Outside) == (order.channel == Channel::Outside);
    if !method_fits {
        return Err(JournalError::Invalid {
            field: Field::PaymentMethod,
            problem: format!(
                "a {} order needs {}",
                order.kind,
                match order.kind {
                    _ if order.channel == Channel::Outside || order.method == PaymentMethod::Outside => {
                        "the outside method and channel together"
                    }
                    OrderKind::PaymentLink => "the payment link method",
                    OrderKind::Recurring => "a stored token",
                    _ => "a token or a keyed card",
                }
            ),
        });
    }
    Ok(())
}

/// Inserts the order row in state `pending`; returns its id.
fn insert_order(tx: Db<'_>, order: &NewOrder, checked: &CheckedOrder) -> Result<i64, JournalError> {
    tx.insert(&INSERT_ORDER, &order_values(order, checked)).map_err(|e| duplicate_reference(e, order))
}

/// A unique violation on inserting `order` is its reference, taken already.
fn duplicate_reference(e: JournalError, order: &NewOrder) -> JournalError {
    match is_unique_violation(&e) {
        true => JournalError::DuplicateReference {
            profile: order.profile.clone(),
            reference: order.merchant_reference.clone(),
        },
        false => e,
    }
}

/// The insert of a new order; [`order_values`] binds it.
static INSERT_ORDER: LazyLock<String> =
    LazyLock::new(|| format!("{ORDER_INSERT_INTO} VALUES ({ORDER_INSERT_ROW})"));

const ORDER_INSERT_INTO: &str = "INSERT INTO orders (profile, merchant_reference, kind, channel, currency,
        amount_minor, token_name, masked_card, last4, card_fingerprint, customer_email, customer_name,
        description, operator, created_at, updated_at, state, extra, terminal)";

/// The new order's row, as [`order_values`] binds it.
const ORDER_INSERT_ROW: &str =
    "?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?15, 'pending', ?16, ?17";

/// [`INSERT_ORDER`]'s parameters.
fn order_values<'a>(order: &'a NewOrder, checked: &'a CheckedOrder) -> Vec<Value<'a>> {
    let (token_name, masked_card, last4, fingerprint) = &checked.method;
    vec![
        order.profile.to_value(),
        order.merchant_reference.to_value(),
        order.kind.as_str().to_value(),
        order.channel.as_str().to_value(),
        order.amount.currency().code().to_value(),
        Value::Int(checked.amount),
        token_name.to_value(),
        masked_card.to_value(),
        last4.to_value(),
        fingerprint.to_value(),
        order.customer_email.to_value(),
        order.customer_name.to_value(),
        order.description.to_value(),
        order.operator.to_value(),
        Value::owned(ts(&order.created_at)),
        checked.extra.to_value(),
        order.terminal.to_value(),
    ]
}
