//! Finding orders (the journal screen, `journal` on the command line) and exporting them as CSV.

use super::db::{Db, Value};
use super::substring::{self, Wanted};
use super::{Filter, Journal, JournalError, ORDER_COLUMNS, OrderRow, order_from_row, sql_amount, ts};
use crate::aps::field::Field;
use crate::aps::money::format_minor;
use crate::files::csv_cell;
use std::borrow::Cow;
use std::io::Write;

/// The CSV export's columns, in order.
pub const CSV_HEADER: [&str; 23] = [
    "created_at",
    "profile",
    "merchant_reference",
    "kind",
    "channel",
    "state",
    "currency",
    "amount",
    "authorized",
    "captured",
    "refunded",
    "payment_method",
    "last4",
    "fort_id",
    "response_code",
    "message",
    "customer_email",
    "customer_name",
    "description",
    "operator",
    "terminal",
    "needs_attention",
    "updated_at",
];

impl Journal {
    /// Orders matching every set criterion of `filter`, newest first.
    ///
    /// # Errors
    /// Database failure or an unreadable row.
    pub fn search(&self, filter: &Filter) -> Result<Vec<OrderRow>, JournalError> {
        let held = self.hold()?;
        let conn = held.db();
        let (sql, args) = search_sql(conn, filter)?;
        conn.query_map(&sql, &args, |r| order_from_row(r).map(|(_, o)| o))
    }

    /// How many orders match `filter`, ignoring its limit and offset (for paging).
    ///
    /// # Errors
    /// Database failure.
    pub fn count(&self, filter: &Filter) -> Result<u64, JournalError> {
        let held = self.hold()?;
        let conn = held.db();
        let (clause, args) = where_clause(conn, filter)?;
        let n: i64 = conn.query_one(&format!("SELECT COUNT(*) FROM orders {clause}"), &args, |r| r.get(0))?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// Writes the matching orders as CSV (RFC 4180: header row, CRLF, quotes doubled), amounts
    /// with their decimal point. Returns the number of orders written. Cells that a spreadsheet
    /// would run as a formula (starting with `=`, `+`, `-`, `@`, tab or CR) get a leading `'`,
    /// since customer names and descriptions are typed by outsiders.
    ///
    /// # Errors
    /// Database failure or a failed write.
    pub fn export_csv(&self, filter: &Filter, out: &mut impl Write) -> Result<usize, JournalError> {
        let orders = self.search(filter)?;
        write_record(out, CSV_HEADER.iter().map(|h| Cow::Borrowed(*h)))?;
        for o in &orders {
            let opt = |v: &Option<String>| Cow::Owned(v.clone().unwrap_or_default());
            let cells: [Cow<'_, str>; CSV_HEADER.len()] = [
                Cow::Owned(ts(&o.created_at)),
                Cow::Borrowed(&o.profile),
                Cow::Borrowed(&o.merchant_reference),
                Cow::Borrowed(o.kind.as_str()),
                Cow::Borrowed(o.channel.as_str()),
                Cow::Borrowed(o.state.as_str()),
                Cow::Borrowed(o.currency.code()),
                Cow::Owned(format_minor(o.amount_minor, o.currency)),
                Cow::Owned(format_minor(o.authorized_minor, o.currency)),
                Cow::Owned(format_minor(o.captured_minor, o.currency)),
                Cow::Owned(format_minor(o.refunded_minor, o.currency)),
                Cow::Borrowed(&o.payment_method),
                opt(&o.last4),
                opt(&o.fort_id),
                opt(&o.last_response_code),
                opt(&o.last_message),
                opt(&o.customer_email),
                opt(&o.customer_name),
                opt(&o.description),
                Cow::Borrowed(&o.operator),
                Cow::Borrowed(&o.terminal),
                opt(&o.needs_attention),
                Cow::Owned(ts(&o.updated_at)),
            ];
            write_record(out, cells.into_iter())?;
        }
        out.flush()?;
        Ok(orders.len())
    }
}

fn write_record<'a>(out: &mut impl Write, cells: impl Iterator<Item = Cow<'a, str>>) -> std::io::Result<()> {
    let mut line = String::new();
    for (i, cell) in cells.enumerate() {
        if i > 0 {
            line.push(',');
        }
        line.push_str(&csv_cell(&cell));
    }
    line.push_str("\r\n");
    out.write_all(line.as_bytes())
}

/// Escapes LIKE wildcards so user text matches literally (with `ESCAPE '\'`).
fn like_pattern(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

/// The statement and arguments [`Journal::search`] runs (tests read its query plan).
pub(crate) fn search_sql(
    conn: Db<'_>,
    filter: &Filter,
) -> Result<(String, Vec<Value<'static>>), JournalError> {
    let (clause, mut args) = where_clause(conn, filter)?;
    args.push(Value::Int(filter.limit.map_or(i64::MAX, i64::from)));
    args.push(Value::Int(i64::from(filter.offset)));
    let sql = format!(
        "SELECT {ORDER_COLUMNS} FROM orders {clause} ORDER BY created_at DESC, id DESC LIMIT ?{} OFFSET ?{}",
        args.len() - 1,
        args.len()
    );
    Ok((sql, args))
}

/// A text criterion as typed, trimmed; `None` when empty.
fn given(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

/// The trigram index's query for the reference and free-text criteria, if it should be used.
fn indexed_candidates(
    conn: Db<'_>,
    reference: Option<&str>,
    words: Option<&str>,
) -> Result<Option<String>, JournalError> {
    let mut wanted = Vec::new();
    if let Some(text) = reference {
        wanted.push(Wanted { column: Some("merchant_reference"), text });
    }
    if let Some(text) = words {
        wanted.push(Wanted { column: None, text });
    }
    substring::candidates(conn, &wanted)
}

/// The conditions of `f`. Substrings keep their LIKE, so the answer is what reading every
/// order gives; when the trigram index can name the candidates (see `substring`), only those
/// are read. With such a narrow criterion (or a card's last 4, or a Fort ID) the profile is
/// checked on the rows found (`+profile`), so SQLite never prefers reading a whole profile.
fn where_clause(conn: Db<'_>, f: &Filter) -> Result<(String, Vec<Value<'static>>), JournalError> {
    let (reference, words, fort_id, last4) =
        (given(&f.reference), given(&f.text), given(&f.fort_id), given(&f.last4));
    // The team journal has no full-text index: PostgreSQL's planner picks the trigram indexes
    // on `moto_fold(column)` itself (and needs no `+profile`). `moto_fold` folds ASCII letters
    // only, as SQLite's LIKE does, so both backends find the same orders.
    let team = conn.is_team();
    let indexed = if team { None } else { indexed_candidates(conn, reference, words)? };
    let narrow = !team && (indexed.is_some() || fort_id.is_some() || last4.is_some());
    let holds = |column: &str| match team {
        true => format!("moto_fold({column}) LIKE {{}} ESCAPE '\\'"),
        false => format!("{column} LIKE {{}} ESCAPE '\\'"),
    };
    let pattern =
        |text: &str| if team { like_pattern(&text.to_ascii_lowercase()) } else { like_pattern(text) };
    let mut conds: Vec<String> = Vec::new();
    let mut args: Vec<Value<'static>> = Vec::new();
    let mut push = |cond: &str, values: Vec<Value<'static>>| {
        let mut cond = cond.to_owned();
        for v in values {
            args.push(v);
            cond = cond.replacen("{}", &format!("?{}", args.len()), 1);
        }
        conds.push(cond);
    };
    let text = |s: &str| Value::Text(Cow::Owned(s.to_owned()));
    if let Some(p) = &f.profile {
        push(if narrow { "+profile = {}" } else { "profile = {}" }, vec![text(p)]);
    }
    if let Some(expr) = indexed {
        push(substring::CANDIDATES, vec![text(&expr)]);
    }
    if let Some(r) = reference {
        push(&holds("merchant_reference"), vec![text(&pattern(r))]);
    }
    if let Some(id) = fort_id {
        push("fort_id = {}", vec![text(id)]);
    }
    if let Some(l4) = last4 {
        push("last4 = {}", vec![text(l4)]);
    }
    if let Some(a) = f.amount_minor {
        push("amount_minor = {}", vec![Value::Int(sql_amount(Field::Amount, a)?)]);
    }
    if let Some(c) = f.currency {
        push("currency = {}", vec![text(c.code())]);
    }
    if let Some(from) = &f.from {
        push("created_at >= {}", vec![text(&ts(from))]);
    }
    if let Some(to) = &f.to {
        push("created_at < {}", vec![text(&ts(to))]);
    }
    if !f.states.is_empty() {
        let marks = vec!["{}"; f.states.len()].join(", ");
        push(&format!("state IN ({marks})"), f.states.iter().map(|s| text(s.as_str())).collect());
    }
    if let Some(op) = given(&f.operator) {
        push(
            if team { "lower(operator) = lower({})" } else { "operator = {} COLLATE NOCASE" },
            vec![text(op)],
        );
    }
    if let Some(q) = words {
        let p = pattern(q);
        let columns = ["merchant_reference", "customer_email", "customer_name", "description"];
        let cond = format!("({})", columns.map(holds).join(" OR "));
        push(&cond, vec![text(&p), text(&p), text(&p), text(&p)]);
    }
    match f.needs_attention {
        Some(true) => push("attention IS NOT NULL", vec![]),
        Some(false) => push("attention IS NULL", vec![]),
        None => {}
    }
    let clause = if conds.is_empty() { String::new() } else { format!("WHERE {}", conds.join(" AND ")) };
    Ok((clause, args))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_patterns_are_literal() {
        assert_eq!(like_pattern("a%b_c\\"), "%a\\%b\\_c\\\\%");
    }
}
