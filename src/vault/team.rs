//! The team journal's address as the vault keeps it: the URL without its password in
//! `config.json` (Settings), and the password, when one was typed, in the OS keychain.
//!
//! Opening takes the password from the URL, else from `PGPASSWORD`, else from the keychain
//! ([`Vault::team_journal_login`]). A URL holding a password is never written to the file:
//! [`split_password`] takes it out first, and [`super::Settings::validate`] refuses one.

use super::{SERVICE, Vault, VaultError};
use crate::aps::field::Field;
use crate::aps::secret::Secret;
use keyring_core::Entry;

/// Keychain user name of the team journal's database password.
pub const TEAM_JOURNAL_ENTRY: &str = "team-journal/password";

/// A team journal URL taken apart: the URL without any password, and the password.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct TeamAddress {
    /// The URL as typed, minus the password (user info's `:password` and a `password=`
    /// parameter).
    pub url: String,
    /// The password it held, percent-decoded.
    pub password: Option<Secret>,
}

/// The parts of a URL around its user info: `scheme://`, user info (without `@`), the rest
/// after `@` up to the query, and the query (without `?`).
struct Parts<'a> {
    head: &'a str,
    userinfo: Option<&'a str>,
    rest: &'a str,
    query: Option<&'a str>,
}

fn parts(url: &str) -> Option<Parts<'_>> {
    let start = url.find("://")? + 3;
    let (head, tail) = url.split_at(start);
    let (before_query, query) = match tail.split_once('?') {
        Some((before, query)) => (before, Some(query)),
        None => (tail, None),
    };
    let (userinfo, rest) = match before_query.rsplit_once('@') {
        Some((userinfo, rest)) => (Some(userinfo), rest),
        None => (None, before_query),
    };
    Some(Parts { head, userinfo, rest, query })
}

/// Takes the password out of a team journal URL (both places a libpq URL may hold one).
pub fn split_password(url: &str) -> TeamAddress {
    let url = url.trim();
    let Some(p) = parts(url) else { return TeamAddress { url: url.to_owned(), password: None } };
    let mut password = None;
    let mut out = p.head.to_owned();
    if let Some(userinfo) = p.userinfo {
        let user = match userinfo.split_once(':') {
            Some((user, pass)) => {
                password = Some(Secret::new(percent_decode(pass)));
                user
            }
            None => userinfo,
        };
        out.push_str(user);
        out.push('@');
    }
    out.push_str(p.rest);
    if let Some(query) = p.query {
        let mut kept = Vec::new();
        for pair in query.split('&') {
            match pair.split_once('=') {
                Some(("password", value)) => {
                    password.get_or_insert_with(|| Secret::new(percent_decode(value)));
                }
                _ => kept.push(pair),
            }
        }
        if !kept.is_empty() {
            out.push('?');
            out.push_str(&kept.join("&"));
        }
    }
    TeamAddress { url: out, password: password.filter(|p| !p.is_empty()) }
}

/// True when the URL holds a password.
pub fn has_password(url: &str) -> bool {
    split_password(url).password.is_some()
}

/// The URL with `password` put into its user info (percent-encoded): for opening only, never
/// for storing, hence a [`Secret`].
pub fn with_password(url: &str, password: &Secret) -> Secret {
    let Some(p) = parts(url.trim()) else { return Secret::from(url) };
    let encoded = percent_encode(password.expose());
    let userinfo = p.userinfo.unwrap_or("");
    let mut out = format!("{}{userinfo}:{encoded}@{}", p.head, p.rest);
    if let Some(query) = p.query {
        out.push('?');
        out.push_str(query);
    }
    Secret::new(out)
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 3);
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// The check [`super::Settings::validate`] makes of a stored team journal address.
pub(super) fn check_stored(url: &str) -> Result<(), VaultError> {
    if has_password(url) {
        return Err(VaultError::Invalid {
            field: Field::TeamJournal,
            problem: "it holds a password, which is never stored in the settings file: save it in Settings \
                      (the password goes to the keychain)"
                .to_owned(),
        });
    }
    Ok(())
}

impl Vault {
    /// The team journal's address as saved in Settings (never with a password).
    pub fn team_journal(&self) -> Option<String> {
        self.settings().team_journal
    }

    /// Saves the team journal's address: a password in `url` goes to the keychain, the URL
    /// without it to the settings file. `None` (or an empty URL) forgets both. Returns the URL
    /// as saved.
    ///
    /// # Errors
    /// The keychain refuses the password, or the file cannot be saved.
    pub fn set_team_journal(&self, url: Option<&str>) -> Result<Option<String>, VaultError> {
        let address = url.map(split_password).filter(|a| !a.url.is_empty());
        match address.as_ref().and_then(|a| a.password.as_ref()) {
            Some(password) => self.team_entry()?.set_password(password.expose()).map_err(|source| {
                VaultError::Keychain { action: "store the team journal's password", source }
            })?,
            None if address.is_none() => match self.team_entry()?.delete_credential() {
                Ok(()) | Err(keyring_core::Error::NoEntry) => {}
                Err(source) => {
                    return Err(VaultError::Keychain {
                        action: "delete the team journal's password",
                        source,
                    });
                }
            },
            None => {}
        }
        let saved = address.map(|a| a.url);
        let stored = saved.clone();
        self.update(move |config, _| {
            config.settings.team_journal = stored;
            Ok(())
        })?;
        Ok(saved)
    }

    /// The team journal's password from the keychain, if one was saved.
    ///
    /// # Errors
    /// The keychain refuses.
    pub fn team_journal_password(&self) -> Result<Option<Secret>, VaultError> {
        match self.team_entry()?.get_password() {
            Ok(v) if !v.is_empty() => Ok(Some(Secret::new(v))),
            Ok(_) | Err(keyring_core::Error::NoEntry) => Ok(None),
            Err(source) => Err(VaultError::Keychain { action: "read the team journal's password", source }),
        }
    }

    /// The URL to open the team journal with: its own password, else `PGPASSWORD` (the driver
    /// reads it), else the keychain's.
    ///
    /// # Errors
    /// The keychain refuses (only asked when neither of the others gives a password).
    pub fn team_journal_login(&self, url: &str) -> Result<Secret, VaultError> {
        if has_password(url) || std::env::var_os("PGPASSWORD").is_some_and(|p| !p.is_empty()) {
            return Ok(Secret::from(url.trim()));
        }
        Ok(match self.team_journal_password()? {
            Some(password) => with_password(url, &password),
            None => Secret::from(url.trim()),
        })
    }

    fn team_entry(&self) -> Result<Entry, VaultError> {
        Entry::new_in_store(&self.store, SERVICE, TEAM_JOURNAL_ENTRY).map_err(|source| VaultError::Keychain {
            action: "open the team journal's keychain entry",
            source,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_is_taken_out_of_the_user_info_and_the_parameters() {
        let a = split_password(" postgres://desk:s3%40cret@db.example:5432/team?sslmode=require ");
        assert_eq!(a.url, "postgres://desk@db.example:5432/team?sslmode=require");
        assert_eq!(a.password.unwrap().expose(), "s3@cret");
        let b = split_password("postgresql://desk@db/team?password=pw&sslmode=disable");
        assert_eq!(b.url, "postgresql://desk@db/team?sslmode=disable");
        assert_eq!(b.password.unwrap().expose(), "pw");
        let c = split_password("postgres://desk@db/team");
        assert_eq!((c.url.as_str(), c.password), ("postgres://desk@db/team", None));
        assert!(!has_password("postgres://db/team?password="));
        assert!(has_password("postgres://u:p@db/team"));
    }

    #[test]
    fn a_password_is_put_back_percent_encoded_for_opening_only() {
        let url = with_password("postgres://desk@db/team?sslmode=disable", &Secret::from("p@ss:w/rd"));
        assert_eq!(url.expose(), "postgres://desk:p%40ss%3Aw%2Frd@db/team?sslmode=disable");
        assert_eq!(split_password(url.expose()).password.unwrap().expose(), "p@ss:w/rd");
    }

    #[test]
    fn the_password_goes_to_the_keychain_and_never_to_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let vault = Vault::open(dir.path(), keyring_core::mock::Store::new().unwrap()).unwrap();
        let saved = vault.set_team_journal(Some("postgres://desk:s3cret-pw@db.example/team")).unwrap();
        assert_eq!(saved.as_deref(), Some("postgres://desk@db.example/team"));
        let file = std::fs::read_to_string(dir.path().join(super::super::CONFIG_FILE)).unwrap();
        assert!(file.contains("postgres://desk@db.example/team") && !file.contains("s3cret-pw"), "{file}");
        assert_eq!(vault.team_journal_password().unwrap().unwrap().expose(), "s3cret-pw");
        if std::env::var_os("PGPASSWORD").is_none() {
            let login = vault.team_journal_login("postgres://desk@db.example/team").unwrap();
            assert_eq!(login.expose(), "postgres://desk:s3cret-pw@db.example/team");
        }
        // Its own password wins over the keychain's.
        let own = vault.team_journal_login("postgres://desk:other@db.example/team").unwrap();
        assert_eq!(own.expose(), "postgres://desk:other@db.example/team");

        // Saving the URL again without a password keeps the one in the keychain.
        vault.set_team_journal(Some("postgres://desk@db.example/team2")).unwrap();
        assert!(vault.team_journal_password().unwrap().is_some());
        vault.set_team_journal(None).unwrap();
        assert_eq!((vault.team_journal(), vault.team_journal_password().unwrap()), (None, None));

        let with_password = crate::vault::Settings {
            team_journal: Some("postgres://desk:pw@db/team".into()),
            ..Default::default()
        };
        assert!(with_password.validate().unwrap_err().to_string().contains("team journal address"));
    }
}
