//! Transaction feedback, the receiving side (spec 3.13): what to do with one post APS sent to
//! the merchant's feedback URL.
//!
//! A post is believed only when its signature checks out with the profile's SHA response phrase
//! and it names this profile's merchant. It is then applied by asking APS where the order
//! stands now (CHECK_STATUS) and bringing the journal in line, through the same rules as the
//! Status screen. The post itself is the prompt, not the record, for two reasons:
//! - APS retries a post for about 100 s and sends later changes as new posts, so posts can
//!   arrive late and out of order; an order's current state never goes backwards.
//! - One reading of APS's answers (`policy`) decides every outcome in the journal, whether the
//!   answer came to a request, a status check or a post.
//!
//! Applying is idempotent: a retried post finds the journal already in line and changes nothing.
//! When the order is still in doubt afterwards (another live terminal is still sending it, or
//! APS could not be reached) the post is answered "try again", and APS posts it again 10 s later.

use super::{Progress, Service};
use crate::aps::feedback::Post;
use crate::aps::response::StatusAnswer;
use crate::aps::sign;
use crate::journal::{OrderKind, OrderRow, OrderState};

/// How one post was taken, and what the HTTP answer to APS is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FeedbackReply {
    /// Applied (or already in the journal): HTTP 200. `summary` says where the order stands.
    Applied { summary: String },
    /// The order is not in this journal: HTTP 200, nothing written (APS must not keep retrying
    /// an order taken elsewhere).
    NotOurs,
    /// Not believed: HTTP 400, nothing written.
    Refused { why: String },
    /// Could not be applied now: HTTP 503, so APS posts it again.
    Later { why: String },
}

impl FeedbackReply {
    /// The HTTP status APS gets.
    pub fn http_status(&self) -> u16 {
        match self {
            Self::Applied { .. } | Self::NotOurs => 200,
            Self::Refused { .. } => 400,
            Self::Later { .. } => 503,
        }
    }

    /// One line for the receiver's log and the answer's body.
    pub fn words(&self) -> String {
        match self {
            Self::Applied { summary } => format!("applied: {summary}"),
            Self::NotOurs => "not an order of this journal: nothing applied".into(),
            Self::Refused { why } => format!("refused, not applied: {why}"),
            Self::Later { why } => format!("not applied yet, post again later: {why}"),
        }
    }
}

impl Service {
    /// Checks one feedback post for `profile` and applies it to the journal (module docs).
    pub async fn take_feedback(&self, profile: &str, post: &Post) -> FeedbackReply {
        let ctx = match self.ctx(profile).await {
            Ok(ctx) => ctx,
            Err(e) => return FeedbackReply::Later { why: e.to_string() },
        };
        let phrase = ctx.credentials.response_phrase.expose();
        if let Err(e) = sign::verify(&post.params, phrase, ctx.profile.algorithm) {
            return FeedbackReply::Refused { why: format!("{e} (checked with the SHA response phrase)") };
        }
        let merchant = post.params.get("merchant_identifier").and_then(|v| v.as_str());
        if merchant.is_some_and(|m| m != ctx.profile.merchant_identifier) {
            return FeedbackReply::Refused { why: "it is for another merchant identifier".into() };
        }
        let reference = post.merchant_reference.as_str();
        if let Err(e) = super::guard::reference(reference) {
            return FeedbackReply::Refused { why: e.to_string() };
        }
        let Some(order) = self.order_row(profile, reference).await else {
            return FeedbackReply::NotOurs;
        };
        match self.bring_in_line(profile, &order).await {
            Ok(order) if in_doubt(&order) => FeedbackReply::Later {
                why: format!(
                    "order {reference} is still in doubt (another terminal may still be sending it)"
                ),
            },
            Ok(order) if order.kind == OrderKind::PaymentLink && order.state == OrderState::Pending => {
                FeedbackReply::Applied { summary: format!("order {reference} is a payment link, still open") }
            }
            Ok(order) => FeedbackReply::Applied { summary: format!("order {reference} is {}", order.state) },
            Err(why) => FeedbackReply::Later { why },
        }
    }

    /// Settles an order in doubt with one status check (a post must be answered within seconds),
    /// then refreshes its amounts, link and Fort ID as `status` does. The error says why the
    /// order could not be brought in line now.
    async fn bring_in_line(&self, profile: &str, order: &OrderRow) -> Result<OrderRow, String> {
        let reference = order.merchant_reference.as_str();
        let progress = Progress::none();
        if in_doubt(order) {
            self.reconcile_where(Some(profile), Some(reference), true, &progress)
                .await
                .map_err(|e| e.to_string())?;
            let now = self.order_row(profile, reference).await;
            if let Some(now) = now.filter(in_doubt) {
                return Ok(now);
            }
        }
        let report = self.check_status(profile, reference, &progress).await.map_err(|e| e.to_string())?;
        if let StatusAnswer::QueryFailed(verdict) = report.answer {
            return Err(format!("APS did not answer the status check: {}", verdict.headline));
        }
        report.order.ok_or_else(|| format!("order {reference} is no longer in the journal"))
    }
}

/// An order whose outcome is not known. A payment link nobody has paid is pending too, but it
/// waits for the customer, not for APS.
fn in_doubt(order: &OrderRow) -> bool {
    order.state.needs_reconciliation() && order.kind != OrderKind::PaymentLink
}
