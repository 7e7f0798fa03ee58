//! Batch files: a stack of orders in one CSV, checked, then run through the same exactly-once
//! path as single charges, resumable after a crash.

pub mod outcome;
pub mod run;
mod show;
