//! `[daemon]`: how several `needsd run` on one PostgreSQL database share the work.

use serde::Deserialize;

use super::value::Positive;

/// The daemon's settings.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DaemonConfig {
    /// On PostgreSQL, the longest time the scheduler, the inbox watcher and the sender
    /// may stand still after their leader dies before another daemon takes them over.
    /// Ignored on SQLite, where one daemon holds the database.
    pub failover_seconds: Positive<3600>,
}

impl Default for DaemonConfig {
    fn default() -> Self {
        Self {
            failover_seconds: Positive::new(30),
        }
    }
}

impl DaemonConfig {
    pub fn failover(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.failover_seconds.get())
    }
}
