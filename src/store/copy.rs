//! `needsd db copy`: an installation's SQLite database copied into a new, empty
//! PostgreSQL database, in one transaction there, schema included, and checked: row
//! counts and a checksum per table, computed the same way on both sides.

use futures_util::TryStreamExt;
use sha2::{Digest, Sha256};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Connection, Row};
use thiserror::Error;

use super::{Backend, Store, StoreError};

/// Every table of needsd's data, parents before children. `daemon_lock` is left out: it
/// names a running process, not data; the daemons on the new database write it again.
/// `_sqlx_migrations` is written by the migrations themselves.
const TABLES: &[&str] = &[
    "parties",
    "party_aliases",
    "contacts",
    "counters",
    "needs",
    "cycles",
    "cycle_base",
    "cycle_programmes",
    "recipients",
    "reply_tokens",
    "outbox",
    "outbox_bodies",
    "raw_messages",
    "inbox",
    "submissions",
    "proposed_changes",
    "proposed_programme_changes",
    "submission_issues",
    "need_history",
    "programmes",
    "programme_history",
    "job_runs",
    "deadlines",
    "users",
    "sessions",
];

/// Rows per INSERT: few round trips, far below PostgreSQL's limit on parameters.
const BATCH: usize = 100;

/// Why a copy did not happen; the target database is as it was.
#[derive(Debug, Error)]
pub enum CopyError {
    #[error("db copy copies a SQLite database; database.url names {0}")]
    SourceNotSqlite(String),
    #[error("db copy copies into a PostgreSQL database (postgres://…), not {0}")]
    TargetNotPostgres(String),
    #[error(
        "{0} already holds needsd's tables; give db copy a new, empty database (createdb NAME)"
    )]
    TargetNotEmpty(String),
    #[error(
        "table {table} differs after the copy ({source_rows} rows, checksum {source_sum} in SQLite; \
         {target_rows} rows, checksum {target_sum} in PostgreSQL); nothing was kept"
    )]
    Mismatch {
        table: String,
        source_rows: i64,
        target_rows: i64,
        source_sum: String,
        target_sum: String,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for CopyError {
    fn from(e: sqlx::Error) -> Self {
        CopyError::Store(e.into())
    }
}

impl From<sqlx::migrate::MigrateError> for CopyError {
    fn from(e: sqlx::migrate::MigrateError) -> Self {
        CopyError::Store(e.into())
    }
}

/// What was copied of one table.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Copied {
    pub table: String,
    pub rows: i64,
    /// SHA-256 over the sorted digests of its rows, each row's values written the same
    /// way whatever the database (times as RFC 3339 UTC, flags as true/false).
    pub checksum: String,
}

/// How a column's values are read and written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Int,
    Flag,
    Text,
    Time,
    Bytes,
}

/// One value, as both databases give it.
#[derive(Debug, Clone)]
enum Value {
    Null,
    Int(i64),
    Flag(bool),
    Text(String),
    Bytes(Vec<u8>),
}

struct Column {
    name: String,
    kind: Kind,
}

impl Store {
    /// Copies this (SQLite) database into the empty PostgreSQL database at `to`: its
    /// schema, then every table, in one transaction that commits only when every table's
    /// row count and checksum match the source's.
    pub async fn copy_to(&self, to: &str) -> Result<Vec<Copied>, CopyError> {
        if self.backend != Backend::Sqlite {
            return Err(CopyError::SourceNotSqlite(super::redacted(&self.url)));
        }
        if Backend::of_url(to) != Some(Backend::Postgres) {
            return Err(CopyError::TargetNotPostgres(super::redacted(to)));
        }
        let mut target = AnyConnection::connect(to)
            .await
            .map_err(|source| StoreError::Open {
                url: super::redacted(to),
                source,
            })?;
        sqlx::query("SET TIME ZONE 'UTC'")
            .execute(&mut target)
            .await?;
        let taken: bool = sqlx::query(
            "SELECT to_regclass('public.parties') IS NOT NULL \
             OR to_regclass('public._sqlx_migrations') IS NOT NULL",
        )
        .fetch_one(&mut target)
        .await?
        .try_get(0)?;
        if taken {
            return Err(CopyError::TargetNotEmpty(super::redacted(to)));
        }
        // One read transaction: a snapshot, even while a daemon writes.
        let mut source = self.pool.acquire().await?;
        let mut snapshot = source.begin().await?;
        let mut tx = target.begin().await?;
        // DDL is transactional on PostgreSQL: a failed copy leaves no table behind.
        super::migrator(Backend::Postgres).run(&mut *tx).await?;
        let mut copied = Vec::with_capacity(TABLES.len());
        for table in TABLES {
            let columns = columns(&mut tx, table).await?;
            copy_table(&mut snapshot, &mut tx, table, &columns).await?;
            if columns
                .iter()
                .any(|c| c.name == "id" && c.kind == Kind::Int)
            {
                let reset = format!(
                    "SELECT setval(pg_get_serial_sequence('{table}', 'id'), \
                     (SELECT COALESCE(MAX(id), 0) + 1 FROM {table}), false)"
                );
                sqlx::query(sqlx::AssertSqlSafe(reset))
                    .execute(&mut *tx)
                    .await?;
            }
            let (source_rows, source_sum) = summary(&mut snapshot, table, &columns).await?;
            let (target_rows, target_sum) = summary(&mut tx, table, &columns).await?;
            if (source_rows, &source_sum) != (target_rows, &target_sum) {
                return Err(CopyError::Mismatch {
                    table: (*table).to_string(),
                    source_rows,
                    target_rows,
                    source_sum,
                    target_sum,
                });
            }
            copied.push(Copied {
                table: (*table).to_string(),
                rows: target_rows,
                checksum: target_sum,
            });
        }
        tx.commit().await?;
        snapshot.rollback().await?;
        Ok(copied)
    }
}

/// The columns of `table` as the PostgreSQL schema types them, in order.
async fn columns(conn: &mut AnyConnection, table: &str) -> Result<Vec<Column>, CopyError> {
    let rows = sqlx::query(
        "SELECT CAST(column_name AS TEXT), CAST(data_type AS TEXT) FROM information_schema.columns \
         WHERE table_schema = 'public' AND table_name = $1 ORDER BY ordinal_position",
    )
    .bind(table)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            let name: String = r.try_get(0)?;
            let ty: String = r.try_get(1)?;
            let kind = match ty.as_str() {
                "bigint" | "integer" | "smallint" => Kind::Int,
                "boolean" => Kind::Flag,
                "timestamp with time zone" => Kind::Time,
                "bytea" => Kind::Bytes,
                _ => Kind::Text,
            };
            Ok(Column { name, kind })
        })
        .collect()
}

/// The SELECT list both databases read the same way: times as text.
fn select_list(columns: &[Column]) -> String {
    columns
        .iter()
        .map(|c| match c.kind {
            Kind::Time => format!("CAST({0} AS TEXT) AS {0}", c.name),
            _ => c.name.clone(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn value(r: &AnyRow, i: usize, kind: Kind) -> Result<Value, StoreError> {
    let v = match kind {
        Kind::Int => r.try_get::<Option<i64>, _>(i)?.map(Value::Int),
        Kind::Flag => match r.try_get::<Option<bool>, _>(i) {
            Ok(b) => b.map(Value::Flag),
            Err(_) => r.try_get::<Option<i64>, _>(i)?.map(|n| Value::Flag(n != 0)),
        },
        Kind::Text => r.try_get::<Option<String>, _>(i)?.map(Value::Text),
        // Written as the store writes times, whichever database gave it.
        Kind::Time => r
            .try_get::<Option<String>, _>(i)?
            .map(|t| Value::Text(crate::clock::from_db_time(&t).map_or(t, crate::clock::db_time))),
        Kind::Bytes => r.try_get::<Option<Vec<u8>>, _>(i)?.map(Value::Bytes),
    };
    Ok(v.unwrap_or(Value::Null))
}

async fn copy_table(
    source: &mut AnyConnection,
    target: &mut AnyConnection,
    table: &str,
    columns: &[Column],
) -> Result<(), CopyError> {
    let sql = format!("SELECT {} FROM {table}", select_list(columns));
    let mut rows: Vec<Vec<Value>> = Vec::new();
    if table == "parties" {
        // A sub-body refers to its parent: parents first, whatever their codes.
        let all = sqlx::query(sqlx::AssertSqlSafe(sql))
            .fetch_all(&mut *source)
            .await?;
        let mut list = all
            .iter()
            .map(|r| row_values(r, columns))
            .collect::<Result<Vec<_>, _>>()?;
        let code = columns.iter().position(|c| c.name == "code");
        let parent = columns.iter().position(|c| c.name == "parent_code");
        if let (Some(code), Some(parent)) = (code, parent) {
            list = parents_first(list, code, parent);
        }
        for chunk in list.chunks(BATCH) {
            insert(target, table, columns, chunk).await?;
        }
        return Ok(());
    }
    let mut stream = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch(&mut *source);
    while let Some(r) = stream.try_next().await? {
        rows.push(row_values(&r, columns)?);
        if rows.len() == BATCH {
            insert(target, table, columns, &rows).await?;
            rows.clear();
        }
    }
    if !rows.is_empty() {
        insert(target, table, columns, &rows).await?;
    }
    Ok(())
}

fn row_values(r: &AnyRow, columns: &[Column]) -> Result<Vec<Value>, StoreError> {
    columns
        .iter()
        .enumerate()
        .map(|(i, c)| value(r, i, c.kind))
        .collect()
}

/// `rows` reordered so that a row whose `parent` column names another row's `code`
/// comes after that row (a parent missing from the table does not hold a row back).
fn parents_first(rows: Vec<Vec<Value>>, code: usize, parent: usize) -> Vec<Vec<Value>> {
    let text = |v: &Value| match v {
        Value::Text(s) => Some(s.clone()),
        _ => None,
    };
    let codes: std::collections::HashSet<String> =
        rows.iter().filter_map(|r| text(&r[code])).collect();
    let mut placed = std::collections::HashSet::new();
    let mut out = Vec::with_capacity(rows.len());
    let mut left = rows;
    while !left.is_empty() {
        let before = left.len();
        let (ready, wait): (Vec<_>, Vec<_>) = left.into_iter().partition(|r| {
            text(&r[parent]).is_none_or(|p| !codes.contains(&p) || placed.contains(&p))
        });
        for r in ready {
            if let Some(c) = text(&r[code]) {
                placed.insert(c);
            }
            out.push(r);
        }
        left = wait;
        if left.len() == before {
            // A cycle of parents: PostgreSQL will refuse it, with its own words.
            out.append(&mut left);
        }
    }
    out
}

async fn insert(
    target: &mut AnyConnection,
    table: &str,
    columns: &[Column],
    rows: &[Vec<Value>],
) -> Result<(), CopyError> {
    let names: Vec<&str> = columns.iter().map(|c| c.name.as_str()).collect();
    let mut n = 0;
    let tuples: Vec<String> = rows
        .iter()
        .map(|_| {
            let marks: Vec<String> = columns
                .iter()
                .map(|c| {
                    n += 1;
                    match c.kind {
                        Kind::Time => format!("CAST(${n} AS instant_text)"),
                        _ => format!("${n}"),
                    }
                })
                .collect();
            format!("({})", marks.join(", "))
        })
        .collect();
    let sql = format!(
        "INSERT INTO {table} ({}) VALUES {}",
        names.join(", "),
        tuples.join(", ")
    );
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
    for row in rows {
        for (v, c) in row.iter().zip(columns) {
            q = match (v, c.kind) {
                (Value::Null, Kind::Int) => q.bind(None::<i64>),
                (Value::Null, Kind::Flag) => q.bind(None::<bool>),
                (Value::Null, Kind::Bytes) => q.bind(None::<Vec<u8>>),
                (Value::Null, _) => q.bind(None::<String>),
                (Value::Int(i), _) => q.bind(*i),
                (Value::Flag(b), _) => q.bind(*b),
                (Value::Text(s), _) => q.bind(s.clone()),
                (Value::Bytes(b), _) => q.bind(b.clone()),
            };
        }
    }
    q.execute(&mut *target).await?;
    Ok(())
}

/// A table's row count and checksum, the same whichever database reads it.
async fn summary(
    conn: &mut AnyConnection,
    table: &str,
    columns: &[Column],
) -> Result<(i64, String), CopyError> {
    let sql = format!("SELECT {} FROM {table}", select_list(columns));
    let mut stream = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch(&mut *conn);
    let mut digests: Vec<[u8; 32]> = Vec::new();
    while let Some(r) = stream.try_next().await? {
        digests.push(row_digest(&row_values(&r, columns)?));
    }
    // Sorted: the two databases may order text differently (collations).
    digests.sort_unstable();
    let mut all = Sha256::new();
    for d in &digests {
        all.update(d);
    }
    Ok((digests.len() as i64, hex::encode(all.finalize())))
}

/// SHA-256 of a row's values, each written with its kind and length so that no two
/// different rows write the same bytes.
fn row_digest(values: &[Value]) -> [u8; 32] {
    let mut h = Sha256::new();
    for v in values {
        let (tag, bytes): (u8, std::borrow::Cow<'_, [u8]>) = match v {
            Value::Null => (b'N', (&[][..]).into()),
            Value::Int(i) => (b'I', i.to_string().into_bytes().into()),
            Value::Flag(b) => (b'F', vec![u8::from(*b)].into()),
            Value::Text(s) => (b'T', s.as_bytes().into()),
            Value::Bytes(b) => (b'B', b.as_slice().into()),
        };
        h.update([tag]);
        h.update((bytes.len() as u64).to_be_bytes());
        h.update(&bytes);
    }
    h.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn party(code: &str, parent: Option<&str>) -> Vec<Value> {
        vec![
            Value::Text(code.into()),
            parent.map_or(Value::Null, |p| Value::Text(p.into())),
        ]
    }

    #[test]
    fn a_parent_is_copied_before_its_sub_bodies() {
        let rows = vec![
            party("A-SUB-SUB", Some("A-SUB")),
            party("A-SUB", Some("A")),
            party("B", None),
            party("A", None),
            party("ORPHAN", Some("GONE")),
        ];
        let order: Vec<String> = parents_first(rows, 0, 1)
            .iter()
            .map(|r| match &r[0] {
                Value::Text(s) => s.clone(),
                _ => String::new(),
            })
            .collect();
        let at = |c: &str| order.iter().position(|o| o == c).unwrap();
        assert!(
            at("A") < at("A-SUB") && at("A-SUB") < at("A-SUB-SUB"),
            "{order:?}"
        );
        assert_eq!(order.len(), 5);
    }

    #[test]
    fn rows_with_the_same_text_in_other_columns_digest_apart() {
        let a = row_digest(&[Value::Text("ab".into()), Value::Text("c".into())]);
        let b = row_digest(&[Value::Text("a".into()), Value::Text("bc".into())]);
        let c = row_digest(&[Value::Text("1".into())]);
        let d = row_digest(&[Value::Int(1)]);
        assert_ne!(a, b);
        assert_ne!(c, d);
        assert_ne!(
            row_digest(&[Value::Null]),
            row_digest(&[Value::Text(String::new())])
        );
    }
}
