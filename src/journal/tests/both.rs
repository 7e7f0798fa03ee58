//! One journal test suite for both backends.

use super::FileJournal;
use super::group;
use crate::journal::postgres;

/// A test of the journal's behaviour, run once on each backend: `name::sqlite` on a journal file
/// (through the group writer, as the application runs it) and `name::postgres` on a new
/// database of the test PostgreSQL server (`scripts/postgres-test-env`). Its body gets its
/// journal from [`journal`].
macro_rules! on_both {
    ($(#[$attr:meta])* fn $name:ident() $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            $(#[$attr])*
            fn run() $body

            #[test]
            fn sqlite() {
                run();
            }

            #[test]
            fn postgres() {
                $crate::journal::tests::use_team();
                run();
            }
        }
    };
}
pub(crate) use on_both;

thread_local! {
    /// Set by [`on_both`]'s `postgres` half: [`journal`] opens a team journal.
    static ON_TEAM: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Makes [`journal`] open a team journal on this thread.
pub(in crate::journal) fn use_team() {
    ON_TEAM.with(|team| team.set(true));
}

/// The journal under test: a journal file, or in a `postgres` test a team journal on a new
/// database.
pub(in crate::journal) fn journal() -> FileJournal {
    if ON_TEAM.with(std::cell::Cell::get) {
        FileJournal::team(&fresh_team_database())
    } else {
        group::journal()
    }
}

/// A new, empty database on the test PostgreSQL server; its URL. Without the server's URL in
/// `MOTO_TEST_POSTGRES_URL`, it fails and says how to run the tests: it never skips.
pub(in crate::journal) fn fresh_team_database() -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let server = std::env::var("MOTO_TEST_POSTGRES_URL").unwrap_or_else(|_| {
        panic!(
            "MOTO_TEST_POSTGRES_URL is not set: the journal's PostgreSQL tests need a real server. Run \
             scripts/test, or scripts/postgres-test-env cargo test --lib journal::"
        )
    });
    let name = format!("unit_{}_{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed));
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let admin = postgres::connect(&server).await.unwrap();
        admin.batch_execute(&format!("CREATE DATABASE {name}")).await.unwrap();
    });
    let (base, _) = server.rsplit_once('/').unwrap();
    format!("{base}/{name}")
}
