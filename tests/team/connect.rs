//! Reaching the team journal and setting up its schema: versioned steps applied once, even by
//! two desks starting at the same moment; a newer schema refused; an unreachable or refused
//! database reported as "Team journal offline", in words, without the URL's password.

use super::{fresh_database, server_url};
use moto_terminal::journal::postgres::{
    self, SCHEMA_VERSION, TeamError, config, migrate, schema_version, test_connection,
};
use tokio_postgres::config::SslMode;

#[tokio::test]
async fn the_schema_is_set_up_once_and_reopening_changes_nothing() {
    let url = fresh_database("setup").await;
    let before = test_connection(&url).await.unwrap();
    assert_eq!(before.schema_version, 0, "a new database");
    assert!(before.server_version.starts_with(|c: char| c.is_ascii_digit()), "{before:?}");

    let mut client = postgres::connect(&url).await.unwrap();
    assert_eq!(migrate(&mut client).await.unwrap(), 0);
    assert_eq!(schema_version(&client).await.unwrap(), SCHEMA_VERSION);
    assert_eq!(migrate(&mut client).await.unwrap(), SCHEMA_VERSION, "reopening is a no-op");
    assert_eq!(test_connection(&url).await.unwrap().schema_version, SCHEMA_VERSION);

    // The tables a desk's journal moves into, with who keyed each order and where.
    let tables: Vec<String> = client
        .query(
            "SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    for table in
        ["agreements", "batch_rows", "batches", "meta", "operations", "orders", "payment_links", "tokens"]
    {
        assert!(tables.iter().any(|t| t == table), "{table} in {tables:?}");
    }
    let terminal: i64 = client
        .query_one(
            "SELECT count(*) FROM information_schema.columns WHERE table_name = 'orders' AND column_name = 'terminal'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(terminal, 1);
    let prefix: String =
        client.query_one("SELECT value FROM meta WHERE key = 'reference_prefix'", &[]).await.unwrap().get(0);
    assert!(prefix.len() == 4 && prefix.chars().all(|c| c.is_ascii_uppercase()), "{prefix}");
}

#[tokio::test]
async fn two_desks_setting_up_a_new_database_at_once_apply_each_step_once() {
    let url = fresh_database("race").await;
    let mut desks = Vec::new();
    for _ in 0..4 {
        let url = url.clone();
        desks.push(tokio::spawn(async move {
            let mut client = postgres::connect(&url).await.unwrap();
            migrate(&mut client).await.unwrap()
        }));
    }
    let mut found = Vec::new();
    for desk in desks {
        found.push(desk.await.unwrap());
    }
    found.sort_unstable();
    assert_eq!(found, [0, SCHEMA_VERSION, SCHEMA_VERSION, SCHEMA_VERSION], "one desk set it up");
    let client = postgres::connect(&url).await.unwrap();
    let rows: i64 = client.query_one("SELECT count(*) FROM moto_schema", &[]).await.unwrap().get(0);
    let prefixes: i64 = client
        .query_one("SELECT count(*) FROM meta WHERE key = 'reference_prefix'", &[])
        .await
        .unwrap()
        .get(0);
    let ids: i64 =
        client.query_one("SELECT count(*) FROM meta WHERE key = 'journal_id'", &[]).await.unwrap().get(0);
    assert_eq!((rows, prefixes, ids), (1, 1, 1));
}

#[tokio::test]
async fn a_database_set_up_by_a_newer_version_is_refused_untouched() {
    let url = fresh_database("newer").await;
    let mut client = postgres::connect(&url).await.unwrap();
    migrate(&mut client).await.unwrap();
    client.execute("UPDATE moto_schema SET version = 99", &[]).await.unwrap();
    let refused = migrate(&mut client).await.unwrap_err();
    assert!(matches!(refused, TeamError::TooNew { found: 99, .. }), "{refused:?}");
    assert!(refused.to_string().contains("update it"), "{refused}");
    assert!(matches!(test_connection(&url).await, Err(TeamError::TooNew { found: 99, .. })));
    assert_eq!(schema_version(&client).await.unwrap(), 99, "left as it was");
}

#[tokio::test]
async fn an_unreachable_team_journal_is_offline_in_words_without_the_password() {
    // A port nothing listens on: bind one, note it, close it.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let url = format!("postgres://desk:s3cret-pw@127.0.0.1:{port}/team");
    let error = postgres::connect(&url).await.unwrap_err();
    let text = error.to_string();
    assert!(matches!(error, TeamError::Offline(_)), "{error:?}");
    assert!(text.starts_with("Team journal offline"), "{text}");
    assert!(text.contains("Nothing was charged"), "{text}");
    assert!(!text.contains("s3cret-pw"), "{text}");

    // A login the server refuses: offline too, with the server's reason.
    let (server, _) = server_url().rsplit_once('/').map(|(s, d)| (s.to_owned(), d.to_owned())).unwrap();
    let missing = postgres::connect(&format!("{server}/no_such_database")).await.unwrap_err();
    assert!(missing.to_string().contains("no_such_database"), "{missing}");
}

#[tokio::test]
async fn tls_is_required_off_this_machine_and_a_server_without_it_is_refused() {
    let remote = config("postgres://desk:pw@db.call-centre.example/team").unwrap();
    assert_eq!(remote.get_ssl_mode(), SslMode::Require, "a password never crosses a network in clear");
    let local = config("postgres://desk@127.0.0.1:5432/team").unwrap();
    assert_eq!(local.get_ssl_mode(), SslMode::Prefer);
    let chosen = config("postgres://desk@db.call-centre.example/team?sslmode=disable").unwrap();
    assert_eq!(chosen.get_ssl_mode(), SslMode::Disable, "the URL's own choice stands");
    assert_eq!(remote.get_password(), Some(&b"pw"[..]));

    // The test server has no certificate: asking for TLS is refused before any login.
    let url = format!("{}?sslmode=require", server_url());
    let error = postgres::connect(&url).await.unwrap_err();
    assert!(matches!(error, TeamError::Offline(_)), "{error:?}");
    assert!(error.to_string().to_lowercase().contains("tls"), "{error}");
    // Without it asked for, the loopback session is plain.
    assert!(!test_connection(&server_url()).await.unwrap().encrypted);
}

#[test]
fn a_url_that_names_no_team_journal_says_what_is_missing() {
    for (url, says) in [
        ("mysql://db/team", "postgres://"),
        ("/var/lib/moto/journal.sqlite3", "postgres://"),
        ("postgres://db.example", "names no database"),
        ("postgres://", "names no host"),
        ("postgres://db:notaport/team", "team journal address"),
    ] {
        let error = config(url).unwrap_err();
        assert!(matches!(error, TeamError::Address(_)), "{url}: {error:?}");
        assert!(error.to_string().contains(says), "{url}: {error}");
    }
}
