//! Start-up hardening seen from outside: a running terminal process has a core file size limit
//! of 0, so a crash never writes its memory (card digits, phrases) to disk.

use crate::util::{Running, spawn};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

/// The "Max core file size" line of /proc/<pid>/limits: (soft, hard).
fn core_limit(pid: u32) -> (String, String) {
    let limits = std::fs::read_to_string(format!("/proc/{pid}/limits")).unwrap();
    let line = limits.lines().find(|l| l.starts_with("Max core file size")).unwrap().to_owned();
    let mut words = line["Max core file size".len()..].split_whitespace();
    (words.next().unwrap().to_owned(), words.next().unwrap().to_owned())
}

#[cfg(target_os = "linux")]
#[test]
fn a_running_terminal_can_not_dump_core() {
    // The binary inherits the test's limits: where they already forbid core dumps, the
    // binary's own setting cannot be seen.
    let (_, own_hard) = core_limit(std::process::id());
    if own_hard == "0" {
        eprintln!("skipped: this machine already forbids core dumps (hard limit 0)");
        return;
    }

    let mut cmd = Command::new(env!("CARGO_BIN_EXE_moto-terminal"));
    cmd.args(["simulator", "--listen", "127.0.0.1:0"]).stdin(Stdio::null()).stdout(Stdio::piped());
    let mut simulator = Running::new(spawn(&mut cmd));
    // The first line ("listening on ...") says start-up is over.
    let mut line = String::new();
    BufReader::new(simulator.child().stdout.take().unwrap()).read_line(&mut line).unwrap();
    let limit = core_limit(simulator.child().id());
    simulator.stop();
    assert!(line.starts_with("listening on "), "{line}");
    assert_eq!(limit, ("0".to_owned(), "0".to_owned()), "soft and hard core limits are 0");
}
