//! Who may change what, field by field. Pure.
//!
//! Defaults (configurable in `[policy]`): a State's contact may add, edit and withdraw its
//! own State's needs and nothing else; an organization's contact may set Status,
//! Assistance provider and Notes on any need, and not withdraw. In one row the allowed
//! edits stay proposed changes and each refused edit becomes an error on that row.

use std::collections::HashMap;

use crate::diff::{Change, Diff};
use crate::model::RowError;
use crate::model::{Field, Need, NeedId, Party, PartyKind};
use crate::settings::PolicyConfig;

/// Keeps what `sender` may propose; every other change becomes an error with its reason.
pub fn apply(policy: &PolicyConfig, sender: &Party, ours: &[Need], diff: Diff) -> Diff {
    let state_of: HashMap<&NeedId, &str> = ours.iter().map(|n| (&n.id, n.state.as_str())).collect();
    let mut out = Diff {
        changes: Vec::new(),
        errors: diff.errors,
        warnings: diff.warnings,
    };
    for c in diff.changes {
        match refusal(policy, sender, &state_of, &c) {
            None => out.changes.push(c),
            Some((column, message)) => out.errors.push(RowError {
                row: c.row(),
                column: column.map(|f| f.header().to_string()),
                message,
            }),
        }
    }
    out.errors.sort_by_key(|e| e.row);
    out
}

fn refusal(
    policy: &PolicyConfig,
    sender: &Party,
    state_of: &HashMap<&NeedId, &str>,
    c: &Change,
) -> Option<(Option<Field>, String)> {
    let who = &sender.name;
    let own = |id: &NeedId| state_of.get(id).is_some_and(|s| *s == sender.code.as_str());
    match (sender.kind, c) {
        (PartyKind::State, Change::Update { need_id, field, .. }) => {
            if !own(need_id) {
                Some((
                    None,
                    format!(
                        "{need_id} belongs to another State; {who} may change only its own needs"
                    ),
                ))
            } else if !policy.state_fields.contains(field) {
                Some((
                    Some(*field),
                    format!("{who} may not change {}", field.header()),
                ))
            } else {
                None
            }
        }
        (PartyKind::State, Change::Withdraw { need_id, .. }) => {
            if own(need_id) && policy.state_fields.contains(&Field::Status) {
                None
            } else {
                Some((
                    Some(Field::Status),
                    format!(
                        "{need_id} belongs to another State; {who} may withdraw only its own needs"
                    ),
                ))
            }
        }
        (PartyKind::State, Change::Add { fields, .. }) => {
            let state = fields.get(&Field::State).map(String::as_str).unwrap_or("");
            if !policy.state_may_add {
                Some((
                    None,
                    "new needs are added by the expert team; write to them instead".into(),
                ))
            } else if state != sender.code.as_str() {
                Some((
                    Some(Field::State),
                    format!("{who} may add needs only for itself, not for {state}"),
                ))
            } else {
                None
            }
        }
        (PartyKind::Organization, Change::Update { field, .. }) => {
            if policy.organization_fields.contains(field) {
                None
            } else {
                let allowed: Vec<&str> = policy
                    .organization_fields
                    .iter()
                    .map(|f| f.header())
                    .collect();
                Some((
                    Some(*field),
                    format!(
                        "an organization may set only {}; {} is the State's to change",
                        allowed.join(", "),
                        field.header()
                    ),
                ))
            }
        }
        (PartyKind::Organization, Change::Withdraw { need_id, .. }) => {
            if policy.organization_may_withdraw
                && policy.organization_fields.contains(&Field::Status)
            {
                None
            } else {
                Some((
                    Some(Field::Status),
                    format!("only the State may withdraw {need_id}"),
                ))
            }
        }
        (PartyKind::Organization, Change::Add { .. }) => {
            Some((None, "only a State may propose new needs for itself".into()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{AreaCode, PartyCode, Priority, Status};

    fn party(code: &str, kind: PartyKind) -> Party {
        Party {
            code: PartyCode::parse(code).unwrap(),
            kind,
            name: code.to_string(),
            category: None,
            parent: None,
            membership: None,
            aliases: vec![],
            active: true,
        }
    }

    fn need(id: u64, state: &str) -> Need {
        Need {
            id: NeedId::from_number(id),
            state: PartyCode::parse(state).unwrap(),
            area: AreaCode::parse("FIN").unwrap(),
            description: "x".into(),
            priority: Priority::High,
            status: Status::Open,
            provider: String::new(),
            notes: String::new(),
            updated_at: chrono::NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(),
        }
    }

    fn update(id: u64, field: Field) -> Change {
        Change::Update {
            need_id: NeedId::from_number(id),
            row: id as usize + 1,
            field,
            base: "a".into(),
            current: "a".into(),
            proposed: "b".into(),
            conflict: false,
        }
    }

    fn add(state: &str) -> Change {
        Change::Add {
            need_id: None,
            row: 99,
            fields: [(Field::State, state.to_string())].into_iter().collect(),
            duplicate_of: None,
        }
    }

    fn withdraw(id: u64) -> Change {
        Change::Withdraw {
            need_id: NeedId::from_number(id),
            row: id as usize + 1,
        }
    }

    /// The policy table: (sender, change, allowed).
    #[test]
    fn the_default_policy_table() {
        let ours = vec![need(1, "KEN"), need(2, "MDA")];
        let ken = party("KEN", PartyKind::State);
        let unodc = party("UNODC", PartyKind::Organization);
        let cases: Vec<(&Party, Change, bool)> = vec![
            (&ken, update(1, Field::Description), true),
            (&ken, update(1, Field::Priority), true),
            (&ken, update(1, Field::Notes), true),
            (&ken, update(1, Field::State), false),
            (&ken, update(2, Field::Notes), false),
            (&ken, withdraw(1), true),
            (&ken, withdraw(2), false),
            (&ken, add("KEN"), true),
            (&ken, add("MDA"), false),
            (&unodc, update(1, Field::Status), true),
            (&unodc, update(2, Field::Provider), true),
            (&unodc, update(2, Field::Notes), true),
            (&unodc, update(1, Field::Priority), false),
            (&unodc, update(1, Field::Description), false),
            (&unodc, update(1, Field::Area), false),
            (&unodc, withdraw(1), false),
            (&unodc, add("KEN"), false),
        ];
        for (sender, change, allowed) in cases {
            let d = Diff {
                changes: vec![change.clone()],
                ..Diff::default()
            };
            let r = apply(&PolicyConfig::default(), sender, &ours, d);
            assert_eq!(r.changes.len() == 1, allowed, "{} {change:?}", sender.code);
            assert_eq!(r.errors.len() == 1, !allowed, "{} {change:?}", sender.code);
            if !allowed {
                assert_eq!(r.errors[0].row, change.row());
            }
        }
    }

    #[test]
    fn a_row_keeps_its_allowed_edits_and_refuses_the_rest() {
        let ours = vec![need(1, "KEN")];
        let unodc = party("UNODC", PartyKind::Organization);
        let d = Diff {
            changes: vec![
                update(1, Field::Status),
                update(1, Field::Priority),
                update(1, Field::Notes),
            ],
            ..Diff::default()
        };
        let r = apply(&PolicyConfig::default(), &unodc, &ours, d);
        assert_eq!(r.changes.len(), 2);
        assert_eq!(r.errors.len(), 1);
        assert_eq!(r.errors[0].column.as_deref(), Some("Priority"));
        assert!(
            r.errors[0]
                .message
                .contains("Priority is the State's to change"),
            "{}",
            r.errors[0].message
        );
    }

    #[test]
    fn configuration_widens_the_policy() {
        let ours = vec![need(1, "KEN")];
        let unodc = party("UNODC", PartyKind::Organization);
        let p = PolicyConfig {
            organization_may_withdraw: true,
            ..PolicyConfig::default()
        };
        let d = Diff {
            changes: vec![withdraw(1)],
            ..Diff::default()
        };
        assert_eq!(apply(&p, &unodc, &ours, d).changes.len(), 1);
    }
}
