//! Operators: who may sign in at a terminal, with which role, and the state of their PIN
//! (its Argon2id hash, wrong tries in a row, a lockout). Kept in the journal, so a team journal
//! shares its operators with every desk. What a role may do is the service's business
//! (`service::access`); this module only stores.

use super::db::params;
use super::rows::{DbRow, parse_ts};
use super::*;

/// An operator account as stored. The PIN's hash never leaves through `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct OperatorRecord {
    /// Lower case, as signed in with.
    pub name: String,
    /// `agent`, `supervisor` or `admin`.
    pub role: String,
    /// The PHC string of the PIN's Argon2id hash.
    pub pin_hash: String,
    pub disabled: bool,
    /// Wrong PINs in a row since the last good one.
    pub failed_pins: i64,
    /// Refused until then after too many wrong PINs.
    pub locked_until: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl std::fmt::Debug for OperatorRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OperatorRecord")
            .field("name", &self.name)
            .field("role", &self.role)
            .field("disabled", &self.disabled)
            .field("failed_pins", &self.failed_pins)
            .field("locked_until", &self.locked_until)
            .finish_non_exhaustive()
    }
}

const COLUMNS: &str = "name, role, pin_hash, disabled, failed_pins, locked_until, created_at";

fn from_row(row: &DbRow<'_>) -> Result<OperatorRecord, JournalError> {
    let locked: Option<String> = row.get(5)?;
    let created: String = row.get(6)?;
    Ok(OperatorRecord {
        name: row.get(0)?,
        role: row.get(1)?,
        pin_hash: row.get(2)?,
        disabled: row.get::<i64>(3)? != 0,
        failed_pins: row.get(4)?,
        locked_until: locked.map(|t| parse_ts(&t).map_err(|e| rows::bad(5, e))).transpose()?,
        created_at: parse_ts(&created).map_err(|e| rows::bad(6, e))?,
    })
}

/// What a change to an operator sets; `None` leaves a column as it is.
#[derive(Clone, Default)]
pub struct OperatorChange {
    pub role: Option<String>,
    pub pin_hash: Option<String>,
    pub disabled: Option<bool>,
}

impl Journal {
    /// Every operator, by name.
    ///
    /// # Errors
    /// Database failure.
    pub fn operators(&self) -> Result<Vec<OperatorRecord>, JournalError> {
        let sql = format!("SELECT {COLUMNS} FROM operators ORDER BY name");
        self.read(|db| db.query_map(&sql, &[], from_row))
    }

    /// One operator by name (lower case).
    ///
    /// # Errors
    /// Database failure.
    pub fn operator(&self, name: &str) -> Result<Option<OperatorRecord>, JournalError> {
        let sql = format!("SELECT {COLUMNS} FROM operators WHERE name = ?1");
        self.read(|db| db.query_opt(&sql, params![name], from_row))
    }

    /// True once any operator exists: the terminal then needs someone signed in.
    ///
    /// # Errors
    /// Database failure.
    pub fn has_operators(&self) -> Result<bool, JournalError> {
        self.read(|db| db.query_opt("SELECT 1 FROM operators LIMIT 1", &[], |_| Ok(()))).map(|r| r.is_some())
    }

    /// Adds an operator. `first_must_be` names the role the very first operator must have;
    /// `bootstrap` (nobody signed in) allows only the very first. Both are checked in the same
    /// transaction, so two desks adding their first cannot both pass.
    ///
    /// # Errors
    /// [`JournalError::Invalid`] when the name is taken or the first operator has another role.
    pub fn add_operator(
        &self,
        op: &OperatorRecord,
        first_must_be: &str,
        bootstrap: bool,
    ) -> Result<(), JournalError> {
        let (op, first) = (op.clone(), first_must_be.to_owned());
        self.write_now(move |db| {
            db.lock("operators")?;
            let any = db.query_opt("SELECT 1 FROM operators LIMIT 1", &[], |_| Ok(()))?.is_some();
            if any && bootstrap {
                // Added by nobody signed in: only the very first may be, and another desk was first.
                return Err(JournalError::NotAllowed(
                    "not allowed: operators are defined now (another desk added one): sign in as an admin to add more"
                        .into(),
                ));
            }
            if !any && op.role != first {
                return Err(JournalError::Invalid {
                    field: Field::Operator,
                    problem: format!("the first operator must be an {first}, who can then add the others"),
                });
            }
            if db
                .query_opt("SELECT 1 FROM operators WHERE name = ?1", params![op.name], |_| Ok(()))?
                .is_some()
            {
                return Err(JournalError::Invalid {
                    field: Field::Operator,
                    problem: format!("there is already an operator \"{}\"", op.name),
                });
            }
            let now = ts(&op.created_at);
            db.execute(
                "INSERT INTO operators (name, role, pin_hash, disabled, failed_pins, created_at, updated_at)
                 VALUES (?1, ?2, ?3, 0, 0, ?4, ?4)",
                params![op.name, op.role, op.pin_hash, now],
            )?;
            Ok(())
        })
    }

    /// Changes an operator's role, PIN or whether they may sign in. A new PIN also clears wrong
    /// tries and a lockout.
    ///
    /// # Errors
    /// [`JournalError::Invalid`] for an unknown operator.
    pub fn change_operator(&self, name: &str, change: &OperatorChange) -> Result<(), JournalError> {
        let (name, c) = (name.to_owned(), change.clone());
        self.write_now(move |db| {
            let now = ts(&Utc::now());
            let changed = db.execute(
                "UPDATE operators SET role = COALESCE(?2, role), pin_hash = COALESCE(?3, pin_hash),
                    disabled = COALESCE(?4, disabled),
                    failed_pins = CASE WHEN ?3 IS NULL THEN failed_pins ELSE 0 END,
                    locked_until = CASE WHEN ?3 IS NULL THEN locked_until ELSE NULL END,
                    updated_at = ?5
                 WHERE name = ?1",
                params![name, c.role, c.pin_hash, c.disabled.map(i64::from), now],
            )?;
            if changed == 0 {
                return Err(JournalError::Invalid {
                    field: Field::Operator,
                    problem: format!(
                        "there is no operator \"{name}\": `moto-terminal operator list` shows them"
                    ),
                });
            }
            Ok(())
        })
    }

    /// Claims one PIN try before the PIN is checked: counted at once, so tries made at the same
    /// moment from several desks or processes cannot exceed `limit` between lockouts. `None`
    /// when the operator is locked (or `limit` tries are already in progress).
    ///
    /// # Errors
    /// Database failure.
    pub fn claim_pin_try(
        &self,
        name: &str,
        limit: i64,
        now: DateTime<Utc>,
    ) -> Result<Option<OperatorRecord>, JournalError> {
        let (name, now) = (name.to_owned(), ts(&now));
        let sql = format!(
            "UPDATE operators SET failed_pins = failed_pins + 1, locked_until = NULL
             WHERE name = ?1 AND failed_pins < ?2 AND (locked_until IS NULL OR locked_until <= ?3)
             RETURNING {COLUMNS}"
        );
        self.write_now(move |db| db.query_opt(&sql, params![name, limit, now], from_row))
    }

    /// The claimed try was a wrong PIN: at `limit` tries counted the operator is locked until
    /// `until` (and the count starts again). Returns the operator as now stored.
    ///
    /// # Errors
    /// Database failure.
    pub fn pin_failed(
        &self,
        name: &str,
        limit: i64,
        until: DateTime<Utc>,
    ) -> Result<Option<OperatorRecord>, JournalError> {
        let (name, until) = (name.to_owned(), ts(&until));
        let sql = format!(
            "UPDATE operators SET
                locked_until = CASE WHEN failed_pins >= ?2 THEN ?3 ELSE locked_until END,
                failed_pins = CASE WHEN failed_pins >= ?2 THEN 0 ELSE failed_pins END
             WHERE name = ?1 RETURNING {COLUMNS}"
        );
        self.write_now(move |db| db.query_opt(&sql, params![name, limit, until], from_row))
    }

    /// The claimed try was the right PIN: the count starts again (a lockout set meanwhile by
    /// another try stays).
    ///
    /// # Errors
    /// Database failure.
    pub fn pin_accepted(&self, name: &str) -> Result<(), JournalError> {
        let name = name.to_owned();
        self.write_now(move |db| {
            db.execute(
                "UPDATE operators SET failed_pins = 0 WHERE name = ?1 AND locked_until IS NULL",
                params![name],
            )?;
            Ok(())
        })
    }
}
