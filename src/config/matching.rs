//! `[matching]`: how needs are matched to the programmes of the Directory of Sources of
//! Assistance.

use serde::Deserialize;

use super::value::Positive;

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MatchingConfig {
    /// A need still Open with no provider after this many consecutive circulations is
    /// flagged in the experts' digest with the programmes that could meet it.
    pub unmet_cycles: Positive<120>,
}

impl Default for MatchingConfig {
    fn default() -> Self {
        Self {
            unmet_cycles: Positive::new(3),
        }
    }
}
