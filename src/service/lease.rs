//! Who owns an operation in flight: this process's name, and whether another owner is alive.
//!
//! Every intent carries its owner and its own deadline (see `journal::Lease`). Another process
//! (a CLI run beside the desktop, a second desktop) leaves alone an operation whose owner is
//! alive: only the owner knows whether its request is still on its way, and only after the
//! intent's own deadline can "APS has no record of it" mean anything.
//!
//! An owner is `host|boot|pid|start`: the host name, the kernel's boot id, the process id and
//! the process's start time in clock ticks since boot. Together they name one process for
//! ever: a pid reused after the owner died has another start time, and a reboot another boot id.
//! On Linux, liveness is read from `/proc`; an owner on another host (a shared team journal)
//! cannot be checked from here and counts as alive until its deadline has passed.

use chrono::{DateTime, Utc};
use std::sync::OnceLock;

/// This process's owner name.
pub fn this_process() -> &'static str {
    static NAME: OnceLock<String> = OnceLock::new();
    NAME.get_or_init(|| {
        let pid = std::process::id();
        format!("{}|{}|{pid}|{}", host(), boot_id(), start_ticks(pid).unwrap_or_default())
    })
}

/// The owner name of another process of this machine, while it runs (`None` when there is no
/// such process, or no `/proc` to read it from).
pub fn name_of(pid: u32) -> Option<String> {
    let ticks = start_ticks(pid)?;
    Some(format!("{}|{}|{pid}|{ticks}", host(), boot_id()))
}

/// Whether the owner of an operation may still be working on it. `deadline` is the operation's
/// own: past it, an owner that cannot be checked (another host) is taken to be done sending.
pub fn owner_alive(owner: &str, deadline: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
    if owner == this_process() {
        return true;
    }
    let parts: Vec<&str> = owner.split('|').collect();
    let [owner_host, owner_boot, pid, start] = parts[..] else {
        // Not a name this version writes: leave it to its deadline.
        return deadline.is_none_or(|d| now < d);
    };
    if owner_host != host() {
        return deadline.is_none_or(|d| now < d);
    }
    if owner_boot != boot_id() {
        // The machine restarted since: every process of that boot is gone.
        return false;
    }
    match pid.parse::<u32>() {
        Ok(pid) => start_ticks(pid).is_some_and(|ticks| ticks == start),
        Err(_) => false,
    }
}

/// This machine's host name (the default terminal name too).
pub(crate) fn host() -> String {
    read_trimmed("/proc/sys/kernel/hostname")
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "unknown-host".into())
        .replace('|', "_")
}

fn boot_id() -> String {
    read_trimmed("/proc/sys/kernel/random/boot_id").unwrap_or_else(|| "unknown-boot".into())
}

/// The process's start time in clock ticks since boot (field 22 of `/proc/PID/stat`), or
/// `None` when there is no such process.
fn start_ticks(pid: u32) -> Option<String> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) is in parentheses and may hold spaces: count after its end.
    let after_name = stat.rsplit_once(')')?.1;
    after_name.split_whitespace().nth(19).map(str::to_owned)
}

fn read_trimmed(path: &str) -> Option<String> {
    std::fs::read_to_string(path).ok().map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_is_alive_and_a_dead_one_is_not() {
        let now = Utc::now();
        let me = this_process();
        assert!(owner_alive(me, None, now));
        let parts: Vec<&str> = me.split('|').collect();
        assert_eq!(parts.len(), 4, "{me}");
        // The same pid with another start time is another (dead) process.
        let reused = format!("{}|{}|{}|{}", parts[0], parts[1], parts[2], "1");
        assert!(!owner_alive(&reused, None, now));
        // Another boot of this machine: gone.
        let old_boot = format!("{}|{}|{}|{}", parts[0], "another-boot", parts[2], parts[3]);
        assert!(!owner_alive(&old_boot, None, now));
    }

    #[test]
    fn an_owner_on_another_host_counts_until_its_deadline() {
        let now = Utc::now();
        let other = "desk-7|boot|123|456";
        assert!(owner_alive(other, Some(now + chrono::Duration::seconds(5)), now));
        assert!(!owner_alive(other, Some(now - chrono::Duration::seconds(5)), now));
        assert!(owner_alive(other, None, now));
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_child_process_is_alive_until_it_exits() {
        let mut child = std::process::Command::new("sleep").arg("30").spawn().expect("sleep starts");
        let owner = name_of(child.id()).expect("the child has a name");
        assert!(owner_alive(&owner, None, Utc::now()));
        child.kill().expect("kill");
        child.wait().expect("reaped");
        assert!(!owner_alive(&owner, None, Utc::now()));
    }
}
