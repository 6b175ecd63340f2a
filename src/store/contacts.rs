//! The Directory of Contact Points.

use sqlx::Row;

use super::{Store, StoreError, flag, parsed};
use crate::clock::db_time;
use crate::directory::NewContact;
use crate::model::{Contact, EmailAddress, Language, PartyCode};

/// What an import changed.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct ContactsImported {
    pub added: usize,
    pub updated: usize,
}

impl Store {
    /// Adds new contacts and updates known ones (same party and address) in one
    /// transaction: all of them or none.
    pub async fn import_contacts(
        &self,
        contacts: &[NewContact],
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<ContactsImported, StoreError> {
        let now = db_time(now);
        let mut tx = self.write().await?;
        let mut out = ContactsImported::default();
        for c in contacts {
            match find_on(&mut tx, &c.party, &c.email).await? {
                Some(id) => {
                    update_on(&mut tx, id, c, &now).await?;
                    // A re-imported contact is active again.
                    sqlx::query("UPDATE contacts SET active = TRUE WHERE id = $1")
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                    out.updated += 1;
                }
                None => {
                    insert_on(&mut tx, c, &now).await?;
                    out.added += 1;
                }
            }
        }
        tx.commit().await?;
        Ok(out)
    }

    /// Every contact, by party and address.
    pub async fn contacts(&self) -> Result<Vec<Contact>, StoreError> {
        let sql = format!("SELECT {CONTACT_COLUMNS} FROM contacts ORDER BY party_code, email_key");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(contact_from_row).collect()
    }

    /// One contact, by id.
    pub async fn contact(&self, id: i64) -> Result<Option<Contact>, StoreError> {
        let sql = format!("SELECT {CONTACT_COLUMNS} FROM contacts WHERE id = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(contact_from_row).transpose()
    }
}

const CONTACT_COLUMNS: &str = "id, party_code, name, office, email, language, role, receives_matrix, active, \
     CAST(bouncing_since AS TEXT) AS bouncing_since";

fn contact_from_row(r: &sqlx::any::AnyRow) -> Result<Contact, StoreError> {
    let language: String = r.try_get("language")?;
    Ok(Contact {
        id: r.try_get("id")?,
        party: parsed::<PartyCode>(r, "party_code")?,
        name: r.try_get("name")?,
        office: r.try_get("office")?,
        email: parsed::<EmailAddress>(r, "email")?,
        language: Language::parse(&language).map_err(|e| StoreError::Corrupt(e.0))?,
        role: r.try_get("role")?,
        receives_matrix: flag(r, "receives_matrix")?,
        active: flag(r, "active")?,
        bouncing_since: super::time_or_null(r, "bouncing_since")?.map(db_time),
    })
}

/// Why a contact could not be saved.
#[derive(Debug, thiserror::Error)]
pub enum ContactError {
    #[error("{email} is already a contact of {party}")]
    Taken { email: String, party: String },
    #[error("there is no contact {0}")]
    Missing(i64),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for ContactError {
    fn from(e: sqlx::Error) -> Self {
        ContactError::Store(e.into())
    }
}

impl Store {
    /// Adds a contact (`id` None) or rewrites one; returns its id.
    pub async fn save_contact(
        &self,
        id: Option<i64>,
        c: &NewContact,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<i64, ContactError> {
        let now = db_time(now);
        let mut tx = self.write().await?;
        let clash = find_on(&mut tx, &c.party, &c.email).await?;
        if clash.is_some() && clash != id {
            return Err(ContactError::Taken {
                email: c.email.to_string(),
                party: c.party.to_string(),
            });
        }
        let id = match id {
            Some(id) => {
                if update_on(&mut tx, id, c, &now).await? == 0 {
                    return Err(ContactError::Missing(id));
                }
                id
            }
            None => insert_on(&mut tx, c, &now).await?,
        };
        tx.commit().await?;
        Ok(id)
    }

    /// Deactivates a contact (it receives nothing more) or activates it again, which also
    /// clears a bounce: an operator who reactivates an address vouches for it.
    pub async fn set_contact_active(
        &self,
        id: i64,
        active: bool,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), ContactError> {
        let mut tx = self.write().await?;
        let sql = if active {
            "UPDATE contacts SET active = TRUE, bouncing_since = NULL, updated_at = CAST($2 AS instant_text) \
             WHERE id = $1"
        } else {
            "UPDATE contacts SET active = FALSE, updated_at = CAST($2 AS instant_text) WHERE id = $1"
        };
        let n = sqlx::query(sql)
            .bind(id)
            .bind(db_time(now))
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if n == 0 {
            return Err(ContactError::Missing(id));
        }
        tx.commit().await?;
        Ok(())
    }
}

/// The id of `party`'s contact with address `email`, on the caller's transaction.
pub(crate) async fn find_on(
    conn: &mut sqlx::AnyConnection,
    party: &PartyCode,
    email: &EmailAddress,
) -> Result<Option<i64>, StoreError> {
    let row = sqlx::query("SELECT id FROM contacts WHERE party_code = $1 AND email_key = $2")
        .bind(party.as_str())
        .bind(email.key())
        .fetch_optional(&mut *conn)
        .await?;
    Ok(row.map(|r| r.try_get::<i64, _>(0)).transpose()?)
}

/// `party`'s active contact with address `email`, on the caller's transaction.
pub(crate) async fn active_on(
    conn: &mut sqlx::AnyConnection,
    party: &str,
    email: &EmailAddress,
) -> Result<Option<Contact>, StoreError> {
    let sql = format!(
        "SELECT {CONTACT_COLUMNS} FROM contacts WHERE party_code = $1 AND email_key = $2 AND active"
    );
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(party)
        .bind(email.key())
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(contact_from_row).transpose()
}

/// Adds a contact on the caller's transaction; returns its id.
pub(crate) async fn insert_on(
    conn: &mut sqlx::AnyConnection,
    c: &NewContact,
    now: &str,
) -> Result<i64, StoreError> {
    let q = sqlx::query(
        "INSERT INTO contacts (party_code, name, office, email, email_key, language, role, \
         receives_matrix, updated_at, active, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, CAST($9 AS instant_text), TRUE, CAST($9 AS instant_text)) \
         RETURNING id",
    );
    Ok(bind_contact(q, c)
        .bind(now)
        .fetch_one(&mut *conn)
        .await?
        .try_get(0)?)
}

/// Rewrites contact `id` on the caller's transaction; returns how many rows changed.
async fn update_on(
    conn: &mut sqlx::AnyConnection,
    id: i64,
    c: &NewContact,
    now: &str,
) -> Result<u64, StoreError> {
    let q = sqlx::query(
        "UPDATE contacts SET party_code = $1, name = $2, office = $3, email = $4, email_key = $5, \
         language = $6, role = $7, receives_matrix = $8, updated_at = CAST($9 AS instant_text) WHERE id = $10",
    );
    Ok(bind_contact(q, c)
        .bind(now)
        .bind(id)
        .execute(&mut *conn)
        .await?
        .rows_affected())
}

/// Binds a contact's columns as `$1` to `$8`, in the order of the statements above.
fn bind_contact<'q>(
    q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>,
    c: &'q NewContact,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments> {
    q.bind(c.party.as_str())
        .bind(c.name.as_str())
        .bind(c.office.as_str())
        .bind(c.email.as_str())
        .bind(c.email.key())
        .bind(c.language.as_str())
        .bind(c.role.as_str())
        .bind(c.receives_matrix)
}

/// Marks a contact as bouncing, on the caller's transaction; the first date stays.
pub(crate) async fn mark_bouncing(
    conn: &mut sqlx::AnyConnection,
    contact_id: i64,
    now: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE contacts SET bouncing_since = CAST($2 AS instant_text) \
         WHERE id = $1 AND bouncing_since IS NULL",
    )
    .bind(contact_id)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}
