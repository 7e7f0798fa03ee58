//! The audit trail's HMAC chain: how an entry and the head are sealed, and how the chain is
//! verified (pure), and the key it is sealed with (one per journal, in the OS keychain).
//!
//! Each entry's seal is HMAC-SHA256 over its number, its content and the previous entry's
//! seal. Changing an entry breaks its own seal; removing or moving one breaks the numbering or
//! the next seal; removing entries from the end leaves the sealed head pointing past the last.
//! A trail is started with its key's record and the sealed head of entry 0 together, so a
//! started trail always has a head (a head is never written afresh over a started trail: the
//! removal of a whole trail and its head stays visible); and an entry is appended only after a
//! head that names the last entry as stored, while the record is there, so the next audited
//! action never hides a removal by moving the head on. (A trail an earlier version started and
//! left with a record but no head yet, for the moments between storing its key and writing its
//! head, reads as changed: a renewal starts it again when its key was never stored.)
//!
//! A desk journal whose key is lost from the keychain (the keychain was reset, or the journal
//! came from another computer) would otherwise never audit again, and so never charge. An
//! admin may renew its key ([`renew_key`]): the renewal is an entry of the trail, sealed with
//! the new key over the last entry's seal as stored, and from then on the chain is verified
//! from the last renewal. The entries before it stay in the trail, numbered and counted, but
//! can no longer be verified, and `audit verify` says so. Making a renewal entry needs the new
//! key, so one cannot be forged in the database; a team journal's key is never renewed (its
//! other desks hold it).

use crate::aps::secret::Secret;
use crate::aps::sign::{Algorithm, digest, equal_ignoring_hex_case};
use crate::journal::{AUDIT_KEY_CHECK, AuditEntry, AuditHead, AuditSeal, Journal};
use crate::vault::Vault;

/// The action of the entry that starts a new key (see the module docs).
pub(crate) const RENEWED: &str = "audit-key-renewed";
const JOURNAL_ID: &str = "journal_id";

/// Seals with one key.
#[derive(Clone)]
pub(crate) struct Chain {
    key: Secret,
}

impl Chain {
    pub(crate) fn new(key: Secret) -> Self {
        Self { key }
    }

    fn mac(&self, text: &str) -> String {
        digest(Algorithm::HmacSha256, self.key.expose(), text)
    }

    fn check(&self) -> String {
        self.mac("moto-terminal audit key check v1")
    }
}

/// Every field, each with its length in front, so no two different entries read the same.
fn canonical(e: &AuditEntry, previous: &str) -> String {
    let at = e.at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    let amount = e.amount_minor.map(|a| a.to_string());
    let fields: [&str; 12] = [
        "moto-terminal audit v1",
        &at,
        &e.operator,
        &e.terminal,
        &e.action,
        e.profile.as_deref().unwrap_or("\u{0}"),
        e.reference.as_deref().unwrap_or("\u{0}"),
        amount.as_deref().unwrap_or("\u{0}"),
        e.currency.as_deref().unwrap_or("\u{0}"),
        &e.result,
        &e.detail,
        previous,
    ];
    let mut out = format!("{}|", e.seq);
    for f in fields {
        out.push_str(&format!("{}:{f}|", f.len()));
    }
    out
}

impl AuditSeal for Chain {
    fn entry(&self, entry: &AuditEntry, previous: &str) -> String {
        self.mac(&canonical(entry, previous))
    }

    fn head(&self, seq: i64, mac: &str) -> String {
        self.mac(&format!("moto-terminal audit head v1|{seq}|{mac}"))
    }

    fn key_check(&self) -> String {
        self.check()
    }
}

/// Where the chain first fails to verify.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Broken {
    /// The entry number named.
    pub seq: i64,
    pub why: String,
}

/// How much of the trail verified.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Intact {
    /// Every entry, counted and numbered without gaps.
    pub entries: usize,
    /// Of those, the ones before the last key renewal: sealed with a lost key, not verified.
    pub unverified: usize,
}

/// Verifies `entries` (all of them, in `seq` order as read) against `head`: the numbering of
/// all, the seals from the last key renewal on (see the module docs).
///
/// # Errors
/// The first entry that does not verify, and why.
pub(crate) fn verify(
    entries: &[AuditEntry],
    head: Option<&AuditHead>,
    chain: &Chain,
    started: bool,
) -> Result<Intact, Broken> {
    let from = entries.iter().rposition(|e| e.action == RENEWED).unwrap_or(0);
    let mut previous = from.checked_sub(1).map(|i| entries[i].mac.clone()).unwrap_or_default();
    for (i, e) in entries.iter().enumerate() {
        let expected = i as i64 + 1;
        if e.seq != expected {
            return Err(Broken {
                seq: expected,
                why: format!(
                    "entry {expected} is missing (the next entry is {}): entries were removed",
                    e.seq
                ),
            });
        }
        if i < from {
            continue;
        }
        if !equal_ignoring_hex_case(&chain.entry(e, &previous), &e.mac) {
            return Err(Broken {
                seq: e.seq,
                why: format!(
                    "entry {} ({} {} by {}) does not verify: it was changed, or an entry before it was removed or moved",
                    e.seq,
                    e.at.format("%Y-%m-%d %H:%M:%S UTC"),
                    e.action,
                    e.operator
                ),
            });
        }
        previous.clone_from(&e.mac);
    }
    let last = entries.len() as i64;
    match head {
        // A trail is started with a sealed head naming entry 0, before its first entry.
        None if last == 0 && !started => Ok(Intact { entries: 0, unverified: 0 }),
        None => Err(Broken { seq: last, why: "the chain's head is missing: it was removed".into() }),
        Some(h) if !equal_ignoring_hex_case(&chain.head(h.seq, &h.mac), &h.seal) => {
            Err(Broken { seq: h.seq, why: "the chain's head does not verify: it was changed".into() })
        }
        Some(h) if h.seq > last => Err(Broken {
            seq: last + 1,
            why: match h.seq - last {
                1 => format!("entry {} is missing: it was removed from the end", h.seq),
                _ => format!("entries {} to {} are missing: they were removed from the end", last + 1, h.seq),
            },
        }),
        Some(h) if h.seq < last || !equal_ignoring_hex_case(&h.mac, &previous) => Err(Broken {
            seq: h.seq + 1,
            why: format!("entry {} was not appended by moto-terminal", h.seq + 1),
        }),
        Some(_) => Ok(Intact { entries: entries.len(), unverified: from }),
    }
}

/// This journal's audit key from the keychain, made on first use. A journal whose key was made
/// elsewhere (a team journal) needs it imported first: auditing with another key would break
/// the chain for everyone.
///
/// # Errors
/// In words: the key is missing or not this journal's, or the keychain or journal fails.
pub(crate) fn load_key(vault: &Vault, journal: &Journal) -> Result<Chain, String> {
    let id = journal_id(journal)?;
    let check = journal.meta(AUDIT_KEY_CHECK).map_err(|e| e.to_string())?;
    let held = vault.audit_key(&id).map_err(|e| e.to_string())?;
    match (held, check) {
        // The record is always written before a key is stored (on start, import and renewal):
        // a key seen without it was stored after the record was read, by another process of
        // this computer starting the trail this moment, or the record was removed since. The
        // record read again tells which.
        (Some(key), None) => match journal.meta(AUDIT_KEY_CHECK).map_err(|e| e.to_string())? {
            Some(stored) => with_key(key, &stored),
            None => Err(format!(
                "{}: the journal's record of its audit key is gone though this desk holds the key: the journal was changed outside moto-terminal (its audit trail may have been removed). Keep this journal file for inspection, and restore the journal from a backup to go on",
                wrong_key()
            )),
        },
        (Some(key), Some(stored)) => with_key(key, &stored),
        (None, None) => {
            let chain = Chain::new(Vault::new_audit_key().map_err(|e| e.to_string())?);
            // The journal's record (with the trail's head) first: of two desks starting the
            // trail at once, one key wins and only the winner stores its key.
            let stored = journal.start_audit(chain.clone()).map_err(|e| e.to_string())?;
            if !equal_ignoring_hex_case(&stored, &chain.check()) {
                return winners_key(vault, &id, &stored);
            }
            vault.set_audit_key(&id, &chain.key).map_err(|e| e.to_string())?;
            Ok(chain)
        }
        (None, Some(check)) => {
            let missing = match journal.audit_head().map_err(|e| e.to_string())? {
                // A trail started a moment ago, by another process on this computer perhaps:
                // its key may be on its way to this same keychain. Wait for it before saying
                // the key was made elsewhere.
                None | Some(AuditHead { seq: 0, .. }) => winners_key(vault, &id, &check),
                // Entries were sealed, so the key was stored somewhere before them: no wait
                // (each action would otherwise take three seconds to be refused). It may have
                // been stored here since the keychain was read: read it once more, and the
                // record with it (a renewal stores its key after its record).
                Some(_) => match vault.audit_key(&id).map_err(|e| e.to_string())? {
                    Some(key) => {
                        let stored = journal.meta(AUDIT_KEY_CHECK).map_err(|e| e.to_string())?;
                        return with_key(key, stored.as_deref().unwrap_or(&check));
                    }
                    None => Err(format!("{}. {}", missing_key(), import_hint())),
                },
            };
            missing.map_err(|e| with_renewal(journal, e))
        }
    }
}

/// The chain of `key`, when it is the one the journal's record `stored` names.
fn with_key(key: Secret, stored: &str) -> Result<Chain, String> {
    let chain = Chain::new(key);
    if !equal_ignoring_hex_case(stored, &chain.check()) {
        return Err(format!(
            "{}: this desk holds another journal's audit key. {}",
            wrong_key(),
            import_hint()
        ));
    }
    Ok(chain)
}

/// On a desk journal no other desk holds the key: the way out is to renew it.
fn with_renewal(journal: &Journal, missing: String) -> String {
    if journal.is_team() {
        return missing;
    }
    format!(
        "{}: its key is not in this computer's keychain (the keychain was reset, or the journal was copied from another computer). If the key was kept, an admin imports it with `moto-terminal audit key import`; otherwise an admin starts a new one with `moto-terminal audit key renew`, or Audit (F11) on the desktop (the entries so far stay, but can no longer be verified)",
        wrong_key()
    )
}

/// Starts sealing a desk journal's trail with a new key when this keychain holds no key for
/// it (see the module docs). First, what can be checked without a key must hold: entries
/// numbered without gaps, and the head naming the last one as it is. Then, in one journal
/// transaction, the journal's record of its key changes and `entry` (the renewal, its action
/// [`RENEWED`], its detail naming the head and record it replaced) is appended, sealed with
/// the new key; then the key is stored. Returns the entry as stored and the new chain.
///
/// # Errors
/// In words: a team journal, a trail with no key yet, a keychain that holds a key for this
/// journal (its own, or one that does not match: evidence, never overwritten), a trail whose
/// numbering or head was changed, or the keychain or journal fails.
pub(crate) fn renew_key(
    vault: &Vault,
    journal: &Journal,
    entry: AuditEntry,
) -> Result<(AuditEntry, Chain), String> {
    if journal.is_team() {
        return Err(format!(
            "a team journal's audit key is held by its other desks and is never renewed. {}",
            import_hint()
        ));
    }
    let id = journal_id(journal)?;
    let Some(check) = journal.meta(AUDIT_KEY_CHECK).map_err(|e| e.to_string())? else {
        return Err("the audit trail has no key yet: the first audited action makes one".into());
    };
    match vault.audit_key(&id).map_err(|e| e.to_string())? {
        Some(held) if equal_ignoring_hex_case(&Chain::new(held.clone()).check(), &check) => {
            return Err("this desk holds the journal's audit key: there is nothing to renew".into());
        }
        Some(_) => {
            return Err(format!(
                "{}: this desk holds an audit key for this journal that the journal does not match, so the journal's record of its key was changed; renewing would replace the key that can show what changed, so nothing was done",
                wrong_key()
            ));
        }
        None => {}
    }
    let entries = journal.audit_entries(None, None).map_err(|e| e.to_string())?;
    let head = journal.audit_head().map_err(|e| e.to_string())?;
    check_shape(&entries, head.as_ref())?;
    let chain = Chain::new(Vault::new_audit_key().map_err(|e| e.to_string())?);
    let (seq, mac) = head.as_ref().map(|h| (h.seq, h.mac.clone())).unwrap_or_default();
    // The first 16 hex digits of each (64 bits) name them well enough to find them again.
    let short = |hex: &str| hex.chars().take(16).collect::<String>();
    let detail = format!(
        "key not in this desk's keychain; head was entry {seq} sealed {}..., lost key's record {}...",
        short(&mac),
        short(&check)
    );
    let entry = AuditEntry { action: RENEWED.to_owned(), detail, ..entry };
    let stored =
        journal.renew_audit_key(entry, chain.clone(), &check, head.as_ref()).map_err(|e| e.to_string())?;
    vault.set_audit_key(&id, &chain.key).map_err(|e| {
        format!("{e}: the renewal is recorded but its key could not be stored; run `moto-terminal audit key renew` again")
    })?;
    Ok((stored, chain))
}

/// What can be checked of the trail without its key: entries numbered 1, 2, 3... and a head
/// naming the last entry and its seal as stored (an empty trail: the head of entry 0).
fn check_shape(entries: &[AuditEntry], head: Option<&AuditHead>) -> Result<(), String> {
    let changed = |why: String| {
        Err(format!(
            "the audit trail was changed outside moto-terminal ({why}): renewing would seal over that, so nothing was done. Keep this journal file for inspection"
        ))
    };
    if let Some((i, e)) = entries.iter().enumerate().find(|(i, e)| e.seq != *i as i64 + 1) {
        return changed(format!("entry {} is missing or out of place, found entry {}", i + 1, e.seq));
    }
    let last = entries.last().map(|e| (e.seq, e.mac.as_str())).unwrap_or((0, ""));
    match head {
        Some(h) if h.seq == last.0 && equal_ignoring_hex_case(&h.mac, last.1) => Ok(()),
        Some(h) => changed(format!("the head names entry {}, the last entry is {}", h.seq, last.0)),
        // A trail never started: its key was not stored, before any head or entry was written.
        None if entries.is_empty() => Ok(()),
        None => changed("its head is missing".into()),
    }
}

/// Whether this is a desk journal whose trail has a key this keychain does not hold: the case
/// [`renew_key`] is for (a keychain that holds another key is not: see there).
///
/// # Errors
/// The keychain or journal fails.
pub(crate) fn key_lost(vault: &Vault, journal: &Journal) -> Result<bool, String> {
    if journal.is_team() || journal.meta(AUDIT_KEY_CHECK).map_err(|e| e.to_string())?.is_none() {
        return Ok(false);
    }
    Ok(vault.audit_key(&journal_id(journal)?).map_err(|e| e.to_string())?.is_none())
}

/// The key another desk of the same keychain is storing right now (it won the race to start
/// the trail a moment ago), else the words for a key made elsewhere.
fn winners_key(vault: &Vault, id: &str, check: &str) -> Result<Chain, String> {
    for _ in 0..30 {
        if let Some(key) = vault.audit_key(id).map_err(|e| e.to_string())? {
            let chain = Chain::new(key);
            if equal_ignoring_hex_case(check, &chain.check()) {
                return Ok(chain);
            }
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    Err(format!("{}. {}", missing_key(), import_hint()))
}

/// True once the journal's trail has a key: from then on it must have a head.
pub(crate) fn started(journal: &Journal) -> Result<bool, String> {
    Ok(journal.meta(AUDIT_KEY_CHECK).map_err(|e| e.to_string())?.is_some())
}

fn journal_id(journal: &Journal) -> Result<String, String> {
    journal.meta(JOURNAL_ID).map_err(|e| e.to_string())?.ok_or_else(|| "the journal has no id".to_owned())
}

fn wrong_key() -> &'static str {
    "the audit trail cannot be signed on this desk"
}

fn missing_key() -> &'static str {
    "the audit trail cannot be signed on this desk: its key was made on another desk and is not in this computer's keychain"
}

fn import_hint() -> &'static str {
    "An admin runs `moto-terminal audit key export` on a desk that works, and `moto-terminal audit key import` here"
}

/// Stores an imported key for this journal, after checking it is the journal's.
///
/// # Errors
/// The key is not this journal's, or the keychain fails.
pub(crate) fn import_key(vault: &Vault, journal: &Journal, key: Secret) -> Result<(), String> {
    let id = journal_id(journal)?;
    let chain = Chain::new(key);
    // A trail not started yet is started with this key (unless another process starts it
    // first with its own).
    let stored = match journal.meta(AUDIT_KEY_CHECK).map_err(|e| e.to_string())? {
        Some(stored) => stored,
        None => journal.start_audit(chain.clone()).map_err(|e| e.to_string())?,
    };
    if !equal_ignoring_hex_case(&stored, &chain.check()) {
        return Err("that is not this journal's audit key: nothing was stored".into());
    }
    vault.set_audit_key(&id, &chain.key).map_err(|e| e.to_string())
}

/// The key, for export to another member's keychain.
pub(crate) fn exported(chain: &Chain) -> Secret {
    chain.key.clone()
}

#[cfg(test)]
#[path = "audit_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "audit_race_tests.rs"]
mod race_tests;
