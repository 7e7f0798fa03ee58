//! Claims on orders and operations: leases on operations in flight, and the intents whose
//! checks must happen in the same write transaction as the insert (a capture, void or refund
//! against what the order still allows; sending a first operation again with its reference).
//!
//! Each check-and-insert runs in one write transaction (on a file, as one write of a group
//! commit; see `group`), so two terminals on one journal cannot both pass a check
//! that only one of them should.

use super::*;

/// A capture, void or refund recorded as an intent, with the order as it stood when the checks
/// passed (the amounts the operation builds on).
#[derive(Clone, Debug)]
pub struct MaintenanceIntent {
    pub id: OpId,
    pub order: OrderRow,
    /// For a refund: its own reference at APS (reused from the last refund that did not succeed).
    pub maintenance_reference: Option<String>,
}

/// An order's first operation recorded again, to be sent with the same merchant reference.
#[derive(Clone, Debug)]
pub struct RetryIntent {
    pub id: OpId,
    pub order: OrderRow,
}

impl Journal {
    /// The installation's reference prefix: four capital letters, random per journal.
    ///
    /// # Errors
    /// Database failure, or a journal whose prefix is missing (damaged).
    pub fn reference_prefix(&self) -> Result<String, JournalError> {
        self.read(|db| {
            db.query_opt("SELECT value FROM meta WHERE key = 'reference_prefix'", &[], |r| r.get(0))
        })?
        .ok_or_else(|| JournalError::Corrupt("the journal has no reference prefix".into()))
    }

    /// Takes over an open operation, but only from the owner the caller saw (`expected`, `None`
    /// when it was released): of two processes claiming the same operation, one wins.
    ///
    /// # Errors
    /// Database failure.
    pub fn claim_operation(
        &self,
        id: OpId,
        expected: Option<&str>,
        owner: &str,
    ) -> Result<bool, JournalError> {
        let (expected, owner) = (expected.map(str::to_owned), owner.to_owned());
        self.write(Durability::Synced, move |tx| {
            let changed = tx.execute(
                "UPDATE operations SET owner = ?3
                 WHERE id = ?1 AND state IN ('intent', 'unknown') AND owner IS NOT DISTINCT FROM ?2",
                params![id.0, expected, owner],
            )?;
            Ok(changed == 1)
        })
    }

    /// Gives up `owner`'s claim on an operation it stopped settling; any process may then take it.
    ///
    /// # Errors
    /// Database failure.
    pub fn release_operation(&self, id: OpId, owner: &str) -> Result<(), JournalError> {
        let owner = owner.to_owned();
        self.write(Durability::Synced, move |tx| {
            tx.execute(
                "UPDATE operations SET owner = NULL WHERE id = ?1 AND owner = ?2",
                params![id.0, owner],
            )?;
            Ok(())
        })
    }

    /// Records a capture, void or refund intent after checking, in the same write transaction,
    /// that the order exists, has no operation still in doubt, and still allows this amount. A
    /// refund without a maintenance reference gets one: the reference of the order's last
    /// refund when that one did not succeed (so APS refuses a repeat of one that did), else
    /// `new_reference(n)` for the order's n-th refund.
    ///
    /// # Errors
    /// [`JournalError::OrderNotFound`], [`JournalError::Busy`] while an operation is in doubt,
    /// [`JournalError::Invalid`] naming `amount` or `order` when the order does not allow it.
    pub fn record_maintenance_intent(
        &self,
        op: &NewOperation,
        new_reference: impl Fn(usize) -> String,
    ) -> Result<MaintenanceIntent, JournalError> {
        require(Field::Profile, &op.profile)?;
        require(Field::Operator, &op.operator)?;
        check_text("note", op.note.as_deref())?;
        // The n-th refund's reference is the caller's to make, but n is known for sure only
        // inside the write transaction: offer the one for the refunds seen now; should another
        // refund have been recorded meanwhile, the transaction names the n it needs.
        let mut offer = self.refund_reference_offer(op, &new_reference)?;
        for _ in 0..REFERENCE_OFFERS {
            let (op, offered) = (op.clone(), offer.clone());
            match self.write(Durability::Synced, move |tx| maintenance_in(tx, op.clone(), offered.clone()))? {
                Ok(intent) => return Ok(intent),
                Err(n) => offer = Some((n, new_reference(n))),
            }
        }
        Err(JournalError::Busy(format!(
            "refunds of order {} keep being recorded elsewhere at this moment; try again",
            op.merchant_reference
        )))
    }

    /// A new refund's reference for the count of refunds the order has now, when `op` is a
    /// refund that may need one.
    fn refund_reference_offer(
        &self,
        op: &NewOperation,
        new_reference: impl Fn(usize) -> String,
    ) -> Result<Option<(usize, String)>, JournalError> {
        if op.operation != Operation::Refund || op.maintenance_reference.is_some() {
            return Ok(None);
        }
        let refunds: i64 = self.read(|db| {
            db.query_one(
                "SELECT COUNT(*) FROM operations WHERE profile = ?1 AND merchant_reference = ?2 AND operation = 'REFUND'",
                params![op.profile, op.merchant_reference],
                |r| r.get(0),
            )
        })?;
        let n = usize::try_from(refunds).unwrap_or(0) + 1;
        Ok(Some((n, new_reference(n))))
    }

    /// Records the first operation of an order again, to be sent with the same merchant
    /// reference: allowed only for an order that never reached APS or of which APS has no record
    /// (state `not_sent`), with nothing else in flight. The order goes back to `pending`.
    ///
    /// # Errors
    /// [`JournalError::OrderNotFound`], [`JournalError::Busy`], or [`JournalError::Invalid`]
    /// naming `order` when the order is in another state.
    pub fn record_retry_intent(
        &self,
        profile: &str,
        reference: &str,
        operator: &str,
        lease: Lease,
    ) -> Result<RetryIntent, JournalError> {
        require(Field::Operator, operator)?;
        let (profile, reference, operator) = (profile.to_owned(), reference.to_owned(), operator.to_owned());
        self.write(Durability::Synced, move |tx| retry_in(tx, &profile, &reference, &operator, lease.clone()))
    }
}

/// How many times a refund's reference is offered before giving up (each miss means another
/// refund of the same order was recorded in between).
const REFERENCE_OFFERS: usize = 4;

/// The checks and the insert of a capture, void or refund, inside the write transaction.
/// `Ok(Err(n))` when the refund needs the caller's reference for its n-th refund and `offered`
/// is not it: nothing is written then.
fn maintenance_in(
    tx: Db<'_>,
    mut op: NewOperation,
    offered: Option<(usize, String)>,
) -> Result<Result<MaintenanceIntent, usize>, JournalError> {
    let (order_id, order) = order_in(tx, &op.profile, &op.merchant_reference)?;
    if let Some(key) = &op.batch_row
        && tx.query_opt("SELECT 1 FROM operations WHERE batch_row = ?1", params![key], |_| Ok(()))?.is_some()
    {
        // Another terminal running the same file took this row first: one row, one operation.
        return Err(JournalError::Busy(format!("batch row {key} was already sent by another run")));
    }
    let timeline = timeline_in(tx, order_id)?;
    check_maintenance(&order, &timeline, &op)?;
    if op.operation == Operation::Refund && op.maintenance_reference.is_none() {
        let refunds: Vec<&OperationRow> =
            timeline.iter().filter(|o| o.operation == Operation::Refund).collect();
        // The reference of the last refund when that one did not succeed (APS then refuses a
        // repeat of one that did), else the caller's for the order's next refund.
        let reused = match refunds.last() {
            Some(last) if !succeeded(last) => last.maintenance_reference.clone(),
            _ => None,
        };
        op.maintenance_reference = match (reused, offered) {
            (Some(reference), _) => Some(reference),
            (None, Some((n, reference))) if n == refunds.len() + 1 => Some(reference),
            (None, _) => return Ok(Err(refunds.len() + 1)),
        };
    }
    let id = insert_operation(tx, Some(order_id), &op)?;
    Ok(Ok(MaintenanceIntent { id, order, maintenance_reference: op.maintenance_reference }))
}

/// The checks and the insert of an order's first operation sent again, inside the write
/// transaction.
fn retry_in(
    tx: Db<'_>,
    profile: &str,
    reference: &str,
    operator: &str,
    lease: Lease,
) -> Result<RetryIntent, JournalError> {
    let (order_id, order) = order_in(tx, profile, reference)?;
    if order.state != OrderState::NotSent || order.kind == OrderKind::PaymentLink {
        return Err(JournalError::Invalid {
            field: Field::Order,
            problem: format!(
                "order {reference} is {}: only an order APS has no record of can be sent again",
                order.state
            ),
        });
    }
    if timeline_in(tx, order_id)?.iter().any(|o| o.state.is_open() && o.operation != Operation::CheckStatus) {
        return Err(JournalError::Busy(format!("order {reference} is already being sent")));
    }
    let now = Utc::now();
    let id = insert_operation(
        tx,
        Some(order_id),
        &NewOperation {
            profile: profile.to_owned(),
            merchant_reference: reference.to_owned(),
            operation: order.kind.first_operation(),
            maintenance_reference: None,
            amount: Some(
                Money::from_minor(order.amount_minor, order.currency)
                    .map_err(|e| JournalError::Corrupt(e.to_string()))?,
            ),
            operator: operator.to_owned(),
            at: now,
            note: Some("sent again with the same merchant reference".into()),
            lease: Some(lease),
            batch_row: None,
            approved_by: None,
        },
    )?;
    let pending =
        OrderUpdate { state: Some(OrderState::Pending), needs_attention: Some(None), ..Default::default() };
    update_order_in(tx, order_id, &pending)?;
    Ok(RetryIntent { id, order })
}

fn order_in(db: Db<'_>, profile: &str, reference: &str) -> Result<(i64, OrderRow), JournalError> {
    // Desks sharing the team journal take turns on one order: what it still allows is read
    // and acted on in one step.
    db.lock(&format!("order {profile} {reference}"))?;
    let sql = format!("SELECT {ORDER_COLUMNS} FROM orders WHERE profile = ?1 AND merchant_reference = ?2");
    db.query_opt(&sql, params![profile, reference], order_from_row)?.ok_or_else(|| {
        JournalError::OrderNotFound { profile: profile.to_owned(), reference: reference.to_owned() }
    })
}

fn timeline_in(db: Db<'_>, order_id: i64) -> Result<Vec<OperationRow>, JournalError> {
    let sql = format!("SELECT {OPERATION_COLUMNS} FROM operations WHERE order_id = ?1 ORDER BY id");
    db.query_map(&sql, params![order_id], operation_from_row)
}

/// An operation APS confirmed: approved at once, or found applied by CHECK_STATUS.
fn succeeded(op: &OperationRow) -> bool {
    op.state == OpState::Approved
        || (op.state == OpState::Resolved && op.response_code.as_deref() == Some(op.operation.success_code()))
}

fn check_maintenance(
    order: &OrderRow,
    timeline: &[OperationRow],
    op: &NewOperation,
) -> Result<(), JournalError> {
    let reference = &order.merchant_reference;
    if matches!(order.state, OrderState::Pending | OrderState::Unknown) {
        return Err(JournalError::Busy(format!(
            "the outcome of order {reference} is still unknown: resolve it in Status first"
        )));
    }
    if timeline.iter().any(|o| o.state.is_open() && o.operation != Operation::CheckStatus) {
        return Err(JournalError::Busy(format!(
            "an earlier operation on order {reference} is still unknown: resolve it in Status first"
        )));
    }
    if let Some(amount) = op.amount
        && amount.currency() != order.currency
    {
        return Err(JournalError::CurrencyMismatch { expected: order.currency, got: amount.currency() });
    }
    let minor = op.amount.map_or(0, Money::minor_units);
    let show = |m: u64| format!("{} {}", order.currency, crate::aps::money::format_minor(m, order.currency));
    let refuse = |field: Field, problem: String| Err(JournalError::Invalid { field, problem });
    match op.operation {
        Operation::Capture if minor > order.capturable_minor() => refuse(
            Field::Amount,
            format!("at most {} can still be captured on this order", show(order.capturable_minor())),
        ),
        Operation::Refund if minor > order.refundable_minor() => refuse(
            Field::Amount,
            format!("at most {} can still be refunded on this order", show(order.refundable_minor())),
        ),
        Operation::VoidAuthorization
            if order.state != OrderState::Authorized || order.captured_minor > 0 || order.authorized_minor == 0 =>
        {
            refuse(
                Field::Order,
                "only an authorization with nothing captured can be voided; refund a captured payment instead"
                    .into(),
            )
        }
        Operation::Capture | Operation::Refund | Operation::VoidAuthorization => Ok(()),
        other => refuse(Field::Operation, format!("{other} is not a capture, void or refund")),
    }
}
