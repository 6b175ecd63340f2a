//! "Needs you could meet": the sheet a provider's copy carries listing the open needs its
//! programmes could meet (follow-up plan 6(d), 7(c)). Setting Status to "Assistance
//! offered" and naming itself there is an ordinary proposed change to the need; the
//! policy here lets a provider, State or organization, set Status, Assistance provider
//! and Notes on the needs its sheet listed, and nothing else. Pure.
//!
//! The sheet is written by the register engine (`crate::register::write_sheet`) with the
//! Matrix's own columns, so its rows read with the Matrix reader and diff with the
//! Matrix's three-way diff, against the needs as circulated.

use std::collections::{BTreeMap, HashMap, HashSet};

use crate::diff::{Change, Diff};
use crate::matching::{self, Candidate, Helped};
use crate::model::{Field, Need, NeedId, Party, PartyCode, RowError};
use crate::programme::{Geography, Programme};
use crate::register::{Column, Record, Schema};
use crate::spelling::List;

/// The sheet's name, fixed in every language; the reader finds it by it.
pub const SHEET: &str = "Needs you could meet";

/// What a provider may set on a need its sheet lists.
pub const FIELDS: [Field; 3] = [Field::Status, Field::Provider, Field::Notes];

const fn column(
    key: &'static str,
    header: &'static str,
    width: f64,
    choices: &'static [&'static str],
) -> Column {
    Column {
        key,
        header,
        aliases: &[],
        required: false,
        width,
        choices,
        choice_words: None,
    }
}

/// The sheet's layout: the Matrix's columns, then the provider's programmes that match.
pub static SCHEMA: Schema = Schema {
    sheet: SHEET,
    id_prefix: "MN-",
    id_header: "Need ID",
    id_aliases: &[],
    columns: &[
        column("state", "State", 8.0, &[]),
        column("area", "Area", 7.0, &[]),
        column("description", "Need", 60.0, &[]),
        column("priority", "Priority", 10.0, &[]),
        Column {
            key: "status",
            header: "Status",
            aliases: &[],
            required: false,
            width: 18.0,
            choices: &["Open", "Assistance offered", "In progress", "Met"],
            // The Matrix's statuses, in the copy's language.
            choice_words: Some(List::Status),
        },
        column("provider", "Assistance provider", 24.0, &[]),
        column("notes", "Notes", 36.0, &[]),
        column("programmes", "Your programmes", 40.0, &[]),
        column("updated", "Last updated", 13.0, &[]),
    ],
    owner: "provider",
    owner_editable: &["status", "provider", "notes"],
    updated: "updated",
    headers: List::OfferHeader,
};

/// Each provider's sheet: the open needs (in `needs`' order) some active programme of
/// its could meet, each with those programmes ("SA-00001 Title"). Providers without one
/// are absent.
pub fn by_provider(
    needs: &[Need],
    programmes: &[Programme],
    geo: &Geography,
) -> HashMap<PartyCode, Vec<Record>> {
    let candidates = matching::candidates(needs, programmes, geo, &Helped::new());
    let mut out: HashMap<PartyCode, Vec<Record>> = HashMap::new();
    for n in needs {
        let Some(cs) = candidates.get(&n.id) else {
            continue;
        };
        let mut mine: BTreeMap<&PartyCode, Vec<String>> = BTreeMap::new();
        for Candidate { programme, .. } in cs {
            if let Some(p) = programmes.get(*programme) {
                mine.entry(&p.provider)
                    .or_default()
                    .push(format!("{} {}", p.id, p.title));
            }
        }
        for (provider, titles) in mine {
            out.entry(provider.clone())
                .or_default()
                .push(record(n, titles.join("; ")));
        }
    }
    out
}

/// The needs `provider`'s sheet listed: those a programme of its could meet.
pub fn listed(
    needs: &[Need],
    programmes: &[Programme],
    geo: &Geography,
    provider: &PartyCode,
) -> HashSet<NeedId> {
    let own: Vec<Programme> = programmes
        .iter()
        .filter(|p| &p.provider == provider)
        .cloned()
        .collect();
    matching::candidates(needs, &own, geo, &Helped::new())
        .into_keys()
        .collect()
}

fn record(n: &Need, programmes: String) -> Record {
    let mut fields: BTreeMap<&'static str, String> = Field::ALL
        .iter()
        .map(|f| (f.as_str(), crate::diff::field_value(n, *f).to_string()))
        .collect();
    fields.insert("programmes", programmes);
    fields.insert("updated", n.updated_at.to_string());
    Record {
        id: n.id.to_string(),
        fields,
    }
}

/// Keeps the changes `sender` may make through its sheet (Status, Assistance provider
/// and Notes of a need it listed) and makes every other one an error naming the sheet.
pub fn apply(sender: &Party, listed: &HashSet<NeedId>, diff: Diff) -> Diff {
    let mut out = Diff {
        changes: Vec::new(),
        errors: diff.errors,
        warnings: diff.warnings,
    };
    for c in diff.changes {
        let refusal = match &c {
            Change::Update { need_id, .. } if !listed.contains(need_id) => Some((
                None,
                format!(
                    "{need_id} was not among the needs {}'s programmes could meet",
                    sender.code
                ),
            )),
            Change::Update { field, .. } if !FIELDS.contains(field) => Some((
                Some(*field),
                format!(
                    "here {} may set only Status, Assistance provider and Notes",
                    sender.code
                ),
            )),
            Change::Update { .. } => None,
            Change::Withdraw { need_id, .. } => Some((
                Some(Field::Status),
                format!("only the State may withdraw {need_id}"),
            )),
            Change::Add { .. } => Some((
                None,
                "new needs go on the Matrix sheet, not here".to_string(),
            )),
        };
        match refusal {
            None => out.changes.push(c),
            Some((field, message)) => {
                let e = RowError {
                    row: c.row(),
                    column: field.map(|f| f.header().to_string()),
                    message,
                };
                // A need not listed is said once, however many of its cells changed.
                if !out.errors.contains(&e) {
                    out.errors.push(e);
                }
            }
        }
    }
    out
}

/// `sheet` merged into `matrix`, the changes of a reply's two sheets: a change the Matrix
/// sheet also proposes is kept once; one the Matrix sheet proposes differently is an
/// error on the sheet's row, so that neither wins by accident. Errors and warnings from
/// the sheet are named by it.
pub fn merge(matrix: &mut Diff, sheet: Diff) {
    let named = |mut e: RowError| {
        e.message = format!("{SHEET} sheet: {}", e.message);
        e
    };
    for c in sheet.changes {
        let Change::Update {
            need_id,
            field,
            proposed,
            row,
            ..
        } = &c
        else {
            continue;
        };
        let other = matrix.changes.iter().find_map(|m| match m {
            Change::Update {
                need_id: i,
                field: f,
                proposed: p,
                ..
            } if i == need_id && f == field => Some(p.as_str()),
            Change::Withdraw { need_id: i, .. } if i == need_id && *field == Field::Status => {
                Some("Withdrawn")
            }
            _ => None,
        });
        match other {
            None => matrix.changes.push(c),
            Some(p) if p == proposed => {}
            Some(p) => matrix.errors.push(named(RowError {
                row: *row,
                column: Some(field.header().to_string()),
                message: format!(
                    "the Matrix sheet sets {} of {need_id} to '{p}'; change it in one place",
                    field.header()
                ),
            })),
        }
    }
    matrix.errors.extend(sheet.errors.into_iter().map(named));
    matrix
        .warnings
        .extend(sheet.warnings.into_iter().map(named));
    matrix.errors.sort_by_key(|e| e.row);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::PartyKind;

    fn party(code: &str, kind: PartyKind) -> Party {
        Party {
            code: PartyCode::parse(code).unwrap(),
            name: code.into(),
            kind,
            category: None,
            parent: None,
            membership: None,
            aliases: Vec::new(),
            active: true,
        }
    }

    fn update(id: u64, field: Field, proposed: &str) -> Change {
        Change::Update {
            need_id: NeedId::from_number(id),
            row: id as usize + 1,
            field,
            base: "Open".into(),
            current: "Open".into(),
            proposed: proposed.into(),
            conflict: false,
        }
    }

    #[test]
    fn a_provider_sets_status_provider_and_notes_on_listed_needs_only() {
        let listed: HashSet<NeedId> = [NeedId::from_number(1)].into();
        for kind in [PartyKind::State, PartyKind::Organization] {
            let sender = party("FRA", kind);
            let diff = Diff {
                changes: vec![
                    update(1, Field::Status, "Assistance offered"),
                    update(1, Field::Provider, "FRA"),
                    update(1, Field::Notes, "From March"),
                    update(1, Field::Priority, "High"),
                    update(2, Field::Status, "Assistance offered"),
                    Change::Withdraw {
                        need_id: NeedId::from_number(1),
                        row: 2,
                    },
                    Change::Add {
                        need_id: None,
                        row: 9,
                        fields: BTreeMap::new(),
                        duplicate_of: None,
                    },
                ],
                ..Diff::default()
            };
            let out = apply(&sender, &listed, diff);
            assert_eq!(
                out.changes,
                vec![
                    update(1, Field::Status, "Assistance offered"),
                    update(1, Field::Provider, "FRA"),
                    update(1, Field::Notes, "From March"),
                ],
                "{kind:?}"
            );
            let messages: Vec<&str> = out.errors.iter().map(|e| e.message.as_str()).collect();
            assert_eq!(out.errors.len(), 4, "{messages:?}");
            assert!(messages[0].contains("may set only Status"), "{messages:?}");
            assert!(
                messages
                    .iter()
                    .any(|m| m.contains("MN-00002 was not among"))
            );
            assert!(
                messages
                    .iter()
                    .any(|m| m.contains("only the State may withdraw"))
            );
            assert!(messages.iter().any(|m| m.contains("Matrix sheet")));
        }
    }

    #[test]
    fn the_same_change_on_both_sheets_is_kept_once_and_different_ones_are_an_error() {
        let mut matrix = Diff {
            changes: vec![
                update(1, Field::Status, "Assistance offered"),
                update(3, Field::Notes, "From the Matrix"),
            ],
            ..Diff::default()
        };
        let sheet = Diff {
            changes: vec![
                update(1, Field::Status, "Assistance offered"),
                update(2, Field::Status, "Assistance offered"),
                update(3, Field::Notes, "From the sheet"),
            ],
            ..Diff::default()
        };
        merge(&mut matrix, sheet);
        assert_eq!(
            matrix.changes,
            vec![
                update(1, Field::Status, "Assistance offered"),
                update(3, Field::Notes, "From the Matrix"),
                update(2, Field::Status, "Assistance offered"),
            ]
        );
        assert_eq!(matrix.errors.len(), 1);
        assert!(
            matrix.errors[0]
                .message
                .starts_with("Needs you could meet sheet: ")
        );
        assert!(matrix.errors[0].message.contains("change it in one place"));
    }
}
