//! The command line over the same service: exit codes, the journal's JSON, profiles with
//! secrets from the environment, and a process killed in the middle of a charge.

use moto_terminal::sim::{self, Fault, SimConfig, SimHandle};
use std::process::{Command, Output, Stdio};

pub(super) struct CliRig {
    pub(super) sim: SimHandle,
    pub(super) dir: tempfile::TempDir,
    pub(super) profile: String,
}

fn secrets() -> [(&'static str, &'static str); 3] {
    [
        ("APS_ACCESS_CODE", sim::DEMO_ACCESS_CODE),
        ("APS_REQUEST_PHRASE", sim::DEMO_REQUEST_PHRASE),
        ("APS_RESPONSE_PHRASE", sim::DEMO_RESPONSE_PHRASE),
    ]
}

impl CliRig {
    pub(super) async fn new(profile: &str) -> CliRig {
        let sim = sim::start(SimConfig::demo(), "127.0.0.1:0".parse().unwrap()).await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        // Unique per run: under scripts/test the secrets land in a real (shared) keychain.
        let profile = format!("{profile}-{}", std::process::id());
        let rig = CliRig { sim, dir, profile };
        let url = rig.sim.payment_api_url();
        let out = rig
            .run(&[
                "profile",
                "add",
                &rig.profile,
                "--endpoint",
                &url,
                "--merchant-identifier",
                sim::DEMO_MERCHANT_IDENTIFIER,
                "--algorithm",
                "sha256",
                "--environment",
                "sandbox",
                "--trusted-channel",
            ])
            .await;
        assert!(out.status.success(), "profile add: {}", text(&out.stderr));
        rig
    }

    pub(super) fn command(&self, args: &[&str]) -> Command {
        self.command_with_timeout(args, "2")
    }

    pub(super) fn command_with_timeout(&self, args: &[&str], timeout_secs: &str) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_moto-terminal"));
        cmd.arg("--data-dir").arg(self.dir.path()).arg("--timeout").arg(timeout_secs).args(args);
        for (k, v) in secrets() {
            cmd.env(k, v);
        }
        cmd.env_remove("MOTO_TERMINAL_DATA_DIR")
            .env_remove("MOTO_TERMINAL_JOURNAL")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        cmd
    }

    pub(super) async fn run(&self, args: &[&str]) -> Output {
        let mut cmd = self.command(args);
        tokio::task::spawn_blocking(move || cmd.output().expect("binary runs")).await.unwrap()
    }

    /// `before` (global options), then a charge of `amount` AED on the Demo Visa token under
    /// `reference`.
    pub(super) fn token_charge<'a>(
        &'a self,
        before: &[&'a str],
        reference: &'a str,
        amount: &'a str,
    ) -> Vec<&'a str> {
        let mut args = before.to_vec();
        args.extend([
            "charge",
            "--profile",
            &self.profile,
            "--token",
            "DEMO-VISA-0001",
            "--amount",
            amount,
            "--currency",
            "AED",
            "--email",
            "caller@example.com",
            "--reference",
            reference,
        ]);
        args
    }

    /// Waits until the simulator has seen a request of `reference`.
    pub(super) async fn wait_until_sent(&self, reference: &str) {
        for _ in 0..1000 {
            if self.sim.requests().iter().any(|r| r.merchant_reference.as_deref() == Some(reference)) {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        panic!("{reference} never reached the simulator");
    }

    async fn charge(&self, extra: &[&str]) -> Output {
        let mut args =
            vec!["charge", "--profile", &self.profile, "--currency", "AED", "--email", "caller@example.com"];
        args.extend_from_slice(extra);
        self.run(&args).await
    }

    pub(super) async fn journal_json(&self, reference: &str) -> serde_json::Value {
        let out = self
            .run(&["journal", "--profile", &self.profile, "--reference", reference, "--format", "json"])
            .await;
        assert!(out.status.success(), "{}", text(&out.stderr));
        let stdout = text(&out.stdout);
        let line = stdout.lines().next().unwrap_or_else(|| panic!("no journal line for {reference}"));
        serde_json::from_str(line).unwrap()
    }
}

pub(super) fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn charge_exit_codes_and_journal_json() {
    let rig = CliRig::new("cli-codes").await;
    let ok = rig.charge(&["--token", "DEMO-VISA-0001", "--amount", "12.50", "--reference", "CLI-OK-1"]).await;
    assert_eq!(ok.status.code(), Some(0), "{}{}", text(&ok.stdout), text(&ok.stderr));
    assert!(text(&ok.stdout).contains("Approved"));
    let row = rig.journal_json("CLI-OK-1").await;
    for key in [
        "merchant_reference",
        "profile",
        "currency",
        "state",
        "authorized_minor",
        "captured_minor",
        "refunded_minor",
        "fort_id",
        "response_code",
    ] {
        assert!(row.get(key).is_some(), "journal json has {key}: {row}");
    }
    assert_eq!((row["state"].as_str(), row["captured_minor"].as_u64()), (Some("captured"), Some(1250)));

    let declined = rig.charge(&["--token", "DEMO-MC-2346", "--amount", "10.51"]).await;
    assert_eq!(declined.status.code(), Some(1), "declined exits 1");
    assert!(text(&declined.stdout).contains("insufficient funds"), "{}", text(&declined.stdout));

    let bad = rig.charge(&["--token", "DEMO-VISA-0001", "--amount", "12.345"]).await;
    assert_eq!(bad.status.code(), Some(2), "invalid input exits 2");
    assert!(text(&bad.stderr).contains("amount"), "names the field: {}", text(&bad.stderr));

    let card_on_argv = rig
        .run(&[
            "charge",
            "--profile",
            &rig.profile,
            "--amount",
            "1",
            "--currency",
            "AED",
            "--email",
            "a@b.co",
        ])
        .await;
    assert_eq!(card_on_argv.status.code(), Some(2));

    // Partial capture, refund and status on an authorization.
    let auth = rig
        .charge(&[
            "--token",
            "DEMO-AMEX-4564",
            "--amount",
            "100",
            "--authorize-only",
            "--reference",
            "CLI-AUTH-1",
        ])
        .await;
    assert_eq!(auth.status.code(), Some(0), "{}", text(&auth.stderr));
    let p = rig.profile.clone();
    assert_eq!(
        rig.run(&["capture", "--profile", &p, "--reference", "CLI-AUTH-1", "--amount", "60"])
            .await
            .status
            .code(),
        Some(0)
    );
    let over = rig.run(&["capture", "--profile", &p, "--reference", "CLI-AUTH-1", "--amount", "41"]).await;
    assert_eq!(over.status.code(), Some(2), "over-capture is refused before sending");
    assert!(text(&over.stderr).contains("AED 40.00"), "{}", text(&over.stderr));
    assert_eq!(
        rig.run(&["refund", "--profile", &p, "--reference", "CLI-AUTH-1", "--amount", "10"])
            .await
            .status
            .code(),
        Some(0)
    );
    let status = rig.run(&["status", "--profile", &p, "--reference", "CLI-AUTH-1"]).await;
    assert_eq!(status.status.code(), Some(0), "{}", text(&status.stderr));
    assert!(text(&status.stdout).contains("captured AED 60.00"), "{}", text(&status.stdout));
    let row = rig.journal_json("CLI-AUTH-1").await;
    assert_eq!(row["state"], "partially_refunded");
}

impl CliRig {
    /// A keyed-card charge of `amount` with the card JSON on stdin, plus `extra` flags.
    pub(super) async fn keyed_charge(&self, amount: &str, extra: &[&str]) -> Output {
        let mut args = vec![
            "charge",
            "--profile",
            &self.profile,
            "--card-stdin",
            "--amount",
            amount,
            "--currency",
            "AED",
            "--email",
            "a@b.co",
        ];
        args.extend_from_slice(extra);
        let mut cmd = self.command(&args);
        tokio::task::spawn_blocking(move || {
            use std::io::Write;
            let mut child = cmd.spawn().unwrap();
            child
                .stdin
                .take()
                .unwrap()
                .write_all(br#"{"number":"5123456789012346","expiry":"05/30","holder":"Omar Said"}"#)
                .unwrap();
            child.wait_with_output().unwrap()
        })
        .await
        .unwrap()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keyed_card_comes_only_from_stdin_and_is_kept_only_when_asked() {
    let rig = CliRig::new("cli-card").await;
    let out = rig.keyed_charge("5", &[]).await;
    assert_eq!(out.status.code(), Some(0), "{}{}", text(&out.stdout), text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(!stdout.contains("token:"), "without --remember the card is not kept: {stdout}");
    assert!(!stdout.contains("5123456789012346") && !text(&out.stderr).contains("5123456789012346"));

    // Another amount: the same card and amount again would be held as a possible duplicate.
    let out = rig.keyed_charge("6", &["--remember"]).await;
    assert_eq!(out.status.code(), Some(0), "{}{}", text(&out.stdout), text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("token:"), "with --remember a keyed charge returns the new token: {stdout}");
    assert!(!stdout.contains("5123456789012346") && !text(&out.stderr).contains("5123456789012346"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_mid_charge_then_reconciled_charges_once() {
    let rig = CliRig::new("cli-crash").await;
    rig.sim.inject(Fault::delay(3000).for_command("PURCHASE"));
    let mut cmd = rig.command_with_timeout(
        &[
            "charge",
            "--profile",
            &rig.profile,
            "--token",
            "DEMO-VISA-0001",
            "--amount",
            "33.00",
            "--currency",
            "AED",
            "--email",
            "a@b.co",
            "--reference",
            "CRASH-1",
        ],
        "30",
    );
    let mut child = cmd.spawn().unwrap();
    rig.wait_until_sent("CRASH-1").await;
    child.kill().unwrap();
    let _ = child.wait();
    assert_eq!(
        rig.journal_json("CRASH-1").await["state"],
        "pending",
        "the intent was durable before the request left"
    );

    let out = rig.run(&["reconcile", "--profile", &rig.profile]).await;
    assert_eq!(out.status.code(), Some(0), "{}{}", text(&out.stdout), text(&out.stderr));
    let row = rig.journal_json("CRASH-1").await;
    assert_eq!((row["state"].as_str(), row["captured_minor"].as_u64()), (Some("captured"), Some(3300)));
    let again = rig
        .charge(&[
            "--token",
            "DEMO-VISA-0001",
            "--amount",
            "33.00",
            "--reference",
            "CRASH-1",
            "--allow-duplicate",
        ])
        .await;
    assert_eq!(again.status.code(), Some(2), "the reference is taken: {}", text(&again.stderr));
    let moved = rig.sim.money_movements().iter().filter(|m| m.merchant_reference == "CRASH-1").count();
    assert_eq!(moved, 1, "charged exactly once");
}

#[test]
fn the_simulator_command_prints_where_it_listens() {
    use std::io::BufRead;
    let mut simulator = crate::util::Running::new(
        Command::new(env!("CARGO_BIN_EXE_moto-terminal"))
            .args(["simulator", "--listen", "127.0.0.1:0"])
            .env_remove("APS_REQUEST_PHRASE")
            .env_remove("APS_RESPONSE_PHRASE")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let mut line = String::new();
    let mut token = String::new();
    let mut stdout = std::io::BufReader::new(simulator.child().stdout.take().unwrap());
    stdout.read_line(&mut line).unwrap();
    stdout.read_line(&mut token).unwrap();
    simulator.stop();
    let url = line.trim().strip_prefix("listening on ").unwrap_or_else(|| panic!("first line: {line}"));
    assert!(url.starts_with("http://127.0.0.1:") && url.ends_with("/FortAPI/paymentApi"), "{url}");
    let port: u16 = url["http://127.0.0.1:".len()..url.len() - "/FortAPI/paymentApi".len()].parse().unwrap();
    assert_ne!(port, 0, "the real port, not 0");
    let token =
        token.trim().strip_prefix("control token: ").unwrap_or_else(|| panic!("second line: {token}"));
    assert_eq!(token.len(), 32, "the control API's token: {token}");
}

#[cfg(unix)]
fn mode(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_simulator_starts_only_when_the_demo_is_used() {
    let rig = CliRig::new("cli-lazy").await;
    // The Demo's simulator writes its state file the moment it starts listening.
    let demo_state = rig.dir.path().join("demo-simulator.json");
    for args in [
        vec!["profile", "list"],
        vec!["journal", "--profile", &rig.profile],
        vec!["status", "--profile", &rig.profile, "--reference", "NOT-THERE"],
    ] {
        let out = rig.run(&args).await;
        assert!(!demo_state.exists(), "{args:?} started the Demo simulator: {}", text(&out.stderr));
    }
    let ok = rig.charge(&["--token", "DEMO-VISA-0001", "--amount", "3.00"]).await;
    assert_eq!(ok.status.code(), Some(0), "{}", text(&ok.stderr));
    assert!(!demo_state.exists(), "a charge on a sandbox profile opens no listening port");
    let listed = text(&rig.run(&["profile", "list"]).await.stdout);
    assert!(listed.contains("Demo merchant") && listed.contains("starts on first use"), "{listed}");

    // The Demo itself: started on use, its state file private from creation.
    let demo = rig
        .run(&[
            "charge",
            "--profile",
            "Demo merchant",
            "--token",
            "DEMO-MC-2346",
            "--amount",
            "4.00",
            "--currency",
            "AED",
            "--email",
            "caller@example.com",
        ])
        .await;
    assert_eq!(demo.status.code(), Some(0), "{}{}", text(&demo.stdout), text(&demo.stderr));
    assert_eq!(mode(&demo_state), 0o600);
    for name in ["config.json", "journal.sqlite3"] {
        assert_eq!(mode(&rig.dir.path().join(name)), 0o600, "{name}");
    }
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_data_folder_is_private() {
    let rig = CliRig::new("cli-folder").await;
    let fresh = rig.dir.path().join("new").join("moto-terminal");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_moto-terminal"));
    cmd.arg("--data-dir").arg(&fresh).args(["journal"]).env_remove("MOTO_TERMINAL_DATA_DIR");
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap()).await.unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!((mode(&rig.dir.path().join("new")), mode(&fresh)), (0o700, 0o700));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn profiles_are_checked_against_their_environment() {
    let rig = CliRig::new("cli-env").await;
    let add = |name: String, extra: &'static [&'static str]| {
        let mut args = vec![
            "profile".to_owned(),
            "add".to_owned(),
            name,
            "--merchant-identifier".to_owned(),
            "Shop42".to_owned(),
            "--algorithm".to_owned(),
            "sha256".to_owned(),
        ];
        args.extend(extra.iter().map(|a| (*a).to_owned()));
        args
    };
    let run = |args: Vec<String>| {
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let mut cmd = rig.command(&refs);
        tokio::task::spawn_blocking(move || cmd.output().unwrap())
    };
    let demo =
        run(add(format!("fake-demo-{}", std::process::id()), &["--environment", "demo"])).await.unwrap();
    assert_eq!(demo.status.code(), Some(2), "{}", text(&demo.stderr));
    assert!(text(&demo.stderr).contains("built in"), "{}", text(&demo.stderr));

    let proxy = format!("proxy-{}", std::process::id());
    const ENDPOINT: [&str; 4] =
        ["--environment", "production", "--endpoint", "https://APS-Proxy.example.com/FortAPI/paymentApi"];
    let refused = run(add(proxy.clone(), &ENDPOINT)).await.unwrap();
    assert_eq!(refused.status.code(), Some(2), "{}", text(&refused.stderr));
    assert!(text(&refused.stderr).contains("--custom-endpoint"), "says how: {}", text(&refused.stderr));
    const CUSTOM: [&str; 5] = [
        "--environment",
        "production",
        "--endpoint",
        "https://APS-Proxy.example.com/FortAPI/paymentApi",
        "--custom-endpoint",
    ];
    let saved = run(add(proxy.clone(), &CUSTOM)).await.unwrap();
    assert!(saved.status.success(), "{}", text(&saved.stderr));
    assert!(text(&saved.stderr).contains("custom endpoint aps-proxy.example.com"), "{}", text(&saved.stderr));
    let listed = text(&rig.run(&["profile", "list"]).await.stdout);
    let line = listed.lines().find(|l| l.starts_with(&proxy)).unwrap_or_else(|| panic!("{listed}"));
    assert!(line.contains("CUSTOM ENDPOINT aps-proxy.example.com"), "{line}");
    let _ = rig.run(&["profile", "remove", &proxy]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn money_moves_on_a_production_default_need_an_explicit_profile() {
    let rig = CliRig::new("cli-live").await;
    let live = format!("live-{}", std::process::id());
    let out = rig
        .run(&[
            "profile",
            "add",
            &live,
            "--environment",
            "production",
            "--merchant-identifier",
            "Shop42",
            "--algorithm",
            "sha256",
        ])
        .await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    // Make it the default, as choosing it in Settings does.
    let config = rig.dir.path().join("config.json");
    let mut json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&config).unwrap()).unwrap();
    json["settings"]["default_profile"] = serde_json::Value::String(live.clone());
    std::fs::write(&config, serde_json::to_string(&json).unwrap()).unwrap();

    let money: [&[&str]; 10] = [
        &["charge", "--token", "DEMO-VISA-0001", "--amount", "1", "--currency", "AED", "--email", "a@b.co"],
        &["capture", "--reference", "R-1", "--amount", "1"],
        &["refund", "--reference", "R-1", "--amount", "1"],
        &["void", "--reference", "R-1"],
        &["recurring", "charge"],
        &[
            "recurring",
            "add",
            "--token",
            "T",
            "--amount",
            "1",
            "--currency",
            "AED",
            "--email",
            "a@b.co",
            "--payments",
            "2",
        ],
        &["link", "create", "--amount", "1", "--currency", "AED", "--email", "a@b.co"],
        &["token", "update", "--token", "DEMO-VISA-0001", "--status", "inactive"],
        &["token", "create"],
        &["charge", "--card-stdin", "--amount", "1", "--currency", "AED", "--email", "a@b.co"],
    ];
    for args in money {
        let out = rig.run(args).await;
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", text(&out.stderr));
        let stderr = text(&out.stderr);
        assert!(
            stderr.contains("PRODUCTION") && stderr.contains(&format!("--profile \"{live}\"")),
            "{stderr}"
        );
    }
    assert!(rig.sim.requests().is_empty(), "nothing was sent anywhere");
    // Reading needs no explicit profile.
    let journal = rig.run(&["journal"]).await;
    assert_eq!(journal.status.code(), Some(0), "{}", text(&journal.stderr));
    let _ = rig.run(&["profile", "remove", &live]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_card_number_given_as_token_is_refused_with_exit_2() {
    let rig = CliRig::new("cli-card-token").await;
    for card in ["4005550000000001", "4005-5500-0000-0001"] {
        let out = rig.charge(&["--token", card, "--amount", "12.50"]).await;
        let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
        assert_eq!(out.status.code(), Some(2), "{stdout}{stderr}");
        assert!(stderr.contains("--token: this looks like a card number"), "{stderr}");
        assert!(stderr.contains("--card-stdin"), "says what to do instead: {stderr}");
        assert!(!stderr.contains(card) && !stdout.contains(card), "the number is not echoed");
    }
    assert!(rig.sim.requests().iter().all(|r| r.command.as_deref() != Some("PURCHASE")), "nothing was sent");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plain_http_endpoint_off_this_computer_is_invalid_input() {
    let rig = CliRig::new("cli-http").await;
    let name = format!("plain-http-{}", std::process::id());
    for (environment, endpoint, custom) in [
        ("sandbox", "http://aps-proxy.example.com/FortAPI/paymentApi", false),
        ("sandbox", "http://aps-proxy.example.com/FortAPI/paymentApi", true),
        ("sandbox", "http://192.0.2.7:8080/FortAPI/paymentApi", true),
        ("production", "http://paymentservices.payfort.com/FortAPI/paymentApi", false),
    ] {
        let mut args =
            vec!["profile", "add", &name, "--merchant-identifier", "Shop42", "--algorithm", "sha256"];
        args.extend(["--environment", environment, "--endpoint", endpoint]);
        if custom {
            args.push("--custom-endpoint");
        }
        let out = rig.run(&args).await;
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{endpoint}: invalid input, as the README says: {stderr}");
        assert!(stderr.contains("endpoint: must start with https://"), "names the field: {stderr}");
    }
    let listed = text(&rig.run(&["profile", "list"]).await.stdout);
    assert!(!listed.contains(&name), "nothing was saved: {listed}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_token_book_lists_every_customer_of_a_card() {
    let rig = CliRig::new("cli-book").await;
    let rig = &rig;
    let list = |query: &'static str| async move {
        let out = rig.run(&["token", "list", "--profile", "Demo merchant", "--query", query]).await;
        assert!(out.status.success(), "{}", text(&out.stderr));
        text(&out.stdout)
    };
    // The Demo merchant's book: DEMO-VISA-0001 is a family card of two Demo customers.
    let karim = list("karim").await;
    assert_eq!(
        karim.trim_end(),
        "DEMO-VISA-0001\t400555******0001\t3012\tACTIVE\tKarim Haddad <karim@example.com> +971 50 765 4321; \
         Layla Haddad <layla@example.com> +971 50 123 4567"
    );
    assert!(list("sara@example").await.starts_with("DEMO-AMEX-4564\t"));
    // A new caller on the same card joins its customers, found by their phone.
    let charge = [
        "charge",
        "--profile",
        "Demo merchant",
        "--token",
        "DEMO-VISA-0001",
        "--amount",
        "7.00",
        "--currency",
        "AED",
        "--email",
        "nadia@example.com",
        "--name",
        "Nadia Saleh",
        "--phone",
        "+971 50 999 0000",
    ];
    let out = rig.run(&charge).await;
    assert_eq!(out.status.code(), Some(0), "{}{}", text(&out.stdout), text(&out.stderr));
    let nadia = list("050 999 0000").await;
    let line = nadia.lines().next().unwrap_or_default();
    assert!(
        line.starts_with("DEMO-VISA-0001\t")
            && line.contains("\tNadia Saleh <nadia@example.com> +971 50 999 0000; "),
        "{nadia}"
    );
    assert!(line.contains("Karim Haddad") && line.contains("Layla Haddad"), "{line}");
    assert_eq!(nadia.lines().count(), 1, "{nadia}");
}

/// The payment link URL in `link create`'s output.
fn link_url(out: &Output) -> String {
    let stdout = text(&out.stdout);
    let line = stdout.lines().find_map(|l| l.trim().strip_prefix("payment link: "));
    line.unwrap_or_else(|| panic!("no payment link in: {stdout}{}", text(&out.stderr))).to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_demo_payment_link_keeps_its_url_when_the_terminal_restarts() {
    let rig = CliRig::new("cli-demo-link").await;
    let create = |reference: &'static str| {
        [
            "link",
            "create",
            "--profile",
            "Demo merchant",
            "--amount",
            "150",
            "--currency",
            "AED",
            "--email",
            "layla@example.com",
            "--reference",
            reference,
        ]
    };
    // Each command is a start of the terminal, with the Demo's simulator on a new free port.
    let first = link_url(&rig.run(&create("DEMO-LINK-1")).await);
    let second = link_url(&rig.run(&create("DEMO-LINK-2")).await);
    let origin = |url: &str| url.split("/pay/").next().unwrap_or_default().to_owned();
    assert_eq!(origin(&first), origin(&second), "{first} {second}");
    let state = std::fs::read_to_string(rig.dir.path().join("demo-simulator.json")).unwrap();
    let port = origin(&first).rsplit(':').next().unwrap().to_owned();
    assert!(state.contains(&format!("\"link_port\":{port}")), "the port is kept with the links");

    // The Demo merchant's simulator as the terminal starts it next time: the first link opens.
    let demo = sim::start(SimConfig::demo_in(rig.dir.path()), "127.0.0.1:0".parse().unwrap()).await.unwrap();
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let page = http.get(&first).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("Order DEMO-LINK-1"));
    demo.shutdown().await;
}

/// An order whose intent is recorded and whose answer never came, as a terminal leaves it.
fn order_in_doubt(
    profile: &str,
    reference: &str,
    lease: Option<moto_terminal::journal::Lease>,
    age: chrono::Duration,
) -> moto_terminal::journal::NewOrder {
    use moto_terminal::aps::money::{Currency, Money};
    use moto_terminal::journal::{Channel, NewOrder, OrderKind, PaymentMethod};
    NewOrder {
        profile: profile.into(),
        merchant_reference: reference.into(),
        kind: OrderKind::Sale,
        channel: Channel::Phone,
        amount: Money::from_minor(1000, Currency::parse("AED").unwrap()).unwrap(),
        method: PaymentMethod::Token { token_name: "DEMO-VISA-0001".into(), masked_card: None },
        customer_email: Some("a@b.co".into()),
        customer_name: None,
        description: None,
        operator: "amal".into(),
        terminal: "desk-2".into(),
        created_at: chrono::Utc::now() - age,
        extra: Default::default(),
        lease,
        batch_row: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconcile_never_says_all_is_known_while_an_order_it_could_not_ask_about_is_in_doubt() {
    use moto_terminal::journal::Journal;
    let rig = CliRig::new("cli-doubt").await;
    // An order left in doubt under a profile this desk no longer has: nobody can ask APS.
    let journal = Journal::open(&rig.dir.path().join("journal.sqlite3")).unwrap();
    let doubt = order_in_doubt("Gone merchant", "DOUBT-1", None, chrono::Duration::hours(1));
    journal.record_order_intent(&doubt).unwrap();
    drop(journal);
    let out = rig.run(&["reconcile"]).await;
    let said = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(3), "{said}");
    assert!(!said.contains("every order's outcome is known"), "{said}");
    assert!(said.contains("1 order(s) still in doubt"), "{said}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconcile_leaves_another_running_terminals_request_in_flight_without_alarm() {
    use moto_terminal::journal::{Journal, Lease};
    let rig = CliRig::new("cli-in-flight").await;
    // Another terminal (here a process that is running) sent this a moment ago and waits.
    let mut sender = std::process::Command::new("sleep").arg("60").spawn().unwrap();
    let owner = moto_terminal::service::lease::name_of(sender.id()).unwrap();
    let journal = Journal::open(&rig.dir.path().join("journal.sqlite3")).unwrap();
    let lease = Lease { owner, deadline: chrono::Utc::now() + chrono::Duration::seconds(300) };
    let flight = order_in_doubt(&rig.profile, "FLIGHT-1", Some(lease), chrono::Duration::zero());
    journal.record_order_intent(&flight).unwrap();
    drop(journal);
    let out = rig.run(&["reconcile"]).await;
    let _ = sender.kill();
    let _ = sender.wait();
    let said = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "its answer will settle it: {said}");
    assert!(!said.contains("still in doubt"), "{said}");
}
