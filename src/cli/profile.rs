//! `profile add|list|remove|test`. Secrets come from APS_ACCESS_CODE, APS_REQUEST_PHRASE and
//! APS_RESPONSE_PHRASE when set, otherwise from a prompt that does not echo; never from argv.

use super::Exit;
use crate::aps::money::Currency;
use crate::aps::secret::Secret;
use crate::aps::sign::Algorithm;
use crate::service::{Service, ServiceError};
use crate::vault::{Environment, Profile, SecretKind};
use std::io::IsTerminal;

#[derive(clap::Subcommand, Debug)]
pub enum ProfileCommand {
    /// Add (or replace) a merchant profile; its secrets go to the OS keychain.
    Add(Box<AddArgs>),
    /// List profiles and whether each secret is set.
    List,
    /// Remove a profile and its secrets (its journal history stays).
    Remove { name: String },
    /// Prove a profile's credentials with a signed CHECK_STATUS round trip.
    Test { name: String },
}

/// `profile add`.
#[derive(clap::Args, Debug)]
pub struct AddArgs {
    pub name: String,
    /// APS paymentApi URL (default: the environment's published one). Another address needs
    /// --custom-endpoint; a sandbox profile may also use a simulator on this computer.
    #[arg(long)]
    pub endpoint: Option<String>,
    /// The endpoint is deliberately not the environment's published APS address (an APS
    /// contact gave another one); the banner then warns on every screen.
    #[arg(long, requires = "endpoint")]
    pub custom_endpoint: bool,
    #[arg(long)]
    pub merchant_identifier: String,
    /// sha256, sha512, hmac-sha256 or hmac-sha512, as in the APS security settings.
    #[arg(long)]
    pub algorithm: String,
    /// sandbox or production (the Demo merchant is built in).
    #[arg(long, default_value = "sandbox")]
    pub environment: String,
    #[arg(long, default_value = "AED")]
    pub currency: String,
    /// The merchant is PCI-DSS certified to send card numbers (trusted channel).
    #[arg(long)]
    pub trusted_channel: bool,
    /// Recorded as the operator of this profile's operations.
    #[arg(long, default_value = "")]
    pub operator: String,
    /// Sent as customer_ip where the account requires it.
    #[arg(long)]
    pub customer_ip: Option<String>,
    /// The most an agent may refund or void without a supervisor's approval, in the profile's
    /// currency (default 0: every agent refund or void needs approval).
    #[arg(long, value_name = "AMOUNT", default_value = "0")]
    pub agent_limit: String,
    /// The trading name printed on receipts (default: the profile's name).
    #[arg(long, value_name = "NAME", default_value = "")]
    pub trading_name: String,
    /// A line of the address printed on receipts; repeat for each line (at most 3).
    #[arg(long = "address", value_name = "LINE")]
    pub address: Vec<String>,
}

fn read_secret(kind: SecretKind) -> Result<Option<Secret>, Exit> {
    if let Ok(value) = std::env::var(kind.env_var())
        && !value.is_empty()
    {
        return Ok(Some(Secret::new(value)));
    }
    if !std::io::stdin().is_terminal() {
        return Ok(None);
    }
    let value = rpassword::prompt_password(format!("{} (not shown): ", kind.label()))
        .map_err(|e| Exit::usage(format!("could not read the {}: {e}", kind.label())))?;
    Ok((!value.is_empty()).then(|| Secret::new(value)))
}

fn profile_error(e: ServiceError) -> Exit {
    match e {
        ServiceError::Invalid { .. } => Exit::usage(e.to_string()),
        ServiceError::NotAllowed(_) => Exit::not_allowed(e.to_string()),
        other => Exit::failed(other.to_string()),
    }
}

pub async fn run(service: &Service, command: ProfileCommand) -> Result<(), Exit> {
    match command {
        ProfileCommand::Add(args) => add(service, *args).await,
        ProfileCommand::List => list(service).await,
        ProfileCommand::Remove { name } => {
            service.remove_profile(&name).await.map_err(profile_error)?;
            println!("profile \"{name}\" removed");
            Ok(())
        }
        ProfileCommand::Test { name } => {
            let test = service.test_profile(&name).await.map_err(profile_error)?;
            println!("{}", test.message);
            if test.ok { Ok(()) } else { Err(Exit::failed_quiet(test.message)) }
        }
    }
}

async fn add(service: &Service, args: AddArgs) -> Result<(), Exit> {
    let AddArgs {
        name,
        endpoint,
        custom_endpoint,
        merchant_identifier,
        algorithm,
        environment,
        currency,
        trusted_channel,
        operator,
        customer_ip,
        agent_limit,
        trading_name,
        address,
    } = args;
    let algorithm: Algorithm = algorithm.parse().map_err(|e| Exit::usage(format!("{e}")))?;
    let environment: Environment = environment.parse().map_err(|e| Exit::usage(format!("{e}")))?;
    let currency = Currency::parse(&currency).map_err(|e| Exit::usage(e.to_string()))?;
    let mut profile = Profile::new(&name, environment, &merchant_identifier, currency);
    if let Some(endpoint) = endpoint {
        profile.endpoint = endpoint;
    }
    profile.custom_endpoint = custom_endpoint;
    profile.algorithm = algorithm;
    profile.trusted_channel = trusted_channel;
    profile.operator = operator;
    profile.customer_ip = customer_ip;
    profile.trading_name = trading_name;
    profile.address = address;
    profile.agent_limit_minor = if agent_limit.trim() == "0" {
        0
    } else {
        crate::aps::money::Money::parse(&agent_limit, currency)
            .map_err(|e| Exit::usage(format!("--agent-limit: {e}")))?
            .minor_units()
    };
    // The vault's own rules, before a secret is asked for.
    profile.validate_stored().map_err(|e| Exit::usage(e.to_string()))?;
    let custom_host = profile.custom_endpoint_host();
    let mut secrets = Vec::new();
    let mut missing = Vec::new();
    for kind in SecretKind::ALL {
        match read_secret(kind)? {
            Some(secret) => secrets.push((kind, secret)),
            None => missing.push(kind.label()),
        }
    }
    match service.save_profile(profile.clone(), secrets).await {
        Ok(()) => {}
        Err(ServiceError::Profile(text)) if text.contains("keychain") => {
            // No keychain on this machine: keep the profile; secrets come from the
            // environment on every run (headless automation).
            service.save_profile(profile, Vec::new()).await.map_err(profile_error)?;
            eprintln!(
                "moto-terminal: the profile is saved but no keychain is usable ({text}); set APS_ACCESS_CODE, APS_REQUEST_PHRASE and APS_RESPONSE_PHRASE when you use it"
            );
        }
        Err(e) => return Err(profile_error(e)),
    }
    println!("profile \"{name}\" saved; secrets are kept in {}", service.keychain_description());
    if let Some(host) = custom_host {
        eprintln!(
            "moto-terminal: warning: profile \"{name}\" sends to the custom endpoint {host}, not APS's published address"
        );
    }
    if !missing.is_empty() {
        println!("not set yet: {} (set the APS_* variables and run profile add again)", missing.join(", "));
    }
    Ok(())
}

async fn list(service: &Service) -> Result<(), Exit> {
    for p in service.profiles().await.map_err(profile_error)? {
        let s = &p.secrets;
        let set = |b: bool| if b { "set" } else { "NOT SET" };
        println!(
            "{}\t{}\t{}\t{}\t{}\taccess code {}, request phrase {}, response phrase {}{}",
            p.profile.name,
            p.profile.environment.label(),
            p.profile.merchant_identifier,
            p.profile.algorithm,
            p.profile.endpoint,
            set(s.has(SecretKind::AccessCode)),
            set(s.has(SecretKind::RequestPhrase)),
            set(s.has(SecretKind::ResponsePhrase)),
            match (p.built_in, p.profile.custom_endpoint_host()) {
                (true, _) if p.profile.endpoint.is_empty() => "\t(built in, starts on first use)".to_owned(),
                (true, _) => "\t(built in)".to_owned(),
                (false, Some(host)) => format!("\tCUSTOM ENDPOINT {host}"),
                (false, None) => String::new(),
            }
        );
        let address = p.profile.address.join(", ");
        let heading = [p.profile.receipt_name(), address.as_str()].join(", ");
        println!("\treceipts: {}", heading.trim_end_matches(", "));
    }
    Ok(())
}
