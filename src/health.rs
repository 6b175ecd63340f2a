//! What the daemon knows about itself beyond the database, for `/healthz` and `/metrics`:
//! the last inbox pass, job outcomes, when it started, and how each of its tasks is doing.

use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64};

/// What the daemon tells `/healthz` and `/metrics`.
#[derive(Debug, Default)]
pub struct Health {
    /// Unix seconds of the last inbox pass that worked; 0 = none yet.
    pub last_poll: AtomicI64,
    pub polls: AtomicU64,
    pub jobs_ok: AtomicU64,
    pub jobs_failed: AtomicU64,
    pub started: AtomicI64,
    /// Looks the scheduler finished (every due job run or found already run).
    pub scheduler_passes: AtomicU64,
    /// Whether this daemon runs the scheduler, the inbox watcher and the sender: always
    /// on SQLite, only while it holds the lead on PostgreSQL.
    pub leading: AtomicBool,
    /// Times this daemon took the lead.
    pub lead_taken: AtomicU64,
    /// The daemon's tasks, by name.
    tasks: std::sync::Mutex<std::collections::BTreeMap<&'static str, TaskHealth>>,
}

/// How one of the daemon's tasks is doing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct TaskHealth {
    /// Running now (false while it waits to be started again).
    pub running: bool,
    /// Times it stopped unexpectedly and was started again.
    pub restarts: u64,
}

impl Health {
    /// Every task and how it is doing, by name.
    pub fn tasks(&self) -> Vec<(&'static str, TaskHealth)> {
        self.lock_tasks().iter().map(|(k, v)| (*k, *v)).collect()
    }

    pub(crate) fn task(&self, name: &'static str, update: impl FnOnce(&mut TaskHealth)) {
        update(self.lock_tasks().entry(name).or_default());
    }

    fn lock_tasks(
        &self,
    ) -> std::sync::MutexGuard<'_, std::collections::BTreeMap<&'static str, TaskHealth>> {
        // A panic while holding it leaves counts, not broken invariants.
        self.tasks.lock().unwrap_or_else(|p| p.into_inner())
    }
}
