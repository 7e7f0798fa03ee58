//! Writes that ride together: when every connection of the pool is busy, a write that is one
//! whole transaction in one round trip (an order's intent, an outcome) does not wait for a
//! connection of its own. It queues; the next connection given back goes to the first write
//! queued, whose thread sends every queued write in one round trip, each in its own
//! transaction, and hands each its answer.
//!
//! Each waiting thread then sleeps once, for its answer, where it slept twice (for a
//! connection, then for the server), and the server answers several writes per round trip: at
//! 32 writers on 8 connections, the waits were the larger part of the client's CPU per charge.
//!
//! The transactions stay apart: each is sent whole and contiguous (`BEGIN`, its locks, its
//! statements, `COMMIT`; or its one statement alone, which the server commits at once), and the
//! server runs a connection's requests in order, so none begins before the one before it has
//! ended. A failure aborts only its own transaction, whose
//! `COMMIT` the server then answers by rolling back: the next one begins anew.

use super::pg::{Claim, Pool, busy, error};
use super::pg_session::{BEGIN_SYNCED, BEGIN_UNSYNCED, Call, Conn, LOCK};
use super::wire;
use super::{JournalError, Value};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;
use tokio_postgres::types::ToSql;
use tokio_postgres::{Row, Statement};

/// Each statement's rows, or the transaction's first failure.
pub(super) type Answers = Result<Vec<Vec<Row>>, JournalError>;

/// One whole transaction waiting for a connection, with its values copied (its thread waits).
pub(super) struct Ride {
    statements: Vec<(String, Vec<Value<'static>>)>,
    locks: Vec<String>,
    synced: bool,
    thread: std::thread::Thread,
    state: Mutex<RideState>,
}

enum RideState {
    Queued,
    /// A connection given back for this ride to send the queue on (`None`: the ride may open
    /// one in place of one that was lost).
    Handed(Option<Conn>),
    Answered(Answers),
}

/// What [`Pool::ride`] did.
pub(super) enum Ridden {
    /// A connection was free: the session holds it now, and sends the write itself.
    Free(Conn),
    /// The write rode, and this is its answer: each statement's rows, or its first failure.
    Answered(Answers),
}

impl Ride {
    pub(super) fn new(statements: &[(&str, &[Value<'_>])], locks: Vec<String>, synced: bool) -> Ride {
        Ride {
            statements: statements
                .iter()
                .map(|(sql, values)| ((*sql).to_owned(), values.iter().map(Value::detached).collect()))
                .collect(),
            locks,
            synced,
            thread: std::thread::current(),
            state: Mutex::new(RideState::Queued),
        }
    }

    /// Gives this ride a connection given back (`None`: one lost, to open anew): its thread
    /// sends the queue on it.
    pub(super) fn hand(&self, conn: Option<Conn>) {
        self.set(RideState::Handed(conn));
    }

    fn set(&self, state: RideState) {
        *self.state.lock().unwrap_or_else(PoisonError::into_inner) = state;
        self.thread.unpark();
    }

    /// Sent on its own, the write is its own transaction (see `Session::pipeline`).
    fn alone(&self) -> bool {
        !self.synced && self.locks.is_empty() && self.statements.len() == 1
    }
}

impl Pool {
    /// Gives a free connection, if any; else queues the ride `ride` makes and waits for its
    /// answer.
    ///
    /// # Errors
    /// No connection could be opened, or none was given back for `SESSION_WAIT`.
    pub(super) fn ride(&self, ride: impl FnOnce() -> Ride) -> Result<Ridden, JournalError> {
        let ride = {
            let mut state = match self.claim(self.state()) {
                Claim::Got(conn) => return conn.map(Ridden::Free),
                Claim::Busy(state) => state,
            };
            // Its values are copied only now, when it has to wait.
            let ride = Arc::new(ride());
            state.rides.push_back(Arc::clone(&ride));
            ride
        };
        self.await_ride(&ride).map(Ridden::Answered)
    }

    /// Waits for `ride`'s answer, or for a connection to send the queue on. Refused if it is
    /// still queued after `SESSION_WAIT`; once taken, it waits for its answer, as a session
    /// waits for its own (the carrier answers every ride it took, even when it panics).
    fn await_ride(&self, ride: &Arc<Ride>) -> Result<Answers, JournalError> {
        let deadline = Instant::now() + super::pg::SESSION_WAIT;
        // Out of the queue, on its way: only its answer wakes it now.
        let mut taken = false;
        loop {
            let state = std::mem::replace(
                &mut *ride.state.lock().unwrap_or_else(PoisonError::into_inner),
                RideState::Queued,
            );
            match state {
                RideState::Answered(answer) => return Ok(answer),
                RideState::Handed(conn) => return Ok(self.send_rides(conn, ride)),
                RideState::Queued => {}
            }
            let now = Instant::now();
            if taken {
                std::thread::park();
            } else if now < deadline {
                std::thread::park_timeout(deadline - now);
            } else {
                let mut state = self.state();
                if let Some(i) = state.rides.iter().position(|r| Arc::ptr_eq(r, ride)) {
                    state.rides.remove(i);
                    return Err(busy());
                }
                taken = true;
            }
        }
    }

    /// Sends `mine` and up to [`MAX_RIDES`] - 1 rides queued before it on `conn` (a new
    /// connection if it is `None` or was closed), answers the others, gives the connection
    /// back, and returns `mine`'s answer.
    fn send_rides(&self, conn: Option<Conn>, mine: &Arc<Ride>) -> Answers {
        // Given back by a session whose server had gone (a restart): open another.
        let conn = match conn.filter(Conn::alive) {
            Some(conn) => conn,
            None => match self.connect() {
                Ok((client, wire)) => Conn::new(client, wire),
                Err(e) => {
                    self.give_back(None);
                    return Err(e.into());
                }
            },
        };
        let mut carried = Carried { pool: self, conn: Some(conn.clone()), rides: vec![Arc::clone(mine)] };
        {
            let mut state = self.state();
            let n = state.rides.len().min(MAX_RIDES - 1);
            carried.rides.extend(state.rides.drain(..n));
        }
        self.rode.fetch_add(carried.rides.len() as u64 - 1, Ordering::Relaxed);
        self.carried.fetch_add(1, Ordering::Relaxed);
        let mut answers = send(&conn, &carried.rides).into_iter();
        let mine_answer = answers.next().unwrap_or_else(not_answered);
        for ride in carried.rides.drain(1..) {
            ride.set(RideState::Answered(answers.next().unwrap_or_else(not_answered)));
        }
        mine_answer
    }
}

/// Rides one connection carries at most in one round trip; the rest wait for the next one.
const MAX_RIDES: usize = 16;

fn not_answered() -> Answers {
    Err(JournalError::Team {
        message: "the team journal did not confirm this write, so it may or may not be recorded: look the order up before trying again"
            .into(),
        code: None,
    })
}

/// The rides a thread carries, and its connection: given back when it is done, and, if it
/// panics first, given up (its transactions' fate unknown to it) with every ride not yet
/// answered told so.
struct Carried<'p> {
    pool: &'p Pool,
    conn: Option<Conn>,
    rides: Vec<Arc<Ride>>,
}

impl Drop for Carried<'_> {
    fn drop(&mut self) {
        let panicking = std::thread::panicking();
        for ride in self.rides.drain(1..) {
            ride.set(RideState::Answered(not_answered()));
        }
        let conn = self.conn.take().filter(|conn| !panicking && !conn.is_closed());
        self.pool.give_back(conn);
    }
}

/// What one ride sends: its lock and statements prepared on the connection, its values bound.
struct Plan<'r> {
    lock: Option<Statement>,
    statements: Vec<Statement>,
    args: Vec<Vec<&'r (dyn ToSql + Sync)>>,
}

/// Sends `rides` in one round trip, each in a transaction of its own; their answers in order.
fn send(conn: &Conn, rides: &[Arc<Ride>]) -> Vec<Answers> {
    let plans: Vec<Result<Plan<'_>, JournalError>> = rides
        .iter()
        .map(|ride| {
            // Prepared once per connection, then from its cache.
            let lock = (!ride.locks.is_empty()).then(|| conn.prepared(LOCK)).transpose().map_err(error)?;
            let statements =
                ride.statements.iter().map(|(sql, _)| conn.prepared(sql)).collect::<Result<Vec<_>, _>>();
            let args = ride
                .statements
                .iter()
                .map(|(_, values)| values.iter().map(|v| v as &(dyn ToSql + Sync)).collect())
                .collect();
            Ok(Plan { lock, statements: statements.map_err(error)?, args })
        })
        .collect();
    let mut calls: Vec<Call<'_>> = Vec::new();
    // Each ride's first call and the first of its statements.
    let mut spans = Vec::with_capacity(rides.len());
    for (ride, plan) in rides.iter().zip(&plans) {
        let start = calls.len();
        let Ok(plan) = plan else {
            spans.push((start, start));
            continue;
        };
        let whole = !ride.alone();
        if whole {
            let begin = if ride.synced { BEGIN_SYNCED } else { BEGIN_UNSYNCED };
            calls.push(Box::pin(async move { conn.client.batch_execute(begin).await.map(|()| Vec::new()) }));
        }
        if let Some(lock) = &plan.lock {
            for key in &ride.locks {
                calls.push(Box::pin(async move { conn.client.query(lock, &[key]).await }));
            }
        }
        let first = calls.len();
        for (statement, args) in plan.statements.iter().zip(&plan.args) {
            calls.push(Box::pin(conn.client.query(statement, args)));
        }
        if whole {
            calls.push(Box::pin(async { conn.client.batch_execute("COMMIT").await.map(|()| Vec::new()) }));
        }
        spans.push((start, first));
    }
    let total = calls.len();
    let mut answers = conn.drive(wire::in_order(calls)).into_iter().map(Some).collect::<Vec<_>>();
    answers.resize_with(total, || None);
    let ends = spans.iter().skip(1).map(|s| s.0).chain([total]);
    rides
        .iter()
        .zip(plans)
        .zip(spans.iter().zip(ends))
        .map(|((ride, plan), (&(start, first), end))| {
            plan?;
            let mut rows = Vec::with_capacity(ride.statements.len());
            for (i, answer) in answers[start..end].iter_mut().enumerate() {
                match answer.take() {
                    Some(Err(e)) => return Err(error(e)),
                    Some(Ok(answer)) if start + i >= first && rows.len() < ride.statements.len() => {
                        rows.push(answer)
                    }
                    Some(Ok(_)) => {}
                    None => return Err(JournalError::Internal("a ride's answer is missing".into())),
                }
            }
            Ok(rows)
        })
        .collect()
}
