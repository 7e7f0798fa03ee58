//! `journal migrate --to URL`: a desk's populated SQLite journal moves into the team journal
//! once; a second run adds nothing and leaves the first copy as it was.

use super::fresh_database;
use std::path::Path;
use std::process::Command;

fn run(data: &Path, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_moto-terminal"))
        .arg("--data-dir")
        .arg(data)
        .args(args)
        .env_remove("MOTO_TERMINAL_DATA_DIR")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{args:?}: {text}{}", String::from_utf8_lossy(&out.stderr));
    text
}

/// A desk's day on the Demo merchant: charges, a capture and a refund, a payment link, an
/// agreement and a batch file, keyed by a named operator at a named desk.
fn populated_desk(data: &Path) {
    const WHO: [&str; 4] = ["--operator", "Amal", "--terminal", "desk-4"];
    let desk = |args: &[&str]| {
        let mut all = WHO.to_vec();
        all.extend_from_slice(args);
        run(data, &all);
    };
    let email = "caller@example.com";
    desk(&[
        "charge",
        "--token",
        "DEMO-VISA-0001",
        "--amount",
        "12.50",
        "--currency",
        "AED",
        "--email",
        email,
    ]);
    desk(&[
        "charge",
        "--token",
        "DEMO-MC-2346",
        "--amount",
        "40",
        "--currency",
        "AED",
        "--authorize-only",
        "--reference",
        "MIG-AUTH-1",
        "--email",
        email,
    ]);
    desk(&["capture", "--reference", "MIG-AUTH-1", "--amount", "30"]);
    desk(&["refund", "--reference", "MIG-AUTH-1", "--amount", "5"]);
    desk(&["link", "create", "--amount", "300", "--currency", "AED", "--email", "buyer@example.com"]);
    desk(&[
        "recurring",
        "add",
        "--token",
        "DEMO-AMEX-4564",
        "--amount",
        "49",
        "--currency",
        "AED",
        "--email",
        email,
        "--payments",
        "12",
    ]);
    desk(&["batch", "run", concat!(env!("CARGO_MANIFEST_DIR"), "/assets/batch-example.csv"), "--yes"]);
}

async fn count(client: &tokio_postgres::Client, sql: &str) -> i64 {
    client.query_one(sql, &[]).await.unwrap().get(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_desk_journal_moves_into_the_team_journal_once() {
    let url = fresh_database("migrate").await;
    let data = tempfile::tempdir().unwrap();
    let dir = data.path().to_owned();
    tokio::task::spawn_blocking(move || populated_desk(&dir)).await.unwrap();
    let local: Vec<serde_json::Value> = run(data.path(), &["journal", "--format", "json", "--limit", "1000"])
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(local.len() >= 8, "{}", local.len());

    let first = run(data.path(), &["journal", "migrate", "--to", &url]);
    assert!(first.contains(&format!("{} orders (0 already there)", local.len())), "{first}");
    let again = run(data.path(), &["journal", "migrate", "--to", &url]);
    assert!(
        again.starts_with(&format!(
            "copied into the team journal: 0 orders ({} already there), 0 operations, 0 tokens (0 customers), 0 agreements, \
             0 payment links, 0 batches (0 rows)",
            local.len()
        )),
        "{again}"
    );

    let team = moto_terminal::journal::postgres::connect(&url).await.unwrap();
    assert_eq!(count(&team, "SELECT count(*) FROM orders").await, local.len() as i64);
    // Each operation follows its order to its new id: the references agree.
    assert_eq!(
        count(&team, "SELECT count(*) FROM operations p JOIN orders o ON o.id = p.order_id WHERE o.merchant_reference <> p.merchant_reference").await,
        0
    );
    assert!(count(&team, "SELECT count(*) FROM operations").await >= local.len() as i64 + 2);
    // A batch row's operations name the batch by its new id.
    assert_eq!(
        count(&team, "SELECT count(*) FROM operations WHERE batch_row IS NOT NULL AND split_part(batch_row, ':', 1)::bigint NOT IN (SELECT id FROM batches)").await,
        0
    );
    assert!(count(&team, "SELECT count(*) FROM operations WHERE batch_row IS NOT NULL").await > 0);
    assert_eq!(count(&team, "SELECT count(*) FROM batches").await, 1);
    assert!(count(&team, "SELECT count(*) FROM batch_rows").await > 0);
    assert_eq!(count(&team, "SELECT count(*) FROM payment_links").await, 1);
    assert_eq!(count(&team, "SELECT count(*) FROM agreements").await, 1);
    assert!(count(&team, "SELECT count(*) FROM tokens").await >= 3, "the Demo merchant's token book");
    // Every customer of the book comes along: the Demo customers and the desk's own caller.
    let customers = count(&team, "SELECT count(*) FROM token_customers").await;
    assert!(first.contains(&format!(" tokens ({customers} customers)")), "{first}");
    assert_eq!(
        count(
            &team,
            "SELECT count(*) FROM token_customers WHERE token_name = 'DEMO-VISA-0001'
            AND customer_email IN ('layla@example.com', 'karim@example.com', 'caller@example.com')"
        )
        .await,
        3,
        "one card, three customers"
    );
    let row = team
        .query_one(
            "SELECT state, captured_minor, refunded_minor, operator, terminal FROM orders WHERE merchant_reference = 'MIG-AUTH-1'",
            &[],
        )
        .await
        .unwrap();
    let (state, captured, refunded, operator, terminal): (String, i64, i64, String, String) =
        (row.get(0), row.get(1), row.get(2), row.get(3), row.get(4));
    assert_eq!((state.as_str(), captured, refunded), ("partially_refunded", 3000, 500));
    assert_eq!((operator.as_str(), terminal.as_str()), ("Amal", "desk-4"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_team_journal_that_cannot_be_reached_copies_nothing_and_says_so() {
    let data = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let out = Command::new(env!("CARGO_BIN_EXE_moto-terminal"))
        .arg("--data-dir")
        .arg(data.path())
        .args(["journal", "migrate", "--to", &format!("postgres://desk@127.0.0.1:{port}/team")])
        .env_remove("MOTO_TERMINAL_DATA_DIR")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("Team journal offline"), "{stderr}");
    assert!(!stderr.contains("could not be written"), "said once, in its own words: {stderr}");

    // An address that names no team journal is a usage error naming the field.
    let out = Command::new(env!("CARGO_BIN_EXE_moto-terminal"))
        .arg("--data-dir")
        .arg(data.path())
        .args(["journal", "migrate", "--to", "/srv/team.sqlite3"])
        .env_remove("MOTO_TERMINAL_DATA_DIR")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("team journal address: it must start with postgres://"), "{stderr}");
}
