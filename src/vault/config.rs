//! `config.json`: the profiles and app settings.
//!
//! Every change is made under an exclusive lock on `config.json.lock`: the file is read again,
//! only this process's change is applied to what is on disk, and the result replaces the file
//! atomically (a 0600 temporary file in the same folder, synced, renamed). So when the desktop
//! and a command-line run change profiles at the same time, neither change is lost, and a crash
//! leaves the old or the new file. The file is never read or written through a symbolic link.

use super::{Environment, Profile, Settings, VaultError};
use crate::files;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The config file's name inside the data directory.
pub const CONFIG_FILE: &str = "config.json";
/// The lock file serialising changes to [`CONFIG_FILE`].
pub const CONFIG_LOCK_FILE: &str = "config.json.lock";
/// The config file format this build writes.
const CONFIG_VERSION: u32 = 1;

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub(super) struct ConfigFile {
    #[serde(default)]
    pub version: u32,
    #[serde(default)]
    pub settings: Settings,
    #[serde(default)]
    pub profiles: Vec<Profile>,
}

impl ConfigFile {
    pub(super) fn empty() -> ConfigFile {
        ConfigFile { version: CONFIG_VERSION, ..Default::default() }
    }
}

/// Reads the config file of `dir`; none yet means no profiles.
///
/// # Errors
/// [`VaultError::Config`]: unreadable, a symbolic link, invalid, or from a newer version.
pub(super) fn load(dir: &Path) -> Result<ConfigFile, VaultError> {
    let path = dir.join(CONFIG_FILE);
    let error = |problem: String| VaultError::Config { path: path.display().to_string(), problem };
    match files::read_to_string(&path) {
        Ok(text) => parse_config(&text).map_err(error),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(ConfigFile::empty()),
        Err(e) => Err(error(e.to_string())),
    }
}

/// Applies `change` to the file as it is on disk now, under the lock, and writes the result.
/// Returns the new content. Nothing is written when `change` fails.
///
/// # Errors
/// What `change` returns, [`VaultError::Config`] when the file on disk cannot be read, or
/// [`VaultError::ConfigWrite`].
pub(super) fn update(
    dir: &Path,
    change: impl FnOnce(&mut ConfigFile) -> Result<(), VaultError>,
) -> Result<ConfigFile, VaultError> {
    let path = dir.join(CONFIG_FILE);
    let fail = |source| VaultError::ConfigWrite { path: path.display().to_string(), source };
    files::create_private_dir(dir).map_err(fail)?;
    let _lock = files::lock(&dir.join(CONFIG_LOCK_FILE)).map_err(fail)?;
    let mut config = load(dir)?;
    change(&mut config)?;
    config.version = CONFIG_VERSION;
    let mut text = serde_json::to_string_pretty(&config).map_err(|e| fail(std::io::Error::other(e)))?;
    text.push('\n');
    files::write_atomic(&path, text.as_bytes()).map_err(fail)?;
    Ok(config)
}

fn parse_config(text: &str) -> Result<ConfigFile, String> {
    let config: ConfigFile = serde_json::from_str(text).map_err(|e| e.to_string())?;
    if config.version > CONFIG_VERSION {
        return Err(format!(
            "it was written by a newer moto-terminal (format {}, this version reads {CONFIG_VERSION}); update moto-terminal",
            config.version
        ));
    }
    config.settings.validate().map_err(|e| format!("settings: {e}"))?;
    for p in &config.profiles {
        // Never shown as the Demo: a stored "demo" profile could point anywhere while its
        // banner said that no money moves.
        if p.environment == Environment::Demo {
            return Err(format!(
                "profile \"{}\" says environment demo, but the Demo merchant is built in and is never stored; \
                 remove that profile from the file, or set its environment to sandbox",
                p.name
            ));
        }
        p.validate().map_err(|e| format!("profile \"{}\": {e}", p.name))?;
    }
    Ok(config)
}
