//! Which of several daemons on one PostgreSQL database leads: runs the scheduler, the
//! inbox watcher and the sender. The leader holds a PostgreSQL advisory lock on a
//! connection of its own. The server releases the lock the moment that connection's
//! session ends, so a leader killed on its machine is replaced as soon as another daemon
//! asks; a machine that vanishes is noticed by TCP keepalives within the failover time.
//! The leader also writes who it is into `daemon_lock`, renewed as it checks its lock,
//! so that every daemon's `/metrics` can say who leads.
//!
//! Why not a lease row with a heartbeat: a lease must outlast the longest pause of its
//! holder (a stalled disk, a slow SMTP exchange), so a dead leader would be replaced only
//! after that margin; the lock goes with the session, and no clock of two machines is
//! compared. See docs/decisions/0044.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::{Connection, Row};

use super::{Backend, Store, StoreError};
use crate::clock::db_time;

/// The advisory lock's key: "needsd" in ASCII, so that it is recognisable in `pg_locks`.
const LEADER_KEY: i64 = 0x6e65_6564_7364;

/// The lead, held: dropping it ends the session, which releases the lock.
pub struct Lead {
    conn: sqlx::AnyConnection,
}

/// The leader as the database records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leader {
    pub owner: String,
    pub since: DateTime<Utc>,
    pub listen: Option<String>,
    pub renewed_at: Option<DateTime<Utc>>,
}

impl Store {
    /// Takes the lead when no other daemon holds it (PostgreSQL only; on SQLite one
    /// daemon holds the whole database). `failover` bounds how long a leader whose
    /// machine vanished keeps the lock: the server probes the lock's connection and ends
    /// the session when the probes go unanswered.
    pub async fn try_lead(&self, failover: Duration) -> Result<Option<Lead>, StoreError> {
        if self.backend != Backend::Postgres {
            return Err(StoreError::Corrupt(
                "only daemons on PostgreSQL elect a leader".into(),
            ));
        }
        let mut conn = sqlx::AnyConnection::connect(&self.url).await?;
        // Probes after a third of the failover time idle, then three more in the next
        // third: a vanished peer is given up within two thirds of it.
        let idle = (failover.as_secs() / 3).max(1);
        let interval = (failover.as_secs() / 9).max(1);
        for set in [
            format!("SET tcp_keepalives_idle = {idle}"),
            format!("SET tcp_keepalives_interval = {interval}"),
            "SET tcp_keepalives_count = 3".to_string(),
        ] {
            sqlx::query(sqlx::AssertSqlSafe(set))
                .execute(&mut conn)
                .await?;
        }
        let won: bool = sqlx::query("SELECT pg_try_advisory_lock($1)")
            .bind(LEADER_KEY)
            .fetch_one(&mut conn)
            .await?
            .try_get(0)?;
        if won {
            Ok(Some(Lead { conn }))
        } else {
            let _ = conn.close().await;
            Ok(None)
        }
    }

    /// Who leads, as the leader last wrote it.
    pub async fn leader(&self) -> Result<Option<Leader>, StoreError> {
        let row = sqlx::query(
            "SELECT owner, CAST(started_at AS TEXT) AS started_at, listen, \
             CAST(renewed_at AS TEXT) AS renewed_at FROM daemon_lock WHERE id = 1",
        )
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            Ok(Leader {
                owner: r.try_get("owner")?,
                since: super::time(&r, "started_at")?,
                listen: r.try_get("listen")?,
                renewed_at: super::time_or_null(&r, "renewed_at")?,
            })
        })
        .transpose()
    }
}

impl Lead {
    /// Checks that the lock is still held (its session answers) and records the leader
    /// as `owner`, listening on `listen`, renewed `now`. An error means the lead may be
    /// lost: the caller must stop leading at once.
    pub async fn renew(
        &mut self,
        store: &Store,
        owner: &str,
        listen: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&mut self.conn).await?;
        let now = db_time(now);
        let mut tx = store.write().await?;
        sqlx::query(
            "INSERT INTO daemon_lock (id, owner, started_at, listen, renewed_at) \
             VALUES (1, $1, CAST($2 AS instant_text), $3, CAST($2 AS instant_text)) \
             ON CONFLICT (id) DO UPDATE SET owner = excluded.owner, listen = excluded.listen, \
             renewed_at = excluded.renewed_at, \
             started_at = CASE WHEN daemon_lock.owner = excluded.owner \
               THEN daemon_lock.started_at ELSE excluded.started_at END",
        )
        .bind(owner)
        .bind(now.as_str())
        .bind(listen)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Gives the lead up: the lock is released with the session.
    pub async fn resign(self) {
        let _ = self.conn.close().await;
    }
}
