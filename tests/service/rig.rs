//! A test rig: a simulator on port 0, a journal in a temporary folder, a vault on the keyring
//! mock store with one profile for the simulator's Demo merchant, and the service over them.

use moto_terminal::aps::money::Currency;
use moto_terminal::aps::secret::Secret;
use moto_terminal::aps::sign::Algorithm;
use moto_terminal::gateway::{GatewayConfig, HttpGateway};
use moto_terminal::journal::Journal;
use moto_terminal::service::{ChargeDraft, PaymentDraft, Service, ServiceSettings};
use moto_terminal::sim::{self, SimConfig, SimHandle};
use moto_terminal::vault::{Credentials, Environment, Profile, Vault};
use std::sync::Arc;
use std::time::Duration;

pub const PROFILE: &str = "Test merchant";

pub struct Rig {
    pub sim: SimHandle,
    pub service: Service,
    pub journal: Arc<Journal>,
    pub dir: tempfile::TempDir,
    /// The keychain of this installation: a restarted service finds its secrets (the audit
    /// key among them) as it would in the OS keychain.
    pub store: Arc<keyring_core::CredentialStore>,
}

/// Short timings so the fault matrix runs in seconds: the client gives up after 400 ms, and a
/// "not found" is confirmed 1.5 s later (longer than any delay fault the tests inject).
pub fn fast_settings() -> ServiceSettings {
    ServiceSettings {
        backoff_unit: Duration::from_millis(20),
        in_flight_window: Duration::from_millis(1500),
        not_found_confirm: Duration::from_millis(1500),
        duplicate_window: Duration::from_secs(600),
        secrets_persist: true,
        operator: None,
        terminal: "desk-1".into(),
        team_offline: None,
    }
}

pub fn profile(endpoint: &str) -> Profile {
    Profile {
        name: PROFILE.into(),
        environment: Environment::Demo,
        endpoint: endpoint.into(),
        merchant_identifier: sim::DEMO_MERCHANT_IDENTIFIER.into(),
        algorithm: Algorithm::Sha256,
        operator: "Test Operator".into(),
        default_currency: Currency::parse("AED").expect("AED"),
        trusted_channel: true,
        customer_ip: Some("192.0.2.10".into()),
        language: "en".into(),
        custom_endpoint: false,
        agent_limit_minor: 0,
        trading_name: "Test Trading LLC".into(),
        address: vec!["1 Test Street".into(), "Dubai".into()],
    }
}

pub fn demo_credentials() -> Credentials {
    Credentials {
        access_code: Secret::from(sim::DEMO_ACCESS_CODE),
        request_phrase: Secret::from(sim::DEMO_REQUEST_PHRASE),
        response_phrase: Secret::from(sim::DEMO_RESPONSE_PHRASE),
    }
}

impl Rig {
    pub async fn new() -> Rig {
        Self::with_sim(
            sim::start(SimConfig::demo(), "127.0.0.1:0".parse().expect("addr")).await.expect("sim starts"),
        )
        .await
    }

    pub async fn with_sim(sim: SimHandle) -> Rig {
        let dir = tempfile::tempdir().expect("temp dir");
        let journal = Arc::new(Journal::open(&dir.path().join("journal.sqlite3")).expect("journal opens"));
        let store: Arc<keyring_core::CredentialStore> = keyring_core::mock::Store::new().expect("mock store");
        let service = service_with(&sim, &dir, &store, journal.clone(), fast_settings());
        Rig { sim, service, journal, dir, store }
    }

    /// A second service over the same journal and simulator, as after a restart.
    pub fn restart(&self) -> Service {
        let journal =
            Arc::new(Journal::open(&self.dir.path().join("journal.sqlite3")).expect("journal reopens"));
        service_with(&self.sim, &self.dir, &self.store, journal, fast_settings())
    }

    /// Another service over `journal` with these settings, on this rig's folder, simulator and
    /// profile (a desk started with its team journal offline, say).
    pub fn service_with(&self, journal: Arc<Journal>, settings: ServiceSettings) -> Service {
        service_with(&self.sim, &self.dir, &self.store, journal, settings)
    }

    /// Another desk over `journal` with a keychain of its own (another computer of the team).
    pub fn other_keychain(&self, journal: Arc<Journal>) -> Service {
        let store: Arc<keyring_core::CredentialStore> = keyring_core::mock::Store::new().expect("mock store");
        service_with(&self.sim, &self.dir, &store, journal, fast_settings())
    }

    /// Another installation (its own journal and folder) on the same merchant account.
    pub fn other_installation(&self) -> (Service, Arc<Journal>, tempfile::TempDir) {
        let dir = tempfile::tempdir().expect("temp dir");
        let journal = Arc::new(Journal::open(&dir.path().join("journal.sqlite3")).expect("journal opens"));
        let store: Arc<keyring_core::CredentialStore> = keyring_core::mock::Store::new().expect("mock store");
        (service_with(&self.sim, &dir, &store, journal.clone(), fast_settings()), journal, dir)
    }

    pub fn token_sale(&self, token: &str, amount: &str) -> ChargeDraft {
        let mut d = ChargeDraft::new(PROFILE, "AED");
        d.payment = PaymentDraft::Token(token.into());
        d.amount = amount.into();
        d.customer_email = "caller@example.com".into();
        d.customer_name = "Layla Haddad".into();
        d
    }

    /// Money movements the simulator committed for one order.
    pub fn movements(&self, reference: &str) -> Vec<sim::Movement> {
        self.sim.money_movements().into_iter().filter(|m| m.merchant_reference == reference).collect()
    }
}

fn service_with(
    sim: &SimHandle,
    dir: &tempfile::TempDir,
    store: &Arc<keyring_core::CredentialStore>,
    journal: Arc<Journal>,
    settings: ServiceSettings,
) -> Service {
    let vault = Arc::new(Vault::open(dir.path(), store.clone()).expect("vault opens"));
    vault.add_ephemeral(profile(&sim.payment_api_url()), demo_credentials()).expect("profile");
    let gateway = HttpGateway::new(&GatewayConfig {
        connect_timeout: Duration::from_millis(300),
        total_timeout: Duration::from_millis(400),
        extra_root_pem: Vec::new(),
    })
    .expect("gateway");
    Service::new(vault, journal, gateway, settings)
}
