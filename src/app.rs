//! The composition root: what every command and the daemon work with, built once per
//! process by `main` (or the demo, for its own folder) and passed by reference. Nothing
//! else opens the database.

use std::sync::Arc;

use anyhow::{Context, Result};
use thiserror::Error;

use crate::clock::Clock;
use crate::config::Config;
use crate::directory::{self, PartyIndex};
use crate::mail::compose::Templates;
use crate::mail::outbound::Sender;
use crate::programme::Geography;
use crate::store::Store;

/// The database was opened before `needsd init` seeded it.
#[derive(Debug, Error)]
#[error("the database {0} has no parties yet: run `needsd init` first")]
pub struct NotInitialised(pub String);

/// One process's configuration, clock, database, parties, mail templates and mail sender.
pub struct App {
    pub cfg: Arc<Config>,
    pub clock: Arc<dyn Clock>,
    /// One store (one pool) for everything the process does, the daemon's jobs included.
    pub store: Store,
    /// The parties the database was seeded with.
    pub index: Arc<PartyIndex>,
    /// The regions and memberships programmes' eligibility is written in.
    pub geo: &'static Geography,
    pub templates: Arc<Templates>,
    /// Built at the first send: a command that never sends never sets up SMTP. A setup
    /// that failed is tried again at the next send.
    sender: tokio::sync::Mutex<Option<Arc<Sender>>>,
}

/// What `init` did.
#[derive(Debug)]
pub struct InitReport {
    pub parties: usize,
    pub new_parties: usize,
}

impl App {
    /// Opens the configured database (applying migrations) and loads its parties; refuses
    /// a database `needsd init` has not seeded.
    pub async fn open(cfg: Arc<Config>, clock: Arc<dyn Clock>) -> Result<Self> {
        let store = open_store(&cfg).await?;
        let parties = store.parties().await.context("reading the parties")?;
        if parties.is_empty() {
            return Err(NotInitialised(cfg.database.url.clone()).into());
        }
        Self::with(cfg, clock, store, PartyIndex::new(parties))
    }

    /// Creates or upgrades the database and seeds the parties (safe to run again), then
    /// opens it.
    pub async fn init(cfg: Arc<Config>, clock: Arc<dyn Clock>) -> Result<(Self, InitReport)> {
        let parties = directory::seed_parties()?;
        let store = open_store(&cfg).await?;
        let new_parties = store
            .seed_parties(&parties)
            .await
            .context("seeding the parties")?;
        let report = InitReport {
            parties: parties.len(),
            new_parties,
        };
        let index = PartyIndex::new(store.parties().await.context("reading the parties")?);
        Ok((Self::with(cfg, clock, store, index)?, report))
    }

    fn with(
        cfg: Arc<Config>,
        clock: Arc<dyn Clock>,
        store: Store,
        index: PartyIndex,
    ) -> Result<Self> {
        // Config::load rendered an operator's templates and words once already.
        let templates = Arc::new(Templates::read(
            cfg.mail.templates_dir.as_deref(),
            cfg.mail.locales_dir.as_deref(),
        )?);
        Ok(Self {
            cfg,
            clock,
            store,
            index: Arc::new(index),
            geo: Geography::shared()?,
            templates,
            sender: tokio::sync::Mutex::new(None),
        })
    }

    /// The process's mail sender, set up at its first use.
    pub async fn sender(&self) -> Result<Arc<Sender>> {
        let mut sender = self.sender.lock().await;
        if let Some(s) = &*sender {
            return Ok(Arc::clone(s));
        }
        let s = Arc::new(
            Sender::new(&self.cfg.outbound)
                .await
                .context("setting up outbound mail")?,
        );
        *sender = Some(Arc::clone(&s));
        Ok(s)
    }

    /// Sets the sender up afresh at its next use (after a failed send: a new XOAUTH2
    /// token, new connections).
    pub async fn renew_sender(&self) {
        *self.sender.lock().await = None;
    }

    /// Closes the database (waiting for its connections to finish).
    pub async fn close(&self) {
        self.store.clone().close().await;
    }
}

async fn open_store(cfg: &Config) -> Result<Store> {
    Store::open(&cfg.database.connect_url())
        .await
        .with_context(|| format!("opening the database named by database.url in {}", cfg.file))
}
