//! A running simulator, as its starter holds it: where it listens, its control token, what it
//! committed, and stopping it.

use super::http;
use super::{Fault, Movement, OrderView, RequestRecord};
use std::net::SocketAddr;
use std::sync::Arc;

/// A running simulator. Dropping it stops the server; [`SimHandle::shutdown`] also waits until
/// every connection is closed and the port is free.
pub struct SimHandle {
    pub(super) addr: SocketAddr,
    pub(super) base_url: String,
    /// Where the payment-link pages are: the API's address, or their own (`link_pages`).
    pub(super) link_base_url: String,
    pub(super) shared: Arc<http::Shared>,
    pub(super) stop: Option<tokio::sync::watch::Sender<bool>>,
    pub(super) task: Option<tokio::task::JoinHandle<()>>,
}

impl SimHandle {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://HOST:PORT`, without a trailing slash.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    pub fn payment_api_url(&self) -> String {
        format!("{}/FortAPI/paymentApi", self.base_url)
    }

    pub fn upload_url(&self) -> String {
        format!("{}/FortAPI/upload/", self.base_url)
    }

    pub fn batch_url(&self) -> String {
        format!("{}/FortAPI/batchApi/", self.base_url)
    }

    /// The control API root, `http://HOST:PORT/sim`. Every request to it needs
    /// [`SimHandle::control_token`] in the [`CONTROL_TOKEN_HEADER`](super::CONTROL_TOKEN_HEADER) header.
    pub fn control_url(&self) -> String {
        format!("{}/sim", self.base_url)
    }

    /// The random token of this run that the control API requires.
    pub fn control_token(&self) -> &str {
        self.shared.control_token.expose()
    }

    /// `http://HOST:PORT` of the payment-link pages: [`SimHandle::base_url`], or their own
    /// address when [`SimConfig::link_pages`] is set.
    ///
    /// [`SimConfig::link_pages`]: super::SimConfig::link_pages
    pub fn link_base_url(&self) -> &str {
        &self.link_base_url
    }

    /// The customer's page of a payment link, `http://HOST:PORT/pay/{id}` (no token needed), as
    /// the `payment_link` URL names it.
    pub fn link_page_url(&self, payment_link_id: &str) -> String {
        format!("{}/pay/{payment_link_id}", self.link_base_url)
    }

    /// Queues a fault for the next matching requests.
    pub fn inject(&self, fault: Fault) {
        self.shared.faults.push(fault);
    }

    pub fn clear_faults(&self) {
        self.shared.faults.clear();
    }

    /// The faults still queued, with their remaining counts.
    pub fn faults(&self) -> Vec<Fault> {
        self.shared.faults.list()
    }

    /// Every order, oldest first, as committed.
    pub fn orders(&self) -> Vec<OrderView> {
        self.shared.engine.orders()
    }

    /// One order by merchant reference.
    pub fn order(&self, merchant_reference: &str) -> Option<OrderView> {
        self.shared.engine.order(merchant_reference)
    }

    /// APS no longer holds the batches it was given and never processed (as when an unprocessed
    /// batch expires): GET_BATCH_RESULTS answers `141` for them and their references can be
    /// uploaded again. Returns how many were dropped.
    pub fn discard_unprocessed_batches(&self) -> usize {
        self.shared.engine.discard_unprocessed_batches()
    }

    /// Every committed money movement, in order.
    pub fn money_movements(&self) -> Vec<Movement> {
        self.shared.engine.movements()
    }

    /// The last API requests received (at most 10,000), oldest first.
    pub fn requests(&self) -> Vec<RequestRecord> {
        self.shared.log.list()
    }

    /// Stops accepting, closes every connection and waits for the server task to end.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(true);
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for SimHandle {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(true);
        }
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

impl std::fmt::Debug for SimHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimHandle").field("addr", &self.addr).finish_non_exhaustive()
    }
}
