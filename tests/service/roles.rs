//! Operators, roles and supervisor approval on the command line: each role's allowed and
//! refused actions (exit 4, nothing sent), approval and self-approval, lockout, and single-user
//! mode as it always was.

use super::cli::{CliRig, text};
use moto_terminal::journal::Journal;
use std::process::Output;

const ROOT: (&str, &str) = ("root", "root-pin-1");
const SARA: (&str, &str) = ("sara", "sara-pin-2");
const AMAL: (&str, &str) = ("amal", "amal-pin-3");
const OMAR: (&str, &str) = ("omar", "omar-pin-4");

impl CliRig {
    /// `args` run by `who` (name, PIN), with `extra` environment.
    async fn as_op(&self, who: (&str, &str), args: &[&str], extra: &[(&str, &str)]) -> Output {
        let mut cmd = self.command(args);
        cmd.env("MOTO_TERMINAL_OPERATOR", who.0).env("MOTO_TERMINAL_PIN", who.1);
        for (k, v) in extra {
            cmd.env(k, v);
        }
        tokio::task::spawn_blocking(move || cmd.output().expect("binary runs")).await.unwrap()
    }

    /// root (admin), sara (supervisor), amal and omar (agents).
    async fn with_team() -> CliRig {
        let rig = CliRig::new("roles").await;
        let mut add = rig.command(&["operator", "add", ROOT.0, "--role", "admin"]);
        add.env("MOTO_TERMINAL_NEW_PIN", ROOT.1);
        let out = tokio::task::spawn_blocking(move || add.output().unwrap()).await.unwrap();
        assert!(out.status.success(), "first admin: {}", text(&out.stderr));
        for ((name, pin), role) in [(SARA, "supervisor"), (AMAL, "agent"), (OMAR, "agent")] {
            let out = rig
                .as_op(ROOT, &["operator", "add", name, "--role", role], &[("MOTO_TERMINAL_NEW_PIN", pin)])
                .await;
            assert!(out.status.success(), "add {name}: {}", text(&out.stderr));
        }
        rig
    }

    async fn sale(&self, who: (&str, &str), reference: &str) -> Output {
        let args = self.token_charge(&[], reference, "50.00");
        self.as_op(who, &args, &[]).await
    }

    fn requests_for(&self, reference: &str) -> usize {
        self.sim.requests().iter().filter(|r| r.merchant_reference.as_deref() == Some(reference)).count()
    }

    /// The admin saves the rig's profile again with an agent refund/void limit.
    async fn set_agent_limit(&self, limit: &str) {
        let (url, p) = (self.sim.payment_api_url(), self.profile.clone());
        let mut add = vec!["profile", "add", p.as_str(), "--endpoint", url.as_str(), "--merchant-identifier"];
        add.extend([
            moto_terminal::sim::DEMO_MERCHANT_IDENTIFIER,
            "--algorithm",
            "sha256",
            "--environment",
            "sandbox",
        ]);
        add.extend(["--trusted-channel", "--agent-limit", limit]);
        let out = self.as_op(ROOT, &add, &[]).await;
        assert!(out.status.success(), "{}", text(&out.stderr));
    }

    fn journal(&self) -> Journal {
        Journal::open(&self.dir.path().join("journal.sqlite3")).unwrap()
    }
}

fn code(out: &Output) -> i32 {
    out.status.code().unwrap_or(-1)
}

#[tokio::test]
async fn the_first_operator_must_be_an_admin_and_pins_are_at_least_six_characters() {
    let rig = CliRig::new("roles-first").await;
    let mut agent = rig.command(&["operator", "add", "amal", "--role", "agent"]);
    agent.env("MOTO_TERMINAL_NEW_PIN", "123456");
    let out = agent.output().unwrap();
    assert_eq!(code(&out), 2, "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("first operator must be an admin"), "{}", text(&out.stderr));
    let mut short = rig.command(&["operator", "add", "root", "--role", "admin"]);
    short.env("MOTO_TERMINAL_NEW_PIN", "12345");
    let out = short.output().unwrap();
    assert_eq!(code(&out), 2);
    assert!(text(&out.stderr).contains("PIN must be at least 6 characters"), "{}", text(&out.stderr));
    // Still single-user: a charge needs nobody signed in.
    let args = rig.token_charge(&[], "SOLO-1", "10.00");
    let out = rig.run(&args).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
}

#[tokio::test]
async fn once_operators_exist_nothing_runs_without_a_signed_in_operator_and_the_right_pin() {
    let rig = CliRig::with_team().await;
    let args = rig.token_charge(&[], "NOBODY-1", "50.00");
    let out = rig.run(&args).await;
    assert_eq!(code(&out), 4, "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("--operator NAME"), "{}", text(&out.stderr));
    let out = rig.sale((AMAL.0, "wrong-pin"), "WRONG-1").await;
    assert_eq!(code(&out), 4);
    assert!(text(&out.stderr).contains("wrong PIN for amal"), "{}", text(&out.stderr));
    assert_eq!(rig.requests_for("NOBODY-1") + rig.requests_for("WRONG-1"), 0, "nothing sent");
    let out = rig.sale(AMAL, "AMAL-1").await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(rig.journal_json_as(AMAL, "AMAL-1").await["operator"], "amal");
}

#[tokio::test]
async fn an_agent_charges_and_captures_but_may_not_refund_void_or_administer() {
    let rig = CliRig::with_team().await;
    assert!(rig.sale(AMAL, "AG-1").await.status.success());
    let p = rig.profile.clone();
    let refund =
        rig.as_op(AMAL, &["refund", "--profile", &p, "--reference", "AG-1", "--amount", "5.00"], &[]).await;
    assert_eq!(code(&refund), 4, "{}", text(&refund.stderr));
    assert!(text(&refund.stderr).contains("needs a supervisor's approval"), "{}", text(&refund.stderr));
    let void = rig.as_op(AMAL, &["void", "--profile", &p, "--reference", "AG-1"], &[]).await;
    assert_eq!(code(&void), 4, "{}", text(&void.stderr));
    assert_eq!(rig.requests_for("AG-1"), 1, "only the sale reached APS");
    for args in [
        vec!["operator", "list"],
        vec!["audit", "verify"],
        vec!["profile", "remove", p.as_str()],
        vec!["operator", "add", "eve", "--role", "admin"],
    ] {
        let out = rig.as_op(AMAL, &args, &[("MOTO_TERMINAL_NEW_PIN", "eve-pin-5")]).await;
        assert_eq!(code(&out), 4, "{args:?}: {}", text(&out.stderr));
        assert!(text(&out.stderr).contains("amal is signed in as an agent"), "{}", text(&out.stderr));
    }
}

#[tokio::test]
async fn a_supervisor_approves_an_agents_refund_in_the_same_command_and_is_recorded() {
    let rig = CliRig::with_team().await;
    assert!(rig.sale(AMAL, "APR-1").await.status.success());
    let p = rig.profile.clone();
    let refund = ["refund", "--profile", p.as_str(), "--reference", "APR-1", "--amount", "5.00"];
    let mut approved = refund.to_vec();
    approved.extend(["--approved-by", SARA.0]);
    let out = rig.as_op(AMAL, &approved, &[("MOTO_TERMINAL_APPROVER_PIN", SARA.1)]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let timeline = rig.journal().timeline(&p, "APR-1").unwrap();
    let op = timeline.iter().find(|o| o.operation == moto_terminal::aps::Operation::Refund).unwrap();
    assert_eq!(op.approved_by.as_deref(), Some("sara"));
    assert_eq!(op.operator, "amal");
    // A supervisor refunds on their own authority.
    let out = rig.as_op(SARA, &refund, &[]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
}

#[tokio::test]
async fn nobody_approves_their_own_request_and_an_agent_cannot_approve() {
    let rig = CliRig::with_team().await;
    assert!(rig.sale(AMAL, "SELF-1").await.status.success());
    let p = rig.profile.clone();
    let refund = |r: &'static str, by: &'static str| {
        vec!["refund", "--profile", p.as_str(), "--reference", r, "--amount", "5.00", "--approved-by", by]
    };
    let own = rig.as_op(AMAL, &refund("SELF-1", "amal"), &[("MOTO_TERMINAL_APPROVER_PIN", AMAL.1)]).await;
    assert_eq!(code(&own), 4);
    assert!(text(&own.stderr).contains("cannot approve their own request"), "{}", text(&own.stderr));
    let agent = rig.as_op(AMAL, &refund("SELF-1", "omar"), &[("MOTO_TERMINAL_APPROVER_PIN", OMAR.1)]).await;
    assert_eq!(code(&agent), 4);
    assert!(text(&agent.stderr).contains("omar is an agent and cannot approve"), "{}", text(&agent.stderr));
    let wrong =
        rig.as_op(AMAL, &refund("SELF-1", "sara"), &[("MOTO_TERMINAL_APPROVER_PIN", "nope-nope")]).await;
    assert_eq!(code(&wrong), 4);
    assert_eq!(rig.requests_for("SELF-1"), 1, "no refund reached APS");
}

#[tokio::test]
async fn five_wrong_pins_lock_the_operator_for_five_minutes_and_the_lock_is_audited() {
    let rig = CliRig::with_team().await;
    for i in 0..5 {
        let out = rig.sale((OMAR.0, "not-his-pin"), &format!("LOCK-{i}")).await;
        assert_eq!(code(&out), 4, "try {i}");
    }
    let out = rig.sale(OMAR, "LOCK-OK").await;
    assert_eq!(code(&out), 4, "the right PIN is refused while locked");
    assert!(text(&out.stderr).contains("omar is locked after 5 wrong PINs"), "{}", text(&out.stderr));
    assert_eq!(rig.requests_for("LOCK-OK"), 0);
    let list = rig.as_op(ROOT, &["operator", "list"], &[]).await;
    assert!(text(&list.stdout).lines().any(|l| l.starts_with("omar") && l.contains("locked until")));
    let audit = rig.as_op(SARA, &["audit", "list", "--operator", "omar", "--format", "csv"], &[]).await;
    let csv = text(&audit.stdout);
    assert_eq!(csv.lines().filter(|l| l.contains(",wrong-pin,")).count(), 4, "{csv}");
    assert!(csv.lines().any(|l| l.contains(",lockout,,,,locked,5 wrong PINs in a row")), "{csv}");
    // An admin's PIN reset lifts it.
    let reset =
        rig.as_op(ROOT, &["operator", "reset-pin", "omar"], &[("MOTO_TERMINAL_NEW_PIN", OMAR.1)]).await;
    assert!(reset.status.success(), "{}", text(&reset.stderr));
    assert!(rig.sale(OMAR, "LOCK-AFTER").await.status.success());
}

#[tokio::test]
async fn a_disabled_operator_cannot_sign_in_and_the_last_admin_cannot_be_demoted() {
    let rig = CliRig::with_team().await;
    let out = rig.as_op(ROOT, &["operator", "disable", "amal"], &[]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = rig.sale(AMAL, "OFF-1").await;
    assert_eq!(code(&out), 4);
    assert!(text(&out.stderr).contains("amal is disabled"), "{}", text(&out.stderr));
    let out = rig.as_op(ROOT, &["operator", "set-role", "root", "agent"], &[]).await;
    assert_eq!(code(&out), 2, "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("only admin"), "{}", text(&out.stderr));
}

impl CliRig {
    async fn journal_json_as(&self, who: (&str, &str), reference: &str) -> serde_json::Value {
        let p = self.profile.clone();
        let out = self
            .as_op(who, &["journal", "--profile", &p, "--reference", reference, "--format", "json"], &[])
            .await;
        assert!(out.status.success(), "{}", text(&out.stderr));
        serde_json::from_str(text(&out.stdout).lines().next().unwrap()).unwrap()
    }
}

#[tokio::test]
async fn an_agent_refunds_up_to_the_profiles_limit_without_approval() {
    let rig = CliRig::with_team().await;
    let p = rig.profile.clone();
    rig.set_agent_limit("10.00").await;
    assert!(rig.sale(AMAL, "LIM-1").await.status.success());
    let refund = |amount: &'static str| {
        vec!["refund", "--profile", p.as_str(), "--reference", "LIM-1", "--amount", amount]
    };
    let within = rig.as_op(AMAL, &refund("10.00"), &[]).await;
    assert!(within.status.success(), "{}", text(&within.stderr));
    let above = rig.as_op(AMAL, &refund("10.01"), &[]).await;
    assert_eq!(code(&above), 4, "{}", text(&above.stderr));
    assert!(text(&above.stderr).contains("the agent limit is AED 10.00"), "{}", text(&above.stderr));
}

#[tokio::test]
async fn an_agent_reads_only_their_own_orders_and_a_supervisor_reads_everyones() {
    let rig = CliRig::with_team().await;
    assert!(rig.sale(AMAL, "MINE-1").await.status.success());
    let omars = rig.token_charge(&[], "HIS-1", "61.00");
    assert!(rig.as_op(OMAR, &omars, &[]).await.status.success());
    let p = rig.profile.clone();
    let journal = ["journal", "--profile", p.as_str(), "--format", "csv"];
    let amal = text(&rig.as_op(AMAL, &journal, &[]).await.stdout);
    assert!(amal.contains("MINE-1") && !amal.contains("HIS-1"), "{amal}");
    let sara = text(&rig.as_op(SARA, &journal, &[]).await.stdout);
    assert!(sara.contains("MINE-1") && sara.contains("HIS-1"), "{sara}");
}

#[tokio::test]
async fn an_agents_batch_with_refund_rows_is_refused_before_any_row_is_sent() {
    let rig = CliRig::with_team().await;
    assert!(rig.sale(AMAL, "BATCH-RF").await.status.success());
    let file = rig.dir.path().join("refunds.csv");
    std::fs::write(&file, "operation,merchant_reference,amount,currency\nrefund,BATCH-RF,5.00,AED\n")
        .unwrap();
    let (p, path) = (rig.profile.clone(), file.display().to_string());
    let run = ["batch", "run", path.as_str(), "--profile", p.as_str(), "--yes"];
    let out = rig.as_op(AMAL, &run, &[]).await;
    assert_eq!(code(&out), 4, "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("refund or void rows"), "{}", text(&out.stderr));
    assert_eq!(rig.requests_for("BATCH-RF"), 1, "only the sale");
    let out = rig.as_op(SARA, &run, &[]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
}

#[tokio::test]
async fn another_journal_without_operators_does_not_step_around_the_roles() {
    let rig = CliRig::with_team().await;
    let empty = rig.dir.path().join("empty.sqlite3").display().to_string();
    let args = rig.token_charge(&["--journal", &empty], "SIDE-1", "71.00");
    let out = rig.run(&args).await;
    assert_eq!(code(&out), 4, "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("operators are defined in another journal"), "{}", text(&out.stderr));
    assert_eq!(rig.requests_for("SIDE-1"), 0);
}

#[tokio::test]
async fn an_agents_refunds_on_one_order_count_together_against_the_limit() {
    let rig = CliRig::with_team().await;
    let p = rig.profile.clone();
    rig.set_agent_limit("10.00").await;
    assert!(rig.sale(AMAL, "SPLIT-1").await.status.success());
    let refund = ["refund", "--profile", p.as_str(), "--reference", "SPLIT-1", "--amount", "6.00"];
    assert!(rig.as_op(AMAL, &refund, &[]).await.status.success());
    let second = rig.as_op(AMAL, &refund, &[]).await;
    assert_eq!(code(&second), 4, "{}", text(&second.stderr));
    assert!(text(&second.stderr).contains("would come to 12.00"), "{}", text(&second.stderr));
}

#[tokio::test]
async fn receipts_are_the_taking_agents_and_reports_are_for_supervisors() {
    let rig = CliRig::with_team().await;
    assert!(rig.sale(AMAL, "R-AMAL").await.status.success());
    let p = rig.profile.clone();
    let receipt = ["receipt", "--profile", p.as_str(), "--reference", "R-AMAL"];
    let own = rig.as_op(AMAL, &receipt, &[]).await;
    assert!(own.status.success() && text(&own.stdout).contains("R-AMAL"), "{}", text(&own.stderr));
    let other = rig.as_op(OMAR, &receipt, &[]).await;
    assert_eq!(other.status.code(), Some(1), "another agent's order is not found: {}", text(&other.stdout));
    assert!(text(&other.stderr).contains("no order R-AMAL"), "{}", text(&other.stderr));
    assert!(rig.as_op(SARA, &receipt, &[]).await.status.success(), "a supervisor reads every order");

    let report = rig.as_op(AMAL, &["report"], &[]).await;
    assert_eq!(report.status.code(), Some(4), "an agent may not run the report: {}", text(&report.stdout));
    let report = rig.as_op(SARA, &["report", "--format", "csv"], &[]).await;
    assert!(text(&report.stdout).contains("amal,AED,sale,1,50.00"), "{}", text(&report.stderr));
}
