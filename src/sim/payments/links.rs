//! Payment links: an order waiting for the customer, its local page, and paying it.

use super::LINK_CARD_MASKED;
use crate::aps::Params;
use crate::sim::engine::{Checked, Engine, answer, now_rfc3339, put, random_digits, random_hex, text};
use crate::sim::state::{LinkInfo, MovementKind, Order, OrderKind, State};
use crate::sim::{OrderView, SimError};

impl Engine {
    /// PAYMENT_LINK: an order waiting for the customer, with a link to a local page.
    pub(in crate::sim) fn payment_link(
        &self,
        st: &mut State,
        req: &Params,
        checked: Checked,
    ) -> (Params, bool) {
        let reference = text(req, "merchant_reference").unwrap_or_default();
        if let Some(order) = st.orders.get(reference) {
            let (status, message) = link_taken(order);
            return (answer(req, status, message), false);
        }
        let (Some(currency), Some(amount)) = (checked.currency, checked.amount) else {
            return (answer(req, "00", "001"), false);
        };
        let id = match text(req, "payment_link_id") {
            Some(id) if st.by_link.contains_key(id) => return (answer(req, "49", "126"), false),
            Some(id) => id.to_owned(),
            None => random_hex(8).to_ascii_uppercase(),
        };
        let kind = if text(req, "link_command") == Some("AUTHORIZATION") {
            OrderKind::Authorization
        } else {
            OrderKind::Purchase
        };
        let fort_id = self.next_fort_id();
        let at = now_rfc3339();
        st.add_order(Order {
            seq: 0,
            merchant_reference: reference.to_owned(),
            fort_id: fort_id.clone(),
            kind,
            currency: currency.code().to_owned(),
            amount,
            authorized: 0,
            captured: 0,
            refunded: 0,
            voided: false,
            declined: false,
            last_status: "48".into(),
            last_message: "000".into(),
            eci: None,
            token_name: None,
            card_masked: None,
            expiry: None,
            payment_option: text(req, "payment_option").map(str::to_owned),
            authorization_code: None,
            link: Some(LinkInfo {
                id: id.clone(),
                paid: false,
                expires: text(req, "request_expiry_date").unwrap_or_default().to_owned(),
                customer_email: text(req, "customer_email").unwrap_or_default().to_owned(),
                order_description: text(req, "order_description").map(str::to_owned),
            }),
            refunds: Vec::new(),
            movements: Vec::new(),
            created_at: at,
        });
        let mut out = answer(req, "48", "000");
        put(&mut out, "fort_id", fort_id);
        put(&mut out, "payment_link", format!("{}/pay/{id}", self.base_url));
        put(&mut out, "payment_link_id", id);
        (out, true)
    }

    /// The customer pays a link: the order is charged to the demo Visa card.
    pub(crate) fn mark_link_paid(&self, id: &str) -> Result<OrderView, SimError> {
        self.with_state(|st| {
            let Some(reference) = st.by_link.get(id).cloned() else {
                return (Err(SimError::LinkNotFound(id.to_owned())), false);
            };
            let Some(order) = st.orders.get_mut(&reference) else {
                return (Err(SimError::LinkNotFound(id.to_owned())), false);
            };
            let Some(link) = order.link.as_mut() else {
                return (Err(SimError::LinkNotFound(id.to_owned())), false);
            };
            if link.paid {
                return (Err(SimError::LinkAlreadyPaid(id.to_owned())), false);
            }
            if super::link_expired(&link.expires) {
                return (Err(SimError::LinkExpired(id.to_owned())), false);
            }
            link.paid = true;
            order.authorized = order.amount;
            let movement = if order.kind == OrderKind::Purchase {
                order.captured = order.amount;
                order.last_status = "14".into();
                MovementKind::Purchase
            } else {
                order.last_status = "02".into();
                MovementKind::Authorization
            };
            order.last_message = "000".into();
            order.eci = Some("ECOMMERCE".into());
            order.card_masked = Some(LINK_CARD_MASKED.into());
            order.payment_option = Some("VISA".into());
            order.authorization_code = Some(random_digits(6));
            let amount = order.amount;
            let at = now_rfc3339();
            st.record_movement(&reference, movement, amount, None, &at);
            let view = st.orders.get(&reference).map(Order::view);
            match view {
                Some(view) => (Ok(view), true),
                None => (Err(SimError::LinkNotFound(id.to_owned())), true),
            }
        })
    }

    /// The customer tried to pay a link and the issuer declined the card: the order's last
    /// transaction is a declined purchase (or authorization); the link stays open to pay again.
    pub(crate) fn decline_link_payment(&self, id: &str) -> Result<OrderView, SimError> {
        self.with_state(|st| {
            let reference = st.by_link.get(id).cloned().unwrap_or_default();
            let Some(order) = st.orders.get_mut(&reference).filter(|o| o.link.is_some()) else {
                return (Err(SimError::LinkNotFound(id.to_owned())), false);
            };
            if order.link.as_ref().is_some_and(|l| l.paid) {
                return (Err(SimError::LinkAlreadyPaid(id.to_owned())), false);
            }
            order.last_status = if order.kind == OrderKind::Purchase { "13" } else { "03" }.into();
            order.last_message = "666".into();
            (Ok(order.view()), true)
        })
    }

    /// The link's expiry passes now, unpaid (the customer never came).
    pub(crate) fn expire_link(&self, id: &str) -> Result<(), SimError> {
        self.with_state(|st| {
            let reference = st.by_link.get(id).cloned().unwrap_or_default();
            match st.orders.get_mut(&reference).and_then(|o| o.link.as_mut()) {
                Some(link) => {
                    link.expires = (chrono::Utc::now() - chrono::Duration::seconds(1)).to_rfc3339();
                    (Ok(()), true)
                }
                None => (Err(SimError::LinkNotFound(id.to_owned())), false),
            }
        })
    }

    /// The HTML page behind `payment_link`.
    pub(crate) fn link_page(&self, id: &str) -> Option<String> {
        let st = self.lock();
        let order = st.orders.get(st.by_link.get(id)?)?;
        let link = order.link.as_ref()?;
        let currency = crate::aps::money::Currency::parse(&order.currency).ok()?;
        let amount = crate::aps::money::format_minor(order.amount, currency);
        let status = if link.paid { "Paid" } else { "Waiting for payment" };
        let description = link.order_description.as_deref().unwrap_or("");
        let button = if link.paid {
            String::new()
        } else {
            format!(
                "<form method=\"post\" action=\"/pay/{}\"><button type=\"submit\">Pay {} {}</button></form>",
                html_escape(id),
                html_escape(&amount),
                html_escape(&order.currency)
            )
        };
        Some(format!(
            "<!doctype html><html><head><meta charset=\"utf-8\"><title>Payment link {id}</title></head>\
             <body><h1>Demo payment link</h1><p>Order {reference}</p><p>{description}</p>\
             <p>Amount: {amount} {currency}</p><p>Status: {status}</p>{button}\
             <p>This page belongs to the moto-terminal APS simulator; no real card is charged.</p></body></html>",
            id = html_escape(id),
            reference = html_escape(&order.merchant_reference),
            description = html_escape(description),
            amount = html_escape(&amount),
            currency = html_escape(&order.currency),
        ))
    }
}

pub(crate) fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// Why a PAYMENT_LINK for a reference APS already holds is refused: its link is still open
/// (`49150`), already paid (`49125`), or expired unpaid (`49117`, already processed); an order
/// that is not a link is a duplicate order (`00066`). Which code APS gives for which case is
/// UNKNOWN beyond their names (spec 3.10); each refuses a second link.
fn link_taken(order: &Order) -> (&'static str, &'static str) {
    match &order.link {
        Some(link) if link.paid => ("49", "125"),
        Some(link) if !super::link_expired(&link.expires) => ("49", "150"),
        Some(_) => ("49", "117"),
        None => ("00", "066"),
    }
}
