//! What the benchmarks share; each uses some of it.
#![allow(dead_code)]

use moto_terminal::journal::{Extra, OpResult, OpState, OrderState, OrderUpdate};
use std::time::Duration;

/// This process's user + system CPU time so far (from /proc, in clock ticks of 10 ms).
pub fn cpu_time() -> Duration {
    let (user, system) = cpu_split();
    user + system
}

/// This process's user and system CPU time so far, apart (from /proc, in ticks of 10 ms).
pub fn cpu_split() -> (Duration, Duration) {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after_name = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // After the name: state is field 3, utime 14 and stime 15 (1-based in proc(5)).
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<u64>().ok()).unwrap_or(0);
    (Duration::from_millis(ticks(11) * 10), Duration::from_millis(ticks(12) * 10))
}

/// A thread's CPU time: in all (from its schedstat, in nanoseconds) and in the kernel (from
/// its stat, in ticks of 10 ms).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct ThreadCpu {
    pub total: Duration,
    pub system: Duration,
}

/// CPU time so far of each live thread of this process, summed by thread name (threads that
/// have ended are not counted).
pub fn thread_cpu() -> std::collections::BTreeMap<String, ThreadCpu> {
    let mut by_name = std::collections::BTreeMap::new();
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else { return by_name };
    for task in tasks.flatten() {
        let read = |file: &str| std::fs::read_to_string(task.path().join(file)).unwrap_or_default();
        let ns = read("schedstat").split_whitespace().next().and_then(|v| v.parse().ok()).unwrap_or(0);
        let stat = read("stat");
        let after_name = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
        // After the name, stime is the 13th field (15th in proc(5), which counts pid and name).
        let ticks = after_name.split_whitespace().nth(12).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
        let spent: &mut ThreadCpu = by_name.entry(read("comm").trim().to_owned()).or_default();
        spent.total += Duration::from_nanos(ns);
        spent.system += Duration::from_millis(ticks * 10);
    }
    by_name
}

/// Each thread name's CPU time between two readings of [`thread_cpu`].
pub fn thread_cpu_since(
    before: &std::collections::BTreeMap<String, ThreadCpu>,
) -> std::collections::BTreeMap<String, ThreadCpu> {
    let mut now = thread_cpu();
    for (name, spent) in now.iter_mut() {
        let was = before.get(name).copied().unwrap_or_default();
        spent.total = spent.total.saturating_sub(was.total);
        spent.system = spent.system.saturating_sub(was.system);
    }
    now
}

/// APS's approval of a sale of `minor` units, as the journal records it: the operation's
/// result and the order's update, with the issuer's authorization code that an approval
/// carries (kept in the order's extra details).
pub fn approved(minor: u64) -> (OpResult, OrderUpdate) {
    let result = OpResult {
        state: OpState::Approved,
        response_code: Some("14000".into()),
        response_message: Some("Success".into()),
        note: None,
        at: chrono::Utc::now(),
    };
    let update = OrderUpdate {
        state: Some(OrderState::Captured),
        authorized_minor: Some(minor),
        captured_minor: Some(minor),
        extra: Some(Extra::from_iter([("authorization_code".to_owned(), "A1B2C3".into())])),
        ..OrderUpdate::default()
    };
    (result, update)
}
