//! Process hardening, first thing at start-up: no core dumps.
//!
//! A crash dump is a copy of the process's memory on disk: the typed card number, the CVV and
//! the merchant's phrases would land in a file that outlives the wipes done in memory. So the
//! core file size limit is set to 0 (hard and soft, so a child cannot raise it), and on Linux
//! the process is also marked not dumpable (`PR_SET_DUMPABLE` 0), which also stops other
//! processes of the same user from attaching a debugger or reading `/proc/<pid>/mem`.
//! Both are done through `rustix`'s safe wrappers; the crate itself forbids `unsafe`.

/// Disables core dumps for this process. Called before logging is set up, so a failure is
/// printed to stderr; it is never fatal: the terminal still works, only without this protection.
pub fn disable_core_dumps() {
    #[cfg(unix)]
    {
        use rustix::process::{Resource, Rlimit, setrlimit};
        let none = Rlimit { current: Some(0), maximum: Some(0) };
        if let Err(e) = setrlimit(Resource::Core, none) {
            eprintln!("moto-terminal: warning: could not switch off core dumps: {e}");
        }
    }
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        use rustix::process::{DumpableBehavior, set_dumpable_behavior};
        if let Err(e) = set_dumpable_behavior(DumpableBehavior::NotDumpable) {
            eprintln!("moto-terminal: warning: could not mark the process not dumpable: {e}");
        }
    }
}
