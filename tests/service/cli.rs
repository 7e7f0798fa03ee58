//! The command line over the same service: exit codes, the journal's JSON, profiles with
//! secrets from the environment, and a process killed in the middle of a charge.

use moto_terminal::sim::{self, Fault, SimConfig, SimHandle};
use std::process::{Command, Output, Stdio};

struct CliRig {
    sim: SimHandle,
    dir: tempfile::TempDir,
    profile: String,
}

fn secrets() -> [(&'static str, &'static str); 3] {
    [
        ("APS_ACCESS_CODE", sim::DEMO_ACCESS_CODE),
        ("APS_REQUEST_PHRASE", sim::DEMO_REQUEST_PHRASE),
        ("APS_RESPONSE_PHRASE", sim::DEMO_RESPONSE_PHRASE),
    ]
}

impl CliRig {
    async fn new(profile: &str) -> CliRig {
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
                "demo",
                "--trusted-channel",
            ])
            .await;
        assert!(out.status.success(), "profile add: {}", text(&out.stderr));
        rig
    }

    fn command(&self, args: &[&str]) -> Command {
        self.command_with_timeout(args, "2")
    }

    fn command_with_timeout(&self, args: &[&str], timeout_secs: &str) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_moto-terminal"));
        cmd.arg("--data-dir").arg(self.dir.path()).arg("--timeout").arg(timeout_secs).args(args);
        for (k, v) in secrets() {
            cmd.env(k, v);
        }
        cmd.env_remove("MOTO_TERMINAL_DATA_DIR")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        cmd
    }

    async fn run(&self, args: &[&str]) -> Output {
        let mut cmd = self.command(args);
        tokio::task::spawn_blocking(move || cmd.output().expect("binary runs")).await.unwrap()
    }

    async fn charge(&self, extra: &[&str]) -> Output {
        let mut args =
            vec!["charge", "--profile", &self.profile, "--currency", "AED", "--email", "caller@example.com"];
        args.extend_from_slice(extra);
        self.run(&args).await
    }

    async fn journal_json(&self, reference: &str) -> serde_json::Value {
        let out = self
            .run(&["journal", "--profile", &self.profile, "--reference", reference, "--format", "json"])
            .await;
        assert!(out.status.success(), "{}", text(&out.stderr));
        let stdout = text(&out.stdout);
        let line = stdout.lines().next().unwrap_or_else(|| panic!("no journal line for {reference}"));
        serde_json::from_str(line).unwrap()
    }
}

fn text(bytes: &[u8]) -> String {
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keyed_card_comes_only_from_stdin() {
    let rig = CliRig::new("cli-card").await;
    let mut cmd = rig.command(&[
        "charge",
        "--profile",
        &rig.profile,
        "--card-stdin",
        "--amount",
        "5",
        "--currency",
        "AED",
        "--email",
        "a@b.co",
    ]);
    let out = tokio::task::spawn_blocking(move || {
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
    .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}{}", text(&out.stdout), text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("token:"), "a keyed charge returns the new token: {stdout}");
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
    let mut seen = false;
    for _ in 0..500 {
        if rig.sim.requests().iter().any(|r| r.merchant_reference.as_deref() == Some("CRASH-1")) {
            seen = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert!(seen, "the charge reached the simulator");
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
    let mut child = Command::new(env!("CARGO_BIN_EXE_moto-terminal"))
        .args(["simulator", "--listen", "127.0.0.1:0"])
        .env_remove("APS_REQUEST_PHRASE")
        .env_remove("APS_RESPONSE_PHRASE")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    child.kill().unwrap();
    let _ = child.wait();
    let url = line.trim().strip_prefix("listening on ").unwrap_or_else(|| panic!("first line: {line}"));
    assert!(url.starts_with("http://127.0.0.1:") && url.ends_with("/FortAPI/paymentApi"), "{url}");
    let port: u16 = url["http://127.0.0.1:".len()..url.len() - "/FortAPI/paymentApi".len()].parse().unwrap();
    assert_ne!(port, 0, "the real port, not 0");
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
