//! Files in the data folder: created readable by their owner only from the first byte (folders
//! 0700, files 0600, never widened and narrowed afterwards), never opened through a symbolic
//! link, and replaced atomically (temporary file in the same folder, sync, rename).
//!
//! The data folder holds customer names and emails (the journal), the profiles (config.json) and
//! the simulator's orders, so another user on the computer must not read them, and a link planted
//! in the folder must not redirect a write to some other file.
//!
//! Exports are written as CSV through [`csv_cell`], which keeps a spreadsheet from running a
//! cell as a formula.
//!
//! A leaf like `aps`: it uses nothing else in the crate, so every layer may use it.

use std::borrow::Cow;
use std::fs::{File, OpenOptions};
use std::io::{self, Read as _, Write as _};
use std::path::{Path, PathBuf};

/// Mode of every folder this app creates.
pub const DIR_MODE: u32 = 0o700;
/// Mode of every file this app creates.
pub const FILE_MODE: u32 = 0o600;

/// Creates `dir` and any missing parents, each owner-only (0700) from creation. An existing
/// folder is left as it is.
///
/// # Errors
/// The folder cannot be created.
pub fn create_private_dir(dir: &Path) -> io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt as _;
        builder.mode(DIR_MODE);
    }
    builder.create(dir)
}

/// The error for a data file that is a symbolic link: says what it is and what to do.
pub fn symlink_error(path: &Path) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!(
            "{} is a symbolic link; moto-terminal never reads or writes its data files through a link: \
             move the link away (and put the real file in its place, if you had one)",
            path.display()
        ),
    )
}

/// Refuses `path` when it is a symbolic link; a missing file is fine.
///
/// # Errors
/// [`symlink_error`], or the file's metadata cannot be read.
pub fn refuse_symlink(path: &Path) -> io::Result<()> {
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => Err(symlink_error(path)),
        Ok(_) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

/// Never through a link; new files 0600.
fn private(options: &mut OpenOptions) -> &mut OpenOptions {
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(FILE_MODE).custom_flags(libc::O_NOFOLLOW);
    }
    options
}

/// Opens with `options` made private; a link at `path` becomes [`symlink_error`].
fn open(path: &Path, options: &mut OpenOptions) -> io::Result<File> {
    private(options).open(path).map_err(|e| {
        #[cfg(unix)]
        if e.raw_os_error() == Some(libc::ELOOP) {
            return symlink_error(path);
        }
        e
    })
}

/// Reads a whole data file, refusing a link.
///
/// # Errors
/// As [`std::fs::read`] (`NotFound` included), or [`symlink_error`].
pub fn read(path: &Path) -> io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    open(path, OpenOptions::new().read(true))?.read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// Reads a whole data file as UTF-8, refusing a link.
///
/// # Errors
/// As [`read`], or the text is not UTF-8.
pub fn read_to_string(path: &Path) -> io::Result<String> {
    String::from_utf8(read(path)?).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
}

/// Makes sure `path` exists as a regular file: creates it empty and 0600 when missing, refuses
/// a link. Returns true when it was created. (The journal creates its database file this way
/// before SQLite opens it, so the database and its `-wal` / `-shm` files, which SQLite gives
/// the database's mode, are never readable by others.)
///
/// # Errors
/// [`symlink_error`], or the file cannot be created.
pub fn create_private(path: &Path) -> io::Result<bool> {
    match open(path, OpenOptions::new().write(true).create_new(true)) {
        Ok(file) => {
            file.sync_all()?;
            Ok(true)
        }
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => refuse_symlink(path).map(|()| false),
        Err(e) => Err(e),
    }
}

/// Writes `bytes` to `path` in place (a file the user chose, such as an export): created 0600,
/// an existing file truncated and narrowed to 0600 through its open handle, never a link.
///
/// # Errors
/// [`symlink_error`], or the file cannot be written.
pub fn write_private(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut file = open(path, OpenOptions::new().write(true).create(true).truncate(true))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        file.set_permissions(std::fs::Permissions::from_mode(FILE_MODE))?;
    }
    file.write_all(bytes)?;
    file.sync_all()
}

/// Replaces `path` with `bytes` atomically: a new 0600 temporary file in the same folder,
/// synced, renamed over `path`, and the folder synced. A crash leaves the old or the new file,
/// never half of one. Refuses when `path` is a link.
///
/// # Errors
/// [`symlink_error`], or any step fails (the temporary file is removed).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    refuse_symlink(path)?;
    let tmp = temp_path(path);
    let written = (|| {
        let mut file = open(&tmp, OpenOptions::new().write(true).create_new(true))?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)?;
        sync_dir(path)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

/// `.NAME.PID-RANDOM.tmp` beside `path`: unique, so two processes never share one.
fn temp_path(path: &Path) -> PathBuf {
    // A clock fallback is enough here: the name must be unique, not secret.
    let nonce = getrandom::u64().unwrap_or_else(|_| {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos() as u64)
    });
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    path.with_file_name(format!(".{name}.{}-{nonce:016x}.tmp", std::process::id()))
}

#[cfg(unix)]
fn sync_dir(path: &Path) -> io::Result<()> {
    match path.parent().filter(|d| !d.as_os_str().is_empty()) {
        Some(dir) => File::open(dir)?.sync_all(),
        None => File::open(".")?.sync_all(),
    }
}

#[cfg(not(unix))]
fn sync_dir(_path: &Path) -> io::Result<()> {
    Ok(())
}

/// An exclusive lock on a lock file, held until dropped (or the process ends: the system
/// releases it then, so a crash never leaves a stale lock behind).
#[derive(Debug)]
pub struct FileLock {
    file: File,
}

impl Drop for FileLock {
    fn drop(&mut self) {
        let _ = self.file.unlock();
    }
}

/// Waits for an exclusive lock on `path` (created 0600 if missing, never through a link).
///
/// # Errors
/// [`symlink_error`], or the file cannot be created or locked.
pub fn lock(path: &Path) -> io::Result<FileLock> {
    let file = open(path, OpenOptions::new().read(true).write(true).create(true).truncate(false))?;
    file.lock()?;
    Ok(FileLock { file })
}

/// One CSV cell: formula-looking text neutralised, then quoted when it holds a comma, quote or
/// line break (quotes doubled).
pub fn csv_cell(value: &str) -> Cow<'_, str> {
    let value: Cow<'_, str> = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        Cow::Owned(format!("'{value}"))
    } else {
        Cow::Borrowed(value)
    };
    if value.contains([',', '"', '\r', '\n']) {
        Cow::Owned(format!("\"{}\"", value.replace('"', "\"\"")))
    } else {
        value
    }
}

#[cfg(test)]
#[cfg(unix)]
mod tests {
    use super::*;

    #[test]
    fn csv_cells_follow_rfc_4180() {
        assert_eq!(csv_cell("plain"), "plain");
        assert_eq!(csv_cell(""), "");
        assert_eq!(csv_cell("a,b"), "\"a,b\"");
        assert_eq!(csv_cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_cell("two\nlines"), "\"two\nlines\"");
        assert_eq!(csv_cell("cr\r"), "\"cr\r\"");
    }

    #[test]
    fn csv_cells_never_start_a_formula() {
        assert_eq!(csv_cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_cell("+971"), "'+971");
        assert_eq!(csv_cell("-1"), "'-1");
        assert_eq!(csv_cell("@SUM"), "'@SUM");
        assert_eq!(csv_cell("12.50"), "12.50");
    }

    use std::os::unix::fs::PermissionsExt as _;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn folders_and_files_are_private_from_creation() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("a").join("b");
        create_private_dir(&dir).unwrap();
        assert_eq!((mode(&root.path().join("a")), mode(&dir)), (0o700, 0o700));
        let file = dir.join("x.json");
        write_atomic(&file, b"{}").unwrap();
        assert_eq!(mode(&file), 0o600);
        assert!(create_private(&dir.join("db")).unwrap());
        assert!(!create_private(&dir.join("db")).unwrap(), "an existing file is kept");
        assert_eq!(mode(&dir.join("db")), 0o600);
        std::fs::write(dir.join("wide.csv"), "old").unwrap();
        std::fs::set_permissions(dir.join("wide.csv"), std::fs::Permissions::from_mode(0o644)).unwrap();
        write_private(&dir.join("wide.csv"), b"new").unwrap();
        assert_eq!(
            (mode(&dir.join("wide.csv")), read_to_string(&dir.join("wide.csv")).unwrap()),
            (0o600, "new".into())
        );
        let leftovers: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|n| n.ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
    }

    #[test]
    fn links_are_refused_and_their_targets_untouched() {
        let root = tempfile::tempdir().unwrap();
        let target = root.path().join("elsewhere.txt");
        std::fs::write(&target, "precious").unwrap();
        let link = root.path().join("config.json");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        for result in [
            write_atomic(&link, b"x").map(|_| ()),
            write_private(&link, b"x"),
            create_private(&link).map(|_| ()),
            read(&link).map(|_| ()),
            lock(&link).map(|_| ()),
        ] {
            let error = result.unwrap_err().to_string();
            assert!(error.contains("symbolic link") && error.contains("config.json"), "{error}");
        }
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "precious");
        // A dangling link is not followed to create its target either.
        let dangling = root.path().join("journal.sqlite3");
        std::os::unix::fs::symlink(root.path().join("created-through-link"), &dangling).unwrap();
        assert!(create_private(&dangling).is_err());
        assert!(!root.path().join("created-through-link").exists());
    }

    #[test]
    fn a_lock_is_exclusive_until_dropped() {
        let root = tempfile::tempdir().unwrap();
        let path = root.path().join("config.lock");
        let held = lock(&path).unwrap();
        let other = File::options().read(true).write(true).open(&path).unwrap();
        assert!(other.try_lock().is_err(), "a second lock waits");
        drop(held);
        assert!(other.try_lock().is_ok());
        assert_eq!(mode(&path), 0o600);
    }
}
