//! The review UI's pages and forms. Every page needs a login ([`Authed`]); every form
//! arrives as [`Posted`], which has already checked its CSRF token.

use std::collections::BTreeMap;
use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Path, Query, State as Extract};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;
use serde::Deserialize;

use super::auth::{self, Authed, LOGIN_COOKIE, Posted, SESSION_COOKIE};
use super::{State, WebError, render};
use crate::directory::{ContactFields, NewContact, check_contact};
use crate::model::{Cycle, Field, Language, NeedId, Priority, Status};
use crate::review::{Confirm, Refusal, Verdict, confirmation};
use crate::state::SubmissionState;
use crate::store::contacts::ContactError;
use crate::store::review::{DecideError, Decision, Pick, SubmissionFilter};
use crate::workflow::review as flow;
use crate::workflow::subscription as sub_flow;

type Page = Result<Response, WebError>;

/// Any serializable value, for a page's context.
fn v<T: serde::Serialize>(x: &T) -> minijinja::Value {
    minijinja::Value::from(minijinja::value::Serde(x))
}

/// The context every page shares: who is logged in, the CSRF token, the active tab.
fn base(a: &Authed, tab: &str) -> minijinja::Value {
    context! {
        user => context! { name => a.user.name.as_str(), role => a.user.role.as_str(), admin => a.is_admin() },
        csrf => a.csrf.as_str(),
        tab => tab,
    }
}

fn page(name: &str, a: &Authed, tab: &str, ctx: minijinja::Value) -> Page {
    page_as(StatusCode::OK, name, a, tab, ctx)
}

/// A page answering with `status` (a refused form shows itself again, with why).
fn page_as(status: StatusCode, name: &str, a: &Authed, tab: &str, ctx: minijinja::Value) -> Page {
    let merged = context! { ..base(a, tab), ..ctx };
    Ok((status, render(name, merged)?).into_response())
}

/// A fixed message for `?done=` after a form succeeded (never text from the URL).
fn done_message(code: Option<&str>) -> Option<&'static str> {
    Some(match code? {
        "decided" => "Decision recorded.",
        "accepted" => "Sender accepted; the submission now awaits review.",
        "refused" => "Submission refused.",
        "saved" => "Saved.",
        "approved" => "Approved: the contact receives the Matrix from now on.",
        "approved-sent" => {
            "Approved: the contact receives the Matrix from now on; this cycle's copy is on its way."
        }
        "dismissed" => "Request dismissed.",
        "added" => "Added.",
        _ => return None,
    })
}

#[derive(Deserialize, Default)]
pub struct Done {
    done: Option<String>,
}

fn see_other(to: &str) -> Response {
    Redirect::to(to).into_response()
}

/// Whether a form's checkbox came back ticked.
fn ticked(value: &str) -> bool {
    value == "on" || value == "1"
}

fn id_of(raw: &str) -> Result<i64, WebError> {
    raw.parse().map_err(|_| WebError::NotFound)
}

// ------------------------------------------------------------------ login

#[derive(Deserialize, Default)]
pub struct LoginQuery {
    next: Option<String>,
}

/// Where to go after logging in: a path on this site, or the dashboard. Browsers treat
/// `//host`, `/\\host` and even `/<tab>/host` as another site, so a path must start with
/// one `/`, not follow it with another slash of either kind, and hold no backslash,
/// whitespace or control character anywhere.
fn safe_next(next: Option<&str>) -> String {
    let Some(n) = next else {
        return "/".to_string();
    };
    let mut chars = n.chars();
    let local = chars.next() == Some('/')
        && !matches!(chars.next(), Some('/' | '\\'))
        && !n
            .chars()
            .any(|c| c == '\\' || c.is_whitespace() || c.is_control());
    if local {
        n.to_string()
    } else {
        "/".to_string()
    }
}

fn login_page(
    s: &State,
    next: &str,
    error: Option<&str>,
    status: StatusCode,
) -> Result<Response, WebError> {
    let token = auth::random_token()?;
    let html = render(
        "login.html",
        context! { csrf => token.as_str(), next => next, error => error },
    )?;
    let cookie = auth::set_cookie(
        LOGIN_COOKIE,
        &token,
        "/login",
        3600,
        s.app.cfg.web.secure_cookie,
    );
    Ok((status, [(header::SET_COOKIE, cookie)], html).into_response())
}

pub async fn login_form(
    Extract(s): Extract<State>,
    Query(q): Query<LoginQuery>,
    headers: HeaderMap,
) -> Page {
    let next = safe_next(q.next.as_deref());
    if let Some(c) = auth::cookie(&headers, SESSION_COOKIE)
        && s.app
            .store
            .session(&auth::session_key(c), s.app.clock.now())
            .await?
            .is_some()
    {
        return Ok(see_other(&next));
    }
    login_page(&s, &next, None, StatusCode::OK)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct LoginForm {
    csrf: String,
    name: String,
    password: String,
    next: Option<String>,
}

pub async fn login(
    Extract(s): Extract<State>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    axum::Form(f): axum::Form<LoginForm>,
) -> Page {
    let next = safe_next(f.next.as_deref());
    let expected = auth::cookie(&headers, LOGIN_COOKIE).unwrap_or("");
    if !auth::same_token(&f.csrf, expected) {
        return Err(WebError::Forbidden(
            "the login form's security token is missing or out of date; reload the page and try again".into(),
        ));
    }
    let name = f.name.trim().to_string();
    let address = auth::client_address(
        peer.ip(),
        auth::forwarded_for(&headers),
        &s.app.cfg.web.trusted_proxies,
    )
    .to_string();
    let now = std::time::Instant::now();
    // Failed attempts slow the next answers down; they never refuse a correct password.
    let wait = s.limiter.attempt(&name, &address, now);
    if !wait.is_zero() {
        tokio::time::sleep(wait).await;
    }
    let user = s.app.store.user_by_name(&name).await?.filter(|u| u.active);
    let hash = user.as_ref().map(|u| u.password_hash.clone());
    let password = f.password;
    // Each check costs ~20 MB and a core for a while: a few at a time, the rest wait.
    // The permit moves into the check: a client that hangs up does not free it early.
    let ok = match std::sync::Arc::clone(&s.password_checks)
        .acquire_owned()
        .await
    {
        Ok(permit) => tokio::task::spawn_blocking(move || {
            let ok = auth::verify_password(&password, hash.as_deref());
            drop(permit);
            ok
        })
        .await
        .unwrap_or(false),
        Err(_) => false,
    };
    let Some(user) = user.filter(|_| ok) else {
        // Never the name typed: a password typed into the name field would end up in
        // the log.
        tracing::warn!(from = %address, "failed login");
        return login_page(
            &s,
            &next,
            Some("The name or the password is not right."),
            StatusCode::UNAUTHORIZED,
        );
    };
    s.limiter.succeeded(&name, &address);
    let cookie = auth::random_token()?;
    let csrf = auth::random_token()?;
    let hours = i64::from(s.app.cfg.web.session_hours);
    let at = s.app.clock.now();
    s.app
        .store
        .create_session(
            &auth::session_key(&cookie),
            user.id,
            &csrf,
            at,
            at + chrono::Duration::hours(hours),
        )
        .await?;
    tracing::info!(user = %user.name, "logged in");
    let secure = s.app.cfg.web.secure_cookie;
    // Appended, not inserted: two cookies are set.
    Ok((
        StatusCode::SEE_OTHER,
        axum::response::AppendHeaders([
            (header::LOCATION, next),
            (
                header::SET_COOKIE,
                auth::set_cookie(SESSION_COOKIE, &cookie, "/", hours * 3600, secure),
            ),
            (
                header::SET_COOKIE,
                auth::set_cookie(LOGIN_COOKIE, "", "/login", 0, secure),
            ),
        ]),
    )
        .into_response())
}

#[derive(Deserialize)]
pub struct Empty {}

pub async fn logout(Extract(s): Extract<State>, p: Posted<Empty>) -> Page {
    s.app.store.delete_session(&p.auth.key).await?;
    Ok((
        StatusCode::SEE_OTHER,
        [
            (header::LOCATION, "/login".to_string()),
            (
                header::SET_COOKIE,
                auth::set_cookie(SESSION_COOKIE, "", "/", 0, s.app.cfg.web.secure_cookie),
            ),
        ],
    )
        .into_response())
}

// ------------------------------------------------------------------ dashboard

#[derive(Deserialize, Default)]
pub struct CycleQuery {
    cycle: Option<String>,
}

/// The latest unsubscribes the dashboard looks through for flagged organizations.
const FLAGGED_SHOWN: i64 = 20;

/// The latest messages needsd could not read that the dashboard lists.
const UNREADABLE_SHOWN: i64 = 20;

pub async fn dashboard(Extract(s): Extract<State>, a: Authed, Query(q): Query<CycleQuery>) -> Page {
    let cycle = match q.cycle.as_deref().filter(|c| !c.trim().is_empty()) {
        Some(c) => Cycle::parse(c).map_err(|e| WebError::BadRequest(format!("cycle: {e}")))?,
        None => match s.app.store.latest_cycle().await? {
            Some(c) => c,
            None => Cycle::of_date(
                s.app
                    .clock
                    .now()
                    .with_timezone(&s.app.cfg.schedule.timezone)
                    .date_naive(),
            ),
        },
    };
    let counts = s.app.store.cycle_counts(cycle).await?;
    let facts = s.app.store.digest_facts(cycle).await?;
    let per_day = s.app.store.replies_per_day(cycle).await?;
    let most = per_day.iter().map(|(_, n)| *n).max().unwrap_or(0).max(1);
    // Bars of an SVG chart: 24 px apart, up to 100 px tall.
    let bars: Vec<minijinja::Value> = per_day
        .iter()
        .enumerate()
        .map(|(i, (day, n))| {
            let h = (n * 100 / most).max(2);
            context! { day => day, count => n, x => i * 24 + 4, y => 110 - h, height => h,
            label => day.get(8..10).unwrap_or(day) }
        })
        .collect();
    let (unreadable, unreadable_total) = s.app.store.unreadable(UNREADABLE_SHOWN).await?;
    let coverage = crate::workflow::matching::coverage_of(&s.app, cycle).await?;
    let requests = s.app.store.subscription_requests(true).await?.len();
    let flagged: Vec<_> = s
        .app
        .store
        .unsubscriptions(FLAGGED_SHOWN)
        .await?
        .into_iter()
        .filter(|u| u.flagged)
        .collect();
    // A whole percentage, rounded; none of nothing is 0 %.
    let share = |part: usize, of: usize| (part * 100 + of / 2).checked_div(of).unwrap_or(0);
    page(
        "dashboard.html",
        &a,
        "dashboard",
        context! {
            coverage => v(&coverage),
            requests => requests,
            flagged => v(&flagged),
            candidate_share => share(coverage.with_candidate, coverage.open),
            provider_share => share(coverage.with_provider, coverage.total),
            unreadable => v(&unreadable),
            unreadable_total => unreadable_total,
            cycle => cycle.to_string(),
            deadline => s.app.cfg.deadline_text(cycle),
            previous => cycle.previous().to_string(),
            next => cycle.next().to_string(),
            counts => v(&counts),
            not_answered => (facts.parties - facts.answered).max(0),
            chart_width => (bars.len() * 24 + 8).max(200),
            facts => v(&facts),
            bars => bars,
        },
    )
}

// ------------------------------------------------------------------ submissions

#[derive(Deserialize, Default)]
pub struct SubmissionQuery {
    state: Option<String>,
    cycle: Option<String>,
    party: Option<String>,
    late: Option<String>,
}

pub async fn submissions(
    Extract(s): Extract<State>,
    a: Authed,
    Query(q): Query<SubmissionQuery>,
) -> Page {
    let state = match q.state.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
        Some(word) => Some(
            word.parse::<SubmissionState>()
                .map_err(|e| WebError::BadRequest(format!("state: {e}")))?,
        ),
        None => None,
    };
    let filter = SubmissionFilter {
        state,
        cycle: q.cycle.clone().filter(|v| !v.is_empty()),
        party: q.party.clone().filter(|v| !v.is_empty()),
        late: match q.late.as_deref() {
            Some("yes") => Some(true),
            Some("no") => Some(false),
            _ => None,
        },
    };
    let list = s.app.store.find_submissions(&filter).await?;
    let ids: Vec<i64> = list.iter().map(|x| x.id).collect();
    let changes = s.app.store.proposals_of(&ids).await?;
    let rows: Vec<minijinja::Value> = list
        .iter()
        .map(|sub| {
            let ch = changes.get(&sub.id).map(Vec::as_slice).unwrap_or(&[]);
            context! {
                s => v(sub),
                pending => ch.iter().filter(|c| c.is_pending()).count(),
                conflicts => ch.iter().filter(|c| c.is_pending() && c.conflict).count(),
                total => ch.len(),
            }
        })
        .collect();
    let tab = if filter.state == Some(SubmissionState::Quarantined) {
        "quarantine"
    } else {
        "submissions"
    };
    page(
        "submissions.html",
        &a,
        tab,
        context! {
            rows => rows,
            states => SubmissionState::ALL.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
            q => context! { state => q.state, cycle => q.cycle, party => q.party, late => q.late },
        },
    )
}

pub async fn submission(
    Extract(s): Extract<State>,
    a: Authed,
    Path(id): Path<String>,
    Query(d): Query<Done>,
) -> Page {
    submission_page(
        &s,
        &a,
        id_of(&id)?,
        done_message(d.done.as_deref()),
        &[],
        StatusCode::OK,
    )
    .await
}

async fn submission_page(
    s: &State,
    a: &Authed,
    id: i64,
    done: Option<&str>,
    refusals: &[crate::review::Refusal],
    status: StatusCode,
) -> Page {
    let shown = flow::show(&s.app.store, id)
        .await?
        .ok_or(WebError::NotFound)?;
    let pending = shown.changes.iter().filter(|c| c.is_pending()).count()
        + shown
            .programme_changes
            .iter()
            .filter(|c| c.is_pending())
            .count();
    // A refusal for a need that moved offers the same decision again, confirming the
    // values shown: one token per change, and one for all of them.
    let moved: Vec<Refusal> = refusals
        .iter()
        .filter(|r| matches!(r, Refusal::Moved { .. }))
        .cloned()
        .collect();
    let confirm_one: BTreeMap<String, String> = moved
        .iter()
        .filter_map(|r| match r {
            Refusal::Moved { seq, .. } => {
                Some((seq.to_string(), confirmation(std::slice::from_ref(r))))
            }
            _ => None,
        })
        .collect();
    let confirm_all = (!moved.is_empty()).then(|| confirmation(&moved));
    let messages: Vec<String> = refusals.iter().map(ToString::to_string).collect();
    page_as(
        status,
        "submission.html",
        a,
        "submissions",
        context! {
            s => v(&shown.submission),
            changes => v(&shown.changes),
            programme_changes => v(&shown.programme_changes),
            issues => v(&shown.issues),
            text => shown.text,
            attachments => v(&shown.attachments),
            pending => pending,
            done => done,
            refusals => messages,
            confirm_one => confirm_one,
            confirm_all => confirm_all,
        },
    )
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DecideForm {
    verdict: String,
    /// A change's `seq`; empty for all pending changes.
    change: String,
    reason: String,
    confirm: String,
}

pub async fn decide(
    Extract(s): Extract<State>,
    Path(id): Path<String>,
    p: Posted<DecideForm>,
) -> Page {
    let id = id_of(&id)?;
    let f = &p.form;
    let verdict = match f.verdict.as_str() {
        "approve" => Verdict::Approve,
        "reject" => Verdict::Reject,
        other => return Err(WebError::BadRequest(format!("unknown verdict '{other}'"))),
    };
    let pick = match f.change.trim() {
        "" | "all" => Pick::All,
        n => Pick::One(
            n.parse()
                .map_err(|_| WebError::BadRequest(format!("'{n}' is not a change number")))?,
        ),
    };
    let d = Decision {
        submission: id,
        pick,
        verdict,
        reason: Some(f.reason.as_str()),
        reviewer: &p.auth.user.name,
        confirm: if f.confirm.is_empty() {
            Confirm::No
        } else {
            Confirm::Seen(f.confirm.as_str())
        },
        now: s.app.clock.now(),
    };
    match flow::decide(&s.app, &d).await {
        Ok(out) => {
            tracing::info!(submission = id, reviewer = %p.auth.user.name, approved = out.approved.len(),
                           rejected = out.rejected.len(), "decision recorded");
            if out.settled.is_some()
                && let Some(w) = &s.wake_sender
            {
                w.notify_one();
            }
            Ok(see_other(&format!("/submissions/{id}?done=decided")))
        }
        Err(e) => refused(&s, &p.auth, id, e).await,
    }
}

/// The answer to a submission's form that changed nothing.
async fn refused(s: &State, a: &Authed, id: i64, e: DecideError) -> Page {
    match e {
        DecideError::NoSuchSubmission(_) => Err(WebError::NotFound),
        DecideError::Refused(r) => submission_page(s, a, id, None, &r, StatusCode::CONFLICT).await,
        DecideError::Store(e) => Err(e.into()),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct AcceptForm {
    add_contact: String,
    name: String,
}

pub async fn accept(
    Extract(s): Extract<State>,
    Path(id): Path<String>,
    p: Posted<AcceptForm>,
) -> Page {
    let id = id_of(&id)?;
    let name = p.form.name.trim();
    let label = if name.is_empty() {
        "(added from a reply)"
    } else {
        name
    };
    let add = ticked(&p.form.add_contact).then_some(label);
    if add.is_some() {
        // Contacts decide whose replies are trusted: only an admin adds one.
        p.auth.admin()?;
    }
    match flow::accept(&s.app, id, add, &p.auth.user.name).await {
        Ok(_) => {
            // Its receipt, when it has one, goes out at once.
            if let Some(w) = &s.wake_sender {
                w.notify_one();
            }
            Ok(see_other(&format!("/submissions/{id}?done=accepted")))
        }
        Err(e) => refused(&s, &p.auth, id, e).await,
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RefuseForm {
    reason: String,
}

pub async fn refuse(
    Extract(s): Extract<State>,
    Path(id): Path<String>,
    p: Posted<RefuseForm>,
) -> Page {
    let id = id_of(&id)?;
    match s
        .app
        .store
        .refuse_sender(id, &p.form.reason, &p.auth.user.name, s.app.clock.now())
        .await
    {
        Ok(()) => Ok(see_other(&format!("/submissions/{id}?done=refused"))),
        Err(e) => refused(&s, &p.auth, id, e).await,
    }
}

/// An attachment, always as a download: a respondent's file is never shown inline.
pub async fn attachment(
    Extract(s): Extract<State>,
    _a: Authed,
    Path((id, n)): Path<(String, String)>,
) -> Page {
    let n: usize = n.parse().map_err(|_| WebError::NotFound)?;
    let a = flow::attachment(&s.app.store, id_of(&id)?, n)
        .await?
        .ok_or(WebError::NotFound)?;
    let safe: String = a
        .name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' {
                c
            } else {
                '_'
            }
        })
        .collect();
    Ok((
        [
            (header::CONTENT_TYPE, "application/octet-stream".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"{safe}\"; filename*=UTF-8''{}",
                    super::url_encode(&a.name)
                ),
            ),
        ],
        a.bytes,
    )
        .into_response())
}

// ------------------------------------------------------------------ matrix

#[derive(Deserialize, Default, Clone)]
pub struct MatrixQuery {
    state: Option<String>,
    area: Option<String>,
    priority: Option<String>,
    status: Option<String>,
    q: Option<String>,
}

impl MatrixQuery {
    fn keeps(&self, n: &crate::model::Need) -> bool {
        let is = |want: &Option<String>, have: &str| {
            want.as_deref()
                .map(str::trim)
                .filter(|w| !w.is_empty())
                .is_none_or(|w| w.eq_ignore_ascii_case(have))
        };
        let text = self
            .q
            .as_deref()
            .map(str::trim)
            .unwrap_or("")
            .to_lowercase();
        is(&self.state, n.state.as_str())
            && is(&self.area, n.area.as_str())
            && is(&self.priority, n.priority.as_str())
            && is(&self.status, n.status.as_str())
            && (text.is_empty()
                || n.description.to_lowercase().contains(&text)
                || n.provider.to_lowercase().contains(&text)
                || n.notes.to_lowercase().contains(&text)
                || n.id.as_str().eq_ignore_ascii_case(&text))
    }

    fn query_string(&self) -> String {
        let pairs = [
            ("state", &self.state),
            ("area", &self.area),
            ("priority", &self.priority),
            ("status", &self.status),
            ("q", &self.q),
        ];
        pairs
            .iter()
            .filter_map(|(k, v)| {
                v.as_deref()
                    .filter(|v| !v.is_empty())
                    .map(|v| format!("{k}={}", super::url_encode(v)))
            })
            .collect::<Vec<_>>()
            .join("&")
    }
}

pub async fn matrix(Extract(s): Extract<State>, a: Authed, Query(q): Query<MatrixQuery>) -> Page {
    let all = s.app.store.needs().await?;
    let mut states: Vec<&str> = all.iter().map(|n| n.state.as_str()).collect();
    states.sort_unstable();
    states.dedup();
    let states: Vec<String> = states.into_iter().map(str::to_string).collect();
    let rows: Vec<minijinja::Value> = all
        .iter()
        .filter(|n| q.keeps(n))
        .map(|n| {
            context! { id => n.id.as_str(), state => n.state.as_str(), area => n.area.as_str(),
            description => n.description.as_str(), priority => n.priority.as_str(),
            status => n.status.as_str(), provider => n.provider.as_str(),
            updated => n.updated_at.to_string() }
        })
        .collect();
    page(
        "matrix.html",
        &a,
        "matrix",
        context! {
            rows => rows,
            total => all.len(),
            states => states,
            areas => s.app.cfg.areas.iter().map(|x| context!{ code => x.code.as_str(), label => x.label.as_str() }).collect::<Vec<_>>(),
            priorities => Priority::ALL.iter().map(|p| p.as_str()).collect::<Vec<_>>(),
            statuses => Status::ALL.iter().map(|p| p.as_str()).collect::<Vec<_>>(),
            export => format!("/matrix.xlsx?{}", q.query_string()),
            q => context! { state => q.state, area => q.area, priority => q.priority, status => q.status, q => q.q },
        },
    )
}

/// The Matrix workbook of what the filters keep, as respondents receive it (without a
/// recipient's stamp).
pub async fn matrix_xlsx(
    Extract(s): Extract<State>,
    _a: Authed,
    Query(q): Query<MatrixQuery>,
) -> Page {
    let mut needs: Vec<_> = s
        .app
        .store
        .needs()
        .await?
        .into_iter()
        .filter(|n| q.keeps(n))
        .collect();
    let states = s.app.index.state_names();
    let today = s
        .app
        .clock
        .now()
        .with_timezone(&s.app.cfg.schedule.timezone)
        .date_naive();
    let cfg = s.app.cfg.clone();
    let bytes = tokio::task::spawn_blocking(move || {
        crate::workbook::write::sort_for_workbook(&mut needs);
        crate::workbook::write::write(&crate::workbook::write::Spec {
            needs: &needs,
            states: &states,
            areas: &cfg.areas,
            as_of: today,
            circulation: None,
            sheets: &[],
            language: crate::model::Language::En,
        })
    })
    .await
    .map_err(|e| WebError::Internal(format!("the export stopped: {e}")))?
    .map_err(|e| WebError::Internal(format!("writing the workbook: {e}")))?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                crate::mail::compose::XLSX_TYPE.to_string(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"matrix-of-needs-{today}.xlsx\""),
            ),
        ],
        bytes,
    )
        .into_response())
}

pub async fn need(Extract(s): Extract<State>, a: Authed, Path(id): Path<String>) -> Page {
    let id = NeedId::parse(&id).map_err(|_| WebError::NotFound)?;
    let need = s.app.store.need(&id).await?.ok_or(WebError::NotFound)?;
    let history = s.app.store.need_history(&id).await?;
    let fields: Vec<minijinja::Value> = Field::ALL
        .iter()
        .map(|f| context! { name => f.header(), value => crate::diff::field_value(&need, *f) })
        .collect();
    let candidates = crate::workflow::matching::candidates_of(&s.app, &need).await?;
    page(
        "need.html",
        &a,
        "matrix",
        context! { id => id.as_str(), fields => fields, updated => need.updated_at.to_string(), history => v(&history),
        open => crate::matching::is_open(&need), candidates => v(&candidates) },
    )
}

/// The open needs with no provider, each with the programmes that could meet it; those
/// open for `[matching] unmet_cycles` circulations are marked.
pub async fn unmet(Extract(s): Extract<State>, a: Authed) -> Page {
    let matched = crate::workflow::matching::current(&s.app).await?;
    let cycle = match s.app.store.latest_cycle().await? {
        Some(c) => c,
        None => Cycle::of_date(
            s.app
                .clock
                .now()
                .with_timezone(&s.app.cfg.schedule.timezone)
                .date_naive(),
        ),
    };
    let stuck: std::collections::HashSet<String> =
        crate::workflow::matching::unmet(&s.app, &matched, cycle)
            .await?
            .into_iter()
            .map(|u| u.need.to_string())
            .collect();
    let rows: Vec<minijinja::Value> = matched
        .needs
        .iter()
        .filter(|n| crate::matching::is_open(n) && n.provider.trim().is_empty())
        .map(|n| {
            context! { id => n.id.as_str(), state => n.state.as_str(), area => n.area.as_str(),
            description => n.description.as_str(), priority => n.priority.as_str(),
            stuck => stuck.contains(n.id.as_str()), candidates => v(&matched.shown(&s.app, &n.id)) }
        })
        .collect();
    let without = rows
        .iter()
        .filter(|r| r.get_attr("candidates").ok().and_then(|c| c.len()) == Some(0))
        .count();
    page(
        "unmet.html",
        &a,
        "unmet",
        context! { rows => rows, without => without, cycles => s.app.cfg.matching.unmet_cycles.get() },
    )
}

// ------------------------------------------------------------------ contacts

pub async fn contacts(Extract(s): Extract<State>, a: Authed, Query(d): Query<Done>) -> Page {
    contacts_page(
        &s,
        &a,
        done_message(d.done.as_deref()),
        None,
        StatusCode::OK,
    )
    .await
}

/// The directory; after a refused addition, `error` comes back with what was typed
/// (`ContactForm`), so nothing has to be typed twice.
async fn contacts_page(
    s: &State,
    a: &Authed,
    done: Option<&str>,
    error: Option<(&str, &ContactForm)>,
    status: StatusCode,
) -> Page {
    let list = s.app.store.contacts().await?;
    page_as(
        status,
        "contacts.html",
        a,
        "contacts",
        context! {
            contacts => v(&list),
            done => done,
            error => error.map(|e| e.0),
            f => error.map(|e| v(e.1)),
            ..choices(s.app.index.all()),
        },
    )
}

/// What a contact form offers to choose from: the parties and the languages.
fn choices(parties: &[crate::model::Party]) -> minijinja::Value {
    context! {
        parties => parties.iter().map(|p| context!{ code => p.code.as_str(), name => p.name.as_str() }).collect::<Vec<_>>(),
        languages => Language::ALL.iter().map(|l| l.as_str()).collect::<Vec<_>>(),
    }
}

#[derive(Deserialize, serde::Serialize, Default)]
#[serde(default)]
pub struct ContactForm {
    party: String,
    name: String,
    office: String,
    email: String,
    language: String,
    role: String,
    receives_matrix: String,
}

impl ContactForm {
    /// The contact as typed, or every problem with it in one sentence.
    fn check(&self, index: &crate::directory::PartyIndex) -> Result<NewContact, String> {
        check_contact(
            index,
            &ContactFields {
                party: &self.party,
                name: &self.name,
                office: &self.office,
                email: &self.email,
                language: &self.language,
                role: &self.role,
                receives_matrix: Some(ticked(&self.receives_matrix)),
            },
        )
        .map_err(|problems| {
            let said: Vec<String> = problems
                .iter()
                .map(|(column, message)| {
                    let mut c = column.chars();
                    let first = c
                        .next()
                        .map(|f| f.to_uppercase().to_string())
                        .unwrap_or_default();
                    format!("{first}{}: {message}", c.as_str())
                })
                .collect();
            said.join("; ")
        })
    }
}

pub async fn add_contact(Extract(s): Extract<State>, p: Posted<ContactForm>) -> Page {
    p.auth.admin()?;
    let c = match p.form.check(&s.app.index) {
        Ok(c) => c,
        Err(e) => {
            return contacts_page(
                &s,
                &p.auth,
                None,
                Some((&e, &p.form)),
                StatusCode::BAD_REQUEST,
            )
            .await;
        }
    };
    match s.app.store.save_contact(None, &c, s.app.clock.now()).await {
        Ok(_) => Ok(see_other("/contacts?done=added")),
        Err(ContactError::Store(e)) => Err(e.into()),
        Err(e) => {
            contacts_page(
                &s,
                &p.auth,
                None,
                Some((&e.to_string(), &p.form)),
                StatusCode::CONFLICT,
            )
            .await
        }
    }
}

pub async fn contact(Extract(s): Extract<State>, a: Authed, Path(id): Path<String>) -> Page {
    a.admin()?;
    contact_page(&s, &a, id_of(&id)?, None, StatusCode::OK).await
}

async fn contact_page(
    s: &State,
    a: &Authed,
    id: i64,
    error: Option<&str>,
    status: StatusCode,
) -> Page {
    let c = s.app.store.contact(id).await?.ok_or(WebError::NotFound)?;
    page_as(
        status,
        "contact.html",
        a,
        "contacts",
        context! {
            c => v(&c),
            error => error,
            ..choices(s.app.index.all()),
        },
    )
}

pub async fn save_contact(
    Extract(s): Extract<State>,
    Path(id): Path<String>,
    p: Posted<ContactForm>,
) -> Page {
    p.auth.admin()?;
    let id = id_of(&id)?;
    let c = match p.form.check(&s.app.index) {
        Ok(c) => c,
        Err(e) => return contact_page(&s, &p.auth, id, Some(&e), StatusCode::BAD_REQUEST).await,
    };
    match s
        .app
        .store
        .save_contact(Some(id), &c, s.app.clock.now())
        .await
    {
        Ok(_) => Ok(see_other("/contacts?done=saved")),
        Err(ContactError::Missing(_)) => Err(WebError::NotFound),
        Err(ContactError::Store(e)) => Err(e.into()),
        Err(e) => contact_page(&s, &p.auth, id, Some(&e.to_string()), StatusCode::CONFLICT).await,
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ActiveForm {
    active: String,
}

pub async fn contact_active(
    Extract(s): Extract<State>,
    Path(id): Path<String>,
    p: Posted<ActiveForm>,
) -> Page {
    p.auth.admin()?;
    match s
        .app
        .store
        .set_contact_active(id_of(&id)?, p.form.active == "1", s.app.clock.now())
        .await
    {
        Ok(()) => Ok(see_other("/contacts?done=saved")),
        Err(ContactError::Missing(_)) => Err(WebError::NotFound),
        Err(ContactError::Store(e)) => Err(e.into()),
        Err(e) => Err(WebError::BadRequest(e.to_string())),
    }
}

// ------------------------------------------------------------------ receiving the Matrix

/// The unsubscribes the requests page lists.
const UNSUBSCRIPTIONS_SHOWN: i64 = 200;

pub async fn requests(Extract(s): Extract<State>, a: Authed, Query(d): Query<Done>) -> Page {
    requests_page(
        &s,
        &a,
        done_message(d.done.as_deref()),
        None,
        StatusCode::OK,
    )
    .await
}

async fn requests_page(
    s: &State,
    a: &Authed,
    done: Option<&str>,
    error: Option<&str>,
    status: StatusCode,
) -> Page {
    let requests = s.app.store.subscription_requests(true).await?;
    let unsubscriptions = s.app.store.unsubscriptions(UNSUBSCRIPTIONS_SHOWN).await?;
    page_as(
        status,
        "requests.html",
        a,
        "requests",
        context! {
            requests => v(&requests),
            unsubscriptions => v(&unsubscriptions),
            done => done,
            error => error,
            ..choices(s.app.index.all()),
        },
    )
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ApproveForm {
    party: String,
}

pub async fn approve_request(
    Extract(s): Extract<State>,
    Path(id): Path<String>,
    p: Posted<ApproveForm>,
) -> Page {
    let id = id_of(&id)?;
    let party = match s.app.index.resolve(p.form.party.trim()) {
        Some(party) => party.code.clone(),
        None => {
            return requests_page(
                &s,
                &p.auth,
                None,
                Some("Choose the party the request is for."),
                StatusCode::BAD_REQUEST,
            )
            .await;
        }
    };
    // The daemon's sender sends the copy; it is woken below.
    match sub_flow::approve(&s.app, id, &party, &p.auth.user.name, None).await {
        Ok(done) => {
            if let Some(w) = &s.wake_sender {
                w.notify_one();
            }
            let code = if done.sent_cycle.is_some() {
                "approved-sent"
            } else {
                "approved"
            };
            Ok(see_other(&format!("/requests?done={code}")))
        }
        Err(e) => request_refused(&s, &p.auth, e).await,
    }
}

pub async fn dismiss_request(
    Extract(s): Extract<State>,
    Path(id): Path<String>,
    p: Posted<Empty>,
) -> Page {
    let id = id_of(&id)?;
    match sub_flow::dismiss(&s.app, id, &p.auth.user.name).await {
        Ok(()) => Ok(see_other("/requests?done=dismissed")),
        Err(e) => request_refused(&s, &p.auth, e).await,
    }
}

/// The requests page again, saying why a decision was not taken.
async fn request_refused(s: &State, a: &Authed, e: sub_flow::DecideRequestError) -> Page {
    use crate::store::subscriptions::RequestError as R;
    match e {
        sub_flow::DecideRequestError::Request(R::Missing(_)) => Err(WebError::NotFound),
        sub_flow::DecideRequestError::Request(R::Store(e)) => Err(e.into()),
        sub_flow::DecideRequestError::Other(e) => Err(e.into()),
        e => requests_page(s, a, None, Some(&e.to_string()), StatusCode::CONFLICT).await,
    }
}

// ------------------------------------------------------------------ users

pub async fn users(Extract(s): Extract<State>, a: Authed, Query(d): Query<Done>) -> Page {
    a.admin()?;
    users_page(
        &s,
        &a,
        done_message(d.done.as_deref()),
        None,
        None,
        StatusCode::OK,
    )
    .await
}

/// The users; after a refused form, `typed` is the name and role to show again (never
/// the password).
async fn users_page(
    s: &State,
    a: &Authed,
    done: Option<&str>,
    error: Option<&str>,
    typed: Option<(&str, &str)>,
    status: StatusCode,
) -> Page {
    let list = s.app.store.users().await?;
    page_as(
        status,
        "users.html",
        a,
        "users",
        context! { users => v(&list), done => done, error => error, typed => typed },
    )
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct UserForm {
    name: String,
    role: String,
    password: String,
}

pub async fn add_user(Extract(s): Extract<State>, p: Posted<UserForm>) -> Page {
    p.auth.admin()?;
    let f = &p.form;
    let checked = auth::check_user(&f.name, &f.role)
        .and_then(|user| auth::check_password(&f.password).map(|()| user));
    let (name, role) = match checked {
        Ok(user) => user,
        Err(e) => {
            let problem = format!("{e}.");
            let typed = Some((f.name.as_str(), f.role.as_str()));
            return users_page(
                &s,
                &p.auth,
                None,
                Some(&problem),
                typed,
                StatusCode::BAD_REQUEST,
            )
            .await;
        }
    };
    let hash = auth::hash_password_blocking(f.password.clone())
        .await
        .map_err(|e| WebError::Internal(e.to_string()))?;
    s.app
        .store
        .put_user(&name, role, &hash, s.app.clock.now())
        .await?;
    tracing::info!(user = %name, by = %p.auth.user.name, "user saved");
    Ok(see_other("/users?done=saved"))
}

pub async fn user_active(
    Extract(s): Extract<State>,
    Path(id): Path<String>,
    p: Posted<ActiveForm>,
) -> Page {
    p.auth.admin()?;
    let id = id_of(&id)?;
    let active = p.form.active == "1";
    if !active && id == p.auth.user.id {
        return users_page(
            &s,
            &p.auth,
            None,
            Some("You cannot deactivate yourself."),
            None,
            StatusCode::BAD_REQUEST,
        )
        .await;
    }
    if !s.app.store.set_user_active(id, active).await? {
        return Err(WebError::NotFound);
    }
    Ok(see_other("/users?done=saved"))
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn next_stays_on_this_site() {
        for local in [
            "/",
            "/submissions/3",
            "/matrix?party=FR",
            "/needs/MN-00001#history",
        ] {
            assert_eq!(safe_next(Some(local)), local);
        }
        for foreign in [
            "//evil.example/",
            "/\\evil.example/",
            "/\t/evil.example/",
            "/\n/evil.example",
            "/ok\\..\\x",
            "https://evil.example/",
            "evil",
            "",
            "/a b",
        ] {
            assert_eq!(safe_next(Some(foreign)), "/", "{foreign:?}");
        }
        assert_eq!(safe_next(None), "/");
    }
}
