//! Submissions: what a reply proposed, with its changes and row issues, and the lookups
//! that match a message to a cycle's recipient.

use chrono::{DateTime, Utc};
use sqlx::Row;

use super::{Store, StoreError};
use crate::clock::db_time;
use crate::diff::Change;
use crate::model::RowError;
use crate::model::{Cycle, Field};
use crate::state::{InboxState, SubmissionState};

/// A stored message waiting to be read.
#[derive(Debug, Clone)]
pub struct StoredMessage {
    pub id: i64,
    pub raw: Vec<u8>,
    pub received_at: DateTime<Utc>,
}

/// Who a message answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Match {
    pub cycle: Cycle,
    pub contact_id: i64,
}

/// What reading a message found, for its inbox row.
#[derive(Debug, Clone, Default)]
pub struct Reading {
    pub message_id: Option<String>,
    pub from: Option<String>,
    pub subject: Option<String>,
    /// `reply`, `auto_reply`, `bounce`, `unrelated`, `duplicate`.
    pub classification: Option<String>,
    pub matched: Option<(Cycle, i64)>,
    pub verified: Option<bool>,
    pub auth_results: Option<String>,
    /// What makes another message a copy of this one (`classify::copy_key`).
    pub copy_key: Option<String>,
    /// Parsed, quarantined or failed.
    pub state: InboxState,
    pub error: Option<String>,
}

/// A submission to store.
#[derive(Debug, Clone)]
pub struct NewSubmission {
    pub inbox_id: i64,
    pub party: String,
    pub contact_id: Option<i64>,
    pub cycle: Cycle,
    pub attachment: Option<String>,
    pub late: bool,
    /// Pending, no changes, unparseable or quarantined: how it is stored.
    pub state: SubmissionState,
    pub note: Option<String>,
    pub changes: Vec<Change>,
    /// What it proposes to the Directory of Sources of Assistance, numbered after
    /// `changes`.
    pub programme_changes: Vec<crate::register::Change>,
    pub errors: Vec<RowError>,
    pub warnings: Vec<RowError>,
}

impl Store {
    /// Messages stored but not yet read (a run may have stopped in between).
    pub async fn unread_messages(&self) -> Result<Vec<i64>, StoreError> {
        let rows = sqlx::query("SELECT id FROM inbox WHERE state = 'stored' ORDER BY id")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| r.try_get::<i64, _>(0).map_err(StoreError::from))
            .collect()
    }

    pub async fn stored_message(&self, id: i64) -> Result<Option<StoredMessage>, StoreError> {
        let row = sqlx::query(
            "SELECT i.id, r.bytes, CAST(i.received_at AS TEXT) AS received_at FROM inbox i \
             JOIN raw_messages r ON r.sha256 = i.sha256 WHERE i.id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            let received: String = r.try_get(2)?;
            Ok(StoredMessage {
                id: r.try_get(0)?,
                raw: r.try_get(1)?,
                // A time that does not read back means the database was edited by hand:
                // refused, never taken for "not late".
                received_at: crate::clock::from_db_time(&received).ok_or_else(|| {
                    StoreError::Corrupt(format!("message {id}: received_at '{received}'"))
                })?,
            })
        })
        .transpose()
    }

    /// Records that a reading of stored message `id` begins, and returns how many
    /// readings of it have now begun without finishing, this one included. Committed at
    /// once (and without waiting for the disk: it guards against a process that dies, not
    /// against a machine that does).
    pub async fn begin_reading(&self, id: i64) -> Result<i64, StoreError> {
        let mut tx = self.write_rederivable().await?;
        let row = sqlx::query(
            "UPDATE inbox SET read_attempts = read_attempts + 1 WHERE id = $1 RETURNING read_attempts",
        )
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(row.map(|r| r.try_get(0)).transpose()?.unwrap_or(0))
    }

    /// Records that the reading of stored message `id`'s bytes finished (the part that
    /// could take the process down), whatever comes of the message: see
    /// [`Store::begin_reading`].
    pub async fn end_reading(&self, id: i64) -> Result<(), StoreError> {
        let mut tx = self.write_rederivable().await?;
        sqlx::query("UPDATE inbox SET read_attempts = 0 WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The recipient a token was issued to: by a circulation, or in the Reply-To of a
    /// receipt or a decision mail.
    pub async fn recipient_by_token(&self, token: &str) -> Result<Option<Match>, StoreError> {
        let row = sqlx::query(
            "SELECT cycle_id, contact_id FROM recipients WHERE token = $1 \
             UNION ALL SELECT cycle_id, contact_id FROM reply_tokens WHERE token = $1 LIMIT 1",
        )
        .bind(token)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| match_from(&r)).transpose()
    }

    /// The recipient of a message needsd sent, by its Message-ID (without brackets).
    pub async fn recipient_by_message_id(&self, id: &str) -> Result<Option<Match>, StoreError> {
        self.recipient_of(id, "").await
    }

    /// The recipient of a message needsd sent whose Message-ID nobody could have guessed:
    /// a circulation, reminder or deadline alert, whose Message-IDs carry a MAC under the
    /// token secret (receipts and decisions name their contact and a counter in the
    /// clear). Only such a Message-ID, returned inside a bounce, may mark its recipient.
    pub async fn recipient_by_signed_message_id(
        &self,
        id: &str,
    ) -> Result<Option<Match>, StoreError> {
        self.recipient_of(
            id,
            "AND kind IN ('circulation', 'reminder', 'deadline_alert')",
        )
        .await
    }

    async fn recipient_of(&self, id: &str, and_kind: &str) -> Result<Option<Match>, StoreError> {
        let sql = format!(
            "SELECT cycle_id, contact_id FROM outbox WHERE message_id = $1 \
             AND cycle_id IS NOT NULL AND contact_id IS NOT NULL {and_kind}"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(format!("<{}>", id.trim_matches(|c| c == '<' || c == '>')))
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| match_from(&r)).transpose()
    }

    /// The latest cycle circulated to a contact.
    pub async fn latest_cycle_of(&self, contact_id: i64) -> Result<Option<Cycle>, StoreError> {
        let row = sqlx::query(
            "SELECT cycle_id FROM recipients WHERE contact_id = $1 ORDER BY cycle_id DESC LIMIT 1",
        )
        .bind(contact_id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| super::parsed(&r, "cycle_id")).transpose()
    }

    /// Whether another stored message that is the same as this one (the same
    /// Message-ID, sender and attachments: `classify::copy_key`) already gave a
    /// submission: the same reply delivered to two of needsd's addresses, or a copy
    /// dragged back into the inbox with other headers.
    pub async fn submitted_copy(&self, copy_key: &str, except: i64) -> Result<bool, StoreError> {
        Ok(sqlx::query(
            "SELECT 1 FROM inbox i JOIN submissions s ON s.inbox_id = i.id WHERE i.copy_key = $1 AND i.id <> $2 LIMIT 1",
        )
        .bind(copy_key)
        .bind(except)
        .fetch_optional(&self.pool)
        .await?
        .is_some())
    }

    /// Every stored message, oldest first (for `reparse --all`).
    pub async fn all_messages(&self) -> Result<Vec<i64>, StoreError> {
        let rows = sqlx::query("SELECT id FROM inbox WHERE too_large IS NULL ORDER BY id")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| r.try_get::<i64, _>(0).map_err(StoreError::from))
            .collect()
    }

    /// Prepares a stored message to be read again: the pending changes of the submissions
    /// an earlier reading made from it are superseded by what the new reading finds.
    /// Returns false when there is no such message, or only its headers were kept
    /// (it was over `limits.message_bytes`).
    pub async fn unread(&self, inbox_id: i64, now: DateTime<Utc>) -> Result<bool, StoreError> {
        let mut tx = self.write().await?;
        let found = sqlx::query(
            "UPDATE inbox SET state = 'stored', error = NULL, read_attempts = 0 \
             WHERE id = $1 AND too_large IS NULL",
        )
        .bind(inbox_id)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        if !found {
            return Ok(false);
        }
        sqlx::query(
            "UPDATE proposed_changes SET decision = 'superseded', decided_at = CAST($2 AS instant_text) \
             WHERE decision = 'pending' \
             AND submission_id IN (SELECT id FROM submissions WHERE inbox_id = $1)",
        )
        .bind(inbox_id)
        .bind(db_time(now))
        .execute(&mut *tx)
        .await?;
        let made: std::collections::BTreeSet<i64> =
            sqlx::query("SELECT id FROM submissions WHERE inbox_id = $1")
                .bind(inbox_id)
                .fetch_all(&mut *tx)
                .await?
                .iter()
                .map(|r| r.try_get("id"))
                .collect::<Result<_, _>>()?;
        settle_on(&mut tx, &db_time(now), &made).await?;
        tx.commit().await?;
        Ok(found)
    }

    /// Records what reading a message found.
    pub async fn record_reading(&self, inbox_id: i64, r: &Reading) -> Result<(), StoreError> {
        let mut conn = self.pool.acquire().await?;
        record_reading_on(&mut conn, inbox_id, r).await
    }

    /// Everything reading one message decided, in one commit: what it is, the contacts
    /// it shows to be bouncing, its submissions, and its receipt. Returns whether the
    /// receipt was new.
    pub async fn commit_reading(
        &self,
        inbox_id: i64,
        reading: &Reading,
        bouncing: &[i64],
        submissions: &[NewSubmission],
        receipt: Option<&crate::store::outbox::NewMessage>,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        // A reading lost to a power cut is read again from the raw message.
        let mut tx = self.write_rederivable().await?;
        record_reading_on(&mut tx, inbox_id, reading).await?;
        for c in bouncing {
            super::contacts::mark_bouncing(&mut tx, *c, &db_time(now)).await?;
        }
        for s in submissions {
            insert_submission_on(&mut tx, s, now).await?;
        }
        let mut added = 0;
        if let Some(r) = receipt {
            added = crate::store::outbox::enqueue(&mut tx, std::slice::from_ref(r), now).await?;
        }
        tx.commit().await?;
        Ok(added == 1)
    }
}

pub(crate) async fn record_reading_on(
    conn: &mut sqlx::AnyConnection,
    inbox_id: i64,
    r: &Reading,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE inbox SET message_id = $2, from_addr = $3, subject = $4, classification = $5, cycle_id = $6, \
         contact_id = $7, sender_verified = $8, auth_results = $9, state = $10, error = $11, copy_key = $12 \
         WHERE id = $1",
    )
    .bind(inbox_id)
    .bind(r.message_id.as_deref())
    .bind(r.from.as_deref())
    .bind(r.subject.as_deref())
    .bind(r.classification.as_deref())
    .bind(r.matched.map(|m| m.0.to_string()))
    .bind(r.matched.map(|m| m.1))
    .bind(r.verified)
    .bind(r.auth_results.as_deref())
    .bind(r.state.as_str())
    .bind(r.error.as_deref())
    .bind(r.copy_key.as_deref())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Stores a submission with its changes and issues. Unless it is in quarantine (a
/// stranger's message must not undo the party's own), it then supersedes what the party's
/// earlier replies for the cycle proposed on the same things: see [`supersede_on`].
pub(crate) async fn insert_submission_on(
    conn: &mut sqlx::AnyConnection,
    s: &NewSubmission,
    now: DateTime<Utc>,
) -> Result<i64, StoreError> {
    let id = insert_submission_rows(conn, s, now).await?;
    if s.state != SubmissionState::Quarantined {
        supersede_on(conn, s.party.as_str(), &s.cycle.to_string(), now).await?;
    }
    Ok(id)
}

/// When one party replies more than once in a cycle, a later reply supersedes what the
/// earlier ones proposed on the same things ([`crate::review::superseded`] says which).
/// Replies in quarantine neither supersede nor are superseded until accepted, and a reply
/// whose sender was refused never does. Earlier submissions left with nothing pending are
/// settled.
pub(crate) async fn supersede_on(
    conn: &mut sqlx::AnyConnection,
    party: &str,
    cycle: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let now = db_time(now);
    let rows = sqlx::query(
        "SELECT c.id, c.submission_id, c.kind, c.need_id, c.field, c.decision \
         FROM proposed_changes c JOIN submissions s ON s.id = c.submission_id \
         WHERE s.party_code = $1 AND s.cycle_id = $2 AND s.state <> 'quarantined' \
         AND s.refused_by IS NULL",
    )
    .bind(party)
    .bind(cycle)
    .fetch_all(&mut *conn)
    .await?;
    let changes = rows
        .iter()
        .map(|r| {
            let kind: String = r.try_get("kind")?;
            let field: Option<String> = r.try_get("field")?;
            Ok(crate::review::Replied {
                id: r.try_get("id")?,
                submission: r.try_get("submission_id")?,
                kind: crate::review::Kind::parse(&kind)
                    .ok_or_else(|| StoreError::Corrupt(format!("change kind '{kind}'")))?,
                need: r.try_get("need_id")?,
                field: field
                    .map(|f| Field::parse(&f).map_err(|e| StoreError::Corrupt(e.to_string())))
                    .transpose()?,
                decision: super::parsed(r, "decision")?,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    let theirs = changes.iter().map(|c| c.submission).collect();
    for id in crate::review::superseded(&changes) {
        sqlx::query(
            "UPDATE proposed_changes SET decision = 'superseded', decided_at = CAST($2 AS instant_text) \
             WHERE id = $1 AND decision = 'pending'",
        )
        .bind(id)
        .bind(now.as_str())
        .execute(&mut *conn)
        .await?;
    }
    settle_on(conn, &now, &theirs).await
}

/// Of `submissions`, those still `pending` that had changes and have no pending one left
/// (all superseded, or decided) are settled as a decision would settle them
/// ([`SubmissionState::settled`]).
pub(crate) async fn settle_on(
    conn: &mut sqlx::AnyConnection,
    now: &str,
    submissions: &std::collections::BTreeSet<i64>,
) -> Result<(), StoreError> {
    for &id in submissions {
        let decisions = sqlx::query(
            "SELECT c.decision FROM proposed_changes c JOIN submissions s ON s.id = c.submission_id \
             WHERE s.id = $1 AND s.state = 'pending' \
             UNION ALL SELECT c.decision FROM proposed_programme_changes c \
             JOIN submissions s ON s.id = c.submission_id WHERE s.id = $1 AND s.state = 'pending'",
        )
        .bind(id)
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|r| super::parsed(r, "decision"))
        .collect::<Result<Vec<crate::state::Decision>, StoreError>>()?;
        // A submission with no changes at all is not settled here.
        if decisions.is_empty() {
            continue;
        }
        if let Some(state) = SubmissionState::settled(decisions) {
            sqlx::query(
                "UPDATE submissions SET decided_at = CAST($2 AS instant_text), state = $3 \
                 WHERE id = $1 AND state = 'pending'",
            )
            .bind(id)
            .bind(now)
            .bind(state.as_str())
            .execute(&mut *conn)
            .await?;
        }
    }
    Ok(())
}

async fn insert_submission_rows(
    conn: &mut sqlx::AnyConnection,
    s: &NewSubmission,
    now: DateTime<Utc>,
) -> Result<i64, StoreError> {
    let now = db_time(now);
    let id: i64 = sqlx::query(
        "INSERT INTO submissions (inbox_id, party_code, contact_id, cycle_id, attachment, late, state, note, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, CAST($9 AS instant_text)) RETURNING id",
    )
    .bind(s.inbox_id)
    .bind(s.party.as_str())
    .bind(s.contact_id)
    .bind(s.cycle.to_string())
    .bind(s.attachment.as_deref())
    .bind(s.late)
    .bind(s.state.as_str())
    .bind(s.note.as_deref())
    .bind(now.as_str())
    .fetch_one(&mut *conn)
    .await?
    .try_get(0)?;
    for (seq, c) in s.changes.iter().enumerate() {
        let r = ChangeRow::of(c);
        sqlx::query(
            "INSERT INTO proposed_changes (submission_id, seq, kind, need_id, row_num, field, base_value, \
             current_value, proposed_value, fields_json, conflict, duplicate_of) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(id)
        .bind(seq as i64 + 1)
        .bind(r.kind)
        .bind(r.need)
        .bind(r.row as i64)
        .bind(r.field)
        .bind(r.base)
        .bind(r.current)
        .bind(r.proposed)
        .bind(r.fields)
        .bind(r.conflict)
        .bind(r.duplicate_of)
        .execute(&mut *conn)
        .await?;
    }
    super::programmes::insert_proposals(conn, id, s.changes.len() as i64 + 1, &s.programme_changes)
        .await?;
    for (severity, list) in [("error", &s.errors), ("warning", &s.warnings)] {
        for e in list {
            sqlx::query(
                "INSERT INTO submission_issues (submission_id, severity, row_num, column_name, message) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(id)
            .bind(severity)
            .bind(e.row as i64)
            .bind(e.column.as_deref())
            .bind(e.message.as_str())
            .execute(&mut *conn)
            .await?;
        }
    }
    Ok(id)
}

/// A change as a `proposed_changes` row holds it.
#[derive(Default)]
struct ChangeRow {
    kind: &'static str,
    need: Option<String>,
    row: usize,
    field: Option<String>,
    base: Option<String>,
    current: Option<String>,
    proposed: Option<String>,
    fields: Option<String>,
    conflict: bool,
    duplicate_of: Option<String>,
}

impl ChangeRow {
    fn of(c: &Change) -> Self {
        match c {
            Change::Update {
                need_id,
                row,
                field,
                base,
                current,
                proposed,
                conflict,
            } => ChangeRow {
                kind: "update",
                need: Some(need_id.to_string()),
                row: *row,
                field: Some(field.to_string()),
                base: Some(base.clone()),
                current: Some(current.clone()),
                proposed: Some(proposed.clone()),
                conflict: *conflict,
                ..ChangeRow::default()
            },
            Change::Add {
                need_id,
                row,
                fields,
                duplicate_of,
            } => ChangeRow {
                kind: "add",
                need: need_id.as_ref().map(|n| n.to_string()),
                row: *row,
                fields: serde_json::to_string(fields).ok(),
                duplicate_of: duplicate_of.as_ref().map(|d| d.to_string()),
                ..ChangeRow::default()
            },
            Change::Withdraw { need_id, row } => ChangeRow {
                kind: "withdraw",
                need: Some(need_id.to_string()),
                row: *row,
                ..ChangeRow::default()
            },
        }
    }
}

fn match_from(r: &sqlx::any::AnyRow) -> Result<Match, StoreError> {
    Ok(Match {
        cycle: super::parsed(r, "cycle_id")?,
        contact_id: r.try_get("contact_id")?,
    })
}
