//! Cycles and their base: the matrix exactly as circulated.

use super::needs::need_from_row;
use super::{Store, StoreError};
use crate::model::{Cycle, Need};

impl Store {
    /// The matrix as circulated in `cycle`, or `None` when that cycle was never dispatched.
    pub async fn cycle_base(&self, cycle: Cycle) -> Result<Option<Vec<Need>>, StoreError> {
        let exists = sqlx::query("SELECT 1 FROM cycles WHERE id = $1 AND opened_at IS NOT NULL")
            .bind(cycle.to_string())
            .fetch_optional(&self.pool)
            .await?
            .is_some();
        if !exists {
            return Ok(None);
        }
        let rows = sqlx::query(
            "SELECT need_id AS id, state_code, area, description, priority, status, provider, notes, updated_at \
             FROM cycle_base WHERE cycle_id = $1 ORDER BY need_id",
        )
        .bind(cycle.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(need_from_row)
            .collect::<Result<Vec<_>, _>>()
            .map(Some)
    }
}
