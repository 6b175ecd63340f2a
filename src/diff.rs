//! The three-way diff of a reply: *base* is the matrix as circulated in the reply's cycle,
//! *theirs* the reply, *ours* the matrix now. Pure.
//!
//! - `theirs == base`: no change, so a stale copy never reverts an approved change.
//! - `theirs != base`: a proposed change from ours to theirs, a `conflict` when ours moved
//!   too (`ours != base` and `ours != theirs`); nothing when ours already equals theirs.
//! - Status set to Withdrawn is a `withdraw`; a row missing from the reply is nothing.
//! - Rows without an ID are proposed new needs, flagged when they look like an existing one.
//! - An unknown ID is an error; the same ID on two rows is an error on both; blanking a
//!   required field is an error.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use crate::model::RowError;
use crate::model::{Field, Need, NeedId, Status, normalize_word};

/// One row of a reply: its ID if any, and the canonical text of every field whose column
/// the reply has (an empty string for an empty cell).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplyRow {
    pub row: usize,
    pub id: Option<NeedId>,
    pub fields: BTreeMap<Field, String>,
}

/// A change a reply proposes, in the JSON shape of DESIGN.md.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Change {
    Update {
        need_id: NeedId,
        row: usize,
        field: Field,
        base: String,
        current: String,
        proposed: String,
        conflict: bool,
    },
    Add {
        need_id: Option<NeedId>,
        row: usize,
        fields: BTreeMap<Field, String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        duplicate_of: Option<NeedId>,
    },
    Withdraw {
        need_id: NeedId,
        row: usize,
    },
}

impl Change {
    pub fn row(&self) -> usize {
        match self {
            Change::Update { row, .. } | Change::Add { row, .. } | Change::Withdraw { row, .. } => {
                *row
            }
        }
    }
}

/// What a reply proposes, and what could not be understood.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Diff {
    pub changes: Vec<Change>,
    pub errors: Vec<RowError>,
    pub warnings: Vec<RowError>,
}

/// The canonical text of one field of a need.
pub fn field_value(n: &Need, f: Field) -> &str {
    match f {
        Field::State => n.state.as_str(),
        Field::Area => n.area.as_str(),
        Field::Description => &n.description,
        Field::Priority => n.priority.as_str(),
        Field::Status => n.status.as_str(),
        Field::Provider => &n.provider,
        Field::Notes => &n.notes,
    }
}

/// Fields that may not be blank on an existing need.
const REQUIRED: [Field; 5] = [
    Field::State,
    Field::Area,
    Field::Description,
    Field::Priority,
    Field::Status,
];
/// Fields a new need must have.
const REQUIRED_NEW: [Field; 4] = [
    Field::State,
    Field::Area,
    Field::Description,
    Field::Priority,
];

fn error(row: usize, f: Option<Field>, message: String) -> RowError {
    RowError {
        row,
        column: f.map(|f| f.header().to_string()),
        message,
    }
}

/// Diffs `reply` against `base` (as circulated) and `ours` (now).
pub fn diff(base: &[Need], ours: &[Need], reply: &[ReplyRow]) -> Diff {
    let base: HashMap<&NeedId, &Need> = base.iter().map(|n| (&n.id, n)).collect();
    let ours_by_id: HashMap<&NeedId, &Need> = ours.iter().map(|n| (&n.id, n)).collect();
    let mut out = Diff::default();

    let mut rows_of: HashMap<&NeedId, Vec<usize>> = HashMap::new();
    for r in reply {
        if let Some(id) = &r.id {
            rows_of.entry(id).or_default().push(r.row);
        }
    }

    for r in reply {
        let Some(id) = &r.id else {
            add(r, ours, &mut out);
            continue;
        };
        let rows = &rows_of[id];
        if rows.len() > 1 {
            let others: Vec<String> = rows
                .iter()
                .filter(|&&x| x != r.row)
                .map(|x| x.to_string())
                .collect();
            out.errors.push(error(
                r.row,
                None,
                format!(
                    "{id} is on more than one row (also row {}); neither row was read",
                    others.join(", ")
                ),
            ));
            continue;
        }
        let Some(now) = ours_by_id.get(id) else {
            out.errors
                .push(error(r.row, None, format!("unknown Need ID {id}")));
            continue;
        };
        // A need added after this cycle was circulated has no base: what we have is its base.
        let was = base.get(id).copied().unwrap_or(now);
        let mut row_errors = Vec::new();
        for (&f, theirs) in &r.fields {
            if theirs.is_empty() && REQUIRED.contains(&f) {
                if !field_value(was, f).is_empty() {
                    row_errors.push(error(
                        r.row,
                        Some(f),
                        format!("{} cannot be blank", f.header()),
                    ));
                }
                continue;
            }
            let b = field_value(was, f);
            if *theirs == b {
                continue;
            }
            let current = field_value(now, f);
            if *theirs == current {
                continue;
            }
            if f == Field::Status && *theirs == Status::Withdrawn.as_str() {
                out.changes.push(Change::Withdraw {
                    need_id: id.clone(),
                    row: r.row,
                });
                continue;
            }
            out.changes.push(Change::Update {
                need_id: id.clone(),
                row: r.row,
                field: f,
                conflict: current != b,
                base: b.to_string(),
                current: current.to_string(),
                proposed: theirs.clone(),
            });
        }
        out.errors.extend(row_errors);
    }
    out.errors.sort_by_key(|e| e.row);
    out
}

fn add(r: &ReplyRow, ours: &[Need], out: &mut Diff) {
    let missing: Vec<&str> = REQUIRED_NEW
        .iter()
        .filter(|f| r.fields.get(f).is_none_or(String::is_empty))
        .map(|f| f.header())
        .collect();
    if !missing.is_empty() {
        out.errors.push(error(
            r.row,
            None,
            format!("a new need (no Need ID) needs {}", missing.join(", ")),
        ));
        return;
    }
    let mut fields = r.fields.clone();
    fields.entry(Field::Status).and_modify(|s| {
        if s.is_empty() {
            *s = Status::Open.to_string();
        }
    });
    fields
        .entry(Field::Status)
        .or_insert_with(|| Status::Open.to_string());
    // Empty optional cells say nothing about a new need.
    fields.retain(|_, v| !v.is_empty());
    let key = |state: &str, area: &str, text: &str| {
        (state.to_string(), area.to_string(), normalize_word(text))
    };
    let wanted = key(
        &fields[&Field::State],
        &fields[&Field::Area],
        &fields[&Field::Description],
    );
    let duplicate_of = ours
        .iter()
        .find(|n| key(n.state.as_str(), n.area.as_str(), &n.description) == wanted)
        .map(|n| n.id.clone());
    if let Some(d) = &duplicate_of {
        out.warnings.push(error(
            r.row,
            None,
            format!("this new need looks like {d} (same State, area and text)"),
        ));
    }
    out.changes.push(Change::Add {
        need_id: None,
        row: r.row,
        fields,
        duplicate_of,
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{AreaCode, PartyCode, Priority};

    fn need(id: u64, status: Status, notes: &str) -> Need {
        Need {
            id: NeedId::from_number(id),
            state: PartyCode::parse("KEN").unwrap(),
            area: AreaCode::parse("FIN").unwrap(),
            description: format!("Need {id}"),
            priority: Priority::High,
            status,
            provider: String::new(),
            notes: notes.to_string(),
            updated_at: chrono::NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(),
        }
    }

    fn row(row: usize, id: Option<u64>, fields: &[(Field, &str)]) -> ReplyRow {
        ReplyRow {
            row,
            id: id.map(NeedId::from_number),
            fields: fields.iter().map(|(f, v)| (*f, v.to_string())).collect(),
        }
    }

    #[test]
    fn unchanged_rows_propose_nothing() {
        let base = vec![need(1, Status::Open, "")];
        let r = row(2, Some(1), &[(Field::Status, "Open"), (Field::Notes, "")]);
        assert_eq!(diff(&base, &base, &[r]), Diff::default());
    }

    #[test]
    fn a_stale_copy_never_reverts_an_approved_change() {
        let base = vec![need(1, Status::Open, "")];
        let ours = vec![need(1, Status::Met, "")];
        let r = row(2, Some(1), &[(Field::Status, "Open")]);
        assert!(diff(&base, &ours, &[r]).changes.is_empty());
    }

    #[test]
    fn a_change_conflicts_when_ours_moved_elsewhere() {
        let base = vec![need(1, Status::Open, "")];
        let ours = vec![need(1, Status::InProgress, "")];
        let d = diff(&base, &ours, &[row(2, Some(1), &[(Field::Status, "Met")])]);
        assert_eq!(
            d.changes,
            vec![Change::Update {
                need_id: NeedId::from_number(1),
                row: 2,
                field: Field::Status,
                base: "Open".into(),
                current: "In progress".into(),
                proposed: "Met".into(),
                conflict: true,
            }]
        );
        let d = diff(&base, &base, &[row(2, Some(1), &[(Field::Status, "Met")])]);
        assert!(matches!(
            d.changes[0],
            Change::Update {
                conflict: false,
                ..
            }
        ));
        // Ours already equals theirs: nothing left to do.
        let ours = vec![need(1, Status::Met, "")];
        assert!(
            diff(&base, &ours, &[row(2, Some(1), &[(Field::Status, "Met")])])
                .changes
                .is_empty()
        );
    }

    #[test]
    fn withdrawn_is_a_withdrawal_and_a_missing_row_is_not() {
        let base = vec![need(1, Status::Open, ""), need(2, Status::Open, "")];
        let d = diff(
            &base,
            &base,
            &[row(2, Some(1), &[(Field::Status, "Withdrawn")])],
        );
        assert_eq!(
            d.changes,
            vec![Change::Withdraw {
                need_id: NeedId::from_number(1),
                row: 2
            }]
        );
    }

    #[test]
    fn unknown_duplicate_and_blank_are_errors() {
        let base = vec![need(1, Status::Open, "x"), need(2, Status::Open, "")];
        let d = diff(
            &base,
            &base,
            &[
                row(2, Some(9), &[(Field::Notes, "a")]),
                row(3, Some(2), &[(Field::Notes, "b")]),
                row(4, Some(2), &[(Field::Notes, "c")]),
                row(5, Some(1), &[(Field::Description, ""), (Field::Notes, "")]),
            ],
        );
        let rows: Vec<usize> = d.errors.iter().map(|e| e.row).collect();
        assert_eq!(rows, vec![2, 3, 4, 5]);
        assert!(d.errors[0].message.contains("unknown Need ID MN-00009"));
        assert!(d.errors[1].message.contains("also row 4"));
        assert_eq!(d.errors[3].column.as_deref(), Some("Need"));
        // Clearing a note is a change, not an error.
        assert_eq!(d.changes.len(), 1);
        assert!(
            matches!(&d.changes[0], Change::Update { field: Field::Notes, proposed, .. } if proposed.is_empty())
        );
    }

    #[test]
    fn new_rows_are_additions_flagged_when_they_look_known() {
        let base = vec![need(1, Status::Open, "")];
        let d = diff(
            &base,
            &base,
            &[
                row(
                    7,
                    None,
                    &[
                        (Field::State, "KEN"),
                        (Field::Area, "FIN"),
                        (Field::Description, "need 1!"),
                        (Field::Priority, "Low"),
                    ],
                ),
                row(8, None, &[(Field::State, "KEN"), (Field::Description, "x")]),
            ],
        );
        assert_eq!(d.changes.len(), 1);
        let Change::Add {
            fields,
            duplicate_of,
            ..
        } = &d.changes[0]
        else {
            panic!()
        };
        assert_eq!(fields[&Field::Status], "Open");
        assert_eq!(duplicate_of.as_ref().map(|i| i.as_str()), Some("MN-00001"));
        assert_eq!(d.warnings.len(), 1);
        assert!(d.errors[0].message.contains("Area, Priority"));
    }

    #[test]
    fn json_shapes_follow_the_design() {
        let c = Change::Update {
            need_id: NeedId::from_number(42),
            row: 12,
            field: Field::Status,
            base: "Open".into(),
            current: "Open".into(),
            proposed: "Met".into(),
            conflict: false,
        };
        assert_eq!(
            serde_json::to_string(&c).unwrap(),
            r#"{"kind":"update","need_id":"MN-00042","row":12,"field":"status","base":"Open","current":"Open","proposed":"Met","conflict":false}"#
        );
        let w = Change::Withdraw {
            need_id: NeedId::from_number(42),
            row: 12,
        };
        assert_eq!(
            serde_json::to_string(&w).unwrap(),
            r#"{"kind":"withdraw","need_id":"MN-00042","row":12}"#
        );
    }
}
