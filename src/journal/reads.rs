//! Reading orders and their operations back: one order, its timeline, what needs reconciling,
//! and the duplicate guard's question.

use super::db::params;
use super::*;
use db::ToValue;

/// The orders [`Journal::unresolved`] lists (`?1`: one profile, or NULL for all).
pub(super) const UNRESOLVED_WHERE: &str = "id IN (SELECT id FROM orders WHERE state IN ('pending', 'unknown')
        UNION SELECT order_id FROM operations
        WHERE state IN ('intent', 'unknown') AND operation <> 'CHECK_STATUS')
    AND (CAST(?1 AS TEXT) IS NULL OR profile = ?1)";

impl Journal {
    /// One order by its profile and merchant reference.
    ///
    /// # Errors
    /// Database failure or an unreadable row.
    pub fn order(&self, profile: &str, reference: &str) -> Result<Option<OrderRow>, JournalError> {
        let sql =
            format!("SELECT {ORDER_COLUMNS} FROM orders WHERE profile = ?1 AND merchant_reference = ?2");
        let row = self.read(|db| db.query_opt(&sql, params![profile, reference], order_from_row))?;
        Ok(row.map(|(_, o)| o))
    }

    /// Which of `references` the profile already has orders for, asked a few hundred at a time:
    /// a batch of many thousand rows learns in one pass which of its orders are new.
    ///
    /// # Errors
    /// Database failure.
    pub fn references_in_journal(
        &self,
        profile: &str,
        references: &[&str],
    ) -> Result<std::collections::HashSet<String>, JournalError> {
        const AT_ONCE: usize = 500;
        let mut found = std::collections::HashSet::new();
        for chunk in references.chunks(AT_ONCE) {
            let marks: Vec<String> = (2..chunk.len() + 2).map(|n| format!("?{n}")).collect();
            let sql = format!(
                "SELECT merchant_reference FROM orders WHERE profile = ?1 AND merchant_reference IN ({})",
                marks.join(", ")
            );
            let mut values = vec![profile.to_value()];
            values.extend(chunk.iter().map(|r| r.to_value()));
            found.extend(self.read(|db| db.query_map(&sql, &values, |r| r.get::<String>(0)))?);
        }
        Ok(found)
    }

    /// The order APS knows by `fort_id`, within one profile or across all (newest first if two
    /// merchants' ids ever collide).
    ///
    /// # Errors
    /// Database failure or an unreadable row.
    pub fn find_by_fort_id(
        &self,
        profile: Option<&str>,
        fort_id: &str,
    ) -> Result<Option<OrderRow>, JournalError> {
        let sql = format!(
            "SELECT {ORDER_COLUMNS} FROM orders WHERE fort_id = ?1 AND (CAST(?2 AS TEXT) IS NULL OR profile = ?2)
             ORDER BY created_at DESC, id DESC LIMIT 1"
        );
        let row = self.read(|db| db.query_opt(&sql, params![fort_id, profile], order_from_row))?;
        Ok(row.map(|(_, o)| o))
    }

    /// The order's operations, oldest first.
    ///
    /// # Errors
    /// Database failure or an unreadable row.
    pub fn timeline(&self, profile: &str, reference: &str) -> Result<Vec<OperationRow>, JournalError> {
        let sql = format!(
            "SELECT {OPERATION_COLUMNS} FROM operations WHERE profile = ?1 AND merchant_reference = ?2 ORDER BY id"
        );
        self.read(|db| db.query_map(&sql, params![profile, reference], operation_from_row))
    }

    /// One operation by id.
    ///
    /// # Errors
    /// Database failure or an unreadable row.
    pub fn operation(&self, id: OpId) -> Result<Option<OperationRow>, JournalError> {
        let sql = format!("SELECT {OPERATION_COLUMNS} FROM operations WHERE id = ?1");
        self.read(|db| db.query_opt(&sql, params![id.0], operation_from_row))
    }

    /// Operations done in `[from, to)` (by when they were recorded), optionally of one profile
    /// and one operator (any case), oldest first. CHECK_STATUS queries are left out: they move
    /// nothing. For end-of-shift reports; a scan of the operations table, which at a million
    /// operations takes well under a second.
    ///
    /// # Errors
    /// Database failure or an unreadable row.
    pub fn operations_between(
        &self,
        profile: Option<&str>,
        operator: Option<&str>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<OperationRow>, JournalError> {
        let sql = format!(
            "SELECT {OPERATION_COLUMNS} FROM operations
             WHERE at >= ?1 AND at < ?2 AND operation <> 'CHECK_STATUS'
               AND (CAST(?3 AS TEXT) IS NULL OR profile = ?3)
               AND (CAST(?4 AS TEXT) IS NULL OR lower(operator) = lower(?4))
             ORDER BY at, id"
        );
        let (from, to) = (super::write::ts(&from), super::write::ts(&to));
        self.read(|db| db.query_map(&sql, params![from, to, profile, operator], operation_from_row))
    }

    /// Orders whose outcome must be established with APS before new charges of their profile:
    /// those still pending or unknown, and those with an operation whose answer never came (a
    /// refund lost in flight, say). Lost CHECK_STATUS queries do not count: they move nothing and
    /// the next query replaces them. Oldest first, the order reconciliation should follow.
    /// Both halves look their rows up in an index (`orders_state`, `operations_unsettled`) and
    /// never read the settled orders, so start-up stays quick at a million orders.
    ///
    /// # Errors
    /// Database failure or an unreadable row.
    pub fn unresolved(&self, profile: Option<&str>) -> Result<Vec<Unresolved>, JournalError> {
        let sql =
            format!("SELECT {ORDER_COLUMNS} FROM orders WHERE {UNRESOLVED_WHERE} ORDER BY created_at, id");
        let ops_sql = format!(
            "SELECT {OPERATION_COLUMNS} FROM operations
             WHERE order_id = ?1 AND state IN ('intent', 'unknown') AND operation <> 'CHECK_STATUS' ORDER BY id"
        );
        self.read(|db| {
            let orders = db.query_map(&sql, params![profile], order_from_row)?;
            orders
                .into_iter()
                .map(|(id, order)| {
                    let open_operations = db.query_map(&ops_sql, params![id], operation_from_row)?;
                    Ok(Unresolved { order, open_operations })
                })
                .collect()
        })
    }

    /// Token operations (CREATE_TOKEN, UPDATE_TOKEN) on no order whose answer never came, oldest
    /// first: a person should check the token in the APS back office.
    ///
    /// # Errors
    /// Database failure or an unreadable row.
    pub fn open_operations_without_order(
        &self,
        profile: Option<&str>,
    ) -> Result<Vec<OperationRow>, JournalError> {
        let sql = format!(
            "SELECT {OPERATION_COLUMNS} FROM operations
             WHERE order_id IS NULL AND (CAST(?1 AS TEXT) IS NULL OR profile = ?1)
               AND state IN ('intent', 'unknown') AND operation <> 'CHECK_STATUS' ORDER BY id"
        );
        self.read(|db| db.query_map(&sql, params![profile], operation_from_row))
    }

    /// The newest order in the last few minutes that charged (or may have charged) the same card
    /// or token the same amount: approved, pending or unknown orders count, and so do orders APS
    /// had no record of when asked (they are sent again with their own reference, not as a new
    /// order); declined, rejected and never-sent ones do not. Payment links never match.
    ///
    /// # Errors
    /// Database failure or an unreadable row.
    pub fn recent_duplicate(
        &self,
        profile: &str,
        method: &PaymentMethod,
        amount: Money,
        since: DateTime<Utc>,
    ) -> Result<Option<OrderRow>, JournalError> {
        self.read(|db| duplicate_in(db, profile, method, amount, since))
    }
}
