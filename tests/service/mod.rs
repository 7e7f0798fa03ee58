//! The service against the simulator over real HTTP: exactly-once charging under every fault,
//! crash recovery, the duplicate guard, maintenance rules and the CLI.

mod answers;
mod audit_chain;
mod batch_aps;
mod batch_cli;
mod batch_links;
mod batch_run;
mod batch_start;
mod card_guard;
mod cli;
mod faults;
mod feedback;
mod flows;
mod harden;
mod hardening;
mod http2;
mod journal_choice;
mod link_status;
pub mod outside;
mod receipts;
mod recurring_cli;
mod recurring_run;
mod recurring_setup;
pub mod rig;
mod roles;
mod roles_team;
mod sessions;
mod team_desks;
mod tls;
mod token_book;
mod who;
