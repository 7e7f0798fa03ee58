//! What the journal keeps of APS's answers beyond the verdict: the authorization code a
//! receipt needs, shown in `journal --format json` and History.

use super::cli::{CliRig, text};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_journal_keeps_the_authorization_code_of_an_approved_charge() {
    let rig = CliRig::new("authcode").await;
    let p = rig.profile.clone();
    let sale = [
        "charge",
        "--profile",
        &p,
        "--token",
        "DEMO-VISA-0001",
        "--currency",
        "AED",
        "--email",
        "a@example.com",
    ];
    let approved =
        rig.run(&[&sale[..], &["--amount", "12", "--reference", "CLI-AUTH-CODE-1"]].concat()).await;
    assert_eq!(approved.status.code(), Some(0), "{}", text(&approved.stderr));
    let row = rig.journal_json("CLI-AUTH-CODE-1").await;
    let code = row["authorization_code"].as_str().unwrap_or_else(|| panic!("{row}"));
    assert!(code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()), "{code}");
    let declined =
        rig.run(&[&sale[..], &["--amount", "10.51", "--reference", "CLI-AUTH-CODE-2"]].concat()).await;
    assert_eq!(declined.status.code(), Some(1));
    assert!(rig.journal_json("CLI-AUTH-CODE-2").await["authorization_code"].is_null(), "a decline has none");
}
