//! Batch files: a stack of orders in one CSV, checked (`file`, pure; `plan`, against the
//! journal), then run through the same exactly-once path as single charges (`run`), resumable
//! after a crash, with each row's outcome read back from the journal (`show`). `start` offers the other ways in:
//! an unfinished batch read again, and captures chosen in History.

mod aps_calls;
mod aps_links;
mod aps_rows;
pub mod file;
pub mod outcome;
pub mod plan;
pub mod run;
mod show;
mod start;
pub mod via_aps;
