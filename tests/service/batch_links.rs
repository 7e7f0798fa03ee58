//! Batch invoicing: payment_link rows in a batch file, row by row from this terminal and as one
//! file through the APS batch service. Each row is a link APS sends to the customer; nothing is
//! charged until the customer pays, and running the file again makes no second link.

use super::cli::{CliRig, text};
use super::rig::{PROFILE, Rig};
use moto_terminal::service::batch::outcome::RowOutcome;
use moto_terminal::service::batch::run::RunOptions;
use moto_terminal::service::{LinkStatus, OrderKind, OrderState, Progress};
use std::path::PathBuf;

const INVOICES: &str = "operation,merchant_reference,amount,currency,customer_email,customer_name,description\r\n\
payment_link,INV-{tag}-1,250.00,AED,one@example.com,Jane Doe,March invoice\r\n\
PAYMENT_LINK,INV-{tag}-2,99.50,AED,two@example.com,Sami,March invoice\r\n\
payment_link,INV-{tag}-3,10.00,AED,,Noor,no email\r\n";

fn invoices(tag: &str) -> Vec<u8> {
    INVOICES.replace("{tag}", tag).into_bytes()
}

fn link_of(rig: &Rig, reference: &str) -> Option<LinkStatus> {
    let links = rig.journal.links(Some(PROFILE), None).unwrap();
    links.into_iter().find(|l| l.merchant_reference == reference).map(|l| l.status)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn payment_link_rows_send_one_link_each_row_by_row() {
    let rig = Rig::new().await;
    let checked = rig.service.check_batch(PROFILE, "invoices.csv", invoices("R")).await.unwrap();
    assert_eq!(checked.problems.len(), 1, "{:?}", checked.problems);
    assert!(checked.problems[0].contains("row 4") && checked.problems[0].contains("customer_email"));
    assert!(checked.summary.contains("payment_link"), "{}", checked.summary);
    let run = rig.service.run_batch(checked.plan.clone(), RunOptions::default()).await.unwrap();
    let outcomes: Vec<RowOutcome> = run.results.iter().map(|r| r.outcome).collect();
    assert_eq!(outcomes, [RowOutcome::Approved, RowOutcome::Approved, RowOutcome::Invalid]);
    for reference in ["INV-R-1", "INV-R-2"] {
        let order = rig.journal.order(PROFILE, reference).unwrap().unwrap();
        assert_eq!(
            (order.kind, order.state, order.captured_minor),
            (OrderKind::PaymentLink, OrderState::Pending, 0)
        );
        assert_eq!(link_of(&rig, reference), Some(LinkStatus::Open));
        assert!(rig.sim.order(reference).unwrap().payment_link_id.is_some());
    }
    assert!(rig.sim.money_movements().is_empty(), "a link charges nothing until it is paid");

    // The same file again: the links exist; none is made twice.
    let sent = rig.sim.requests().len();
    let again = rig.service.run_batch(checked.plan, RunOptions::default()).await.unwrap();
    assert_eq!(again.results.iter().map(|r| r.outcome).collect::<Vec<_>>(), outcomes);
    assert_eq!(rig.sim.requests().len(), sent, "nothing sent again");

    // A customer pays: the link and its order say so after a status check.
    let id = rig.sim.order("INV-R-1").unwrap().payment_link_id.unwrap();
    rig.sim.mark_link_paid(&id).unwrap();
    rig.service.check_status(PROFILE, "INV-R-1", &Progress::none()).await.unwrap();
    assert_eq!(link_of(&rig, "INV-R-1"), Some(LinkStatus::Paid));
}

fn write(rig: &CliRig, name: &str, content: &[u8]) -> PathBuf {
    let path = rig.dir.path().join(name);
    std::fs::write(&path, content).unwrap();
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batch_check_counts_payment_links_on_the_command_line() {
    let rig = CliRig::new("batch-links").await;
    let file = write(&rig, "invoices.csv", &invoices("C"));
    let check = rig.run(&["batch", "check", file.to_str().unwrap(), "--profile", &rig.profile]).await;
    assert_eq!(check.status.code(), Some(2), "row 4 is invalid");
    let stdout = text(&check.stdout);
    assert!(stdout.contains("payment_link"), "{stdout}");
    assert!(stdout.contains("row 4: customer_email is empty"), "{stdout}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn payment_link_rows_go_through_the_aps_batch_service_and_the_links_are_followed() {
    let rig = Rig::new().await;
    let checked = rig.service.check_batch(PROFILE, "invoices.csv", invoices("A")).await.unwrap();
    let run = rig.service.run_batch_via_aps(checked.plan.clone(), RunOptions::default()).await.unwrap();
    let outcomes: Vec<RowOutcome> = run.results.iter().map(|r| r.outcome).collect();
    assert_eq!(outcomes, [RowOutcome::Approved, RowOutcome::Approved, RowOutcome::Invalid]);
    let uploads =
        rig.sim.requests().iter().filter(|r| r.command.as_deref() == Some("UPLOAD_BATCH_FILE")).count();
    assert_eq!(uploads, 1);
    assert!(
        !rig.sim.requests().iter().any(|r| r.command.as_deref() == Some("PAYMENT_LINK")),
        "no row went on its own"
    );
    for reference in ["INV-A-1", "INV-A-2"] {
        let order = rig.journal.order(PROFILE, reference).unwrap().unwrap();
        assert_eq!((order.kind, order.state), (OrderKind::PaymentLink, OrderState::Pending), "{reference}");
        assert_eq!(link_of(&rig, reference), Some(LinkStatus::Open));
        assert!(rig.sim.order(reference).unwrap().payment_link_id.is_some(), "APS made the link");
    }
    // The results name no link id: the next look at the links brings it in, and a payment.
    let id = rig.sim.order("INV-A-2").unwrap().payment_link_id.unwrap();
    rig.sim.mark_link_paid(&id).unwrap();
    let links = rig.service.refresh_links(PROFILE).await.unwrap();
    let paid = links.iter().find(|l| l.merchant_reference == "INV-A-2").unwrap();
    assert_eq!((paid.status, paid.payment_link_id.as_deref()), (LinkStatus::Paid, Some(id.as_str())));
    assert_eq!(rig.journal.order(PROFILE, "INV-A-2").unwrap().unwrap().captured_minor, 9_950);
    assert!(
        rig.service.reconcile(Some(PROFILE), &Progress::none()).await.unwrap().is_empty(),
        "nothing in doubt"
    );
}
