//! The team journal, as the service offers it: choosing it at start (`--journal`,
//! `MOTO_TERMINAL_JOURNAL` or Settings), working read-only on the local journal when it cannot
//! be reached, Settings' "Test connection" and Save, and moving this desk's journal into it.
//!
//! The database password is never stored in the settings file: a URL typed with one is saved
//! without it and the password goes to the keychain (see `vault::team`).

use super::{Field, Service, ServiceError};
use crate::journal::Journal;
use crate::journal::postgres::{self, Copied, SCHEMA_VERSION, TeamError, TeamStatus};
use crate::vault::{self, Vault};
use std::path::{Path, PathBuf};

impl From<TeamError> for ServiceError {
    fn from(e: TeamError) -> Self {
        match e {
            TeamError::Address(problem) => Self::invalid(super::Field::TeamJournal, problem),
            other => Self::Team(other.to_string()),
        }
    }
}

/// Which journal a run works on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum JournalChoice {
    /// The team journal at this URL (as given or saved: it may lack its password).
    Team(String),
    /// A SQLite journal file.
    File(PathBuf),
}

/// The journal a run uses: `given` (`--journal`, else `MOTO_TERMINAL_JOURNAL`), else the URL
/// saved in Settings, else `default` (the data folder's `journal.sqlite3`). A `postgres://` or
/// `postgresql://` URL means the team journal; anything else without `://` is a file's path.
///
/// # Errors
/// [`ServiceError::Invalid`] on [`Field::TeamJournal`] for an address that names no team
/// journal, saying where it came from and never repeating it (it may hold a password).
pub fn choose_journal(
    given: Option<&str>,
    saved: Option<&str>,
    default: &Path,
) -> Result<JournalChoice, ServiceError> {
    let given = given.map(str::trim).filter(|g| !g.is_empty());
    let saved = saved.map(str::trim).filter(|s| !s.is_empty());
    let (text, from) = match (given, saved) {
        (Some(given), _) => (given, "as given with --journal or MOTO_TERMINAL_JOURNAL"),
        (None, Some(saved)) => (saved, "as saved in Settings"),
        (None, None) => return Ok(JournalChoice::File(default.to_owned())),
    };
    let is_url = text.starts_with("postgres://") || text.starts_with("postgresql://");
    if !is_url && !text.contains("://") {
        return Ok(JournalChoice::File(PathBuf::from(text)));
    }
    match postgres::config(text) {
        Ok(_) => Ok(JournalChoice::Team(text.to_owned())),
        Err(TeamError::Address(problem)) => {
            Err(ServiceError::invalid(Field::TeamJournal, format!("{problem} ({from})")))
        }
        Err(other) => Err(other.into()),
    }
}

/// The journal a run works on, and why the team journal is offline when it is.
pub struct OpenedJournal {
    pub journal: Journal,
    /// "Team journal offline: ...": the team journal could not be reached, so `journal` is the
    /// desk's local one, to be used read-only.
    pub offline: Option<String>,
}

/// Opens the chosen journal. A team journal that cannot be reached does not stop the desk: its
/// local journal (`local`) is opened instead and `offline` says why. `runtime` runs the probe
/// that tells "offline" from other failures; call this from outside the runtime.
///
/// # Errors
/// What to say, in words: the local journal cannot be opened, or the team journal is reachable
/// but refuses to open (a newer schema, a database error).
pub fn open_journal(
    choice: &JournalChoice,
    vault: &Vault,
    local: &Path,
    runtime: &tokio::runtime::Handle,
) -> Result<OpenedJournal, String> {
    let url = match choice {
        JournalChoice::File(path) => {
            return Ok(OpenedJournal {
                journal: Journal::open(path).map_err(|e| e.to_string())?,
                offline: None,
            });
        }
        JournalChoice::Team(url) => url,
    };
    let login = vault.team_journal_login(url).unwrap_or_else(|e| {
        log::warn!("the team journal's password could not be read: {e}");
        crate::aps::secret::Secret::from(url.as_str())
    });
    let refused = match Journal::open_team(login.expose()) {
        Ok(journal) => return Ok(OpenedJournal { journal, offline: None }),
        Err(e) => e,
    };
    match runtime.block_on(postgres::test_connection(login.expose())) {
        Err(offline @ TeamError::Offline(_)) => {
            // Said once, by the caller: the banner, or the command's error.
            log::info!("{offline}");
            let journal = Journal::open(local).map_err(|e| e.to_string())?;
            Ok(OpenedJournal { journal, offline: Some(offline.to_string()) })
        }
        Err(other) => Err(other.to_string()),
        Ok(_) => Err(refused.to_string()),
    }
}

/// "Connected: PostgreSQL 15.18, TLS off, schema version 0 (...)", for Settings.
pub fn team_status_text(status: &TeamStatus) -> String {
    let schema = match status.schema_version {
        0 => "a new, empty database: it is set up when a terminal first opens it".to_owned(),
        v if v == SCHEMA_VERSION => "up to date".to_owned(),
        v => format!(
            "older than this terminal's {SCHEMA_VERSION}: brought up to date when a terminal opens it ({v})"
        ),
    };
    format!(
        "Connected: PostgreSQL {}, TLS {}, schema version {} ({schema})",
        status.server_version,
        if status.encrypted { "on" } else { "off" },
        status.schema_version
    )
}

/// What saving the team journal in Settings did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TeamSaved {
    /// The URL as saved, without any password (`None`: the team journal was switched off).
    pub url: Option<String>,
    /// The URL held a password, which went to the keychain.
    pub password_to_keychain: bool,
    /// No team journal was set before: the desk's journal may be copied into it.
    pub first: bool,
}

impl Service {
    /// "Team journal offline: ..." when the team journal could not be reached at start (the
    /// desk then works read-only on its local journal).
    pub fn team_offline(&self) -> Option<&str> {
        self.settings().team_offline.as_deref()
    }

    /// Refuses anything that would send or record while the team journal is offline.
    pub(super) fn refuse_offline(&self) -> Result<(), ServiceError> {
        match self.team_offline() {
            Some(message) => Err(ServiceError::Team(message.to_owned())),
            None => Ok(()),
        }
    }

    /// True when this run works on the team journal.
    pub fn is_team(&self) -> bool {
        self.inner.journal.is_team()
    }

    /// The team journal's URL saved in Settings (never with a password).
    pub fn team_journal_setting(&self) -> Option<String> {
        self.vault().team_journal()
    }

    /// Connects to the team journal at `url` (its password from the URL, `PGPASSWORD` or the
    /// keychain), reads the server's version, TLS and the schema version, and disconnects.
    ///
    /// # Errors
    /// The address names no team journal ([`ServiceError::Invalid`]), or the server cannot be
    /// reached or refuses ([`ServiceError::Team`], in words).
    pub async fn test_team_journal(&self, url: String) -> Result<TeamStatus, ServiceError> {
        self.allow(crate::service::access::Right::Settings).await?;
        postgres::config(&url)?;
        let login = self.vault_call(move |v| v.team_journal_login(&url)).await?;
        Ok(postgres::test_connection(login.expose()).await?)
    }

    /// Saves the team journal's URL for the next start: a password in it goes to the keychain,
    /// the URL without it to the settings file. An empty URL switches the team journal off.
    ///
    /// # Errors
    /// The address names no team journal, no keychain can keep the password, or saving fails.
    pub async fn save_team_journal(&self, url: String) -> Result<TeamSaved, ServiceError> {
        self.allow(crate::service::access::Right::Settings).await?;
        let url = url.trim().to_owned();
        if !url.is_empty() {
            postgres::config(&url)?;
        }
        let password_to_keychain = vault::has_password(&url);
        if password_to_keychain && !self.settings().secrets_persist {
            return Err(ServiceError::invalid(
                Field::TeamJournal,
                "no keychain is usable on this computer, so the password cannot be kept: save the URL \
                 without it and set PGPASSWORD when starting moto-terminal",
            ));
        }
        let first = self.vault().team_journal().is_none();
        let url = self.vault_call(move |v| v.set_team_journal(Some(&url))).await?;
        // The address as saved (never with a password).
        let detail = format!("team journal: {}", url.as_deref().unwrap_or("(none)"));
        self.note("settings", "ok", &detail).await;
        Ok(TeamSaved { first: first && url.is_some(), password_to_keychain, url })
    }

    /// Copies this desk's journal into the team journal saved in Settings (see
    /// [`Service::copy_journal_to`]).
    ///
    /// # Errors
    /// No team journal is saved, or as [`Service::copy_journal_to`].
    pub async fn copy_journal_to_team(&self) -> Result<Copied, ServiceError> {
        self.allow(crate::service::access::Right::Settings).await?;
        let url = self.team_journal_setting().ok_or_else(|| {
            ServiceError::invalid(Field::TeamJournal, "no team journal is saved in Settings")
        })?;
        let login = self.vault_call(move |v| v.team_journal_login(&url)).await?;
        self.copy_journal_to(login.expose()).await
    }

    /// Copies this desk's journal into the team journal at `url`, setting its schema up first;
    /// only what is not there yet is added, so running it twice copies nothing the second time.
    ///
    /// # Errors
    /// The team journal is offline or refuses a row (then nothing is copied), the URL names no
    /// team journal, or this run already works on the team journal.
    pub async fn copy_journal_to(&self, url: &str) -> Result<Copied, ServiceError> {
        self.allow(crate::service::access::Right::Settings).await?;
        if self.is_team() {
            return Err(ServiceError::invalid(
                Field::TeamJournal,
                "this terminal already works on the team journal: copy from a desk's own journal",
            ));
        }
        let mut client = postgres::connect(url).await?;
        postgres::migrate(&mut client).await?;
        Ok(postgres::copy_journal(self.inner.journal.clone(), &mut client).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_given_journal_wins_over_settings_and_a_path_means_sqlite() {
        let default = Path::new("/data/journal.sqlite3");
        let team = "postgres://desk@db.example/team";
        let choose = |given, saved| choose_journal(given, saved, default).unwrap();
        assert_eq!(choose(None, None), JournalChoice::File(default.to_owned()));
        assert_eq!(choose(Some("  "), None), JournalChoice::File(default.to_owned()));
        assert_eq!(choose(None, Some(team)), JournalChoice::Team(team.to_owned()));
        assert_eq!(choose(Some("/tmp/j.sqlite3"), Some(team)), JournalChoice::File("/tmp/j.sqlite3".into()));
        let other = "postgresql://desk@db.example/other";
        assert_eq!(choose(Some(other), Some(team)), JournalChoice::Team(other.to_owned()));
    }

    #[test]
    fn a_bad_address_names_the_field_and_where_it_came_from_never_the_password() {
        for url in ["postgres://desk:s3cret@db:notaport/team", "mysql://desk:s3cret@db/team", "postgres://"] {
            let error = choose_journal(Some(url), None, Path::new("j")).unwrap_err();
            let text = error.to_string();
            assert!(matches!(error, ServiceError::Invalid { field: Field::TeamJournal, .. }), "{error:?}");
            assert!(text.contains("team journal address") && text.contains("--journal"), "{text}");
            assert!(!text.contains("s3cret"), "{text}");
        }
        let saved = choose_journal(None, Some("postgres://db.example"), Path::new("j")).unwrap_err();
        assert!(saved.to_string().contains("Settings"), "{saved}");
    }
}
