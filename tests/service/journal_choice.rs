//! Which journal a run records in: `--journal URL_OR_PATH` (before the command), else
//! `MOTO_TERMINAL_JOURNAL`, else the team journal saved in Settings, else the data folder's
//! journal. A bad team journal address is a usage error (exit 2) naming the field and never the
//! URL; a team journal that cannot be reached fails the command (exit 1) and charges nothing.

use super::cli::{CliRig, text};
use moto_terminal::vault::Vault;
use std::process::Output;

/// Nothing listens on port 1; the password is there to prove it is never shown.
const OFFLINE_URL: &str = "postgres://moto:s3cret-pw@127.0.0.1:1/moto";

impl CliRig {
    /// Runs `before` (global options), then `args`, with these environment variables.
    async fn run_with(&self, before: &[&str], env: &[(&str, &str)], args: &[&str]) -> Output {
        let mut all = before.to_vec();
        all.extend_from_slice(args);
        let mut cmd = self.command(&all);
        for (k, v) in env {
            cmd.env(k, v);
        }
        tokio::task::spawn_blocking(move || cmd.output().unwrap()).await.unwrap()
    }

    /// A token charge of its own amount (no duplicate guard between them).
    async fn charge_in(
        &self,
        before: &[&str],
        env: &[(&str, &str)],
        reference: &str,
        amount: &str,
    ) -> Output {
        let args = self.token_charge(&[], reference, amount);
        self.run_with(before, env, &args).await
    }

    /// The references of the journal `before` chooses (nothing: the data folder's).
    async fn references(&self, before: &[&str]) -> Vec<String> {
        let out =
            self.run_with(before, &[], &["journal", "--profile", &self.profile, "--format", "json"]).await;
        assert!(out.status.success(), "{}", text(&out.stderr));
        let mut found: Vec<String> = text(&out.stdout)
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["merchant_reference"].to_string())
            .map(|r| r.trim_matches('"').to_owned())
            .collect();
        found.sort();
        found
    }

    fn path(&self, name: &str) -> String {
        self.dir.path().join(name).display().to_string()
    }
}

fn ok(out: &Output) {
    assert_eq!(out.status.code(), Some(0), "{}{}", text(&out.stdout), text(&out.stderr));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_journal_option_or_its_variable_chooses_the_file_and_the_option_wins() {
    let rig = CliRig::new("cli-journal-file").await;
    let (a, b) = (rig.path("desk-a.sqlite3"), rig.path("desk-b.sqlite3"));
    ok(&rig.charge_in(&["--journal", &a], &[], "J-FLAG", "4.01").await);
    ok(&rig.charge_in(&[], &[("MOTO_TERMINAL_JOURNAL", &b)], "J-ENV", "4.02").await);
    ok(&rig.charge_in(&["--journal", &a], &[("MOTO_TERMINAL_JOURNAL", &b)], "J-BOTH", "4.03").await);
    ok(&rig.charge_in(&[], &[], "J-DEFAULT", "4.04").await);

    assert_eq!(rig.references(&["--journal", &a]).await, ["J-BOTH", "J-FLAG"]);
    assert_eq!(rig.references(&["--journal", &b]).await, ["J-ENV"]);
    assert_eq!(rig.references(&[]).await, ["J-DEFAULT"], "nothing given: the data folder's journal");
    assert!(rig.dir.path().join("journal.sqlite3").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_team_journal_address_is_a_usage_error_that_never_shows_the_password() {
    let rig = CliRig::new("cli-journal-bad").await;
    for url in ["postgres://desk:s3cret-pw@db.example:notaport/team", "mysql://desk:s3cret-pw@db/team"] {
        for (before, env) in
            [(vec!["--journal", url], vec![]), (vec![], vec![("MOTO_TERMINAL_JOURNAL", url)])]
        {
            let out = rig.charge_in(&before, &env, "J-BAD", "4.05").await;
            let stderr = text(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{url}: {stderr}");
            assert!(stderr.contains("team journal address") && stderr.contains("--journal"), "{stderr}");
            assert!(!stderr.contains("s3cret-pw") && !text(&out.stdout).contains("s3cret-pw"), "{stderr}");
        }
    }
    assert!(rig.sim.money_movements().is_empty());
}

/// The command failed because the team journal is offline, saying so in words.
fn offline(out: &Output) {
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{}{stderr}", text(&out.stdout));
    assert!(stderr.contains("Team journal offline") && stderr.contains("Nothing was charged"), "{stderr}");
    assert!(!stderr.contains("s3cret-pw"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_team_journal_fails_the_command_and_charges_nothing() {
    let rig = CliRig::new("cli-journal-offline").await;
    offline(&rig.charge_in(&["--journal", OFFLINE_URL], &[], "J-OFF-FLAG", "4.06").await);
    offline(&rig.charge_in(&[], &[("MOTO_TERMINAL_JOURNAL", OFFLINE_URL)], "J-OFF-ENV", "4.07").await);
    offline(&rig.run_with(&["--journal", OFFLINE_URL], &[], &["reconcile"]).await);
    assert!(rig.sim.requests().is_empty(), "nothing reached APS");
    assert!(rig.references(&[]).await.is_empty(), "nothing recorded in the local journal either");

    // Saved in Settings (the password goes to the keychain, never to the file): used when
    // neither the option nor the variable is given, and the option still wins over it.
    let vault = Vault::open(rig.dir.path(), keyring_core::mock::Store::new().unwrap()).unwrap();
    vault.set_team_journal(Some(OFFLINE_URL)).unwrap();
    let config = std::fs::read_to_string(rig.dir.path().join("config.json")).unwrap();
    assert!(config.contains("postgres://moto@127.0.0.1:1/moto") && !config.contains("s3cret-pw"), "{config}");
    offline(&rig.charge_in(&[], &[], "J-OFF-SAVED", "4.08").await);
    assert!(rig.sim.requests().is_empty());
    let desk = rig.path("desk.sqlite3");
    ok(&rig.charge_in(&["--journal", &desk], &[], "J-DESK", "4.09").await);
    assert_eq!(rig.references(&["--journal", &desk]).await, ["J-DESK"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_team_journal_url_records_the_charge_in_the_team_journal() {
    let url = crate::team::fresh_database("cli_choose").await;
    let rig = CliRig::new("cli-journal-team").await;
    ok(&rig.charge_in(&["--journal", &url], &[], "J-TEAM", "4.10").await);
    ok(&rig.charge_in(&[], &[("MOTO_TERMINAL_JOURNAL", &url)], "J-TEAM-ENV", "4.11").await);
    assert_eq!(rig.references(&["--journal", &url]).await, ["J-TEAM", "J-TEAM-ENV"]);
    assert!(rig.references(&[]).await.is_empty(), "the desk's own journal is not used");
}
