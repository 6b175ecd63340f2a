//! The Matrix: needs, their history, and the sequence that numbers them.

use chrono::NaiveDate;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::{Store, StoreError};
use crate::clock::db_time;
use crate::model::{AreaCode, Need, NeedId, NewNeed, ParseError, PartyCode, Priority, Status};

const NEED_COLUMN_NAMES: [&str; 9] = [
    "id",
    "state_code",
    "area",
    "description",
    "priority",
    "status",
    "provider",
    "notes",
    "updated_at",
];
pub(crate) const NEED_COLUMNS: &str = "id, state_code, area, description, priority, status, \
     provider, notes, CAST(updated_at AS TEXT) AS updated_at";

/// A need from a row whose columns are, in order, those of [`NEED_COLUMNS`]. Columns are
/// read by position: looking each up by name costs more than the rest of the decoding.
pub(crate) fn need_from_row(r: &AnyRow) -> Result<Need, StoreError> {
    fn text(r: &AnyRow, i: usize) -> Result<String, StoreError> {
        Ok(r.try_get::<String, _>(i)?)
    }
    fn typed<T>(
        r: &AnyRow,
        i: usize,
        parse: fn(&str) -> Result<T, ParseError>,
    ) -> Result<T, StoreError> {
        let s = text(r, i)?;
        parse(&s).map_err(|e| StoreError::Corrupt(format!("column {}: {e}", NEED_COLUMN_NAMES[i])))
    }
    let updated = text(r, 8)?;
    Ok(Need {
        id: typed(r, 0, NeedId::parse)?,
        state: typed(r, 1, PartyCode::parse)?,
        area: typed(r, 2, AreaCode::parse)?,
        description: text(r, 3)?,
        priority: typed(r, 4, Priority::parse)?,
        status: typed(r, 5, Status::parse)?,
        provider: text(r, 6)?,
        notes: text(r, 7)?,
        updated_at: NaiveDate::parse_from_str(updated.get(..10).unwrap_or(""), "%Y-%m-%d")
            .map_err(|e| StoreError::Corrupt(format!("column updated_at: {e}")))?,
    })
}

impl Store {
    /// Every need of the current Matrix.
    pub async fn needs(&self) -> Result<Vec<Need>, StoreError> {
        let sql = format!("SELECT {NEED_COLUMNS} FROM needs ORDER BY number");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(need_from_row).collect()
    }

    /// How many needs the matrix holds.
    pub async fn need_count(&self) -> Result<usize, StoreError> {
        let n: i64 = sqlx::query("SELECT COUNT(*) AS n FROM needs")
            .fetch_one(&self.pool)
            .await?
            .try_get("n")?;
        Ok(usize::try_from(n).unwrap_or(0))
    }

    /// Which of `ids` already exist.
    pub async fn existing_need_ids(&self, ids: &[NeedId]) -> Result<Vec<NeedId>, StoreError> {
        let mut out = Vec::new();
        for id in ids {
            if sqlx::query("SELECT 1 FROM needs WHERE id = $1")
                .bind(id.as_str())
                .fetch_optional(&self.pool)
                .await?
                .is_some()
            {
                out.push(id.clone());
            }
        }
        Ok(out)
    }

    /// Inserts needs in one transaction (dated `default_updated` when they carry no date),
    /// numbering those without an ID after the highest
    /// number ever used, and records their creation in need_history. Returns the IDs in
    /// input order.
    pub async fn insert_needs(
        &self,
        needs: &[NewNeed],
        default_updated: NaiveDate,
        source: &str,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Vec<NeedId>, StoreError> {
        let now = db_time(now);
        let mut tx = self.write().await?;
        // Given IDs raise the counter first, so a generated ID never collides with one
        // further down the same file.
        let top_given = needs
            .iter()
            .filter_map(|n| n.id.as_ref())
            .map(NeedId::number)
            .max()
            .unwrap_or(0);
        let mut next = NEED_COUNTER.last(&mut tx).await?.max(top_given as i64);
        let mut ids = Vec::with_capacity(needs.len());
        for n in needs {
            let id = match &n.id {
                Some(id) => id.clone(),
                None => {
                    next += 1;
                    NeedId::from_number(next as u64)
                }
            };
            let updated = format!("{}T00:00:00Z", n.updated.unwrap_or(default_updated));
            insert_row(&mut tx, &id, n, &now, &updated).await?;
            sqlx::query(
                "INSERT INTO need_history (need_id, field, old_value, new_value, source, changed_at) \
                 VALUES ($1, 'created', NULL, $2, $3, CAST($4 AS instant_text))",
            )
            .bind(id.as_str())
            .bind(n.description.as_str())
            .bind(source)
            .bind(now.as_str())
            .execute(&mut *tx)
            .await?;
            ids.push(id);
        }
        NEED_COUNTER.set(&mut tx, next).await?;
        tx.commit().await?;
        Ok(ids)
    }
}

/// Adds an approved new need on the caller's transaction, with the next free ID.
pub(crate) async fn insert_need_on(
    conn: &mut AnyConnection,
    n: &NewNeed,
    now: &str,
) -> Result<NeedId, StoreError> {
    let next = NEED_COUNTER.last(conn).await? + 1;
    let id = NeedId::from_number(next as u64);
    insert_row(conn, &id, n, now, now).await?;
    NEED_COUNTER.set(conn, next).await?;
    Ok(id)
}

async fn insert_row(
    conn: &mut AnyConnection,
    id: &NeedId,
    n: &NewNeed,
    now: &str,
    updated: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO needs (id, number, state_code, area, description, priority, status, provider, notes, \
         created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, CAST($10 AS instant_text), \
         CAST($11 AS instant_text))",
    )
    .bind(id.as_str())
    .bind(id.number() as i64)
    .bind(n.state.as_str())
    .bind(n.area.as_str())
    .bind(n.description.as_str())
    .bind(n.priority.as_str())
    .bind(n.status.as_str())
    .bind(n.provider.as_str())
    .bind(n.notes.as_str())
    .bind(now)
    .bind(updated)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The sequence of Need IDs, over the `needs` table.
const NEED_COUNTER: Sequence = Sequence {
    name: "need_id",
    table: "needs",
};

/// A sequence that never reuses a value: a row of `counters`, never below the highest
/// `number` already in its table, whatever happened to the counter.
pub(crate) struct Sequence {
    pub name: &'static str,
    pub table: &'static str,
}

impl Sequence {
    /// The highest value used so far.
    pub(crate) async fn last(&self, conn: &mut AnyConnection) -> Result<i64, StoreError> {
        let stored: Option<i64> = sqlx::query("SELECT value FROM counters WHERE name = $1")
            .bind(self.name)
            .fetch_optional(&mut *conn)
            .await?
            .map(|r| r.try_get("value"))
            .transpose()?;
        let sql = format!("SELECT MAX(number) AS m FROM {}", self.table);
        let max: Option<i64> = sqlx::query(sqlx::AssertSqlSafe(sql))
            .fetch_one(&mut *conn)
            .await?
            .try_get("m")?;
        Ok(stored.unwrap_or(0).max(max.unwrap_or(0)))
    }

    pub(crate) async fn set(&self, conn: &mut AnyConnection, value: i64) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO counters (name, value) VALUES ($1, $2) \
             ON CONFLICT (name) DO UPDATE SET value = excluded.value",
        )
        .bind(self.name)
        .bind(value)
        .execute(&mut *conn)
        .await?;
        Ok(())
    }
}

impl Store {
    /// The needs Open with no provider named in each of the last `n` circulations up to
    /// `cycle` (the bases of the last `n` cycles that were circulated); none when fewer
    /// than `n` cycles were.
    pub async fn open_unprovided_for(
        &self,
        cycle: crate::model::Cycle,
        n: usize,
    ) -> Result<Vec<NeedId>, StoreError> {
        let cycles: Vec<String> = sqlx::query(
            "SELECT DISTINCT cycle_id FROM cycle_base WHERE cycle_id <= $1 ORDER BY cycle_id DESC",
        )
        .bind(cycle.to_string())
        .fetch_all(&self.pool)
        .await?
        .iter()
        .take(n)
        .map(|r| r.try_get::<String, _>(0))
        .collect::<Result<_, _>>()?;
        if n == 0 || cycles.len() < n {
            return Ok(Vec::new());
        }
        let marks = (2..cycles.len() + 2)
            .map(|i| format!("${i}"))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "SELECT need_id FROM cycle_base WHERE status = 'Open' AND TRIM(provider) = '' \
             AND cycle_id IN ({marks}) GROUP BY need_id HAVING COUNT(*) = $1"
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(n as i64);
        for c in &cycles {
            q = q.bind(c.as_str());
        }
        let mut ids = q
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|r| {
                let id: String = r.try_get(0)?;
                NeedId::parse(&id).map_err(|e| StoreError::Corrupt(e.0))
            })
            .collect::<Result<Vec<_>, _>>()?;
        ids.sort();
        Ok(ids)
    }
}
