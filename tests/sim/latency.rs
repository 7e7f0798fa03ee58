//! `SimConfig::latency` (`simulator --latency-ms N`): every answer is late by the latency, and
//! requests in flight together are late together, not one after another.

use super::*;
use std::sync::Arc;
use std::time::{Duration, Instant};

const LATENCY: Duration = Duration::from_millis(100);
const REQUESTS: usize = 10;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_answer_is_late_and_concurrent_requests_wait_side_by_side() {
    let sim = Arc::new(start(SimConfig { latency: LATENCY, ..SimConfig::demo() }).await);
    let started = Instant::now();
    let mut requests = tokio::task::JoinSet::new();
    for _ in 0..REQUESTS {
        let sim = Arc::clone(&sim);
        requests.spawn(async move {
            let sent = Instant::now();
            let answer = sim.purchase(&reference("LATE"), 1000, "DEMO-VISA-0001").await;
            (code(&answer).to_owned(), sent.elapsed())
        });
    }
    let mut took = Vec::new();
    while let Some(done) = requests.join_next().await {
        let (code, elapsed) = done.unwrap();
        assert_eq!(code, "14000");
        took.push(elapsed);
    }
    let all = started.elapsed();
    assert_eq!(took.len(), REQUESTS);
    for elapsed in &took {
        assert!(*elapsed >= LATENCY, "an answer came {elapsed:?} after its request, before the latency");
    }
    // Ten answers one after another would take a second; side by side they take one latency
    // plus the work, far below this bound even on a busy machine.
    assert!(all < LATENCY * 6, "{REQUESTS} concurrent requests took {all:?}: the latency serialised them");
    // The orders were processed as usual: each one is committed once.
    assert_eq!(sim.truth().await.0.len(), REQUESTS);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_control_api_and_a_simulator_without_latency_answer_at_once() {
    let sim = start(SimConfig { latency: Duration::from_secs(5), ..SimConfig::demo() }).await;
    // The control API is the test bench's, not APS's: it is never delayed.
    let started = Instant::now();
    let _ = sim.truth().await;
    assert!(started.elapsed() < Duration::from_secs(5), "the control API waited for the latency");
    assert_eq!(SimConfig::demo().latency, Duration::ZERO, "the Demo merchant has no added latency");
}
