//! Start-up only: parse the command line, build the runtime, choose the keychain, open the
//! journal, register the Demo merchant (its simulator starts on the Demo's first use, so a run
//! on another profile opens no listening port), then run the desktop terminal or a command.
//! This is the one place that picks concrete implementations.

use clap::Parser;
use moto_terminal::aps::card::{detect_brand, mask_pan};
use moto_terminal::aps::money::Currency;
use moto_terminal::aps::secret::Secret;
use moto_terminal::cli::{Cli, Command, Desk, Exit};
use moto_terminal::gateway::{GatewayConfig, HttpGateway};
use moto_terminal::service::{
    self, JournalChoice, Progress, Service, ServiceSettings, TokenCustomer, TokenRecord,
};
use moto_terminal::sim::{self, SimConfig, SimHandle};
use moto_terminal::vault::{self, Credentials, EnvSource, Environment, Profile, Vault};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The built-in profile that talks to the in-process simulator.
const DEMO_PROFILE: &str = "Demo merchant";

fn main() -> ExitCode {
    moto_terminal::harden::disable_core_dumps();
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("warn")).init();
    let cli = Cli::parse();
    let result = match cli.command {
        Some(Command::Simulator(args)) => runtime().and_then(|rt| {
            rt.block_on(sim::args::serve(args)).map_err(|e| Exit::failed(format!("simulator: {e}")))
        }),
        Some(command) if !command.needs_service() => moto_terminal::cli::run_offline(command),
        Some(command) => run_command(&cli.desk, command),
        None => run_desktop(&cli.desk, cli.open_batch),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(exit) => {
            if let Some(message) = exit.message {
                eprintln!("moto-terminal: {message}");
            }
            ExitCode::from(exit.code)
        }
    }
}

fn runtime() -> Result<tokio::runtime::Runtime, Exit> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("moto-worker")
        .enable_all()
        .build()
        .map_err(|e| Exit::failed(format!("could not start the async runtime: {e}")))
}

/// Everything a run needs, alive for the whole process.
struct Started {
    runtime: tokio::runtime::Runtime,
    service: Service,
    default_profile: String,
    /// "Team journal offline: ..." when the team journal could not be reached.
    offline: Option<String>,
    /// The Demo merchant's simulator once it has started; dropping it stops the simulator.
    _demo: DemoSim,
}

type DemoSim = Arc<Mutex<Option<SimHandle>>>;

fn data_dir(flag: Option<PathBuf>) -> Result<PathBuf, Exit> {
    let dir = match flag {
        Some(dir) => dir,
        None => directories::ProjectDirs::from("io.github", "moto-terminal", "moto-terminal")
            .map(|d| d.data_dir().to_path_buf())
            .ok_or_else(|| Exit::failed("no home folder found: pass --data-dir DIR"))?,
    };
    // Owner-only from creation: it holds customer names and emails (the journal).
    moto_terminal::files::create_private_dir(&dir)
        .map_err(|e| Exit::failed(format!("cannot create the data folder {}: {e}", dir.display())))?;
    Ok(dir)
}

/// Opens the journal this run uses: `--journal` / `MOTO_TERMINAL_JOURNAL`, else the team journal
/// saved in Settings, else the data folder's. `local_only` (`journal migrate`): never the team
/// journal. A bad address is a usage error naming the field (never the URL: it may hold a
/// password); an unreachable team journal leaves the desk on its local journal, offline.
fn open_journal(
    desk: &Desk,
    dir: &std::path::Path,
    vault: &Vault,
    runtime: &tokio::runtime::Runtime,
    local_only: bool,
) -> Result<service::OpenedJournal, Exit> {
    let local = dir.join("journal.sqlite3");
    let saved = if local_only { None } else { vault.team_journal() };
    let mut choice = service::choose_journal(desk.journal.as_deref(), saved.as_deref(), &local)
        .map_err(|e| Exit::usage(e.to_string()))?;
    if local_only && matches!(choice, JournalChoice::Team(_)) {
        choice = JournalChoice::File(local.clone());
    }
    service::open_journal(&choice, vault, &local, runtime.handle()).map_err(Exit::failed)
}

fn start(desk: &Desk, local_only: bool) -> Result<Started, Exit> {
    let dir = data_dir(desk.data_dir.clone())?;
    let runtime = runtime()?;
    let mut secrets_persist = true;
    let store = match vault::platform_store() {
        Ok(store) => store,
        Err(e) => {
            secrets_persist = false;
            // The Demo merchant and APS_* variables still work; a profile that needs the
            // keychain says so when it is used.
            log::info!("{e}");
            keyring_core::mock::Store::new()
                .map_err(|e| Exit::failed(format!("could not create an in-memory keychain: {e}")))?
        }
    };
    let vault = Vault::open(&dir, store)
        .map_err(|e| Exit::failed(e.to_string()))?
        .with_env(EnvSource::from_process());
    let opened = open_journal(desk, &dir, &vault, &runtime, local_only)?;

    // Its payment links keep their URL across restarts: see `SimConfig::demo_in`.
    let demo_config = SimConfig::demo_in(&dir);
    let demo = DemoSim::default();
    let starter = demo_starter(runtime.handle().clone(), demo_config, Arc::clone(&demo));
    let aed = Currency::parse("AED").map_err(|e| Exit::failed(e.to_string()))?;
    vault
        .add_built_in(demo_profile(aed), demo_credentials(), starter)
        .map_err(|e| Exit::failed(e.to_string()))?;

    let gateway = HttpGateway::new(&GatewayConfig {
        connect_timeout: Duration::from_secs(desk.connect_timeout.max(1)),
        total_timeout: Duration::from_secs(desk.timeout.max(1)),
        ..GatewayConfig::default()
    })
    .map_err(|e| Exit::failed(e.to_string()))?;
    let default_profile = vault
        .settings()
        .default_profile
        .filter(|p| vault.has_profile(p))
        .unwrap_or_else(|| DEMO_PROFILE.to_owned());
    let mut settings = ServiceSettings {
        secrets_persist,
        // A request may still be on its way until its own time limit has passed, and a little more.
        in_flight_window: Duration::from_secs(desk.timeout.max(1) + 30),
        operator: desk.operator.as_deref().map(str::trim).filter(|o| !o.is_empty()).map(str::to_owned),
        team_offline: opened.offline.clone(),
        ..ServiceSettings::default()
    };
    if let Some(terminal) = desk.terminal.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        settings.terminal = terminal.to_owned();
    }
    let service = Service::new(Arc::new(vault), Arc::new(opened.journal), gateway, settings);
    if opened.offline.is_none() {
        add_demo_tokens(&runtime, &service)?;
    }
    Ok(Started { runtime, service, default_profile, offline: opened.offline, _demo: demo })
}

/// The Demo merchant's made-up customers (name, email, phone), by token. DEMO-VISA-0001 is a
/// family card with two customers, as APS's unique tokens give one token to everyone paying
/// with the same card.
const DEMO_CUSTOMERS: [(&str, &str, &str, &str); 7] = [
    ("DEMO-VISA-0001", "Layla Haddad", "layla@example.com", "+971 50 123 4567"),
    ("DEMO-VISA-0001", "Karim Haddad", "karim@example.com", "+971 50 765 4321"),
    ("DEMO-MC-2346", "Omar Khalil", "omar@example.com", "+971 55 234 5678"),
    ("DEMO-AMEX-4564", "Sara Al Mansoori", "sara@example.com", "+971 52 345 6789"),
    ("DEMO-MADA-5689", "Faisal Al Harbi", "faisal@example.com", "+966 55 456 7890"),
    ("DEMO-VISA-DECLINED-0242", "Noor Rahman", "noor@example.com", "+971 56 567 8901"),
    ("DEMO-MC-EXPIRED-2346", "Yousef Nasser", "yousef@example.com", "+974 5567 8901"),
];

/// The Demo merchant's saved cards are in the token book from the first start, with their
/// Demo customers (added to a book that already has the cards, too).
fn add_demo_tokens(runtime: &tokio::runtime::Runtime, service: &Service) -> Result<(), Exit> {
    let demo_tokens = sim::demo_tokens()
        .into_iter()
        .map(|t| TokenRecord {
            profile: DEMO_PROFILE.to_owned(),
            masked_card: Some(mask_pan(t.card_number.expose())),
            expiry: Some(t.expiry.clone()),
            brand: detect_brand(t.card_number.expose()).map(|b| b.payment_option().to_owned()),
            customers: DEMO_CUSTOMERS
                .iter()
                .filter(|(token, ..)| *token == t.name)
                .map(|(_, name, email, phone)| TokenCustomer::new(Some(name), Some(email), Some(phone)))
                .collect(),
            token_name: t.name,
            holder_name: None,
            status: "ACTIVE".to_owned(),
        })
        .collect();
    runtime.block_on(service.add_to_token_book(demo_tokens)).map_err(|e| Exit::failed(e.to_string()))
}

/// The built-in Demo merchant; its endpoint is the simulator's, known once it has started.
fn demo_profile(currency: Currency) -> Profile {
    let mut profile = Profile::new(DEMO_PROFILE, Environment::Demo, sim::DEMO_MERCHANT_IDENTIFIER, currency);
    profile.trusted_channel = true;
    // Made up, like every Demo merchant detail: what a receipt's heading looks like.
    profile.trading_name = "Demo Trading LLC".to_owned();
    profile.address =
        vec!["Office 12, Demo Tower, Sheikh Zayed Road".to_owned(), "Dubai, United Arab Emirates".to_owned()];
    profile
}

/// Starts the Demo merchant's simulator on 127.0.0.1 (a free port; its payment-link pages on the
/// port it keeps for them) when the vault first hands out the Demo profile, and keeps it in
/// `slot` until the process ends.
fn demo_starter(runtime: tokio::runtime::Handle, config: SimConfig, slot: DemoSim) -> vault::Starter {
    Box::new(move || {
        let listen = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
        let handle = sim::start_on(&runtime, config.clone(), listen)
            .map_err(|e| format!("the Demo merchant's simulator did not start: {e}"))?;
        let url = handle.payment_api_url();
        log::info!(
            "the Demo merchant's simulator listens on {url}, its link pages on {}",
            handle.link_base_url()
        );
        *slot.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(handle);
        Ok(url)
    })
}

fn demo_credentials() -> Credentials {
    Credentials {
        access_code: Secret::from(sim::DEMO_ACCESS_CODE),
        request_phrase: Secret::from(sim::DEMO_REQUEST_PHRASE),
        response_phrase: Secret::from(sim::DEMO_RESPONSE_PHRASE),
    }
}

fn run_command(desk: &Desk, command: Command) -> Result<(), Exit> {
    let started = start(desk, command.reads_local_journal())?;
    if let Some(offline) = started.offline {
        // Nothing can be recorded, so nothing is sent: every command stops here.
        started.runtime.shutdown_timeout(Duration::from_secs(1));
        return Err(Exit::failed(offline));
    }
    let result = started.runtime.block_on(moto_terminal::cli::run(
        command,
        &started.service,
        &started.default_profile,
    ));
    started.runtime.shutdown_timeout(Duration::from_secs(2));
    result
}

fn run_desktop(desk: &Desk, batch_file: Option<PathBuf>) -> Result<(), Exit> {
    let started = start(desk, false)?;
    // Orders left in doubt by an earlier run are settled first; then every minute while open.
    // Offline, nothing can be settled: the desk is read-only until the team journal is back.
    if started.offline.is_none() {
        started.service.start_reconciler(started.runtime.handle(), Duration::from_secs(60), Progress::none());
    }
    let options = moto_terminal::ui::UiOptions {
        profile: started.default_profile.clone(),
        icon_png: Some(include_bytes!("../assets/icon.png").to_vec()),
        batch_file,
    };
    let result = moto_terminal::ui::run(started.service.clone(), started.runtime.handle().clone(), options)
        .map_err(|e| Exit::failed(e.to_string()));
    started.runtime.shutdown_timeout(Duration::from_secs(3));
    result
}
