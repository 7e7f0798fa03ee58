//! The team journal against a real PostgreSQL: the server `scripts/postgres-test-env` starts
//! (`scripts/test` runs the suite inside it). Without `MOTO_TEST_POSTGRES_URL` these tests fail
//! and say how to run them; they never skip.

mod connect;
mod migrate;

use std::sync::atomic::{AtomicU32, Ordering};

/// The test server's URL (a superuser on its `moto` database).
pub fn server_url() -> String {
    std::env::var("MOTO_TEST_POSTGRES_URL").unwrap_or_else(|_| {
        panic!(
            "MOTO_TEST_POSTGRES_URL is not set: these tests need a real PostgreSQL. Run them with \
             scripts/test, or scripts/postgres-test-env cargo test --test tests team::"
        )
    })
}

/// A new, empty database on the test server, for one test; returns its URL.
pub async fn fresh_database(purpose: &str) -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let name = format!("{purpose}_{}_{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed));
    let admin = moto_terminal::journal::postgres::connect(&server_url()).await.unwrap();
    admin.batch_execute(&format!("CREATE DATABASE {name}")).await.unwrap();
    let base = server_url();
    let (server, _) = base.rsplit_once('/').unwrap();
    format!("{server}/{name}")
}
