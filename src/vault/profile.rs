//! Merchant profiles and app settings: everything about a merchant account except its secrets.
//! These live in `config.json`, which is why nothing secret may ever be a field here.

use super::VaultError;
use crate::aps::field::Field;
use crate::aps::money::Currency;
use crate::aps::sign::Algorithm;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

/// Which APS environment a profile talks to. Shown as a badge on every screen, because charging
/// a real card from a "test" profile is the mistake this prevents.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Environment {
    /// The built-in simulator; no money ever moves.
    Demo,
    Sandbox,
    Production,
}

/// APS sandbox host (spec section 1).
pub const SANDBOX_HOST: &str = "sbpaymentservices.payfort.com";
/// APS production host (spec section 1).
pub const PRODUCTION_HOST: &str = "paymentservices.payfort.com";

impl Environment {
    pub const ALL: [Environment; 3] = [Self::Demo, Self::Sandbox, Self::Production];
    /// The environments a stored profile may have: the Demo is built in, never stored.
    pub const STORABLE: [Environment; 2] = [Self::Sandbox, Self::Production];

    /// The badge text.
    pub fn label(self) -> &'static str {
        match self {
            Self::Demo => "DEMO",
            Self::Sandbox => "SANDBOX",
            Self::Production => "PRODUCTION",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Demo => "demo",
            Self::Sandbox => "sandbox",
            Self::Production => "production",
        }
    }

    /// The server-to-server endpoint APS publishes for this environment (spec section 1). The
    /// demo has none: its simulator's address is known only once it is running.
    pub fn payment_api_url(self) -> Option<&'static str> {
        match self {
            Self::Demo => None,
            Self::Sandbox => Some("https://sbpaymentservices.payfort.com/FortAPI/paymentApi"),
            Self::Production => Some("https://paymentservices.payfort.com/FortAPI/paymentApi"),
        }
    }
}

impl fmt::Display for Environment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Environment {
    type Err = VaultError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let norm = text.trim().to_ascii_lowercase();
        Self::ALL.into_iter().find(|e| e.as_str() == norm).ok_or_else(|| VaultError::Invalid {
            field: Field::Environment,
            problem: format!("\"{}\" is not an environment; use demo, sandbox or production", text.trim()),
        })
    }
}

/// One merchant account (an APS `merchant_identifier` with its access code and phrases).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    /// Shown to agents and used as the journal's profile; also part of the keychain entry names.
    pub name: String,
    pub environment: Environment,
    /// The APS server-to-server URL (`paymentApi`).
    pub endpoint: String,
    pub merchant_identifier: String,
    /// The SHA type chosen in the APS security settings.
    pub algorithm: Algorithm,
    /// Operator name recorded with this profile's operations when no one is signed in; may be
    /// empty (then the app setting applies).
    #[serde(default)]
    pub operator: String,
    pub default_currency: Currency,
    /// The merchant is PCI-DSS certified for a trusted channel: agents may key card numbers.
    #[serde(default)]
    pub trusted_channel: bool,
    /// Sent as `customer_ip` (some accounts require it for MOTO); the terminal's public address.
    #[serde(default)]
    pub customer_ip: Option<String>,
    /// `en` or `ar`: the language of APS's response messages.
    #[serde(default = "default_language")]
    pub language: String,
    /// The agent chose an endpoint other than the environment's published APS address (and
    /// other than a simulator on this computer for a sandbox profile). The banner says so.
    #[serde(default)]
    pub custom_endpoint: bool,
    /// The most an agent may refund or void without a supervisor's approval, in minor units of
    /// `default_currency` (0: every agent refund or void needs approval; in another currency,
    /// every one does).
    #[serde(default)]
    pub agent_limit_minor: u64,
    /// The merchant's trading name, printed on receipts (empty: the profile's name).
    #[serde(default)]
    pub trading_name: String,
    /// The merchant's address, printed on receipts: one line per entry.
    #[serde(default)]
    pub address: Vec<String>,
}

fn default_language() -> String {
    "en".to_owned()
}

/// Longest trading name or address line on a receipt.
pub const MAX_RECEIPT_LINE: usize = 80;
/// Most address lines on a receipt.
pub const MAX_ADDRESS_LINES: usize = 3;

/// Longest profile name.
pub const MAX_PROFILE_NAME: usize = 40;

impl Profile {
    /// A profile with the environment's published endpoint and usual defaults, to be edited.
    pub fn new(
        name: &str,
        environment: Environment,
        merchant_identifier: &str,
        currency: Currency,
    ) -> Profile {
        Profile {
            name: name.to_owned(),
            environment,
            endpoint: environment.payment_api_url().unwrap_or_default().to_owned(),
            merchant_identifier: merchant_identifier.to_owned(),
            algorithm: Algorithm::Sha256,
            operator: String::new(),
            default_currency: currency,
            trusted_channel: false,
            customer_ip: None,
            language: default_language(),
            custom_endpoint: false,
            agent_limit_minor: 0,
            trading_name: String::new(),
            address: Vec::new(),
        }
    }

    /// The name receipts carry: the trading name, else the profile's name.
    pub fn receipt_name(&self) -> &str {
        if self.trading_name.trim().is_empty() { &self.name } else { self.trading_name.trim() }
    }

    /// Checks every field, naming the first wrong one and how to fix it.
    ///
    /// # Errors
    /// [`VaultError::Invalid`].
    pub fn validate(&self) -> Result<(), VaultError> {
        self.validate_fields()?;
        check_endpoint(self.environment, &self.endpoint, self.custom_endpoint)
    }

    /// [`Profile::validate`], and not a demo profile: the rule for a profile to be stored.
    ///
    /// # Errors
    /// [`VaultError::Invalid`].
    pub fn validate_stored(&self) -> Result<(), VaultError> {
        if self.environment == Environment::Demo {
            return Err(VaultError::Invalid {
                field: Field::Environment,
                problem: "the Demo merchant is built in and cannot be stored; choose sandbox (a simulator on this computer is allowed there) or production".to_owned(),
            });
        }
        self.validate()
    }

    /// The host of a custom endpoint (see [`Profile::custom_endpoint`]), lower-case, for the
    /// banner's warning; `None` for a published APS address or a local simulator.
    pub fn custom_endpoint_host(&self) -> Option<String> {
        match classify(self.environment, self.endpoint.trim()) {
            Some((EndpointKind::Custom, host)) => Some(host),
            _ => None,
        }
    }

    /// Every field but the endpoint.
    ///
    /// # Errors
    /// [`VaultError::Invalid`].
    pub fn validate_fields(&self) -> Result<(), VaultError> {
        let invalid = |field, problem: String| Err(VaultError::Invalid { field, problem });
        validate_name(&self.name)?;
        let mid = &self.merchant_identifier;
        if mid.is_empty() || mid.len() > 20 || !mid.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return invalid(
                Field::MerchantIdentifier,
                "must be 1 to 20 letters and digits, as shown in APS Integration Settings, Security Settings"
                    .to_owned(),
            );
        }
        if self.operator.chars().count() > 50 || self.operator.chars().any(char::is_control) {
            return invalid(Field::Operator, "must be at most 50 characters on one line".to_owned());
        }
        if let Some(ip) = &self.customer_ip
            && ip.trim().parse::<IpAddr>().is_err()
        {
            return invalid(Field::CustomerIp, format!("\"{ip}\" is not an IPv4 or IPv6 address"));
        }
        if self.language != "en" && self.language != "ar" {
            return invalid(Field::Language, "must be en or ar".to_owned());
        }
        let one_line = |t: &str| t.chars().count() <= MAX_RECEIPT_LINE && !t.chars().any(char::is_control);
        if !one_line(&self.trading_name) {
            return invalid(
                Field::TradingName,
                format!("must be at most {MAX_RECEIPT_LINE} characters on one line"),
            );
        }
        if self.address.len() > MAX_ADDRESS_LINES || !self.address.iter().all(|l| one_line(l)) {
            return invalid(
                Field::MerchantAddress,
                format!(
                    "must be at most {MAX_ADDRESS_LINES} lines of at most {MAX_RECEIPT_LINE} characters each"
                ),
            );
        }
        Ok(())
    }
}

/// What an endpoint is to a profile of some environment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum EndpointKind {
    /// The environment's published APS address (spec 1).
    Published,
    /// A server on this computer (a simulator), for a demo or sandbox profile.
    Local,
    /// Anything else.
    Custom,
}

/// The path of the server-to-server API on the APS hosts.
const PAYMENT_API_PATH: &str = "/FortAPI/paymentApi";

/// Classifies `endpoint` for `environment`, with its host in lower case; `None` when it is
/// not an http(s) URL.
fn classify(environment: Environment, endpoint: &str) -> Option<(EndpointKind, String)> {
    let url = parse_url(endpoint)?;
    let host = url.host.to_ascii_lowercase();
    let published = environment.payment_api_url().and_then(parse_url).is_some_and(|p| {
        url.scheme == "https"
            && host == p.host
            && url.port.is_none_or(|port| port == "443")
            && url.path == PAYMENT_API_PATH
    });
    let kind = if published {
        EndpointKind::Published
    } else if is_loopback(&host) && environment != Environment::Production {
        EndpointKind::Local
    } else {
        EndpointKind::Custom
    };
    Some((kind, host))
}

/// The one rule deciding whether a profile of `environment` may send to `endpoint`:
///
/// - demo: only a simulator on this computer;
/// - sandbox: the published APS sandbox address, or a simulator on this computer;
/// - production: the published APS production address;
/// - any other https address only when `custom` is set (the agent said so explicitly), and
///   never the other environment's APS host; plain http only to this computer, never for
///   production.
///
/// # Errors
/// [`VaultError::Invalid`] for the endpoint, saying what to do.
pub fn check_endpoint(environment: Environment, endpoint: &str, custom: bool) -> Result<(), VaultError> {
    let invalid = |problem: String| Err(VaultError::Invalid { field: Field::Endpoint, problem });
    let endpoint = endpoint.trim();
    let published = environment.payment_api_url();
    let example = published.or(Environment::Sandbox.payment_api_url()).unwrap_or_default();
    let Some((kind, host)) = classify(environment, endpoint) else {
        return invalid(format!("\"{endpoint}\" is not a URL; use e.g. {example}"));
    };
    let scheme = endpoint.split_once("://").map(|(s, _)| s).unwrap_or_default();
    if scheme == "http" && kind != EndpointKind::Local {
        return invalid(
            "must start with https:// (plain http is allowed only to this computer, for the simulator)"
                .to_owned(),
        );
    }
    match (environment, kind) {
        (Environment::Demo, EndpointKind::Local) => Ok(()),
        (Environment::Demo, _) => invalid(
            "the Demo merchant talks only to the simulator on this computer; for APS use a sandbox or production profile".to_owned(),
        ),
        (Environment::Sandbox, _) if host == PRODUCTION_HOST => invalid(
            "a sandbox profile points at the APS production server; use the sandbox URL or make the profile production".to_owned(),
        ),
        (Environment::Production, _) if host == SANDBOX_HOST => invalid(
            "a production profile points at the APS sandbox; use the production URL or make the profile sandbox".to_owned(),
        ),
        (_, EndpointKind::Published) | (Environment::Sandbox, EndpointKind::Local) => Ok(()),
        _ if custom => Ok(()),
        _ => invalid(format!(
            "{host} is not the APS {environment} address ({example}); use that address, or, if APS gave you another one, \
             mark the profile as a custom endpoint (--custom-endpoint, or \"Custom endpoint\" in Settings)"
        )),
    }
}

/// Names become keychain entry names (`<name>/access-code`) and journal keys, so `/`, `@` and
/// control characters are refused.
pub(crate) fn validate_name(name: &str) -> Result<(), VaultError> {
    let problem = if name.trim().is_empty() {
        Some("enter a profile name")
    } else if name.trim() != name {
        Some("must not start or end with a space")
    } else if name.chars().count() > MAX_PROFILE_NAME {
        Some("must be at most 40 characters")
    } else if !name.chars().all(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_' | '.')) {
        Some("use letters, digits, spaces, - _ and . only")
    } else {
        None
    };
    match problem {
        Some(p) => Err(VaultError::Invalid { field: Field::ProfileName, problem: p.to_owned() }),
        None => Ok(()),
    }
}

/// The parts of an `http(s)://host[:port][/path]` URL this module looks at.
struct UrlParts<'a> {
    scheme: &'a str,
    host: &'a str,
    port: Option<&'a str>,
    /// Everything after the host and port: path, query and fragment.
    path: &'a str,
}

/// Splits an http(s) URL. Refuses other schemes, user info, whitespace and an empty host.
fn parse_url(url: &str) -> Option<UrlParts<'_>> {
    let (scheme, rest) = url.split_once("://")?;
    if !matches!(scheme, "http" | "https") || url.chars().any(char::is_whitespace) {
        return None;
    }
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(end);
    if authority.contains('@') {
        return None;
    }
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let (host, after) = v6.split_once(']')?;
        (host, after.strip_prefix(':'))
    } else {
        match authority.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    (!host.is_empty()).then_some(UrlParts { scheme, host, port, path })
}

fn is_loopback(host: &str) -> bool {
    host == "localhost" || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// App settings kept beside the profiles.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// Who is at the terminal; recorded with every operation.
    pub operator: String,
    /// Profile selected at start-up.
    pub default_profile: Option<String>,
    /// Currency preselected for new profiles (none: the agent picks).
    pub default_currency: Option<Currency>,
    /// Seconds without input after which a keyed card form is wiped.
    pub card_idle_wipe_secs: u32,
    /// The team journal (`postgres://USER@HOST/DATABASE`, never with its password), used when
    /// neither `--journal` nor `MOTO_TERMINAL_JOURNAL` is given. Saved only through
    /// [`super::Vault::set_team_journal`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub team_journal: Option<String>,
    /// Minutes without input after which the desktop locks (when operators are defined).
    pub idle_lock_mins: u32,
    /// The journal (its id) whose operators this desk signs in against, once it has seen one:
    /// a journal without operators is then refused rather than run in single-user mode, so
    /// `--journal` to an empty file cannot step around the roles. Set only through
    /// [`super::Vault::bind_operators_journal`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operators_journal: Option<String>,
}

/// Minutes without input before the desktop locks: long enough for a call, short enough that a
/// desk left alone does not stay open.
pub const IDLE_LOCK_MINS: std::ops::RangeInclusive<u32> = 1..=60;

/// How long typed card details may sit untouched, in seconds: long enough to take an order,
/// short enough that a card left on screen does not stay there.
pub const CARD_WIPE_SECS: std::ops::RangeInclusive<u32> = 30..=3600;

impl Settings {
    /// Checks every setting, naming the first wrong one and how to fix it. Saving checks it, and
    /// so does reading the config file: the card wipe is a security timeout.
    ///
    /// # Errors
    /// [`VaultError::Invalid`].
    pub fn validate(&self) -> Result<(), VaultError> {
        if self.operator.chars().count() > 50 || self.operator.chars().any(char::is_control) {
            return Err(VaultError::Invalid {
                field: Field::Operator,
                problem: "must be at most 50 characters on one line".to_owned(),
            });
        }
        if !IDLE_LOCK_MINS.contains(&self.idle_lock_mins) {
            return Err(VaultError::Invalid {
                field: Field::IdleLock,
                problem: format!(
                    "idle lock must be {} to {} minutes without activity",
                    IDLE_LOCK_MINS.start(),
                    IDLE_LOCK_MINS.end()
                ),
            });
        }
        if !CARD_WIPE_SECS.contains(&self.card_idle_wipe_secs) {
            return Err(VaultError::Invalid {
                field: Field::CardWipe,
                problem: format!(
                    "card wipe must be {} to {} seconds without activity",
                    CARD_WIPE_SECS.start(),
                    CARD_WIPE_SECS.end()
                ),
            });
        }
        self.team_journal.as_deref().map_or(Ok(()), super::team::check_stored)
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            operator: String::new(),
            default_profile: None,
            default_currency: None,
            card_idle_wipe_secs: 120,
            team_journal: None,
            idle_lock_mins: 5,
            operators_journal: None,
        }
    }
}
