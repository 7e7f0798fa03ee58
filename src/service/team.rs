//! The team journal, as the service offers it so far: moving this desk's journal into it.

use super::{Service, ServiceError};
use crate::journal::postgres::{self, Copied, TeamError};

impl From<TeamError> for ServiceError {
    fn from(e: TeamError) -> Self {
        match e {
            TeamError::Address(problem) => Self::invalid(super::Field::TeamJournal, problem),
            other => Self::Team(other.to_string()),
        }
    }
}

impl Service {
    /// Copies this desk's journal into the team journal at `url`, setting its schema up first;
    /// only what is not there yet is added, so running it twice copies nothing the second time.
    ///
    /// # Errors
    /// The team journal is offline or refuses a row (then nothing is copied), or the URL names
    /// no team journal.
    pub async fn copy_journal_to(&self, url: &str) -> Result<Copied, ServiceError> {
        let mut client = postgres::connect(url).await?;
        postgres::migrate(&mut client).await?;
        Ok(postgres::copy_journal(self.inner.journal.clone(), &mut client).await?)
    }
}
