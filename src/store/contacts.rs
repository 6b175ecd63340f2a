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
            let existing =
                sqlx::query("SELECT id FROM contacts WHERE party_code = $1 AND email_key = $2")
                    .bind(c.party.as_str())
                    .bind(c.email.key())
                    .fetch_optional(&mut *tx)
                    .await?;
            match existing {
                Some(row) => {
                    let id: i64 = row.try_get("id")?;
                    sqlx::query(
                        "UPDATE contacts SET name = $2, office = $3, email = $4, language = $5, role = $6, \
                         receives_matrix = $7, active = $9, updated_at = $8 WHERE id = $1",
                    )
                    .bind(id)
                    .bind(c.name.as_str())
                    .bind(c.office.as_str())
                    .bind(c.email.as_str())
                    .bind(c.language.as_str())
                    .bind(c.role.as_str())
                    .bind(c.receives_matrix)
                    .bind(now.as_str())
                    .bind(true)
                    .execute(&mut *tx)
                    .await?;
                    out.updated += 1;
                }
                None => {
                    sqlx::query(
                        "INSERT INTO contacts (party_code, name, office, email, email_key, language, role, \
                         receives_matrix, active, created_at, updated_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $10, $9, $9)",
                    )
                    .bind(c.party.as_str())
                    .bind(c.name.as_str())
                    .bind(c.office.as_str())
                    .bind(c.email.as_str())
                    .bind(c.email.key())
                    .bind(c.language.as_str())
                    .bind(c.role.as_str())
                    .bind(c.receives_matrix)
                    .bind(now.as_str())
                    .bind(true)
                    .execute(&mut *tx)
                    .await?;
                    out.added += 1;
                }
            }
        }
        tx.commit().await?;
        Ok(out)
    }

    /// Every contact, by party and address.
    pub async fn contacts(&self) -> Result<Vec<Contact>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, party_code, name, office, email, language, role, receives_matrix, active, bouncing_since \
             FROM contacts ORDER BY party_code, email_key",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Contact {
                    id: r.try_get("id")?,
                    party: parsed::<PartyCode>(r, "party_code")?,
                    name: r.try_get("name")?,
                    office: r.try_get("office")?,
                    email: parsed::<EmailAddress>(r, "email")?,
                    language: {
                        let l: String = r.try_get("language")?;
                        Language::parse(&l).map_err(|e| StoreError::Corrupt(e.0))?
                    },
                    role: r.try_get("role")?,
                    receives_matrix: flag(r, "receives_matrix")?,
                    active: flag(r, "active")?,
                    bouncing_since: r.try_get("bouncing_since")?,
                })
            })
            .collect()
    }
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
        let clash = sqlx::query("SELECT id FROM contacts WHERE party_code = $1 AND email_key = $2")
            .bind(c.party.as_str())
            .bind(c.email.key())
            .fetch_optional(&mut *tx)
            .await?
            .map(|r| r.try_get::<i64, _>(0))
            .transpose()?;
        if clash.is_some() && clash != id {
            return Err(ContactError::Taken {
                email: c.email.to_string(),
                party: c.party.to_string(),
            });
        }
        let id = match id {
            Some(id) => {
                let n = sqlx::query(
                    "UPDATE contacts SET party_code = $2, name = $3, office = $4, email = $5, email_key = $6, \
                     language = $7, role = $8, receives_matrix = $9, updated_at = $10 WHERE id = $1",
                )
                .bind(id)
                .bind(c.party.as_str())
                .bind(c.name.as_str())
                .bind(c.office.as_str())
                .bind(c.email.as_str())
                .bind(c.email.key())
                .bind(c.language.as_str())
                .bind(c.role.as_str())
                .bind(c.receives_matrix)
                .bind(now.as_str())
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if n == 0 {
                    return Err(ContactError::Missing(id));
                }
                id
            }
            None => sqlx::query(
                "INSERT INTO contacts (party_code, name, office, email, email_key, language, role, \
                 receives_matrix, active, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1, $9, $9) RETURNING id",
            )
            .bind(c.party.as_str())
            .bind(c.name.as_str())
            .bind(c.office.as_str())
            .bind(c.email.as_str())
            .bind(c.email.key())
            .bind(c.language.as_str())
            .bind(c.role.as_str())
            .bind(c.receives_matrix)
            .bind(now.as_str())
            .fetch_one(&mut *tx)
            .await?
            .try_get(0)?,
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
            "UPDATE contacts SET active = 1, bouncing_since = NULL, updated_at = $2 WHERE id = $1"
        } else {
            "UPDATE contacts SET active = 0, updated_at = $2 WHERE id = $1"
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

/// Marks a contact as bouncing, on the caller's transaction; the first date stays.
pub(crate) async fn mark_bouncing(
    conn: &mut sqlx::AnyConnection,
    contact_id: i64,
    now: &str,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE contacts SET bouncing_since = $2 WHERE id = $1 AND bouncing_since IS NULL")
        .bind(contact_id)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    Ok(())
}
