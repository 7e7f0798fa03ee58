//! Who keyed an order and at which desk: `--operator` / `--terminal` before the command (or
//! their environment variables) are recorded on each order, shown by `journal --format json`,
//! and `journal --operator NAME` lists one operator's orders.

use super::cli::{CliRig, text};

impl CliRig {
    /// A charge of its own amount (no duplicate guard between them).
    async fn charge_as(&self, who: &[&str], env: &[(&str, &str)], reference: &str, amount: &str) {
        let args = self.token_charge(who, reference, amount);
        let mut cmd = self.command(&args);
        cmd.env_remove("MOTO_TERMINAL_OPERATOR").env_remove("MOTO_TERMINAL_TERMINAL");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let out = tokio::task::spawn_blocking(move || cmd.output().unwrap()).await.unwrap();
        assert_eq!(out.status.code(), Some(0), "{}{}", text(&out.stdout), text(&out.stderr));
    }

    async fn references_of(&self, operator: &str) -> Vec<String> {
        let out = self.run(&["journal", "--operator", operator, "--format", "json"]).await;
        assert!(out.status.success(), "{}", text(&out.stderr));
        text(&out.stdout)
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["merchant_reference"].to_string())
            .map(|r| r.trim_matches('"').to_owned())
            .collect()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_order_records_its_operator_and_terminal() {
    let rig = CliRig::new("cli-who").await;
    rig.charge_as(&["--operator", "Amal", "--terminal", "desk-7"], &[], "WHO-FLAG", "3.01").await;
    rig.charge_as(
        &[],
        &[("MOTO_TERMINAL_OPERATOR", "basma"), ("MOTO_TERMINAL_TERMINAL", "desk-9")],
        "WHO-ENV",
        "3.02",
    )
    .await;
    // The flag wins over the environment.
    rig.charge_as(&["--operator", "Amal"], &[("MOTO_TERMINAL_OPERATOR", "basma")], "WHO-BOTH", "3.03").await;
    rig.charge_as(&[], &[("USER", "os-user")], "WHO-DEFAULT", "3.04").await;

    let who = |row: serde_json::Value| {
        (row["operator"].as_str().unwrap().to_owned(), row["terminal"].as_str().unwrap().to_owned())
    };
    assert_eq!(who(rig.journal_json("WHO-FLAG").await), ("Amal".into(), "desk-7".into()));
    assert_eq!(who(rig.journal_json("WHO-ENV").await), ("basma".into(), "desk-9".into()));
    assert_eq!(who(rig.journal_json("WHO-BOTH").await).0, "Amal");
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap().trim().to_owned();
    assert_eq!(who(rig.journal_json("WHO-DEFAULT").await), ("os-user".into(), host));

    assert_eq!(rig.references_of("amal").await, ["WHO-BOTH", "WHO-FLAG"], "any case, newest first");
    assert_eq!(rig.references_of("BASMA").await, ["WHO-ENV"]);
    assert!(rig.references_of("nobody").await.is_empty());

    // After the command, --operator belongs to that command: a charge has none, and says so.
    let misplaced = rig.run(&["charge", "--operator", "Amal", "--profile", &rig.profile]).await;
    assert_eq!(misplaced.status.code(), Some(2));
    assert!(text(&misplaced.stderr).contains("--operator"), "{}", text(&misplaced.stderr));
}
