//! Where a payment link stands at APS, and what the journal learns from each answer: open and
//! not paid yet, paid (the order takes APS's amounts and Fort ID), expired, or a payment attempt
//! declined while the link stays open. Used by the Status screen and `status` for one link
//! order, and by the Payment link screen for every open link (`refresh_links`).

use super::policy::Amounts;
use super::{Service, ServiceError};
use crate::aps::money::{Currency, format_minor};
use crate::aps::response::{LinkState, OrderStatus, StatusAnswer, Verdict, describe_link};
use crate::journal::{LinkRow, LinkStatus, OrderState, OrderUpdate};
use chrono::{Duration as ChronoDuration, Utc};

/// What the journal records of a link answer: every answer's code and message; the money and
/// the Fort ID once paid; the order closed once expired.
fn link_update(status: &OrderStatus, state: LinkState) -> (OrderUpdate, Option<LinkStatus>) {
    let (mut update, link) = match state {
        LinkState::Paid => (
            super::maintenance::amounts_update(Amounts::of(status), status.fort_id.clone()),
            Some(LinkStatus::Paid),
        ),
        LinkState::Expired => {
            let closed = OrderUpdate { state: Some(OrderState::NotSent), ..Default::default() };
            (closed, Some(LinkStatus::Expired))
        }
        LinkState::Open | LinkState::AttemptDeclined | LinkState::Unclear => (OrderUpdate::default(), None),
    };
    update.last_response_code =
        (!status.transaction_code.is_empty()).then(|| status.transaction_code.clone());
    update.last_message = if state == LinkState::Expired {
        Some("payment link expired unpaid".into())
    } else {
        (!status.transaction_message.is_empty()).then(|| status.transaction_message.clone())
    };
    (update, link)
}

impl Service {
    /// Records what a CHECK_STATUS answer says of a payment link order, and returns its state.
    /// Money is booked only from a final answer: an answer still on hold or in review
    /// (`is_final` false) records its code and leaves the link open.
    pub(super) async fn apply_link_answer(
        &self,
        profile: &str,
        reference: &str,
        status: &OrderStatus,
        is_final: bool,
    ) -> Result<LinkState, ServiceError> {
        let state = match status.link_state() {
            LinkState::Paid | LinkState::Expired if !is_final => LinkState::Unclear,
            state => state,
        };
        let (update, link) = link_update(status, state);
        let (p, r) = (profile.to_owned(), reference.to_owned());
        let id = status.payment_link_id.clone();
        self.journal(move |j| {
            j.update_order(&p, &r, &update)?;
            if let Some(id) = &id {
                j.learn_link_id(&p, &r, id)?;
            }
            match link {
                Some(link) => j.update_link_status(&p, &r, link),
                None => Ok(()),
            }
        })
        .await?;
        Ok(state)
    }

    /// The words for a link order's status answer, after recording it, with the link's state.
    pub(super) async fn link_report(
        &self,
        profile: &str,
        reference: &str,
        status: &OrderStatus,
        currency: Currency,
        is_final: bool,
    ) -> Result<(Verdict, LinkState), ServiceError> {
        let state = self.apply_link_answer(profile, reference, status, is_final).await?;
        let money = |minor| format!("{currency} {}", format_minor(minor, currency));
        Ok((describe_link(status, state, &money), state))
    }

    /// Payment links of a profile, after asking APS about every open one.
    ///
    /// # Errors
    /// Profile or journal failure.
    pub async fn refresh_links(&self, profile: &str) -> Result<Vec<LinkRow>, ServiceError> {
        self.allow(crate::service::access::Right::PaymentLinks).await?;
        let ctx = self.ctx(profile).await?;
        let p = profile.to_owned();
        let open = self.journal(move |j| j.links(Some(&p), Some(LinkStatus::Open))).await?;
        for link in open {
            let reference = link.merchant_reference.clone();
            let state = match self.query_status(&ctx, &reference, None, None).await? {
                StatusAnswer::Found(s) => Some(self.apply_link_answer(profile, &reference, &s, true).await?),
                StatusAnswer::StillUncertain(s) => {
                    Some(self.apply_link_answer(profile, &reference, &s, false).await?)
                }
                StatusAnswer::NotFound => None,
                // The question did not get through: ask again next time.
                StatusAnswer::QueryFailed(_) => continue,
            };
            // Expired and unpaid on APS's word alone when it says so (115); otherwise only when
            // APS still shows no payment (or no order) well after the link's expiry (a payment
            // made at the last moment may take a while), and again a little later.
            let unpaid = matches!(state, None | Some(LinkState::Open | LinkState::AttemptDeclined));
            if unpaid && self.link_expired(&link).await? {
                let (p, r) = (profile.to_owned(), reference);
                let update = OrderUpdate {
                    state: Some(OrderState::NotSent),
                    last_message: Some("payment link expired unpaid".into()),
                    ..Default::default()
                };
                self.journal(move |j| {
                    j.update_order(&p, &r, &update)?;
                    j.update_link_status(&p, &r, LinkStatus::Expired)
                })
                .await?;
            }
        }
        let p = profile.to_owned();
        self.journal(move |j| j.links(Some(&p), None)).await
    }

    /// Whether an open link APS has just shown unpaid may be declared expired: its expiry plus
    /// the in-flight window has passed, and an earlier unpaid answer after that lies at least
    /// the confirmation delay back. Notes this answer for the next check otherwise.
    async fn link_expired(&self, link: &LinkRow) -> Result<bool, ServiceError> {
        let now = Utc::now();
        let grace = ChronoDuration::from_std(self.settings().in_flight_window).unwrap_or_default();
        if now < link.expires_at + grace {
            return Ok(false);
        }
        let (p, r) = (link.profile.clone(), link.merchant_reference.clone());
        let first = self.journal(move |j| j.note_link_unpaid(&p, &r, now)).await?;
        let confirm = ChronoDuration::from_std(self.settings().not_found_confirm).unwrap_or_default();
        Ok(now - first >= confirm)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_paid_link_takes_apss_money_and_a_voided_one_is_voided() {
        let (update, link) = link_update(&OrderStatus::sample("14000", 5_000, 5_000), LinkState::Paid);
        assert_eq!(
            (update.state, update.captured_minor, link),
            (Some(OrderState::Captured), Some(5_000), Some(LinkStatus::Paid))
        );
        let (update, _) = link_update(&OrderStatus::sample("08000", 5_000, 0), LinkState::Paid);
        assert_eq!(
            update.state,
            Some(OrderState::Voided),
            "an authorization voided at APS is not capturable"
        );
        let (update, link) = link_update(&OrderStatus::sample("13666", 0, 0), LinkState::AttemptDeclined);
        assert_eq!((update.state, update.last_response_code.as_deref(), link), (None, Some("13666"), None));
    }
}
