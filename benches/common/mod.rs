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
    stat_times(&std::fs::read_to_string("/proc/self/stat").unwrap_or_default())
}

/// The user and system CPU time in a process's or thread's `stat` text (proc(5): after the
/// name, state is field 3, utime 14 and stime 15), in ticks of 10 ms.
fn stat_times(stat: &str) -> (Duration, Duration) {
    let after_name = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<u64>().ok()).unwrap_or(0);
    (Duration::from_millis(ticks(11) * 10), Duration::from_millis(ticks(12) * 10))
}

/// A thread's CPU time: in all (from its schedstat, in nanoseconds) and in the kernel (from
/// its stat, in ticks of 10 ms, so coarse over a short run). On a kernel without scheduler
/// statistics the total reads zero.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct ThreadCpu {
    pub total: Duration,
    pub system: Duration,
}

/// CPU time by thread name.
pub type ByThread = std::collections::BTreeMap<String, ThreadCpu>;

/// CPU time so far of each live thread of this process, by thread id, with its name.
pub fn thread_cpu() -> std::collections::BTreeMap<u32, (String, ThreadCpu)> {
    let mut by_id = std::collections::BTreeMap::new();
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else { return by_id };
    for task in tasks.flatten() {
        let Some(id) = task.file_name().to_str().and_then(|id| id.parse().ok()) else { continue };
        let read = |file: &str| std::fs::read_to_string(task.path().join(file)).unwrap_or_default();
        let ns = read("schedstat").split_whitespace().next().and_then(|v| v.parse().ok()).unwrap_or(0);
        let spent = ThreadCpu { total: Duration::from_nanos(ns), system: stat_times(&read("stat")).1 };
        by_id.insert(id, (read("comm").trim().to_owned(), spent));
    }
    by_id
}

/// The CPU time each thread spent since `before` (a reading of [`thread_cpu`]), summed by
/// thread name. A thread that ended in between is missing only its time since `before`.
pub fn thread_cpu_since(before: &std::collections::BTreeMap<u32, (String, ThreadCpu)>) -> ByThread {
    let mut by_name = ByThread::new();
    for (id, (name, now)) in thread_cpu() {
        let was = before.get(&id).map(|(_, was)| *was).unwrap_or_default();
        let spent = by_name.entry(name).or_default();
        spent.total += now.total.saturating_sub(was.total);
        spent.system += now.system.saturating_sub(was.system);
    }
    by_name
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
