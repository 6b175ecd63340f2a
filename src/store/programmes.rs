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
use crate::register::{Change, Record};
use crate::review::{ProgrammeEffect, ProgrammeProposal};

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

/// The columns of `proposed_programme_changes` a [`ProgrammeProposal`] is read from.
const PROPOSAL_COLUMNS: &str = "id, seq, kind, programme_id, row_num, field, base_value, \
     current_value, proposed_value, fields_json, conflict, decision, reviewer, \
     CAST(decided_at AS TEXT) AS decided_at, reason";

impl Store {
    /// What submission `submission` proposes to the Directory of Sources of Assistance,
    /// by seq.
    pub async fn programme_proposals(
        &self,
        submission: i64,
    ) -> Result<Vec<ProgrammeProposal>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        programme_proposals_on(&mut conn, submission).await
    }

    /// What each of `ids` proposes to the Directory of Sources of Assistance, by seq.
    pub async fn programme_proposals_of(
        &self,
        ids: &[i64],
    ) -> Result<BTreeMap<i64, Vec<ProgrammeProposal>>, StoreError> {
        let sql =
            format!("SELECT submission_id, {PROPOSAL_COLUMNS} FROM proposed_programme_changes");
        self.by_submission(&sql, "seq", ids, proposal_from_row)
            .await
    }

    /// A programme's history, oldest first, with the address each change came from.
    pub async fn programme_history(
        &self,
        id: &str,
    ) -> Result<Vec<super::review::HistoryEntry>, StoreError> {
        let rows = sqlx::query(
            "SELECT h.field, h.old_value, h.new_value, h.submission_id, i.from_addr, h.source, \
             h.reviewer, CAST(h.changed_at AS TEXT) AS changed_at FROM programme_history h \
             LEFT JOIN submissions s ON s.id = h.submission_id \
             LEFT JOIN inbox i ON i.id = s.inbox_id WHERE h.programme_id = $1 ORDER BY h.id",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(super::review::history_entry).collect()
    }
}

/// A submission's proposed programme changes, by seq, on the caller's connection.
pub(crate) async fn programme_proposals_on(
    conn: &mut AnyConnection,
    submission: i64,
) -> Result<Vec<ProgrammeProposal>, StoreError> {
    let sql = format!(
        "SELECT {PROPOSAL_COLUMNS} FROM proposed_programme_changes WHERE submission_id = $1 \
         ORDER BY seq"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(submission)
        .fetch_all(&mut *conn)
        .await?;
    rows.iter().map(proposal_from_row).collect()
}

fn proposal_from_row(r: &AnyRow) -> Result<ProgrammeProposal, StoreError> {
    let corrupt = |what: String| StoreError::Corrupt(what);
    let key = |k: &str| {
        SCHEMA
            .column(k)
            .map(|c| c.key)
            .ok_or_else(|| corrupt(format!("programme field '{k}'")))
    };
    let kind: String = r.try_get("kind")?;
    let id: Option<String> = r.try_get("programme_id")?;
    let row = r
        .try_get::<Option<i64>, _>("row_num")?
        .and_then(|n| usize::try_from(n).ok())
        .unwrap_or(0);
    let text = |c: &str| -> Result<String, StoreError> {
        Ok(r.try_get::<Option<String>, _>(c)?.unwrap_or_default())
    };
    let change = match kind.as_str() {
        "update" => Change::Update {
            id: id
                .clone()
                .ok_or_else(|| corrupt("an update names no programme".into()))?,
            row,
            field: key(&text("field")?)?,
            base: text("base_value")?,
            current: text("current_value")?,
            proposed: text("proposed_value")?,
            conflict: super::flag(r, "conflict")?,
        },
        "add" => {
            let json = text("fields_json")?;
            let raw: BTreeMap<String, String> =
                serde_json::from_str(&json).map_err(|e| corrupt(format!("fields_json: {e}")))?;
            Change::Add {
                row,
                fields: raw
                    .into_iter()
                    .map(|(k, v)| Ok((key(&k)?, v)))
                    .collect::<Result<_, StoreError>>()?,
            }
        }
        other => return Err(corrupt(format!("programme change kind '{other}'"))),
    };
    Ok(ProgrammeProposal {
        id: r.try_get("id")?,
        seq: r.try_get("seq")?,
        created: match &change {
            Change::Add { .. } => id,
            Change::Update { .. } => None,
        },
        change,
        decision: super::parsed(r, "decision")?,
        reviewer: r.try_get("reviewer")?,
        decided_at: super::time_or_null(r, "decided_at")?,
        reason: r.try_get("reason")?,
    })
}

/// Stores a submission's programme changes, numbered from `first_seq`.
pub(crate) async fn insert_proposals(
    conn: &mut AnyConnection,
    submission: i64,
    first_seq: i64,
    changes: &[Change],
) -> Result<(), StoreError> {
    for (i, c) in changes.iter().enumerate() {
        let (kind, id, row, field, base, current, proposed, fields, conflict) = match c {
            Change::Update {
                id,
                row,
                field,
                base,
                current,
                proposed,
                conflict,
            } => (
                "update",
                Some(id.as_str()),
                *row,
                Some(*field),
                Some(base.as_str()),
                Some(current.as_str()),
                Some(proposed.as_str()),
                None,
                *conflict,
            ),
            Change::Add { row, fields } => (
                "add",
                None,
                *row,
                None,
                None,
                None,
                None,
                serde_json::to_string(fields).ok(),
                false,
            ),
        };
        sqlx::query(
            "INSERT INTO proposed_programme_changes (submission_id, seq, kind, programme_id, \
             row_num, field, base_value, current_value, proposed_value, fields_json, conflict) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(submission)
        .bind(first_seq + i as i64)
        .bind(kind)
        .bind(id)
        .bind(row as i64)
        .bind(field)
        .bind(base)
        .bind(current)
        .bind(proposed)
        .bind(fields)
        .bind(conflict)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// The programmes `proposals` update, as they are now, by ID.
pub(crate) async fn touched_on(
    conn: &mut AnyConnection,
    proposals: &[ProgrammeProposal],
) -> Result<BTreeMap<String, Record>, StoreError> {
    let mut out = BTreeMap::new();
    for p in proposals {
        if let Change::Update { id, .. } = &p.change
            && !out.contains_key(id)
        {
            let sql = format!(
                "SELECT id, {}, CAST(updated_at AS TEXT) AS updated_at FROM programmes WHERE id = $1",
                stored_list("")
            );
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(id.as_str())
                .fetch_all(&mut *conn)
                .await?;
            for r in records(&rows)? {
                out.insert(r.id.clone(), r);
            }
        }
    }
    Ok(out)
}

/// Writes what an approved programme change does, with its history; returns the ID of a
/// programme it created.
pub(crate) async fn apply_on(
    conn: &mut AnyConnection,
    effect: &ProgrammeEffect,
    submission: i64,
    reviewer: &str,
    now: &str,
) -> Result<Option<String>, StoreError> {
    let history = |id: &str, field: &str, old: Option<&str>, new: &str| {
        sqlx::query(
            "INSERT INTO programme_history (programme_id, field, old_value, new_value, \
             submission_id, source, reviewer, changed_at) \
             VALUES ($1, $2, $3, $4, $5, 'submission', $6, CAST($7 AS instant_text))",
        )
        .bind(id.to_string())
        .bind(field.to_string())
        .bind(old.map(str::to_string))
        .bind(new.to_string())
        .bind(submission)
        .bind(reviewer.to_string())
        .bind(now.to_string())
    };
    match effect {
        ProgrammeEffect::Set { old, new, .. } if old == new => Ok(None),
        ProgrammeEffect::Set {
            id,
            field,
            old,
            new,
        } => {
            // `field` is a column of the schema (the store read it through `SCHEMA`).
            let column = stored()
                .find(|c| c == field)
                .ok_or_else(|| StoreError::Corrupt(format!("programme field '{field}'")))?;
            let sql = format!(
                "UPDATE programmes SET {column} = $2, updated_at = CAST($3 AS instant_text) WHERE id = $1"
            );
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(id.as_str())
                .bind(new.as_str())
                .bind(now)
                .execute(&mut *conn)
                .await?;
            history(id, field, Some(old), new)
                .execute(&mut *conn)
                .await?;
            Ok(None)
        }
        ProgrammeEffect::Create(fields) => {
            let number = COUNTER.last(&mut *conn).await? + 1;
            let id = SCHEMA.id(number as u64);
            insert_row(&mut *conn, &id, number, fields, now).await?;
            COUNTER.set(&mut *conn, number).await?;
            history(
                &id,
                "created",
                None,
                fields.get("title").map_or("", String::as_str),
            )
            .execute(&mut *conn)
            .await?;
            Ok(Some(id))
        }
    }
}
