//! The database: one module per aggregate, each returning domain types and keeping its
//! row handling private. sqlx's `Any` driver with portable SQL (`$1` placeholders, no
//! SQLite-only functions), so PostgreSQL can follow with its own migration folder.

pub mod contacts;
pub mod copy;
pub mod cycles;
pub mod inbox;
pub mod jobs;
pub mod leader;
pub mod needs;
pub mod outbox;
pub mod parties;
pub mod programmes;
pub mod review;
pub mod submissions;
pub mod subscriptions;
pub mod users;

use std::path::Path;
use std::str::FromStr;

use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Row};
use thiserror::Error;

#[derive(Debug, Error)]
pub enum StoreError {
    #[error("cannot open the database {url}: {source}")]
    Open {
        url: String,
        #[source]
        source: sqlx::Error,
    },
    #[error("cannot create the database folder {path}: {source}")]
    Folder {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot bring the database schema up to date: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("database error: {0}")]
    Sql(sqlx::Error),
    #[error(
        "the database is locked by another program, and stayed locked for the 30 seconds \
         needsd waits ({0})"
    )]
    Locked(sqlx::Error),
    #[error("the database holds a value needsd cannot read ({0}); was it edited by hand?")]
    Corrupt(String),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        // SQLITE_BUSY once the busy timeout has passed: a writer outside needsd.
        let busy = e
            .as_database_error()
            .and_then(|d| d.code())
            .is_some_and(|c| c == "5" || c == "6");
        if busy {
            StoreError::Locked(e)
        } else {
            StoreError::Sql(e)
        }
    }
}

/// Which database a store talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// The database a `database.url` names, if needsd speaks it.
    pub fn of_url(url: &str) -> Option<Backend> {
        if url.starts_with("sqlite:") {
            Some(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Some(Backend::Postgres)
        } else {
            None
        }
    }
}

/// A handle on the database.
#[derive(Clone)]
pub struct Store {
    backend: Backend,
    /// What the store connected with (password included: never shown), for the
    /// leader's connection of its own.
    url: std::sync::Arc<str>,
    pool: AnyPool,
    /// One connection for writes that can be derived again from what is already durable
    /// (reading a stored message): on SQLite its commits skip the fsync. Whatever commits
    /// durably after it (a raw message, an outbox state) makes it durable too, because the
    /// write-ahead log is synced in order. On PostgreSQL its commits are asynchronous
    /// (`synchronous_commit = off`), to the same end.
    rederivable: AnyPool,
    /// Writers in this process take turns here before they begin: SQLite has one writer at
    /// a time, and its own busy handler waits by sleeping, milliseconds at a time.
    turn: std::sync::Arc<tokio::sync::Mutex<()>>,
}

/// A write transaction that holds this process's writing turn until it ends.
pub struct WriteTx {
    tx: sqlx::Transaction<'static, sqlx::Any>,
    _turn: tokio::sync::OwnedMutexGuard<()>,
}

impl WriteTx {
    pub async fn commit(self) -> Result<(), sqlx::Error> {
        self.tx.commit().await
    }
}

impl std::ops::Deref for WriteTx {
    type Target = sqlx::AnyConnection;
    fn deref(&self) -> &Self::Target {
        &self.tx
    }
}

impl std::ops::DerefMut for WriteTx {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.tx
    }
}

/// The migrations, compiled in: version, description and SQL, as `sqlx migrate` names them
/// from their file names (`0001_data_model.sql`), so the checksums sqlx records match.
/// Each has a file per database, under one name. Append-only: a released migration is
/// never edited. Built by hand rather than by
/// `sqlx::migrate!`, which would compile sqlx's proc-macros and a second copy of its
/// drivers into every first build.
const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        description: "data model",
        sqlite: include_str!("../../migrations/sqlite/0001_data_model.sql"),
        postgres: include_str!("../../migrations/postgres/0001_data_model.sql"),
    },
    Migration {
        version: 2,
        description: "outbox lease owner",
        sqlite: include_str!("../../migrations/sqlite/0002_outbox_lease_owner.sql"),
        postgres: include_str!("../../migrations/postgres/0002_outbox_lease_owner.sql"),
    },
    Migration {
        version: 3,
        description: "daemon lock",
        sqlite: include_str!("../../migrations/sqlite/0003_daemon_lock.sql"),
        postgres: include_str!("../../migrations/postgres/0003_daemon_lock.sql"),
    },
    Migration {
        version: 4,
        description: "submission refused by",
        sqlite: include_str!("../../migrations/sqlite/0004_submission_refused_by.sql"),
        postgres: include_str!("../../migrations/postgres/0004_submission_refused_by.sql"),
    },
    Migration {
        version: 5,
        description: "inbox copy key",
        sqlite: include_str!("../../migrations/sqlite/0005_inbox_copy_key.sql"),
        postgres: include_str!("../../migrations/postgres/0005_inbox_copy_key.sql"),
    },
    Migration {
        version: 6,
        description: "inbox read attempts",
        sqlite: include_str!("../../migrations/sqlite/0006_inbox_read_attempts.sql"),
        postgres: include_str!("../../migrations/postgres/0006_inbox_read_attempts.sql"),
    },
    Migration {
        version: 7,
        description: "inbox too large",
        sqlite: include_str!("../../migrations/sqlite/0007_inbox_too_large.sql"),
        postgres: include_str!("../../migrations/postgres/0007_inbox_too_large.sql"),
    },
    Migration {
        version: 8,
        description: "drop mailbox cursors",
        sqlite: include_str!("../../migrations/sqlite/0008_drop_mailbox_cursors.sql"),
        postgres: include_str!("../../migrations/postgres/0008_drop_mailbox_cursors.sql"),
    },
    Migration {
        version: 9,
        description: "outbox recent",
        sqlite: include_str!("../../migrations/sqlite/0009_outbox_recent.sql"),
        postgres: include_str!("../../migrations/postgres/0009_outbox_recent.sql"),
    },
    Migration {
        version: 10,
        description: "reply tokens",
        sqlite: include_str!("../../migrations/sqlite/0010_reply_tokens.sql"),
        postgres: include_str!("../../migrations/postgres/0010_reply_tokens.sql"),
    },
    Migration {
        version: 11,
        description: "daemon lock renewed",
        sqlite: include_str!("../../migrations/sqlite/0011_daemon_lock_renewed.sql"),
        postgres: include_str!("../../migrations/postgres/0011_daemon_lock_renewed.sql"),
    },
    Migration {
        version: 12,
        description: "programmes",
        sqlite: include_str!("../../migrations/sqlite/0012_programmes.sql"),
        postgres: include_str!("../../migrations/postgres/0012_programmes.sql"),
    },
    Migration {
        version: 13,
        description: "cycle programmes",
        sqlite: include_str!("../../migrations/sqlite/0013_cycle_programmes.sql"),
        postgres: include_str!("../../migrations/postgres/0013_cycle_programmes.sql"),
    },
    Migration {
        version: 14,
        description: "proposed programme changes",
        sqlite: include_str!("../../migrations/sqlite/0014_proposed_programme_changes.sql"),
        postgres: include_str!("../../migrations/postgres/0014_proposed_programme_changes.sql"),
    },
    Migration {
        version: 15,
        description: "subscriptions",
        sqlite: include_str!("../../migrations/sqlite/0015_subscriptions.sql"),
        postgres: include_str!("../../migrations/postgres/0015_subscriptions.sql"),
    },
];

/// One schema change, in each database's SQL.
struct Migration {
    version: i64,
    description: &'static str,
    sqlite: &'static str,
    postgres: &'static str,
}

fn migrator(backend: Backend) -> sqlx::migrate::Migrator {
    use sqlx::SqlSafeStr;
    use sqlx::migrate::MigrationType;
    sqlx::migrate::Migrator::with_migrations(
        MIGRATIONS
            .iter()
            .map(|m| {
                let sql = match backend {
                    Backend::Sqlite => m.sqlite,
                    Backend::Postgres => m.postgres,
                };
                sqlx::migrate::Migration::new(
                    m.version,
                    m.description.into(),
                    MigrationType::Simple,
                    sql.into_sql_str(),
                    sql.starts_with("-- no-transaction"),
                )
            })
            .collect(),
    )
}

impl Store {
    /// Opens (creating a SQLite file if needed) the database at `url` and applies
    /// pending migrations.
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        let store = Self::connect_to(url).await?;
        migrator(store.backend).run(&store.pool).await?;
        Ok(store)
    }

    /// Opens the database at `url` without touching its schema.
    async fn connect_to(url: &str) -> Result<Self, StoreError> {
        sqlx::any::install_default_drivers();
        let backend = Backend::of_url(url).ok_or_else(|| StoreError::Open {
            url: url.to_string(),
            source: sqlx::Error::Configuration(
                "needsd speaks sqlite:// and postgres:// databases".into(),
            ),
        })?;
        let (pool, rederivable) = match backend {
            Backend::Sqlite => {
                let url = prepare_sqlite_url(url)?;
                probe_sqlite(&url).await?;
                (
                    Self::connect(&url, backend, 4, "FULL").await?,
                    Self::connect(&url, backend, 1, "NORMAL").await?,
                )
            }
            Backend::Postgres => (
                Self::connect(url, backend, 8, "FULL").await?,
                Self::connect(url, backend, 1, "NORMAL").await?,
            ),
        };
        Ok(Self {
            backend,
            url: url.into(),
            pool,
            rederivable,
            turn: std::sync::Arc::default(),
        })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    async fn connect(
        url: &str,
        backend: Backend,
        connections: u32,
        synchronous: &'static str,
    ) -> Result<AnyPool, StoreError> {
        let sqlite = backend == Backend::Sqlite;
        AnyPoolOptions::new()
            .max_connections(connections)
            // A connection to a file on this machine does not drop while idle; the ping
            // before every query (sqlx's default) was a round trip to its thread for
            // nothing. A server's connection may have dropped (the server restarted):
            // it is checked, so that no request or shutdown gets a dead one.
            .test_before_acquire(!sqlite)
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if !sqlite {
                        // Times come back as text in UTC, whatever the server's zone.
                        sqlx::query("SET TIME ZONE 'UTC'")
                            .execute(&mut *conn)
                            .await?;
                        if synchronous == "NORMAL" {
                            // PostgreSQL's way to skip the sync: a commit returns before
                            // its log is flushed; the next synchronous commit flushes it.
                            sqlx::query("SET synchronous_commit = off")
                                .execute(&mut *conn)
                                .await?;
                        }
                        return Ok(());
                    }
                    // WAL lets the web UI read while the daemon writes; the busy timeout
                    // makes concurrent writers wait instead of failing (a large dispatch
                    // holds the write lock for seconds).
                    sqlx::query("PRAGMA journal_mode = WAL")
                        .execute(&mut *conn)
                        .await?;
                    sqlx::query("PRAGMA busy_timeout = 30000")
                        .execute(&mut *conn)
                        .await?;
                    sqlx::query("PRAGMA foreign_keys = ON")
                        .execute(&mut *conn)
                        .await?;
                    let sync = match synchronous {
                        "NORMAL" => "PRAGMA synchronous = NORMAL",
                        _ => "PRAGMA synchronous = FULL",
                    };
                    sqlx::query(sync).execute(&mut *conn).await?;
                    Ok(())
                })
            })
            .connect(url)
            .await
            .map_err(|source| StoreError::Open {
                url: redacted(url),
                source,
            })
    }

    /// Begins a write transaction on the main pool, after the writers before it.
    pub async fn write(&self) -> Result<WriteTx, StoreError> {
        self.write_on(&self.pool).await
    }

    async fn write_on(&self, pool: &AnyPool) -> Result<WriteTx, StoreError> {
        let turn = std::sync::Arc::clone(&self.turn).lock_owned().await;
        let tx = match self.backend {
            // The write lock at BEGIN: a transaction that read first and then found
            // another process writing would fail at once, without waiting its turn.
            Backend::Sqlite => pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => pool.begin().await?,
        };
        Ok(WriteTx { tx, _turn: turn })
    }

    /// Begins a write whose truth is elsewhere (see `rederivable`): it may be lost in a
    /// crash, never half-written, and the next durable commit makes it durable.
    async fn write_rederivable(&self) -> Result<WriteTx, StoreError> {
        self.write_on(&self.rederivable).await
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    pub async fn close(self) {
        self.rederivable.close().await;
        self.pool.close().await;
    }
}

/// Opens a SQLite database once, as a pool's connections will, before the pools: a file
/// that cannot be opened for writing fails here at once, with the reason the file
/// system gives, rather than after the pool's retries.
async fn probe_sqlite(url: &str) -> Result<(), StoreError> {
    use sqlx::Connection;
    let opened = async {
        let mut conn = sqlx::AnyConnection::connect(url).await?;
        // As patient as the pool's connections with a writer that holds the file.
        sqlx::query("PRAGMA busy_timeout = 30000")
            .execute(&mut conn)
            .await?;
        sqlx::query("PRAGMA journal_mode = WAL")
            .execute(&mut conn)
            .await?;
        conn.close().await
    }
    .await;
    let Err(source) = opened else {
        return Ok(());
    };
    let path = url
        .strip_prefix("sqlite://")
        .unwrap_or(url)
        .split('?')
        .next()
        .unwrap_or_default();
    let why = match std::fs::OpenOptions::new().append(true).open(path) {
        Err(e) => format!("{source} ({path} cannot be written: {e})"),
        Ok(_) => source.to_string(),
    };
    Err(StoreError::Open {
        url: url.to_string(),
        source: sqlx::Error::Configuration(why.into()),
    })
}

/// `url` without the password it may carry, for messages.
pub fn redacted(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => match rest.rsplit_once('@') {
            Some((auth, host)) => {
                let user = auth.split(':').next().unwrap_or("");
                format!("{scheme}://{user}@{host}")
            }
            None => url.to_string(),
        },
        None => url.to_string(),
    }
}

/// Creates the folder of a SQLite file and asks for the file to be created when missing.
fn prepare_sqlite_url(url: &str) -> Result<String, StoreError> {
    let Some(rest) = url.strip_prefix("sqlite:") else {
        return Ok(url.to_string());
    };
    let rest = rest.strip_prefix("//").unwrap_or(rest);
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    let dir = Path::new(path)
        .parent()
        .filter(|d| !d.as_os_str().is_empty());
    if let Some(dir) = dir.filter(|_| path != ":memory:") {
        std::fs::create_dir_all(dir).map_err(|source| StoreError::Folder {
            path: dir.display().to_string(),
            source,
        })?;
    }
    let mode = if query.contains("mode=") {
        ""
    } else {
        "mode=rwc"
    };
    let sep = if query.is_empty() || mode.is_empty() {
        ""
    } else {
        "&"
    };
    Ok(format!("sqlite://{path}?{query}{sep}{mode}"))
}

/// Whether `conn` talks to PostgreSQL: the few statements that differ (claiming with
/// `FOR UPDATE SKIP LOCKED`, which SQLite, having one writer, neither has nor needs) ask.
pub(crate) fn is_postgres(conn: &sqlx::AnyConnection) -> bool {
    conn.backend_name() == "PostgreSQL"
}

/// A boolean column: BOOLEAN on PostgreSQL, 0/1 INTEGER on SQLite.
pub(crate) fn flag(row: &AnyRow, col: &str) -> Result<bool, sqlx::Error> {
    row.try_get::<bool, _>(col)
        .or_else(|_| row.try_get::<i64, _>(col).map(|v| v != 0))
}

/// A text column parsed into a domain type; a value that does not parse means the
/// database was edited outside needsd.
pub(crate) fn parsed<T: FromStr>(row: &AnyRow, col: &str) -> Result<T, StoreError>
where
    T::Err: std::fmt::Display,
{
    let s: String = row.try_get(col)?;
    s.parse::<T>()
        .map_err(|e| StoreError::Corrupt(format!("column {col}: {e}")))
}

/// A time column, decoded; text that is not a time the store wrote is corruption.
pub(crate) fn time(row: &AnyRow, col: &str) -> Result<chrono::DateTime<chrono::Utc>, StoreError> {
    let s: String = row.try_get(col)?;
    crate::clock::from_db_time(&s)
        .ok_or_else(|| StoreError::Corrupt(format!("column {col}: '{s}' is not a time")))
}

/// A time column that may be empty.
pub(crate) fn time_or_null(
    row: &AnyRow,
    col: &str,
) -> Result<Option<chrono::DateTime<chrono::Utc>>, StoreError> {
    match row.try_get::<Option<String>, _>(col)? {
        None => Ok(None),
        Some(_) => time(row, col).map(Some),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_migration_file_is_compiled_in_under_its_own_name() {
        for (folder, sql_of) in [
            (
                "sqlite",
                (|m: &Migration| m.sqlite) as fn(&Migration) -> &'static str,
            ),
            ("postgres", |m: &Migration| m.postgres),
        ] {
            let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("migrations")
                .join(folder);
            let mut files: Vec<String> = std::fs::read_dir(&dir)
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
            files.sort();
            let listed: Vec<String> = MIGRATIONS
                .iter()
                .map(|m| format!("{:04}_{}.sql", m.version, m.description.replace(' ', "_")))
                .collect();
            assert_eq!(listed, files, "{folder}");
            for (m, file) in MIGRATIONS.iter().zip(&files) {
                let on_disk = std::fs::read_to_string(dir.join(file)).unwrap();
                assert_eq!(sql_of(m), on_disk, "{folder}/{file}");
            }
        }
    }

    #[test]
    fn a_url_loses_its_password_in_messages() {
        assert_eq!(
            redacted("postgres://needsd:s3cret@db.example:5432/needsd"),
            "postgres://needsd@db.example:5432/needsd"
        );
        assert_eq!(
            redacted("sqlite://data/needsd.db"),
            "sqlite://data/needsd.db"
        );
    }

    #[test]
    fn sqlite_urls_get_create_mode() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a/b/x.db");
        let url = prepare_sqlite_url(&format!("sqlite://{}", p.display())).unwrap();
        assert!(url.ends_with("x.db?mode=rwc"), "{url}");
        assert!(p.parent().unwrap().is_dir());
        let url = prepare_sqlite_url("sqlite://:memory:?mode=memory").unwrap();
        assert_eq!(url, "sqlite://:memory:?mode=memory");
    }
}
