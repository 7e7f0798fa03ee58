//! The team journal on PostgreSQL, first part: reaching the database (TLS through rustls, the
//! certificate checked by the platform's verifier) and its versioned schema. One call centre's
//! terminals share it; the embedded SQLite journal stays the default for a single desk.
//!
//! A URL (`postgres://` or `postgresql://`) names it. The password comes from the URL or from
//! `PGPASSWORD`; it is never written anywhere by this module, and errors never repeat the URL.

mod copy;
mod schema;

pub use copy::{Copied, copy_journal};
#[cfg(test)]
pub(crate) use schema::STEPS;
pub use schema::{SCHEMA_VERSION, migrate, schema_version};

use std::time::Duration;
use tokio_postgres::config::{Host, SslMode};
use tokio_postgres::{Client, Config};

/// Why the team journal cannot be used. Each says what happened in words an agent can act on.
#[derive(Debug, thiserror::Error)]
pub enum TeamError {
    /// The URL cannot name a team journal.
    #[error("team journal address: {0}")]
    Address(String),
    /// The server cannot be reached or refused the connection: nothing can be recorded, so
    /// nothing may be charged.
    #[error("Team journal offline: {0}. Nothing was charged; check the network or ask the supervisor")]
    Offline(String),
    /// The database was written by a newer moto-terminal.
    #[error(
        "the team journal has schema version {found}; this moto-terminal knows up to {supported}: update it"
    )]
    TooNew { found: i32, supported: i32 },
    #[error("team journal: {0}")]
    Database(String),
}

impl From<tokio_postgres::Error> for TeamError {
    fn from(e: tokio_postgres::Error) -> Self {
        match e.as_db_error() {
            Some(db) => Self::Database(format!("{} ({})", db.message(), db.code().code())),
            None if e.is_closed() => Self::Offline("the connection to the database was lost".into()),
            None => Self::Offline(e.to_string()),
        }
    }
}

/// How long a desk waits for the database before calling it offline.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Reads a team journal URL. TLS: `sslmode=disable`, `prefer` or `require` as in the URL; left
/// out, it is `require` for any host but this machine (a password and card-holder data never
/// cross a network in clear) and `prefer` on loopback or a Unix socket.
///
/// # Errors
/// [`TeamError::Address`] naming what is wrong with the URL (never repeating it: it may hold the
/// password).
pub fn config(url: &str) -> Result<Config, TeamError> {
    let url = url.trim();
    if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
        return Err(TeamError::Address("it must start with postgres:// or postgresql://".into()));
    }
    let mut config: Config =
        url.parse().map_err(|e: tokio_postgres::Error| TeamError::Address(e.to_string()))?;
    if config.get_hosts().is_empty() {
        return Err(TeamError::Address("it names no host: write postgres://HOST/DATABASE".into()));
    }
    if config.get_dbname().is_none() {
        return Err(TeamError::Address("it names no database: write postgres://HOST/DATABASE".into()));
    }
    if config.get_password().is_none()
        && let Ok(password) = std::env::var("PGPASSWORD")
    {
        config.password(password);
    }
    if !url.contains("sslmode=") && !config.get_hosts().iter().all(is_local) {
        config.ssl_mode(SslMode::Require);
    }
    config.connect_timeout(CONNECT_TIMEOUT);
    // TCP keepalive after a minute of silence, so a server gone without a word (a cut cable, a
    // crashed host) is noticed by the kernel within two minutes instead of waited for.
    config.keepalives(true);
    config.keepalives_idle(std::time::Duration::from_secs(60));
    config.keepalives_interval(std::time::Duration::from_secs(10));
    config.keepalives_retries(6);
    // Keepalives stay quiet while data waits for its acknowledgement: a connection whose sent
    // bytes go unacknowledged for half a minute (a half-open link) is given up, not waited on
    // for the system's quarter of an hour.
    config.tcp_user_timeout(std::time::Duration::from_secs(30));
    config.application_name("moto-terminal");
    // A desk that stops in the middle of a write (a network cut, a frozen machine) must not hold
    // the other desks' locks for long: its transaction ends after a minute, and no desk waits
    // more than 15 s for a lock (the write fails and says so; nothing was sent).
    // The server keeps its own watch the same way: a desk gone without a word (power, network)
    // holds its presence lock, which says its orders in flight are still its own, only until
    // the server's keepalives give up on it, about two minutes, not the system's two hours.
    let limits = "-c lock_timeout=15s -c idle_in_transaction_session_timeout=60s \
                  -c tcp_keepalives_idle=60 -c tcp_keepalives_interval=10 -c tcp_keepalives_count=6";
    let options = match config.get_options() {
        Some(own) => format!("{own} {limits}"),
        None => limits.to_owned(),
    };
    config.options(&options);
    Ok(config)
}

fn is_local(host: &Host) -> bool {
    match host {
        Host::Tcp(name) => {
            name == "localhost" || name.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
        }
        #[cfg(unix)]
        Host::Unix(_) => true,
    }
}

/// Opens one session on the team journal. The connection runs on the current tokio runtime and
/// ends when the returned client is dropped.
///
/// # Errors
/// [`TeamError::Offline`] when the server cannot be reached, refuses the login or the TLS
/// handshake fails; [`TeamError::Address`] for a URL that names no team journal.
pub async fn connect(url: &str) -> Result<Client, TeamError> {
    connect_with(&config(url)?, tls()?).await
}

/// [`connect`], to the server `config` names.
pub(crate) async fn connect_with(
    config: &Config,
    tls: tokio_postgres_rustls::MakeRustlsConnect,
) -> Result<Client, TeamError> {
    #[cfg(unix)]
    if let [Host::Unix(dir)] = config.get_hosts() {
        return connect_unix(config, dir, tls).await;
    }
    let (client, connection) = config.connect(tls).await.map_err(offline)?;
    keep_running(connection);
    Ok(client)
}

/// [`connect`] through the server's Unix socket in `dir`. tokio-postgres asks the TLS connector
/// for the host's name even there, and a socket's path is no valid name, so every such URL
/// failed; PostgreSQL never offers TLS on its socket, so any valid name does.
#[cfg(unix)]
async fn connect_unix(
    config: &Config,
    dir: &std::path::Path,
    mut tls: tokio_postgres_rustls::MakeRustlsConnect,
) -> Result<Client, TeamError> {
    use tokio_postgres::tls::MakeTlsConnect;
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let path = dir.join(format!(".s.PGSQL.{port}"));
    let cannot = |e: String| TeamError::Offline(format!("cannot connect to {}: {e}", path.display()));
    let stream = tokio::time::timeout(CONNECT_TIMEOUT, tokio::net::UnixStream::connect(&path))
        .await
        .map_err(|_| cannot("no answer".into()))?
        .map_err(|e| cannot(e.to_string()))?;
    let tls = MakeTlsConnect::<tokio::net::UnixStream>::make_tls_connect(&mut tls, "localhost")
        .map_err(|e| cannot(e.to_string()))?;
    let (client, connection) = config.connect_raw(stream, tls).await.map_err(offline)?;
    keep_running(connection);
    Ok(client)
}

/// Runs a session's connection on the current runtime until its client is dropped.
fn keep_running(
    connection: impl std::future::Future<Output = Result<(), tokio_postgres::Error>> + Send + 'static,
) {
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            log::warn!("team journal connection ended: {e}");
        }
    });
}

/// A failure to connect, as [`TeamError::Offline`].
pub(crate) fn offline(e: tokio_postgres::Error) -> TeamError {
    TeamError::Offline(reason(&e))
}

/// What went wrong while connecting, in words (the driver's own text, or the server's).
pub(crate) fn reason(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => db.message().to_owned(),
        None => {
            let text = e.to_string();
            match std::error::Error::source(e) {
                Some(cause) => format!("{text}: {cause}"),
                None => text,
            }
        }
    }
}

pub(crate) fn tls() -> Result<tokio_postgres_rustls::MakeRustlsConnect, TeamError> {
    use rustls_platform_verifier::ConfigVerifierExt as _;
    let config = rustls::ClientConfig::with_platform_verifier()
        .map_err(|e| TeamError::Offline(format!("TLS is not available: {e}")))?;
    Ok(tokio_postgres_rustls::MakeRustlsConnect::new(config))
}

/// What "Test connection" reports: the server and the schema it holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TeamStatus {
    /// `server_version` as the server reports it, e.g. "15.18 (Debian 15.18-0+deb12u1)".
    pub server_version: String,
    /// Whether the session is encrypted.
    pub encrypted: bool,
    /// Steps of the team schema applied (0: a new, empty database).
    pub schema_version: i32,
}

/// Connects, reads the server's version and the schema version, and disconnects: nothing is
/// written.
///
/// # Errors
/// As [`connect`]; [`TeamError::TooNew`] when a newer moto-terminal set the database up.
pub async fn test_connection(url: &str) -> Result<TeamStatus, TeamError> {
    let client = connect(url).await?;
    let server_version: String = client.query_one("SHOW server_version", &[]).await?.get(0);
    let encrypted: bool = client
        .query_opt("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()", &[])
        .await?
        .is_some_and(|row| row.get(0));
    let schema_version = schema_version(&client).await?;
    if schema_version > SCHEMA_VERSION {
        return Err(TeamError::TooNew { found: schema_version, supported: SCHEMA_VERSION });
    }
    Ok(TeamStatus { server_version, encrypted, schema_version })
}
