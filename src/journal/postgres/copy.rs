//! Moving a desk's SQLite journal into the team journal: every order with its operations, the
//! token book with its customers, agreements, payment links and batches, in one transaction, so a failure copies
//! nothing. Running it again copies only what is not there yet: an order already in the team
//! journal (same profile and reference) is left as it is, with its operations. Row ids are the
//! team journal's own; an operation's order and batch row follow their new ids.
//!
//! The desk's journal is read whole, then written one row per round trip: seconds for a desk's
//! months, minutes for a million orders (COPY would be the way to go faster).

use super::TeamError;
use crate::journal::Journal;
use std::collections::HashMap;
use std::sync::Arc;
use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, Transaction};

/// What the copy added, per table; `orders_already_there` counts orders it left alone.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Copied {
    pub orders: u64,
    pub orders_already_there: u64,
    pub operations: u64,
    pub tokens: u64,
    /// Customers seen with a token (a token can have several).
    pub token_customers: u64,
    pub agreements: u64,
    pub payment_links: u64,
    pub batches: u64,
    pub batch_rows: u64,
}

/// One stored value, typed as the team journal's column is.
#[derive(Clone, Debug)]
enum Value {
    Int(Option<i32>),
    Big(Option<i64>),
    Text(Option<String>),
}

impl Value {
    fn sql(&self) -> &(dyn ToSql + Sync) {
        match self {
            Self::Int(v) => v,
            Self::Big(v) => v,
            Self::Text(v) => v,
        }
    }

    fn big(&self) -> Option<i64> {
        match self {
            Self::Big(v) => *v,
            Self::Int(v) => v.map(i64::from),
            Self::Text(_) => None,
        }
    }

    fn text(&self) -> Option<&str> {
        match self {
            Self::Text(v) => v.as_deref(),
            _ => None,
        }
    }
}

/// A table read from the SQLite journal: its column names (the team journal's, `id` first) and rows.
struct Table {
    columns: Vec<String>,
    /// Each column's type in the team journal (`integer`, `bigint`, `text`).
    kinds: Vec<String>,
    rows: Vec<Vec<Value>>,
}

impl Table {
    /// Where column `name` is in each row.
    fn at(&self, name: &str) -> Result<usize, TeamError> {
        self.columns
            .iter()
            .position(|c| c == name)
            .ok_or_else(|| TeamError::Database(format!("the team journal has no column {name}")))
    }
}

const TABLES: [&str; 8] = [
    "orders",
    "operations",
    "tokens",
    "token_customers",
    "agreements",
    "payment_links",
    "batches",
    "batch_rows",
];

/// Copies `source` into the team journal `client` is connected to (its schema set up).
///
/// # Errors
/// The SQLite journal cannot be read, or the team journal refuses a row (nothing is copied).
pub async fn copy_journal(source: Arc<Journal>, client: &mut Client) -> Result<Copied, TeamError> {
    let mut kinds = Vec::new();
    for table in TABLES {
        kinds.push(column_kinds(client, table).await?);
    }
    let tables = tokio::task::spawn_blocking(move || read_tables(&source, kinds))
        .await
        .map_err(|e| TeamError::Database(format!("reading the desk's journal failed: {e}")))??;
    let tx = client.transaction().await?;
    let mut copied = Copied::default();
    let [orders, operations, tokens, token_customers, agreements, links, batches, batch_rows] = tables;
    let order_ids =
        insert_keyed(&tx, "orders", &orders, "ON CONFLICT (profile, merchant_reference) DO NOTHING").await?;
    copied.orders = order_ids.len() as u64;
    copied.orders_already_there = orders.rows.len() as u64 - copied.orders;
    let batch_ids = insert_keyed(
        &tx,
        "batches",
        &batches,
        "WHERE NOT EXISTS (SELECT 1 FROM batches b WHERE b.profile = {profile} AND b.file_hash = {file_hash}
            AND b.created_at = {created_at})",
    )
    .await?;
    copied.batches = batch_ids.len() as u64;
    copied.batch_rows = copy_batch_rows(&tx, &batch_rows, &batch_ids).await?;
    copied.operations = copy_operations(&tx, &operations, &order_ids, &batch_ids).await?;
    copied.tokens = insert_keyed(&tx, "tokens", &tokens, "ON CONFLICT (profile, token_name) DO NOTHING")
        .await?
        .len() as u64;
    copied.token_customers = insert_keyed(
        &tx,
        "token_customers",
        &token_customers,
        "ON CONFLICT (profile, token_name, email_key, name_key, phone_key) DO NOTHING",
    )
    .await?
    .len() as u64;
    copied.agreements = insert_keyed(
        &tx,
        "agreements",
        &agreements,
        "WHERE NOT EXISTS (SELECT 1 FROM agreements a WHERE a.profile = {profile} AND a.token_name = {token_name}
            AND a.created_at = {created_at})",
    )
    .await?
    .len() as u64;
    copied.payment_links =
        insert_keyed(&tx, "payment_links", &links, "ON CONFLICT (profile, merchant_reference) DO NOTHING")
            .await?
            .len() as u64;
    tx.commit().await?;
    Ok(copied)
}

/// The team journal's columns of `table` with their types, `id` first where there is one.
async fn column_kinds(client: &Client, table: &str) -> Result<Vec<(String, String)>, TeamError> {
    let rows = client
        .query(
            "SELECT column_name::text, data_type::text FROM information_schema.columns
             WHERE table_schema = current_schema() AND table_name = $1 ORDER BY (column_name <> 'id'), ordinal_position",
            &[&table],
        )
        .await?;
    Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
}

fn read_tables(source: &Journal, kinds: Vec<Vec<(String, String)>>) -> Result<[Table; 8], TeamError> {
    let conn = source.desk_connection().map_err(|e| TeamError::Database(e.to_string()))?;
    let mut tables = Vec::new();
    for (table, columns) in TABLES.iter().zip(kinds) {
        let names: Vec<&str> = columns.iter().map(|(n, _)| n.as_str()).collect();
        let sql = format!("SELECT {} FROM {table} ORDER BY rowid", names.join(", "));
        let read =
            |e: rusqlite::Error| TeamError::Database(format!("reading {table} from the desk's journal: {e}"));
        let mut stmt = conn.prepare(&sql).map_err(read)?;
        let rows = stmt
            .query_map([], |row| {
                columns
                    .iter()
                    .enumerate()
                    .map(|(i, (_, kind))| {
                        Ok(match kind.as_str() {
                            "integer" => Value::Int(row.get(i)?),
                            "bigint" => Value::Big(row.get(i)?),
                            _ => Value::Text(row.get(i)?),
                        })
                    })
                    .collect::<rusqlite::Result<Vec<Value>>>()
            })
            .map_err(read)?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(read)?;
        let (columns, kinds) = columns.into_iter().unzip();
        tables.push(Table { columns, kinds, rows });
    }
    tables.try_into().map_err(|_| TeamError::Database("a table of the desk's journal is missing".into()))
}

/// Inserts every row of `table` but its `id` (the team journal gives its own), each as
/// `condition` allows (`{column}` in it stands for that column's value); returns the desk's id
/// of each inserted row with its new id.
async fn insert_keyed(
    tx: &Transaction<'_>,
    name: &str,
    table: &Table,
    condition: &str,
) -> Result<HashMap<i64, i64>, TeamError> {
    let has_id = table.columns.first().is_some_and(|c| c == "id");
    let skip = usize::from(has_id);
    let columns = table.columns[skip..].join(", ");
    let params: Vec<String> = (1..=table.columns.len() - skip).map(|i| format!("${i}")).collect();
    let mut condition = condition.to_owned();
    for (column, param) in table.columns[skip..].iter().zip(&params) {
        condition = condition.replace(&format!("{{{column}}}"), param);
    }
    let sql = if condition.starts_with("ON CONFLICT") {
        format!("INSERT INTO {name} ({columns}) VALUES ({}) {condition} RETURNING id", params.join(", "))
    } else {
        format!(
            "INSERT INTO {name} ({columns}) SELECT {} {condition} RETURNING id",
            typed(table, skip, &params)
        )
    };
    let stmt = tx.prepare(&sql).await?;
    let mut ids = HashMap::new();
    for row in &table.rows {
        let values: Vec<&(dyn ToSql + Sync)> = row[skip..].iter().map(Value::sql).collect();
        if let Some(inserted) = tx.query_opt(&stmt, &values).await? {
            ids.insert(row[0].big().unwrap_or_default(), inserted.get(0));
        }
    }
    Ok(ids)
}

/// `$1::text, $2::bigint, ...`: a SELECT of parameters needs their types spelled out, taken
/// from the team journal's columns (an empty table has no row to tell them).
fn typed(table: &Table, skip: usize, params: &[String]) -> String {
    params
        .iter()
        .zip(&table.kinds[skip..])
        .map(|(p, kind)| match kind.as_str() {
            "integer" => format!("{p}::integer"),
            "bigint" => format!("{p}::bigint"),
            _ => format!("{p}::text"),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

async fn copy_batch_rows(
    tx: &Transaction<'_>,
    rows: &Table,
    batch_ids: &HashMap<i64, i64>,
) -> Result<u64, TeamError> {
    let batch = rows.at("batch_id")?;
    let columns = rows.columns.join(", ");
    let params: Vec<String> = (1..=rows.columns.len()).map(|i| format!("${i}")).collect();
    let stmt =
        tx.prepare(&format!("INSERT INTO batch_rows ({columns}) VALUES ({})", params.join(", "))).await?;
    let mut copied = 0;
    for row in &rows.rows {
        let Some(new_batch) = row[batch].big().and_then(|old| batch_ids.get(&old)) else { continue };
        let mut values = row.clone();
        values[batch] = Value::Big(Some(*new_batch));
        let params: Vec<&(dyn ToSql + Sync)> = values.iter().map(Value::sql).collect();
        copied += tx.execute(&stmt, &params).await?;
    }
    Ok(copied)
}

/// Operations of the orders copied now (an order already there keeps its own timeline), and
/// those of no order (a token created, a status asked) not copied before.
async fn copy_operations(
    tx: &Transaction<'_>,
    ops: &Table,
    order_ids: &HashMap<i64, i64>,
    batch_ids: &HashMap<i64, i64>,
) -> Result<u64, TeamError> {
    let (order, batch_row) = (ops.at("order_id")?, ops.at("batch_row")?);
    let columns = ops.columns[1..].join(", ");
    let params: Vec<String> = (1..ops.columns.len()).map(|i| format!("${i}")).collect();
    let insert =
        tx.prepare(&format!("INSERT INTO operations ({columns}) VALUES ({})", params.join(", "))).await?;
    let seen = tx
        .prepare(
            "SELECT 1 FROM operations WHERE order_id IS NULL AND profile = $1 AND merchant_reference = $2
             AND operation = $3 AND at = $4",
        )
        .await?;
    let (profile, reference, operation, at) =
        (ops.at("profile")?, ops.at("merchant_reference")?, ops.at("operation")?, ops.at("at")?);
    let mut copied = 0;
    for row in &ops.rows {
        let mut values = row.clone();
        match row[order].big() {
            Some(old) => match order_ids.get(&old) {
                Some(new) => values[order] = Value::Big(Some(*new)),
                None => continue,
            },
            None => {
                let key = [&row[profile], &row[reference], &row[operation], &row[at]].map(Value::sql);
                if tx.query_opt(&seen, &key).await?.is_some() {
                    continue;
                }
            }
        }
        if let Some((old_batch, batch_row_no)) = row[batch_row].text().and_then(|t| t.split_once(':')) {
            let new = old_batch.parse::<i64>().ok().and_then(|b| batch_ids.get(&b));
            values[batch_row] = Value::Text(new.map(|b| format!("{b}:{batch_row_no}")));
        }
        let params: Vec<&(dyn ToSql + Sync)> = values[1..].iter().map(Value::sql).collect();
        copied += tx.execute(&insert, &params).await?;
    }
    Ok(copied)
}
