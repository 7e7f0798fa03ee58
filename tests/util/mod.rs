//! Helpers shared by the integration tests.

use std::io::Write;
use std::process::{Command, Output, Stdio};

/// Runs the built binary with arguments, environment and stdin; never inherits APS_* secrets.
pub fn run_cli(args: &[&str], env: &[(&str, &str)], stdin: &str) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_moto-terminal"));
    cmd.args(args).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    for var in [
        "APS_PHRASE",
        "APS_ACCESS_CODE",
        "APS_REQUEST_PHRASE",
        "APS_RESPONSE_PHRASE",
        "MOTO_TERMINAL_DATA_DIR",
    ] {
        cmd.env_remove(var);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = spawn(&mut cmd);
    if let Some(mut input) = child.stdin.take() {
        // The binary may exit (a usage error, say) before it reads its input: a broken pipe
        // here is not a failure, the exit status and output are what the test looks at.
        if let Err(e) = input.write_all(stdin.as_bytes())
            && e.kind() != std::io::ErrorKind::BrokenPipe
        {
            panic!("could not write the binary's stdin: {e}");
        }
    }
    child.wait_with_output().expect("the binary finishes")
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Spawns, retrying briefly on "text file busy": another test thread forking at the same moment
/// can hold a descriptor to a freshly built binary for an instant.
pub fn spawn(cmd: &mut Command) -> std::process::Child {
    for _ in 0..50 {
        match cmd.spawn() {
            Ok(child) => return child,
            Err(e) if e.raw_os_error() == Some(26) => {
                std::thread::sleep(std::time::Duration::from_millis(20))
            }
            Err(e) => panic!("the moto-terminal binary does not start: {e}"),
        }
    }
    panic!("the moto-terminal binary stayed busy")
}

/// A child process killed when it is dropped, also when the test fails before it stops it: a
/// server a failed test started would otherwise run on after the whole suite.
pub struct Running(Option<std::process::Child>);

impl Running {
    pub fn new(child: std::process::Child) -> Self {
        Running(Some(child))
    }

    pub fn child(&mut self) -> &mut std::process::Child {
        self.0.as_mut().expect("the child is running until stopped")
    }

    /// Kills it and returns what it printed.
    pub fn stop(mut self) -> Output {
        let mut child = self.0.take().expect("the child is running until stopped");
        let _ = child.kill();
        child.wait_with_output().expect("the child is reaped")
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(child) = self.0.as_mut() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
