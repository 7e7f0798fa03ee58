//! Batch processing: a file of orders run through the same exactly-once path as single charges.

pub mod file;
