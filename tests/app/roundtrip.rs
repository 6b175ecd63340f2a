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
    /// In each of the six languages: headers, priorities, statuses and the About sheet
    /// in the recipient's language read back as what they were.
    fn export_then_read_proposes_nothing(
        mut matrix in needs(),
        stamped in any::<bool>(),
        language in 0..6usize,
    ) {
        let language = needsd::model::Language::ALL[language];
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
            sheets: &[],
            language,
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

/// Programmes as stored: the canonical text of every column, IDs with gaps.
fn programmes() -> impl Strategy<Value = Vec<needsd::register::Record>> {
    use needsd::programme::Kind;
    let providers = ["UNODC", "FRA", "EU", "KEN", "COE-MONEYVAL"];
    let eligible = [
        "",
        "KEN; UGA",
        "Eastern Africa (M49 014)",
        "Members of EU",
        "MDA",
    ];
    let languages = ["", "en", "fr; ar", "ru; zh; es", "Portuguese"];
    let one = (
        0..providers.len(),
        text(),
        0..Kind::ALL.len(),
        prop::collection::btree_set(0..DEFAULT_AREAS.len(), 1..4),
        0..eligible.len(),
        0..languages.len(),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        0..2000u64,
    );
    prop::collection::vec(one, 0..20).prop_map(move |rows| {
        rows.into_iter()
            .enumerate()
            .map(
                |(i, (p, title, k, areas, e, l, contact, link, active, days))| {
                    let areas: Vec<&str> = areas.iter().map(|a| DEFAULT_AREAS[*a].0).collect();
                    let updated = chrono::NaiveDate::from_ymd_opt(2021, 1, 1).expect("valid")
                        + chrono::Days::new(days);
                    let fields = [
                        ("provider", providers[p].to_string()),
                        ("title", title),
                        ("kind", Kind::ALL[k].as_str().to_string()),
                        ("areas", areas.join("; ")),
                        ("eligible", eligible[e].to_string()),
                        ("languages", languages[l].to_string()),
                        (
                            "contact",
                            if contact {
                                format!("desk{i}@unodc.example.org")
                            } else {
                                String::new()
                            },
                        ),
                        (
                            "link",
                            if link {
                                format!("https://example.org/p/{i}?a=1&b=%3C2%3E")
                            } else {
                                String::new()
                            },
                        ),
                        (
                            "status",
                            if active { "Active" } else { "Closed" }.to_string(),
                        ),
                        ("updated", updated.to_string()),
                    ];
                    needsd::register::Record {
                        id: format!("SA-{:05}", i as u64 * 3 + 1),
                        fields: fields.into_iter().collect(),
                    }
                },
            )
            .collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn programmes_exported_then_read_propose_nothing(records in programmes()) {
        use needsd::programme::{Geography, ProgrammeValues, SCHEMA};
        use needsd::register;
        let index = PartyIndex::new(seed_parties().expect("party data"));
        let geo = Geography::embedded().expect("committed data");
        let bytes = register::workbook(&SCHEMA, &records).expect("workbook");
        let grids = read::read_grids(&bytes, "p.xlsx", &needsd::config::Limits::default())
            .expect("readable");
        let sheet = register::find_sheet(&SCHEMA, grids).expect("the Programmes sheet");
        let values = ProgrammeValues::new(&index, &areas(), &geo);
        let (rows, errors) = register::read_rows(&SCHEMA, &sheet, &values);
        prop_assert!(errors.is_empty(), "{:?}", errors);
        prop_assert_eq!(rows.len(), records.len());
        let by_id = records.iter().map(|r| (r.id.clone(), r.clone())).collect();
        let (changes, errors) = register::diff(&SCHEMA, &by_id, &by_id, &rows);
        prop_assert!(changes.is_empty(), "{:?}", changes);
        prop_assert!(errors.is_empty(), "{:?}", errors);
        // The rows are the records' values, not merely "no difference"; the date is
        // needsd's to set and is not read.
        for (row, record) in rows.iter().zip(&records) {
            prop_assert_eq!(row.id.as_ref(), Some(&record.id));
            for (key, value) in &row.fields {
                prop_assert_eq!(value, &record.fields[key], "{}", key);
            }
            prop_assert_eq!(row.fields.len(), record.fields.len() - 1);
        }
    }
}
