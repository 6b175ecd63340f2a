//! Review: what an expert's decision on a proposed change does to the Matrix. Pure: the
//! store loads the change and the need as they are now; these functions say what to
//! write, or why not.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;
use thiserror::Error;

use crate::diff::{Change, field_value};
use crate::model::{AreaCode, Field, Need, NeedId, NewNeed, PartyCode, Priority, Status};
pub use crate::state::Decision as Outcome;
use crate::state::SubmissionState;
use chrono::{DateTime, Utc};

/// Approve or reject.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Approve,
    Reject,
}

impl Verdict {
    /// The decision it leads to.
    pub fn decision(self) -> Outcome {
        match self {
            Verdict::Approve => Outcome::Approved,
            Verdict::Reject => Outcome::Rejected,
        }
    }
}

/// The three kinds of change a reply can propose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Add,
    Update,
    Withdraw,
}

impl Kind {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "add" => Some(Kind::Add),
            "update" => Some(Kind::Update),
            "withdraw" => Some(Kind::Withdraw),
            _ => None,
        }
    }
}

/// A proposed change as stored, with its decision so far.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Proposal {
    pub id: i64,
    /// N in `review approve ID --change N`.
    pub seq: i64,
    pub kind: Kind,
    pub need_id: Option<NeedId>,
    pub row: Option<i64>,
    pub field: Option<Field>,
    pub base: Option<String>,
    /// The need's value when the reply was read.
    pub current: Option<String>,
    pub proposed: Option<String>,
    /// A proposed new need, field by field.
    pub fields: BTreeMap<Field, String>,
    pub conflict: bool,
    pub duplicate_of: Option<String>,
    pub decision: Outcome,
    pub reviewer: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    pub reason: Option<String>,
}

impl Proposal {
    pub fn is_pending(&self) -> bool {
        self.decision == Outcome::Pending
    }

    /// The change as the reply proposed it, in the diff's terms (and so in its JSON
    /// shape); None when the stored row lacks what its kind needs.
    pub fn change(&self) -> Option<Change> {
        let row = self.row.and_then(|r| usize::try_from(r).ok()).unwrap_or(0);
        let text = |v: &Option<String>| v.clone().unwrap_or_default();
        Some(match self.kind {
            Kind::Update => Change::Update {
                need_id: self.need_id.clone()?,
                row,
                field: self.field?,
                base: text(&self.base),
                current: text(&self.current),
                proposed: text(&self.proposed),
                conflict: self.conflict,
            },
            Kind::Add => Change::Add {
                need_id: self.need_id.clone(),
                row,
                fields: self.fields.clone(),
                duplicate_of: self
                    .duplicate_of
                    .as_deref()
                    .and_then(|d| NeedId::parse(d).ok()),
            },
            Kind::Withdraw => Change::Withdraw {
                need_id: self.need_id.clone()?,
                row,
            },
        })
    }

    /// One line for lists and mails: "MN-00042 status: Open → Met".
    pub fn summary(&self) -> String {
        let id = self.need_id.as_ref().map_or("", NeedId::as_str);
        match self.kind {
            Kind::Update => format!(
                "{id} {}: {} → {}",
                self.field.map_or("", Field::as_str),
                shown(self.current.as_deref().unwrap_or("")),
                shown(self.proposed.as_deref().unwrap_or(""))
            ),
            Kind::Withdraw => format!("{id} withdrawn"),
            Kind::Add => format!(
                "new need for {}: {}",
                self.fields.get(&Field::State).map_or("?", String::as_str),
                self.fields
                    .get(&Field::Description)
                    .map_or("", String::as_str)
            ),
        }
    }
}

/// An empty value, said so.
fn shown(v: &str) -> &str {
    if v.is_empty() { "(empty)" } else { v }
}

/// What approving a change writes.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Set one field of an existing need (`old` is its value now). When `old == new` the
    /// need is left alone and only the decision is recorded.
    Set {
        need: NeedId,
        field: Field,
        old: String,
        new: String,
    },
    /// Add a need to the Matrix; it gets the next free ID.
    Create(NewNeed),
}

/// Why a decision was not carried out.
#[derive(Debug, Clone, PartialEq, Eq, Error, Serialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum Refusal {
    #[error("change {seq} was already {decision}")]
    Decided { seq: i64, decision: String },
    #[error(
        "change {seq}: {need} {field} is now \"{now}\", not \"{then}\" as when the reply was read; confirm to overwrite it with \"{proposed}\""
    )]
    Moved {
        seq: i64,
        need: String,
        field: String,
        then: String,
        now: String,
        proposed: String,
    },
    #[error("change {seq}: {need} is not in the Matrix any more")]
    Gone { seq: i64, need: String },
    #[error("change {seq}: {message}")]
    Invalid { seq: i64, message: String },
    #[error("submission {id} has no change {seq}")]
    NoSuchChange { id: i64, seq: i64 },
    #[error("submission {id} is {state}; only a pending submission can be decided")]
    NotPending { id: i64, state: String },
    #[error("a rejection needs a reason")]
    NoReason,
}

/// What approving `p` does, given the need it concerns as it is now. A change whose need
/// moved since the reply was read is refused unless `confirmed`: the expert must see what
/// they would overwrite.
#[expect(
    clippy::result_large_err,
    reason = "a refusal is rare and carries the values the reviewer must see"
)]
pub fn plan(p: &Proposal, now: Option<&Need>, confirmed: bool) -> Result<Effect, Refusal> {
    let seq = p.seq;
    let invalid = |message: String| Refusal::Invalid { seq, message };
    if !p.is_pending() {
        return Err(Refusal::Decided {
            seq,
            decision: p.decision.to_string(),
        });
    }
    match p.kind {
        Kind::Add => Ok(Effect::Create(new_need(&p.fields).map_err(invalid)?)),
        Kind::Update | Kind::Withdraw => {
            let id = p
                .need_id
                .clone()
                .ok_or_else(|| invalid("the change names no need".into()))?;
            let need = now.ok_or_else(|| Refusal::Gone {
                seq,
                need: id.to_string(),
            })?;
            let (field, new) = match p.kind {
                Kind::Withdraw => (Field::Status, Status::Withdrawn.as_str().to_string()),
                _ => {
                    let field = p
                        .field
                        .ok_or_else(|| invalid("the change names no field".into()))?;
                    let value = p.proposed.clone().unwrap_or_default();
                    (field, canonical(field, &value).map_err(invalid)?)
                }
            };
            let old = field_value(need, field).to_string();
            if p.kind == Kind::Update && !confirmed {
                let then = p.current.clone().unwrap_or_default();
                if then != old && old != new {
                    return Err(Refusal::Moved {
                        seq,
                        need: id.to_string(),
                        field: field.to_string(),
                        then,
                        now: old,
                        proposed: new,
                    });
                }
            }
            Ok(Effect::Set {
                need: id,
                field,
                old,
                new,
            })
        }
    }
}

/// How far a reviewer has confirmed overwriting needs that moved since the reply was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Confirm<'a> {
    /// Not at all: a moved need refuses the decision and shows what it is now.
    No,
    /// Whatever the needs hold now (`review approve --confirm`).
    Any,
    /// What the reviewer was shown: the [`confirmation`] token of the refusals they saw.
    /// If a need moved again since, the token no longer matches and they are asked again.
    Seen(&'a str),
}

impl Confirm<'_> {
    /// Whether this confirms overwriting the needs behind `moved` (the `Moved` refusals
    /// of the decision as it would be made now).
    pub fn covers(&self, moved: &[Refusal]) -> bool {
        match self {
            Confirm::No => false,
            Confirm::Any => true,
            Confirm::Seen(token) => !token.is_empty() && *token == confirmation(moved),
        }
    }
}

/// Which changes of a submission a decision covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pick {
    /// Every pending change.
    All,
    /// The change with this `seq`.
    One(i64),
}

/// A decision to record.
#[derive(Debug, Clone)]
pub struct Decision<'a> {
    pub submission: i64,
    pub pick: Pick,
    pub verdict: Verdict,
    pub reason: Option<&'a str>,
    pub reviewer: &'a str,
    /// Overwrite needs that moved since the reply was read: not at all, whatever they
    /// hold now, or the values the reviewer was shown.
    pub confirm: Confirm<'a>,
    pub now: DateTime<Utc>,
}

/// A decision can be taken at all: a rejection has a reason, and the submission is
/// pending.
fn may_decide(d: &Decision<'_>, state: SubmissionState) -> Result<(), Vec<Refusal>> {
    let reason = d.reason.map(str::trim).filter(|r| !r.is_empty());
    if d.verdict == Verdict::Reject && reason.is_none() {
        return Err(vec![Refusal::NoReason]);
    }
    if state != SubmissionState::Pending {
        return Err(vec![Refusal::NotPending {
            id: d.submission,
            state: state.to_string(),
        }]);
    }
    Ok(())
}

/// What one decision writes: each change it covers, with what approving it does (`None`
/// for a rejection). Planned in full before anything is written: every change can be
/// taken, or the decision is refused with every reason. `needs` are the needs the
/// submission's changes touch, as they are now.
pub fn plan_decision<'p>(
    d: &Decision<'_>,
    state: SubmissionState,
    all: &'p [Proposal],
    needs: &HashMap<NeedId, Need>,
) -> Result<Vec<(&'p Proposal, Option<Effect>)>, Vec<Refusal>> {
    may_decide(d, state)?;
    let picked: Vec<&Proposal> = match d.pick {
        Pick::All => all.iter().filter(|p| p.is_pending()).collect(),
        Pick::One(seq) => match all.iter().find(|p| p.seq == seq) {
            Some(p) => vec![p],
            None => {
                return Err(vec![Refusal::NoSuchChange {
                    id: d.submission,
                    seq,
                }]);
            }
        },
    };
    let mut plans = Vec::with_capacity(picked.len());
    let mut refusals = Vec::new();
    let mut moved = Vec::new();
    for p in picked {
        let need = match &p.need_id {
            Some(id) if p.kind != Kind::Add => needs.get(id),
            _ => None,
        };
        let planned = match d.verdict {
            Verdict::Reject if p.is_pending() => Ok(None),
            Verdict::Reject => Err(Refusal::Decided {
                seq: p.seq,
                decision: p.decision.to_string(),
            }),
            Verdict::Approve => match plan(p, need, false) {
                Err(r @ Refusal::Moved { .. }) => {
                    moved.push((p, need, r));
                    continue;
                }
                other => other.map(Some),
            },
        };
        match planned {
            Ok(effect) => plans.push((p, effect)),
            Err(r) => refusals.push(r),
        }
    }
    // Needs that moved are overwritten only as far as the reviewer confirmed them.
    let shown: Vec<Refusal> = moved.iter().map(|m| m.2.clone()).collect();
    if d.confirm.covers(&shown) {
        for (p, need, _) in moved {
            match plan(p, need, true) {
                Ok(effect) => plans.push((p, Some(effect))),
                Err(r) => refusals.push(r),
            }
        }
    } else {
        refusals.extend(shown);
    }
    if refusals.is_empty() {
        Ok(plans)
    } else {
        Err(refusals)
    }
}

/// A proposed change to the Directory of Sources of Assistance (a reply's Programmes
/// sheet) as stored, with its decision so far. Its `seq` follows the submission's need
/// changes', so one `--change N` names either.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProgrammeProposal {
    #[serde(skip)]
    pub id: i64,
    pub seq: i64,
    #[serde(flatten)]
    pub change: crate::register::Change,
    pub decision: Outcome,
    pub reviewer: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    pub reason: Option<String>,
    /// The programme an approved addition created.
    pub created: Option<String>,
}

impl ProgrammeProposal {
    pub fn is_pending(&self) -> bool {
        self.decision == Outcome::Pending
    }

    /// One line for lists and mails: "SA-00042 title: Old → New".
    pub fn summary(&self) -> String {
        use crate::register::Change as C;
        match &self.change {
            C::Update {
                id,
                field,
                current,
                proposed,
                ..
            } => format!("{id} {field}: {} → {}", shown(current), shown(proposed)),
            C::Add { fields, .. } => format!(
                "new programme of {}: {}",
                fields.get("provider").map_or("?", String::as_str),
                fields.get("title").map_or("", String::as_str)
            ),
        }
    }
}

/// What approving a programme change writes.
#[derive(Debug, Clone, PartialEq)]
pub enum ProgrammeEffect {
    /// Set one column of a programme (`old` is its value now); nothing to write when
    /// `old == new`.
    Set {
        id: String,
        field: &'static str,
        old: String,
        new: String,
    },
    /// Add a programme; it gets the next Programme ID.
    Create(BTreeMap<&'static str, String>),
}

/// What approving `p` does, given its programme as it is now (by ID, in `now`). Like a
/// need's, a field that moved since the reply was read is refused unless `confirmed`.
#[expect(
    clippy::result_large_err,
    reason = "a refusal is rare and carries the values the reviewer must see"
)]
fn plan_programme(
    p: &ProgrammeProposal,
    now: &BTreeMap<String, crate::register::Record>,
    confirmed: bool,
) -> Result<ProgrammeEffect, Refusal> {
    use crate::register::Change as C;
    let seq = p.seq;
    if !p.is_pending() {
        return Err(Refusal::Decided {
            seq,
            decision: p.decision.to_string(),
        });
    }
    match &p.change {
        C::Add { fields, .. } => Ok(ProgrammeEffect::Create(fields.clone())),
        C::Update {
            id,
            field,
            current,
            proposed,
            ..
        } => {
            let record = now.get(id).ok_or_else(|| Refusal::Gone {
                seq,
                need: id.clone(),
            })?;
            let old = record.get(field).to_string();
            if !confirmed && *current != old && old != *proposed {
                return Err(Refusal::Moved {
                    seq,
                    need: id.clone(),
                    field: field.to_string(),
                    then: current.clone(),
                    now: old,
                    proposed: proposed.clone(),
                });
            }
            Ok(ProgrammeEffect::Set {
                id: id.clone(),
                field,
                old,
                new: proposed.clone(),
            })
        }
    }
}

/// One decision over a submission's changes to both registers: the needs' (planned by
/// [`plan_decision`]) and the programmes'. Every change it covers can be taken, or the
/// decision is refused with every reason; a confirmation shown to the reviewer covers
/// the moved values of both together.
#[expect(
    clippy::type_complexity,
    reason = "the two plans, as the store applies them"
)]
pub fn plan_both<'p, 'q>(
    d: &Decision<'_>,
    state: SubmissionState,
    needs_proposed: &'p [Proposal],
    needs: &HashMap<NeedId, Need>,
    programmes_proposed: &'q [ProgrammeProposal],
    programmes: &BTreeMap<String, crate::register::Record>,
) -> Result<
    (
        Vec<(&'p Proposal, Option<Effect>)>,
        Vec<(&'q ProgrammeProposal, Option<ProgrammeEffect>)>,
    ),
    Vec<Refusal>,
> {
    // A picked change is in one register or the other; `All` is both.
    let (of_needs, of_programmes) = match d.pick {
        Pick::All => (true, !programmes_proposed.is_empty()),
        Pick::One(seq) => {
            let theirs = programmes_proposed.iter().any(|p| p.seq == seq);
            (!theirs, theirs)
        }
    };
    let programme_plan = |d: &Decision<'_>| -> Result<Vec<_>, Vec<Refusal>> {
        if !of_programmes {
            return Ok(Vec::new());
        }
        may_decide(d, state)?;
        let picked = programmes_proposed.iter().filter(|p| match d.pick {
            Pick::All => p.is_pending(),
            Pick::One(seq) => p.seq == seq,
        });
        let confirmed = matches!(d.confirm, Confirm::Any);
        let (mut plans, mut refusals) = (Vec::new(), Vec::new());
        for p in picked {
            match d.verdict {
                Verdict::Reject if p.is_pending() => plans.push((p, None)),
                Verdict::Reject => refusals.push(Refusal::Decided {
                    seq: p.seq,
                    decision: p.decision.to_string(),
                }),
                Verdict::Approve => match plan_programme(p, programmes, confirmed) {
                    Ok(e) => plans.push((p, Some(e))),
                    Err(r) => refusals.push(r),
                },
            }
        }
        if refusals.is_empty() {
            Ok(plans)
        } else {
            Err(refusals)
        }
    };
    let need_plan = |d: &Decision<'_>| {
        if of_needs {
            plan_decision(d, state, needs_proposed, needs)
        } else {
            Ok(Vec::new())
        }
    };
    // What the reviewer saw is the moved values of both registers: a confirmation of
    // them is a confirmation of each, asked again if anything moved since.
    let effective = match d.confirm {
        Confirm::Seen(token) => {
            let unconfirmed = Decision {
                confirm: Confirm::No,
                ..d.clone()
            };
            let moved: Vec<Refusal> = [
                need_plan(&unconfirmed).err(),
                programme_plan(&unconfirmed).err(),
            ]
            .into_iter()
            .flatten()
            .flatten()
            .filter(|r| matches!(r, Refusal::Moved { .. }))
            .collect();
            Decision {
                confirm: if !moved.is_empty() && token == confirmation(&moved) {
                    Confirm::Any
                } else {
                    Confirm::No
                },
                ..d.clone()
            }
        }
        _ => d.clone(),
    };
    match (need_plan(&effective), programme_plan(&effective)) {
        (Ok(a), Ok(b)) => Ok((a, b)),
        (a, b) => {
            let mut refusals: Vec<Refusal> =
                [a.err(), b.err()].into_iter().flatten().flatten().collect();
            refusals.dedup();
            Err(refusals)
        }
    }
}

/// What accepting a quarantined submission's sender writes: the state it joins the review
/// in, the note saying who accepted it, and the contact to add when asked to.
#[derive(Debug, Clone, PartialEq)]
pub struct Acceptance {
    pub state: SubmissionState,
    pub note: String,
    pub contact: Option<crate::directory::NewContact>,
}

/// Plans accepting the sender of a submission with `pending` changes, from `from` about
/// `party`; `add_contact` names the contact to add (`None`: add none). A party or address
/// that does not parse (the stored reading parsed both) is an error.
pub fn plan_acceptance(
    party: Option<&str>,
    from: Option<&str>,
    pending: usize,
    add_contact: Option<&str>,
    reviewer: &str,
) -> Result<Acceptance, crate::model::ParseError> {
    let contact = match (add_contact, party, from) {
        (Some(name), Some(party), Some(from)) => Some(crate::directory::NewContact {
            line: 0,
            party: party.parse()?,
            name: name.trim().to_string(),
            office: String::new(),
            email: from.parse()?,
            language: crate::model::Language::En,
            role: String::new(),
            receives_matrix: false,
        }),
        _ => None,
    };
    Ok(Acceptance {
        state: if pending > 0 {
            SubmissionState::Pending
        } else {
            SubmissionState::NoChanges
        },
        note: format!("sender accepted by {reviewer}"),
        contact,
    })
}

/// A proposed change of one of a party's replies for a cycle, as superseding sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replied {
    pub id: i64,
    /// The submission it belongs to: later replies have larger ids.
    pub submission: i64,
    pub kind: Kind,
    pub need: Option<String>,
    /// The field an update changes (a withdrawal changes the status).
    pub field: Option<Field>,
    pub decision: Outcome,
}

/// The pending changes that a party's later replies for the same cycle supersede: an
/// edit of the same need and field (a withdrawal counts as an edit of the status), and
/// every proposed new need when a later reply proposes new needs too (a respondent's
/// later copy repeats the rows it added). Changes to other things stay pending: a second
/// mail with one more correction does not undo the first. `changes` are the changes of
/// the party's replies that count (not in quarantine, sender not refused), decided or not.
pub fn superseded(changes: &[Replied]) -> Vec<i64> {
    // What each change is about: every addition is about "new needs".
    let about = |c: &Replied| match c.kind {
        Kind::Add => None,
        Kind::Update | Kind::Withdraw => Some((c.need.clone(), c.field.unwrap_or(Field::Status))),
    };
    let mut latest: HashMap<Option<(Option<String>, Field)>, i64> = HashMap::new();
    for c in changes {
        let last = latest.entry(about(c)).or_insert(c.submission);
        *last = (*last).max(c.submission);
    }
    changes
        .iter()
        .filter(|c| c.decision == Outcome::Pending && latest[&about(c)] > c.submission)
        .map(|c| c.id)
        .collect()
}

/// What refusing the sender of submission `id` writes: the reason, trimmed. Refused
/// unless the submission waits in quarantine, or with no reason (the experts' record must
/// say why a party's reply was set aside).
#[expect(
    clippy::result_large_err,
    reason = "a refusal is rare; one type for every reason a decision is not carried out"
)]
pub fn plan_refusal(id: i64, state: SubmissionState, reason: &str) -> Result<String, Refusal> {
    if state != SubmissionState::Quarantined {
        return Err(Refusal::NotPending {
            id,
            state: state.to_string(),
        });
    }
    match reason.trim() {
        "" => Err(Refusal::NoReason),
        reason => Ok(reason.to_string()),
    }
}

/// A token naming exactly what a reviewer is asked to confirm: for each moved need, the
/// change, the value it holds now and the value that would overwrite it. The form that
/// asks carries it back, so a confirmation is for the values shown and no others.
pub fn confirmation(moved: &[Refusal]) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for r in moved {
        if let Refusal::Moved {
            seq,
            need,
            field,
            now,
            proposed,
            ..
        } = r
        {
            for part in [&seq.to_string(), need, field, now, proposed] {
                // Length-prefixed, so no two lists of values hash alike by concatenation.
                h.update((part.len() as u64).to_le_bytes());
                h.update(part.as_bytes());
            }
        }
    }
    hex::encode(h.finalize())
}

/// The canonical text of a value for `field`, or why it is not one.
pub fn canonical(field: Field, value: &str) -> Result<String, String> {
    let v = value.trim();
    let out = match field {
        Field::State => PartyCode::parse(v).map(|c| c.to_string()),
        Field::Area => AreaCode::parse(v).map(|c| c.to_string()),
        Field::Priority => Priority::parse(v).map(|p| p.as_str().to_string()),
        Field::Status => Status::parse(v).map(|s| s.as_str().to_string()),
        Field::Description => {
            if v.is_empty() {
                return Err("a need's description may not be empty".into());
            }
            Ok(v.to_string())
        }
        Field::Provider | Field::Notes => Ok(v.to_string()),
    };
    out.map_err(|e| format!("{field}: {e}"))
}

/// A proposed new need from its fields; it never keeps an ID the respondent typed, since
/// IDs are given by needsd and never reused.
fn new_need(fields: &BTreeMap<Field, String>) -> Result<NewNeed, String> {
    let get = |f: Field| fields.get(&f).map(|s| s.trim()).unwrap_or("");
    let required = |f: Field| -> Result<String, String> {
        let v = get(f);
        if v.is_empty() {
            return Err(format!("the new need has no {f}"));
        }
        canonical(f, v)
    };
    let status = match get(Field::Status) {
        "" => Status::Open,
        s => Status::parse(s).map_err(|e| format!("status: {e}"))?,
    };
    Ok(NewNeed {
        id: None,
        state: PartyCode::parse(&required(Field::State)?).map_err(|e| e.to_string())?,
        area: AreaCode::parse(&required(Field::Area)?).map_err(|e| e.to_string())?,
        description: required(Field::Description)?,
        priority: Priority::parse(&required(Field::Priority)?).map_err(|e| e.to_string())?,
        status,
        provider: get(Field::Provider).to_string(),
        notes: get(Field::Notes).to_string(),
        updated: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn need() -> Need {
        Need {
            id: NeedId::parse("MN-00042").unwrap(),
            state: PartyCode::parse("KEN").unwrap(),
            area: AreaCode::parse("LEG").unwrap(),
            description: "Drafting".into(),
            priority: Priority::High,
            status: Status::Open,
            provider: String::new(),
            notes: String::new(),
            updated_at: chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
        }
    }

    fn update(field: Field, current: &str, proposed: &str) -> Proposal {
        Proposal {
            id: 1,
            seq: 1,
            kind: Kind::Update,
            need_id: Some(NeedId::parse("MN-00042").unwrap()),
            row: Some(2),
            field: Some(field),
            base: Some(current.into()),
            current: Some(current.into()),
            proposed: Some(proposed.into()),
            fields: BTreeMap::new(),
            conflict: false,
            duplicate_of: None,
            decision: Outcome::Pending,
            reviewer: None,
            decided_at: None,
            reason: None,
        }
    }

    fn programme_update(seq: i64, current: &str, proposed: &str) -> ProgrammeProposal {
        ProgrammeProposal {
            id: seq,
            seq,
            change: crate::register::Change::Update {
                id: "SA-00001".into(),
                row: 2,
                field: "status",
                base: current.into(),
                current: current.into(),
                proposed: proposed.into(),
                conflict: false,
            },
            decision: Outcome::Pending,
            reviewer: None,
            decided_at: None,
            reason: None,
            created: None,
        }
    }

    fn directory(status: &str) -> BTreeMap<String, crate::register::Record> {
        let r = crate::register::Record {
            id: "SA-00001".into(),
            fields: [("status", status.to_string())].into(),
        };
        [(r.id.clone(), r)].into()
    }

    fn decision(pick: Pick, verdict: Verdict, confirm: Confirm<'_>) -> Decision<'_> {
        Decision {
            submission: 7,
            pick,
            verdict,
            reason: (verdict == Verdict::Reject).then_some("no"),
            reviewer: "expert",
            confirm,
            now: DateTime::<Utc>::UNIX_EPOCH,
        }
    }

    #[test]
    fn one_decision_covers_both_registers_and_a_pick_finds_its_register() {
        let needs_proposed = [update(Field::Status, "Open", "Met")];
        let needs: HashMap<NeedId, Need> = [(need().id.clone(), need())].into();
        let programmes = [programme_update(2, "Active", "Closed")];
        let plan_for = |d: &Decision<'_>, now: &str| {
            plan_both(
                d,
                SubmissionState::Pending,
                &needs_proposed,
                &needs,
                &programmes,
                &directory(now),
            )
            .map(|(a, b)| {
                (
                    a.len(),
                    b.iter()
                        .map(|(p, e)| (p.seq, e.clone()))
                        .collect::<Vec<_>>(),
                )
            })
        };
        let all = decision(Pick::All, Verdict::Approve, Confirm::No);
        assert_eq!(
            plan_for(&all, "Active"),
            Ok((
                1,
                vec![(
                    2,
                    Some(ProgrammeEffect::Set {
                        id: "SA-00001".into(),
                        field: "status",
                        old: "Active".into(),
                        new: "Closed".into()
                    })
                )]
            ))
        );
        let second = decision(Pick::One(2), Verdict::Reject, Confirm::No);
        assert_eq!(plan_for(&second, "Active"), Ok((0, vec![(2, None)])));
        let first = decision(Pick::One(1), Verdict::Approve, Confirm::No);
        assert_eq!(
            plan_for(&first, "Active").map(|(a, b)| (a, b.len())),
            Ok((1, 0))
        );
        let none = decision(Pick::One(3), Verdict::Approve, Confirm::No);
        assert_eq!(
            plan_for(&none, "Active"),
            Err(vec![Refusal::NoSuchChange { id: 7, seq: 3 }])
        );
    }

    #[test]
    fn a_programme_that_moved_is_overwritten_only_as_far_as_the_reviewer_saw() {
        let needs = HashMap::new();
        let programmes = [programme_update(1, "Active", "Closed")];
        let plan_for = |d: &Decision<'_>, now: &str| {
            plan_both(
                d,
                SubmissionState::Pending,
                &[],
                &needs,
                &programmes,
                &directory(now),
            )
            .map(|(_, b)| b.len())
        };
        // Someone reopened it as "Active (paused)" meanwhile: the reviewer must see it.
        let moved = match plan_for(
            &decision(Pick::All, Verdict::Approve, Confirm::No),
            "Paused",
        ) {
            Err(r) => r,
            other => panic!("expected a refusal, got {other:?}"),
        };
        assert!(matches!(&moved[..], [Refusal::Moved { now, .. }] if now == "Paused"));
        let token = confirmation(&moved);
        let seen = decision(Pick::All, Verdict::Approve, Confirm::Seen(&token));
        assert_eq!(plan_for(&seen, "Paused"), Ok(1));
        // It moved again since the reviewer looked: asked again.
        assert!(plan_for(&seen, "Elsewhere").is_err());
        // A change it already has needs no confirmation.
        assert_eq!(
            plan_for(
                &decision(Pick::All, Verdict::Approve, Confirm::No),
                "Closed"
            ),
            Ok(1)
        );
    }

    #[test]
    fn an_update_sets_the_field_in_canonical_form() {
        let e = plan(&update(Field::Status, "Open", "met"), Some(&need()), false).unwrap();
        assert_eq!(
            e,
            Effect::Set {
                need: NeedId::parse("MN-00042").unwrap(),
                field: Field::Status,
                old: "Open".into(),
                new: "Met".into()
            }
        );
    }

    #[test]
    fn a_need_that_moved_since_parsing_asks_for_confirmation() {
        let mut now = need();
        now.status = Status::InProgress;
        let p = update(Field::Status, "Open", "Met");
        match plan(&p, Some(&now), false) {
            Err(Refusal::Moved { then, now, .. }) => {
                assert_eq!((then.as_str(), now.as_str()), ("Open", "In progress"));
            }
            other => panic!("expected Moved, got {other:?}"),
        }
        // Confirmed, it overwrites.
        assert!(matches!(
            plan(&p, Some(&now), true),
            Ok(Effect::Set { ref old, ref new, .. }) if old == "In progress" && new == "Met"
        ));
        // Moved to the very value proposed: nothing to overwrite, nothing to confirm.
        now.status = Status::Met;
        assert!(plan(&p, Some(&now), false).is_ok());
    }

    #[test]
    fn a_stored_change_reads_back_as_the_diff_proposed_it() {
        let p = update(Field::Status, "Open", "Met");
        assert_eq!(
            p.change(),
            Some(Change::Update {
                need_id: NeedId::parse("MN-00042").unwrap(),
                row: 2,
                field: Field::Status,
                base: "Open".into(),
                current: "Open".into(),
                proposed: "Met".into(),
                conflict: false,
            })
        );
        let mut broken = p;
        broken.field = None;
        assert_eq!(broken.change(), None, "an update names its field");
    }

    #[test]
    fn a_confirmation_covers_the_values_shown_and_no_others() {
        let mut now = need();
        now.status = Status::InProgress;
        let p = update(Field::Status, "Open", "Met");
        let shown = vec![plan(&p, Some(&now), false).unwrap_err()];
        let token = confirmation(&shown);
        assert!(Confirm::Seen(&token).covers(&shown));
        assert!(Confirm::Any.covers(&shown));
        assert!(!Confirm::No.covers(&shown));
        assert!(!Confirm::Seen("").covers(&shown));
        // The need moved again after the page was shown: the old token does not cover it.
        now.status = Status::AssistanceOffered;
        let again = vec![plan(&p, Some(&now), false).unwrap_err()];
        assert!(!Confirm::Seen(&token).covers(&again));
        // Tokens are per set of changes: approving one of two moved changes needs its own.
        let mut q = update(Field::Priority, "High", "Low");
        q.seq = 2;
        let mut both_need = now.clone();
        both_need.priority = Priority::Medium;
        let both = vec![
            plan(&p, Some(&both_need), false).unwrap_err(),
            plan(&q, Some(&both_need), false).unwrap_err(),
        ];
        assert_ne!(confirmation(&both), confirmation(&both[..1]));
    }

    #[test]
    fn decided_gone_and_invalid_changes_are_refused() {
        let mut p = update(Field::Status, "Open", "Met");
        assert!(matches!(plan(&p, None, false), Err(Refusal::Gone { .. })));
        p.proposed = Some("Finished".into());
        assert!(matches!(
            plan(&p, Some(&need()), false),
            Err(Refusal::Invalid { .. })
        ));
        p.decision = Outcome::Approved;
        assert!(matches!(
            plan(&p, Some(&need()), false),
            Err(Refusal::Decided { .. })
        ));
    }

    #[test]
    fn a_withdrawal_sets_the_status() {
        let mut p = update(Field::Status, "", "");
        p.kind = Kind::Withdraw;
        p.field = None;
        assert!(matches!(
            plan(&p, Some(&need()), false),
            Ok(Effect::Set { field: Field::Status, ref new, .. }) if new == "Withdrawn"
        ));
    }

    #[test]
    fn an_addition_gets_a_new_id_and_defaults_to_open() {
        let mut p = update(Field::Status, "", "");
        p.kind = Kind::Add;
        p.need_id = Some(NeedId::parse("MN-99999").unwrap());
        p.fields = BTreeMap::from([
            (Field::State, "ken".to_string()),
            (Field::Area, "fin".to_string()),
            (Field::Description, "Training".to_string()),
            (Field::Priority, "low".to_string()),
        ]);
        let Ok(Effect::Create(n)) = plan(&p, None, false) else {
            panic!("expected Create");
        };
        assert_eq!(n.id, None);
        assert_eq!((n.state.as_str(), n.area.as_str()), ("KEN", "FIN"));
        assert_eq!((n.priority, n.status), (Priority::Low, Status::Open));
        p.fields.remove(&Field::Description);
        assert!(matches!(
            plan(&p, None, false),
            Err(Refusal::Invalid { .. })
        ));
    }

    /// The kind of refusal, or how many changes a plan covers.
    fn outcome(r: Result<Vec<(&Proposal, Option<Effect>)>, Vec<Refusal>>) -> String {
        match r {
            Ok(plans) => format!(
                "planned {}",
                plans
                    .iter()
                    .map(|(p, e)| format!(
                        "{}:{}",
                        p.seq,
                        if e.is_some() { "set" } else { "reject" }
                    ))
                    .collect::<Vec<_>>()
                    .join(",")
            ),
            Err(refusals) => refusals
                .iter()
                .map(|r| match r {
                    Refusal::NoReason => "no reason",
                    Refusal::NotPending { .. } => "not pending",
                    Refusal::NoSuchChange { .. } => "no such change",
                    Refusal::Decided { .. } => "decided",
                    Refusal::Moved { .. } => "moved",
                    Refusal::Gone { .. } => "gone",
                    Refusal::Invalid { .. } => "invalid",
                })
                .collect::<Vec<_>>()
                .join(","),
        }
    }

    #[test]
    fn a_later_reply_supersedes_pending_changes_to_the_same_things_only() {
        let c = |id, submission, kind, need: Option<&str>, field, decision| Replied {
            id,
            submission,
            kind,
            need: need.map(str::to_string),
            field,
            decision,
        };
        let (k, s, p) = (Kind::Update, Some(Field::Status), Outcome::Pending);
        let cases: Vec<(&str, Vec<Replied>, Vec<i64>)> = vec![
            (
                "one reply: nothing",
                vec![c(1, 10, k, Some("MN-1"), s, p)],
                vec![],
            ),
            (
                "same need and field, later reply",
                vec![
                    c(1, 10, k, Some("MN-1"), s, p),
                    c(2, 11, k, Some("MN-1"), s, p),
                ],
                vec![1],
            ),
            (
                "same need, another field: both stay",
                vec![
                    c(1, 10, k, Some("MN-1"), s, p),
                    c(2, 11, k, Some("MN-1"), Some(Field::Notes), p),
                ],
                vec![],
            ),
            (
                "another need: both stay",
                vec![
                    c(1, 10, k, Some("MN-1"), s, p),
                    c(2, 11, k, Some("MN-2"), s, p),
                ],
                vec![],
            ),
            (
                "a withdrawal is an edit of the status",
                vec![
                    c(1, 10, k, Some("MN-1"), s, p),
                    c(2, 11, Kind::Withdraw, Some("MN-1"), None, p),
                ],
                vec![1],
            ),
            (
                "new needs: a later reply's additions replace all earlier ones",
                vec![
                    c(1, 10, Kind::Add, None, None, p),
                    c(2, 10, Kind::Add, None, None, p),
                    c(3, 11, Kind::Add, None, None, p),
                ],
                vec![1, 2],
            ),
            (
                "an earlier reply never supersedes a later one",
                vec![
                    c(2, 11, k, Some("MN-1"), s, p),
                    c(1, 10, k, Some("MN-1"), s, p),
                ],
                vec![1],
            ),
            (
                "a decided change is not superseded, but its reply still counts",
                vec![
                    c(1, 10, k, Some("MN-1"), s, Outcome::Approved),
                    c(2, 11, k, Some("MN-1"), s, Outcome::Rejected),
                    c(3, 9, k, Some("MN-1"), s, p),
                ],
                vec![3],
            ),
            (
                "changes of one reply do not supersede each other",
                vec![
                    c(1, 10, k, Some("MN-1"), s, p),
                    c(2, 10, k, Some("MN-1"), s, p),
                ],
                vec![],
            ),
        ];
        for (what, changes, expected) in cases {
            assert_eq!(superseded(&changes), expected, "{what}");
        }
    }

    #[test]
    fn a_decision_is_planned_whole_or_refused_with_every_reason() {
        // Change 1 still finds the need as the reply saw it; change 2's need moved (the
        // reply saw Open, it is In progress now); change 3 was approved already.
        let fresh = update(Field::Status, "Open", "Met");
        let mut moved = update(Field::Priority, "Low", "Medium");
        moved.seq = 2;
        let mut done = update(Field::Notes, "", "x");
        done.seq = 3;
        done.decision = Outcome::Approved;
        let all = [fresh, moved, done];
        let needs = HashMap::from([(NeedId::parse("MN-00042").unwrap(), need())]);
        let ask = |pick, verdict, reason, confirm| Decision {
            submission: 7,
            pick,
            verdict,
            reason,
            reviewer: "ann",
            confirm,
            now: chrono::DateTime::UNIX_EPOCH,
        };
        use Pick::{All, One};
        use Verdict::{Approve, Reject};
        let cases: &[(Decision<'_>, SubmissionState, &str)] = &[
            (
                ask(All, Reject, None, Confirm::No),
                SubmissionState::Pending,
                "no reason",
            ),
            (
                ask(All, Reject, Some("  "), Confirm::No),
                SubmissionState::Pending,
                "no reason",
            ),
            (
                ask(All, Reject, Some("dup"), Confirm::No),
                SubmissionState::Pending,
                "planned 1:reject,2:reject",
            ),
            (
                ask(All, Approve, None, Confirm::No),
                SubmissionState::Applied,
                "not pending",
            ),
            (
                ask(One(9), Approve, None, Confirm::No),
                SubmissionState::Pending,
                "no such change",
            ),
            (
                ask(One(3), Approve, None, Confirm::No),
                SubmissionState::Pending,
                "decided",
            ),
            (
                ask(One(3), Reject, Some("dup"), Confirm::No),
                SubmissionState::Pending,
                "decided",
            ),
            (
                ask(One(1), Approve, None, Confirm::No),
                SubmissionState::Pending,
                "planned 1:set",
            ),
            (
                ask(All, Approve, None, Confirm::No),
                SubmissionState::Pending,
                "moved",
            ),
            (
                ask(All, Approve, None, Confirm::Seen("not the token")),
                SubmissionState::Pending,
                "moved",
            ),
            (
                ask(All, Approve, None, Confirm::Any),
                SubmissionState::Pending,
                "planned 1:set,2:set",
            ),
        ];
        for (d, state, expected) in cases {
            assert_eq!(
                outcome(plan_decision(d, *state, &all, &needs)),
                *expected,
                "{:?} {:?} {:?} {:?}",
                d.pick,
                d.verdict,
                d.confirm,
                state
            );
        }
    }

    #[test]
    fn a_sender_is_refused_only_from_quarantine_and_with_a_reason() {
        use SubmissionState as S;
        let cases = [
            (
                S::Quarantined,
                " not the ministry ",
                Ok("not the ministry".to_string()),
            ),
            (S::Quarantined, "  ", Err(Refusal::NoReason)),
            (
                S::Pending,
                "late",
                Err(Refusal::NotPending {
                    id: 7,
                    state: "pending".into(),
                }),
            ),
            (
                S::Rejected,
                "again",
                Err(Refusal::NotPending {
                    id: 7,
                    state: "rejected".into(),
                }),
            ),
        ];
        for (state, reason, expected) in cases {
            assert_eq!(
                plan_refusal(7, state, reason),
                expected,
                "{state} {reason:?}"
            );
        }
    }

    #[test]
    fn an_accepted_sender_joins_the_review_and_becomes_a_contact_only_when_asked() {
        let cases = [
            (2, None, SubmissionState::Pending, None),
            (0, None, SubmissionState::NoChanges, None),
            (
                1,
                Some(" Mallory "),
                SubmissionState::Pending,
                Some("Mallory"),
            ),
        ];
        for (pending, add, state, contact) in cases {
            let a = plan_acceptance(Some("SEN"), Some("m@x.test"), pending, add, "ann").unwrap();
            assert_eq!(a.state, state);
            assert_eq!(a.note, "sender accepted by ann");
            assert_eq!(a.contact.as_ref().map(|c| c.name.as_str()), contact);
            if let Some(c) = &a.contact {
                assert_eq!((c.party.as_str(), c.email.as_str()), ("SEN", "m@x.test"));
                assert!(
                    !c.receives_matrix,
                    "a contact added from a reply gets no Matrix"
                );
            }
        }
        // Nothing to add without a party and an address.
        let a = plan_acceptance(None, Some("m@x.test"), 1, Some("M"), "ann").unwrap();
        assert_eq!(a.contact, None);
        assert!(plan_acceptance(Some("SEN"), Some("not an address"), 1, Some("M"), "ann").is_err());
    }
}
