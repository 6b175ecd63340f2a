//! Requests to receive the Matrix and unsubscriptions: stored, decided and applied here;
//! what a message asks and whom the experts must hear about is `crate::subscription`'s.

use sqlx::Row;

use super::contacts::{find_on, insert_on};
use super::outbox::{self, NewMessage};
use super::{Store, StoreError, flag, time, time_or_null};
use crate::clock::db_time;
use crate::directory::NewContact;
use crate::model::{EmailAddress, Language, PartyCode};
use crate::state::{RequestState, UnsubscribeVia};

/// A request read from a message, for the store.
#[derive(Debug, Clone)]
pub struct NewRequest {
    pub inbox_id: i64,
    pub address: EmailAddress,
    /// The From's display name, or empty.
    pub name: String,
    /// The language it asked in.
    pub language: Language,
    /// The start of its own words, for the expert.
    pub excerpt: String,
    /// The operator's receiving server vouched for the From's domain.
    pub verified: bool,
}

/// A stored request to receive the Matrix.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Request {
    pub id: i64,
    pub inbox_id: i64,
    pub address: String,
    pub name: String,
    pub language: String,
    pub excerpt: String,
    pub verified: bool,
    pub state: &'static str,
    pub party: Option<String>,
    pub contact_id: Option<i64>,
    pub reviewer: Option<String>,
    pub decided_at: Option<chrono::DateTime<chrono::Utc>>,
    pub received_at: chrono::DateTime<chrono::Utc>,
}

/// A contact that stopped receiving the Matrix.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Unsubscription {
    pub id: i64,
    pub contact_id: i64,
    pub party: String,
    pub address: String,
    pub via: &'static str,
    /// An organization of the annex: the experts must find it another way.
    pub flagged: bool,
    pub at: chrono::DateTime<chrono::Utc>,
}

/// What an unsubscribe did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unsubscribed {
    /// The contact no longer receives the Matrix; the confirmation is in the outbox.
    Now,
    /// It had already stopped (a second click, a second mail): nothing changed.
    Already,
}

/// Why a request could not be decided.
#[derive(Debug, thiserror::Error)]
pub enum RequestError {
    #[error("there is no request {0}")]
    Missing(i64),
    #[error("request {0} was already {1}")]
    Decided(i64, String),
    #[error("there is no party {0}")]
    UnknownParty(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for RequestError {
    fn from(e: sqlx::Error) -> Self {
        RequestError::Store(e.into())
    }
}

const REQUEST_COLUMNS: &str = "id, inbox_id, address, name, language, excerpt, verified, state, \
     party_code, contact_id, reviewer, CAST(decided_at AS TEXT) AS decided_at, \
     CAST(created_at AS TEXT) AS created_at";

fn request_from_row(r: &sqlx::any::AnyRow) -> Result<Request, StoreError> {
    let state: String = r.try_get("state")?;
    Ok(Request {
        id: r.try_get("id")?,
        inbox_id: r.try_get("inbox_id")?,
        address: r.try_get("address")?,
        name: r.try_get("name")?,
        language: r.try_get("language")?,
        excerpt: r.try_get("excerpt")?,
        verified: flag(r, "verified")?,
        state: RequestState::parse(&state)
            .ok_or_else(|| StoreError::Corrupt(format!("request state '{state}'")))?
            .as_str(),
        party: r.try_get("party_code")?,
        contact_id: r.try_get("contact_id")?,
        reviewer: r.try_get("reviewer")?,
        decided_at: time_or_null(r, "decided_at")?,
        received_at: time(r, "created_at")?,
    })
}

impl Store {
    /// Records a request, once per message; none while the same address has one
    /// pending (a sender who writes every hour makes one request). Returns whether it
    /// was added.
    pub async fn add_subscription_request(
        &self,
        r: &NewRequest,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<bool, StoreError> {
        let mut tx = self.write().await?;
        let open = sqlx::query(
            "SELECT id FROM subscription_requests WHERE (LOWER(address) = $1 AND state = 'pending') \
             OR inbox_id = $2",
        )
        .bind(r.address.key())
        .bind(r.inbox_id)
        .fetch_optional(&mut *tx)
        .await?;
        if open.is_some() {
            return Ok(false);
        }
        sqlx::query(
            "INSERT INTO subscription_requests (inbox_id, address, name, language, excerpt, \
             verified, state, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, 'pending', CAST($7 AS instant_text))",
        )
        .bind(r.inbox_id)
        .bind(r.address.as_str())
        .bind(r.name.as_str())
        .bind(r.language.as_str())
        .bind(r.excerpt.as_str())
        .bind(r.verified)
        .bind(db_time(now))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Requests, newest first: the pending ones, or all.
    pub async fn subscription_requests(
        &self,
        pending_only: bool,
    ) -> Result<Vec<Request>, StoreError> {
        let filter = if pending_only {
            "WHERE state = 'pending'"
        } else {
            ""
        };
        let sql = format!(
            "SELECT {REQUEST_COLUMNS} FROM subscription_requests {filter} ORDER BY id DESC"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(request_from_row).collect()
    }

    /// Approves pending request `id` for `party`: that party's contact at the request's
    /// address receives the Matrix from now on (added with the request's name, or its
    /// address when it gave none, and its language; or made active and receiving again).
    /// Returns the contact's id.
    pub async fn approve_subscription(
        &self,
        id: i64,
        party: &PartyCode,
        reviewer: &str,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<i64, RequestError> {
        let now = db_time(now);
        let mut tx = self.write().await?;
        let request = pending_on(&mut tx, id).await?;
        let known = sqlx::query("SELECT code FROM parties WHERE code = $1")
            .bind(party.as_str())
            .fetch_optional(&mut *tx)
            .await?;
        if known.is_none() {
            return Err(RequestError::UnknownParty(party.to_string()));
        }
        let email = request
            .address
            .parse::<EmailAddress>()
            .map_err(|e| StoreError::Corrupt(format!("request {id}'s address: {e}")))?;
        let contact_id = match find_on(&mut tx, party, &email).await? {
            Some(contact) => {
                sqlx::query(
                    "UPDATE contacts SET active = TRUE, receives_matrix = TRUE, bouncing_since = NULL, \
                     updated_at = CAST($2 AS instant_text) WHERE id = $1",
                )
                .bind(contact)
                .bind(&now)
                .execute(&mut *tx)
                .await?;
                contact
            }
            None => {
                let language = Language::parse(&request.language).unwrap_or(Language::En);
                let contact = NewContact {
                    line: 0,
                    party: party.clone(),
                    name: if request.name.trim().is_empty() {
                        request.address.clone()
                    } else {
                        request.name.clone()
                    },
                    office: String::new(),
                    email,
                    language,
                    role: "on request".into(),
                    receives_matrix: true,
                };
                insert_on(&mut tx, &contact, &now).await?
            }
        };
        sqlx::query(
            "UPDATE subscription_requests SET state = 'approved', party_code = $2, contact_id = $3, \
             reviewer = $4, decided_at = CAST($5 AS instant_text) WHERE id = $1",
        )
        .bind(id)
        .bind(party.as_str())
        .bind(contact_id)
        .bind(reviewer)
        .bind(&now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(contact_id)
    }

    /// Dismisses pending request `id`: nobody is added, nothing is sent.
    pub async fn dismiss_subscription(
        &self,
        id: i64,
        reviewer: &str,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), RequestError> {
        let mut tx = self.write().await?;
        pending_on(&mut tx, id).await?;
        sqlx::query(
            "UPDATE subscription_requests SET state = 'dismissed', reviewer = $2, \
             decided_at = CAST($3 AS instant_text) WHERE id = $1",
        )
        .bind(id)
        .bind(reviewer)
        .bind(db_time(now))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Stops contact `contact_id` receiving the Matrix, if it still does at address
    /// `email_key` (the address its link was made for), recording how and putting
    /// `confirmation` in the outbox, in one transaction.
    pub async fn unsubscribe(
        &self,
        contact_id: i64,
        email_key: &str,
        via: UnsubscribeVia,
        flagged: bool,
        confirmation: &NewMessage,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Unsubscribed, StoreError> {
        let mut tx = self.write().await?;
        let row = sqlx::query(
            "SELECT party_code, email FROM contacts \
             WHERE id = $1 AND email_key = $2 AND receives_matrix",
        )
        .bind(contact_id)
        .bind(email_key)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            return Ok(Unsubscribed::Already);
        };
        let (party, email): (String, String) = (row.try_get(0)?, row.try_get(1)?);
        let at = db_time(now);
        sqlx::query(
            "UPDATE contacts SET receives_matrix = FALSE, updated_at = CAST($2 AS instant_text) \
             WHERE id = $1",
        )
        .bind(contact_id)
        .bind(&at)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO unsubscriptions (contact_id, party_code, address, via, flagged, created_at) \
             VALUES ($1, $2, $3, $4, $5, CAST($6 AS instant_text))",
        )
        .bind(contact_id)
        .bind(&party)
        .bind(&email)
        .bind(via.as_str())
        .bind(flagged)
        .bind(&at)
        .execute(&mut *tx)
        .await?;
        outbox::enqueue(&mut tx, std::slice::from_ref(confirmation), now).await?;
        tx.commit().await?;
        Ok(Unsubscribed::Now)
    }

    /// The latest unsubscriptions, newest first.
    pub async fn unsubscriptions(&self, limit: i64) -> Result<Vec<Unsubscription>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, contact_id, party_code, address, via, flagged, \
             CAST(created_at AS TEXT) AS created_at FROM unsubscriptions ORDER BY id DESC LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let via: String = r.try_get("via")?;
                Ok(Unsubscription {
                    id: r.try_get("id")?,
                    contact_id: r.try_get("contact_id")?,
                    party: r.try_get("party_code")?,
                    address: r.try_get("address")?,
                    via: UnsubscribeVia::parse(&via)
                        .ok_or_else(|| StoreError::Corrupt(format!("unsubscribed via '{via}'")))?
                        .as_str(),
                    flagged: flag(r, "flagged")?,
                    at: time(r, "created_at")?,
                })
            })
            .collect()
    }
}

/// Pending request `id`, on the caller's transaction.
async fn pending_on(conn: &mut sqlx::AnyConnection, id: i64) -> Result<Request, RequestError> {
    let sql = format!("SELECT {REQUEST_COLUMNS} FROM subscription_requests WHERE id = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(RequestError::Missing(id))?;
    let request = request_from_row(&row)?;
    if request.state != RequestState::Pending.as_str() {
        return Err(RequestError::Decided(id, request.state.to_string()));
    }
    Ok(request)
}
