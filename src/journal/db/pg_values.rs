//! Values between the journal and PostgreSQL: statement text, parameters, columns and errors.

use super::{Cell, JournalError, Value};
use crate::journal::postgres::TeamError;
use bytes::BytesMut;
use tokio_postgres::Row;
use tokio_postgres::types::{IsNull, ToSql, Type, to_sql_checked};

/// The journal's `?1` parameters as PostgreSQL's `$1`, outside quoted text.
pub(crate) fn numbered(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut quoted = false;
    for c in sql.chars() {
        match c {
            '\'' => {
                quoted = !quoted;
                out.push(c);
            }
            '?' if !quoted => out.push('$'),
            _ => out.push(c),
        }
    }
    out
}

/// A database error in the journal's words: losing the server is "offline", and says nothing
/// was charged; a refusal names the server's reason.
pub(crate) fn error(e: tokio_postgres::Error) -> JournalError {
    use tokio_postgres::error::SqlState;
    let code = e.code().map(|c| c.code().to_owned());
    let message = match e.as_db_error() {
        // lock_timeout: another desk held this card, order or file for 15 s.
        Some(_) if e.code() == Some(&SqlState::LOCK_NOT_AVAILABLE) => {
            "another desk is working on this card or order right now, so this was not recorded: try again in a moment".to_owned()
        }
        Some(db) => format!(
            "the team journal refused this ({}, {}), so it was not recorded: try again, and tell the supervisor if it repeats",
            db.message(),
            db.code().code()
        ),
        None => TeamError::from(e).to_string(),
    };
    JournalError::Team { message, code }
}

impl From<TeamError> for JournalError {
    fn from(e: TeamError) -> Self {
        JournalError::Team { message: e.to_string(), code: None }
    }
}

/// Column `idx` of a PostgreSQL row in the journal's three shapes.
pub(crate) fn cell(row: &Row, idx: usize) -> Result<Cell, JournalError> {
    let column = row.columns().get(idx).ok_or_else(|| super::bad(idx, "no such column".into()))?;
    let failed = |e: tokio_postgres::Error| super::bad(idx, e.to_string());
    let int = |v: Option<i64>| v.map_or(Cell::Null, Cell::Int);
    Ok(match *column.type_() {
        Type::INT8 => int(row.try_get::<_, Option<i64>>(idx).map_err(failed)?),
        Type::INT4 => int(row.try_get::<_, Option<i32>>(idx).map_err(failed)?.map(i64::from)),
        Type::INT2 => int(row.try_get::<_, Option<i16>>(idx).map_err(failed)?.map(i64::from)),
        Type::BOOL => int(row.try_get::<_, Option<bool>>(idx).map_err(failed)?.map(i64::from)),
        Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME => {
            row.try_get::<_, Option<String>>(idx).map_err(failed)?.map_or(Cell::Null, Cell::Text)
        }
        ref other => return Err(super::bad(idx, format!("unexpected column type {other}"))),
    })
}

/// A parameter takes the type PostgreSQL inferred for its place in the statement: a journal
/// integer binds to BIGINT, INTEGER, SMALLINT or BOOLEAN columns, text to text.
impl ToSql for Value<'_> {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut BytesMut,
    ) -> Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        match (self, ty) {
            (Value::Null, _) => Ok(IsNull::Yes),
            (Value::Int(v), &Type::INT8) => v.to_sql(ty, out),
            (Value::Int(v), &Type::INT4) => i32::try_from(*v)?.to_sql(ty, out),
            (Value::Int(v), &Type::INT2) => i16::try_from(*v)?.to_sql(ty, out),
            (Value::Int(v), &Type::BOOL) => (*v != 0).to_sql(ty, out),
            (Value::Int(v), _) => v.to_string().as_str().to_sql(&Type::TEXT, out),
            (Value::Text(t), &Type::INT8) => t.parse::<i64>()?.to_sql(ty, out),
            (Value::Text(t), &Type::INT4) => t.parse::<i32>()?.to_sql(ty, out),
            (Value::Text(t), &Type::INT2) => t.parse::<i16>()?.to_sql(ty, out),
            (Value::Text(t), &Type::BOOL) => matches!(t.as_ref(), "1" | "true" | "t").to_sql(ty, out),
            (Value::Text(t), _) => t.as_ref().to_sql(&Type::TEXT, out),
        }
    }

    fn accepts(ty: &Type) -> bool {
        matches!(
            *ty,
            Type::INT8
                | Type::INT4
                | Type::INT2
                | Type::BOOL
                | Type::TEXT
                | Type::VARCHAR
                | Type::BPCHAR
                | Type::NAME
                | Type::UNKNOWN
        )
    }

    to_sql_checked!();
}

#[cfg(test)]
mod tests {
    use super::numbered;

    #[test]
    fn parameters_are_numbered_outside_quotes_only() {
        assert_eq!(numbered("SELECT ?1, '?' WHERE a = ?12"), "SELECT $1, '?' WHERE a = $12");
    }
}
