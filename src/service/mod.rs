//! The service: the only place that sequences `aps`, `vault`, `journal` and `gateway`.
//!
//! Every form of the desktop terminal and every command of the CLI calls these methods. They
//! own the exactly-once rules: an intent is durable in the journal before its request leaves;
//! an answer counts only if its signature verifies; any doubt about whether APS processed a
//! request is resolved with CHECK_STATUS on the same reference, never by sending it again; a
//! second charge of the same card or token for the same amount within ten minutes needs an
//! explicit override.
//!
//! The service never touches egui. Long operations report their stage through a [`Progress`]
//! callback; the desktop runs them through [`handle::ServiceHandle`], which wakes the UI after
//! delivering each result.

pub mod access;
mod approval;
mod audit;
pub mod batch;
mod charge;
mod error;
mod export;
mod feedback;
mod first_answer;
mod guard;
pub mod handle;
pub mod lease;
mod link_status;
mod links;
mod lookup;
mod maintenance;
mod operators;
mod outside;
pub mod people;
pub mod policy;
mod profile_test;
mod profiles;
mod queries;
mod reconcile;
mod recurring;
mod recurring_run;
mod recurring_setup;
mod references;
mod reports;
mod retry;
mod team;
mod tokens;
mod trail;

/// What a field error names: the screens put the cursor in its input.
pub use crate::aps::field::Field;
/// What the team journal's "Test connection" and "journal migrate" report.
pub use crate::journal::postgres::{Copied, TeamStatus};
pub use crate::report::{Receipt, ShiftReport};
pub use charge::{CardDraft, ChargeDraft, MailDetails, PaymentDraft};
pub use error::ServiceError;
pub(crate) use error::after_send;
pub use feedback::FeedbackReply;
pub use maintenance::StatusReport;
pub use operators::OperatorInfo;
pub use people::{Actor, Approval, Operator};
pub use profile_test::ProfileTest;
pub use profiles::{ProfileSummary, check_app_settings, check_stored_profile};
pub use reconcile::summary as reconcile_summary;
pub use references::{new_reference, operator_name};
pub use reports::{ReportQuery, has_receipt, period as report_period};
pub use team::{JournalChoice, OpenedJournal, TeamSaved, choose_journal, open_journal, team_status_text};
pub use trail::{Verified, intact_words, renewed_words};

/// What the Settings screen edits: a profile, its SHA type and environment, which secrets it
/// has, and the app settings. Secrets themselves go in through [`Service::save_profile`].
pub use crate::aps::sign::Algorithm;
pub use crate::vault::{
    Environment as ProfileEnvironment, Profile, SecretKind, SecretStatus, Settings as AppSettings,
};

pub(crate) use crate::files::csv_cell;
/// The journal's read-only row types, as the screens and the CLI see them.
/// The audit trail's entries, and CSV cells that spreadsheets do not run as formulas.
pub use crate::journal::AuditEntry;
pub use crate::journal::{
    Agreement, AgreementLimit, BatchRecord, BatchState, Channel, Cycle, Filter, LinkRow, LinkStatus, OpState,
    OperationRow, OrderKind, OrderRow, OrderState, TokenCustomer, TokenRecord, Unresolved,
};
pub use links::LinkDraft;
pub use recurring::AgreementDraft;
pub use recurring_setup::{AgreementSetUp, check_agreement};
pub use tokens::{CreateTokenDraft, TokenUpdateDraft};

use crate::aps::command::{Command, Merchant};
use crate::aps::response::Verdict;
use crate::aps::secret::WipedParams;
use crate::aps::{Operation, Params};
use crate::gateway::HttpGateway;
use crate::journal::{self, Journal};
use crate::vault::{Credentials, Vault};
use policy::Reading;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Timings the tests shrink; the defaults are what agents get.
#[derive(Clone, Debug)]
pub struct ServiceSettings {
    /// Multiplies the status-check back-off schedule ([`policy::backoff_schedule`]).
    pub backoff_unit: Duration,
    /// How long after sending a request may still be on its way (the request timeout plus a
    /// margin): before then, APS showing nothing proves nothing.
    pub in_flight_window: Duration,
    /// How long after a first "not found" the confirming check is made.
    pub not_found_confirm: Duration,
    /// Same card or token, same amount, within this window: ask before charging again.
    pub duplicate_window: Duration,
    /// False when no OS keychain works and secrets would only live in memory: saving them is
    /// then refused instead of silently lost at exit.
    pub secrets_persist: bool,
    /// Who is keying (`--operator` / `MOTO_TERMINAL_OPERATOR`, trimmed, never empty): wins over
    /// the profile's and Settings' operator, which win over the OS user.
    pub operator: Option<String>,
    /// This desk's name on every order it records (`--terminal`; the host name by default).
    pub terminal: String,
    /// Set when the team journal is configured but could not be reached at start: the message
    /// ("Team journal offline: ..."). The desk then works read-only on its local journal:
    /// nothing is sent to APS and nothing is committed.
    pub team_offline: Option<String>,
}

impl Default for ServiceSettings {
    fn default() -> Self {
        Self {
            backoff_unit: Duration::from_secs(1),
            in_flight_window: Duration::from_secs(90),
            not_found_confirm: policy::NOT_FOUND_CONFIRM_AFTER,
            duplicate_window: Duration::from_secs(10 * 60),
            secrets_persist: true,
            operator: None,
            terminal: lease::host(),
            team_offline: None,
        }
    }
}

/// Where a long operation stands, for the outcome panel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Stage {
    Sending,
    /// The outcome was in doubt; the service is asking APS (attempt counts from 1).
    Reconciling {
        attempt: usize,
        why: String,
    },
}

/// Receives stage changes. Cheap to clone.
#[derive(Clone)]
pub struct Progress(Arc<dyn Fn(Stage) + Send + Sync>);

impl Progress {
    pub fn new(f: impl Fn(Stage) + Send + Sync + 'static) -> Self {
        Self(Arc::new(f))
    }

    /// Discards stages (the CLI prints only the result).
    pub fn none() -> Self {
        Self::new(|_| {})
    }

    pub fn report(&self, stage: Stage) {
        (self.0)(stage);
    }
}

/// What happened, in words for the person at the keyboard.
#[derive(Clone, Debug)]
pub struct Outcome {
    pub profile: String,
    pub merchant_reference: String,
    pub operation: Operation,
    pub verdict: Verdict,
    /// The order as the journal now has it.
    pub order: Option<OrderRow>,
    /// The verdict was established by CHECK_STATUS after the direct answer was lost or doubtful.
    pub reconciled: bool,
    /// A token APS created or renamed.
    pub token_name: Option<String>,
    /// A payment link APS created.
    pub payment_link: Option<String>,
    /// The operation's own amount when it has one of its own (a capture or refund may be part
    /// of the order's); `None` when it is the order's, or has none (a void).
    pub amount: Option<crate::aps::money::Money>,
}

/// A profile with its secrets, loaded for one operation.
pub(crate) struct Ctx {
    /// The profile, its operator filled in as [`ServiceSettings::operator`] says.
    pub profile: Profile,
    pub credentials: Credentials,
    /// This desk, recorded on each order.
    pub terminal: String,
}

impl Ctx {
    fn merchant(&self) -> Merchant<'_> {
        Merchant {
            merchant_identifier: &self.profile.merchant_identifier,
            access_code: &self.credentials.access_code,
            language: &self.profile.language,
        }
    }
}

/// Who keys this operation: the operator given to this run, else the profile's, else Settings',
/// else the OS user.
fn fill_operator(profile: &mut Profile, forced: Option<String>, vault: &Vault) {
    if let Some(operator) = forced {
        profile.operator = operator;
    } else if profile.operator.trim().is_empty() {
        profile.operator = operator_name(&vault.settings().operator);
    }
}

/// Profile and merchant reference: what identifies an order.
type OrderKey = (String, String);

struct Inner {
    vault: Arc<Vault>,
    journal: Arc<Journal>,
    gateway: HttpGateway,
    settings: ServiceSettings,
    /// One operation at a time per order (spec 8: one in-flight request per order).
    order_locks: Mutex<HashMap<OrderKey, Arc<tokio::sync::Mutex<()>>>>,
    /// False while the start-up reconciliation runs: new charges wait for it (architecture,
    /// "The charge, step by step", step 5).
    ready: tokio::sync::watch::Sender<bool>,
    /// The installation's reference prefix, read from the journal on first use.
    reference_prefix: std::sync::OnceLock<String>,
    people: people::People,
}

/// The shared service. Clone it freely; all clones share one state.
#[derive(Clone)]
pub struct Service {
    inner: Arc<Inner>,
}

impl Service {
    pub fn new(
        vault: Arc<Vault>,
        journal: Arc<Journal>,
        gateway: HttpGateway,
        settings: ServiceSettings,
    ) -> Self {
        let (ready, _) = tokio::sync::watch::channel(true);
        // Other terminals on the team journal leave this process's operations in flight alone
        // while it runs, and settle them at once when it has ended.
        if let Err(e) = journal.announce(lease::this_process()) {
            log::warn!("team journal: this terminal's presence is not recorded: {e}");
        }
        Self {
            inner: Arc::new(Inner {
                vault,
                journal,
                gateway,
                settings,
                order_locks: Mutex::new(HashMap::new()),
                ready,
                reference_prefix: std::sync::OnceLock::new(),
                people: people::People::default(),
            }),
        }
    }

    /// Settles every order left in doubt by an earlier run, then keeps asking APS about any that
    /// stay unknown, every `interval`. New charges wait until the first pass is done. Runs on
    /// the given runtime until the process ends.
    pub fn start_reconciler(&self, runtime: &tokio::runtime::Handle, interval: Duration, progress: Progress) {
        self.inner.ready.send_replace(false);
        let service = self.clone();
        runtime.spawn(async move {
            loop {
                // The terminal's own housekeeping: it runs whoever is signed in, or nobody.
                match service.reconcile_where(None, None, false, &progress).await {
                    Ok(outcomes) if !outcomes.is_empty() => {
                        log::info!("reconciled {} order(s) in doubt", outcomes.len());
                        let lines: Vec<String> = outcomes.iter().map(reconcile_summary).collect();
                        service.note("reconcile", "ok", &lines.join("; ")).await;
                    }
                    Ok(_) => {}
                    Err(e) => log::warn!("reconciliation failed: {e}"),
                }
                service.inner.ready.send_replace(true);
                tokio::time::sleep(interval).await;
            }
        });
    }

    /// Waits until the start-up reconciliation has run (immediately when none was started).
    async fn ready(&self) {
        let mut rx = self.inner.ready.subscribe();
        let _ = rx.wait_for(|ready| *ready).await;
    }

    pub fn vault(&self) -> &Arc<Vault> {
        &self.inner.vault
    }

    pub fn settings(&self) -> &ServiceSettings {
        &self.inner.settings
    }

    /// Runs a journal call off the async threads (SQLite with synchronous=FULL waits for the disk).
    async fn journal<T, F>(&self, f: F) -> Result<T, ServiceError>
    where
        T: Send + 'static,
        F: FnOnce(&Journal) -> Result<T, journal::JournalError> + Send + 'static,
    {
        let journal = self.inner.journal.clone();
        tokio::task::spawn_blocking(move || f(&journal))
            .await
            .map_err(|e| ServiceError::Journal(format!("journal task failed: {e}")))?
            .map_err(ServiceError::from)
    }

    /// Commits a prepared journal write from async code, without holding a blocking thread
    /// while the group writer works.
    async fn commit<T: Send + 'static>(&self, write: journal::Write<T>) -> Result<T, ServiceError> {
        self.refuse_offline()?;
        self.inner.journal.commit_async(write).await.map_err(ServiceError::from)
    }

    /// A journal write after a request has left: a failure is [`ServiceError::NotRecorded`].
    async fn record<T, F>(&self, f: F) -> Result<T, ServiceError>
    where
        T: Send + 'static,
        F: FnOnce(&Journal) -> Result<T, journal::JournalError> + Send + 'static,
    {
        self.journal(f).await.map_err(after_send)
    }

    /// Loads a profile and its secrets (the keychain may block, so off the async threads).
    async fn ctx(&self, profile: &str) -> Result<Ctx, ServiceError> {
        self.refuse_offline()?;
        // At hand (the usual case in a run of charges): no thread hand-off, no keychain call.
        let terminal = self.settings().terminal.clone();
        // Whoever is signed in keys it; else the operator given to this run.
        let forced = self.signed_in().map(|o| o.name).or_else(|| self.settings().operator.clone());
        if let Some((mut profile, credentials)) = self.inner.vault.ready_now(profile) {
            fill_operator(&mut profile, forced, &self.inner.vault);
            return Ok(Ctx { profile, credentials, terminal });
        }
        let vault = self.inner.vault.clone();
        let name = profile.to_owned();
        tokio::task::spawn_blocking(move || {
            let mut profile = vault.profile(&name).ok_or_else(|| {
                ServiceError::Profile(format!(
                    "there is no profile \"{name}\": add it in Settings, or with `moto-terminal profile add`"
                ))
            })?;
            fill_operator(&mut profile, forced, &vault);
            let credentials = vault.credentials(&name).map_err(|e| ServiceError::Profile(e.to_string()))?;
            Ok(Ctx { profile, credentials, terminal })
        })
        .await
        .map_err(|e| ServiceError::Profile(format!("could not read the keychain: {e}")))?
    }

    /// A claim for an operation about to be sent by this process: its request can be on its way
    /// until the gateway's time limit plus a margin (the in-flight window) has passed.
    fn lease(&self) -> journal::Lease {
        let window = chrono::Duration::from_std(self.settings().in_flight_window).unwrap_or_default();
        journal::Lease { owner: lease::this_process().to_owned(), deadline: chrono::Utc::now() + window }
    }

    /// A new merchant reference with this installation's prefix.
    async fn new_reference(&self) -> Result<String, ServiceError> {
        let prefix = match self.inner.reference_prefix.get() {
            Some(prefix) => prefix.clone(),
            None => {
                let read = self.journal(Journal::reference_prefix).await?;
                self.inner.reference_prefix.get_or_init(|| read).clone()
            }
        };
        Ok(new_reference(&prefix, chrono::Utc::now()))
    }

    /// The lock that keeps one operation in flight per order.
    fn order_lock(&self, profile: &str, reference: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self.inner.order_locks.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if locks.len() > 1024 {
            // Forget the locks nobody holds, so a terminal open for months does not grow.
            locks.retain(|_, lock| Arc::strong_count(lock) > 1);
        }
        locks.entry((profile.to_owned(), reference.to_owned())).or_default().clone()
    }

    /// Builds, signs and sends one command, and reads the answer. The parameters that were
    /// sent come back with card fields wiped, for echo checks only.
    async fn exchange(&self, ctx: &Ctx, command: &Command) -> Result<(Params, Reading), ServiceError> {
        let params = command
            .to_params(&ctx.merchant())
            .map_err(|e| ServiceError::Invalid { field: e.field, message: e.to_string() })?;
        Ok(self.exchange_params(ctx, command.operation(), WipedParams(params)).await)
    }

    /// As [`Service::exchange`], for a parameter list already built and checked (by
    /// `Command::to_params`) for the operation `op`.
    async fn exchange_params(&self, ctx: &Ctx, op: Operation, mut params: WipedParams) -> (Params, Reading) {
        let signature =
            crate::aps::sign::sign(&params, ctx.credentials.request_phrase.expose(), ctx.profile.algorithm);
        params.insert("signature".into(), signature.into());
        let result = self.inner.gateway.post_json(&ctx.profile.endpoint, &params).await;
        // The card fields are wiped now; the rest is handed back for the echo checks.
        wipe_card_fields(&mut params);
        let params = std::mem::take(&mut params.0);
        let reading = policy::read_reply(
            op,
            &params,
            result,
            ctx.credentials.response_phrase.expose(),
            ctx.profile.algorithm,
        );
        (params, reading)
    }
}

/// Overwrites card data in a parameter list once the request has gone.
fn wipe_card_fields(params: &mut Params) {
    use zeroize::Zeroize;
    for name in ["card_number", "card_security_code", "expiry_date"] {
        if let Some(serde_json::Value::String(value)) = params.get_mut(name) {
            value.zeroize();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn card_fields_are_wiped() {
        let mut p = Params::new();
        p.insert("card_number".into(), "4005550000000001".into());
        p.insert("amount".into(), "100".into());
        wipe_card_fields(&mut p);
        assert_eq!(p["card_number"], "");
        assert_eq!(p["amount"], "100");
    }
}
