//! Roles and approval on the team journal: operators added at one desk sign in at another, an
//! agent's refund needs a supervisor's approval there too, and the approver is on the operation.

use super::cli::{CliRig, text};
use crate::team::fresh_database;
use std::process::Output;

async fn run(rig: &CliRig, env: &[(&str, &str)], args: &[&str]) -> Output {
    let mut cmd = rig.command(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    tokio::task::spawn_blocking(move || cmd.output().unwrap()).await.unwrap()
}

#[tokio::test]
async fn operators_and_approval_work_the_same_on_the_team_journal() {
    let url = fresh_database("roles_team").await;
    let desk_a = CliRig::new("roles-team-a").await;
    let desk_b = CliRig::new("roles-team-b").await;
    let team = ("MOTO_TERMINAL_JOURNAL", url.as_str());
    let root = [team, ("MOTO_TERMINAL_OPERATOR", "root"), ("MOTO_TERMINAL_PIN", "root-pin-1")];
    let out = run(
        &desk_a,
        &[team, ("MOTO_TERMINAL_NEW_PIN", "root-pin-1")],
        &["operator", "add", "root", "--role", "admin"],
    )
    .await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    for (name, role, pin) in [("sara", "supervisor", "sara-pin-2"), ("amal", "agent", "amal-pin-3")] {
        let mut env = root.to_vec();
        env.push(("MOTO_TERMINAL_NEW_PIN", pin));
        let out = run(&desk_a, &env, &["operator", "add", name, "--role", role]).await;
        assert!(out.status.success(), "{}", text(&out.stderr));
    }
    // Desk B signs amal in against the same operators.
    let amal = [team, ("MOTO_TERMINAL_OPERATOR", "amal"), ("MOTO_TERMINAL_PIN", "amal-pin-3")];
    let sale = desk_b.token_charge(&[], "TEAM-RF-1", "52.00");
    let out = run(&desk_b, &amal, &sale).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let p = desk_b.profile.clone();
    let refund = ["refund", "--profile", p.as_str(), "--reference", "TEAM-RF-1", "--amount", "2.00"];
    let out = run(&desk_b, &amal, &refund).await;
    assert_eq!(out.status.code(), Some(4), "{}", text(&out.stderr));
    let mut approved = refund.to_vec();
    approved.extend(["--approved-by", "sara"]);
    let mut env = amal.to_vec();
    env.push(("MOTO_TERMINAL_APPROVER_PIN", "sara-pin-2"));
    let out = run(&desk_b, &env, &approved).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let db = moto_terminal::journal::postgres::connect(&url).await.unwrap();
    let row = db
        .query_one("SELECT operator, approved_by FROM operations WHERE operation = 'REFUND'", &[])
        .await
        .unwrap();
    assert_eq!(
        (row.get::<_, String>(0), row.get::<_, Option<String>>(1)),
        ("amal".into(), Some("sara".into()))
    );
    let out = run(
        &desk_a,
        &[team, ("MOTO_TERMINAL_OPERATOR", "sara"), ("MOTO_TERMINAL_PIN", "sara-pin-2")],
        &["audit", "verify"],
    )
    .await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("chain intact"), "{}", text(&out.stdout));
}
