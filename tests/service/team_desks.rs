//! Terminals sharing the team journal, each its own process: an order in flight on a live
//! terminal is left alone by the others, and settled by any of them at once when that terminal
//! is killed; two terminals running the same batch file at once send every row once.

use super::cli::{CliRig, text};
use crate::service::rig::{Rig, fast_settings};
use moto_terminal::journal::Journal;
use moto_terminal::service::{CardDraft, ChargeDraft, PaymentDraft, Progress, ServiceError, ServiceSettings};
use moto_terminal::sim::Fault;
use std::process::Output;
use std::sync::Arc;
use zeroize::Zeroizing;

impl CliRig {
    /// Runs `args` as a terminal of the team journal at `url`.
    async fn on_team(&self, url: &str, args: &[&str]) -> Output {
        let mut all = vec!["--journal", url];
        all.extend_from_slice(args);
        let mut cmd = self.command(&all);
        tokio::task::spawn_blocking(move || cmd.output().unwrap()).await.unwrap()
    }

    async fn team_order(&self, url: &str, reference: &str) -> serde_json::Value {
        let out = self
            .on_team(
                url,
                &["journal", "--profile", &self.profile, "--reference", reference, "--format", "json"],
            )
            .await;
        assert!(out.status.success(), "{}", text(&out.stderr));
        serde_json::from_str(text(&out.stdout).lines().next().unwrap()).unwrap()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_live_terminals_order_is_left_alone_and_a_killed_ones_is_settled_at_once() {
    let url = crate::team::fresh_database("desks_kill").await;
    let rig = CliRig::new("team-kill").await;
    // APS takes its time with the purchase (and commits it): the first terminal waits for it.
    rig.sim.inject(Fault::delay(6000).for_command("PURCHASE"));
    let args = rig.token_charge(&["--journal", &url], "DESK-KILL-1", "21.00");
    let mut first = rig.command_with_timeout(&args, "30").spawn().unwrap();
    rig.wait_until_sent("DESK-KILL-1").await;

    // Another terminal reconciles while the first one waits: only the first knows whether its
    // request is still on its way, so the order is left as it is.
    let other = rig.on_team(&url, &["reconcile", "--profile", &rig.profile]).await;
    assert!(other.status.code().is_some(), "{}", text(&other.stderr));
    assert_eq!(rig.team_order(&url, "DESK-KILL-1").await["state"], "pending");
    assert_eq!(rig.sim.requests().len(), 1, "no status check behind the live terminal's back");

    // The first terminal dies (its deadline is a minute away): the next reconcile on any
    // terminal settles the order at once.
    first.kill().unwrap();
    let _ = first.wait();
    let started = std::time::Instant::now();
    let settle = rig.on_team(&url, &["reconcile", "--profile", &rig.profile]).await;
    assert_eq!(settle.status.code(), Some(0), "{}{}", text(&settle.stdout), text(&settle.stderr));
    let order = rig.team_order(&url, "DESK-KILL-1").await;
    assert_eq!(order["state"], "captured", "{order}");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(20),
        "settled without waiting for the deadline"
    );
    let moved = rig.sim.money_movements().iter().filter(|m| m.merchant_reference == "DESK-KILL-1").count();
    assert_eq!(moved, 1, "charged once");
}

const FILE: &str = "operation,merchant_reference,amount,currency,token_name,customer_email\n\
sale,TB-1,30.00,AED,DEMO-VISA-0001,one@example.com\n\
authorize,TB-2,100.00,AED,DEMO-MC-2346,two@example.com\n\
capture,TB-2,60.00,AED,,\n\
capture,TB-2,40.00,AED,,\n\
sale,TB-3,12.50,AED,DEMO-AMEX-4564,three@example.com\n\
refund,TB-1,10.00,AED,,\n\
sale,TB-4,7.25,AED,DEMO-VISA-0001,four@example.com\n\
sale,TB-5,8.75,AED,DEMO-MC-2346,five@example.com\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_terminals_running_one_file_at_once_send_every_row_once() {
    let url = crate::team::fresh_database("desks_batch").await;
    let rig = CliRig::new("team-batch").await;
    // Slow enough answers that the two runs overlap row by row.
    rig.sim.inject(Fault::delay(150).times(100));
    let file = rig.dir.path().join("stack.csv");
    std::fs::write(&file, FILE).unwrap();
    let path = file.to_str().unwrap();
    let run = |results: &str| {
        let results = rig.dir.path().join(results).to_str().unwrap().to_owned();
        let args = ["batch", "run", path, "--profile", &rig.profile, "--yes", "--results", &results];
        let mut all = vec!["--journal", url.as_str()];
        all.extend_from_slice(&args);
        let mut cmd = rig.command_with_timeout(&all, "30");
        (tokio::task::spawn_blocking(move || cmd.output().unwrap()), results)
    };
    let ((first, first_results), (second, second_results)) = (run("first.csv"), run("second.csv"));
    let (first, second) = (first.await.unwrap(), second.await.unwrap());
    for (out, results) in [(&first, &first_results), (&second, &second_results)] {
        let written = std::fs::read_to_string(results).unwrap_or_default();
        assert_eq!(out.status.code(), Some(0), "{}{}{written}", text(&out.stdout), text(&out.stderr));
    }
    assert_eq!(
        rig.sim.money_movements().len(),
        8,
        "5 sales and authorizations, 2 captures, 1 refund: once each"
    );
    let outcomes = |path: &str| -> Vec<String> {
        std::fs::read_to_string(path)
            .unwrap()
            .lines()
            .map(|l| l.split(',').take(6).collect::<Vec<_>>().join(","))
            .collect()
    };
    assert_eq!(outcomes(&first_results), outcomes(&second_results), "both terminals report every row alike");
    assert!(
        outcomes(&first_results).iter().skip(1).all(|l| l.ends_with(",approved")),
        "{:?}",
        outcomes(&first_results)
    );
    let captured = rig.team_order(&url, "TB-2").await;
    assert_eq!(captured["captured_minor"], 10_000, "{captured}");
}

/// The same caller reaches two agents on two desks (each its own service and keychain) at the
/// same moment with the same payment: `sale` is charged once, and the other desk is shown the
/// first order.
async fn two_desks_race(purpose: &str, sale: impl Fn(&Rig) -> ChargeDraft) {
    let url = crate::team::fresh_database(purpose).await;
    let rig = Rig::new().await;
    let desk = |terminal: &str| {
        let settings = ServiceSettings { terminal: terminal.into(), ..fast_settings() };
        rig.service_with(Arc::new(Journal::open_team(&url).unwrap()), settings)
    };
    let (first, second) = (desk("desk-1"), desk("desk-2"));
    let (sale, progress) = (sale(&rig), Progress::none());
    let (a, b) = tokio::join!(first.charge(sale.clone(), &progress), second.charge(sale, &progress));
    assert_eq!([&a, &b].iter().filter(|r| r.is_ok()).count(), 1, "one desk charges: {a:?} {b:?}");
    let refused = [a, b].into_iter().find_map(Result::err).unwrap();
    assert!(matches!(refused, ServiceError::PossibleDuplicate { .. }), "{refused}");
    assert_eq!(rig.sim.money_movements().len(), 1, "charged once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_desks_charging_one_token_the_same_amount_at_once_charge_it_once() {
    two_desks_race("desks_token", |rig| rig.token_sale("DEMO-VISA-0001", "19.00")).await;
}

/// Each desk has its own keychain, so its own installation key: on the team journal a keyed
/// card's fingerprint is keyed with the merchant's team card key instead, the same on every
/// desk, and the guard sees the card keyed on the other desk.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_desks_keying_one_card_the_same_amount_at_once_charge_it_once() {
    two_desks_race("desks_keyed", |rig| {
        let mut sale = rig.token_sale("unused", "23.00");
        sale.payment = PaymentDraft::Card(CardDraft {
            number: Zeroizing::new("4005 5500 0000 0001".into()),
            expiry: "05/30".into(),
            cvv: Zeroizing::new("123".into()),
            holder_name: "Layla Haddad".into(),
            remember: false,
        });
        sale
    })
    .await;
}
