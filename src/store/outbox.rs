//! The outbox: every message needsd sends is a row here first. Enqueueing is idempotent
//! by `dedupe_key`; sending claims a row (`sending`, with a lease naming the process),
//! and records the server's answer right after it comes.

use chrono::{DateTime, Utc};
use sqlx::{AnyConnection, Row};

use super::{Store, StoreError};
use crate::clock::db_time;
use crate::mail::compose::Outgoing;
use crate::model::Cycle;
use crate::state::{MessageKind, OutboxState};

/// A message to put in the outbox.
#[derive(Debug, Clone)]
pub struct NewMessage {
    /// One message, ever, per key: `circulation/2026-12/17`.
    pub dedupe_key: String,
    pub kind: MessageKind,
    pub cycle: Option<Cycle>,
    pub contact_id: Option<i64>,
    /// The local date the message belongs to.
    pub day: chrono::NaiveDate,
    pub outgoing: Outgoing,
    /// The token its Reply-To carries, given out to (`cycle`, `contact_id`) when the
    /// message joins the outbox, so that a reply to that address names its contact (a
    /// receipt or a decision mail; a circulation's token is its recipient's).
    pub reply_token: Option<String>,
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
        let row = sqlx::query(
            "INSERT INTO outbox (dedupe_key, kind, cycle_id, contact_id, recipient, day, message_id, \
             envelope_from, subject, raw, state, attempts, next_attempt_at, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'queued', 0, CAST($11 AS instant_text), \
             CAST($11 AS instant_text)) \
             ON CONFLICT (dedupe_key) DO NOTHING RETURNING id",
        )
        .bind(m.dedupe_key.as_str())
        .bind(m.kind.as_str())
        .bind(m.cycle.map(|c| c.to_string()))
        .bind(m.contact_id)
        .bind(m.outgoing.recipient.as_str())
        .bind(m.day.to_string())
        .bind(m.outgoing.message_id.as_str())
        .bind(m.outgoing.envelope_from.as_str())
        .bind(m.outgoing.subject.as_str())
        .bind(&[][..])
        .bind(now.as_str())
        .fetch_optional(&mut *conn)
        .await?;
        if let Some(row) = row {
            let id: i64 = row.try_get(0)?;
            sqlx::query("INSERT INTO outbox_bodies (outbox_id, raw) VALUES ($1, $2)")
                .bind(id)
                .bind(m.outgoing.raw.as_slice())
                .execute(&mut *conn)
                .await?;
            if let (Some(token), Some(cycle), Some(contact)) =
                (&m.reply_token, m.cycle, m.contact_id)
            {
                sqlx::query(
                    "INSERT INTO reply_tokens (token, cycle_id, contact_id, created_at) \
                     VALUES ($1, $2, $3, CAST($4 AS instant_text)) ON CONFLICT (token) DO NOTHING",
                )
                .bind(token.as_str())
                .bind(cycle.to_string())
                .bind(contact)
                .bind(now.as_str())
                .execute(&mut *conn)
                .await?;
            }
            added += 1;
        }
    }
    Ok(added)
}

/// When the outbox next has work, as far as this process can tell.
#[derive(Debug, Clone, PartialEq)]
pub enum Pending {
    /// Nothing queued and nothing being sent.
    Empty,
    /// The earliest time a queued or leased message becomes due.
    At(chrono::DateTime<chrono::Utc>),
}

/// What became of a message that was sent (or tried).
#[derive(Debug, Clone, PartialEq)]
pub enum Settle {
    /// The server accepted it.
    Sent,
    /// Deferred or the connection failed: queue it again for `at`.
    Retry { error: String, at: DateTime<Utc> },
    /// Refused for good; `bouncing` names the contact to mark as bouncing.
    Failed {
        error: String,
        bouncing: Option<i64>,
    },
}

/// One connection's turn: what became of its last message, and whether it wants the
/// next one.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub settle: Option<(i64, Settle)>,
    pub claim: bool,
}

impl Store {
    /// Records what became of the messages connections just sent and claims their next
    /// ones, for several connections in one commit (a group commit): each claim
    /// (`sending`) is on disk before its SMTP transaction starts, and each answer right
    /// after the server gives it. Returns each step's claimed message, in order.
    pub async fn settle_and_claim(
        &self,
        owner: &str,
        steps: Vec<Step>,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<Vec<Option<Claimed>>, StoreError> {
        let mut tx = self.write().await?;
        let mut claimed = Vec::with_capacity(steps.len());
        for step in steps {
            if let Some((id, outcome)) = step.settle {
                settle_one(&mut tx, id, owner, outcome, now).await?;
            }
            claimed.push(if step.claim {
                claim_one(&mut tx, owner, lease_until, now).await?
            } else {
                None
            });
        }
        tx.commit().await?;
        Ok(claimed)
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
            "UPDATE outbox SET state = 'queued', next_attempt_at = CAST($2 AS instant_text), lease_owner = NULL, \
             lease_until = NULL, \
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
            "SELECT CAST(MIN(CASE WHEN state = 'queued' THEN next_attempt_at ELSE lease_until END) AS TEXT) AS due \
             FROM outbox WHERE state IN ('queued', 'sending')",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(match super::time_or_null(&row, "due")? {
            Some(t) => Pending::At(t),
            None => Pending::Empty,
        })
    }

    /// How many receipts went (or wait to go) to addresses at `domain` since `since`.
    pub async fn receipts_to_domain_since(
        &self,
        domain: &str,
        since: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        Ok(sqlx::query(
            "SELECT COUNT(*) FROM outbox WHERE kind = 'receipt' AND LOWER(recipient) LIKE $1 ESCAPE '\\' \
             AND created_at >= CAST($2 AS instant_text)",
        )
        // The domain matched as written: `_` (legal in some domains) and `%` escaped.
        .bind(format!(
            "%@{}",
            domain
                .to_lowercase()
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        ))
        .bind(db_time(since))
        .fetch_one(&self.pool)
        .await?
        .try_get(0)?)
    }

    /// How many receipts went (or wait to go) to `recipient` (in any letter case)
    /// since `since`.
    pub async fn receipts_since(
        &self,
        recipient: &str,
        since: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        Ok(sqlx::query(
            "SELECT COUNT(*) FROM outbox WHERE kind = 'receipt' AND LOWER(recipient) = LOWER($1) \
             AND created_at >= CAST($2 AS instant_text)",
        )
        .bind(recipient)
        .bind(db_time(since))
        .fetch_one(&self.pool)
        .await?
        .try_get(0)?)
    }

    /// The contacts that already have a message of `kind` for `cycle`.
    pub async fn outbox_contacts(
        &self,
        kind: MessageKind,
        cycle: Cycle,
    ) -> Result<Vec<i64>, StoreError> {
        let rows = sqlx::query(
            "SELECT contact_id FROM outbox WHERE kind = $1 AND cycle_id = $2 AND contact_id IS NOT NULL",
        )
        .bind(kind.as_str())
        .bind(cycle.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| r.try_get::<i64, _>(0).map_err(StoreError::from))
            .collect()
    }
}

/// Claims the oldest due message: queued and due, or leased by a holder whose lease ran
/// out.
async fn claim_one(
    conn: &mut AnyConnection,
    owner: &str,
    lease_until: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Option<Claimed>, StoreError> {
    // Circulations, reminders and alerts go before answers to replies (receipts,
    // decisions): a flood of replies must never delay the mail the cycle runs on.
    let sql = if super::is_postgres(conn) {
        // Two daemons may claim at once: each skips the rows the other has locked, so
        // no message is claimed twice and neither waits for the other.
        "UPDATE outbox SET state = 'sending', attempts = attempts + 1, lease_owner = $1, \
         lease_until = CAST($2 AS instant_text) \
         WHERE id = (SELECT id FROM outbox \
           WHERE (state = 'queued' AND next_attempt_at <= CAST($3 AS instant_text)) \
              OR (state = 'sending' AND lease_until < CAST($3 AS instant_text)) \
           ORDER BY CASE WHEN state = 'sending' THEN 2 \
                         WHEN kind IN ('receipt', 'decision') THEN 1 ELSE 0 END, id \
           LIMIT 1 FOR UPDATE SKIP LOCKED) \
         RETURNING id, contact_id, message_id, envelope_from, recipient, attempts"
            .to_string()
    } else {
        // One writer at a time. Each part of the choice has its own index: an OR in one
        // WHERE would make SQLite scan the table for each claim.
        let due = "(SELECT MIN(id) FROM outbox WHERE state = 'queued' \
                     AND next_attempt_at <= CAST($3 AS instant_text) \
                     AND kind NOT IN ('receipt', 'decision')), \
                   (SELECT MIN(id) FROM outbox WHERE state = 'queued' \
                     AND next_attempt_at <= CAST($3 AS instant_text)), \
                   (SELECT MIN(id) FROM outbox WHERE state = 'sending' \
                     AND lease_until < CAST($3 AS instant_text))";
        format!(
            "UPDATE outbox SET state = 'sending', attempts = attempts + 1, lease_owner = $1, \
             lease_until = CAST($2 AS instant_text) \
             WHERE id = COALESCE({due}) \
             AND ((state = 'queued' AND next_attempt_at <= CAST($3 AS instant_text)) \
               OR (state = 'sending' AND lease_until < CAST($3 AS instant_text))) \
             RETURNING id, contact_id, message_id, envelope_from, recipient, attempts"
        )
    };
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(owner)
        .bind(db_time(lease_until))
        .bind(db_time(now))
        .fetch_optional(&mut *conn)
        .await?;
    let Some(r) = row else {
        return Ok(None);
    };
    let id: i64 = r.try_get(0)?;
    let raw = sqlx::query("SELECT raw FROM outbox_bodies WHERE outbox_id = $1")
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| StoreError::Corrupt(format!("outbox message {id} has no body")))?
        .try_get(0)?;
    Ok(Some(Claimed {
        id,
        contact_id: r.try_get(1)?,
        message_id: r.try_get(2)?,
        envelope_from: r.try_get(3)?,
        recipient: r.try_get(4)?,
        raw,
        attempts: r.try_get(5)?,
    }))
}

/// Records a message's outcome, if `owner` still holds its lease.
async fn settle_one(
    conn: &mut AnyConnection,
    id: i64,
    owner: &str,
    outcome: Settle,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let now = db_time(now);
    match outcome {
        Settle::Sent => {
            sqlx::query(
                "UPDATE outbox SET state = 'sent', sent_at = CAST($3 AS instant_text), lease_owner = NULL, lease_until = NULL, \
                 last_error = NULL WHERE id = $1 AND lease_owner = $2",
            )
            .bind(id)
            .bind(owner)
            .bind(now.as_str())
            .execute(&mut *conn)
            .await?;
        }
        Settle::Retry { error, at } => {
            sqlx::query(
                "UPDATE outbox SET state = 'queued', next_attempt_at = CAST($3 AS instant_text), \
                 last_error = $4, lease_owner = NULL, lease_until = NULL WHERE id = $1 AND lease_owner = $2",
            )
            .bind(id)
            .bind(owner)
            .bind(db_time(at))
            .bind(error)
            .execute(&mut *conn)
            .await?;
        }
        Settle::Failed { error, bouncing } => {
            sqlx::query(
                "UPDATE outbox SET state = 'failed', last_error = $3, lease_owner = NULL, lease_until = NULL \
                 WHERE id = $1 AND lease_owner = $2",
            )
            .bind(id)
            .bind(owner)
            .bind(error)
            .execute(&mut *conn)
            .await?;
            if let Some(contact) = bouncing {
                super::contacts::mark_bouncing(conn, contact, &now).await?;
            }
        }
    }
    Ok(())
}

/// One outbox message, as `outbox_rows` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxRow {
    pub kind: MessageKind,
    pub recipient: String,
    pub day: String,
    pub state: OutboxState,
    pub subject: String,
}

impl Store {
    /// Every outbox message, oldest first.
    pub async fn outbox_rows(&self) -> Result<Vec<OutboxRow>, StoreError> {
        let rows =
            sqlx::query("SELECT kind, recipient, day, state, subject FROM outbox ORDER BY id")
                .fetch_all(&self.pool)
                .await?;
        rows.iter()
            .map(|r| {
                Ok(OutboxRow {
                    kind: super::parsed(r, "kind")?,
                    recipient: r.try_get(1)?,
                    day: r.try_get(2)?,
                    state: super::parsed(r, "state")?,
                    subject: r.try_get(4)?,
                })
            })
            .collect()
    }
}
