//! Receipts for approved operations and end-of-shift reports, read from the journal and handed
//! to `report` to be laid out. Only reading: nothing is sent, nothing in the journal changes.

use super::batch::outcome::{RowOutcome, outcome_of_operation};
use super::{Service, ServiceError};
use crate::aps::Operation;
use crate::aps::card::detect_brand;
use crate::aps::field::Field;
use crate::aps::money::Money;
use crate::journal::{self, OperationRow, OrderRow, OrderState};
use crate::report::{Attention, Entry, Receipt, ReceiptKind, ReportOp, ShiftReport};
use chrono::{DateTime, FixedOffset, Local, NaiveDate, NaiveTime, TimeZone, Utc};
use std::collections::HashMap;

/// What an end-of-shift report covers.
#[derive(Clone, Debug)]
pub struct ReportQuery {
    pub from: DateTime<FixedOffset>,
    pub to: DateTime<FixedOffset>,
    pub profile: Option<String>,
    pub operator: Option<String>,
}

/// A report's period from the words given: RFC 3339 times or `YYYY-MM-DD` dates (a `to` date
/// includes that whole day); both absent is today, in this computer's time zone.
///
/// # Errors
/// [`ServiceError::Invalid`] naming `from` or `to`, or an empty period.
pub fn period(
    from: Option<&str>,
    to: Option<&str>,
) -> Result<(DateTime<FixedOffset>, DateTime<FixedOffset>), ServiceError> {
    let today = Local::now().date_naive();
    let to = to.map(|text| moment(text, Field::ReportTo, true)).transpose()?;
    let from = match from {
        Some(text) => moment(text, Field::ReportFrom, false)?,
        // `--to` alone: the day it ends in (a `--to` date ends at the next midnight).
        None => to.map_or_else(
            || midnight(today),
            |to| midnight((to - chrono::Duration::seconds(1)).with_timezone(&Local).date_naive()),
        ),
    };
    let to = match to {
        Some(to) => to,
        None => {
            let day = from.with_timezone(&Local).date_naive();
            midnight(day.succ_opt().unwrap_or(day))
        }
    };
    if to <= from {
        return Err(ServiceError::invalid(Field::ReportTo, "must be later than from"));
    }
    Ok((from, to))
}

fn midnight(day: NaiveDate) -> DateTime<FixedOffset> {
    let naive = day.and_time(NaiveTime::MIN);
    Local
        .from_local_datetime(&naive)
        .earliest()
        .map_or_else(|| Utc.from_utc_datetime(&naive).fixed_offset(), |t| t.fixed_offset())
}

fn moment(text: &str, field: Field, end_of_day: bool) -> Result<DateTime<FixedOffset>, ServiceError> {
    let text = text.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t);
    }
    match NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        Ok(day) if end_of_day => Ok(midnight(day.succ_opt().unwrap_or(day))),
        Ok(day) => Ok(midnight(day)),
        Err(_) => Err(ServiceError::invalid(
            field,
            format!(
                "'{text}' is neither a date (2026-12-06) nor a date and time (2026-12-06T14:00:00+04:00)"
            ),
        )),
    }
}

impl Service {
    /// The receipt for one operation of an order: `operation` is its id in the order's
    /// timeline, else the last approved sale, authorization, capture, refund or void.
    ///
    /// # Errors
    /// [`ServiceError::NotFound`] for an unknown order (or one an agent may not read),
    /// [`ServiceError::Invalid`] when the operation is not an approved one a receipt is for.
    pub async fn receipt(
        &self,
        profile: &str,
        reference: &str,
        operation: Option<i64>,
    ) -> Result<Receipt, ServiceError> {
        // An agent may open another agent's order in doubt, but its receipt (the customer's
        // email, the card's last digits) is for the agent who took it.
        let Some((order, timeline)) = self.readable_order(profile, reference, false).await? else {
            return Err(ServiceError::NotFound(format!("no order {reference} on profile {profile}")));
        };
        let op = pick_operation(&order, &timeline, operation)?;
        let kind = receipt_kind(&order, op).ok_or_else(|| not_for_receipt(reference, op))?;
        let merchant = self.inner.vault.profile(profile);
        let amount = receipt_amount(&order, op, kind)?;
        let card = order.masked_card.clone();
        let brand = card.as_deref().and_then(|m| detect_brand(&m.chars().take(6).collect::<String>()));
        let authorization_code =
            matches!(kind, ReceiptKind::Sale | ReceiptKind::Authorization | ReceiptKind::Capture)
                .then(|| order.extra.get("authorization_code").and_then(|v| v.as_str()).map(str::to_owned))
                .flatten();
        // Every receipt is an entry of the trail: a desk that cannot seal one gives none.
        self.chain().await?;
        self.note("receipt", "ok", &format!("{reference} operation {}", op.id.0)).await;
        Ok(Receipt {
            merchant_name: merchant.as_ref().map_or(profile, |p| p.receipt_name()).to_owned(),
            merchant_address: merchant.map(|p| p.address).unwrap_or_default(),
            at: op.finished_at.unwrap_or(op.at).with_timezone(&Local).fixed_offset(),
            kind,
            amount,
            card_brand: brand.map(|b| b.label().to_owned()),
            masked_card: card,
            authorization_code,
            fort_id: order.fort_id.clone(),
            merchant_reference: order.merchant_reference.clone(),
            operator: op.operator.clone(),
            customer_email: order.customer_email.clone(),
        })
    }

    /// The end-of-shift report: every operation in the period, per operator, currency and
    /// operation, the net per currency, and the orders that need a person now.
    ///
    /// # Errors
    /// [`ServiceError::NotAllowed`] without the reports right; journal failure.
    pub async fn shift_report(&self, query: ReportQuery) -> Result<ShiftReport, ServiceError> {
        self.allow(super::access::Right::Reports).await?;
        // An export is an entry of the trail, as History's CSV is.
        self.chain().await?;
        let q = query.clone();
        let (operations, orders, attention) = self
            .journal(move |j| {
                let (from, to) = (q.from.with_timezone(&Utc), q.to.with_timezone(&Utc));
                let ops = j.operations_between(q.profile.as_deref(), q.operator.as_deref(), from, to)?;
                let mut orders: HashMap<(String, String), OrderRow> = HashMap::new();
                for op in &ops {
                    let key = (op.profile.clone(), op.merchant_reference.clone());
                    if !orders.contains_key(&key)
                        && let Some(mut order) = j.order(&key.0, &key.1)?
                    {
                        if order.kind == journal::OrderKind::PaymentLink {
                            order = as_paid(order, &j.timeline(&key.0, &key.1)?);
                        }
                        orders.insert(key, order);
                    }
                }
                let attention = needing_attention(j, q.profile.as_deref(), q.operator.as_deref())?;
                Ok((ops, orders, attention))
            })
            .await?;
        let offset = *query.from.offset();
        let entries: Vec<Entry> = operations
            .iter()
            .filter_map(|op| {
                let order = orders.get(&(op.profile.clone(), op.merchant_reference.clone()))?;
                entry(op, order, offset)
            })
            .collect();
        let scope = [
            query.profile.as_ref().map(|p| format!("profile {p}")),
            query.operator.as_ref().map(|o| format!("operator {o}")),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(", ");
        self.note("export", "ok", "end-of-shift report").await;
        Ok(ShiftReport::build(query.from, query.to, scope, &entries, attention))
    }
}

/// The operation a receipt is for.
fn pick_operation<'a>(
    order: &OrderRow,
    timeline: &'a [OperationRow],
    wanted: Option<i64>,
) -> Result<&'a OperationRow, ServiceError> {
    match wanted {
        Some(id) => timeline.iter().find(|op| op.id.0 == id).ok_or_else(|| {
            ServiceError::invalid(
                Field::Operation,
                format!("order {} has no operation {id}; History lists its operations", order.merchant_reference),
            )
        }),
        None => timeline.iter().rev().find(|op| receipt_kind(order, op).is_some()).ok_or_else(|| {
            ServiceError::invalid(
                Field::Operation,
                format!(
                    "order {} has no approved sale, authorization, capture, refund or void to give a receipt for",
                    order.merchant_reference
                ),
            )
        }),
    }
}

fn not_for_receipt(reference: &str, op: &OperationRow) -> ServiceError {
    ServiceError::invalid(
        Field::Operation,
        format!(
            "operation {} of {reference} ({}, {}) has no receipt: receipts are for approved sales, \
             authorizations, captures, refunds and voids",
            op.id.0,
            op.operation.wire_name(),
            op.state.as_str()
        ),
    )
}

/// True when `op` of `order` has a receipt: the rule [`Service::receipt`] applies, for the
/// screens to offer only what it will give.
pub fn has_receipt(order: &OrderRow, op: &OperationRow) -> bool {
    receipt_kind(order, op).is_some()
}

/// What a receipt calls the operation, when it is an approved one a receipt is for. A payment
/// link's receipt is its payment: once the customer has paid.
fn receipt_kind(order: &OrderRow, op: &OperationRow) -> Option<ReceiptKind> {
    if outcome_of_operation(op) != RowOutcome::Approved {
        return None;
    }
    Some(match op.operation {
        Operation::Purchase => ReceiptKind::Sale,
        Operation::Authorization => ReceiptKind::Authorization,
        Operation::Capture => ReceiptKind::Capture,
        Operation::Refund => ReceiptKind::Refund,
        Operation::VoidAuthorization => ReceiptKind::Void,
        Operation::PaymentLink if order.captured_minor > 0 => ReceiptKind::Sale,
        _ => return None,
    })
}

fn receipt_amount(order: &OrderRow, op: &OperationRow, kind: ReceiptKind) -> Result<Money, ServiceError> {
    let minor = match (op.amount, kind) {
        (_, ReceiptKind::Sale) if op.operation == Operation::PaymentLink => order.captured_minor,
        (Some(m), _) => m.minor_units(),
        (None, _) => order.authorized_minor.max(order.amount_minor),
    };
    Money::from_minor(minor, order.currency).map_err(|e| ServiceError::Journal(e.to_string()))
}

/// What one operation counts as, with the order it belongs to.
fn entry(op: &OperationRow, order: &OrderRow, offset: FixedOffset) -> Option<Entry> {
    let (op_kind, amount_minor) = match op.operation {
        // A link the customer paid: counted when it was sent (the journal records no time for
        // the payment itself), as the sale or authorization it became.
        Operation::PaymentLink => paid_link(op, order)?,
        _ => (counted_as(op)?, op.amount.map_or(order.amount_minor, Money::minor_units)),
    };
    Some(Entry {
        operator: op.operator.to_lowercase(),
        currency: order.currency,
        op: op_kind,
        amount_minor,
        at: op.at.with_timezone(&offset),
    })
}

/// A money operation's line: its own kind when approved, else declined or unknown; `None` for
/// one that never reached APS and for operations that move no money.
fn counted_as(op: &OperationRow) -> Option<ReportOp> {
    let money_op = match op.operation {
        Operation::Purchase => ReportOp::Sale,
        Operation::Authorization => ReportOp::Authorize,
        Operation::Capture => ReportOp::Capture,
        Operation::Refund => ReportOp::Refund,
        Operation::VoidAuthorization => ReportOp::Void,
        _ => return None,
    };
    match outcome_of_operation(op) {
        RowOutcome::Approved => Some(money_op),
        RowOutcome::Declined | RowOutcome::Rejected => Some(ReportOp::Declined),
        RowOutcome::Unknown => Some(ReportOp::Unknown),
        RowOutcome::NotSent | RowOutcome::Invalid => None,
    }
}

/// A payment link's order as its payment left it: without what captures took later (they are
/// lines of their own), so that a link paid as an authorization counts as one, not as a sale.
fn as_paid(order: OrderRow, timeline: &[OperationRow]) -> OrderRow {
    let captured_later: u64 = timeline
        .iter()
        .filter(|o| o.operation == Operation::Capture && outcome_of_operation(o) == RowOutcome::Approved)
        .filter_map(|o| o.amount.map(Money::minor_units))
        .sum();
    OrderRow { captured_minor: order.captured_minor.saturating_sub(captured_later), ..order }
}

/// A paid payment link's line and amount; `None` while unpaid.
fn paid_link(op: &OperationRow, order: &OrderRow) -> Option<(ReportOp, u64)> {
    if outcome_of_operation(op) != RowOutcome::Approved {
        return None;
    }
    match (order.captured_minor, order.authorized_minor) {
        (0, 0) => None,
        (0, authorized) => Some((ReportOp::Authorize, authorized)),
        (captured, _) => Some((ReportOp::Sale, captured)),
    }
}

/// Orders a person must look at now, whenever they were taken: flagged, or in doubt.
fn needing_attention(
    j: &journal::Journal,
    profile: Option<&str>,
    operator: Option<&str>,
) -> Result<Vec<Attention>, journal::JournalError> {
    let base = || journal::Filter {
        profile: profile.map(str::to_owned),
        operator: operator.map(str::to_owned),
        limit: Some(500),
        ..Default::default()
    };
    let mut orders = j.search(&journal::Filter { needs_attention: Some(true), ..base() })?;
    orders.extend(
        j.search(&journal::Filter { states: vec![OrderState::Unknown, OrderState::Pending], ..base() })?,
    );
    orders.sort_by(|a, b| (a.created_at, &a.merchant_reference).cmp(&(b.created_at, &b.merchant_reference)));
    orders.dedup_by(|a, b| a.profile == b.profile && a.merchant_reference == b.merchant_reference);
    Ok(orders
        .into_iter()
        .filter(|o| o.kind != journal::OrderKind::PaymentLink || o.needs_attention.is_some())
        .map(|o| Attention {
            reason: o
                .needs_attention
                .clone()
                .unwrap_or_else(|| "outcome not known yet: check status".to_owned()),
            profile: o.profile,
            merchant_reference: o.merchant_reference,
            operator: o.operator,
            currency: o.currency,
            amount_minor: o.amount_minor,
            state: o.state.as_str().to_owned(),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::sample_row;
    use crate::journal::{OpId, OpState, OrderKind};

    fn op(
        operation: Operation,
        state: OpState,
        code: Option<&str>,
        amount_minor: Option<u64>,
    ) -> OperationRow {
        let aed = crate::aps::money::Currency::parse("AED").expect("AED");
        OperationRow {
            id: OpId(1),
            profile: "p".into(),
            merchant_reference: "r".into(),
            operation,
            maintenance_reference: None,
            amount: amount_minor.map(|m| Money::from_minor(m, aed).expect("money")),
            state,
            response_code: code.map(str::to_owned),
            response_message: None,
            operator: "Amal".into(),
            at: Utc::now(),
            finished_at: None,
            note: None,
            owner: None,
            deadline: None,
            approved_by: None,
        }
    }

    fn counted(op: &OperationRow, order: &OrderRow) -> Option<(ReportOp, u64)> {
        entry(op, order, FixedOffset::east_opt(4 * 3600).expect("offset")).map(|e| (e.op, e.amount_minor))
    }

    #[test]
    fn each_operation_counts_as_its_kind_declined_or_unknown() {
        let order = sample_row();
        let cases = [
            (
                op(Operation::Purchase, OpState::Approved, Some("14000"), Some(1000)),
                Some((ReportOp::Sale, 1000)),
            ),
            (
                op(Operation::Refund, OpState::Approved, Some("06000"), Some(250)),
                Some((ReportOp::Refund, 250)),
            ),
            (
                op(Operation::Purchase, OpState::Declined, Some("13666"), Some(1000)),
                Some((ReportOp::Declined, 1000)),
            ),
            (op(Operation::Capture, OpState::Unknown, None, Some(400)), Some((ReportOp::Unknown, 400))),
            // Found applied when APS was asked.
            (
                op(Operation::Capture, OpState::Resolved, Some("04000"), Some(400)),
                Some((ReportOp::Capture, 400)),
            ),
            // A void carries no amount: the order's.
            (
                op(Operation::VoidAuthorization, OpState::Approved, Some("08000"), None),
                Some((ReportOp::Void, 1000)),
            ),
            (op(Operation::Purchase, OpState::NotSent, None, Some(1000)), None),
            (op(Operation::CreateToken, OpState::Approved, Some("18000"), None), None),
        ];
        for (operation, wanted) in cases {
            assert_eq!(
                counted(&operation, &order),
                wanted,
                "{:?} {:?}",
                operation.operation,
                operation.state
            );
        }
    }

    #[test]
    fn a_paid_link_counts_as_what_it_became_and_an_unpaid_one_not_at_all() {
        let link = op(Operation::PaymentLink, OpState::Approved, Some("48000"), None);
        let mut order = OrderRow { kind: OrderKind::PaymentLink, ..sample_row() };
        assert_eq!(counted(&link, &order), None, "not paid yet");
        order.captured_minor = 1000;
        assert_eq!(counted(&link, &order), Some((ReportOp::Sale, 1000)));
        order.captured_minor = 0;
        order.authorized_minor = 700;
        assert_eq!(counted(&link, &order), Some((ReportOp::Authorize, 700)));
    }

    #[test]
    fn a_link_paid_as_an_authorization_then_captured_counts_once() {
        let link = op(Operation::PaymentLink, OpState::Approved, Some("48000"), None);
        let order = OrderRow {
            kind: OrderKind::PaymentLink,
            authorized_minor: 1000,
            captured_minor: 600,
            ..sample_row()
        };
        let capture = op(Operation::Capture, OpState::Approved, Some("04000"), Some(600));
        let paid = as_paid(order, std::slice::from_ref(&capture));
        assert_eq!(
            counted(&link, &paid),
            Some((ReportOp::Authorize, 1000)),
            "not a sale of what the capture took"
        );
        assert_eq!(counted(&capture, &paid), Some((ReportOp::Capture, 600)));
    }
}
