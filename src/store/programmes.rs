//! The Directory of Sources of Assistance: programmes as register records, their history,
//! and the sequence that numbers them. The store keeps canonical text; what it means is
//! `crate::programme`'s.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::needs::Sequence;
use super::{Store, StoreError};
use crate::clock::db_time;
use crate::programme::SCHEMA;
use crate::register::Record;

/// The sequence of Programme IDs, over the `programmes` table.
const COUNTER: Sequence = Sequence {
    name: "programme",
    table: "programmes",
};

/// The stored columns of a programme besides its ID, in the order of the schema: every
/// column but `updated`, which is `updated_at`'s date.
fn stored() -> impl Iterator<Item = &'static str> {
    SCHEMA
        .columns
        .iter()
        .map(|c| c.key)
        .filter(|k| *k != SCHEMA.updated)
}

/// The stored columns, comma-separated, each with `prefix` (a table alias and its dot).
fn stored_list(prefix: &str) -> String {
    stored()
        .map(|c| format!("{prefix}{c}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A programme to add: its number when the file gave an ID, and its fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewProgramme {
    pub number: Option<u64>,
    pub fields: BTreeMap<&'static str, String>,
}

impl Store {
    /// Every programme, by ID.
    pub async fn programmes(&self) -> Result<Vec<Record>, StoreError> {
        let sql = format!(
            "SELECT id, {}, CAST(updated_at AS TEXT) AS updated_at FROM programmes ORDER BY number",
            stored_list("")
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .fetch_all(&self.pool)
            .await?;
        records(&rows)
    }

    /// The programmes as circulated in `cycle`, by ID; `None` when it was not circulated.
    pub async fn cycle_programmes(
        &self,
        cycle: crate::model::Cycle,
    ) -> Result<Option<Vec<Record>>, StoreError> {
        let id = cycle.to_string();
        if sqlx::query("SELECT 1 FROM cycles WHERE id = $1 AND opened_at IS NOT NULL")
            .bind(id.as_str())
            .fetch_optional(&self.pool)
            .await?
            .is_none()
        {
            return Ok(None);
        }
        let sql = format!(
            "SELECT c.programme_id AS id, {}, CAST(c.updated_at AS TEXT) AS updated_at \
             FROM cycle_programmes c LEFT JOIN programmes p ON p.id = c.programme_id \
             WHERE c.cycle_id = $1 ORDER BY COALESCE(p.number, 0), c.programme_id",
            stored_list("c.")
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_all(&self.pool)
            .await?;
        records(&rows).map(Some)
    }
    /// Which of the programme numbers `numbers` are taken.
    pub async fn existing_programme_numbers(
        &self,
        numbers: &[u64],
    ) -> Result<Vec<u64>, StoreError> {
        let mut out = Vec::new();
        for &n in numbers {
            if sqlx::query("SELECT 1 FROM programmes WHERE number = $1")
                .bind(n as i64)
                .fetch_optional(&self.pool)
                .await?
                .is_some()
            {
                out.push(n);
            }
        }
        Ok(out)
    }

    /// Adds programmes in one transaction, numbering those without one after the highest
    /// number ever used, and records their creation; returns their IDs in input order.
    pub async fn insert_programmes(
        &self,
        programmes: &[NewProgramme],
        source: &str,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Vec<String>, StoreError> {
        let now = db_time(now);
        let mut tx = self.write().await?;
        let top_given = programmes
            .iter()
            .filter_map(|p| p.number)
            .max()
            .unwrap_or(0);
        let mut next = COUNTER.last(&mut tx).await?.max(top_given as i64);
        let mut ids = Vec::with_capacity(programmes.len());
        for p in programmes {
            let number = match p.number {
                Some(n) => n as i64,
                None => {
                    next += 1;
                    next
                }
            };
            let id = SCHEMA.id(number as u64);
            insert_row(&mut tx, &id, number, &p.fields, &now).await?;
            sqlx::query(
                "INSERT INTO programme_history (programme_id, field, old_value, new_value, source, \
                 changed_at) VALUES ($1, 'created', NULL, $2, $3, CAST($4 AS instant_text))",
            )
            .bind(id.as_str())
            .bind(p.fields.get("title").map(String::as_str).unwrap_or(""))
            .bind(source)
            .bind(now.as_str())
            .execute(&mut *tx)
            .await?;
            ids.push(id);
        }
        COUNTER.set(&mut tx, next).await?;
        tx.commit().await?;
        Ok(ids)
    }

    /// Each programme's ID with when it was created and last changed, the latest change
    /// first (for the Atom feed of the public directory).
    pub async fn programme_times(
        &self,
    ) -> Result<Vec<(String, DateTime<Utc>, DateTime<Utc>)>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, CAST(created_at AS TEXT) AS created_at, CAST(updated_at AS TEXT) AS updated_at \
             FROM programmes ORDER BY updated_at DESC, number DESC",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get("id")?,
                    super::time(r, "created_at")?,
                    super::time(r, "updated_at")?,
                ))
            })
            .collect()
    }
}

/// Records from rows whose columns are `id`, the [`stored`] columns and `updated_at`.
fn records(rows: &[AnyRow]) -> Result<Vec<Record>, StoreError> {
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let mut fields = BTreeMap::new();
        let mut i = 0;
        for key in stored() {
            i += 1;
            fields.insert(key, r.try_get::<String, _>(i)?);
        }
        let updated: String = r.try_get(i + 1)?;
        fields.insert(SCHEMA.updated, updated.get(..10).unwrap_or("").to_string());
        out.push(Record {
            id: r.try_get(0)?,
            fields,
        });
    }
    Ok(out)
}

async fn insert_row(
    conn: &mut AnyConnection,
    id: &str,
    number: i64,
    fields: &BTreeMap<&'static str, String>,
    now: &str,
) -> Result<(), StoreError> {
    let n = stored().count();
    let sql = format!(
        "INSERT INTO programmes (id, number, {}, created_at, updated_at) VALUES ($1, $2, {}, \
         CAST(${at} AS instant_text), CAST(${at} AS instant_text))",
        stored_list(""),
        (3..n + 3)
            .map(|i| format!("${i}"))
            .collect::<Vec<_>>()
            .join(", "),
        at = n + 3
    );
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).bind(number);
    for key in stored() {
        q = q.bind(fields.get(key).cloned().unwrap_or_default());
    }
    q.bind(now).execute(&mut *conn).await?;
    Ok(())
}

/// Stores the programmes as they are now as `cycle`'s, on the caller's transaction.
pub(crate) async fn snapshot(conn: &mut AnyConnection, cycle: &str) -> Result<(), StoreError> {
    let columns = stored_list("");
    let sql = format!(
        "INSERT INTO cycle_programmes (cycle_id, programme_id, {columns}, updated_at) \
         SELECT $1, id, {columns}, updated_at FROM programmes WHERE 1 = 1 ON CONFLICT DO NOTHING"
    );
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(cycle)
        .execute(&mut *conn)
        .await?;
    Ok(())
}
