//! Reading the journal: searching orders, one order's timeline, CSV, and the orders in doubt.

use super::{Service, ServiceError};
use crate::journal::{self, OrderRow};

impl Service {
    /// Orders matching a filter, newest first.
    ///
    /// # Errors
    /// Journal failure.
    pub async fn search(&self, filter: journal::Filter) -> Result<Vec<OrderRow>, ServiceError> {
        let filter = self.own_filter(filter).await?;
        self.journal(move |j| j.search(&filter)).await
    }

    /// The orders History shows: while browsing (no reference, text, Fort ID or card typed),
    /// the profile's orders that need attention (marked so, or unknown) come first, whoever
    /// took them, then the page asked for without them. A search for one order shows only it.
    ///
    /// # Errors
    /// Journal failure.
    pub async fn history(&self, filter: journal::Filter) -> Result<Vec<OrderRow>, ServiceError> {
        let filter = self.own_filter(filter).await?;
        let typed = [&filter.reference, &filter.text, &filter.fort_id, &filter.last4];
        if typed.iter().any(|t| t.as_deref().is_some_and(|t| !t.trim().is_empty())) || filter.offset > 0 {
            return self.search(filter).await;
        }
        self.journal(move |j| {
            let pinned_by = |f: journal::Filter| journal::Filter {
                profile: filter.profile.clone(),
                limit: Some(50),
                ..f
            };
            let mut pinned =
                j.search(&pinned_by(journal::Filter { needs_attention: Some(true), ..Default::default() }))?;
            pinned.extend(j.search(&pinned_by(journal::Filter {
                states: vec![journal::OrderState::Unknown],
                ..Default::default()
            }))?);
            pinned.sort_by_key(|o| std::cmp::Reverse(o.created_at));
            let mut seen = std::collections::HashSet::new();
            pinned.retain(|o| seen.insert((o.profile.clone(), o.merchant_reference.clone())));
            let page = j.search(&filter)?;
            let shown = |o: &OrderRow| {
                pinned.iter().any(|p| p.merchant_reference == o.merchant_reference && p.profile == o.profile)
            };
            let rest: Vec<OrderRow> = page.into_iter().filter(|o| !shown(o)).collect();
            pinned.extend(rest);
            Ok(pinned)
        })
        .await
    }

    /// An order and its timeline of every operation.
    ///
    /// # Errors
    /// Journal failure.
    pub async fn order_detail(
        &self,
        profile: &str,
        reference: &str,
    ) -> Result<Option<(OrderRow, Vec<journal::OperationRow>)>, ServiceError> {
        self.readable_order(profile, reference, true).await
    }

    /// An order and its timeline if the operator may read it: an agent reads their own orders,
    /// and, when `others_in_doubt`, other agents' orders in doubt (History shows those to all).
    pub(super) async fn readable_order(
        &self,
        profile: &str,
        reference: &str,
        others_in_doubt: bool,
    ) -> Result<Option<(OrderRow, Vec<journal::OperationRow>)>, ServiceError> {
        use crate::service::access::{Right, allows};
        let actor = self.allow(Right::OwnHistory).await?;
        let only = actor.role.filter(|r| !allows(*r, Right::EveryonesHistory)).map(|_| actor.name);
        let (p, r) = (profile.to_owned(), reference.to_owned());
        self.journal(move |j| {
            let Some(order) = j.order(&p, &r)? else { return Ok(None) };
            let in_doubt = others_in_doubt
                && (order.needs_attention.is_some() || order.state == journal::OrderState::Unknown);
            if only.as_ref().is_some_and(|me| !order.operator.eq_ignore_ascii_case(me) && !in_doubt) {
                return Ok(None);
            }
            let timeline = j.timeline(&p, &r)?;
            Ok(Some((order, timeline)))
        })
        .await
    }

    /// Writes the matching orders as CSV.
    ///
    /// # Errors
    /// Journal or write failure.
    pub async fn export_csv(&self, filter: journal::Filter, out: &mut Vec<u8>) -> Result<(), ServiceError> {
        let filter = self.own_filter(filter).await?;
        self.chain().await?;
        self.note("export", "ok", "history as CSV").await;
        let bytes = self
            .journal(move |j| {
                let mut buf = Vec::new();
                j.export_csv(&filter, &mut buf)?;
                Ok(buf)
            })
            .await?;
        out.extend_from_slice(&bytes);
        Ok(())
    }

    /// Orders of a profile whose outcome is unknown or never answered.
    ///
    /// # Errors
    /// Journal failure.
    pub async fn unresolved(&self, profile: Option<&str>) -> Result<Vec<journal::Unresolved>, ServiceError> {
        self.allow(crate::service::access::Right::OwnHistory).await?;
        let p = profile.map(str::to_owned);
        let all = self.journal(move |j| j.unresolved(p.as_deref())).await?;
        // An open payment link waits for the customer; it is not in doubt.
        Ok(all
            .into_iter()
            .filter(|u| u.order.kind != journal::OrderKind::PaymentLink || !u.open_operations.is_empty())
            .collect())
    }

    /// How many of a profile's orders in doubt wait for a person, not for a request still on
    /// its way: those whose every open operation is held by an APS batch (its run books it) or
    /// by another terminal that is running (its answer settles it) are left out.
    ///
    /// # Errors
    /// Journal failure.
    pub async fn in_doubt_for_a_person(&self, profile: Option<&str>) -> Result<usize, ServiceError> {
        let me = super::lease::this_process();
        let mut count = 0;
        for item in self.unresolved(profile).await? {
            let mut elsewhere = !item.open_operations.is_empty();
            for op in &item.open_operations {
                let live = match (&op.owner, op.deadline) {
                    (Some(owner), Some(deadline)) if owner != me => {
                        self.owner_alive(owner.clone(), deadline).await.unwrap_or(false)
                    }
                    _ => false,
                };
                elsewhere &= live || super::reconcile::held_by_aps_batch(op);
            }
            count += usize::from(!elsewhere);
        }
        Ok(count)
    }

    /// The filter as the operator may use it: an agent reads only their own orders.
    pub(super) async fn own_filter(
        &self,
        mut filter: journal::Filter,
    ) -> Result<journal::Filter, ServiceError> {
        use crate::service::access::{Right, allows};
        let actor = self.allow(Right::OwnHistory).await?;
        if actor.role.is_some_and(|r| !allows(r, Right::EveryonesHistory)) {
            filter.operator = Some(actor.name);
        }
        Ok(filter)
    }

    /// Whether `before` is still how the journal has the order now that APS has answered, with
    /// no operation open on it. Another process (a desk, the feedback receiver) may have
    /// changed it meanwhile, before or after APS wrote its answer: that answer is then not
    /// written over the change.
    pub(super) async fn unchanged(
        &self,
        profile: &str,
        before: &crate::journal::OrderRow,
    ) -> Result<bool, ServiceError> {
        let reference = before.merchant_reference.as_str();
        let now = self.order_row(profile, reference).await;
        let same = now.is_some_and(|o| o.updated_at == before.updated_at && o.state == before.state);
        Ok(same && !self.open_operation(profile, reference).await?)
    }

    /// Whether the order has an operation whose outcome is still open (a status check aside).
    pub(super) async fn open_operation(&self, profile: &str, reference: &str) -> Result<bool, ServiceError> {
        let (p, r) = (profile.to_owned(), reference.to_owned());
        let timeline = self.journal(move |j| j.timeline(&p, &r)).await?;
        Ok(timeline.iter().any(|o| o.state.is_open() && o.operation != crate::aps::Operation::CheckStatus))
    }
}
