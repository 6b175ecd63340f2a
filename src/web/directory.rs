//! The one-stop shop (follow-up plan 8(b)): the Directory of Sources of Assistance as
//! public, read-only pages, served only when `web.public_directory` is on. No login and
//! no session; nothing here reads needs, contacts, users or submissions. Active
//! programmes with search and filters, one page per programme, the same list as CSV and
//! JSON, and an Atom feed of new and changed programmes.

use std::collections::HashMap;

use axum::extract::{Path, Query, State as Extract};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use minijinja::context;
use serde::{Deserialize, Serialize};

use super::{State, WebError, render};
use crate::directory::PartyIndex;
use crate::model::{Language, PartyCode, normalize_word};
use crate::programme::{Geography, Kind, Programme, ProgrammeStatus, SCHEMA, eligible_text};

type Answer = Result<Response, WebError>;

/// The filters of `/directory` and its CSV and JSON forms; every one optional.
#[derive(Debug, Deserialize, Default, Clone)]
pub struct DirectoryQuery {
    q: Option<String>,
    area: Option<String>,
    provider: Option<String>,
    kind: Option<String>,
    /// A State that may receive the programme.
    state: Option<String>,
    language: Option<String>,
}

/// A programme as the public pages show it.
#[derive(Debug, Clone, Serialize)]
pub struct Listed {
    pub id: String,
    pub provider: String,
    pub provider_name: String,
    pub title: String,
    pub kind: &'static str,
    pub areas: Vec<String>,
    pub eligible: String,
    pub languages: Vec<String>,
    pub contact: String,
    pub link: String,
    pub status: &'static str,
    pub updated: String,
}

fn set(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

impl DirectoryQuery {
    /// Does `p` pass every filter? The State filter keeps programmes that State may
    /// receive; the text search looks in title, provider and kind.
    pub fn keeps(&self, p: &Programme, index: &PartyIndex, geo: &Geography) -> bool {
        if let Some(a) = set(&self.area)
            && !p.areas.iter().any(|x| x.as_str().eq_ignore_ascii_case(a))
        {
            return false;
        }
        if let Some(pr) = set(&self.provider)
            && !p.provider.as_str().eq_ignore_ascii_case(pr)
        {
            return false;
        }
        if let Some(k) = set(&self.kind)
            && Kind::parse(k).ok() != Some(p.kind)
        {
            return false;
        }
        if let Some(st) = set(&self.state) {
            let Ok(code) = PartyCode::parse(st) else {
                return false;
            };
            if !geo.covers(&p.eligible, &code) {
                return false;
            }
        }
        if let Some(l) = set(&self.language) {
            let want = Language::parse(l).map_or_else(|_| normalize_word(l), |x| x.as_str().into());
            if !p.languages.iter().any(|x| normalize_word(x) == want) {
                return false;
            }
        }
        if let Some(q) = set(&self.q) {
            let q = q.to_lowercase();
            let provider_name = index
                .get(&p.provider)
                .map(|x| x.name.to_lowercase())
                .unwrap_or_default();
            let hit = p.title.to_lowercase().contains(&q)
                || provider_name.contains(&q)
                || p.provider.as_str().eq_ignore_ascii_case(&q)
                || p.kind.as_str().to_lowercase().contains(&q);
            if !hit {
                return false;
            }
        }
        true
    }

    fn query_string(&self) -> String {
        let pairs = [
            ("q", &self.q),
            ("area", &self.area),
            ("provider", &self.provider),
            ("kind", &self.kind),
            ("state", &self.state),
            ("language", &self.language),
        ];
        pairs
            .iter()
            .filter_map(|(k, v)| set(v).map(|v| format!("{k}={}", super::url_encode(v))))
            .collect::<Vec<_>>()
            .join("&")
    }
}

/// The public directory is on, or every one of its pages is "no such page".
fn enabled(s: &State) -> Result<(), WebError> {
    if s.app.cfg.web.public_directory {
        Ok(())
    } else {
        Err(WebError::NotFound)
    }
}

/// Every programme, typed (see `workflow::matching::programmes`).
async fn programmes(s: &State) -> Result<Vec<Programme>, WebError> {
    Ok(crate::workflow::matching::programmes(&s.app).await?)
}

/// The provider's name, or its code when the directory no longer knows it.
fn provider_name(p: &Programme, index: &PartyIndex) -> String {
    index
        .get(&p.provider)
        .map_or_else(|| p.provider.to_string(), |x| x.name.clone())
}

fn listed(p: &Programme, index: &PartyIndex, geo: &Geography) -> Listed {
    Listed {
        id: p.id.clone(),
        provider: p.provider.to_string(),
        provider_name: provider_name(p, index),
        title: p.title.clone(),
        kind: p.kind.as_str(),
        areas: p.areas.iter().map(|a| a.to_string()).collect(),
        eligible: match eligible_text(&p.eligible, geo) {
            t if t.is_empty() => "Every State".into(),
            t => t,
        },
        languages: p.languages.clone(),
        contact: p.contact.clone(),
        link: p.link.clone(),
        status: p.status.as_str(),
        updated: p.updated.clone(),
    }
}

/// The active programmes `q` keeps, as listed.
async fn selected(s: &State, q: &DirectoryQuery) -> Result<Vec<Listed>, WebError> {
    let (index, geo) = (&s.app.index, s.app.geo);
    Ok(programmes(s)
        .await?
        .iter()
        .filter(|p| p.status == ProgrammeStatus::Active && q.keeps(p, index, geo))
        .map(|p| listed(p, index, geo))
        .collect())
}

/// Public pages may be kept a few minutes by browsers and proxies.
const PUBLIC_CACHE: &str = "public, max-age=300";

pub async fn list(Extract(s): Extract<State>, Query(q): Query<DirectoryQuery>) -> Answer {
    enabled(&s)?;
    let all = programmes(&s).await?;
    let active: Vec<&Programme> = all
        .iter()
        .filter(|p| p.status == ProgrammeStatus::Active)
        .collect();
    let (index, geo) = (&s.app.index, s.app.geo);
    let rows: Vec<Listed> = active
        .iter()
        .filter(|p| q.keeps(p, index, geo))
        .map(|p| listed(p, index, geo))
        .collect();
    let mut providers: Vec<(String, String)> = active
        .iter()
        .map(|p| (p.provider.to_string(), provider_name(p, index)))
        .collect();
    providers.sort_by(|a, b| a.1.cmp(&b.1));
    providers.dedup();
    let mut languages: Vec<String> = active.iter().flat_map(|p| p.languages.clone()).collect();
    languages.sort();
    languages.dedup();
    let query = q.query_string();
    let suffix = if query.is_empty() {
        String::new()
    } else {
        format!("?{query}")
    };
    let html = render(
        "directory.html",
        context! {
            rows => minijinja::Value::from(minijinja::value::Serde(&rows)),
            total => active.len(),
            areas => s.app.cfg.areas.iter().map(|a| context! { code => a.code.as_str(), label => a.label.as_str() }).collect::<Vec<_>>(),
            providers => providers.iter().map(|(c, n)| context! { code => c, name => n }).collect::<Vec<_>>(),
            kinds => Kind::ALL.map(Kind::as_str).to_vec(),
            states => index.state_names().into_iter().map(|(c, n)| context! { code => c.to_string(), name => n }).collect::<Vec<_>>(),
            languages => languages,
            csv => format!("/directory.csv{suffix}"),
            json => format!("/directory.json{suffix}"),
            q => context! { q => set(&q.q), area => set(&q.area), provider => set(&q.provider), kind => set(&q.kind), state => set(&q.state), language => set(&q.language) },
        },
    )?;
    Ok(([(header::CACHE_CONTROL, PUBLIC_CACHE)], html).into_response())
}

pub async fn one(Extract(s): Extract<State>, Path(id): Path<String>) -> Answer {
    enabled(&s)?;
    let number = SCHEMA.id_number(&id).map_err(|_| WebError::NotFound)?;
    let id = SCHEMA.id(number);
    let record = s
        .app
        .store
        .programmes()
        .await?
        .into_iter()
        .find(|r| r.id == id)
        .ok_or(WebError::NotFound)?;
    // One that no longer reads is left out here as it is from the list.
    let p = &Programme::from_record(&record, &s.app.index, s.app.geo).map_err(|e| {
        tracing::warn!(programme = id, "left out: {e}");
        WebError::NotFound
    })?;
    let areas: HashMap<&str, &str> = s
        .app
        .cfg
        .areas
        .iter()
        .map(|a| (a.code.as_str(), a.label.as_str()))
        .collect();
    let l = listed(p, &s.app.index, s.app.geo);
    let area_names: Vec<String> = l
        .areas
        .iter()
        .map(|a| {
            areas
                .get(a.as_str())
                .map_or(a.clone(), |n| format!("{n} ({a})"))
        })
        .collect();
    let html = render(
        "programme.html",
        context! { p => minijinja::Value::from(minijinja::value::Serde(&l)), areas => area_names },
    )?;
    Ok(([(header::CACHE_CONTROL, PUBLIC_CACHE)], html).into_response())
}

pub async fn csv(Extract(s): Extract<State>, Query(q): Query<DirectoryQuery>) -> Answer {
    enabled(&s)?;
    let rows = selected(&s, &q).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"directory.csv\"",
            ),
            (header::CACHE_CONTROL, PUBLIC_CACHE),
        ],
        to_csv(&rows),
    )
        .into_response())
}

/// The listed programmes as CSV under the Programmes sheet's headers, so that the file
/// reads back as a Programmes sheet. Cells a spreadsheet would take for a formula are
/// prefixed with an apostrophe.
pub fn to_csv(rows: &[Listed]) -> String {
    fn cell(s: &str) -> String {
        let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
            format!("'{s}")
        } else {
            s.to_string()
        };
        if s.contains([',', '"', '\n', '\r']) {
            format!("\"{}\"", s.replace('"', "\"\""))
        } else {
            s
        }
    }
    let mut out = String::new();
    let header: Vec<&str> = std::iter::once(SCHEMA.id_header)
        .chain(SCHEMA.columns.iter().map(|c| c.header))
        .collect();
    out.push_str(&header.join(","));
    out.push_str("\r\n");
    for r in rows {
        let eligible = if r.eligible == "Every State" {
            ""
        } else {
            &r.eligible
        };
        let cells = [
            r.id.as_str(),
            r.provider.as_str(),
            r.title.as_str(),
            r.kind,
            &r.areas.join("; "),
            eligible,
            &r.languages.join("; "),
            r.contact.as_str(),
            r.link.as_str(),
            r.status,
            r.updated.as_str(),
        ];
        out.push_str(&cells.iter().map(|c| cell(c)).collect::<Vec<_>>().join(","));
        out.push_str("\r\n");
    }
    out
}

pub async fn json(Extract(s): Extract<State>, Query(q): Query<DirectoryQuery>) -> Answer {
    enabled(&s)?;
    let rows = selected(&s, &q).await?;
    let body = serde_json::to_string_pretty(&rows)
        .map_err(|e| WebError::Internal(format!("the directory as JSON: {e}")))?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, PUBLIC_CACHE),
        ],
        body,
    )
        .into_response())
}

/// Entries in the feed: the most recently created or changed programmes.
const FEED_ENTRIES: usize = 50;

pub async fn atom(Extract(s): Extract<State>) -> Answer {
    enabled(&s)?;
    let all = programmes(&s).await?;
    let by_id: HashMap<&str, &Programme> = all.iter().map(|p| (p.id.as_str(), p)).collect();
    let times = s.app.store.programme_times().await?;
    let entries: Vec<(Listed, DateTime<Utc>, DateTime<Utc>)> = times
        .into_iter()
        .filter_map(|(id, created, updated)| {
            let p = by_id.get(id.as_str())?;
            Some((listed(p, &s.app.index, s.app.geo), created, updated))
        })
        .take(FEED_ENTRIES)
        .collect();
    Ok((
        [
            (header::CONTENT_TYPE, "application/atom+xml; charset=utf-8"),
            (header::CACHE_CONTROL, PUBLIC_CACHE),
        ],
        atom_feed(&entries, s.app.clock.now()),
    )
        .into_response())
}

fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Characters XML 1.0 does not allow at all.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => {}
            '\u{FFFE}' | '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

/// An Atom feed (RFC 4287) of `entries`: (programme, created, last changed), newest
/// change first. Links are relative to the feed's own address; an entry keeps its ID
/// when the programme changes and its `updated` moves. Pure.
pub fn atom_feed(entries: &[(Listed, DateTime<Utc>, DateTime<Utc>)], now: DateTime<Utc>) -> String {
    let stamp = |t: &DateTime<Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let updated = entries.iter().map(|e| e.2).max().unwrap_or(now);
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    out.push_str("<feed xmlns=\"http://www.w3.org/2005/Atom\">\n");
    out.push_str("  <id>urn:needsd:directory</id>\n");
    out.push_str("  <title>Directory of Counter-Terrorism Sources of Assistance</title>\n");
    out.push_str("  <subtitle>New and changed assistance programmes</subtitle>\n");
    out.push_str(&format!("  <updated>{}</updated>\n", stamp(&updated)));
    out.push_str("  <author><name>Directory of Sources of Assistance</name></author>\n");
    out.push_str("  <link rel=\"self\" href=\"/directory.atom\"/>\n");
    out.push_str("  <link rel=\"alternate\" type=\"text/html\" href=\"/directory\"/>\n");
    for (p, created, changed) in entries {
        let id = xml(&p.id);
        out.push_str("  <entry>\n");
        out.push_str(&format!("    <id>urn:needsd:programme:{id}</id>\n"));
        out.push_str(&format!(
            "    <title>{} ({})</title>\n",
            xml(&p.title),
            xml(&p.provider_name)
        ));
        out.push_str(&format!("    <published>{}</published>\n", stamp(created)));
        out.push_str(&format!("    <updated>{}</updated>\n", stamp(changed)));
        out.push_str(&format!(
            "    <link rel=\"alternate\" type=\"text/html\" href=\"/directory/{id}\"/>\n"
        ));
        for a in &p.areas {
            out.push_str(&format!("    <category term=\"{}\"/>\n", xml(a)));
        }
        out.push_str(&format!(
            "    <summary>{}: {}. Areas: {}. Eligible: {}. Status: {}.</summary>\n",
            xml(p.kind),
            xml(&p.provider_name),
            xml(&p.areas.join(", ")),
            xml(&p.eligible),
            xml(p.status)
        ));
        out.push_str("  </entry>\n");
    }
    out.push_str("</feed>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listed(title: &str) -> Listed {
        Listed {
            id: "SA-00001".into(),
            provider: "UNODC".into(),
            provider_name: "UNODC & <friends>".into(),
            title: title.into(),
            kind: "Training",
            areas: vec!["LEG".into(), "FIN".into()],
            eligible: "Every State".into(),
            languages: vec!["en".into()],
            contact: String::new(),
            link: String::new(),
            status: "Active",
            updated: "2026-12-01".into(),
        }
    }

    #[test]
    fn the_feed_escapes_what_programmes_say_and_drops_what_xml_cannot_hold() {
        let t = chrono::DateTime::parse_from_rfc3339("2026-12-01T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let feed = atom_feed(&[(listed("<script>\u{1}x\"'"), t, t)], t);
        assert!(
            feed.contains(
                "<title>&lt;script&gt;x&quot;&apos; (UNODC &amp; &lt;friends&gt;)</title>"
            ),
            "{feed}"
        );
        assert!(!feed.contains('\u{1}'));
        assert!(feed.contains("<updated>2026-12-01T10:00:00Z</updated>"));
    }

    #[test]
    fn csv_cells_are_quoted_and_formulas_defused() {
        let mut l = listed("=HYPERLINK(\"x\"), \"a\"");
        l.eligible = "KEN; UGA".into();
        let csv = to_csv(&[l]);
        let mut lines = csv.lines();
        assert_eq!(
            lines.next(),
            Some(
                "Programme ID,Provider,Title,Kind,Areas,Eligible,Languages,Contact,Link,Status,Last updated"
            )
        );
        assert_eq!(
            lines.next(),
            Some(
                "SA-00001,UNODC,\"'=HYPERLINK(\"\"x\"\"), \"\"a\"\"\",Training,LEG; FIN,KEN; UGA,en,,,Active,2026-12-01"
            )
        );
    }
}
