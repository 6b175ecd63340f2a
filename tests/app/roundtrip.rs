//! The round trip: a workbook exported by needsd and read back unchanged proposes no
//! change at all, whatever the matrix holds (non-Latin text included).

use needsd::diff::diff;
use needsd::directory::{PartyIndex, seed_parties};
use needsd::model::{
    Area, AreaCode, Cycle, DEFAULT_AREAS, Need, NeedId, PartyCode, PartyKind, Priority, Status,
};
use needsd::workbook::{read, write};
use proptest::prelude::*;

fn areas() -> Vec<Area> {
    DEFAULT_AREAS
        .iter()
        .map(|(c, l)| Area {
            code: AreaCode::parse(c).expect("default areas are valid"),
            label: l.to_string(),
        })
        .collect()
}

/// Text as respondents write it: Latin with accents, Cyrillic, Arabic, Chinese,
/// punctuation and inner line breaks; never blank at either end (cells are trimmed).
fn text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        "[A-Za-z0-9 ,.;:()'\"/&%-]{1,12}",
        "[éèçñüöÅØ ]{1,6}",
        "[а-яА-Я ]{1,8}",
        "[ء-ي ]{1,8}",
        "[一-龥]{1,6}",
        Just("\n".to_string()),
        Just("<b>&amp;</b>".to_string()),
    ];
    prop::collection::vec(piece, 1..6)
        .prop_map(|parts| parts.concat().trim().to_string())
        .prop_filter("not blank", |s| !s.is_empty())
}

fn optional_text() -> impl Strategy<Value = String> {
    prop_oneof![Just(String::new()), text()]
}

fn needs() -> impl Strategy<Value = Vec<Need>> {
    let states = ["KEN", "MDA", "PER", "CHN", "EGY", "RUS", "CIV", "TUR"];
    let one = (
        0..states.len(),
        0..DEFAULT_AREAS.len(),
        text(),
        0..3usize,
        0..5usize,
        optional_text(),
        optional_text(),
        0..2000u64,
    );
    prop::collection::vec(one, 0..25).prop_map(move |rows| {
        rows.into_iter()
            .enumerate()
            .map(
                |(i, (s, a, description, p, st, provider, notes, days))| Need {
                    id: NeedId::from_number(i as u64 * 7 + 1),
                    state: PartyCode::parse(states[s]).expect("valid"),
                    area: AreaCode::parse(DEFAULT_AREAS[a].0).expect("valid"),
                    description,
                    priority: Priority::ALL[p],
                    status: Status::ALL[st],
                    provider,
                    notes,
                    updated_at: chrono::NaiveDate::from_ymd_opt(2021, 1, 1).expect("valid")
                        + chrono::Days::new(days),
                },
            )
            .collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn export_then_read_proposes_nothing(mut matrix in needs(), stamped in any::<bool>()) {
        let parties = seed_parties().expect("party data");
        let index = PartyIndex::new(parties.clone());
        let states: Vec<(PartyCode, String)> = parties
            .iter()
            .filter(|p| p.kind == PartyKind::State)
            .map(|p| (p.code.clone(), p.name.clone()))
            .collect();
        let areas = areas();
        write::sort_for_workbook(&mut matrix);
        let circulation = write::Circulation {
            cycle: Cycle::parse("2026-12").expect("valid"),
            deadline: "15 December 2026, 23:59 New York time".into(),
            reply_to: "needs@ctc.example".into(),
            recipient: Some(write::Recipient {
                party: PartyCode::parse("KEN").expect("valid"),
                party_name: "Kenya".into(),
                // Markup in a name must come out as text, not break the sheet's XML.
                contact_name: "Grace <& \"O'Brien\">".into(),
                email: "grace@mfa.ke.example.org".into(),
                token: "0123456789abcdef0123".into(),
                reply_to: "needs+0123456789abcdef0123@ctc.example".into(),
            }),
        };
        let spec = write::Spec {
            needs: &matrix,
            states: &states,
            areas: &areas,
            as_of: chrono::NaiveDate::from_ymd_opt(2026, 12, 1).expect("valid"),
            circulation: stamped.then_some(&circulation),
        };
        let bytes = write::write(&spec).expect("workbook");
        let reply = read::read_reply(&bytes, "m.xlsx", &needsd::config::Limits::default(), &index, &areas)
            .expect("readable");
        prop_assert!(reply.errors.is_empty(), "{:?}", reply.errors);
        prop_assert_eq!(reply.rows.len(), matrix.len());
        let d = diff(&matrix, &matrix, &reply.rows);
        prop_assert!(d.changes.is_empty(), "{:?}", d.changes);
        prop_assert!(d.errors.is_empty(), "{:?}", d.errors);
        if stamped {
            let stamp = reply.stamp.expect("stamp read back");
            prop_assert_eq!(stamp.cycle.as_deref(), Some("2026-12"));
            prop_assert_eq!(stamp.token.as_deref(), Some("0123456789abcdef0123"));
            prop_assert_eq!(reply.no_changes, Some(false));
        }
        // And the rows are the matrix's values, not merely "no difference".
        for (row, need) in reply.rows.iter().zip(&matrix) {
            prop_assert_eq!(row.id.as_ref(), Some(&need.id));
            prop_assert_eq!(&row.fields[&needsd::model::Field::Description], &need.description);
            prop_assert_eq!(&row.fields[&needsd::model::Field::Notes], &need.notes);
        }
    }
}
