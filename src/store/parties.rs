//! Parties: States and organizations, with their aliases.

use sqlx::Row;

use super::{Store, StoreError, flag, parsed};
use crate::model::{Party, PartyCode, PartyKind};

impl Store {
    /// Inserts or updates every Party in one transaction (safe to run again). Returns
    /// how many rows were new.
    pub async fn seed_parties(&self, parties: &[Party]) -> Result<usize, StoreError> {
        let mut tx = self.write().await?;
        let mut new = 0;
        // Parents first, so the foreign key holds whatever order the data is in.
        let mut ordered: Vec<&Party> = parties.iter().collect();
        ordered.sort_by_key(|p| p.parent.is_some());
        for p in ordered {
            let exists = sqlx::query("SELECT 1 FROM parties WHERE code = $1")
                .bind(p.code.as_str())
                .fetch_optional(&mut *tx)
                .await?
                .is_some();
            if !exists {
                new += 1;
            }
            // `active` is set only on insert: an operator's deactivation survives `init`.
            sqlx::query(
                "INSERT INTO parties (code, kind, name, category, parent_code, membership, active) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) \
                 ON CONFLICT (code) DO UPDATE SET kind = excluded.kind, name = excluded.name, \
                 category = excluded.category, parent_code = excluded.parent_code, membership = excluded.membership",
            )
            .bind(p.code.as_str())
            .bind(p.kind.as_str())
            .bind(p.name.as_str())
            .bind(p.category.clone())
            .bind(p.parent.as_ref().map(|c| c.to_string()))
            .bind(p.membership.clone())
            .bind(true)
            .execute(&mut *tx)
            .await?;
            sqlx::query("DELETE FROM party_aliases WHERE party_code = $1")
                .bind(p.code.as_str())
                .execute(&mut *tx)
                .await?;
            for a in &p.aliases {
                sqlx::query("INSERT INTO party_aliases (party_code, alias) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                    .bind(p.code.as_str())
                    .bind(a.as_str())
                    .execute(&mut *tx)
                    .await?;
            }
        }
        tx.commit().await?;
        Ok(new)
    }

    /// Every Party, States first, each kind by code.
    pub async fn parties(&self) -> Result<Vec<Party>, StoreError> {
        let rows = sqlx::query(
            "SELECT code, kind, name, category, parent_code, membership, active FROM parties \
             ORDER BY CASE kind WHEN 'state' THEN 0 ELSE 1 END, code",
        )
        .fetch_all(&self.pool)
        .await?;
        let aliases =
            sqlx::query("SELECT party_code, alias FROM party_aliases ORDER BY party_code, alias")
                .fetch_all(&self.pool)
                .await?;
        let mut by_code: std::collections::HashMap<String, Vec<String>> = Default::default();
        for a in aliases {
            by_code
                .entry(a.try_get("party_code")?)
                .or_default()
                .push(a.try_get("alias")?);
        }
        rows.iter()
            .map(|r| {
                let code: String = r.try_get("code")?;
                let kind: String = r.try_get("kind")?;
                Ok(Party {
                    code: parsed::<PartyCode>(r, "code")?,
                    kind: PartyKind::parse(&kind).map_err(|e| StoreError::Corrupt(e.0))?,
                    name: r.try_get("name")?,
                    category: r.try_get("category")?,
                    parent: r
                        .try_get::<Option<String>, _>("parent_code")?
                        .map(|p| PartyCode::parse(&p).map_err(|e| StoreError::Corrupt(e.0)))
                        .transpose()?,
                    membership: r.try_get("membership")?,
                    aliases: by_code.remove(&code).unwrap_or_default(),
                    active: flag(r, "active")?,
                })
            })
            .collect()
    }
}
