//! `[policy]`: who may change what, before the expert review.

use serde::Deserialize;

use crate::model::Field;
use crate::settings::PolicyConfig;

/// `[policy]` as the file has it; a key left out keeps [`PolicyConfig::default`]'s value.
#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(super) struct PolicySection {
    #[serde(deserialize_with = "state_fields")]
    state_fields: Option<Vec<Field>>,
    state_may_add: Option<bool>,
    organization_fields: Option<Vec<Field>>,
    organization_may_withdraw: Option<bool>,
}

fn state_fields<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Vec<Field>>, D::Error> {
    use serde::de::Error;
    let fields = Vec::<Field>::deserialize(d)?;
    if fields.contains(&Field::State) {
        return Err(D::Error::custom(
            "a State's contact cannot move a need to another State",
        ));
    }
    Ok(Some(fields))
}

impl From<PolicySection> for PolicyConfig {
    fn from(p: PolicySection) -> Self {
        let d = PolicyConfig::default();
        PolicyConfig {
            state_fields: p.state_fields.unwrap_or(d.state_fields),
            state_may_add: p.state_may_add.unwrap_or(d.state_may_add),
            organization_fields: p.organization_fields.unwrap_or(d.organization_fields),
            organization_may_withdraw: p
                .organization_may_withdraw
                .unwrap_or(d.organization_may_withdraw),
        }
    }
}
