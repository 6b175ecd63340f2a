//! Review: a submission with its message and changes, the experts' decisions applied to
//! the Matrix in one transaction each, the quarantine, and a need's history.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use thiserror::Error;

use super::needs::{NEED_COLUMNS, need_from_row};
use super::outbox::NewMessage;
use super::{Store, StoreError, flag};
use crate::clock::db_time;
use crate::model::{Contact, Cycle, Field, Need, NeedId};
use crate::review::{self, Effect, Kind, Proposal, Refusal, Verdict};

use crate::state::SubmissionState;

/// A submission with what the reviewer needs to judge it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Submission {
    pub id: i64,
    pub inbox_id: Option<i64>,
    pub cycle: Option<String>,
    pub party: Option<String>,
    pub party_name: Option<String>,
    pub contact_id: Option<i64>,
    pub from: Option<String>,
    pub subject: Option<String>,
    pub message_id: Option<String>,
    pub received_at: Option<DateTime<Utc>>,
    /// Whether the sender is known to be the party's contact (None: not judged).
    pub verified: Option<bool>,
    pub attachment: Option<String>,
    pub late: bool,
    pub state: SubmissionState,
    pub note: Option<String>,
    pub created_at: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
    /// Proposed changes still awaiting a decision.
    pub pending_changes: i64,
    /// Row-level errors found in the reply.
    pub errors: i64,
}

/// A row-level error or warning found in a submission.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Issue {
    pub severity: String,
    pub row: Option<i64>,
    pub column: Option<String>,
    pub message: String,
}

/// One entry of a need's history.
#[derive(Debug, Clone, serde::Serialize)]
pub struct HistoryEntry {
    pub field: String,
    pub old: Option<String>,
    pub new: Option<String>,
    pub submission: Option<i64>,
    /// The address the change came from, when it came from a reply.
    pub from: Option<String>,
    pub source: String,
    pub reviewer: Option<String>,
    pub changed_at: DateTime<Utc>,
}

pub use crate::review::{Decision, Pick};

/// What a decision did.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Decided {
    pub approved: Vec<i64>,
    pub rejected: Vec<i64>,
    /// Needs created by approved additions.
    pub created: Vec<String>,
    /// The submission's state once nothing is pending (`applied` or `rejected`).
    pub settled: Option<SubmissionState>,
}

#[derive(Debug, Error)]
pub enum DecideError {
    #[error("submission {0} does not exist")]
    NoSuchSubmission(i64),
    /// Nothing was written; each refusal says why.
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Refused(Vec<Refusal>),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for DecideError {
    fn from(e: sqlx::Error) -> Self {
        DecideError::Store(e.into())
    }
}

const SUBMISSION_COLUMNS: &str = "s.id, s.inbox_id, s.cycle_id, s.party_code, p.name AS party_name, \
     s.contact_id, i.from_addr, i.subject, i.message_id, CAST(i.received_at AS TEXT) AS received_at, \
     i.sender_verified, s.attachment, s.late, s.state, s.note, CAST(s.created_at AS TEXT) AS created_at, \
     CAST(s.decided_at AS TEXT) AS decided_at, \
     (SELECT COUNT(*) FROM proposed_changes c WHERE c.submission_id = s.id AND c.decision = 'pending') \
     + (SELECT COUNT(*) FROM proposed_programme_changes c WHERE c.submission_id = s.id \
     AND c.decision = 'pending') AS pending_changes, \
     (SELECT COUNT(*) FROM submission_issues e WHERE e.submission_id = s.id AND e.severity = 'error') \
     AS errors";
const SUBMISSION_FROM: &str = "submissions s LEFT JOIN inbox i ON i.id = s.inbox_id \
     LEFT JOIN parties p ON p.code = s.party_code";

fn submission_from_row(r: &AnyRow) -> Result<Submission, StoreError> {
    let verified = match r.try_get::<Option<String>, _>("sender_verified") {
        // Neither database gives text here: a NULL reads as any type.
        Ok(None) => None,
        _ => Some(flag(r, "sender_verified")?),
    };
    Ok(Submission {
        id: r.try_get("id")?,
        inbox_id: r.try_get("inbox_id")?,
        cycle: r.try_get("cycle_id")?,
        party: r.try_get("party_code")?,
        party_name: r.try_get("party_name")?,
        contact_id: r.try_get("contact_id")?,
        from: r.try_get("from_addr")?,
        subject: r.try_get("subject")?,
        message_id: r.try_get("message_id")?,
        received_at: super::time_or_null(r, "received_at")?,
        verified,
        attachment: r.try_get("attachment")?,
        late: flag(r, "late")?,
        state: super::parsed(r, "state")?,
        note: r.try_get("note")?,
        created_at: super::time(r, "created_at")?,
        decided_at: super::time_or_null(r, "decided_at")?,
        pending_changes: r.try_get("pending_changes")?,
        errors: r.try_get("errors")?,
    })
}

const PROPOSAL_COLUMNS: &str = "id, seq, kind, need_id, row_num, field, base_value, current_value, proposed_value, \
     fields_json, conflict, duplicate_of, decision, reviewer, CAST(decided_at AS TEXT) AS decided_at, reason";

fn proposal_from_row(r: &AnyRow) -> Result<Proposal, StoreError> {
    let corrupt = |what: String| StoreError::Corrupt(what);
    let kind: String = r.try_get("kind")?;
    let need: Option<String> = r.try_get("need_id")?;
    let field: Option<String> = r.try_get("field")?;
    let fields: Option<String> = r.try_get("fields_json")?;
    Ok(Proposal {
        id: r.try_get("id")?,
        seq: r.try_get("seq")?,
        kind: Kind::parse(&kind).ok_or_else(|| corrupt(format!("change kind '{kind}'")))?,
        need_id: need
            .map(|n| NeedId::parse(&n))
            .transpose()
            .map_err(|e| corrupt(e.0))?,
        row: r.try_get("row_num")?,
        field: field
            .map(|f| Field::parse(&f))
            .transpose()
            .map_err(|e| corrupt(e.0))?,
        base: r.try_get("base_value")?,
        current: r.try_get("current_value")?,
        proposed: r.try_get("proposed_value")?,
        fields: match fields {
            Some(j) => serde_json::from_str::<BTreeMap<Field, String>>(&j)
                .map_err(|e| corrupt(format!("fields_json: {e}")))?,
            None => BTreeMap::new(),
        },
        conflict: flag(r, "conflict")?,
        duplicate_of: r.try_get("duplicate_of")?,
        decision: super::parsed(r, "decision")?,
        reviewer: r.try_get("reviewer")?,
        decided_at: super::time_or_null(r, "decided_at")?,
        reason: r.try_get("reason")?,
    })
}

/// A history row: field, old, new, submission, from, source, reviewer, `changed_at`.
pub(crate) fn history_entry(r: &AnyRow) -> Result<HistoryEntry, StoreError> {
    Ok(HistoryEntry {
        field: r.try_get(0)?,
        old: r.try_get(1)?,
        new: r.try_get(2)?,
        submission: r.try_get(3)?,
        from: r.try_get(4)?,
        source: r.try_get(5)?,
        reviewer: r.try_get(6)?,
        changed_at: super::time(r, "changed_at")?,
    })
}

/// Records the decision on one proposed change of `table` that is still pending: if
/// someone else decided it in between, the whole decision is refused (and its
/// transaction dropped). `created` names what an approved addition added, in `column`.
#[expect(clippy::too_many_arguments, reason = "one row's whole decision")]
async fn record_decision(
    conn: &mut sqlx::AnyConnection,
    (table, column): (&str, &str),
    change: i64,
    seq: i64,
    d: &Decision<'_>,
    now: &str,
    reason: Option<&str>,
    created: Option<String>,
) -> Result<(), DecideError> {
    let sql = format!(
        "UPDATE {table} SET decision = $2, reviewer = $3, decided_at = CAST($4 AS instant_text), \
         reason = $5, {column} = COALESCE($6, {column}) WHERE id = $1 AND decision = 'pending'"
    );
    let written = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(change)
        .bind(d.verdict.decision().as_str())
        .bind(d.reviewer)
        .bind(now)
        .bind(reason)
        .bind(created)
        .execute(&mut *conn)
        .await?
        .rows_affected();
    if written == 1 {
        Ok(())
    } else {
        Err(DecideError::Refused(vec![Refusal::Decided {
            seq,
            decision: "decided by someone else meanwhile".into(),
        }]))
    }
}

/// Filters for the list of submissions; `None` matches everything.
#[derive(Debug, Clone, Default)]
pub struct SubmissionFilter {
    pub state: Option<SubmissionState>,
    pub cycle: Option<String>,
    pub party: Option<String>,
    pub late: Option<bool>,
}

impl Store {
    /// Submissions matching `f`, newest first: the one list of submissions.
    pub async fn find_submissions(
        &self,
        f: &SubmissionFilter,
    ) -> Result<Vec<Submission>, StoreError> {
        let sql = format!(
            "SELECT {SUBMISSION_COLUMNS} FROM {SUBMISSION_FROM} \
             WHERE ($1 = '' OR s.state = $1) AND ($2 = '' OR s.cycle_id = $2) \
             AND ($3 = '' OR UPPER(s.party_code) = UPPER($3)) AND ($4 IS NULL OR s.late = $4) \
             ORDER BY s.id DESC"
        );
        let nonempty = |o: &Option<String>| o.as_deref().unwrap_or("").trim().to_string();
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(f.state.map_or("", SubmissionState::as_str))
            .bind(nonempty(&f.cycle))
            .bind(nonempty(&f.party))
            .bind(f.late)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(submission_from_row).collect()
    }

    pub async fn submission(&self, id: i64) -> Result<Option<Submission>, StoreError> {
        let sql = format!("SELECT {SUBMISSION_COLUMNS} FROM {SUBMISSION_FROM} WHERE s.id = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(submission_from_row).transpose()
    }

    /// The changes a submission proposed, in order.
    pub async fn proposals(&self, submission: i64) -> Result<Vec<Proposal>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        proposals_on(&mut conn, submission).await
    }

    /// The changes of many submissions, by submission (a list page's worth in a query).
    pub async fn proposals_of(
        &self,
        ids: &[i64],
    ) -> Result<BTreeMap<i64, Vec<Proposal>>, StoreError> {
        let sql = format!("SELECT submission_id, {PROPOSAL_COLUMNS} FROM proposed_changes");
        self.by_submission(&sql, "seq", ids, proposal_from_row)
            .await
    }

    pub async fn issues(&self, submission: i64) -> Result<Vec<Issue>, StoreError> {
        Ok(self
            .issues_of(&[submission])
            .await?
            .remove(&submission)
            .unwrap_or_default())
    }

    /// The issues of many submissions, by submission.
    pub async fn issues_of(&self, ids: &[i64]) -> Result<BTreeMap<i64, Vec<Issue>>, StoreError> {
        let sql =
            "SELECT submission_id, severity, row_num, column_name, message FROM submission_issues";
        self.by_submission(sql, "id", ids, |r| {
            Ok(Issue {
                severity: r.try_get("severity")?,
                row: r.try_get("row_num")?,
                column: r.try_get("column_name")?,
                message: r.try_get("message")?,
            })
        })
        .await
    }

    /// Rows of `select` (which names `submission_id` first) for the submissions `ids`,
    /// grouped by submission and ordered by `order`: a few queries for a whole list,
    /// not one per submission.
    pub(crate) async fn by_submission<T>(
        &self,
        select: &str,
        order: &str,
        ids: &[i64],
        row: impl Fn(&AnyRow) -> Result<T, StoreError>,
    ) -> Result<BTreeMap<i64, Vec<T>>, StoreError> {
        // Well below every database's limit on bound parameters.
        const CHUNK: usize = 500;
        let mut out: BTreeMap<i64, Vec<T>> = BTreeMap::new();
        for chunk in ids.chunks(CHUNK) {
            let marks: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
            let sql = format!(
                "{select} WHERE submission_id IN ({}) ORDER BY submission_id, {order}",
                marks.join(", ")
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for id in chunk {
                q = q.bind(*id);
            }
            for r in q.fetch_all(&self.pool).await? {
                out.entry(r.try_get("submission_id")?)
                    .or_default()
                    .push(row(&r)?);
            }
        }
        Ok(out)
    }

    /// The raw bytes of a stored message.
    pub async fn raw_message(&self, inbox_id: i64) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.stored_message(inbox_id).await?.map(|m| m.raw))
    }

    pub async fn need(&self, id: &NeedId) -> Result<Option<Need>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        need_on(&mut conn, id).await
    }

    /// A need's history, oldest first.
    pub async fn need_history(&self, id: &NeedId) -> Result<Vec<HistoryEntry>, StoreError> {
        let rows = sqlx::query(
            "SELECT h.field, h.old_value, h.new_value, h.submission_id, i.from_addr, h.source, h.reviewer, \
             CAST(h.changed_at AS TEXT) AS changed_at FROM need_history h LEFT JOIN submissions s ON s.id = h.submission_id \
             LEFT JOIN inbox i ON i.id = s.inbox_id WHERE h.need_id = $1 ORDER BY h.id",
        )
        .bind(id.as_str())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(history_entry).collect()
    }

    /// Records an expert's decision: approved changes are applied to the Matrix, with
    /// their history, in the same transaction that records the decisions. When nothing
    /// of the submission is pending any more, it is settled and `notify` may add a
    /// message for its sender to the outbox, in that transaction too. If any picked
    /// change cannot be decided (it moved since parsing and `confirmed` is false, its
    /// need is gone, …), nothing is written and every refusal is returned.
    pub async fn decide<F>(&self, d: &Decision<'_>, notify: F) -> Result<Decided, DecideError>
    where
        F: FnOnce(
            &Submission,
            &[Proposal],
            &[crate::review::ProgrammeProposal],
            Option<&Contact>,
        ) -> Option<NewMessage>,
    {
        let reason = d.reason.map(str::trim).filter(|r| !r.is_empty());
        let now = db_time(d.now);
        let mut tx = self.write().await?;
        let sql = format!("SELECT {SUBMISSION_COLUMNS} FROM {SUBMISSION_FROM} WHERE s.id = $1");
        let submission = match sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(d.submission)
            .fetch_optional(&mut *tx)
            .await?
        {
            Some(r) => submission_from_row(&r)?,
            None => return Err(DecideError::NoSuchSubmission(d.submission)),
        };
        let all = proposals_on(&mut tx, d.submission).await?;
        // The needs the approved changes would touch, as they are now.
        let mut needs = std::collections::HashMap::new();
        if d.verdict == Verdict::Approve {
            for p in all.iter().filter(|p| p.is_pending() && p.kind != Kind::Add) {
                if let Some(id) = &p.need_id
                    && let Some(n) = need_on(&mut tx, id).await?
                {
                    needs.insert(id.clone(), n);
                }
            }
        }
        let directory = super::programmes::programme_proposals_on(&mut tx, d.submission).await?;
        let programmes = super::programmes::touched_on(&mut tx, &directory).await?;
        let (plans, programme_plans) =
            review::plan_both(d, submission.state, &all, &needs, &directory, &programmes)
                .map_err(DecideError::Refused)?;
        let mut out = Decided::default();
        for (p, effect) in &programme_plans {
            let mut created = None;
            match effect {
                None => out.rejected.push(p.seq),
                Some(effect) => {
                    created = super::programmes::apply_on(
                        &mut tx,
                        effect,
                        d.submission,
                        d.reviewer,
                        &now,
                    )
                    .await?;
                    out.created.extend(created.clone());
                    out.approved.push(p.seq);
                }
            }
            let table = ("proposed_programme_changes", "programme_id");
            record_decision(&mut tx, table, p.id, p.seq, d, &now, reason, created).await?;
        }
        for (p, effect) in &plans {
            let mut created = None;
            match effect {
                None => out.rejected.push(p.seq),
                Some(effect) => {
                    if let Some(id) =
                        apply(&mut tx, effect, p.seq, d.submission, d.reviewer, &now).await?
                    {
                        out.created.push(id.to_string());
                        created = Some(id.to_string());
                    }
                    out.approved.push(p.seq);
                }
            }
            let table = ("proposed_changes", "need_id");
            record_decision(&mut tx, table, p.id, p.seq, d, &now, reason, created).await?;
        }
        let after = proposals_on(&mut tx, d.submission).await?;
        let directory_after =
            super::programmes::programme_proposals_on(&mut tx, d.submission).await?;
        let decisions = after
            .iter()
            .map(|p| p.decision)
            .chain(directory_after.iter().map(|p| p.decision));
        if let Some(state) = SubmissionState::settled(decisions) {
            sqlx::query(
                "UPDATE submissions SET state = $2, decided_at = CAST($3 AS instant_text) WHERE id = $1",
            )
                .bind(d.submission)
                .bind(state.as_str())
                .bind(now.as_str())
                .execute(&mut *tx)
                .await?;
            out.settled = Some(state);
            let mut settled = submission.clone();
            settled.state = state;
            let contact = sender_on(&mut tx, &settled).await?;
            if let Some(m) = notify(&settled, &after, &directory_after, contact.as_ref()) {
                super::outbox::enqueue(&mut tx, std::slice::from_ref(&m), d.now).await?;
            }
        }
        tx.commit().await?;
        Ok(out)
    }

    /// Accepts a quarantined submission's sender: the submission joins the review like
    /// any verified reply (superseding what the party's earlier replies proposed on the
    /// same things), and with `add_contact` the sender becomes a contact of the party
    /// under that name. The note records who accepted it. `receipt` is shown the
    /// accepted submission, its changes and issues, and the party's active contact at the
    /// sender's address if there is one; what it returns joins the outbox in the same
    /// transaction.
    pub async fn accept_sender<F>(
        &self,
        submission: i64,
        add_contact: Option<&str>,
        reviewer: &str,
        now: DateTime<Utc>,
        receipt: F,
    ) -> Result<Submission, DecideError>
    where
        F: FnOnce(
            &Submission,
            (&[Proposal], &[crate::review::ProgrammeProposal]),
            &[Issue],
            Option<&Contact>,
        ) -> Option<NewMessage>,
    {
        let s = self.quarantined(submission).await?;
        let now_s = db_time(now);
        let mut tx = self.write().await?;
        let pending: i64 = sqlx::query(
            "SELECT (SELECT COUNT(*) FROM proposed_changes WHERE submission_id = $1 AND decision = 'pending') \
             + (SELECT COUNT(*) FROM proposed_programme_changes WHERE submission_id = $1 \
             AND decision = 'pending')",
        )
        .bind(submission)
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
        let plan = review::plan_acceptance(
            s.party.as_deref(),
            s.from.as_deref(),
            usize::try_from(pending).unwrap_or(0),
            add_contact,
            reviewer,
        )
        .map_err(|e| StoreError::Corrupt(e.0))?;
        // Checked again under the write lock: another reviewer may have just decided.
        let moved = sqlx::query(
            "UPDATE submissions SET state = $2, note = CASE WHEN note IS NULL OR note = '' THEN $3 \
             ELSE note || '; ' || $3 END WHERE id = $1 AND state = 'quarantined'",
        )
        .bind(submission)
        .bind(plan.state.as_str())
        .bind(plan.note.as_str())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if moved != 1 {
            drop(tx);
            return Err(self.left_quarantine(submission).await);
        }
        if let (Some(party), Some(cycle)) = (&s.party, &s.cycle) {
            super::submissions::supersede_on(&mut tx, party, cycle, now).await?;
        }
        if let Some(contact) = &plan.contact {
            let id = match super::contacts::find_on(&mut tx, &contact.party, &contact.email).await?
            {
                Some(id) => id,
                None => super::contacts::insert_on(&mut tx, contact, &now_s).await?,
            };
            sqlx::query("UPDATE submissions SET contact_id = $2 WHERE id = $1")
                .bind(submission)
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        if let Some(inbox) = s.inbox_id {
            sqlx::query(
                "UPDATE inbox SET state = 'parsed' WHERE id = $1 AND state = 'quarantined'",
            )
            .bind(inbox)
            .execute(&mut *tx)
            .await?;
        }
        let sql = format!("SELECT {SUBMISSION_COLUMNS} FROM {SUBMISSION_FROM} WHERE s.id = $1");
        let accepted = match sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(submission)
            .fetch_optional(&mut *tx)
            .await?
        {
            Some(r) => submission_from_row(&r)?,
            None => return Err(DecideError::NoSuchSubmission(submission)),
        };
        let contact = sender_on(&mut tx, &accepted).await?;
        let proposals = proposals_on(&mut tx, submission).await?;
        let programmes = super::programmes::programme_proposals_on(&mut tx, submission).await?;
        let issues = issues_on(&mut tx, submission).await?;
        if let Some(m) = receipt(
            &accepted,
            (&proposals, &programmes),
            &issues,
            contact.as_ref(),
        ) {
            super::outbox::enqueue(&mut tx, std::slice::from_ref(&m), now).await?;
        }
        tx.commit().await?;
        Ok(accepted)
    }

    /// Refuses a quarantined submission: its changes are rejected with `reason`.
    pub async fn refuse_sender(
        &self,
        submission: i64,
        reason: &str,
        reviewer: &str,
        now: DateTime<Utc>,
    ) -> Result<(), DecideError> {
        let s = self
            .submission(submission)
            .await?
            .ok_or(DecideError::NoSuchSubmission(submission))?;
        let reason = review::plan_refusal(submission, s.state, reason)
            .map_err(|r| DecideError::Refused(vec![r]))?;
        let now = db_time(now);
        let mut tx = self.write().await?;
        // Checked again under the write lock: another reviewer may have just accepted it.
        let moved = sqlx::query(
            "UPDATE submissions SET state = 'rejected', decided_at = CAST($2 AS instant_text), refused_by = $3 \
             WHERE id = $1 AND state = 'quarantined'",
        )
        .bind(submission)
        .bind(now.as_str())
        .bind(reviewer)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if moved != 1 {
            drop(tx);
            return Err(self.left_quarantine(submission).await);
        }
        for table in ["proposed_changes", "proposed_programme_changes"] {
            let sql = format!(
                "UPDATE {table} SET decision = 'rejected', reviewer = $2, \
                 decided_at = CAST($3 AS instant_text), reason = $4 \
                 WHERE submission_id = $1 AND decision = 'pending'"
            );
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(submission)
                .bind(reviewer)
                .bind(now.as_str())
                .bind(reason.as_str())
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Why a submission seen in quarantine was not there any more under the write lock:
    /// another reviewer acted on it first.
    async fn left_quarantine(&self, submission: i64) -> DecideError {
        match self.quarantined(submission).await {
            Err(e) => e,
            Ok(_) => DecideError::Refused(vec![Refusal::NotPending {
                id: submission,
                state: "decided".into(),
            }]),
        }
    }

    async fn quarantined(&self, submission: i64) -> Result<Submission, DecideError> {
        let s = self
            .submission(submission)
            .await?
            .ok_or(DecideError::NoSuchSubmission(submission))?;
        if s.state != SubmissionState::Quarantined {
            return Err(DecideError::Refused(vec![Refusal::NotPending {
                id: submission,
                state: s.state.to_string(),
            }]));
        }
        Ok(s)
    }

    /// The latest cycle that was circulated, if any.
    pub async fn latest_cycle(&self) -> Result<Option<Cycle>, StoreError> {
        let row = sqlx::query("SELECT MAX(id) FROM cycles WHERE opened_at IS NOT NULL")
            .fetch_one(&self.pool)
            .await?;
        row.try_get::<Option<String>, _>(0)?
            .map(|c| {
                c.parse()
                    .map_err(|e: crate::model::ParseError| StoreError::Corrupt(e.0))
            })
            .transpose()
    }

    /// Replies received per day in `cycle` (UTC date, count), for the dashboard's chart;
    /// its counts are those of the experts' digest ([`Store::digest_facts`]).
    pub async fn replies_per_day(&self, cycle: Cycle) -> Result<Vec<(String, i64)>, StoreError> {
        let rows = sqlx::query(
            "SELECT SUBSTR(CAST(i.received_at AS TEXT), 1, 10) AS day, COUNT(*) FROM submissions s \
             JOIN inbox i ON i.id = s.inbox_id WHERE s.cycle_id = $1 \
             GROUP BY SUBSTR(CAST(i.received_at AS TEXT), 1, 10) ORDER BY day",
        )
        .bind(cycle.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
            .collect()
    }
}

async fn proposals_on(
    conn: &mut AnyConnection,
    submission: i64,
) -> Result<Vec<Proposal>, StoreError> {
    let sql = format!(
        "SELECT {PROPOSAL_COLUMNS} FROM proposed_changes WHERE submission_id = $1 ORDER BY seq"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(submission)
        .fetch_all(&mut *conn)
        .await?;
    rows.iter().map(proposal_from_row).collect()
}

/// The active contact of the submission's party at the address it came from, if there is
/// one, on the caller's transaction: the only address a receipt or a decision about it
/// may go to.
async fn sender_on(
    conn: &mut AnyConnection,
    s: &Submission,
) -> Result<Option<Contact>, StoreError> {
    let from = s
        .from
        .as_deref()
        .and_then(|f| crate::model::EmailAddress::parse(f).ok());
    match (&s.party, &from) {
        (Some(party), Some(from)) => super::contacts::active_on(conn, party, from).await,
        _ => Ok(None),
    }
}

/// A submission's issues, on the caller's transaction.
async fn issues_on(conn: &mut AnyConnection, submission: i64) -> Result<Vec<Issue>, StoreError> {
    let rows = sqlx::query(
        "SELECT severity, row_num, column_name, message FROM submission_issues \
         WHERE submission_id = $1 ORDER BY id",
    )
    .bind(submission)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Issue {
                severity: r.try_get("severity")?,
                row: r.try_get("row_num")?,
                column: r.try_get("column_name")?,
                message: r.try_get("message")?,
            })
        })
        .collect()
}

async fn need_on(conn: &mut AnyConnection, id: &NeedId) -> Result<Option<Need>, StoreError> {
    let sql = format!("SELECT {NEED_COLUMNS} FROM needs WHERE id = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id.as_str())
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(need_from_row).transpose()
}

/// Writes an approved change and its history; returns the ID of a need it created. A
/// need whose field no longer holds the value the plan saw (another process decided in
/// between) refuses the whole decision.
async fn apply(
    conn: &mut AnyConnection,
    effect: &Effect,
    seq: i64,
    submission: i64,
    reviewer: &str,
    now: &str,
) -> Result<Option<NeedId>, DecideError> {
    match effect {
        Effect::Set {
            need,
            field,
            old,
            new,
        } => {
            if old == new {
                return Ok(None);
            }
            // The column name comes from a closed enum, never from input.
            let column = match field {
                Field::State => "state_code",
                Field::Area => "area",
                Field::Description => "description",
                Field::Priority => "priority",
                Field::Status => "status",
                Field::Provider => "provider",
                Field::Notes => "notes",
            };
            let sql = format!(
                "UPDATE needs SET {column} = $2, updated_at = CAST($3 AS instant_text) \
                 WHERE id = $1 AND {column} = $4"
            );
            let written = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(need.as_str())
                .bind(new.as_str())
                .bind(now)
                .bind(old.as_str())
                .execute(&mut *conn)
                .await?
                .rows_affected();
            if written != 1 {
                return Err(DecideError::Refused(vec![Refusal::Invalid {
                    seq,
                    message: format!(
                        "{need} {field} changed while this decision was being made; look at it again"
                    ),
                }]));
            }
            history(
                conn,
                need,
                field.as_str(),
                Some(old),
                Some(new),
                submission,
                reviewer,
                now,
            )
            .await?;
            Ok(None)
        }
        Effect::Create(n) => {
            let id = super::needs::insert_need_on(conn, n, now).await?;
            history(
                conn,
                &id,
                "created",
                None,
                Some(&n.description),
                submission,
                reviewer,
                now,
            )
            .await?;
            Ok(Some(id))
        }
    }
}

#[expect(
    clippy::too_many_arguments,
    reason = "one row of need_history, column by column"
)]
async fn history(
    conn: &mut AnyConnection,
    need: &NeedId,
    field: &str,
    old: Option<&str>,
    new: Option<&str>,
    submission: i64,
    reviewer: &str,
    now: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO need_history (need_id, field, old_value, new_value, submission_id, source, reviewer, changed_at) \
         VALUES ($1, $2, $3, $4, $5, 'submission', $6, CAST($7 AS instant_text))",
    )
    .bind(need.as_str())
    .bind(field)
    .bind(old)
    .bind(new)
    .bind(submission)
    .bind(reviewer)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}
