//! The audit trail as stored: entries numbered 1, 2, 3... without gaps, each sealed by the
//! service (an HMAC over its content and the previous entry's seal, `service::audit`), and a
//! sealed head naming the last entry, so removing entries from the end shows too.
//!
//! Appending numbers, seals and inserts in one write transaction under the `audit` lock: two
//! desks appending at once take turns, and the chain stays one line.

use super::db::params;
use super::rows::{DbRow, parse_ts};
use super::*;

/// One audit entry. `seq` and `mac` are filled in by [`Journal::append_audit`].
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct AuditEntry {
    pub seq: i64,
    pub at: DateTime<Utc>,
    /// Who did it (the signed-in operator, else the desk's operator name).
    pub operator: String,
    pub terminal: String,
    /// What was done, in one word (`sign-in`, `refund`, `operator-add`...).
    pub action: String,
    pub profile: Option<String>,
    pub reference: Option<String>,
    pub amount_minor: Option<i64>,
    pub currency: Option<String>,
    /// How it ended (`approved`, `declined`, `refused`, `ok`...).
    pub result: String,
    /// Anything else worth knowing, in words (never a secret or a card number).
    pub detail: String,
    /// The seal, hex.
    pub mac: String,
}

/// The sealed pointer to the last entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditHead {
    pub seq: i64,
    pub mac: String,
    /// The seal over `seq` and `mac`.
    pub seal: String,
}

/// How the service seals: the journal only stores what it is given.
pub trait AuditSeal: Send + 'static {
    /// The seal of `entry` (its `mac` not yet set) following an entry sealed `previous` ("" for
    /// the first).
    fn entry(&self, entry: &AuditEntry, previous: &str) -> String;
    /// The seal of the head naming entry `seq`, sealed `mac`.
    fn head(&self, seq: i64, mac: &str) -> String;
    /// What the journal records of the key ([`AUDIT_KEY_CHECK`]), to tell it from another.
    fn key_check(&self) -> String;
}

/// The journal's record of its audit key (`meta`): a seal made with it, never the key.
pub const AUDIT_KEY_CHECK: &str = "audit_key_check";

const COLUMNS: &str = "seq, happened_at, operator, terminal, action, profile, reference, amount_minor, currency, result, detail, mac";

fn from_row(row: &DbRow<'_>) -> Result<AuditEntry, JournalError> {
    let at: String = row.get(1)?;
    Ok(AuditEntry {
        seq: row.get(0)?,
        at: parse_ts(&at).map_err(|e| rows::bad(1, e))?,
        operator: row.get(2)?,
        terminal: row.get(3)?,
        action: row.get(4)?,
        profile: row.get(5)?,
        reference: row.get(6)?,
        amount_minor: row.get(7)?,
        currency: row.get(8)?,
        result: row.get(9)?,
        detail: row.get(10)?,
        mac: row.get(11)?,
    })
}

const HEAD: &str = "audit_head";

fn parse_head(text: &str) -> Option<AuditHead> {
    let mut parts = text.splitn(3, ':');
    let seq = parts.next()?.parse().ok()?;
    Some(AuditHead { seq, mac: parts.next()?.to_owned(), seal: parts.next()?.to_owned() })
}

impl Journal {
    /// Appends `entry` after the last one: numbers it, seals it and moves the head, in one
    /// transaction. Returns it as stored.
    ///
    /// # Errors
    /// Database failure (nothing is appended).
    pub fn append_audit(&self, entry: AuditEntry, seal: impl AuditSeal) -> Result<AuditEntry, JournalError> {
        self.write_now(move |db| append_in(db, entry, &seal, Head::SealedByThisKey))
    }

    /// Starts the trail with `seal`'s key unless it has one: the key's record and the sealed
    /// head of an empty trail (entry 0), in one transaction, so a started trail always has a
    /// head. Returns the record as it now is: another process's, if it came first.
    ///
    /// # Errors
    /// The trail has entries or a head but no record (it was removed outside moto-terminal;
    /// nothing is started over it), or a database failure.
    pub fn start_audit(&self, seal: impl AuditSeal) -> Result<String, JournalError> {
        self.write_now(move |db| {
            db.lock("meta")?;
            let (check, head, entries) = db.query_one(
                "SELECT (SELECT value FROM meta WHERE key = ?1), (SELECT value FROM meta WHERE key = ?2),
                        (SELECT COUNT(*) FROM audit)",
                params![AUDIT_KEY_CHECK, HEAD],
                |r| Ok((r.get::<Option<String>>(0)?, r.get::<Option<String>>(1)?, r.get::<i64>(2)?)),
            )?;
            match check {
                Some(check) => Ok(check),
                None if head.is_some() || entries > 0 => Err(JournalError::NotAllowed(
                    "the journal's record of its audit key is gone though its audit trail is not empty: the journal was changed outside moto-terminal, and no new key is started over it. Keep this journal file for inspection, and restore the journal from a backup to go on".into(),
                )),
                None => {
                    let check = seal.key_check();
                    set_meta_in(db, AUDIT_KEY_CHECK, &check)?;
                    set_meta_in(db, HEAD, &format!("0::{}", seal.head(0, "")))?;
                    Ok(check)
                }
            }
        })
    }

    /// Starts sealing the trail with a new key, `seal`'s, in one transaction: its record
    /// ([`AUDIT_KEY_CHECK`]) replaces `old_check`, and `entry` is appended, sealed with it.
    ///
    /// # Errors
    /// The record is no longer `old_check` (another renewal came first), the head is no
    /// longer `old_head` (an entry was appended since it was read), or a database failure;
    /// nothing is changed.
    pub fn renew_audit_key(
        &self,
        entry: AuditEntry,
        seal: impl AuditSeal,
        old_check: &str,
        old_head: Option<&AuditHead>,
    ) -> Result<AuditEntry, JournalError> {
        let old_check = old_check.to_owned();
        let old_head = old_head.map(|h| (h.seq, h.mac.clone()));
        self.write_now(move |db| {
            db.lock("meta")?;
            if key_check_in(db)?.is_none_or(|c| !c.eq_ignore_ascii_case(&old_check)) {
                return Err(JournalError::Internal(
                    "the audit key was renewed meanwhile: nothing was changed".into(),
                ));
            }
            let head =
                db.query_opt("SELECT value FROM meta WHERE key = ?1", params![HEAD], |r| r.get::<String>(0))?;
            if head.as_deref().and_then(parse_head).map(|h| (h.seq, h.mac)) != old_head {
                return Err(JournalError::Internal(
                    "the audit trail changed while its key was being renewed: nothing was changed; try again"
                        .into(),
                ));
            }
            set_meta_in(db, AUDIT_KEY_CHECK, &seal.key_check())?;
            append_in(db, entry, &seal, Head::SealedByLostKey)
        })
    }

    /// Entries from `since` on (all when `None`), of one operator or all, oldest first.
    ///
    /// # Errors
    /// Database failure or an unreadable entry.
    pub fn audit_entries(
        &self,
        since: Option<DateTime<Utc>>,
        operator: Option<&str>,
    ) -> Result<Vec<AuditEntry>, JournalError> {
        let since = since.map(|t| ts(&t));
        let sql = format!(
            "SELECT {COLUMNS} FROM audit WHERE (CAST(?1 AS TEXT) IS NULL OR happened_at >= ?1)
             AND (CAST(?2 AS TEXT) IS NULL OR operator = ?2) ORDER BY seq"
        );
        self.read(|db| db.query_map(&sql, params![since, operator], from_row))
    }

    /// The head as stored (`None` before the first entry, or when it is unreadable).
    ///
    /// # Errors
    /// Database failure.
    pub fn audit_head(&self) -> Result<Option<AuditHead>, JournalError> {
        Ok(self.meta(HEAD)?.as_deref().and_then(parse_head))
    }

    /// A value of the journal's own settings (`meta`).
    ///
    /// # Errors
    /// Database failure.
    pub fn meta(&self, key: &str) -> Result<Option<String>, JournalError> {
        self.read(|db| db.query_opt("SELECT value FROM meta WHERE key = ?1", params![key], |r| r.get(0)))
    }

    /// Sets `key` to `value` unless it is set already; returns the value it now has.
    ///
    /// # Errors
    /// Database failure.
    pub fn meta_once(&self, key: &str, value: &str) -> Result<String, JournalError> {
        let (key, value) = (key.to_owned(), value.to_owned());
        self.write_now(move |db| {
            db.lock("meta")?;
            if let Some(v) =
                db.query_opt("SELECT value FROM meta WHERE key = ?1", params![key], |r| r.get(0))?
            {
                return Ok(v);
            }
            db.execute("INSERT INTO meta (key, value) VALUES (?1, ?2)", params![key, value])?;
            Ok(value)
        })
    }
}

fn set_meta_in(db: Db<'_>, key: &str, value: &str) -> Result<(), JournalError> {
    if db.execute("UPDATE meta SET value = ?2 WHERE key = ?1", params![key, value])? == 0 {
        db.execute("INSERT INTO meta (key, value) VALUES (?1, ?2)", params![key, value])?;
    }
    Ok(())
}

fn key_check_in(db: Db<'_>) -> Result<Option<String>, JournalError> {
    db.query_opt("SELECT value FROM meta WHERE key = ?1", params![AUDIT_KEY_CHECK], |r| r.get(0))
}

/// Who sealed the head an append moves on from.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Head {
    SealedByThisKey,
    /// A key renewal's: the head was sealed with the key it replaces.
    SealedByLostKey,
}

/// Appends `entry` after the last one: numbers it, seals it and moves the head. A seal whose
/// key is not the journal's (a process holding a key since renewed) appends nothing: its
/// entry would break the chain for everyone. Nor does a trail whose head no longer names its
/// last entry as stored (entries removed from its end, or the head removed): moving the head
/// on would hide that.
fn append_in(
    db: Db<'_>,
    entry: AuditEntry,
    seal: &impl AuditSeal,
    head: Head,
) -> Result<AuditEntry, JournalError> {
    db.lock("audit")?;
    // The key's record, the last entry and the head in one query (one round trip on PostgreSQL).
    let (check, last, stored_head) = db.query_one(
        "SELECT (SELECT value FROM meta WHERE key = ?1),
                (SELECT seq FROM audit ORDER BY seq DESC LIMIT 1),
                (SELECT mac FROM audit ORDER BY seq DESC LIMIT 1),
                (SELECT value FROM meta WHERE key = ?2)",
        params![AUDIT_KEY_CHECK, HEAD],
        |r| {
            let last = (r.get::<Option<i64>>(1)?, r.get::<Option<String>>(2)?);
            Ok((r.get::<Option<String>>(0)?, last, r.get::<Option<String>>(3)?))
        },
    )?;
    match check {
        None => {
            return Err(JournalError::NotAllowed(
                "the journal's record of its audit key is gone: the journal was changed outside moto-terminal, and nothing was appended to its audit trail. Keep this journal file for inspection".into(),
            ));
        }
        Some(check) if !check.eq_ignore_ascii_case(&seal.key_check()) => {
            return Err(JournalError::Internal(
                "the journal's audit key changed since this process loaded it: nothing was appended".into(),
            ));
        }
        Some(_) => check_head(stored_head.as_deref().and_then(parse_head), &last, seal, head)?,
    }
    let (seq, previous) = match last {
        (Some(seq), Some(mac)) => (seq + 1, mac),
        _ => (1, String::new()),
    };
    // Sealed as it will read back: the stored time has microseconds.
    let at = parse_ts(&ts(&entry.at)).map_err(JournalError::Internal)?;
    let mut entry = AuditEntry { seq, at, ..entry };
    entry.mac = seal.entry(&entry, &previous);
    let e = &entry;
    db.execute(
        &format!("INSERT INTO audit ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)"),
        params![
            e.seq,
            ts(&e.at),
            e.operator,
            e.terminal,
            e.action,
            e.profile,
            e.reference,
            e.amount_minor,
            e.currency,
            e.result,
            e.detail,
            e.mac
        ],
    )?;
    let head = format!("{}:{}:{}", e.seq, e.mac, seal.head(e.seq, &e.mac));
    set_meta_in(db, HEAD, &head)?;
    Ok(entry)
}

/// That the head names the last entry as stored (entry 0 of an empty trail), sealed with
/// `seal`'s key unless it is a renewal's.
fn check_head(
    stored: Option<AuditHead>,
    last: &(Option<i64>, Option<String>),
    seal: &impl AuditSeal,
    head: Head,
) -> Result<(), JournalError> {
    let (seq, mac) = (last.0.unwrap_or(0), last.1.as_deref().unwrap_or(""));
    let why = match stored {
        // A renewal of a trail an earlier version started (its record first, its head once its
        // key was stored) whose key was never stored: no head, and no entry.
        None if head == Head::SealedByLostKey && last.0.is_none() => return Ok(()),
        None => "its head is missing".to_owned(),
        Some(h) if h.seq != seq || !h.mac.eq_ignore_ascii_case(mac) => {
            format!("its head names entry {}, its last entry is {seq}", h.seq)
        }
        Some(h)
            if head == Head::SealedByThisKey && !h.seal.eq_ignore_ascii_case(&seal.head(h.seq, &h.mac)) =>
        {
            "its head does not verify".to_owned()
        }
        Some(_) => return Ok(()),
    };
    Err(JournalError::NotAllowed(format!(
        "the audit trail was changed outside moto-terminal ({why}): nothing was appended to it, so the change stays visible to `moto-terminal audit verify`. Keep this journal file for inspection"
    )))
}
