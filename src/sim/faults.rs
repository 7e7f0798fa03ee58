//! Fault injection: the failures a client must survive without charging twice.
//!
//! Each fault says whether the operation was committed before the failure, because that is the
//! whole question a client has to answer afterwards with CHECK_STATUS.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// What goes wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultKind {
    /// Commit, then close the connection without answering.
    DropAfterCommit,
    /// Close the connection without committing or answering.
    DropBeforeCommit,
    /// Commit, then answer normally after `delay_ms`.
    Delay,
    /// Commit, then answer HTTP 500 with an HTML body.
    #[serde(rename = "http500_committed")]
    Http500Committed,
    /// Answer HTTP 500 with an HTML body without committing.
    #[serde(rename = "http500_uncommitted")]
    Http500Uncommitted,
    /// Commit, then answer HTTP 200 with half of the JSON body.
    GarbledBody,
    /// Commit, then answer with a signature made with the wrong phrase.
    BadSignature,
    /// Commit, then answer `15777` (uncertain: processed but confirmation not received).
    UncertainCommitted,
}

impl FaultKind {
    /// Whether the operation is applied before the fault strikes.
    pub fn commits(self) -> bool {
        !matches!(self, Self::DropBeforeCommit | Self::Http500Uncommitted)
    }
}

/// One queued fault: applies to the next `count` requests whose command name matches.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Fault {
    pub fault: FaultKind,
    #[serde(default = "one")]
    pub count: u32,
    /// Only requests whose `command` / `query_command` / `service_command` equals this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
    /// For [`FaultKind::Delay`]; 1000 ms when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delay_ms: Option<u64>,
}

fn one() -> u32 {
    1
}

impl Fault {
    /// The fault, once, for any command.
    pub fn new(fault: FaultKind) -> Self {
        Self { fault, count: 1, command: None, delay_ms: None }
    }

    /// A [`FaultKind::Delay`] of `ms` milliseconds.
    pub fn delay(ms: u64) -> Self {
        Self { fault: FaultKind::Delay, count: 1, command: None, delay_ms: Some(ms) }
    }

    /// For the next `count` matching requests.
    #[must_use]
    pub fn times(mut self, count: u32) -> Self {
        self.count = count;
        self
    }

    /// Only for requests of this command name, e.g. `PURCHASE` or `CHECK_STATUS`.
    #[must_use]
    pub fn for_command(mut self, command: &str) -> Self {
        self.command = Some(command.to_owned());
        self
    }

    pub fn delay_duration(&self) -> Duration {
        Duration::from_millis(self.delay_ms.unwrap_or(1000))
    }
}

/// The queue of pending faults. The flag spares the lock on the hot path when nothing is
/// queued, which is always the case in the benchmark.
#[derive(Default)]
pub(crate) struct FaultQueue {
    any: AtomicBool,
    queue: Mutex<Vec<Fault>>,
}

impl FaultQueue {
    pub(crate) fn push(&self, fault: Fault) {
        if fault.count == 0 {
            return;
        }
        let mut queue = self.queue.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        queue.push(fault);
        self.any.store(true, Ordering::Release);
    }

    pub(crate) fn clear(&self) {
        let mut queue = self.queue.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        queue.clear();
        self.any.store(false, Ordering::Release);
    }

    pub(crate) fn list(&self) -> Vec<Fault> {
        self.queue.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }

    /// Takes one use of the first fault that matches `command`.
    pub(crate) fn take(&self, command: Option<&str>) -> Option<Fault> {
        if !self.any.load(Ordering::Acquire) {
            return None;
        }
        let mut queue = self.queue.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let index = queue.iter().position(|f| match &f.command {
            None => true,
            Some(wanted) => command == Some(wanted.as_str()),
        })?;
        let fault = queue[index].clone();
        queue[index].count -= 1;
        if queue[index].count == 0 {
            queue.remove(index);
        }
        if queue.is_empty() {
            self.any.store(false, Ordering::Release);
        }
        Some(Fault { count: 1, ..fault })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_use_the_documented_names() {
        let names: Vec<String> = [
            FaultKind::DropAfterCommit,
            FaultKind::DropBeforeCommit,
            FaultKind::Delay,
            FaultKind::Http500Committed,
            FaultKind::Http500Uncommitted,
            FaultKind::GarbledBody,
            FaultKind::BadSignature,
            FaultKind::UncertainCommitted,
        ]
        .iter()
        .map(|k| serde_json::to_string(k).unwrap())
        .collect();
        assert_eq!(
            names,
            [
                "\"drop_after_commit\"",
                "\"drop_before_commit\"",
                "\"delay\"",
                "\"http500_committed\"",
                "\"http500_uncommitted\"",
                "\"garbled_body\"",
                "\"bad_signature\"",
                "\"uncertain_committed\""
            ]
        );
        let f: Fault = serde_json::from_str(r#"{"fault":"delay","delay_ms":5}"#).unwrap();
        assert_eq!(f, Fault::delay(5));
    }

    #[test]
    fn queue_counts_down_and_filters_by_command() {
        let q = FaultQueue::default();
        assert_eq!(q.take(Some("PURCHASE")), None);
        q.push(Fault::new(FaultKind::BadSignature).for_command("PURCHASE").times(2));
        q.push(Fault::new(FaultKind::GarbledBody));
        assert_eq!(q.take(Some("CHECK_STATUS")).map(|f| f.fault), Some(FaultKind::GarbledBody));
        assert_eq!(q.take(Some("CHECK_STATUS")), None);
        assert_eq!(q.take(Some("PURCHASE")).map(|f| f.fault), Some(FaultKind::BadSignature));
        assert_eq!(q.list()[0].count, 1);
        assert_eq!(q.take(Some("PURCHASE")).map(|f| f.fault), Some(FaultKind::BadSignature));
        assert_eq!(q.take(Some("PURCHASE")), None);
        assert!(q.list().is_empty());
        q.push(Fault::new(FaultKind::Delay).times(0));
        assert!(q.list().is_empty());
        q.push(Fault::new(FaultKind::Delay));
        q.clear();
        assert_eq!(q.take(None), None);
    }
}
