//! Reusable pieces of the forms: labelled fields, the amount field, the keyed-card group, the
//! customer fields, the read-back confirmation, the outcome panel, the duplicate guard, the
//! environment banner, modals, tables, receipts and saving, and the one submit flow every
//! sending screen uses.

pub mod approval;
pub mod banner;
pub mod card;
pub mod confirm;
pub mod customer;
pub mod duplicate;
pub mod field;
pub mod modal;
pub mod money;
pub mod outcome;
pub mod pin;
pub mod receipt;
pub mod save;
pub mod submit;
pub mod table;
pub mod timeline;
pub mod token;
