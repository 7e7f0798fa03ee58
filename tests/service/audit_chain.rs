//! The audit trail's chain on both journals: `audit verify` on an intact chain, and after an
//! entry is edited, deleted or moved with plain SQL; and on PostgreSQL, the application's role
//! may append to the trail but never change or remove an entry.

use super::cli::{CliRig, text};
use crate::team::fresh_database;

/// Where the rig's journal is, and how to run plain SQL on it.
enum Backend {
    Desk,
    Team(String),
}

impl Backend {
    fn args(&self) -> Vec<String> {
        match self {
            Backend::Desk => Vec::new(),
            Backend::Team(url) => vec!["--journal".into(), url.clone()],
        }
    }

    /// Runs `sql` with the append-only guard taken off first, as someone with the database's
    /// file or its owner's password could.
    async fn tamper(&self, rig: &CliRig, sql: &str) {
        match self {
            Backend::Desk => {
                let conn = rusqlite::Connection::open(rig.dir.path().join("journal.sqlite3")).unwrap();
                conn.execute_batch("DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete;").unwrap();
                conn.execute_batch(sql).unwrap();
            }
            Backend::Team(url) => {
                let client = moto_terminal::journal::postgres::connect(url).await.unwrap();
                client
                    .batch_execute(&format!("ALTER TABLE audit DISABLE TRIGGER USER; {sql}"))
                    .await
                    .unwrap();
            }
        }
    }
}

/// A rig whose trail holds four sales.
async fn rig_with_trail(backend: &Backend) -> CliRig {
    let rig = CliRig::new("audit").await;
    let before: Vec<String> = backend.args();
    let before: Vec<&str> = before.iter().map(String::as_str).collect();
    for (i, amount) in ["11.00", "12.00", "13.00", "14.00"].iter().enumerate() {
        let reference = format!("AUD-{i}");
        let out = rig.run(&rig.token_charge(&before, &reference, amount)).await;
        assert!(out.status.success(), "{}", text(&out.stderr));
    }
    rig
}

async fn verify(rig: &CliRig, backend: &Backend) -> std::process::Output {
    let mut args = backend.args();
    args.extend(["audit".into(), "verify".into()]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    rig.run(&args).await
}

async fn intact_then_tampered(backend: Backend, sql: &str, named: &str) {
    let rig = rig_with_trail(&backend).await;
    let out = verify(&rig, &backend).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    // The desk's own trail starts with the profile the rig added; the team's with the sales.
    let expected = if matches!(backend, Backend::Desk) { 5 } else { 4 };
    assert_eq!(text(&out.stdout).trim(), format!("{expected} entries, chain intact"));
    backend.tamper(&rig, sql).await;
    let out = verify(&rig, &backend).await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    assert!(text(&out.stderr).contains(named), "{}", text(&out.stderr));
}

const EDIT: &str = "UPDATE audit SET amount_minor = 100 WHERE seq = 2;";
const DELETE: &str = "DELETE FROM audit WHERE seq = 3;";
const REORDER: &str = "UPDATE audit SET seq = 100 WHERE seq = 2; UPDATE audit SET seq = 2 WHERE seq = 3; UPDATE audit SET seq = 3 WHERE seq = 100;";

#[tokio::test]
async fn desk_journal_an_edited_entry_breaks_the_chain_there() {
    intact_then_tampered(Backend::Desk, EDIT, "audit chain broken at entry 2").await;
}

#[tokio::test]
async fn desk_journal_a_deleted_entry_is_named() {
    intact_then_tampered(Backend::Desk, DELETE, "entry 3 is missing").await;
}

#[tokio::test]
async fn desk_journal_reordered_entries_are_named() {
    intact_then_tampered(Backend::Desk, REORDER, "audit chain broken at entry 2").await;
}

#[tokio::test]
async fn team_journal_an_edited_entry_breaks_the_chain_there() {
    let url = fresh_database("audit_edit").await;
    intact_then_tampered(Backend::Team(url), EDIT, "audit chain broken at entry 2").await;
}

#[tokio::test]
async fn team_journal_a_deleted_entry_is_named() {
    let url = fresh_database("audit_delete").await;
    intact_then_tampered(Backend::Team(url), DELETE, "entry 3 is missing").await;
}

#[tokio::test]
async fn team_journal_reordered_entries_are_named() {
    let url = fresh_database("audit_reorder").await;
    intact_then_tampered(Backend::Team(url), REORDER, "audit chain broken at entry 2").await;
}

#[tokio::test]
async fn the_application_role_appends_to_the_trail_but_never_changes_or_removes_an_entry() {
    let url = fresh_database("audit_role").await;
    let backend = Backend::Team(url.clone());
    let rig = rig_with_trail(&backend).await;
    // The desks' role, set up as the README says: it does not own the tables.
    let role = format!("desk_app_{}", std::process::id());
    let owner = moto_terminal::journal::postgres::connect(&url).await.unwrap();
    owner
        .batch_execute(&format!(
            "CREATE ROLE {role} LOGIN;
             GRANT USAGE ON SCHEMA public TO {role};
             GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role};
             GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role};"
        ))
        .await
        .unwrap();
    let app_url = url.replacen("postgres://moto@", &format!("postgres://{role}@"), 1);
    // A desk working as that role appends its entries (a sale is audited) ...
    let out = rig.run(&rig.token_charge(&["--journal", &app_url], "AUD-APP", "15.00")).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let app = moto_terminal::journal::postgres::connect(&app_url).await.unwrap();
    let count: i64 = app.query_one("SELECT count(*) FROM audit", &[]).await.unwrap().get(0);
    assert_eq!(count, 5);
    // ... and cannot change, delete or empty the trail, even with UPDATE and DELETE granted.
    for sql in
        ["UPDATE audit SET result = 'x' WHERE seq = 1", "DELETE FROM audit WHERE seq = 1", "TRUNCATE audit"]
    {
        let e = app.batch_execute(sql).await.unwrap_err();
        let text = format!("{e:?}");
        assert!(text.contains("append-only") || text.contains("permission denied"), "{sql}: {text}");
    }
    // Nor can the owner without first taking the guard off (which the chain then shows).
    let e = owner.batch_execute("DELETE FROM audit WHERE seq = 5").await.unwrap_err();
    assert!(format!("{e:?}").contains("append-only"), "{e:?}");
    let out = verify(&rig, &Backend::Team(app_url)).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout).trim(), "5 entries, chain intact");
}

#[tokio::test]
async fn single_user_mode_audits_every_charge_and_lists_them() {
    let rig = rig_with_trail(&Backend::Desk).await;
    let out = rig.run(&["audit", "list", "--format", "json"]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let entries: Vec<serde_json::Value> =
        text(&out.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(entries.len(), 5, "{entries:?}");
    assert_eq!(entries[0]["action"], "profile-save", "the rig's profile");
    assert!(!entries[0]["detail"].as_str().unwrap().contains(moto_terminal::sim::DEMO_REQUEST_PHRASE));
    let sales = &entries[1..];
    assert!(sales.iter().all(|e| e["action"] == "sale" && e["result"] == "approved"), "{entries:?}");
    assert_eq!(sales[1]["reference"], "AUD-1");
    assert_eq!(sales[1]["amount_minor"], 1200);
    assert_eq!(sales[1]["currency"], "AED");
    // The table names its columns, as the journal's does.
    let out = rig.run(&["audit", "list"]).await;
    let table = text(&out.stdout);
    let mut lines = table.lines();
    let header: Vec<&str> = lines.next().unwrap().split_whitespace().collect();
    assert_eq!(header[..3], ["entry", "when", "(UTC)"], "{table}");
    assert!(header.ends_with(&["reference", "amount", "detail"]), "{table}");
    assert_eq!(lines.count(), 5, "{table}");
}

#[tokio::test]
async fn a_desk_without_the_teams_audit_key_does_nothing_until_an_admin_imports_it() {
    use moto_terminal::aps::secret::Secret;
    use moto_terminal::service::access::Role;
    let url = fresh_database("audit_key").await;
    let rig = super::rig::Rig::new().await;
    let journal = |url: &str| std::sync::Arc::new(moto_terminal::journal::Journal::open_team(url).unwrap());
    let first = rig.service_with(journal(&url), super::rig::fast_settings());
    first.add_operator("root", Role::Admin, &Secret::from("root-pin-1")).await.unwrap();
    first.sign_in("root", &Secret::from("root-pin-1")).await.unwrap();
    let second = rig.other_keychain(journal(&url));
    second.sign_in("root", &Secret::from("root-pin-1")).await.unwrap();
    let sale = rig.token_sale("DEMO-VISA-0001", "30.00");
    let refused = second.charge(sale.clone(), &moto_terminal::service::Progress::none()).await.unwrap_err();
    assert!(refused.to_string().contains("audit key import"), "{refused}");
    assert!(rig.sim.requests().is_empty(), "nothing was sent");
    let renew = second.renew_audit_key().await.unwrap_err();
    assert!(renew.to_string().contains("team journal's audit key is held by its other desks"), "{renew}");
    let wrong = second.import_audit_key(Secret::from("not the key")).await.unwrap_err();
    assert!(wrong.to_string().contains("not this journal's audit key"), "{wrong}");
    let key = first.export_audit_key().await.unwrap();
    second.import_audit_key(key).await.unwrap();
    let outcome = second.charge(sale, &moto_terminal::service::Progress::none()).await.unwrap();
    assert_eq!(outcome.verdict.kind, moto_terminal::aps::response::Kind::Approved);
    assert!(matches!(first.audit_verify().await.unwrap(), moto_terminal::service::Verified::Intact { .. }));
}

#[tokio::test]
async fn links_token_changes_and_agreements_are_audited_too() {
    let rig = CliRig::new("audit-more").await;
    let p = rig.profile.clone();
    let link = [
        "link",
        "create",
        "--profile",
        p.as_str(),
        "--amount",
        "9",
        "--currency",
        "AED",
        "--email",
        "a@b.co",
    ];
    let update =
        ["token", "update", "--profile", p.as_str(), "--token", "DEMO-MC-2346", "--status", "inactive"];
    let agreement = [
        "recurring",
        "add",
        "--profile",
        p.as_str(),
        "--token",
        "DEMO-VISA-0001",
        "--amount",
        "5",
        "--currency",
        "AED",
        "--email",
        "m@example.com",
        "--agreement-id",
        "AGRAUDIT1",
        "--existing",
    ];
    for args in [&link[..], &update[..], &agreement[..]] {
        let out = rig.run(args).await;
        assert!(out.status.success(), "{args:?}: {}", text(&out.stderr));
    }
    let out = rig.run(&["audit", "list", "--format", "json"]).await;
    let actions: Vec<String> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["action"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(actions, ["profile-save", "payment-link", "token-update", "recurring-add"], "{actions:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_desk_whose_keychain_lost_the_audit_key_renews_it_and_charges_again() {
    use moto_terminal::aps::response::Kind;
    use moto_terminal::service::{Progress, Verified};
    let rig = super::rig::Rig::new().await;
    let first =
        rig.service.charge(rig.token_sale("DEMO-VISA-0001", "30.00"), &Progress::none()).await.unwrap();
    assert_eq!(first.verdict.kind, Kind::Approved);
    // The same desk journal after the computer's keychain was reset.
    let reset = rig.other_keychain(rig.journal.clone());
    let sale = rig.token_sale("DEMO-MC-2346", "31.00");
    let refused = reset.charge(sale.clone(), &Progress::none()).await.unwrap_err();
    assert!(refused.to_string().contains("moto-terminal audit key renew"), "{refused}");
    assert_eq!(rig.sim.requests().len(), 1, "nothing was sent");
    let lost = reset.renew_audit_key().await.unwrap();
    assert!(lost >= 1, "the sale before was sealed with the lost key");
    let outcome = reset.charge(sale, &Progress::none()).await.unwrap();
    assert_eq!(outcome.verdict.kind, Kind::Approved);
    let Verified::Intact { entries, unverified } = reset.audit_verify().await.unwrap() else {
        panic!("the chain verifies from the renewal on")
    };
    assert_eq!((unverified, entries), (lost, lost + 2), "the renewal and the sale after it");
    let entries = reset.audit_entries(None, None).await.unwrap();
    assert_eq!(entries[lost].action, "audit-key-renewed");
    let again = reset.renew_audit_key().await.unwrap_err();
    assert!(again.to_string().contains("nothing to renew"), "{again}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_an_admin_renews_the_audit_key_once_operators_exist() {
    use moto_terminal::aps::secret::Secret;
    use moto_terminal::service::access::Role;
    let rig = super::rig::Rig::new().await;
    rig.service.add_operator("root", Role::Admin, &Secret::from("root-pin-1")).await.unwrap();
    rig.service.sign_in("root", &Secret::from("root-pin-1")).await.unwrap();
    rig.service.add_operator("amal", Role::Agent, &Secret::from("amal-pin-1")).await.unwrap();
    let reset = rig.other_keychain(rig.journal.clone());
    reset.sign_in("amal", &Secret::from("amal-pin-1")).await.unwrap();
    let refused = reset.renew_audit_key().await.unwrap_err();
    assert!(refused.to_string().contains("needs an admin signed in"), "{refused}");
    reset.sign_in("root", &Secret::from("root-pin-1")).await.unwrap();
    reset.renew_audit_key().await.unwrap();
    let entries = reset.audit_entries(None, None).await.unwrap();
    let renewal = entries.iter().find(|e| e.action == "audit-key-renewed").expect("recorded");
    assert_eq!(renewal.operator, "root");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_sent_again_is_audited_as_a_charge_is() {
    use moto_terminal::aps::response::Kind;
    use moto_terminal::service::Progress;
    let rig = super::rig::Rig::new().await;
    rig.sim.inject(super::faults::fault(moto_terminal::sim::FaultKind::DropBeforeCommit, "PURCHASE"));
    let lost =
        rig.service.charge(rig.token_sale("DEMO-VISA-0001", "42.00"), &Progress::none()).await.unwrap();
    rig.sim.clear_faults();
    let reference = lost.merchant_reference;
    let again =
        rig.service.send_again(super::rig::PROFILE, &reference, None, &Progress::none()).await.unwrap();
    assert_eq!(again.verdict.kind, Kind::Approved, "{:?}", again.verdict);
    let entries = rig.service.audit_entries(None, None).await.unwrap();
    let sent =
        entries.iter().find(|e| e.action == "send-again").expect("the charge sent again is in the trail");
    assert_eq!((sent.reference.as_deref(), sent.result.as_str()), (Some(reference.as_str()), "approved"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_desk_that_cannot_seal_the_trail_gives_no_receipt_or_report() {
    use moto_terminal::service::{Progress, ReportQuery};
    let rig = super::rig::Rig::new().await;
    let sale =
        rig.service.charge(rig.token_sale("DEMO-VISA-0001", "12.00"), &Progress::none()).await.unwrap();
    let reset = rig.other_keychain(rig.journal.clone());
    let refused = reset.receipt(super::rig::PROFILE, &sale.merchant_reference, None).await.unwrap_err();
    assert!(refused.to_string().contains("audit"), "{refused}");
    let now = chrono::Utc::now().fixed_offset();
    let day = ReportQuery { from: now - chrono::Duration::hours(1), to: now, profile: None, operator: None };
    let refused = reset.shift_report(day.clone()).await.unwrap_err();
    assert!(refused.to_string().contains("audit"), "{refused}");
    assert!(rig.service.receipt(super::rig::PROFILE, &sale.merchant_reference, None).await.is_ok());
    assert!(rig.service.shift_report(day).await.is_ok(), "the desk holding the key gives both");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn entries_lost_to_a_failing_journal_are_named_in_the_trail_once_it_writes_again() {
    use moto_terminal::service::Progress;
    let rig = super::rig::Rig::new().await;
    let none = Progress::none();
    let sale = |amount: &str| rig.service.charge(rig.token_sale("DEMO-VISA-0001", amount), &none);
    sale("10.00").await.unwrap();
    // The journal refuses audit entries for a while (a full disk, a locked file).
    let conn = rusqlite::Connection::open(rig.dir.path().join("journal.sqlite3")).unwrap();
    conn.execute_batch(
        "CREATE TRIGGER fail_audit BEFORE INSERT ON audit BEGIN SELECT RAISE(ABORT, 'disk full'); END;",
    )
    .unwrap();
    let lost = sale("11.00").await.unwrap().merchant_reference;
    assert!(rig.service.audit_failure().is_some_and(|f| f.contains("not written")));
    conn.execute_batch("DROP TRIGGER fail_audit;").unwrap();
    sale("12.00").await.unwrap();
    assert_eq!(rig.service.audit_failure(), None, "written again");
    let entries = rig.service.audit_entries(None, None).await.unwrap();
    let gap = entries.iter().find(|e| e.action == "audit-gap").expect("the loss is in the trail for good");
    assert!(gap.detail.contains(&lost) && gap.detail.contains("disk full"), "{}", gap.detail);
    assert!(matches!(
        rig.service.audit_verify().await.unwrap(),
        moto_terminal::service::Verified::Intact { .. }
    ));
}
