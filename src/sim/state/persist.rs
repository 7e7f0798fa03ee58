//! The state file that keeps the simulator's memory across restarts.

use super::{STATE_VERSION, State};
use crate::sim::SimError;
use std::path::PathBuf;
use std::sync::Mutex;

/// Writes the state file: temp file, sync, rename, so a crash leaves the old or the new file.
/// The file is readable by its owner only from creation, and never read or written through a
/// symbolic link.
pub(crate) struct Persister {
    path: PathBuf,
    written: Mutex<u64>,
}

impl Persister {
    pub(crate) fn new(path: PathBuf) -> Self {
        Self { path, written: Mutex::new(0) }
    }

    /// Loads the state, or `None` when the file does not exist yet.
    pub(crate) fn load(&self) -> Result<Option<State>, SimError> {
        let text = match crate::files::read(&self.path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(self.error(format!("cannot read it: {e}"))),
        };
        let mut state: State = serde_json::from_slice(&text).map_err(|e| {
            self.error(format!(
                "it is not a simulator state file ({e}); move it away to start with an empty state"
            ))
        })?;
        if state.version != STATE_VERSION {
            return Err(self.error(format!(
                "it has layout version {} but this simulator writes version {STATE_VERSION}; move it away",
                state.version
            )));
        }
        state.reindex();
        Ok(Some(state))
    }

    /// Writes `bytes` (the state at `generation`) unless a newer generation is already on disk.
    pub(crate) fn write(&self, generation: u64, bytes: &[u8]) -> Result<(), SimError> {
        let mut written = self.written.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if generation <= *written {
            return Ok(());
        }
        crate::files::write_atomic(&self.path, bytes)
            .map_err(|e| self.error(format!("cannot write it: {e}")))?;
        *written = generation;
        Ok(())
    }

    fn error(&self, problem: String) -> SimError {
        SimError::StateFile { path: self.path.clone(), problem }
    }
}
