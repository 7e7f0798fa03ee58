//! The one integration-test binary (ripgrep style): each module reads like a specification.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::type_complexity)]

mod aps;
mod architecture;
mod service;
mod sim;
mod store;
mod team;
mod ui;
mod util;
