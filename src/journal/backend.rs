//! How a journal call reaches its backend: the SQLite connections (the reading one, and the
//! group writer's) or a session of the team journal's pool, for one read, a few statements, or
//! one write transaction.

use super::db::Db;
use super::group::{self, Durability};
use super::*;

impl Journal {
    /// The desk journal's own SQLite connection (to copy it whole into the team journal).
    ///
    /// # Errors
    /// On the team journal, which has none.
    pub(crate) fn desk_connection(&self) -> Result<MutexGuard<'_, Connection>, JournalError> {
        match &self.backend {
            Backend::Lite(lite) => Ok(lite.lock()),
            Backend::Team(_) => Err(JournalError::Invalid {
                field: Field::JournalFile,
                problem: "the team journal cannot be copied into itself; give a desk's journal".into(),
            }),
        }
    }

    /// Runs `read` on a connection of its own (SQLite) or a session of the pool (team).
    pub(super) fn read<T>(
        &self,
        read: impl FnOnce(Db<'_>) -> Result<T, JournalError>,
    ) -> Result<T, JournalError> {
        read(self.hold()?.db())
    }

    /// The reading connection (SQLite) or a session of the pool (team), held until dropped.
    pub(super) fn hold(&self) -> Result<Held<'_>, JournalError> {
        Ok(match &self.backend {
            Backend::Lite(lite) => Held::Lite { conn: lite.lock(), _gate: None },
            Backend::Team(pool) => Held::Team(pool.get()?),
        })
    }

    /// As [`Journal::hold`], for writes outside the group writer, where each statement commits
    /// on its own: on SQLite the writer's gate is taken first, so the two connections of this
    /// process never wait on each other inside SQLite (whose busy handler sleeps).
    pub(super) fn hold_write(&self) -> Result<Held<'_>, JournalError> {
        Ok(match &self.backend {
            Backend::Lite(lite) => {
                let gate = lite.writer.as_ref().map(group::Writer::gate);
                Held::Lite { _gate: gate, conn: lite.lock() }
            }
            Backend::Team(pool) => Held::Team(pool.get()?),
        })
    }

    /// Runs `work` in one transaction that does not go through the group writer (see
    /// [`Journal::hold_write`]).
    pub(super) fn write_now<T>(
        &self,
        work: impl FnOnce(Db<'_>) -> Result<T, JournalError>,
    ) -> Result<T, JournalError> {
        match &self.backend {
            Backend::Lite(lite) => {
                let _gate = lite.writer.as_ref().map(group::Writer::gate);
                let mut conn = lite.lock();
                let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
                let value = work(Db::Lite(&tx))?;
                tx.commit()?;
                Ok(value)
            }
            Backend::Team(pool) => pool.transaction(true, false, work),
        }
    }

    /// Runs `work` in one write transaction and returns when it is committed (synced to disk
    /// for [`Durability::Synced`]). On a file, the group writer runs it in a transaction shared
    /// with the writes that arrived together, and may run it twice (see `group`); in memory,
    /// and on the team journal, in a transaction of its own. An error from `work` undoes only
    /// `work`'s writes.
    pub(super) fn write<T, F>(&self, durability: Durability, work: F) -> Result<T, JournalError>
    where
        T: Send + 'static,
        F: FnMut(Db<'_>) -> Result<T, JournalError> + Send + 'static,
    {
        self.write_ending(durability, false, work)
    }

    /// As [`Journal::write`]; `last_may_commit`: on the team journal, `work`'s last statements
    /// may carry the commit in their round trip (see `pg::Pool::transaction`).
    pub(super) fn write_ending<T, F>(
        &self,
        durability: Durability,
        last_may_commit: bool,
        mut work: F,
    ) -> Result<T, JournalError>
    where
        T: Send + 'static,
        F: FnMut(Db<'_>) -> Result<T, JournalError> + Send + 'static,
    {
        let lite = match &self.backend {
            Backend::Team(pool) => {
                return pool.transaction(durability == Durability::Synced, last_may_commit, work);
            }
            Backend::Lite(lite) => lite,
        };
        if let Some(writer) = &lite.writer {
            return writer.submit(durability, work);
        }
        let mut conn = lite.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let value = work(Db::Lite(&tx))?;
        tx.commit()?;
        Ok(value)
    }

    /// On the team journal, the writes that rode on another's round trip since it opened, and
    /// the round trips that carried them (`None` on SQLite). For the benchmarks and tests.
    #[doc(hidden)]
    pub fn team_rides(&self) -> Option<(u64, u64)> {
        match &self.backend {
            Backend::Team(pool) => Some(pool.rides()),
            Backend::Lite(_) => None,
        }
    }

    /// Commits and writes carried by the group writer since the journal opened (`None` in
    /// memory and on the team journal). For the benchmarks and tests that check intents really
    /// share commits.
    #[doc(hidden)]
    pub fn group_stats(&self) -> Option<GroupStats> {
        match &self.backend {
            Backend::Lite(lite) => lite.writer.as_ref().map(group::Writer::stats),
            Backend::Team(_) => None,
        }
    }
}

/// A connection held for a few statements (see [`Journal::hold`]).
pub(super) enum Held<'a> {
    Lite { conn: MutexGuard<'a, Connection>, _gate: Option<MutexGuard<'a, ()>> },
    Team(db::pg::Session),
}

impl Held<'_> {
    pub(super) fn db(&self) -> Db<'_> {
        match self {
            Held::Lite { conn, .. } => Db::Lite(conn),
            Held::Team(session) => Db::Pg(session),
        }
    }
}

impl Lite {
    pub(super) fn lock(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave a half-written transaction behind (an
        // unfinished rusqlite Transaction rolls back when dropped), so the connection stays usable.
        self.conn.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
