//! Receipts and end-of-shift reports on the command line, against a journal the test builds
//! through the simulator: the PDF's text can be extracted (pdftotext finds the reference and
//! the amount), no card number is in it, and the report's totals are exact.

use super::cli::{CliRig, text};
use std::path::Path;
use std::process::Output;

/// The text `pdftotext` (poppler-utils, installed by `scripts/install-deps test`) reads out of
/// a PDF. A missing tool fails the test: it must not pass by skipping.
fn pdf_text(path: &Path) -> String {
    let out = std::process::Command::new("pdftotext")
        .args(["-layout"])
        .arg(path)
        .arg("-")
        .output()
        .expect("pdftotext runs (scripts/install-deps test installs poppler-utils)");
    assert!(out.status.success(), "pdftotext: {}", text(&out.stderr));
    text(&out.stdout)
}

fn ok(out: &Output, what: &str) -> String {
    assert!(out.status.success(), "{what}: {}\n{}", text(&out.stderr), text(&out.stdout));
    text(&out.stdout)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receipt_pdf_has_extractable_text_and_no_card_number() {
    let rig = CliRig::new("receipt").await;
    // A keyed Mastercard test card: the full number went to APS and nowhere else.
    ok(&rig.keyed_charge("125.50", &["--reference", "RCPT-1", "--name", "Omar Said"]).await, "keyed charge");
    let pdf = rig.dir.path().join("receipt.pdf");
    let out = rig
        .run(&[
            "receipt",
            "--profile",
            &rig.profile,
            "--reference",
            "RCPT-1",
            "--out",
            pdf.to_str().expect("path"),
        ])
        .await;
    ok(&out, "receipt");
    let bytes = std::fs::read(&pdf).expect("the PDF was written");
    assert!(bytes.starts_with(b"%PDF-"), "a PDF file");
    let extracted = pdf_text(&pdf);
    for wanted in [
        "RCPT-1",
        "AED 125.50",
        "Sale",
        "Mastercard •••• 2346",
        "a@b.co",
        "Mail/telephone order — cardholder not present",
        "Authorization code",
        "Fort ID",
    ] {
        assert!(extracted.contains(wanted), "{wanted:?} not found in the PDF's text:\n{extracted}");
    }
    let digits: String = extracted.chars().filter(char::is_ascii_digit).collect();
    for card_data in ["5123456789012346", "512345"] {
        assert!(!digits.contains(card_data), "card digits {card_data} in the receipt:\n{extracted}");
        assert!(
            !String::from_utf8_lossy(&bytes).contains(card_data),
            "card digits {card_data} in the PDF bytes"
        );
    }
    // The same receipt as text, for an email, under the trading name and address set on the
    // command line.
    let heading =
        ["--trading-name", "Souk Phones LLC", "--address", "Shop 4, Gold Souk", "--address", "Deira, Dubai"];
    ok(&rig.profile_add(&heading).await, "profile add with a trading name");
    let plain = ok(&rig.run(&["receipt", "--profile", &rig.profile, "--reference", "RCPT-1"]).await, "text");
    assert!(plain.starts_with("Souk Phones LLC\nShop 4, Gold Souk\nDeira, Dubai\n"), "{plain}");
    assert!(plain.contains("RCPT-1") && plain.contains("AED 125.50") && !plain.contains("512345"), "{plain}");
    // After a partial refund, the last approved operation is the refund: its own amount.
    ok(
        &rig.run(&["refund", "--profile", &rig.profile, "--reference", "RCPT-1", "--amount", "25.50"]).await,
        "refund",
    );
    let refund = ok(
        &rig.run(&["receipt", "--profile", &rig.profile, "--reference", "RCPT-1"]).await,
        "refund receipt",
    );
    assert!(
        refund.contains("Refund") && refund.contains("AED 25.50") && !refund.contains("125.50"),
        "{refund}"
    );
    assert!(
        !refund.contains("Authorization code"),
        "a refund has no authorization code of its own: {refund}"
    );
    let listed = ok(&rig.run(&["profile", "list"]).await, "list");
    assert!(listed.contains("receipts: Souk Phones LLC, Shop 4, Gold Souk, Deira, Dubai"), "{listed}");
    let four = ["--address", "1", "--address", "2", "--address", "3", "--address", "4"];
    let out = rig.profile_add(&four).await;
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("merchant address"), "{}", text(&out.stderr));
}

impl CliRig {
    /// `profile add` again for the rig's profile, with `extra` options.
    async fn profile_add(&self, extra: &[&str]) -> Output {
        let url = self.sim.payment_api_url();
        let mut args = vec!["profile", "add", &self.profile, "--endpoint", &url, "--merchant-identifier"];
        args.extend([
            moto_terminal::sim::DEMO_MERCHANT_IDENTIFIER,
            "--algorithm",
            "sha256",
            "--trusted-channel",
        ]);
        args.extend_from_slice(extra);
        self.run(&args).await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receipt_is_only_for_an_approved_operation() {
    let rig = CliRig::new("receipt-declined").await;
    let mut args = rig.token_charge(&[], "RCPT-DECLINED", "10.00");
    args[4] = "DEMO-VISA-DECLINED-0242";
    let out = rig.run(&args).await;
    assert_eq!(out.status.code(), Some(1), "declined: {}", text(&out.stdout));
    let out = rig.run(&["receipt", "--profile", &rig.profile, "--reference", "RCPT-DECLINED"]).await;
    assert_eq!(out.status.code(), Some(2), "refused as invalid: {}", text(&out.stderr));
    assert!(text(&out.stderr).contains("no approved sale"), "{}", text(&out.stderr));
    let out = rig.run(&["receipt", "--profile", &rig.profile, "--reference", "NO-SUCH-ORDER"]).await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
}

impl CliRig {
    async fn as_desk(&self, operator: &str, args: &[&str]) -> String {
        let mut all = vec!["--operator", operator];
        all.extend_from_slice(args);
        let out = self.run(&all).await;
        text(&out.stdout) + &text(&out.stderr)
    }

    async fn sale_by(&self, operator: &str, reference: &str, amount: &str, extra: &[&str]) {
        let mut args = self.token_charge(&["--operator", operator], reference, amount);
        args.extend_from_slice(extra);
        let out = self.run(&args).await;
        assert!(out.status.success(), "{reference}: {}", text(&out.stderr));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_shift_report_adds_up_per_operator_currency_and_operation() {
    let rig = CliRig::new("report").await;
    rig.sale_by("amal", "REP-1", "50.00", &[]).await;
    rig.sale_by("amal", "REP-2", "20.00", &[]).await;
    let mut declined = rig.token_charge(&["--operator", "amal"], "REP-3", "10.51");
    declined[6] = "DEMO-VISA-DECLINED-0242";
    assert_eq!(rig.run(&declined).await.status.code(), Some(1), "declined");
    rig.sale_by("omar", "REP-4", "30.00", &["--authorize-only"]).await;
    let p = rig.profile.clone();
    rig.as_desk("omar", &["capture", "--profile", &p, "--reference", "REP-4", "--amount", "30"]).await;
    rig.as_desk("omar", &["refund", "--profile", &p, "--reference", "REP-1", "--amount", "12.50"]).await;

    let csv = ok(&rig.run(&["report", "--format", "csv"]).await, "report csv");
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[..7],
        [
            "operator,currency,operation,count,total",
            "amal,AED,sale,2,70.00",
            "amal,AED,declined,1,10.51",
            "omar,AED,authorize,1,30.00",
            "omar,AED,capture,1,30.00",
            "omar,AED,refund,1,12.50",
            // 70.00 of sales and 30.00 captured, less 12.50 refunded.
            "all,AED,net,4,87.50",
        ],
        "{csv}"
    );

    let json: serde_json::Value = serde_json::from_str(&ok(
        &rig.run(&["report", "--format", "json", "--operator", "AMAL"]).await,
        "json",
    ))
    .expect("json");
    let operators: Vec<&str> =
        json["lines"].as_array().expect("lines").iter().filter_map(|l| l["operator"].as_str()).collect();
    assert_eq!(operators, ["amal", "amal"], "only amal's lines: {json}");
    assert_eq!(json["net"][0]["net_minor"], "7000", "{json}");

    let tomorrow = (chrono::Local::now().date_naive() + chrono::Days::new(1)).to_string();
    let empty = ok(&rig.run(&["report", "--from", &tomorrow]).await, "tomorrow");
    assert!(empty.contains("(nothing in this period)"), "{empty}");

    let pdf = rig.dir.path().join("shift.pdf");
    ok(&rig.run(&["report", "--format", "pdf", "--out", pdf.to_str().expect("path")]).await, "pdf");
    let extracted = pdf_text(&pdf);
    assert!(extracted.contains("End-of-shift report") && extracted.contains("87.50"), "{extracted}");

    // `--to` alone: the day it names.
    let today = chrono::Local::now().date_naive().to_string();
    let day = ok(&rig.run(&["report", "--to", &today, "--format", "csv"]).await, "--to alone");
    assert!(day.contains("all,AED,net,4,87.50"), "{day}");

    let bad = rig.run(&["report", "--from", "yesterday"]).await;
    assert_eq!(bad.status.code(), Some(2));
    assert!(text(&bad.stderr).contains("from: 'yesterday' is neither a date"), "{}", text(&bad.stderr));
}
