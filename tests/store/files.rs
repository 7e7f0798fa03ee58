//! Files the app writes: the data folder 0700 and its files 0600 from creation, never through a
//! symbolic link. (config.json and the simulator's state file are covered with their modules.)
#![cfg(unix)]

use crate::service::rig::{PROFILE, Rig};
use moto_terminal::journal::{Filter, Journal, OrderUpdate};
use moto_terminal::service::Progress;
use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn the_journal_and_its_folder_are_private() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("data").join("moto-terminal");
    let path = dir.join("journal.sqlite3");
    let journal = Journal::open(&path).unwrap();
    assert_eq!(journal.schema_version().unwrap(), moto_terminal::journal::SCHEMA_VERSION);
    assert_eq!((mode(&root.path().join("data")), mode(&dir)), (0o700, 0o700), "folders 0700");
    for name in ["journal.sqlite3", "journal.sqlite3-wal", "journal.sqlite3-shm"] {
        assert_eq!(mode(&dir.join(name)), 0o600, "{name}");
    }
}

#[test]
fn a_symlinked_journal_is_refused_and_its_target_untouched() {
    let root = tempfile::tempdir().unwrap();
    let target = root.path().join("elsewhere.db");
    std::fs::write(&target, "someone else's file").unwrap();
    std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o644)).unwrap();
    for link in ["journal.sqlite3", "journal.sqlite3-wal"] {
        let dir = root.path().join(link.replace('.', "_"));
        std::fs::create_dir(&dir).unwrap();
        std::os::unix::fs::symlink(&target, dir.join(link)).unwrap();
        let error = Journal::open(&dir.join("journal.sqlite3")).unwrap_err().to_string();
        assert!(error.contains("symbolic link") && error.contains(link), "{link}: {error}");
    }
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "someone else's file");
    assert_eq!(mode(&target), 0o644, "not chmod-ed through the link");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_csv_export_is_private_and_never_follows_a_link() {
    let rig = Rig::new().await;
    let dir = tempfile::tempdir().unwrap();
    let fresh = dir.path().join("history.csv");
    assert_eq!(rig.service.export_csv_file(Filter::default(), fresh.clone()).await.unwrap(), 0);
    assert_eq!(mode(&fresh), 0o600);
    assert!(std::fs::read_to_string(&fresh).unwrap().starts_with(moto_terminal::journal::CSV_HEADER[0]));

    // Overwriting a file that others could read narrows it.
    let old = dir.path().join("old.csv");
    std::fs::write(&old, "stale").unwrap();
    std::fs::set_permissions(&old, std::fs::Permissions::from_mode(0o644)).unwrap();
    rig.service.export_csv_file(Filter::default(), old.clone()).await.unwrap();
    assert_eq!(mode(&old), 0o600);

    let target = dir.path().join("target.txt");
    std::fs::write(&target, "keep").unwrap();
    let link = dir.path().join("link.csv");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let error = rig.service.export_csv_file(Filter::default(), link).await.unwrap_err().to_string();
    assert!(error.contains("symbolic link") && error.contains("choose another folder"), "{error}");
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_export_counts_orders_not_lines() {
    // A free-text cell with a line break is quoted (RFC 4180): the file then has more lines than
    // orders, and the count the agent is told must still be the orders.
    let rig = Rig::new().await;
    let mut references = Vec::new();
    for amount in ["5.00", "6.00"] {
        let outcome = rig.service.charge(rig.token_sale("DEMO-VISA-0001", amount), &Progress::none()).await;
        references.push(outcome.unwrap().merchant_reference);
    }
    let note = OrderUpdate {
        needs_attention: Some(Some("Customer called back:\nsays the second line matters".into())),
        ..OrderUpdate::default()
    };
    rig.journal.update_order(PROFILE, &references[0], &note).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("history.csv");
    let filter = Filter { profile: Some(PROFILE.into()), ..Filter::default() };
    assert_eq!(rig.service.export_csv_file(filter, path.clone()).await.unwrap(), 2);
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(text.lines().count(), 4, "header, two orders, one of them on two lines");
}
