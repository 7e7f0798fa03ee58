use super::*;
use crate::aps::money::Currency;
use crate::aps::sign::Algorithm;
use keyring_core::mock;
use std::collections::HashMap;

mod probe;
mod recent;

const ACCESS: &str = "SILgpo7pWbmzuURp2qri";
const REQUEST: &str = "$2y$10$Req.Phrase/42";
const RESPONSE: &str = "$2y$10$Resp.Phrase/43";

fn mock_store() -> Arc<CredentialStore> {
    mock::Store::new().unwrap()
}

fn creds() -> Credentials {
    Credentials {
        access_code: ACCESS.into(),
        request_phrase: REQUEST.into(),
        response_phrase: RESPONSE.into(),
    }
}

fn sandbox(name: &str) -> Profile {
    Profile::new(name, Environment::Sandbox, "MxvOupuG", Currency::parse("AED").unwrap())
}

fn vault(dir: &Path) -> Vault {
    Vault::open(dir, mock_store()).unwrap()
}

#[test]
fn vault_is_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<Vault>();
}

#[test]
fn environments_have_labels_urls_and_lowercase_serde() {
    assert_eq!(Environment::Demo.label(), "DEMO");
    assert_eq!(Environment::Sandbox.label(), "SANDBOX");
    assert_eq!(Environment::Production.label(), "PRODUCTION");
    assert_eq!(Environment::Demo.payment_api_url(), None);
    assert_eq!(
        Environment::Sandbox.payment_api_url(),
        Some("https://sbpaymentservices.payfort.com/FortAPI/paymentApi")
    );
    assert_eq!(
        Environment::Production.payment_api_url(),
        Some("https://paymentservices.payfort.com/FortAPI/paymentApi")
    );
    for e in Environment::ALL {
        assert_eq!(serde_json::to_string(&e).unwrap(), format!("\"{}\"", e.as_str()));
        assert_eq!(e.label().parse::<Environment>().unwrap(), e);
    }
    assert!("live".parse::<Environment>().unwrap_err().to_string().contains("demo, sandbox or production"));
}

#[test]
fn profile_validation_names_the_field() {
    assert!(sandbox("Main store").validate().is_ok());
    let mut local = sandbox("Local sim");
    local.environment = Environment::Demo;
    local.endpoint = "http://127.0.0.1:8443/FortAPI/paymentApi".into();
    assert!(local.validate().is_ok(), "plain http to loopback is allowed");
    local.endpoint = "http://[::1]:9000/x".into();
    assert!(local.validate().is_ok());
    local.endpoint = "http://localhost/x".into();
    assert!(local.validate().is_ok());

    let cases: Vec<(Profile, &str)> = vec![
        (Profile { name: String::new(), ..sandbox("x") }, "profile name"),
        (Profile { name: " lead".into(), ..sandbox("x") }, "profile name"),
        (Profile { name: "a/b".into(), ..sandbox("x") }, "profile name"),
        (Profile { name: "a@b".into(), ..sandbox("x") }, "profile name"),
        (Profile { name: "x".repeat(41), ..sandbox("x") }, "profile name"),
        (Profile { endpoint: "sbpaymentservices.payfort.com".into(), ..sandbox("x") }, "endpoint"),
        (
            Profile {
                endpoint: "http://sbpaymentservices.payfort.com/FortAPI/paymentApi".into(),
                ..sandbox("x")
            },
            "endpoint",
        ),
        (Profile { endpoint: "ftp://example.com/".into(), ..sandbox("x") }, "endpoint"),
        (Profile { endpoint: "https://user@evil.example/".into(), ..sandbox("x") }, "endpoint"),
        (Profile { endpoint: "https:///path".into(), ..sandbox("x") }, "endpoint"),
        (
            Profile {
                endpoint: "https://paymentservices.payfort.com/FortAPI/paymentApi".into(),
                ..sandbox("x")
            },
            "endpoint",
        ),
        (
            Profile {
                environment: Environment::Production,
                endpoint: "https://sbpaymentservices.payfort.com/FortAPI/paymentApi".into(),
                ..sandbox("x")
            },
            "endpoint",
        ),
        (
            Profile {
                environment: Environment::Production,
                endpoint: "http://127.0.0.1:8080/FortAPI/paymentApi".into(),
                ..sandbox("x")
            },
            "endpoint",
        ),
        (Profile { merchant_identifier: String::new(), ..sandbox("x") }, "merchant identifier"),
        (Profile { merchant_identifier: "Mxv-OupuG".into(), ..sandbox("x") }, "merchant identifier"),
        (Profile { merchant_identifier: "M".repeat(21), ..sandbox("x") }, "merchant identifier"),
        (Profile { customer_ip: Some("999.1.1.1".into()), ..sandbox("x") }, "customer IP"),
        (Profile { language: "fr".into(), ..sandbox("x") }, "language"),
        (Profile { operator: "a\nb".into(), ..sandbox("x") }, "operator"),
    ];
    for (profile, field) in cases {
        let err = profile.validate().unwrap_err().to_string();
        assert!(err.starts_with(field), "{field}: {err} ({profile:?})");
    }
    let mut ok = sandbox("ok");
    ok.customer_ip = Some("2001:db8::1".into());
    ok.language = "ar".into();
    ok.algorithm = Algorithm::HmacSha512;
    ok.merchant_identifier = "M".repeat(20);
    assert!(ok.validate().is_ok());
}

#[test]
fn credentials_debug_is_redacted() {
    let shown = format!("{:?}", creds());
    assert_eq!(shown, "Credentials(<redacted>)");
    let env = EnvSource::from_map(&HashMap::from([("APS_ACCESS_CODE".to_owned(), ACCESS.to_owned())]));
    let shown = format!("{env:?}");
    assert!(shown.contains("APS_ACCESS_CODE") && !shown.contains(ACCESS), "{shown}");
}

#[test]
fn profiles_are_saved_to_config_json_and_reloaded() {
    let dir = tempfile::tempdir().unwrap();
    let store = mock_store();
    let v = Vault::open(dir.path(), store.clone()).unwrap();
    assert!(v.profiles().is_empty(), "no config file yet is fine");
    v.add_profile(sandbox("Main")).unwrap();
    v.add_profile(sandbox("Second")).unwrap();
    let mut changed = sandbox("Second");
    changed.trusted_channel = true;
    changed.algorithm = Algorithm::HmacSha256;
    v.update_profile(changed.clone()).unwrap();
    v.set_settings(Settings {
        operator: "Sara".into(),
        default_profile: Some("Main".into()),
        default_currency: Some(Currency::parse("KWD").unwrap()),
        card_idle_wipe_secs: 60,
        ..Settings::default()
    })
    .unwrap();

    let again = Vault::open(dir.path(), store).unwrap();
    assert_eq!(again.profiles(), [sandbox("Main"), changed.clone()]);
    assert_eq!(again.profile("Second"), Some(changed));
    assert_eq!(again.settings().operator, "Sara");
    assert_eq!(again.settings().default_profile.as_deref(), Some("Main"));
    assert_eq!(again.settings().card_idle_wipe_secs, 60);
    let text = std::fs::read_to_string(again.config_path()).unwrap();
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(json["version"], 1);
    assert_eq!(json["profiles"][1]["algorithm"], "hmac-sha256");
    assert_eq!(json["profiles"][0]["environment"], "sandbox");
    let mut leftovers: Vec<_> =
        std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    leftovers.sort();
    assert_eq!(leftovers, [CONFIG_FILE, CONFIG_LOCK_FILE], "no temporary file is left behind");
}

#[test]
fn profile_names_are_unique_and_changes_need_an_existing_profile() {
    let dir = tempfile::tempdir().unwrap();
    let v = vault(dir.path());
    v.add_profile(sandbox("Main")).unwrap();
    assert!(matches!(v.add_profile(sandbox("main")), Err(VaultError::ProfileExists(_))));
    assert!(matches!(v.update_profile(sandbox("Other")), Err(VaultError::ProfileNotFound(_))));
    assert!(matches!(v.remove_profile("Other"), Err(VaultError::ProfileNotFound(_))));
    assert!(v.add_profile(Profile { merchant_identifier: "bad id".into(), ..sandbox("Bad") }).is_err());
    assert_eq!(v.profiles().len(), 1, "refused profiles are not saved");
    let err =
        v.set_settings(Settings { default_profile: Some("Nope".into()), ..Settings::default() }).unwrap_err();
    assert!(matches!(err, VaultError::ProfileNotFound(_)), "{err}");
}

#[test]
fn secrets_go_to_the_keychain_and_never_into_the_config_file() {
    let dir = tempfile::tempdir().unwrap();
    let store = mock_store();
    let v = Vault::open(dir.path(), store.clone()).unwrap();
    v.add_profile(sandbox("Main")).unwrap();
    assert_eq!(v.secret_status("Main").unwrap(), SecretStatus::default());
    v.set_credentials("Main", &creds()).unwrap();
    v.set_settings(Settings { operator: "Sara".into(), ..Settings::default() }).unwrap();

    let text = std::fs::read_to_string(v.config_path()).unwrap();
    for secret in [ACCESS, REQUEST, RESPONSE, "Req.Phrase", "Resp.Phrase"] {
        assert!(!text.contains(secret), "config.json holds a secret: {text}");
    }
    let entry = Entry::new_in_store(&store, SERVICE, "Main/response-phrase").unwrap();
    assert_eq!(entry.get_password().unwrap(), RESPONSE);

    let c = v.credentials("Main").unwrap();
    assert_eq!(c, creds());
    assert!(v.secret_status("Main").unwrap().is_complete());

    v.set_secret("Main", SecretKind::RequestPhrase, &Secret::from("new-phrase")).unwrap();
    assert_eq!(v.credentials("Main").unwrap().request_phrase.expose(), "new-phrase");
    assert_eq!(v.credentials("Main").unwrap().access_code.expose(), ACCESS);
}

#[test]
fn a_missing_secret_is_named_with_where_to_enter_it() {
    let dir = tempfile::tempdir().unwrap();
    let v = vault(dir.path());
    v.add_profile(sandbox("Main")).unwrap();
    v.set_secret("Main", SecretKind::AccessCode, &Secret::from(ACCESS)).unwrap();
    v.set_secret("Main", SecretKind::RequestPhrase, &Secret::from(REQUEST)).unwrap();
    let err = v.credentials("Main").unwrap_err();
    assert!(matches!(err, VaultError::MissingSecret { kind: SecretKind::ResponsePhrase, .. }), "{err}");
    assert_eq!(
        err.to_string(),
        "profile \"Main\" has no SHA response phrase: Settings, Profiles, Main, enter the SHA response phrase \
         (or set APS_RESPONSE_PHRASE for this run)"
    );
    let status = v.secret_status("Main").unwrap();
    assert_eq!(status, SecretStatus { access_code: true, request_phrase: true, response_phrase: false });
    assert_eq!(status.missing(), [SecretKind::ResponsePhrase]);
    assert!(matches!(v.credentials("Nope"), Err(VaultError::ProfileNotFound(_))));
    assert!(matches!(v.set_credentials("Nope", &creds()), Err(VaultError::ProfileNotFound(_))));
}

#[test]
fn invalid_secrets_are_refused_without_echoing_them() {
    let dir = tempfile::tempdir().unwrap();
    let v = vault(dir.path());
    v.add_profile(sandbox("Main")).unwrap();
    for (kind, value) in [
        (SecretKind::AccessCode, ""),
        (SecretKind::AccessCode, "has-dash-in-it"),
        (SecretKind::AccessCode, "A".repeat(21).as_str()),
        (SecretKind::RequestPhrase, " leadingspace"),
        (SecretKind::ResponsePhrase, "trailingnewline\n"),
        (SecretKind::ResponsePhrase, "a\u{7}b"),
    ] {
        let err = v.set_secret("Main", kind, &Secret::from(value)).unwrap_err();
        let text = err.to_string();
        assert!(matches!(err, VaultError::InvalidSecret { .. }), "{text}");
        assert!(value.trim().is_empty() || !text.contains(value.trim()), "echoed the secret: {text}");
    }
    assert_eq!(v.secret_status("Main").unwrap(), SecretStatus::default());
}

#[test]
fn environment_variables_override_the_keychain_for_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let store = mock_store();
    let plain = Vault::open(dir.path(), store.clone()).unwrap();
    plain.add_profile(sandbox("Main")).unwrap();
    plain.set_credentials("Main", &creds()).unwrap();

    let env = EnvSource::from_map(&HashMap::from([
        ("APS_RESPONSE_PHRASE".to_owned(), "from-env".to_owned()),
        ("APS_REQUEST_PHRASE".to_owned(), String::new()),
        ("UNRELATED".to_owned(), "x".to_owned()),
    ]));
    assert_eq!(
        env.status(),
        SecretStatus { access_code: false, request_phrase: false, response_phrase: true }
    );
    let v = Vault::open(dir.path(), store.clone()).unwrap().with_env(env);
    assert_eq!(v.env_overrides().missing(), [SecretKind::AccessCode, SecretKind::RequestPhrase]);
    let c = v.credentials("Main").unwrap();
    assert_eq!(c.response_phrase.expose(), "from-env");
    assert_eq!(c.request_phrase.expose(), REQUEST, "an empty variable counts as unset");
    assert_eq!(c.access_code.expose(), ACCESS);
    assert_eq!(
        Entry::new_in_store(&store, SERVICE, "Main/response-phrase").unwrap().get_password().unwrap(),
        RESPONSE,
        "the override is never written to the keychain"
    );

    // With every secret in the environment, an empty keychain is enough.
    let env = EnvSource::from_map(&HashMap::from([
        ("APS_ACCESS_CODE".to_owned(), ACCESS.to_owned()),
        ("APS_REQUEST_PHRASE".to_owned(), REQUEST.to_owned()),
        ("APS_RESPONSE_PHRASE".to_owned(), RESPONSE.to_owned()),
    ]));
    let headless = tempfile::tempdir().unwrap();
    let v = Vault::open(headless.path(), mock_store()).unwrap().with_env(env);
    v.add_profile(sandbox("CI")).unwrap();
    assert_eq!(v.credentials("CI").unwrap(), creds());
    assert!(v.secret_status("CI").unwrap().is_complete());

    let bad = EnvSource::from_map(&HashMap::from([("APS_ACCESS_CODE".to_owned(), "not valid!".to_owned())]));
    let v = Vault::open(headless.path(), mock_store()).unwrap().with_env(bad);
    let err = v.credentials("CI").unwrap_err().to_string();
    assert!(err.starts_with("APS_ACCESS_CODE:") && !err.contains("not valid!"), "{err}");
}

#[test]
fn removing_a_profile_deletes_its_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let store = mock_store();
    let v = Vault::open(dir.path(), store.clone()).unwrap();
    v.add_profile(sandbox("Main")).unwrap();
    v.add_profile(sandbox("Keep")).unwrap();
    v.set_credentials("Main", &creds()).unwrap();
    v.set_credentials("Keep", &creds()).unwrap();
    v.set_settings(Settings { default_profile: Some("Main".into()), ..Settings::default() }).unwrap();
    v.remove_profile("Main").unwrap();
    for kind in SecretKind::ALL {
        let entry = Entry::new_in_store(&store, SERVICE, &format!("Main/{}", kind.key())).unwrap();
        assert!(matches!(entry.get_password(), Err(keyring_core::Error::NoEntry)), "{kind}");
    }
    assert_eq!(v.credentials("Keep").unwrap(), creds());
    assert_eq!(v.settings().default_profile, None, "the default no longer points at a removed profile");
    let again = Vault::open(dir.path(), store).unwrap();
    assert_eq!(again.profiles().iter().map(|p| p.name.as_str()).collect::<Vec<_>>(), ["Keep"]);

    // A profile whose secrets were never set is removed too.
    v.add_profile(sandbox("Bare")).unwrap();
    v.remove_profile("Bare").unwrap();
}

#[test]
fn a_locked_keychain_keeps_the_profile_and_says_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let store = mock_store();
    let v = Vault::open(dir.path(), store.clone()).unwrap();
    v.add_profile(sandbox("Main")).unwrap();
    v.set_credentials("Main", &creds()).unwrap();
    let entry = Entry::new_in_store(&store, SERVICE, "Main/access-code").unwrap();
    let cred: &mock::Cred = entry.as_any().downcast_ref().unwrap();
    cred.set_error(keyring_core::Error::NoStorageAccess("collection is locked".into()));
    let err = v.remove_profile("Main").unwrap_err();
    assert!(matches!(err, VaultError::Keychain { .. }), "{err}");
    assert!(err.to_string().contains("unlock the keychain"), "{err}");
    assert!(v.profile("Main").is_some(), "still there to retry");

    cred.set_error(keyring_core::Error::NoStorageAccess("collection is locked".into()));
    assert!(matches!(v.credentials("Main"), Err(VaultError::Keychain { .. })));
    assert_eq!(v.credentials("Main").unwrap(), creds(), "the error was one-off");
}

#[test]
fn ephemeral_profiles_live_in_memory_only() {
    let dir = tempfile::tempdir().unwrap();
    let store = mock_store();
    let env = EnvSource::from_map(&HashMap::from([("APS_ACCESS_CODE".to_owned(), "EnvCode".to_owned())]));
    let v = Vault::open(dir.path(), store.clone()).unwrap().with_env(env);
    v.add_profile(sandbox("Main")).unwrap();
    let mut demo =
        Profile::new("Demo merchant", Environment::Demo, "DemoMerchant", Currency::parse("AED").unwrap());
    demo.endpoint = "http://127.0.0.1:41234/FortAPI/paymentApi".into();
    let demo_creds = Credentials {
        access_code: "DemoAccess".into(),
        request_phrase: "demo-in".into(),
        response_phrase: "demo-out".into(),
    };
    v.add_ephemeral(demo.clone(), demo_creds.clone()).unwrap();
    assert!(matches!(v.add_ephemeral(demo.clone(), demo_creds.clone()), Err(VaultError::ProfileExists(_))));
    assert!(matches!(v.add_profile(sandbox("demo merchant")), Err(VaultError::ProfileExists(_))));

    assert_eq!(v.profiles().iter().map(|p| p.name.as_str()).collect::<Vec<_>>(), ["Main", "Demo merchant"]);
    assert!(v.is_ephemeral("Demo merchant") && !v.is_ephemeral("Main"));
    assert_eq!(
        v.credentials("Demo merchant").unwrap(),
        demo_creds,
        "the environment does not override the demo"
    );
    assert!(v.secret_status("Demo merchant").unwrap().is_complete());
    v.set_secret("Demo merchant", SecretKind::ResponsePhrase, &Secret::from("demo-out-2")).unwrap();
    assert_eq!(v.credentials("Demo merchant").unwrap().response_phrase.expose(), "demo-out-2");
    assert!(matches!(v.update_profile(demo), Err(VaultError::ProfileReadOnly(_))));

    v.set_settings(Settings { default_profile: Some("Demo merchant".into()), ..Settings::default() })
        .unwrap();
    let text = std::fs::read_to_string(v.config_path()).unwrap();
    assert!(!text.contains("DemoMerchant") && !text.contains("demo-out"), "{text}");
    let found = Entry::search_in_store(&store, &HashMap::from([("user", "Demo merchant")])).unwrap();
    assert!(found.is_empty(), "nothing of the demo reached the keychain");
    assert!(Vault::open(dir.path(), mock_store()).unwrap().profile("Demo merchant").is_none());

    v.remove_profile("Demo merchant").unwrap();
    assert!(v.profile("Demo merchant").is_none());
}

#[test]
fn a_bad_or_newer_config_file_is_refused_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(CONFIG_FILE);
    for (text, needle) in [
        ("{ not json", "config.json"),
        (r#"{"version": 7, "profiles": []}"#, "newer moto-terminal"),
        (
            r#"{"version":1,"profiles":[{"name":"a/b","environment":"sandbox","endpoint":"https://x.example/","merchant_identifier":"M","algorithm":"sha256","default_currency":"AED"}]}"#,
            "profile name",
        ),
    ] {
        std::fs::write(&path, text).unwrap();
        let err = Vault::open(dir.path(), mock_store()).unwrap_err();
        assert!(matches!(err, VaultError::Config { .. }), "{err}");
        assert!(err.to_string().contains(needle), "{err}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
    }
    // Optional fields may be left out by hand-written files.
    std::fs::write(
        &path,
        r#"{"profiles":[{"name":"Hand","environment":"sandbox","endpoint":"https://sbpaymentservices.payfort.com/FortAPI/paymentApi","merchant_identifier":"M1","algorithm":"sha512","default_currency":"SAR"}]}"#,
    )
    .unwrap();
    let v = Vault::open(dir.path(), mock_store()).unwrap();
    let p = v.profile("Hand").unwrap();
    assert_eq!((p.language.as_str(), p.trusted_channel, p.operator.as_str()), ("en", false, ""));
    assert_eq!(v.settings(), Settings::default());
}

#[test]
fn installation_key_is_created_once_and_kept_in_the_keychain() {
    let dir = tempfile::tempdir().unwrap();
    let store = mock_store();
    let v = Vault::open(dir.path(), store.clone()).unwrap();
    let key = v.installation_key().unwrap();
    assert_eq!(key.expose().len(), 64);
    assert!(key.expose().bytes().all(|b| b.is_ascii_hexdigit()));
    assert_eq!(v.installation_key().unwrap(), key);
    let stored =
        Entry::new_in_store(&store, SERVICE, INSTALLATION_KEY_ENTRY).unwrap().get_password().unwrap();
    assert_eq!(stored, key.expose());
    let again = Vault::open(dir.path(), store).unwrap();
    assert_eq!(again.installation_key().unwrap(), key, "same key in the next run");
    let other = Vault::open(dir.path(), mock_store()).unwrap();
    assert_ne!(other.installation_key().unwrap(), key, "another installation gets its own key");
}

#[test]
fn card_fingerprint_is_a_keyed_hmac_of_the_digits() {
    let key = Secret::from("k");
    let a = card_fingerprint(&key, "4005550000000001");
    assert_eq!(a.len(), 64);
    assert_eq!(a, card_fingerprint(&key, "4005 5500 0000 0001"), "separators are ignored");
    assert_ne!(a, card_fingerprint(&key, "4005550000000019"));
    assert_ne!(a, card_fingerprint(&Secret::from("other key"), "4005550000000001"));
    assert!(!a.contains("4005550000000001"));
    // RFC 4231 test case 2: HMAC-SHA256 with key "Jefe".
    let jefe = Secret::from("Jefe");
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(b"Jefe").unwrap();
    mac.update(b"123");
    assert_eq!(card_fingerprint(&jefe, "1-2-3"), store::hex(&mac.finalize().into_bytes()));
    let mut rfc = <Hmac<Sha256> as KeyInit>::new_from_slice(b"Jefe").unwrap();
    rfc.update(b"what do ya want for nothing?");
    assert_eq!(
        store::hex(&rfc.finalize().into_bytes()),
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    );
}

#[test]
fn probe_works_on_the_mock_store_and_reports_its_kind() {
    let store = mock_store();
    probe_store(&store).unwrap();
    assert_eq!(StoreKind::of(&store), StoreKind::Mock);
    let v = Vault::open(Path::new("/nonexistent-dir-for-test"), store).unwrap();
    assert_eq!(v.store_kind(), StoreKind::Mock);
    assert!(StoreKind::KernelKeyring.describe().contains("reboot"));
}
