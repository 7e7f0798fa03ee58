//! Many writes in one transaction, to build a large journal quickly (the 1,000,000-order
//! benchmark, tests of big journals). Each call checks its input and writes its rows with the
//! same statements as the public call it mirrors, so the rows are the ones the terminal writes;
//! only the durability differs: nothing is on disk until the whole load commits. The terminal
//! itself never uses this, since an intent must be synced before its request leaves.

use super::orders;
use super::*;

/// Writes inside one [`Journal::bulk_load`] transaction. Not part of the terminal's API.
#[doc(hidden)]
pub struct BulkLoad<'a> {
    conn: Db<'a>,
}

impl Journal {
    /// Runs `load` in one write transaction, committed when it returns `Ok` and rolled back
    /// otherwise. For benchmarks and tests only (see the module docs).
    ///
    /// # Errors
    /// The first error of `load`, or a database failure.
    #[doc(hidden)]
    pub fn bulk_load<T>(
        &self,
        load: impl FnOnce(&BulkLoad<'_>) -> Result<T, JournalError>,
    ) -> Result<T, JournalError> {
        self.write_now(|conn| {
            let loaded = load(&BulkLoad { conn })?;
            if !conn.is_team() {
                super::substring::index_new_orders(conn, 1)?;
            }
            Ok(loaded)
        })
    }
}

impl BulkLoad<'_> {
    /// As [`Journal::record_order_intent`].
    ///
    /// # Errors
    /// As [`Journal::record_order_intent`].
    pub fn order_intent(&self, order: &NewOrder) -> Result<OpId, JournalError> {
        let checked = orders::check_new_order(order)?;
        orders::insert_order_intent(self.conn, order, &checked)
    }

    /// As [`Journal::record_operation_intent`] for an operation on an order of the journal.
    ///
    /// # Errors
    /// [`JournalError::OrderNotFound`] or bad input.
    pub fn operation_intent(&self, op: &NewOperation) -> Result<OpId, JournalError> {
        require(Field::Profile, &op.profile)?;
        require(Field::MerchantReference, &op.merchant_reference)?;
        require(Field::Operator, &op.operator)?;
        check_text("operator", Some(&op.operator))?;
        check_text("note", op.note.as_deref())?;
        check_text("maintenance reference", op.maintenance_reference.as_deref())?;
        let (order_id, currency): (i64, String) = self
            .conn
            .query_opt(
                "SELECT id, currency FROM orders WHERE profile = ?1 AND merchant_reference = ?2",
                params![op.profile, op.merchant_reference],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?
            .ok_or_else(|| JournalError::OrderNotFound {
                profile: op.profile.clone(),
                reference: op.merchant_reference.clone(),
            })?;
        if let Some(amount) = op.amount
            && amount.currency().code() != currency
        {
            return Err(JournalError::CurrencyMismatch {
                expected: parse_currency(&currency).map_err(JournalError::Corrupt)?,
                got: amount.currency(),
            });
        }
        insert_operation(self.conn, Some(order_id), op)
    }

    /// As [`Journal::record_outcome`].
    ///
    /// # Errors
    /// As [`Journal::record_outcome`].
    pub fn outcome(&self, id: OpId, result: &OpResult, update: &OrderUpdate) -> Result<(), JournalError> {
        validate_update(update)?;
        let order_id = finish_operation_in(self.conn, id, result)?.ok_or_else(|| JournalError::Invalid {
            field: Field::Operation,
            problem: format!("operation {id} belongs to no order; use finish_operation"),
        })?;
        update_order_in(self.conn, order_id, update).map(drop)
    }

    /// As [`Journal::finish_operation`].
    ///
    /// # Errors
    /// As [`Journal::finish_operation`].
    pub fn finish(&self, id: OpId, result: &OpResult) -> Result<(), JournalError> {
        finish_operation_in(self.conn, id, result).map(|_| ())
    }
}
