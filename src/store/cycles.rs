//! Cycles and their base: the matrix exactly as circulated.

use chrono::{DateTime, Utc};
use sqlx::{AnyConnection, Row};

use super::needs::need_from_row;
use super::{Store, StoreError};
use crate::clock::db_time;
use crate::model::{Cycle, Need};

impl Store {
    /// The matrix as circulated in `cycle`, or `None` when that cycle was never dispatched.
    pub async fn cycle_base(&self, cycle: Cycle) -> Result<Option<Vec<Need>>, StoreError> {
        let exists = sqlx::query("SELECT 1 FROM cycles WHERE id = $1 AND opened_at IS NOT NULL")
            .bind(cycle.to_string())
            .fetch_optional(&self.pool)
            .await?
            .is_some();
        if !exists {
            return Ok(None);
        }
        let rows = sqlx::query(
            "SELECT need_id AS id, state_code, area, description, priority, status, provider, notes, \
             CAST(updated_at AS TEXT) AS updated_at FROM cycle_base WHERE cycle_id = $1 ORDER BY need_id",
        )
        .bind(cycle.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(need_from_row)
            .collect::<Result<Vec<_>, _>>()
            .map(Some)
    }
}

/// Where a cycle's circulation stands, for `cycle status`.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct CycleCounts {
    /// `planned` `dispatching` `collecting` `closed`, or none if never opened.
    pub state: Option<String>,
    pub deadline: Option<String>,
    pub recipients: i64,
    pub queued: i64,
    pub sending: i64,
    pub sent: i64,
    pub failed: i64,
    /// Recipients' parties that answered this cycle (a reply with no changes counts; one
    /// waiting in quarantine does not).
    pub answered: i64,
    /// Replies whose changes await an expert.
    pub awaiting_review: i64,
}

/// A circulation message the server refused.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Failure {
    pub contact_id: Option<i64>,
    pub party: Option<String>,
    pub email: String,
    pub attempts: i64,
    pub error: String,
}

impl Store {
    /// Opens `cycle`: records it and stores its base, the matrix and the programmes as
    /// they are now, in one transaction. Returns false when the cycle was already open (its base stays).
    pub async fn open_cycle(
        &self,
        cycle: Cycle,
        deadline: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let id = cycle.to_string();
        let mut tx = self.write().await?;
        // A write first, so that SQLite takes the write lock before anything is read and
        // two dispatches cannot both open the cycle.
        sqlx::query(
            "INSERT INTO cycles (id, state, deadline) VALUES ($1, 'planned', CAST($2 AS instant_text)) \
             ON CONFLICT (id) DO NOTHING",
        )
        .bind(id.as_str())
        .bind(db_time(deadline))
        .execute(&mut *tx)
        .await?;
        let opened = sqlx::query(
            "UPDATE cycles SET state = 'dispatching', opened_at = CAST($2 AS instant_text) \
             WHERE id = $1 AND opened_at IS NULL",
        )
        .bind(id.as_str())
        .bind(db_time(now))
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        if opened {
            sqlx::query(
                "INSERT INTO cycle_base (cycle_id, need_id, state_code, area, description, priority, status, \
                 provider, notes, updated_at) \
                 SELECT $1, id, state_code, area, description, priority, status, provider, notes, updated_at \
                 FROM needs WHERE 1 = 1 ON CONFLICT DO NOTHING",
            )
            .bind(id.as_str())
            .execute(&mut *tx)
            .await?;
            super::programmes::snapshot(&mut tx, &id).await?;
        }
        tx.commit().await?;
        Ok(opened)
    }

    /// When `cycle` was opened (its base stored), if it was.
    pub async fn cycle_opened_at(&self, cycle: Cycle) -> Result<Option<String>, StoreError> {
        let row =
            sqlx::query("SELECT CAST(opened_at AS TEXT) AS opened_at FROM cycles WHERE id = $1")
                .bind(cycle.to_string())
                .fetch_optional(&self.pool)
                .await?;
        Ok(match row {
            Some(r) => super::time_or_null(&r, "opened_at")?.map(db_time),
            None => None,
        })
    }

    pub async fn cycle_counts(&self, cycle: Cycle) -> Result<CycleCounts, StoreError> {
        let id = cycle.to_string();
        let mut counts = CycleCounts::default();
        if let Some(r) = sqlx::query(
            "SELECT state, CAST(deadline AS TEXT) AS deadline FROM cycles WHERE id = $1",
        )
        .bind(id.as_str())
        .fetch_optional(&self.pool)
        .await?
        {
            counts.state = Some(r.try_get(0)?);
            counts.deadline = Some(db_time(super::time(&r, "deadline")?));
        }
        counts.recipients = sqlx::query("SELECT COUNT(*) FROM recipients WHERE cycle_id = $1")
            .bind(id.as_str())
            .fetch_one(&self.pool)
            .await?
            .try_get(0)?;
        let rows = sqlx::query(
            "SELECT state, COUNT(*) FROM outbox WHERE cycle_id = $1 AND kind = 'circulation' GROUP BY state",
        )
        .bind(id.as_str())
        .fetch_all(&self.pool)
        .await?;
        for r in rows {
            let n: i64 = r.try_get(1)?;
            match r.try_get::<String, _>(0)?.as_str() {
                "queued" => counts.queued = n,
                "sending" => counts.sending = n,
                "sent" => counts.sent = n,
                "failed" => counts.failed = n,
                other => return Err(StoreError::Corrupt(format!("outbox state '{other}'"))),
            }
        }
        let q = format!(
            "SELECT COUNT(DISTINCT CASE WHEN {} THEN party_code END), \
             CAST(SUM(CASE WHEN state = 'pending' THEN 1 ELSE 0 END) AS BIGINT) FROM submissions WHERE cycle_id = $1",
            super::jobs::answered("")
        );
        let r = sqlx::query(sqlx::AssertSqlSafe(q))
            .bind(id.as_str())
            .fetch_one(&self.pool)
            .await?;
        counts.answered = r.try_get(0)?;
        counts.awaiting_review = r.try_get::<Option<i64>, _>(1)?.unwrap_or(0);
        Ok(counts)
    }

    /// The circulation messages of `cycle` the server refused, with its words.
    pub async fn cycle_failures(&self, cycle: Cycle) -> Result<Vec<Failure>, StoreError> {
        let rows = sqlx::query(
            "SELECT o.contact_id, c.party_code, o.recipient, o.attempts, o.last_error \
             FROM outbox o LEFT JOIN contacts c ON c.id = o.contact_id \
             WHERE o.cycle_id = $1 AND o.kind = 'circulation' AND o.state = 'failed' ORDER BY o.id",
        )
        .bind(cycle.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Failure {
                    contact_id: r.try_get(0)?,
                    party: r.try_get(1)?,
                    email: r.try_get(2)?,
                    attempts: r.try_get(3)?,
                    error: r.try_get::<Option<String>, _>(4)?.unwrap_or_default(),
                })
            })
            .collect()
    }
}

/// Records who `cycle` goes to and moves it to `collecting`, on the caller's transaction.
pub async fn add_recipients(
    conn: &mut AnyConnection,
    cycle: Cycle,
    recipients: &[(i64, String)],
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let id = cycle.to_string();
    let now = db_time(now);
    for (contact, token) in recipients {
        sqlx::query(
            "INSERT INTO recipients (cycle_id, contact_id, token, created_at) VALUES ($1, $2, $3, CAST($4 AS instant_text)) ON CONFLICT DO NOTHING",
        )
        .bind(id.as_str())
        .bind(*contact)
        .bind(token.as_str())
        .bind(now.as_str())
        .execute(&mut *conn)
        .await?;
    }
    sqlx::query("UPDATE cycles SET state = 'collecting' WHERE id = $1 AND state = 'dispatching'")
        .bind(id.as_str())
        .execute(&mut *conn)
        .await?;
    Ok(())
}
