//! Reusable pieces of the forms: labelled fields, the amount field, the keyed-card group, the
//! read-back confirmation, the outcome panel, the duplicate guard and the environment banner.

pub mod banner;
pub mod card;
pub mod confirm;
pub mod duplicate;
pub mod field;
pub mod money;
pub mod outcome;
pub mod token;
