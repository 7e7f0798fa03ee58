//! The environment/endpoint rule, the Demo that is never stored, and config.json as a private,
//! link-refusing, merge-on-write file.

use super::*;
use crate::aps::money::Currency;
use keyring_core::mock;

fn aed() -> Currency {
    Currency::parse("AED").unwrap()
}

fn profile(name: &str, environment: Environment, endpoint: &str) -> Profile {
    let mut p = Profile::new(name, environment, "MxvOupuG", aed());
    p.endpoint = endpoint.to_owned();
    p
}

fn open(dir: &Path) -> Vault {
    Vault::open(dir, mock::Store::new().unwrap()).unwrap()
}

const SANDBOX_URL: &str = "https://sbpaymentservices.payfort.com/FortAPI/paymentApi";
const PRODUCTION_URL: &str = "https://paymentservices.payfort.com/FortAPI/paymentApi";

#[test]
fn endpoints_must_be_the_published_ones_unless_marked_custom() {
    use Environment::{Demo, Production, Sandbox};
    let allowed = [
        (Sandbox, SANDBOX_URL),
        (Sandbox, "https://SBPaymentServices.PayFort.com/FortAPI/paymentApi"),
        (Sandbox, "http://127.0.0.1:8443/FortAPI/paymentApi"),
        (Sandbox, "https://localhost/FortAPI/paymentApi"),
        (Production, PRODUCTION_URL),
        (Production, "https://paymentservices.payfort.com:443/FortAPI/paymentApi"),
        (Demo, "http://127.0.0.1:41234/FortAPI/paymentApi"),
        (Demo, "http://[::1]:9000/FortAPI/paymentApi"),
    ];
    for (environment, endpoint) in allowed {
        assert!(check_endpoint(environment, endpoint, false).is_ok(), "{environment} {endpoint}");
        assert_eq!(profile("p", environment, endpoint).custom_endpoint_host(), None, "{endpoint}");
    }
    let custom_only = [
        (Production, "https://payments.evil.example/FortAPI/paymentApi"),
        (Production, "https://paymentservices.payfort.com:8443/FortAPI/paymentApi"),
        (Production, "https://paymentservices.payfort.com/FortAPI/other"),
        (Production, "https://127.0.0.1/FortAPI/paymentApi"),
        (Sandbox, "https://aps-proxy.example.com/FortAPI/paymentApi"),
    ];
    for (environment, endpoint) in custom_only {
        let error = check_endpoint(environment, endpoint, false).unwrap_err().to_string();
        assert!(error.starts_with("endpoint: ") && error.contains("custom endpoint"), "{endpoint}: {error}");
        assert!(check_endpoint(environment, endpoint, true).is_ok(), "{endpoint} with the flag");
        let mut p = profile("p", environment, endpoint);
        assert!(p.validate().is_err());
        p.custom_endpoint = true;
        assert!(p.validate().is_ok());
        assert!(p.custom_endpoint_host().is_some(), "{endpoint}");
    }
    assert_eq!(
        profile("p", Production, "https://Payments.Evil.example/x").custom_endpoint_host().as_deref(),
        Some("payments.evil.example")
    );
    // Never, not even with the flag: the other environment's APS host, a demo away from this
    // computer, plain http to another computer or for production.
    let refused = [
        (Sandbox, PRODUCTION_URL),
        (Production, SANDBOX_URL),
        (Demo, PRODUCTION_URL),
        (Demo, "https://demo.example/FortAPI/paymentApi"),
        (Sandbox, "http://aps-proxy.example.com/FortAPI/paymentApi"),
        (Production, "http://127.0.0.1:8080/FortAPI/paymentApi"),
    ];
    for (environment, endpoint) in refused {
        assert!(check_endpoint(environment, endpoint, true).is_err(), "{environment} {endpoint}");
    }
}

#[test]
fn the_demo_is_built_in_and_never_stored() {
    let dir = tempfile::tempdir().unwrap();
    let v = open(dir.path());
    let demo = profile("Fake demo", Environment::Demo, "http://127.0.0.1:9/FortAPI/paymentApi");
    let error = v.add_profile(demo).unwrap_err().to_string();
    assert!(error.starts_with("environment: ") && error.contains("built in"), "{error}");
    assert!(v.profiles().is_empty());

    // A hand-edited file that claims a demo profile (pointing at APS production, say) is refused
    // as a whole: it is never shown under the blue "no money moves" banner.
    let path = dir.path().join(CONFIG_FILE);
    let text = format!(
        r#"{{"version":1,"profiles":[{{"name":"Training","environment":"demo","endpoint":"{PRODUCTION_URL}","merchant_identifier":"M1","algorithm":"sha256","default_currency":"AED"}}]}}"#
    );
    std::fs::write(&path, &text).unwrap();
    let error = Vault::open(dir.path(), mock::Store::new().unwrap()).unwrap_err();
    assert!(matches!(error, VaultError::Config { .. }), "{error}");
    assert!(error.to_string().contains("\"Training\"") && error.to_string().contains("built in"), "{error}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), text, "left untouched");
}

#[test]
fn two_processes_changing_the_config_keep_both_changes() {
    let dir = tempfile::tempdir().unwrap();
    let desktop = open(dir.path());
    let cli = open(dir.path());
    desktop.add_profile(profile("Riyadh", Environment::Sandbox, SANDBOX_URL)).unwrap();
    cli.add_profile(profile("Jeddah", Environment::Sandbox, SANDBOX_URL)).unwrap();
    desktop.set_settings(Settings { operator: "Sara".into(), ..desktop.settings() }).unwrap();
    cli.set_settings(Settings { card_idle_wipe_secs: 45, ..cli.settings() }).unwrap();
    // A name another process took meanwhile is still refused.
    assert!(matches!(
        desktop.add_profile(profile("jeddah", Environment::Sandbox, SANDBOX_URL)),
        Err(VaultError::ProfileExists(_))
    ));

    let after = open(dir.path());
    let names: Vec<String> = after.profiles().into_iter().map(|p| p.name).collect();
    assert_eq!(names, ["Riyadh", "Jeddah"]);
    assert_eq!((after.settings().operator.as_str(), after.settings().card_idle_wipe_secs), ("Sara", 45));
}

#[cfg(unix)]
#[test]
fn the_config_file_and_its_folder_are_private_from_creation() {
    use std::os::unix::fs::PermissionsExt as _;
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("moto-terminal");
    let v = open(&dir);
    v.add_profile(profile("Riyadh", Environment::Sandbox, SANDBOX_URL)).unwrap();
    assert_eq!(mode(&dir), 0o700);
    assert_eq!(mode(&dir.join(CONFIG_FILE)), 0o600);
    assert_eq!(mode(&dir.join(CONFIG_LOCK_FILE)), 0o600);
}

#[cfg(unix)]
#[test]
fn a_symlinked_config_file_is_refused_and_its_target_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let elsewhere = dir.path().join("elsewhere.json");
    std::fs::write(&elsewhere, r#"{"version":1,"profiles":[]}"#).unwrap();
    std::os::unix::fs::symlink(&elsewhere, dir.path().join(CONFIG_FILE)).unwrap();
    let error = Vault::open(dir.path(), mock::Store::new().unwrap()).unwrap_err().to_string();
    assert!(error.contains("symbolic link"), "{error}");

    // Planted after start-up: the save is refused and the link's target keeps its content.
    std::fs::remove_file(dir.path().join(CONFIG_FILE)).unwrap();
    let v = open(dir.path());
    std::os::unix::fs::symlink(&elsewhere, dir.path().join(CONFIG_FILE)).unwrap();
    let error = v.add_profile(profile("Riyadh", Environment::Sandbox, SANDBOX_URL)).unwrap_err().to_string();
    assert!(error.contains("symbolic link"), "{error}");
    assert_eq!(std::fs::read_to_string(&elsewhere).unwrap(), r#"{"version":1,"profiles":[]}"#);
}

#[test]
fn a_built_in_profile_starts_its_server_on_first_use_only() {
    let dir = tempfile::tempdir().unwrap();
    let v = open(dir.path());
    let starts = Arc::new(Mutex::new(0));
    let counter = Arc::clone(&starts);
    let starter: Starter = Box::new(move || {
        let mut n = counter.lock().unwrap();
        *n += 1;
        if *n <= 2 {
            Err("port busy".to_owned())
        } else {
            Ok("http://127.0.0.1:4321/FortAPI/paymentApi".into())
        }
    });
    let creds = Credentials {
        access_code: "DemoAccess".into(),
        request_phrase: "demo-in".into(),
        response_phrase: "demo-out".into(),
    };
    let demo = Profile::new("Demo merchant", Environment::Demo, "MotoDemo", aed());
    v.add_built_in(demo, creds.clone(), starter).unwrap();

    // Listing, status and settings do not start it.
    assert_eq!(v.profiles().len(), 1);
    assert!(v.secret_status("Demo merchant").unwrap().is_complete());
    v.set_settings(Settings { default_profile: Some("Demo merchant".into()), ..Settings::default() })
        .unwrap();
    assert_eq!((*starts.lock().unwrap(), v.is_started("Demo merchant")), (0, false));

    // First use: the start fails, and the credentials say why (nothing can be sent).
    assert_eq!(v.profile("Demo merchant").unwrap().endpoint, "");
    let error = v.credentials("Demo merchant").unwrap_err().to_string();
    assert!(error.contains("could not start") && error.contains("port busy"), "{error}");
    // Next use: started once, and never again.
    assert_eq!(v.credentials("Demo merchant").unwrap(), creds);
    assert_eq!(v.profile("Demo merchant").unwrap().endpoint, "http://127.0.0.1:4321/FortAPI/paymentApi");
    assert_eq!((*starts.lock().unwrap(), v.is_started("Demo merchant")), (3, true));
    v.profile("Demo merchant").unwrap();
    assert_eq!(*starts.lock().unwrap(), 3);
}

#[test]
fn the_card_wipe_is_kept_to_its_range_when_saved_and_when_read() {
    let dir = tempfile::tempdir().unwrap();
    let v = open(dir.path());
    for secs in [0, 10, 29, 3601, 4000] {
        let error = v.set_settings(Settings { card_idle_wipe_secs: secs, ..v.settings() }).unwrap_err();
        assert!(matches!(error, VaultError::Invalid { field: Field::CardWipe, .. }), "{secs}: {error}");
        assert_eq!(error.to_string(), "card wipe must be 30 to 3600 seconds without activity");
    }
    assert_eq!(v.settings().card_idle_wipe_secs, 120, "nothing refused was kept");
    for secs in [30, 45, 3600] {
        v.set_settings(Settings { card_idle_wipe_secs: secs, ..v.settings() }).unwrap();
        assert_eq!(open(dir.path()).settings().card_idle_wipe_secs, secs);
    }

    // A hand-edited file cannot switch the wipe off either: it is refused as a whole.
    let path = dir.path().join(CONFIG_FILE);
    std::fs::write(&path, r#"{"version":1,"settings":{"card_idle_wipe_secs":100000}}"#).unwrap();
    let error = Vault::open(dir.path(), mock::Store::new().unwrap()).unwrap_err();
    assert!(matches!(error, VaultError::Config { .. }), "{error}");
    assert!(error.to_string().contains("card wipe must be 30 to 3600 seconds"), "{error}");
}
