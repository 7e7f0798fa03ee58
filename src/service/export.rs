//! Exports to a file the agent chose. The file holds customer names and emails, so it is
//! created readable by its owner only (an existing file is narrowed to that), and a symbolic
//! link at the chosen path is refused rather than followed.

use super::{Field, Service, ServiceError};
use crate::journal::Filter;
use std::path::PathBuf;

impl Service {
    /// Writes the orders matching `filter` as CSV to `path`; returns how many orders it holds.
    ///
    /// # Errors
    /// The journal cannot be read, or the file cannot be written (the message names it and
    /// says to choose another folder).
    pub async fn export_csv_file(&self, filter: Filter, path: PathBuf) -> Result<usize, ServiceError> {
        let filter = self.own_filter(filter).await?;
        // An export is audited, so a desk that cannot sign the trail does not export.
        self.chain().await?;
        self.note("export", "ok", &format!("history as CSV to {}", path.display())).await;
        // The journal counts the orders it wrote: a customer name or description may hold a
        // line break inside its quotes, so the file's lines are not its rows.
        let (bytes, rows) = self
            .journal(move |j| {
                let mut bytes = Vec::new();
                let rows = j.export_csv(&filter, &mut bytes)?;
                Ok((bytes, rows))
            })
            .await?;
        self.save_export(path, bytes).await?;
        Ok(rows)
    }

    /// Writes a receipt, report or other export the operator asked for to `path`, readable by
    /// its owner only.
    ///
    /// # Errors
    /// [`ServiceError::Invalid`] naming the file and saying to choose another folder.
    pub async fn save_export(&self, path: PathBuf, bytes: Vec<u8>) -> Result<(), ServiceError> {
        let shown = path.display().to_string();
        let cannot = |problem: String| ServiceError::Invalid {
            field: Field::ExportFile,
            message: format!("{shown} could not be written ({problem}): choose another folder or name"),
        };
        tokio::task::spawn_blocking(move || crate::files::write_private(&path, &bytes))
            .await
            .map_err(|e| cannot(e.to_string()))?
            .map_err(|e| cannot(e.to_string()))
    }
}
