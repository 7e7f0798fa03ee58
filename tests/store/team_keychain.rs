//! The team journal's database password in the real OS keychain (run under
//! `scripts/keychain-test-env`, which sets `MOTO_REAL_KEYCHAIN=1`): saved from a URL typed with
//! it, read back by the next run, never in the settings file, and gone once the team journal is
//! switched off.

use moto_terminal::vault::{CONFIG_FILE, Vault, platform_store};

#[test]
fn the_team_journal_password_is_kept_in_the_real_keychain_and_never_in_the_file() {
    assert!(
        std::env::var("MOTO_REAL_KEYCHAIN").is_ok_and(|v| v == "1"),
        "this test needs the real keychain: run it with scripts/test, or scripts/keychain-test-env cargo test"
    );
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    let password = format!("team-pw-{nanos}");
    let dir = tempfile::tempdir().unwrap();
    let writer = Vault::open(dir.path(), platform_store().unwrap()).unwrap();
    let saved =
        writer.set_team_journal(Some(&format!("postgres://desk:{password}@db.example/team"))).unwrap();
    assert_eq!(saved.as_deref(), Some("postgres://desk@db.example/team"));

    // The next run, on a new connection to the keychain.
    let reader = Vault::open(dir.path(), platform_store().unwrap()).unwrap();
    assert_eq!(reader.team_journal().as_deref(), Some("postgres://desk@db.example/team"));
    assert_eq!(reader.team_journal_password().unwrap().unwrap().expose(), password);
    if std::env::var_os("PGPASSWORD").is_none() {
        let login = reader.team_journal_login("postgres://desk@db.example/team").unwrap();
        assert_eq!(login.expose(), format!("postgres://desk:{password}@db.example/team"));
    }
    let config = std::fs::read_to_string(dir.path().join(CONFIG_FILE)).unwrap();
    assert!(config.contains("postgres://desk@db.example/team") && !config.contains(&password), "{config}");

    reader.set_team_journal(None).unwrap();
    let after = Vault::open(dir.path(), platform_store().unwrap()).unwrap();
    assert_eq!((after.team_journal(), after.team_journal_password().unwrap()), (None, None));
}
