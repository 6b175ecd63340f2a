//! The inbox: every message received, its raw bytes committed before anything else
//! happens to it. Raw bytes are stored once per distinct content (`raw_messages`, keyed
//! by sha256); an `inbox` row records where a message was found.

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use sqlx::Row;

use super::{Store, StoreError};
use crate::clock::db_time;

/// Where a message was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Position {
    Imap {
        mailbox: String,
        uidvalidity: u32,
        uid: u32,
    },
    Maildir {
        folder: String,
        /// The file's unique name, without the `:2,FLAGS` suffix.
        name: String,
    },
}

/// What storing a message did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stored {
    /// A new inbox row.
    New(i64),
    /// Already stored: found at this position before, or the same bytes found elsewhere
    /// (a message copied back into the inbox, a mailbox whose UIDVALIDITY changed).
    Known(i64),
}

/// A message too large to fetch whole (`limits.message_bytes`): only its headers are
/// kept, and it is failed at once, never read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TooLarge {
    /// Its header section, at most the first 64 KiB.
    pub headers: Vec<u8>,
    /// Its size as the server or the file system gave it.
    pub size: u64,
    pub limit: u64,
    /// What its headers say, for the experts' list.
    pub from: Option<String>,
    pub subject: Option<String>,
    pub message_id: Option<String>,
}

impl TooLarge {
    /// Why it was not read, in words.
    pub fn error(&self) -> String {
        format!(
            "too large: {} bytes, over limits.message_bytes ({}); only its headers were kept",
            self.size, self.limit
        )
    }
}

/// A message needsd could not read, for the experts' list.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Unreadable {
    pub id: i64,
    pub received_at: chrono::DateTime<chrono::Utc>,
    pub from: Option<String>,
    pub subject: Option<String>,
    /// Why, in words.
    pub error: String,
    /// Only its headers were kept: there is nothing to read again.
    pub too_large: bool,
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

impl Store {
    /// Commits a message's raw bytes and where it was found, in one transaction. Storing
    /// the same position or the same bytes again stores nothing.
    pub async fn store_raw(
        &self,
        position: &Position,
        raw: &[u8],
        now: DateTime<Utc>,
    ) -> Result<Stored, StoreError> {
        let tx = self.write().await?;
        store_raw_on(tx, position, raw, None, now).await
    }

    /// Commits what is kept of a message too large to fetch: its headers, failed.
    pub async fn store_too_large(
        &self,
        position: &Position,
        t: &TooLarge,
        now: DateTime<Utc>,
    ) -> Result<Stored, StoreError> {
        let tx = self.write().await?;
        store_raw_on(tx, position, &t.headers, Some(t), now).await
    }

    /// [`Store::store_raw`] without waiting for the disk: for a message that stays in the
    /// server's inbox until [`Store::make_durable`] has returned.
    pub async fn store_raw_unsynced(
        &self,
        position: &Position,
        raw: &[u8],
        now: DateTime<Utc>,
    ) -> Result<Stored, StoreError> {
        let tx = self.write_rederivable().await?;
        store_raw_on(tx, position, raw, None, now).await
    }

    /// Returns once everything committed so far is on disk: a commit that waits for the
    /// disk writes the log up to it, earlier commits included.
    pub async fn make_durable(&self) -> Result<(), StoreError> {
        let mut tx = self.write().await?;
        sqlx::query(
            "INSERT INTO counters (name, value) VALUES ('durable_points', 1) \
             ON CONFLICT (name) DO UPDATE SET value = counters.value + 1",
        )
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

async fn store_raw_on(
    mut tx: super::WriteTx,
    position: &Position,
    raw: &[u8],
    too_large: Option<&TooLarge>,
    now: DateTime<Utc>,
) -> Result<Stored, StoreError> {
    let sha = sha256_hex(raw);
    let now = db_time(now);
    // A write first, so SQLite takes the write lock before anything is read.
    sqlx::query(
        "INSERT INTO raw_messages (sha256, bytes, size) VALUES ($1, $2, $3) ON CONFLICT (sha256) DO NOTHING",
    )
    .bind(sha.as_str())
    .bind(raw)
    .bind(raw.len() as i64)
    .execute(&mut *tx)
    .await?;
    let (source, mailbox, uidvalidity, uid, name) = match position {
        Position::Imap {
            mailbox,
            uidvalidity,
            uid,
        } => (
            "imap",
            mailbox.as_str(),
            Some(i64::from(*uidvalidity)),
            Some(i64::from(*uid)),
            None,
        ),
        Position::Maildir { folder, name } => {
            ("maildir", folder.as_str(), None, None, Some(name.as_str()))
        }
    };
    let existing = sqlx::query(
        "SELECT id FROM inbox WHERE mailbox = $1 AND ((uidvalidity = $2 AND uid = $3) OR maildir_name = $4) \
         UNION ALL SELECT id FROM inbox WHERE sha256 = $5 LIMIT 1",
    )
    .bind(mailbox)
    .bind(uidvalidity)
    .bind(uid)
    .bind(name)
    .bind(sha.as_str())
    .fetch_optional(&mut *tx)
    .await?;
    let stored = match existing {
        Some(r) => Stored::Known(r.try_get(0)?),
        None => {
            let row = sqlx::query(
                "INSERT INTO inbox (sha256, source, mailbox, uidvalidity, uid, maildir_name, received_at, \
                 state, created_at, error, from_addr, subject, message_id, too_large) \
                 VALUES ($1, $2, $3, $4, $5, $6, CAST($7 AS instant_text), $8, CAST($7 AS instant_text), \
                 $9, $10, $11, $12, $13) RETURNING id",
            )
            .bind(sha.as_str())
            .bind(source)
            .bind(mailbox)
            .bind(uidvalidity)
            .bind(uid)
            .bind(name)
            .bind(now.as_str())
            .bind(if too_large.is_some() { "failed" } else { "stored" })
            .bind(too_large.map(TooLarge::error))
            .bind(too_large.and_then(|t| t.from.clone()))
            .bind(too_large.and_then(|t| t.subject.clone()))
            .bind(too_large.and_then(|t| t.message_id.clone()))
            .bind(too_large.map(|t| i64::try_from(t.size).unwrap_or(i64::MAX)))
            .fetch_one(&mut *tx)
            .await?;
            Stored::New(row.try_get(0)?)
        }
    };
    tx.commit().await?;
    Ok(stored)
}

impl Store {
    /// Of `uids` in IMAP mailbox `mailbox` under `uidvalidity`, those already stored.
    pub async fn held_uids(
        &self,
        mailbox: &str,
        uidvalidity: u32,
        uids: &[u32],
    ) -> Result<std::collections::HashSet<u32>, StoreError> {
        let mut held = std::collections::HashSet::new();
        for chunk in uids.chunks(500) {
            let marks: Vec<String> = (3..chunk.len() + 3).map(|i| format!("${i}")).collect();
            let sql = format!(
                "SELECT uid FROM inbox WHERE mailbox = $1 AND uidvalidity = $2 AND uid IN ({})",
                marks.join(", ")
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(mailbox)
                .bind(i64::from(uidvalidity));
            for u in chunk {
                q = q.bind(i64::from(*u));
            }
            for r in q.fetch_all(&self.pool).await? {
                let uid: i64 = r.try_get(0)?;
                held.extend(u32::try_from(uid).ok());
            }
        }
        Ok(held)
    }

    /// The messages needsd could not read (failed, or over the size limit), newest
    /// first, at most `limit` of them, and how many there are in all.
    pub async fn unreadable(&self, limit: i64) -> Result<(Vec<Unreadable>, i64), StoreError> {
        let rows = sqlx::query(
            "SELECT id, CAST(received_at AS TEXT) AS received_at, from_addr, subject, error, too_large \
             FROM inbox \
             WHERE state = 'failed' ORDER BY id DESC LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        let list = rows
            .iter()
            .map(|r| {
                Ok(Unreadable {
                    id: r.try_get(0)?,
                    received_at: super::time(r, "received_at")?,
                    from: r.try_get(2)?,
                    subject: r.try_get(3)?,
                    error: r.try_get::<Option<String>, _>(4)?.unwrap_or_default(),
                    too_large: r.try_get::<Option<i64>, _>(5)?.is_some(),
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        let total = sqlx::query("SELECT COUNT(*) FROM inbox WHERE state = 'failed'")
            .fetch_one(&self.pool)
            .await?
            .try_get(0)?;
        Ok((list, total))
    }

    /// How many messages the inbox holds, by state.
    pub async fn inbox_count(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query("SELECT COUNT(*) FROM inbox")
            .fetch_one(&self.pool)
            .await?
            .try_get(0)?)
    }
}
