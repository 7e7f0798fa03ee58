//! Ways into a batch besides a file the clerk opens: an unfinished batch offered again at
//! start-up (its file read back from where it was), and "Capture selected" in History, which
//! writes the captures as a batch file beside the journal and checks it like any other.

use super::plan::Checked;
use crate::aps::field::Field;
use crate::aps::money::format_minor;
use crate::journal::{BatchRecord, BatchState, OrderState};
use crate::service::{Service, ServiceError};
use std::path::PathBuf;

/// The folder beside the journal where generated batch files are kept.
const GENERATED_FOLDER: &str = "batches";

impl Service {
    /// The profile's batches that did not finish (a crash, a Stop, a closed window), newest
    /// first: what the desktop offers to resume at start-up.
    ///
    /// # Errors
    /// Journal failure.
    pub async fn unfinished_batches(&self, profile: &str) -> Result<Vec<BatchRecord>, ServiceError> {
        self.allow(crate::service::access::Right::Batch).await?;
        let mut batches = self.batches(Some(profile)).await?;
        // A batch held by the APS batch service goes on from the command line
        // (`batch run FILE --via aps`); the desktop runs files row by row only.
        batches.retain(|b| b.state != BatchState::Finished && b.via != "aps");
        Ok(batches)
    }

    /// Reads an unfinished batch's file again from where it was read, and checks it. The file
    /// must be the very same (same SHA-256): a changed file would be a different batch, whose
    /// derived references could charge a row twice.
    ///
    /// # Errors
    /// No such batch, it has no file on this computer, the file is gone or has changed (each
    /// message says what to do), or as [`Self::check_batch_file`].
    pub async fn reopen_batch(&self, id: i64) -> Result<Checked, ServiceError> {
        self.allow(crate::service::access::Right::Batch).await?;
        let batch = self.journal(move |j| j.batch(id)).await?.ok_or_else(|| {
            ServiceError::invalid(Field::BatchFile, format!("batch {id} is not in the journal"))
        })?;
        let Some(path) = batch.file_path.clone() else {
            return Err(ServiceError::invalid(
                Field::BatchFile,
                format!(
                    "batch {id} ({}) was not read from a file on this computer: open its file to resume it",
                    batch.file_name
                ),
            ));
        };
        let checked = self.check_batch_file(&batch.profile, PathBuf::from(&path)).await?;
        if checked.plan.file_hash != batch.file_hash {
            return Err(ServiceError::invalid(
                Field::BatchFile,
                format!(
                    "{path} has changed since batch {id} started, so it is not the same batch: \
                     restore the original file to finish batch {id}, or open the new file as a new batch"
                ),
            ));
        }
        Ok(checked)
    }

    /// A batch capturing each named order's full remaining authorized amount, in the order
    /// given. The captures are written as a batch file in the journal's folder (kept as the
    /// record of what was asked, and so an interrupted run can be resumed), then checked like
    /// any file. Orders with nothing left to capture are refused by name.
    ///
    /// # Errors
    /// No references, an order not in the journal or not capturable, the file cannot be
    /// written, or as [`Self::check_batch`].
    pub async fn capture_batch(
        &self,
        profile: &str,
        references: Vec<String>,
    ) -> Result<Checked, ServiceError> {
        self.allow(crate::service::access::Right::Batch).await?;
        self.refuse_offline()?;
        if references.is_empty() {
            return Err(ServiceError::invalid(
                Field::MerchantReference,
                "select at least one authorized order",
            ));
        }
        let p = profile.to_owned();
        let orders = self
            .journal(move |j| {
                references.iter().map(|r| Ok((r.clone(), j.order(&p, r)?))).collect::<Result<Vec<_>, _>>()
            })
            .await?;
        let mut csv = String::from("operation,merchant_reference,amount,currency\r\n");
        for (reference, order) in orders {
            let order = order.filter(|o| o.state == OrderState::Authorized && o.capturable_minor() > 0);
            let Some(order) = order else {
                return Err(ServiceError::invalid(
                    Field::MerchantReference,
                    format!("order {reference} has nothing left to capture: leave it out of the selection"),
                ));
            };
            let amount = format_minor(order.capturable_minor(), order.currency);
            let quoted = reference.replace('"', "\"\"");
            csv.push_str(&format!("capture,\"{quoted}\",{amount},{}\r\n", order.currency.code()));
        }
        let name = capture_file_name(chrono::Local::now().naive_local());
        let folder = self.inner.journal.path().and_then(|p| p.parent()).map(|d| d.join(GENERATED_FOLDER));
        let Some(folder) = folder else {
            // An in-memory journal (tests, the throw-away demo) has no folder: nothing to keep.
            return self.check_batch(profile, &name, csv.into_bytes()).await;
        };
        let path = folder.join(&name);
        let (written, bytes) = (path.clone(), csv.into_bytes());
        tokio::task::spawn_blocking(move || {
            crate::files::create_private_dir(&folder)?;
            crate::files::write_private(&written, &bytes)
        })
        .await
        .map_err(|e| ServiceError::Journal(e.to_string()))?
        .map_err(|e| {
            ServiceError::invalid(
                Field::BatchFile,
                format!("{} could not be written ({e}): check the data folder is writable", path.display()),
            )
        })?;
        self.check_batch_file(profile, path).await
    }
}

/// The name of a capture file kept beside the journal. Letters split the date from the time:
/// `20261205-073418` is fourteen digits that pass the Luhn check, and the journal refuses a
/// file name shaped like a card number.
fn capture_file_name(now: chrono::NaiveDateTime) -> String {
    format!("capture-{}.csv", now.format("%Y-%m-%d-at-%Hh%Mm%Ss"))
}

#[cfg(test)]
mod tests {
    use super::capture_file_name;
    use crate::aps::card::contains_card_number;

    #[test]
    fn capture_file_names_never_look_like_a_card_number() {
        let date = chrono::NaiveDate::from_ymd_opt(2026, 12, 5).expect("a real date");
        let now = date.and_hms_opt(7, 34, 18).expect("a real time");
        assert!(contains_card_number("capture-20261205-073418.csv"), "the old name was refused");
        let name = capture_file_name(now);
        assert_eq!(name, "capture-2026-12-05-at-07h34m18s.csv");
        assert!(!contains_card_number(&name));
    }
}
