//! The outbox: every message needsd sends is a row here first. Enqueueing is idempotent
//! by `dedupe_key`; sending claims a row (`sending`, with a lease naming the process),
//! and records the server's answer right after it comes.

use chrono::{DateTime, Utc};
use sqlx::{AnyConnection, Row};

use super::{Store, StoreError};
use crate::clock::db_time;
use crate::mail::compose::Outgoing;
use crate::model::Cycle;

/// A message to put in the outbox.
#[derive(Debug, Clone)]
pub struct NewMessage {
    /// One message, ever, per key: `circulation/2026-12/17`.
    pub dedupe_key: String,
    pub kind: &'static str,
    pub cycle: Option<Cycle>,
    pub contact_id: Option<i64>,
    /// The local date the message belongs to.
    pub day: chrono::NaiveDate,
    pub outgoing: Outgoing,
}

/// A message claimed for sending.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub id: i64,
    pub contact_id: Option<i64>,
    pub message_id: String,
    pub envelope_from: String,
    pub recipient: String,
    pub raw: Vec<u8>,
    /// Attempts including this one.
    pub attempts: i64,
}

/// Inserts `messages` that are not in the outbox yet, on a connection the caller may
/// hold a transaction on. Returns how many were new.
pub async fn enqueue(
    conn: &mut AnyConnection,
    messages: &[NewMessage],
    now: DateTime<Utc>,
) -> Result<usize, StoreError> {
    let now = db_time(now);
    let mut added = 0;
    for m in messages {
        let done = sqlx::query(
            "INSERT INTO outbox (dedupe_key, kind, cycle_id, contact_id, recipient, day, message_id, \
             envelope_from, subject, raw, state, attempts, next_attempt_at, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'queued', 0, $11, $11) \
             ON CONFLICT (dedupe_key) DO NOTHING",
        )
        .bind(m.dedupe_key.as_str())
        .bind(m.kind)
        .bind(m.cycle.map(|c| c.to_string()))
        .bind(m.contact_id)
        .bind(m.outgoing.recipient.as_str())
        .bind(m.day.to_string())
        .bind(m.outgoing.message_id.as_str())
        .bind(m.outgoing.envelope_from.as_str())
        .bind(m.outgoing.subject.as_str())
        .bind(m.outgoing.raw.as_slice())
        .bind(now.as_str())
        .execute(&mut *conn)
        .await?;
        added += done.rows_affected() as usize;
    }
    Ok(added)
}

/// When the outbox next has work, as far as this process can tell.
#[derive(Debug, Clone, PartialEq)]
pub enum Pending {
    /// Nothing queued and nothing being sent.
    Empty,
    /// The earliest time a queued or leased message becomes due (RFC 3339).
    At(String),
}

impl Store {
    /// Claims the oldest due message: queued and due, or leased by a holder whose lease
    /// ran out. The claim is committed before anything is sent.
    pub async fn claim_next(
        &self,
        owner: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<Option<Claimed>, StoreError> {
        let now = db_time(now);
        let due = "((state = 'queued' AND next_attempt_at <= $3) OR (state = 'sending' AND lease_until < $3))";
        let sql = format!(
            "UPDATE outbox SET state = 'sending', attempts = attempts + 1, lease_owner = $1, lease_until = $2 \
             WHERE id = (SELECT id FROM outbox WHERE {due} ORDER BY id LIMIT 1) AND {due} \
             RETURNING id, contact_id, message_id, envelope_from, recipient, raw, attempts"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(owner)
            .bind(db_time(lease_until))
            .bind(now.as_str())
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| {
            Ok(Claimed {
                id: r.try_get(0)?,
                contact_id: r.try_get(1)?,
                message_id: r.try_get(2)?,
                envelope_from: r.try_get(3)?,
                recipient: r.try_get(4)?,
                raw: r.try_get(5)?,
                attempts: r.try_get(6)?,
            })
        })
        .transpose()
    }

    /// The server accepted the message.
    pub async fn mark_sent(
        &self,
        id: i64,
        owner: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE outbox SET state = 'sent', sent_at = $3, lease_owner = NULL, lease_until = NULL, last_error = NULL \
             WHERE id = $1 AND lease_owner = $2",
        )
        .bind(id)
        .bind(owner)
        .bind(db_time(now))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The server deferred the message or the connection failed: try again at `at`.
    pub async fn mark_retry(
        &self,
        id: i64,
        owner: &str,
        error: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE outbox SET state = 'queued', next_attempt_at = $3, last_error = $4, lease_owner = NULL, lease_until = NULL \
             WHERE id = $1 AND lease_owner = $2",
        )
        .bind(id)
        .bind(owner)
        .bind(db_time(at))
        .bind(error)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The server refused the message for good; `bouncing` also marks the contact.
    pub async fn mark_failed(
        &self,
        id: i64,
        owner: &str,
        error: &str,
        bouncing: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "UPDATE outbox SET state = 'failed', last_error = $3, lease_owner = NULL, lease_until = NULL \
             WHERE id = $1 AND lease_owner = $2",
        )
        .bind(id)
        .bind(owner)
        .bind(error)
        .execute(&mut *tx)
        .await?;
        if let Some(contact) = bouncing {
            sqlx::query(
                "UPDATE contacts SET bouncing_since = $2 WHERE id = $1 AND bouncing_since IS NULL",
            )
            .bind(contact)
            .bind(db_time(now))
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The distinct processes holding leases on messages being sent.
    pub async fn lease_owners(&self) -> Result<Vec<String>, StoreError> {
        let rows = sqlx::query(
            "SELECT DISTINCT lease_owner FROM outbox WHERE state = 'sending' AND lease_owner IS NOT NULL",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| r.try_get::<String, _>(0).map_err(StoreError::from))
            .collect()
    }

    /// Puts back the messages a process that is gone was sending, due now. They may have
    /// reached the server before it stopped; they go again with the same Message-ID.
    pub async fn release_leases(
        &self,
        owner: &str,
        now: DateTime<Utc>,
    ) -> Result<usize, StoreError> {
        let done = sqlx::query(
            "UPDATE outbox SET state = 'queued', next_attempt_at = $2, lease_owner = NULL, lease_until = NULL, \
             last_error = 'in flight when an earlier needsd stopped; sent again with the same Message-ID' \
             WHERE state = 'sending' AND lease_owner = $1",
        )
        .bind(owner)
        .bind(db_time(now))
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() as usize)
    }

    /// When the next queued or leased message becomes due.
    pub async fn outbox_pending(&self) -> Result<Pending, StoreError> {
        let row = sqlx::query(
            "SELECT MIN(CASE WHEN state = 'queued' THEN next_attempt_at ELSE lease_until END) \
             FROM outbox WHERE state IN ('queued', 'sending')",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(match row.try_get::<Option<String>, _>(0)? {
            Some(t) => Pending::At(t),
            None => Pending::Empty,
        })
    }

    /// The contacts that already have a message of `kind` for `cycle`.
    pub async fn outbox_contacts(&self, kind: &str, cycle: Cycle) -> Result<Vec<i64>, StoreError> {
        let rows = sqlx::query(
            "SELECT contact_id FROM outbox WHERE kind = $1 AND cycle_id = $2 AND contact_id IS NOT NULL",
        )
        .bind(kind)
        .bind(cycle.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| r.try_get::<i64, _>(0).map_err(StoreError::from))
            .collect()
    }
}
