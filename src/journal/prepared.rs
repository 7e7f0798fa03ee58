//! Writes prepared ahead: the input is checked when one is made, and it runs later, from a
//! blocking thread ([`Journal::commit`]) or from async code ([`Journal::commit_async`]).
//!
//! The async path is what a batch of thousands of rows needs: its job goes straight to the
//! group writer and the task awaits the answer, where a `spawn_blocking` call would hand the
//! job to a pool thread only for that thread to hand it to the writer and sleep. On the team
//! journal the task's own thread runs the write (see [`team_write`]).

use super::db::pg::{Trailer, in_place, multi_threaded, stopped};
use super::group::Durability;
use super::tokens::CheckedToken;
use super::write::write_outcome;
use super::*;

type Work<T> = Box<dyn FnMut(Db<'_>) -> Result<T, JournalError> + Send>;

/// What runs once a write's work has: a convenience whose failure is logged and leaves the
/// write recorded (the token book's refresh). Its `bool`: nothing follows it in its transaction.
enum After<T> {
    /// Given the work's value.
    OnValue(OnValue<T>),
    /// Without it: on the team journal, from a task, sent with the work's statement in one
    /// round trip (a transaction of its own all the same).
    Apart(Apart),
}

type OnValue<T> = Arc<dyn Fn(&T, Db<'_>, bool) -> Result<(), JournalError> + Send + Sync>;
type Apart = Arc<dyn Fn(Db<'_>, bool) -> Result<(), JournalError> + Send + Sync>;

impl<T> After<T> {
    fn run(&self, value: &T, db: Db<'_>, ends: bool) -> Result<(), JournalError> {
        match self {
            After::OnValue(after) => after(value, db, ends),
            After::Apart(after) => after(db, ends),
        }
    }
}

/// A journal write whose input has been checked, not yet run.
#[must_use = "a prepared write does nothing until it is committed"]
pub struct Write<T> {
    durability: Durability,
    work: Work<T>,
    /// Nothing runs after `work` in its transaction, so on the team journal its last
    /// statements may carry the commit. Only the order intent and the outcome say so; a write
    /// composed around one of them is a new write, which does not.
    alone: bool,
    /// On SQLite, run after `work` in its transaction (which the group writer commits once
    /// for many writes); on the team journal, in a transaction of its own once `work`'s has
    /// committed, so that `work` stays one statement that may ride, and `after` one round trip.
    after: Option<After<T>>,
}

impl<T: Send + 'static> Write<T> {
    pub(crate) fn new<F>(durability: Durability, work: F) -> Write<T>
    where
        F: FnMut(Db<'_>) -> Result<T, JournalError> + Send + 'static,
    {
        Write { durability, work: Box::new(work), alone: false, after: None }
    }

    /// As [`Write::new`], for a write whose last statements are the last of its transaction
    /// while nothing is composed around it (see `alone`).
    pub(crate) fn alone<F>(durability: Durability, work: F) -> Write<T>
    where
        F: FnMut(Db<'_>) -> Result<T, JournalError> + Send + 'static,
    {
        Write { alone: true, ..Write::new(durability, work) }
    }
}

impl Write<Option<OrderRow>> {
    /// Also brings the token book up to date with what APS said of a token: the token, and the
    /// order's customer as one of its customers (the record's own customers, from APS's echo
    /// of the request, else the order's email and name). On SQLite in the same transaction; on
    /// the team journal in one of its own just after (see `after`). The token book is a
    /// convenience: a failure there is logged and the write it follows is recorded all the same.
    pub fn remembering_token(self, token: Option<&TokenRecord>) -> Write<Option<OrderRow>> {
        let token = token.and_then(|t| match CheckedToken::check(t) {
            Ok(checked) => Some(checked),
            Err(e) => {
                log::warn!("token book not updated: {e}");
                None
            }
        });
        let Some(token) = token else { return self };
        if token.has_customers() {
            // Its own customers: the order's are not needed.
            return Write {
                after: Some(After::Apart(Arc::new(move |db, ends| token.refresh(db, ends)))),
                ..self
            };
        }
        let after = After::OnValue(Arc::new(move |order: &Option<OrderRow>, db: Db<'_>, ends| {
            // A copy each run: the write may run twice (see `group`).
            let token = match order {
                Some(o) => token.clone().or_customer(TokenCustomer::new(
                    o.customer_name.as_deref(),
                    o.customer_email.as_deref(),
                    None,
                )),
                None => token.clone(),
            };
            token.refresh(db, ends)
        }));
        Write { after: Some(after), ..self }
    }
}

impl<T: Send + 'static> Write<T> {
    /// The write as one transaction's work on SQLite: `work`, then `after`. SQLite undoes only
    /// a statement that fails and goes on, so `after`'s failure leaves `work`'s writes in place
    /// without a savepoint (which would only add its undo copy of every page `after` touches).
    fn on_sqlite(self) -> (Durability, bool, Work<T>) {
        let Write { durability, mut work, alone, after } = self;
        let Some(after) = after else { return (durability, alone, work) };
        let work: Work<T> = Box::new(move |db| {
            let value = work(db)?;
            if let Err(e) = after.run(&value, db, false) {
                log::warn!("token book not updated: {e}");
            }
            Ok(value)
        });
        (durability, false, work)
    }

    /// Runs the write on the team journal: its transaction, then `after`'s.
    fn on_team(self, pool: &Arc<super::db::pg::Pool>) -> Result<T, JournalError> {
        let Write { durability, work, alone, after } = self;
        let value = pool.transaction(durability == Durability::Synced, alone, work)?;
        // `work` is committed: whatever becomes of `after`, even a panic, the write stands.
        if let Some(after) = after {
            let run = || pool.transaction(false, true, |db| after.run(&value, db, true));
            match std::panic::catch_unwind(std::panic::AssertUnwindSafe(run)) {
                Ok(Ok(())) => {}
                Ok(Err(e)) => log::warn!("token book not updated: {e}"),
                Err(_) => log::warn!("token book not updated: its write stopped"),
            }
        }
        Ok(value)
    }
}

/// A [`Journal::commit_async`] on its way.
enum Pending<T> {
    Queued(std::pin::Pin<Box<dyn Future<Output = Result<T, JournalError>> + Send>>),
    Done(Result<T, JournalError>),
    Team(Arc<super::db::pg::Pool>, Write<T>),
}

/// Runs a team journal write from async code. On a multi-threaded runtime (the application's,
/// which has the I/O driver its HTTP needs too), a write that is one statement sent alone (an
/// intent, an outcome, and the token book's refresh after it) goes out on a task connection
/// running on that runtime, and never blocks the task's thread (`db::pg_task`). Any other
/// blocks a thread for its round trips: on a multi-threaded runtime the task's own, once tokio
/// has handed that thread's other tasks to another (`block_in_place`); on a single-threaded
/// one (which may have no I/O driver) a blocking-pool thread. A write that panics is an error
/// either way.
async fn team_write<T: Send + 'static>(
    pool: Arc<super::db::pg::Pool>,
    write: Write<T>,
) -> Result<T, JournalError> {
    let Write { durability, mut work, alone, after } = write;
    let synced = durability == Durability::Synced;
    if alone && multi_threaded() {
        let mut apart = match &after {
            Some(After::Apart(after)) => Some(|db: Db<'_>| after(db, true)),
            _ => None,
        };
        let trailer = apart.as_mut().map(|f| f as Trailer<'_>);
        if let Some((value, trailed)) = pool.transaction_for_task(synced, &mut work, trailer).await {
            let mut value = value?;
            // `work` is committed: whatever becomes of `after`, the write stands.
            match after {
                Some(after) if !trailed => refresh_after(&pool, &after, &mut value).await,
                _ => {}
            }
            return Ok(value);
        }
    }
    let write = Write { durability, work, alone, after };
    let run = move || write.on_team(&pool);
    if multi_threaded() {
        return in_place(run);
    }
    tokio::task::spawn_blocking(run).await.unwrap_or_else(|_| Err(stopped()))
}

/// Runs `after` once its write's value is known, from a task (see [`team_write`]).
async fn refresh_after<T: Send>(pool: &Arc<super::db::pg::Pool>, after: &After<T>, value: &mut T) {
    // Held mutably, so the refresh is `Send` for any `T: Send`.
    let mut refresh = move |db: Db<'_>| after.run(value, db, true);
    let refreshed = match pool.transaction_for_task(false, &mut refresh, None).await {
        Some((refreshed, _)) => refreshed,
        // Not one statement after all: run where it is.
        None => in_place(|| pool.transaction(false, true, refresh)),
    };
    if let Err(e) = refreshed {
        log::warn!("token book not updated: {e}");
    }
}

impl Journal {
    /// Runs a prepared write and returns when it is committed (see [`Journal::write`]).
    ///
    /// # Errors
    /// The write's own error, or a database failure; nothing of it was written then.
    pub fn commit<T: Send + 'static>(&self, write: Write<T>) -> Result<T, JournalError> {
        if let Backend::Team(pool) = &self.backend {
            return write.on_team(pool);
        }
        let (durability, alone, work) = write.on_sqlite();
        self.write_ending(durability, alone, work)
    }

    /// As [`Journal::commit`], for async callers: on a journal file the write is queued for the
    /// group writer at once and the future waits for its commit without holding a thread. A
    /// journal in memory runs it before returning the future.
    pub fn commit_async<T: Send + 'static>(
        &self,
        write: Write<T>,
    ) -> impl Future<Output = Result<T, JournalError>> + Send + 'static {
        let pending = match &self.backend {
            Backend::Team(pool) => Pending::Team(Arc::clone(pool), write),
            Backend::Lite(lite) => {
                let (durability, _, work) = write.on_sqlite();
                match &lite.writer {
                    Some(writer) => Pending::Queued(Box::pin(writer.submit_async(durability, work))),
                    None => Pending::Done(self.write(durability, work)),
                }
            }
        };
        async move {
            match pending {
                Pending::Queued(queued) => queued.await,
                Pending::Done(done) => done,
                Pending::Team(pool, write) => team_write(pool, write).await,
            }
        }
    }

    /// Prepares [`Journal::record_order_intent_guarded`]'s write.
    ///
    /// # Errors
    /// As [`Journal::record_order_intent_guarded`], for bad input.
    pub fn order_intent_write(
        order: &NewOrder,
        duplicate_since: Option<DateTime<Utc>>,
    ) -> Result<Write<Result<OpId, OrderRow>>, JournalError> {
        let checked = orders::check_new_order(order)?;
        let order = order.clone();
        Ok(Write::alone(Durability::Synced, move |tx| {
            // The team journal checks and inserts in one statement, which takes the guard's lock.
            if let Some(since) = duplicate_since
                && tx.is_team()
                && let Some(answer) = orders::team_guarded_intent(tx, &order, &checked, since)?
            {
                return Ok(answer);
            }
            // Desks sharing the team journal take turns on this card or token: the guard's check
            // and the insert below are one step for all of them.
            if let Some(key) = guard_key(&order.profile, &order.method) {
                tx.lock(&key)?;
            }
            if let Some(since) = duplicate_since
                && let Some(existing) = duplicate_in(tx, &order.profile, &order.method, order.amount, since)?
            {
                return Ok(Err(existing));
            }
            orders::insert_order_intent(tx, &order, &checked).map(Ok)
        }))
    }

    /// Prepares [`Journal::record_outcome`]'s write; it returns the order as the outcome left it
    /// (`None` if that row cannot be read back: the outcome is recorded all the same).
    ///
    /// # Errors
    /// An update that cannot be stored.
    pub fn outcome_write(
        id: OpId,
        result: &OpResult,
        update: &OrderUpdate,
    ) -> Result<Write<Option<OrderRow>>, JournalError> {
        validate_update(update)?;
        let (result, update) = (result.clone(), update.clone());
        // Not synced on its own: see the module docs.
        Ok(Write::alone(Durability::Committed, move |tx| write_outcome(tx, id, &result, &update)))
    }
}
