//! The scheduler's bookkeeping (`job_runs`), one-off deadlines (`deadlines`), and who
//! has not answered a cycle.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::Row;

use super::{Store, StoreError};
use crate::clock::db_time;
use crate::model::Cycle;

/// The condition on a submission (of table alias `s`, or none) that makes it its party's
/// answer: anything but a reply whose sender could not be trusted, waiting in quarantine
/// or refused there (someone else may have sent it).
pub(crate) fn answered(alias: &str) -> String {
    let a = if alias.is_empty() {
        String::new()
    } else {
        format!("{alias}.")
    };
    format!("{a}state <> 'quarantined' AND {a}refused_by IS NULL")
}

/// A one-off obligation with alerts to its owner.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Deadline {
    pub id: i64,
    pub title: String,
    pub due: NaiveDate,
    pub owner: String,
    /// Days before `due` on which the owner is alerted (0 = on the day).
    pub alert_days: Vec<u32>,
}

impl Store {
    /// Claims the run of `job` scheduled for `key` (local wall time). False when it has
    /// already run; a run that started and never finished (the process died) is claimed
    /// again: every job is safe to repeat, its messages being keyed in the outbox.
    pub async fn claim_run(
        &self,
        job: &str,
        key: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let mut tx = self.write().await?;
        let done = sqlx::query(
            "INSERT INTO job_runs (job, scheduled_for, started_at) VALUES ($1, $2, CAST($3 AS instant_text)) \
             ON CONFLICT (job, scheduled_for) DO UPDATE SET started_at = excluded.started_at \
             WHERE job_runs.finished_at IS NULL",
        )
        .bind(job)
        .bind(key)
        .bind(db_time(now))
        .execute(&mut *tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok(done == 1)
    }

    /// Records how a claimed run ended.
    pub async fn finish_run(
        &self,
        job: &str,
        key: &str,
        now: DateTime<Utc>,
        outcome: &str,
    ) -> Result<(), StoreError> {
        let mut tx = self.write().await?;
        sqlx::query(
            "UPDATE job_runs SET finished_at = CAST($3 AS instant_text), outcome = $4 WHERE job = $1 AND scheduled_for = $2",
        )
        .bind(job)
        .bind(key)
        .bind(db_time(now))
        .bind(outcome)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The runs recorded for `job`, newest first: `(scheduled_for, outcome)`.
    pub async fn job_runs(&self, job: &str) -> Result<Vec<(String, Option<String>)>, StoreError> {
        let rows = sqlx::query(
            "SELECT scheduled_for, outcome FROM job_runs WHERE job = $1 ORDER BY scheduled_for DESC",
        )
        .bind(job)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
            .collect()
    }

    /// The contact ids of the recipients of `cycle` whose party has sent no answer to
    /// it, active contacts only.
    pub async fn silent_recipients(&self, cycle: Cycle) -> Result<Vec<i64>, StoreError> {
        let q = format!(
            "SELECT r.contact_id FROM recipients r JOIN contacts c ON c.id = r.contact_id \
             WHERE r.cycle_id = $1 AND c.active AND NOT EXISTS (SELECT 1 FROM submissions s \
             WHERE s.cycle_id = r.cycle_id AND s.party_code = c.party_code AND {}) \
             ORDER BY r.contact_id",
            answered("s")
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(q))
            .bind(cycle.to_string())
            .fetch_all(&self.pool)
            .await?;
        Ok(rows
            .iter()
            .map(|r| r.try_get(0))
            .collect::<Result<_, _>>()?)
    }

    pub async fn add_deadline(
        &self,
        title: &str,
        due: NaiveDate,
        owner: &str,
        alert_days: &[u32],
        now: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        let days: Vec<String> = alert_days.iter().map(u32::to_string).collect();
        let mut tx = self.write().await?;
        let id: i64 = sqlx::query(
            "INSERT INTO deadlines (title, due, owner_email, alert_offsets, created_at) \
             VALUES ($1, $2, $3, $4, CAST($5 AS instant_text)) RETURNING id",
        )
        .bind(title)
        .bind(due.to_string())
        .bind(owner)
        .bind(days.join(","))
        .bind(db_time(now))
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn deadlines(&self) -> Result<Vec<Deadline>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, title, due, owner_email, alert_offsets FROM deadlines ORDER BY due, id",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let due: String = r.try_get(2)?;
                let offsets: String = r.try_get(4)?;
                Ok(Deadline {
                    id: r.try_get(0)?,
                    title: r.try_get(1)?,
                    due: due
                        .parse()
                        .map_err(|e| StoreError::Corrupt(format!("deadline due '{due}': {e}")))?,
                    owner: r.try_get(3)?,
                    alert_days: offsets
                        .split(',')
                        .filter(|s| !s.trim().is_empty())
                        .map(|s| {
                            s.trim().parse().map_err(|e| {
                                StoreError::Corrupt(format!("deadline alert days '{offsets}': {e}"))
                            })
                        })
                        .collect::<Result<_, _>>()?,
                })
            })
            .collect()
    }
}

/// What the experts' digest of a cycle says.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct DigestFacts {
    pub cycle: String,
    pub deadline: String,
    /// Parties the cycle was circulated to.
    pub parties: i64,
    pub answered: i64,
    pub awaiting_review: i64,
    pub changes_pending: i64,
    pub conflicts: i64,
    pub quarantined: i64,
    pub unparseable: i64,
    pub late: i64,
    /// "Kenya (KEN)" for each party that has not answered.
    pub silent: Vec<String>,
    /// "name <email> (PARTY)" for each active contact whose mail bounces.
    pub bouncing: Vec<String>,
    /// Each need still Open with no provider after `[matching] unmet_cycles`
    /// circulations, with the programmes that could meet it (filled in by the digest).
    pub unmet: Vec<String>,
}

impl Store {
    /// Counts and lists for the digest of `cycle`.
    pub async fn digest_facts(&self, cycle: Cycle) -> Result<DigestFacts, StoreError> {
        let id = cycle.to_string();
        let one = |q: String| {
            let id = id.clone();
            async move {
                let v: Option<i64> = sqlx::query(sqlx::AssertSqlSafe(q))
                    .bind(id)
                    .fetch_one(&self.pool)
                    .await?
                    .try_get(0)?;
                Ok::<_, StoreError>(v.unwrap_or(0))
            }
        };
        let mut f = DigestFacts {
            cycle: id.clone(),
            parties: one(
                "SELECT COUNT(DISTINCT c.party_code) FROM recipients r JOIN contacts c ON c.id = r.contact_id \
                 WHERE r.cycle_id = $1"
                    .into(),
            )
            .await?,
            answered: one(format!(
                "SELECT COUNT(DISTINCT party_code) FROM submissions WHERE cycle_id = $1 AND {}",
                answered("")
            ))
            .await?,
            awaiting_review: one(
                "SELECT COUNT(*) FROM submissions WHERE cycle_id = $1 AND state = 'pending'".into(),
            )
            .await?,
            changes_pending: one(
                "SELECT (SELECT COUNT(*) FROM proposed_changes p JOIN submissions s ON s.id = p.submission_id \
                 WHERE s.cycle_id = $1 AND s.state = 'pending' AND p.decision = 'pending') \
                 + (SELECT COUNT(*) FROM proposed_programme_changes p JOIN submissions s \
                 ON s.id = p.submission_id WHERE s.cycle_id = $1 AND s.state = 'pending' \
                 AND p.decision = 'pending')"
                    .into(),
            )
            .await?,
            conflicts: one(
                "SELECT COUNT(*) FROM proposed_changes p JOIN submissions s ON s.id = p.submission_id \
                 WHERE s.cycle_id = $1 AND s.state = 'pending' AND p.decision = 'pending' AND p.conflict"
                    .into(),
            )
            .await?,
            quarantined: one(
                "SELECT COUNT(*) FROM submissions WHERE cycle_id = $1 AND state = 'quarantined'".into(),
            )
            .await?,
            unparseable: one(
                "SELECT COUNT(*) FROM submissions WHERE cycle_id = $1 AND state = 'unparseable'".into(),
            )
            .await?,
            late: one("SELECT COUNT(*) FROM submissions WHERE cycle_id = $1 AND late".into())
                .await?,
            ..DigestFacts::default()
        };
        let silent = format!(
            "SELECT DISTINCT p.name, p.code FROM recipients r JOIN contacts c ON c.id = r.contact_id \
             JOIN parties p ON p.code = c.party_code WHERE r.cycle_id = $1 AND NOT EXISTS \
             (SELECT 1 FROM submissions s WHERE s.cycle_id = r.cycle_id AND s.party_code = c.party_code \
             AND {}) ORDER BY p.name",
            answered("s")
        );
        for r in sqlx::query(sqlx::AssertSqlSafe(silent))
            .bind(id.as_str())
            .fetch_all(&self.pool)
            .await?
        {
            let (name, code): (String, String) = (r.try_get(0)?, r.try_get(1)?);
            f.silent.push(format!("{name} ({code})"));
        }
        for r in sqlx::query(
            "SELECT name, email, party_code FROM contacts WHERE active AND bouncing_since IS NOT NULL \
             ORDER BY party_code, email_key",
        )
        .fetch_all(&self.pool)
        .await?
        {
            let (name, email, party): (String, String, String) =
                (r.try_get(0)?, r.try_get(1)?, r.try_get(2)?);
            f.bouncing.push(format!("{name} <{email}> ({party})"));
        }
        if let Some(r) =
            sqlx::query("SELECT CAST(deadline AS TEXT) AS deadline FROM cycles WHERE id = $1")
                .bind(id.as_str())
                .fetch_optional(&self.pool)
                .await?
        {
            f.deadline = db_time(super::time(&r, "deadline")?);
        }
        Ok(f)
    }
}

/// The daemon that holds a database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holder {
    pub owner: String,
    pub started_at: chrono::DateTime<chrono::Utc>,
    pub listen: Option<String>,
}

/// Counts for `/metrics`.
#[derive(Debug, Clone, Default)]
pub struct Gauges {
    /// Outbox messages by state.
    pub outbox: Vec<(String, i64)>,
    /// Stored inbound messages by classification (`reply`, `bounce`, … or `unread`).
    pub inbox: Vec<(String, i64)>,
    pub submissions_pending: i64,
    pub submissions_quarantined: i64,
}

impl Store {
    /// Takes the database for this daemon, unless another one holds it and is not
    /// `gone`; then says who does.
    pub async fn acquire_daemon_lock(
        &self,
        owner: &str,
        listen: &str,
        now: DateTime<Utc>,
        gone: impl Fn(&str) -> bool,
    ) -> Result<Result<(), Holder>, StoreError> {
        let mut tx = self.write().await?;
        // A write first, so SQLite takes the write lock before the read.
        sqlx::query("DELETE FROM daemon_lock WHERE owner = $1")
            .bind(owner)
            .execute(&mut *tx)
            .await?;
        if let Some(r) =
            sqlx::query("SELECT owner, CAST(started_at AS TEXT) AS started_at, listen FROM daemon_lock WHERE id = 1")
                .fetch_optional(&mut *tx)
                .await?
        {
            let holder = Holder {
                owner: r.try_get(0)?,
                started_at: super::time(&r, "started_at")?,
                listen: r.try_get(2)?,
            };
            if !gone(&holder.owner) {
                return Ok(Err(holder));
            }
            sqlx::query("DELETE FROM daemon_lock WHERE id = 1")
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query(
            "INSERT INTO daemon_lock (id, owner, started_at, listen) VALUES (1, $1, CAST($2 AS instant_text), $3)",
        )
        .bind(owner)
        .bind(db_time(now))
        .bind(listen)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Ok(()))
    }

    pub async fn release_daemon_lock(&self, owner: &str) -> Result<(), StoreError> {
        let mut tx = self.write().await?;
        sqlx::query("DELETE FROM daemon_lock WHERE owner = $1")
            .bind(owner)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Whether the database answers.
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").fetch_one(&self.pool).await?;
        Ok(())
    }

    pub async fn gauges(&self) -> Result<Gauges, StoreError> {
        let pairs = |q: &'static str| async move {
            sqlx::query(q)
                .fetch_all(&self.pool)
                .await?
                .iter()
                .map(|r| Ok((r.try_get::<String, _>(0)?, r.try_get::<i64, _>(1)?)))
                .collect::<Result<Vec<_>, StoreError>>()
        };
        let count = |q: &'static str| async move {
            Ok::<i64, StoreError>(sqlx::query(q).fetch_one(&self.pool).await?.try_get(0)?)
        };
        Ok(Gauges {
            outbox: pairs("SELECT state, COUNT(*) FROM outbox GROUP BY state ORDER BY state")
                .await?,
            inbox: pairs(
                "SELECT COALESCE(classification, 'unread'), COUNT(*) FROM inbox \
                 GROUP BY COALESCE(classification, 'unread') ORDER BY 1",
            )
            .await?,
            submissions_pending: count("SELECT COUNT(*) FROM submissions WHERE state = 'pending'")
                .await?,
            submissions_quarantined: count(
                "SELECT COUNT(*) FROM submissions WHERE state = 'quarantined'",
            )
            .await?,
        })
    }
}

impl Store {
    /// Submissions awaiting a decision, by party ("Kenya (KEN)"), most first.
    pub async fn pending_by_party(&self) -> Result<Vec<(String, i64)>, StoreError> {
        let rows = sqlx::query(
            "SELECT p.name, p.code, COUNT(*) AS n FROM submissions s JOIN parties p ON p.code = s.party_code \
             WHERE s.state = 'pending' GROUP BY p.name, p.code ORDER BY n DESC, p.name",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let (name, code): (String, String) = (r.try_get(0)?, r.try_get(1)?);
                Ok((format!("{name} ({code})"), r.try_get(2)?))
            })
            .collect()
    }
}
