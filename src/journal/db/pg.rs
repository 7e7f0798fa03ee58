//! The team journal's pool of connections, used from plain blocking code as the SQLite
//! connection is.
//!
//! Each connection's socket is driven by the thread using it (`wire`): no runtime, no thread
//! hand-off per round trip.
//!
//! The pool opens connections as they are needed, up to [`MAX_SESSIONS`], and never hands out
//! one that was lost or that a failure left inside a transaction. When all are busy, a write
//! that is one round trip rides with others (`pg_ride`) instead of waiting for one of its own.

use super::JournalError;
use super::pg_ride::Ride;
use super::pg_session::Conn;
pub(crate) use super::pg_session::Session;
pub(crate) use super::pg_task::{Trailer, in_place, multi_threaded, stopped};
pub(crate) use super::pg_values::{cell, error, numbered};
use super::wire::{self, Wire};
use crate::journal::postgres::{self as team, TeamError};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::Duration;
use tokio_postgres::Client;

/// Sessions one process keeps open at most (a batch runs up to 64 rows at once; they queue).
pub(crate) const MAX_SESSIONS: usize = 8;

/// How long a journal call waits for a free session before it is refused.
pub(super) const SESSION_WAIT: Duration = Duration::from_secs(30);

/// The open connections of one team journal.
pub(crate) struct Pool {
    pub(super) config: tokio_postgres::Config,
    pub(super) tls: tokio_postgres_rustls::MakeRustlsConnect,
    state: Mutex<PoolState>,
    freed: Condvar,
    /// This process's presence: its name, and the session that holds its lock while it runs.
    presence: Mutex<Presence>,
    /// Writes that rode on another's round trip ...
    pub(super) rode: AtomicU64,
    /// ... and the round trips that carried them.
    pub(super) carried: AtomicU64,
    /// Connections for async tasks' writes (`pg_task`).
    pub(super) tasks: super::pg_task::TaskConns,
}

pub(super) struct PoolState {
    idle: Vec<Conn>,
    open: usize,
    /// Callers waiting for a connection of their own: one given back wakes one, and only then.
    waiting: usize,
    /// Writes waiting to ride (`pg_ride`), first come first.
    pub(super) rides: VecDeque<Arc<Ride>>,
    /// With both kinds waiting, the next connection given back goes to a ride: they take turns.
    ride_next: bool,
}

/// What [`Pool::claim`] found.
pub(super) enum Claim<'p> {
    /// An idle connection still open, or a new one (or the failure to open it).
    Got(Result<Conn, JournalError>),
    /// Every connection is busy: the pool's state, still locked.
    Busy(MutexGuard<'p, PoolState>),
}

/// The refusal when no connection came free in [`SESSION_WAIT`].
pub(super) fn busy() -> JournalError {
    JournalError::Busy("the team journal stayed busy for 30 s, so nothing was recorded: try again".into())
}

impl Pool {
    /// Writes that rode on another's round trip, and the round trips that carried them.
    pub(crate) fn rides(&self) -> (u64, u64) {
        (self.rode.load(Ordering::Relaxed), self.carried.load(Ordering::Relaxed))
    }

    /// Writes waiting to ride now.
    #[cfg(test)]
    pub(crate) fn queued_rides(&self) -> usize {
        self.state().rides.len()
    }
}

impl std::fmt::Debug for Pool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pool").finish_non_exhaustive()
    }
}

impl Pool {
    /// Connects to the team journal at `url` and brings its schema up to date.
    ///
    /// # Errors
    /// A URL that names no team journal, a server that cannot be reached, or a schema from a
    /// newer moto-terminal.
    pub(crate) fn open(url: &str) -> Result<Pool, TeamError> {
        let config = team::config(url)?;
        let state =
            PoolState { idle: Vec::new(), open: 1, waiting: 0, rides: VecDeque::new(), ride_next: false };
        let pool = Pool {
            config,
            tls: team::tls()?,
            state: Mutex::new(state),
            freed: Condvar::new(),
            presence: Mutex::new(Presence::default()),
            rode: AtomicU64::new(0),
            carried: AtomicU64::new(0),
            tasks: super::pg_task::TaskConns::default(),
        };
        let (mut client, mut wire) = pool.connect()?;
        wire.drive(team::migrate(&mut client))?;
        pool.state().idle.push(Conn::new(client, wire));
        Ok(pool)
    }

    pub(super) fn state(&self) -> MutexGuard<'_, PoolState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(super) fn connect(&self) -> Result<(Client, Wire), TeamError> {
        wire::connect(&self.config, &self.tls).map_err(TeamError::Offline)
    }

    /// A connection free now, taken with the pool's `state`: an idle one still open, else a
    /// new one if fewer than [`MAX_SESSIONS`] are open.
    pub(super) fn claim<'p>(&'p self, mut state: MutexGuard<'p, PoolState>) -> Claim<'p> {
        while let Some(conn) = state.idle.pop() {
            if conn.alive() {
                return Claim::Got(Ok(conn));
            }
            // Closed by the server while idle (a restart, an idle limit): open another.
            state.open -= 1;
        }
        if state.open >= MAX_SESSIONS {
            return Claim::Busy(state);
        }
        state.open += 1;
        drop(state);
        Claim::Got(match self.connect() {
            Ok((client, wire)) => Ok(Conn::new(client, wire)),
            Err(e) => {
                self.give_back(None);
                Err(e.into())
            }
        })
    }

    /// A session on a connection of its own, for one call or one transaction; the connection
    /// goes back to the pool when the session is dropped.
    pub(crate) fn get(self: &Arc<Self>) -> Result<Session, JournalError> {
        Ok(Session::bound(Some(Arc::clone(self)), self.take()?))
    }

    /// A connection, waiting for one when all are busy.
    pub(super) fn take(&self) -> Result<Conn, JournalError> {
        let mut state = self.state();
        loop {
            state = match self.claim(state) {
                Claim::Got(conn) => return conn,
                Claim::Busy(state) => state,
            };
            state.waiting += 1;
            let (next, waited) =
                self.freed.wait_timeout(state, SESSION_WAIT).unwrap_or_else(PoisonError::into_inner);
            state = next;
            state.waiting -= 1;
            if waited.timed_out() {
                // A connection freed as the wait ran out is still taken.
                return match self.claim(state) {
                    Claim::Got(conn) => conn,
                    Claim::Busy(_) => Err(busy()),
                };
            }
        }
    }

    /// Takes back a connection (`None`: one that is closed, or that failed to open). It goes
    /// to the first write waiting to ride, or to a caller waiting for one, if any.
    pub(super) fn give_back(&self, conn: Option<Conn>) {
        let mut state = self.state();
        if conn.is_none() {
            state.open -= 1;
        }
        if !state.rides.is_empty() && (state.waiting == 0 || state.ride_next) {
            state.ride_next = false;
            if let Some(ride) = state.rides.pop_front() {
                // A lost one is opened anew by the ride's thread.
                state.open += usize::from(conn.is_none());
                drop(state);
                ride.hand(conn);
                return;
            }
        }
        state.ride_next = true;
        state.idle.extend(conn);
        let wake = state.waiting > 0;
        drop(state);
        if wake {
            self.freed.notify_one();
        }
    }

    /// Runs `work` in one transaction on a session of its own, committed when it returns `Ok`
    /// and rolled back otherwise. `synced: false` lets the commit return before the server's
    /// disk has it (an outcome; see the journal's module docs). `last_may_commit`: `work`'s last
    /// statements are its last of the transaction, so they may carry its commit in their round
    /// trip ([`Session::pipeline`]); only a write no other write is composed around says so.
    /// Such a write waits for no connection when all are busy: it takes one only if it needs
    /// more than one round trip, and else rides (`pg_ride`).
    pub(crate) fn transaction<T>(
        self: &Arc<Self>,
        synced: bool,
        last_may_commit: bool,
        work: impl FnOnce(super::Db<'_>) -> Result<T, JournalError>,
    ) -> Result<T, JournalError> {
        let session = match last_may_commit {
            false => self.get()?,
            true => match self.claim(self.state()) {
                Claim::Got(conn) => Session::bound(Some(Arc::clone(self)), conn?),
                Claim::Busy(_) => Session::unbound(Some(Arc::clone(self))),
            },
        };
        session.begin_transaction(synced, last_may_commit);
        let value = work(super::Db::Pg(&session));
        session.end_transaction(value)
    }
}

/// The advisory lock that says `owner` is running: a process holds it on a session of its own
/// from [`Pool::announce`] until it ends, when the server lets it go with the session.
/// Shared, so that every journal this process opens holds it (no two processes have the same
/// owner name); [`Pool::present`] asks for it exclusively, which any holder refuses.
const PRESENCE_LOCK: &str = "SELECT pg_try_advisory_lock_shared(hashtextextended('presence ' || ?1, 0))";

/// How often a process checks that its presence lock is still held (its session may be lost to a
/// server restart, a network cut or an idle-session limit) and takes it again if not.
const PRESENCE_WATCH: std::time::Duration = std::time::Duration::from_secs(2);

#[derive(Default)]
pub(crate) struct Presence {
    owner: Option<String>,
    session: Option<Session>,
    /// The thread keeping it is running.
    watched: bool,
}

impl Pool {
    /// Holds the presence lock of `owner` (this process) on a session kept for the purpose. Any
    /// terminal can then tell this process's claims on operations in flight from those of one
    /// that has ended ([`Pool::present`]). A thread then keeps it: should the session be lost,
    /// or this first try fail, the lock is taken again within [`PRESENCE_WATCH`], so that a
    /// running terminal is not long taken for ended.
    pub(crate) fn announce(self: &Arc<Self>, owner: &str) -> Result<(), JournalError> {
        let start_watch = {
            let mut presence = self.presence.lock().unwrap_or_else(PoisonError::into_inner);
            presence.owner = Some(owner.to_owned());
            !std::mem::replace(&mut presence.watched, true)
        };
        if start_watch {
            let pool = Arc::downgrade(self);
            let watch = move || {
                let mut failing = false;
                loop {
                    std::thread::sleep(PRESENCE_WATCH);
                    let Some(pool) = pool.upgrade() else { return };
                    match pool.keep_presence() {
                        Err(e) if !failing => {
                            log::warn!("team journal: this terminal's presence cannot be taken again: {e}");
                        }
                        _ => {}
                    }
                    failing = pool.presence.lock().unwrap_or_else(PoisonError::into_inner).session.is_none();
                }
            };
            if let Err(e) = std::thread::Builder::new().name("team-presence".into()).spawn(watch) {
                log::warn!("team journal: no thread to keep this terminal's presence: {e}");
            }
        }
        self.take_presence(owner)
    }

    fn take_presence(&self, owner: &str) -> Result<(), JournalError> {
        let (client, wire) = self.connect()?;
        let session = Session::bound(None, Conn::new(client, wire));
        let held: bool =
            super::Db::Pg(&session).query_one(PRESENCE_LOCK, super::params![owner], |r| r.get(0))?;
        if !held {
            let message = "this terminal's presence lock is held elsewhere".to_owned();
            return Err(JournalError::Team { message, code: None });
        }
        self.presence.lock().unwrap_or_else(PoisonError::into_inner).session = Some(session);
        Ok(())
    }

    /// Takes this process's presence lock again when the session holding it was lost (a server
    /// restart, a network cut), or was never had: otherwise other terminals would take this
    /// one for ended.
    fn keep_presence(&self) -> Result<(), JournalError> {
        // The session is asked outside the lock: a round trip may hang on a broken network.
        let (owner, session) = {
            let mut presence = self.presence.lock().unwrap_or_else(PoisonError::into_inner);
            (presence.owner.clone(), presence.session.take())
        };
        let Some(owner) = owner else { return Ok(()) };
        if let Some(session) = session
            && session.answers()
        {
            self.presence.lock().unwrap_or_else(PoisonError::into_inner).session = Some(session);
            return Ok(());
        }
        log::warn!("team journal: this terminal's presence was lost; taking it again");
        self.take_presence(&owner)
    }

    /// Whether the process named `owner` is running (holds its presence lock), asked without
    /// waiting: a free lock is taken and let go at once.
    pub(crate) fn present(self: &Arc<Self>, owner: &str) -> Result<bool, JournalError> {
        let session = self.get()?;
        let db = super::Db::Pg(&session);
        let free: bool = db.query_one(
            "SELECT pg_try_advisory_lock(hashtextextended('presence ' || ?1, 0))",
            super::params![owner],
            |r| r.get(0),
        )?;
        if free {
            db.query_one(
                "SELECT pg_advisory_unlock(hashtextextended('presence ' || ?1, 0))",
                super::params![owner],
                |r| r.get::<bool>(0),
            )?;
        }
        Ok(!free)
    }
}
