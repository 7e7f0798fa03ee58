//! Group commit: concurrent intents share commits, each keeps its own result, and nothing is
//! answered before its commit.

use super::*;
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// A journal file in a folder of its own, removed with it: the journal tests go through the
/// group writer, as the application does.
pub(in crate::journal) struct FileJournal {
    journal: Journal,
    dir: tempfile::TempDir,
}

impl std::ops::Deref for FileJournal {
    type Target = Journal;
    fn deref(&self) -> &Journal {
        &self.journal
    }
}

pub(super) fn journal() -> FileJournal {
    let dir = tempfile::tempdir().unwrap();
    FileJournal { journal: Journal::open(&dir.path().join("journal.sqlite")).unwrap(), dir }
}

impl FileJournal {
    /// The team journal at `url`, for the `postgres` half of an [`on_both`] test.
    pub(super) fn team(url: &str) -> FileJournal {
        FileJournal { journal: Journal::open_team(url).unwrap(), dir: tempfile::tempdir().unwrap() }
    }
}

fn stats(j: &Journal) -> GroupStats {
    j.group_stats().expect("a journal file has a group writer")
}

/// A job that, once the writer runs it, says so on the receiver and holds the writer (and the
/// commit it is part of) until `release` is sent.
type Blocker = (mpsc::Receiver<()>, mpsc::Sender<()>, std::thread::JoinHandle<()>);

fn blocker(j: &Arc<FileJournal>) -> Blocker {
    let (started, running) = mpsc::channel();
    let (release, wait) = mpsc::channel::<()>();
    let j = Arc::clone(j);
    let blocked = std::thread::spawn(move || {
        j.write(Durability::Synced, move |_| {
            started.send(()).unwrap();
            wait.recv().unwrap();
            Ok(())
        })
        .unwrap();
    });
    (running, release, blocked)
}

/// Holds the writer inside a job until `release` is sent, so that the writes started meanwhile
/// queue up and go into the next commit together.
pub(super) fn stall(j: &Arc<FileJournal>) -> (mpsc::Sender<()>, std::thread::JoinHandle<()>) {
    let (running, release, stalled) = blocker(j);
    running.recv().unwrap();
    (release, stalled)
}

pub(super) fn wait_until_queued(j: &Journal, n: u64) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while j.group_writer().unwrap().queued() < n {
        assert!(Instant::now() < deadline, "the writes never reached the writer");
        std::thread::sleep(Duration::from_millis(1));
    }
}

#[test]
fn many_threads_record_intents_at_once_and_all_are_on_disk_after_reopening() {
    let j = Arc::new(journal());
    let path = j.dir.path().join("journal.sqlite");
    let (threads, each) = (24, 15);
    let barrier = Arc::new(std::sync::Barrier::new(threads));
    let handles: Vec<_> = (0..threads)
        .map(|n| {
            let (j, barrier) = (Arc::clone(&j), Arc::clone(&barrier));
            std::thread::spawn(move || {
                barrier.wait();
                for i in 0..each {
                    let id = j.record_order_intent(&order(&format!("C{n}-{i}"))).unwrap();
                    if i % 2 == 0 {
                        j.record_outcome(id, &result(OpState::Approved, "14000"), &OrderUpdate::default())
                            .unwrap();
                    }
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let grouped = stats(&j);
    assert_eq!(grouped.synced_writes, (threads * each) as u64);
    assert!(grouped.intents_per_sync() > 1.0, "{threads} concurrent writers share commits: {grouped:?}");
    let dir = Arc::into_inner(j).unwrap().dir;
    let reopened = Journal::open(&path).unwrap();
    assert_eq!(reopened.count(&Filter::default()).unwrap(), (threads * each) as u64);
    for n in 0..threads {
        for i in 0..each {
            let ops = reopened.timeline("main", &format!("C{n}-{i}")).unwrap();
            let expected = if i % 2 == 0 { OpState::Approved } else { OpState::Intent };
            assert_eq!(ops.iter().map(|o| o.state).collect::<Vec<_>>(), vec![expected]);
        }
    }
    drop(dir);
}

#[test]
fn an_intent_returns_only_after_its_commit_and_is_then_in_the_file() {
    let j = Arc::new(journal());
    let path = j.dir.path().join("journal.sqlite");
    let (release_first, first) = stall(&j);
    let (returned, intent) = {
        let j = Arc::clone(&j);
        let (done, returned) = mpsc::channel();
        let intent = std::thread::spawn(move || {
            let id = j.record_order_intent(&order("DURABLE-1"));
            done.send(()).unwrap();
            id
        });
        (returned, intent)
    };
    wait_until_queued(&j, 1);
    let (running, release_second, second) = blocker(&j);
    wait_until_queued(&j, 2);
    release_first.send(()).unwrap();
    first.join().unwrap();
    // The intent has run in its savepoint; the job behind it in the same commit holds it open.
    running.recv().unwrap();
    let other = rusqlite::Connection::open(&path).unwrap();
    let on_file = || -> i64 {
        other
            .query_row("SELECT COUNT(*) FROM orders WHERE merchant_reference = 'DURABLE-1'", [], |r| r.get(0))
            .unwrap()
    };
    assert_eq!(on_file(), 0, "not committed yet");
    assert!(
        returned.recv_timeout(Duration::from_millis(200)).is_err(),
        "the intent's call returned before its commit"
    );
    release_second.send(()).unwrap();
    second.join().unwrap();
    intent.join().unwrap().unwrap();
    assert_eq!(on_file(), 1, "committed by the time the call returned");
    // Opened again while the first journal is still open, as another process would.
    let reopened = Journal::open(&path).unwrap();
    assert_eq!(reopened.timeline("main", "DURABLE-1").unwrap().len(), 1);
    assert_eq!(reopened.timeline("main", "DURABLE-1").unwrap()[0].state, OpState::Intent);
}

#[test]
fn a_failing_intent_in_a_shared_commit_fails_alone_and_the_others_commit() {
    let j = Arc::new(journal());
    j.record_order_intent(&order("TAKEN")).unwrap();
    let mut keyed = order("CARD-1");
    keyed.method = card();
    keyed.created_at = t(0);
    j.record_order_intent(&keyed).unwrap();
    let before = stats(&j);
    let (release, stalled) = stall(&j);
    type Outcome = Result<String, String>;
    let run = |f: Box<dyn FnOnce(&Journal) -> Outcome + Send>| {
        let j = Arc::clone(&j);
        std::thread::spawn(move || f(&j))
    };
    let show = |r: Result<OpId, JournalError>| r.map(|id| id.to_string()).map_err(|e| e.to_string());
    let writers = vec![
        run(Box::new(move |j| show(j.record_order_intent(&order("GOOD-1"))))),
        run(Box::new(move |j| show(j.record_order_intent(&order("TAKEN"))))),
        run(Box::new(move |j| {
            let mut again = order("CARD-2");
            again.method = card();
            match j.record_order_intent_guarded(&again, Some(t(-10))) {
                Ok(Err(existing)) => Err(format!("duplicate of {}", existing.merchant_reference)),
                other => Ok(format!("{other:?}")),
            }
        })),
        run(Box::new(move |j| {
            let refund = op("TAKEN", Operation::Refund, Some(aed(100)));
            j.record_maintenance_intent(&refund, |n| format!("RF{n}"))
                .map(|_| "recorded".into())
                .map_err(|e| e.to_string())
        })),
        run(Box::new(move |j| {
            // Writes a row, then fails: its savepoint takes the row back with it.
            j.write(Durability::Synced, |tx| {
                tx.execute(
                    "UPDATE orders SET description = 'half-done' WHERE merchant_reference = 'TAKEN'",
                    &[],
                )?;
                Err::<String, _>(JournalError::Busy("changed its mind".into()))
            })
            .map_err(|e| e.to_string())
        })),
        run(Box::new(move |j| show(j.record_order_intent(&order("GOOD-2"))))),
    ];
    wait_until_queued(&j, writers.len() as u64);
    release.send(()).unwrap();
    stalled.join().unwrap();
    let results: Vec<Outcome> = writers.into_iter().map(|h| h.join().unwrap()).collect();

    assert!(results[0].is_ok() && results[5].is_ok(), "{results:?}");
    assert!(results[1].as_ref().unwrap_err().contains("\"TAKEN\" is already used"), "{results:?}");
    assert_eq!(results[2], Err("duplicate of CARD-1".into()));
    assert!(results[3].as_ref().unwrap_err().contains("TAKEN is still unknown"), "{results:?}");
    assert_eq!(results[4], Err("changed its mind".into()));
    let grouped = stats(&j).since(&before);
    assert_eq!((grouped.commits, grouped.writes), (2, 7), "the stall, then the six together");
    for good in ["GOOD-1", "GOOD-2"] {
        assert_eq!(j.timeline("main", good).unwrap().len(), 1, "{good} committed");
    }
    assert_eq!(j.order("main", "TAKEN").unwrap().unwrap().description.as_deref(), Some("2 nights"));
    assert_eq!(j.timeline("main", "TAKEN").unwrap().len(), 1);
    assert!(j.order("main", "CARD-2").unwrap().is_none());
    assert_eq!(j.timeline("main", "GOOD-1").unwrap()[0].operation, Operation::Purchase);
}

#[test]
fn a_write_that_ends_the_shared_transaction_fails_its_whole_batch() {
    let j = Arc::new(journal());
    let (release, stalled) = stall(&j);
    let good = {
        let j = Arc::clone(&j);
        std::thread::spawn(move || j.record_order_intent(&order("LOST-1")).map_err(|e| e.to_string()))
    };
    wait_until_queued(&j, 1);
    let ender = {
        let j = Arc::clone(&j);
        std::thread::spawn(move || {
            j.write(Durability::Synced, |tx| {
                tx.execute("ROLLBACK", &[])?;
                Err::<(), _>(JournalError::Internal("the disk went away".into()))
            })
        })
    };
    wait_until_queued(&j, 2);
    release.send(()).unwrap();
    stalled.join().unwrap();
    let lost = good.join().unwrap().unwrap_err();
    assert!(lost.contains("the disk went away"), "the other write is told why: {lost}");
    assert!(matches!(ender.join().unwrap(), Err(JournalError::Internal(_))));
    assert!(j.order("main", "LOST-1").unwrap().is_none(), "nothing of the batch was committed");
    // The writer goes on with the next batch.
    j.record_order_intent(&order("AFTER")).unwrap();
    assert!(j.order("main", "AFTER").unwrap().is_some());
}

/// A write that ends the transaction and still says it succeeded (the token book logs its own
/// failures) fails its batch too: the writes after it must not run outside the transaction.
#[test]
fn a_write_that_ends_the_transaction_quietly_fails_its_whole_batch() {
    let j = Arc::new(journal());
    let (release, stalled) = stall(&j);
    let quiet = {
        let j = Arc::clone(&j);
        std::thread::spawn(move || {
            j.write(Durability::Synced, |tx| {
                tx.execute("ROLLBACK", &[])?;
                Ok(())
            })
        })
    };
    wait_until_queued(&j, 1);
    let after = {
        let j = Arc::clone(&j);
        std::thread::spawn(move || j.record_order_intent(&order("AFTER-QUIET")))
    };
    wait_until_queued(&j, 2);
    release.send(()).unwrap();
    stalled.join().unwrap();
    assert!(quiet.join().unwrap().is_err());
    assert!(after.join().unwrap().is_err(), "told that nothing was recorded");
    assert!(j.order("main", "AFTER-QUIET").unwrap().is_none(), "and nothing was");
}

#[test]
fn a_write_that_panics_fails_alone_and_the_writer_goes_on() {
    let j = journal();
    let panicked = j.write(Durability::Synced, |_| -> Result<(), JournalError> { panic!("a bug") });
    assert!(matches!(panicked, Err(JournalError::Internal(_))), "{panicked:?}");
    j.record_order_intent(&order("STILL-OK")).unwrap();
    assert!(j.order("main", "STILL-OK").unwrap().is_some());
}

#[test]
fn intents_commit_synced_and_outcomes_alone_do_not_wait_for_the_disk() {
    let j = journal();
    let level = |d: Durability| -> i64 {
        j.write(d, |tx| tx.query_one("PRAGMA synchronous", &[], |r| r.get(0))).unwrap()
    };
    assert_eq!(level(Durability::Synced), 2, "FULL");
    assert_eq!(level(Durability::Committed), 1, "NORMAL");
    assert_eq!(level(Durability::Synced), 2, "FULL again for the next intent");
    let before = stats(&j);
    let id = j.record_order_intent(&order("SYNC-1")).unwrap();
    j.record_outcome(id, &result(OpState::Approved, "14000"), &OrderUpdate::default()).unwrap();
    let after = stats(&j).since(&before);
    assert_eq!((after.commits, after.synced_commits, after.synced_writes), (2, 1, 1), "{after:?}");
}

#[test]
fn a_refund_reference_offered_too_early_is_asked_for_again() {
    let j = journal();
    j.record_order_intent(&order("RF")).unwrap();
    let first = j.timeline("main", "RF").unwrap()[0].id;
    let captured =
        OrderUpdate { state: Some(OrderState::Captured), captured_minor: Some(1250), ..Default::default() };
    j.record_outcome(first, &result(OpState::Approved, "14000"), &captured).unwrap();
    let refund = op("RF", Operation::Refund, Some(aed(100)));
    let asked = std::cell::RefCell::new(Vec::new());
    let recorded = j
        .record_maintenance_intent(&refund, |n| {
            asked.borrow_mut().push(n);
            if n == 1 {
                // Another terminal refunds the order between the offer and the write.
                let other = j.record_maintenance_intent(&refund, |n| format!("OTHER-RF{n}")).unwrap();
                j.record_outcome(other.id, &result(OpState::Approved, "06000"), &OrderUpdate::default())
                    .unwrap();
            }
            format!("RF-RF{n}")
        })
        .unwrap();
    assert_eq!(*asked.borrow(), vec![1, 2]);
    assert_eq!(recorded.maintenance_reference.as_deref(), Some("RF-RF2"));
    let references: Vec<_> =
        j.timeline("main", "RF").unwrap().into_iter().filter_map(|o| o.maintenance_reference).collect();
    assert_eq!(references, vec!["OTHER-RF1".to_owned(), "RF-RF2".to_owned()]);
}

#[test]
fn a_journal_in_memory_writes_directly_with_the_same_checks() {
    let j = Journal::open_in_memory().unwrap();
    assert!(j.group_stats().is_none());
    let id = j.record_order_intent(&order("MEM-1")).unwrap();
    assert!(matches!(j.record_order_intent(&order("MEM-1")), Err(JournalError::DuplicateReference { .. })));
    let refund = op("MEM-1", Operation::Refund, Some(aed(100)));
    assert!(matches!(
        j.record_maintenance_intent(&refund, |n| format!("M-RF{n}")),
        Err(JournalError::Busy(_))
    ));
    let captured =
        OrderUpdate { state: Some(OrderState::Captured), captured_minor: Some(1250), ..Default::default() };
    j.record_outcome(id, &result(OpState::Approved, "14000"), &captured).unwrap();
    let recorded = j.record_maintenance_intent(&refund, |n| format!("M-RF{n}")).unwrap();
    assert_eq!(recorded.maintenance_reference.as_deref(), Some("M-RF1"));
    assert!(j.claim_operation(recorded.id, None, "me").unwrap());
    assert!(!j.claim_operation(recorded.id, None, "someone else").unwrap());
}

/// A cached statement is compiled once: new bound values and the writer's commits in between
/// do not make SQLite compile it again (it did, for every query on a table with a partial
/// index, until the planner's stability guarantee was turned on).
#[test]
fn cached_queries_are_not_compiled_again_for_new_values() {
    let j = journal();
    let sql = format!(
        "SELECT {OPERATION_COLUMNS} FROM operations WHERE profile = ?1 AND merchant_reference = ?2 ORDER BY id"
    );
    for i in 0..5 {
        j.record_order_intent(&order(&format!("R{i}"))).unwrap();
        assert_eq!(j.timeline("main", &format!("R{i}")).unwrap().len(), 1);
    }
    let conn = j.lock();
    let stmt = conn.prepare_cached(&sql).unwrap();
    assert_eq!(stmt.get_status(rusqlite::StatementStatus::RePrepare), 0);
}

/// The group writer opens a savepoint per write; their undo pages must not spill to a
/// temporary file (a batch row wrote 175 KB to disk that way, 38 KB without).
#[test]
fn savepoint_undo_pages_stay_in_memory() {
    let j = journal();
    let temp_store: i64 = j.lock().query_row("PRAGMA temp_store", [], |r| r.get(0)).unwrap();
    assert_eq!(temp_store, 2, "PRAGMA temp_store = MEMORY");
}

/// The writes of one commit run straight through, once each, when none fails. When one fails,
/// its transaction is rolled back and every write of the commit runs again, each in a
/// savepoint of its own, so that only the failed one's writes are undone.
#[test]
fn writes_run_again_in_savepoints_only_when_one_of_their_commit_fails() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let j = Arc::new(journal());
    let together = |keys: &[&'static str], fail: Option<&'static str>| -> Vec<usize> {
        let (release, stalled) = stall(&j);
        let runs: Arc<Vec<AtomicUsize>> = Arc::new(keys.iter().map(|_| AtomicUsize::new(0)).collect());
        let writers: Vec<_> = keys
            .iter()
            .enumerate()
            .map(|(n, &key)| {
                let (desk, runs) = (Arc::clone(&j), Arc::clone(&runs));
                let writer = std::thread::spawn(move || {
                    desk.write(Durability::Synced, move |tx| {
                        runs[n].fetch_add(1, Ordering::SeqCst);
                        tx.execute(
                            &format!("INSERT INTO meta (key, value) VALUES ('{key}', 'written')"),
                            &[],
                        )?;
                        match fail {
                            Some(failing) if failing == key => {
                                Err(JournalError::Busy("changed its mind".into()))
                            }
                            _ => Ok(()),
                        }
                    })
                });
                // One at a time, so that they run in this order.
                wait_until_queued(&j, n as u64 + 1);
                writer
            })
            .collect();
        release.send(()).unwrap();
        stalled.join().unwrap();
        for (writer, key) in writers.into_iter().zip(keys) {
            assert_eq!(writer.join().unwrap().is_err(), fail == Some(*key), "{key}");
        }
        runs.iter().map(|r| r.load(Ordering::SeqCst)).collect()
    };
    assert_eq!(together(&["A", "B", "C"], None), [1, 1, 1], "none failed: each ran once");
    // D ran, then E failed: both ran again in savepoints, and F ran once, there.
    assert_eq!(together(&["D", "E", "F"], Some("E")), [2, 2, 1]);
    let kept: Vec<String> = j
        .lock()
        .prepare("SELECT key FROM meta WHERE value = 'written' ORDER BY key")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(kept, ["A", "B", "C", "D", "F"], "each good write once, nothing of the failed one");
}
