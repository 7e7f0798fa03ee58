//! Substring search through the trigram index `orders_search` (the schema step that
//! creates it; see schema.rs).
//!
//! History finds an order by any part of its reference, or of its reference, email, name or
//! description, ignoring the case of ASCII letters. The answer is always exactly what
//! `LIKE '%text%'` over every order gives (search.rs keeps that condition); the index only
//! decides which orders are worth checking:
//!
//! - Text of fewer than 3 characters has no trigram, so the index cannot help: those orders are
//!   found by reading them all, newest first, as before the index.
//! - Otherwise every trigram of the text is looked up, counting at most [`PROBE_CAP`] orders
//!   each, and the orders holding the rarest [`RAREST`] of them are the candidates (all of them
//!   when even the third rarest is common: several common trigrams together can be rare). Any order
//!   that contains the text contains all its trigrams, so none is missed; the LIKE then drops
//!   the candidates that hold the trigrams elsewhere.
//! - A text so common that even its rarest trigrams leave more than [`DENSE`] candidates (an
//!   email domain, say) is found sooner by the newest-first scan, which stops at the page's
//!   200th match: the index is not used for it.

use super::JournalError;
use super::db::{Db, params};

/// Orders added to the index together: fewer newer ones are read directly by a search.
pub(crate) const INDEX_EVERY: i64 = if cfg!(test) { 4 } else { 500 };

/// The orders a full-text query (`{}`) names, and the orders newer than the index, which are
/// read as they are (a few hundred at most).
pub(crate) const CANDIDATES: &str = "id IN (SELECT rowid FROM orders_search WHERE orders_search MATCH {}
    UNION ALL SELECT id FROM orders
    WHERE id > (SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'search_indexed_upto'))";

/// Adds the orders newer than the index to it once there are at least `at_least` of them, in
/// the caller's transaction; returns how many were added.
///
/// # Errors
/// Database failure.
pub(crate) fn index_new_orders(db: Db<'_>, at_least: i64) -> Result<i64, JournalError> {
    let (upto, newest) = mark(db)?;
    if newest - upto < at_least.max(1) {
        return Ok(0);
    }
    db.execute(
        "INSERT INTO orders_search (rowid, merchant_reference, customer_email, customer_name, description)
         SELECT id, merchant_reference, customer_email, customer_name, description FROM orders
         WHERE id > ?1 AND id <= ?2 ORDER BY id",
        params![upto, newest],
    )?;
    db.execute("UPDATE meta SET value = ?1 WHERE key = 'search_indexed_upto'", params![newest.to_string()])?;
    Ok(newest - upto)
}

/// How many orders are newer than the index.
///
/// # Errors
/// Database failure.
pub(crate) fn not_indexed(db: Db<'_>) -> Result<i64, JournalError> {
    mark(db).map(|(upto, newest)| newest - upto)
}

/// The index's mark and the newest order's id.
fn mark(db: Db<'_>) -> Result<(i64, i64), JournalError> {
    db.query_one(
        "SELECT CAST(value AS INTEGER), (SELECT COALESCE(max(id), 0) FROM orders) FROM meta
         WHERE key = 'search_indexed_upto'",
        params![],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
}

/// Orders counted per trigram when choosing the rarest ones: a trigram with fewer is rare.
const PROBE_CAP: i64 = if cfg!(test) { 4 } else { 1_000 };
/// Trigrams looked up per text at most (spread over a long text).
const MAX_PROBES: usize = 16;
/// Trigrams whose orders are intersected.
const RAREST: usize = 3;
/// Candidates beyond which the newest-first scan is used instead of the index.
const DENSE: i64 = if cfg!(test) { 8 } else { 10_000 };

/// One substring criterion: `text` in `column`, or in any of the indexed columns.
pub(crate) struct Wanted<'a> {
    pub column: Option<&'static str>,
    pub text: &'a str,
}

/// The full-text query naming the candidates for every criterion, or `None` when the orders
/// are better found by reading them (a text too short or too common, or no criterion).
///
/// # Errors
/// Database failure.
pub(crate) fn candidates(conn: Db<'_>, wanted: &[Wanted<'_>]) -> Result<Option<String>, JournalError> {
    let mut terms = Vec::new();
    let mut rarest = i64::MAX;
    for w in wanted {
        let Some(grams) = trigrams(w.text) else { continue };
        let mut counted = Vec::with_capacity(grams.len());
        for gram in grams {
            let expr = match_expr(w.column, std::slice::from_ref(&gram));
            let n = count_capped(conn, &expr, PROBE_CAP)?;
            if n == 0 {
                // No order holds this trigram, so none holds the text: the index says so at once.
                return Ok(Some(expr));
            }
            counted.push((n, gram));
        }
        counted.sort_by_key(|(n, _)| *n);
        // A few rare trigrams name few orders; when even the third rarest is common, only all of
        // them together can narrow the candidates down.
        if counted.get(RAREST - 1).is_some_and(|(n, _)| *n < PROBE_CAP) {
            counted.truncate(RAREST);
        }
        rarest = rarest.min(counted.first().map_or(i64::MAX, |(n, _)| *n));
        let grams: Vec<String> = counted.into_iter().map(|(_, g)| g).collect();
        terms.push(match_expr(w.column, &grams));
    }
    if terms.is_empty() {
        return Ok(None);
    }
    let expr = terms.join(" AND ");
    if rarest < PROBE_CAP || count_capped(conn, &expr, DENSE)? < DENSE { Ok(Some(expr)) } else { Ok(None) }
}

/// The distinct trigrams of `text` (ASCII case folded, as the index folds it), at most
/// [`MAX_PROBES`] spread over its length; `None` when it has fewer than 3 characters or holds a
/// NUL, which a full-text query cannot carry.
fn trigrams(text: &str) -> Option<Vec<String>> {
    if text.contains('\0') {
        return None;
    }
    let chars: Vec<char> = text.chars().collect();
    let mut all: Vec<String> = Vec::new();
    for window in chars.windows(3) {
        let gram: String = window.iter().map(char::to_ascii_lowercase).collect();
        if !all.contains(&gram) {
            all.push(gram);
        }
    }
    if all.is_empty() {
        return None;
    }
    if all.len() > MAX_PROBES {
        all = (0..MAX_PROBES).filter_map(|i| all.get(i * all.len() / MAX_PROBES).cloned()).collect();
    }
    Some(all)
}

/// `column : ("abc" AND "bcd")`: every gram quoted (quotes doubled), so no character of the
/// agent's text is read as query syntax.
fn match_expr(column: Option<&str>, grams: &[String]) -> String {
    let quoted: Vec<String> = grams.iter().map(|g| format!("\"{}\"", g.replace('"', "\"\""))).collect();
    let all = format!("({})", quoted.join(" AND "));
    match column {
        Some(c) => format!("{c} : {all}"),
        None => all,
    }
}

/// How many orders match `expr`, counting no further than `cap`.
fn count_capped(conn: Db<'_>, expr: &str, cap: i64) -> Result<i64, JournalError> {
    conn.query_one(
        "SELECT count(*) FROM (SELECT 1 FROM orders_search WHERE orders_search MATCH ?1 LIMIT ?2)",
        params![expr, cap],
        |r| r.get(0),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trigrams_are_distinct_folded_and_need_three_characters() {
        assert_eq!(trigrams("ab"), None);
        assert_eq!(trigrams(""), None);
        assert_eq!(trigrams("a\0bc"), None);
        assert_eq!(trigrams("AbCab").unwrap(), ["abc", "bca", "cab"]);
        assert_eq!(trigrams("ABCABC").unwrap(), ["abc", "bca", "cab"], "repeats are looked up once");
        assert_eq!(trigrams("éçà").unwrap(), ["éçà"], "characters, not bytes");
        let long = trigrams("omar.alqahtani83@example.sa").unwrap();
        assert_eq!(long.len(), MAX_PROBES);
        assert_eq!(long.first().map(String::as_str), Some("oma"));
    }

    #[test]
    fn query_syntax_in_the_text_is_quoted() {
        assert_eq!(match_expr(None, &["a\"b".into()]), "(\"a\"\"b\")");
        assert_eq!(
            match_expr(Some("merchant_reference"), &["or ".into(), "*:(".into()]),
            "merchant_reference : (\"or \" AND \"*:(\")"
        );
    }
}
