//! The review UI's users and their sessions. Passwords arrive here already hashed;
//! sessions are stored by the hash of their cookie, so a copy of the database does not
//! let anyone in.

use chrono::{DateTime, Utc};
use sqlx::Row;

use super::{Store, StoreError, flag};
use crate::clock::db_time;

/// What a user may do: experts review; admins also manage users and contacts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Expert,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Expert => "expert",
            Role::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s.trim() {
            "expert" => Some(Role::Expert),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct User {
    pub id: i64,
    pub name: String,
    pub role: Role,
    pub active: bool,
    pub created_at: chrono::DateTime<chrono::Utc>,
    #[serde(skip)]
    pub password_hash: String,
}

/// A logged-in user, found by their session.
#[derive(Debug, Clone)]
pub struct Session {
    pub user: User,
    pub csrf_token: String,
}

fn user_from_row(r: &sqlx::any::AnyRow) -> Result<User, StoreError> {
    let role: String = r.try_get("role")?;
    Ok(User {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        role: Role::parse(&role)
            .ok_or_else(|| StoreError::Corrupt(format!("user role '{role}'")))?,
        active: flag(r, "active")?,
        created_at: super::time(r, "created_at")?,
        password_hash: r.try_get("password_hash")?,
    })
}

const USER_COLUMNS: &str =
    "u.id, u.name, u.role, u.active, CAST(u.created_at AS TEXT) AS created_at, u.password_hash";

impl Store {
    /// Adds a user, or sets the role and password of one that exists (and reactivates
    /// it). Returns whether the user is new.
    pub async fn put_user(
        &self,
        name: &str,
        role: Role,
        password_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let mut tx = self.write().await?;
        let updated = sqlx::query(
            "UPDATE users SET role = $2, password_hash = $3, active = TRUE WHERE name = $1",
        )
        .bind(name)
        .bind(role.as_str())
        .bind(password_hash)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if updated == 0 {
            sqlx::query(
                "INSERT INTO users (name, role, password_hash, active, created_at) \
                 VALUES ($1, $2, $3, TRUE, CAST($4 AS instant_text))",
            )
            .bind(name)
            .bind(role.as_str())
            .bind(password_hash)
            .bind(db_time(now))
            .execute(&mut *tx)
            .await?;
        } else {
            // A new password ends the sessions opened with the old one.
            sqlx::query(
                "DELETE FROM sessions WHERE user_id IN (SELECT id FROM users WHERE name = $1)",
            )
            .bind(name)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(updated == 0)
    }

    pub async fn user_by_name(&self, name: &str) -> Result<Option<User>, StoreError> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users u WHERE u.name = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(name)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(user_from_row).transpose()
    }

    pub async fn users(&self) -> Result<Vec<User>, StoreError> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users u ORDER BY u.name");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(user_from_row).collect()
    }

    /// Activates or deactivates a user; deactivation ends their sessions.
    pub async fn set_user_active(&self, id: i64, active: bool) -> Result<bool, StoreError> {
        let mut tx = self.write().await?;
        let n = sqlx::query("UPDATE users SET active = $2 WHERE id = $1")
            .bind(id)
            .bind(active)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if !active {
            sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(n == 1)
    }

    /// Opens a session: `key` is the hash of the cookie's value.
    pub async fn create_session(
        &self,
        key: &str,
        user_id: i64,
        csrf_token: &str,
        now: DateTime<Utc>,
        expires: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut tx = self.write().await?;
        // Expired sessions go as new ones come.
        sqlx::query("DELETE FROM sessions WHERE expires_at < CAST($1 AS instant_text)")
            .bind(db_time(now))
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO sessions (id, user_id, csrf_token, created_at, expires_at) \
             VALUES ($1, $2, $3, CAST($4 AS instant_text), CAST($5 AS instant_text))",
        )
        .bind(key)
        .bind(user_id)
        .bind(csrf_token)
        .bind(db_time(now))
        .bind(db_time(expires))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The live session with this key, if its user is still active.
    pub async fn session(
        &self,
        key: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Session>, StoreError> {
        let sql = format!(
            "SELECT {USER_COLUMNS}, s.csrf_token FROM sessions s JOIN users u ON u.id = s.user_id \
             WHERE s.id = $1 AND s.expires_at > CAST($2 AS instant_text) AND u.active"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(key)
            .bind(db_time(now))
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| {
            Ok(Session {
                user: user_from_row(&r)?,
                csrf_token: r.try_get("csrf_token")?,
            })
        })
        .transpose()
    }

    pub async fn delete_session(&self, key: &str) -> Result<(), StoreError> {
        let mut tx = self.write().await?;
        sqlx::query("DELETE FROM sessions WHERE id = $1")
            .bind(key)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }
}
