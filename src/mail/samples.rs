//! A sample context for every kind of message: what `needsd preview` shows when it has
//! nothing real to fill in, and what an operator's templates and words are rendered with
//! at start, so one that would fail on a real message fails there instead. Each kind has
//! two samples between them taking every branch of the built-in templates. Pure.

use serde_json::{Value, json};

/// The deadline of the samples: 15 December 2026, 23:59 in New York.
fn deadline() -> Value {
    json!({"day": 15, "month": 12, "year": 2026, "time": "23:59", "zone": "New York"})
}

fn circulation(final_day: bool, needs: Option<usize>) -> Value {
    json!({
        "cycle": "2026-12", "cycle_year": 2026, "cycle_month": 12,
        "contact_name": "Amina Diallo", "party": "SEN", "party_name": "Senegal",
        "state_needs": needs, "deadline": deadline(),
        "reply_to": "needs+k3x9q2@ctc.example", "reference": "2026-12/SEN/k3x9q2",
        "final": final_day,
    })
}

fn lines() -> Value {
    json!([
        {"kind": "update", "register": "need", "id": "MN-00042", "field": "status",
         "from": "Open", "to": "Met", "conflict": false, "current": "", "party": "",
         "title": "", "created": null},
        {"kind": "update", "register": "need", "id": "MN-00043", "field": "notes",
         "from": "", "to": "Workshop held", "conflict": true, "current": "Postponed",
         "party": "", "title": "", "created": null},
        {"kind": "withdraw", "register": "need", "id": "MN-00044", "field": "",
         "from": "", "to": "", "conflict": false, "current": "", "party": "", "title": "",
         "created": null},
        {"kind": "add-need", "register": "need", "id": "", "field": "", "from": "",
         "to": "", "conflict": false, "current": "", "party": "SEN",
         "title": "Training for border officials", "created": null},
        {"kind": "add-programme", "register": "programme", "id": "", "field": "",
         "from": "", "to": "", "conflict": false, "current": "", "party": "UNODC",
         "title": "Legislative drafting clinic", "created": null},
        {"kind": "update", "register": "programme", "id": "SA-00007", "field": "languages",
         "from": "English", "to": "English, Spanish", "conflict": false, "current": "",
         "party": "", "title": "", "created": null},
    ])
}

fn receipt(late: bool, quarantined: bool) -> Value {
    json!({
        "cycle": "2026-12", "contact_name": "Amina Diallo", "party_name": "Senegal",
        "late": late, "quarantined": quarantined, "has_errors": !late,
        "deadline": deadline(),
        "status": if quarantined { "quarantined" } else { "pending" }, "pending": 6,
        "items": [
            {"file": "Matrix 2026-12 SEN.xlsx", "verdict": "pending", "count": 6,
             "changes": lines(),
             "errors": [
                 {"row": 12, "column": "Priority", "message": "'Urgent' is not a priority"},
                 {"row": 14, "column": null, "message": "the row has no State"},
                 {"row": 0, "column": null, "message": "the file is not a workbook"},
             ]},
            {"file": null, "verdict": "no-changes", "count": 0, "changes": [], "errors": []},
        ],
    })
}

fn decision(subject: &str, rejected: bool) -> Value {
    let all = lines();
    let approved: Vec<Value> = all.as_array().map(|a| a[..3].to_vec()).unwrap_or_default();
    let refused: Vec<Value> = if rejected {
        all.as_array()
            .map(|a| {
                a[3..]
                    .iter()
                    .enumerate()
                    .map(|(i, c)| {
                        json!({"change": c, "reason": if i == 0 { json!("already listed") } else { Value::Null }})
                    })
                    .collect()
            })
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    json!({
        "cycle": "2026-12", "contact_name": "Amina Diallo", "party_name": "Senegal",
        "subject_line": subject, "approved": approved, "rejected": refused,
    })
}

fn digest(everything: bool) -> Value {
    let list = |items: &[&'static str]| -> Vec<&'static str> {
        if everything {
            items.to_vec()
        } else {
            Vec::new()
        }
    };
    json!({
        "cycle": "2026-12", "due": deadline(),
        "parties": 212, "answered": 97, "awaiting_review": 41, "changes_pending": 133,
        "conflicts": 2, "quarantined": 3, "unparseable": 1, "late": 4,
        "silent": list(&["Kenya (KEN)", "Peru (PER)"]),
        "bouncing": list(&["focal@example.org (Narnia)"]),
        "unmet_needs": if everything { json!([
            {"need": "MN-00042", "state": "KEN", "area": "POL", "what": "Border control training",
             "cycles": 3, "candidates": ["SA-00007 Border academy (UNODC)"]},
            {"need": "MN-00051", "state": "PER", "area": "LEG", "what": "Counter-financing law",
             "cycles": 4, "candidates": []},
        ]) } else { json!([]) },
    })
}

fn review_alert(pending: usize) -> Value {
    json!({
        "pending": pending, "next": {"day": 1, "month": 1, "year": 2027},
        "parties": ["KEN: 2", "SEN: 1"],
    })
}

fn deadline_alert(days: u32) -> Value {
    json!({"title": "Report to the Committee", "days": days,
           "due": {"day": 15, "month": 12, "year": 2026}})
}

/// The samples of `kind` (one of `compose::KINDS`); none for another.
pub fn contexts(kind: &str) -> Vec<Value> {
    match kind {
        "circulation" => vec![circulation(false, Some(3)), circulation(false, None)],
        "reminder" => vec![circulation(false, Some(1)), circulation(true, Some(1))],
        "deadline" => vec![deadline_alert(0), deadline_alert(1), deadline_alert(5)],
        "receipt" => vec![receipt(false, true), receipt(true, false)],
        "decision" => vec![decision("Re: Matrix", true), decision("", false)],
        "digest" => vec![digest(true), digest(false)],
        "review_alert" => vec![review_alert(1), review_alert(4)],
        "unsubscribed" => vec![json!({
            "contact_name": "Amina Diallo", "party_name": "Senegal",
            "address": "amina.diallo@mfa.sn.example", "subscribe_address": "needs@ctc.example",
        })],
        _ => Vec::new(),
    }
}

/// The first sample of `kind`.
pub fn context(kind: &str) -> Value {
    contexts(kind).into_iter().next().unwrap_or(Value::Null)
}
