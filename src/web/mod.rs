//! The web server: the experts' review UI (server-rendered minijinja pages, plain forms,
//! one stylesheet, no JavaScript), `/healthz` and `/metrics` for operators, and, when
//! `web.public_directory` is on, the public Directory of Sources of Assistance.

pub mod auth;
pub mod directory;
mod ops;
mod pages;
pub mod serve;
mod unsubscribe;

use std::sync::Arc;

use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use thiserror::Error;

use crate::app::App;
use crate::health::Health;
use crate::store::StoreError;

/// Password checks run at once; each takes argon2's memory (19 MiB) and a core.
const PASSWORD_CHECKS: usize = 4;

/// What every handler can reach.
#[derive(Clone)]
pub struct State {
    /// The process's composition root: config, clock, store, parties, templates.
    pub app: Arc<App>,
    pub health: Arc<Health>,
    limiter: Arc<auth::Limiter>,
    /// Password checks (argon2) allowed at once.
    password_checks: Arc<tokio::sync::Semaphore>,
    /// Told when a decision put a message in the outbox, so it goes out at once.
    wake_sender: Option<Arc<tokio::sync::Notify>>,
}

impl State {
    pub fn new(
        app: Arc<App>,
        health: Arc<Health>,
        wake_sender: Option<Arc<tokio::sync::Notify>>,
    ) -> Result<Self, WebError> {
        // A broken page template stops the daemon at start, not at the first request.
        environment()?;
        Ok(Self {
            app,
            health,
            limiter: Arc::default(),
            password_checks: Arc::new(tokio::sync::Semaphore::new(PASSWORD_CHECKS)),
            wake_sender,
        })
    }
}

/// The pages of `templates/web/`, compiled into the binary. `.html` names escape
/// everything they insert.
const PAGES: &[(&str, &str)] = &[
    (
        "layout.html",
        include_str!("../../templates/web/layout.html"),
    ),
    ("login.html", include_str!("../../templates/web/login.html")),
    (
        "dashboard.html",
        include_str!("../../templates/web/dashboard.html"),
    ),
    (
        "submissions.html",
        include_str!("../../templates/web/submissions.html"),
    ),
    (
        "submission.html",
        include_str!("../../templates/web/submission.html"),
    ),
    (
        "matrix.html",
        include_str!("../../templates/web/matrix.html"),
    ),
    ("need.html", include_str!("../../templates/web/need.html")),
    ("unmet.html", include_str!("../../templates/web/unmet.html")),
    (
        "contacts.html",
        include_str!("../../templates/web/contacts.html"),
    ),
    (
        "contact.html",
        include_str!("../../templates/web/contact.html"),
    ),
    ("users.html", include_str!("../../templates/web/users.html")),
    ("error.html", include_str!("../../templates/web/error.html")),
    (
        "public.html",
        include_str!("../../templates/web/public.html"),
    ),
    (
        "directory.html",
        include_str!("../../templates/web/directory.html"),
    ),
    (
        "programme.html",
        include_str!("../../templates/web/programme.html"),
    ),
    (
        "requests.html",
        include_str!("../../templates/web/requests.html"),
    ),
    (
        "unsubscribe.html",
        include_str!("../../templates/web/unsubscribe.html"),
    ),
];

const STYLESHEET: &str = include_str!("../../templates/web/style.css");

/// The compiled pages, built once.
fn environment() -> Result<&'static minijinja::Environment<'static>, WebError> {
    static ENV: std::sync::OnceLock<Result<minijinja::Environment<'static>, String>> =
        std::sync::OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = minijinja::Environment::new();
        env.set_undefined_behavior(minijinja::UndefinedBehavior::Chainable);
        for (name, source) in PAGES {
            env.add_template(name, source)
                .map_err(|e| format!("the page template {name} is broken: {e}"))?;
        }
        Ok(env)
    })
    .as_ref()
    .map_err(|e| WebError::Internal(e.clone()))
}

/// Renders page `name` with `ctx`.
pub(crate) fn render(name: &str, ctx: minijinja::Value) -> Result<Html<String>, WebError> {
    environment()?
        .get_template(name)
        .and_then(|t| t.render(ctx))
        .map(Html)
        .map_err(|e| WebError::Internal(format!("rendering {name}: {e:#}")))
}

/// The largest request body the UI reads (its forms carry a few fields each).
pub const REQUEST_BODY_BYTES: usize = 64 * 1024;

pub fn router(state: State) -> Router {
    Router::new()
        .route("/healthz", get(ops::healthz))
        .route("/metrics", get(ops::metrics))
        .route("/static/style.css", get(stylesheet))
        .route("/login", get(pages::login_form).post(pages::login))
        .route("/logout", post(pages::logout))
        .route("/", get(pages::dashboard))
        .route("/submissions", get(pages::submissions))
        .route("/submissions/{id}", get(pages::submission))
        .route("/submissions/{id}/decide", post(pages::decide))
        .route("/submissions/{id}/accept", post(pages::accept))
        .route("/submissions/{id}/refuse", post(pages::refuse))
        .route("/submissions/{id}/attachments/{n}", get(pages::attachment))
        .route("/matrix", get(pages::matrix))
        .route("/matrix.xlsx", get(pages::matrix_xlsx))
        .route("/needs/{id}", get(pages::need))
        .route("/unmet", get(pages::unmet))
        .route("/contacts", get(pages::contacts).post(pages::add_contact))
        .route(
            "/contacts/{id}",
            get(pages::contact).post(pages::save_contact),
        )
        .route("/contacts/{id}/active", post(pages::contact_active))
        .route("/users", get(pages::users).post(pages::add_user))
        .route("/users/{id}/active", post(pages::user_active))
        .route("/requests", get(pages::requests))
        .route("/requests/{id}/approve", post(pages::approve_request))
        .route("/requests/{id}/dismiss", post(pages::dismiss_request))
        // A circulation's one-click unsubscribe (RFC 8058): no login and no CSRF token,
        // the per-recipient MAC in the path is the authority.
        .route(
            "/unsubscribe/{id}/{mac}",
            get(unsubscribe::page).post(unsubscribe::one_click),
        )
        // The public directory: no login; each answers 404 unless web.public_directory.
        .route("/directory", get(directory::list))
        .route("/directory.csv", get(directory::csv))
        .route("/directory.json", get(directory::json))
        .route("/directory.atom", get(directory::atom))
        .route("/directory/{id}", get(directory::one))
        .fallback(not_found)
        // Every form is a few fields; nothing a client sends needs more.
        .layer(axum::extract::DefaultBodyLimit::max(REQUEST_BODY_BYTES))
        .layer(axum::middleware::map_response(security_headers))
        .with_state(state)
}

async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "max-age=3600"),
        ],
        STYLESHEET,
    )
        .into_response()
}

async fn not_found() -> Response {
    WebError::NotFound.into_response()
}

/// No scripts, no framing, no inline styles, nothing from elsewhere; pages are not cached.
async fn security_headers(mut r: Response) -> Response {
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; \
             frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    r
}

/// What a request could not get, as the page (or status) that says so.
#[derive(Debug, Error)]
pub enum WebError {
    #[error("there is no such page")]
    NotFound,
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    TooMany(String),
    #[error("{0}")]
    Internal(String),
}

impl From<StoreError> for WebError {
    fn from(e: StoreError) -> Self {
        WebError::Internal(e.to_string())
    }
}

impl From<anyhow::Error> for WebError {
    fn from(e: anyhow::Error) -> Self {
        WebError::Internal(format!("{e:#}"))
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let status = match &self {
            WebError::NotFound => StatusCode::NOT_FOUND,
            WebError::Forbidden(_) => StatusCode::FORBIDDEN,
            WebError::BadRequest(_) => StatusCode::BAD_REQUEST,
            WebError::TooMany(_) => StatusCode::TOO_MANY_REQUESTS,
            WebError::Internal(e) => {
                tracing::error!("web request failed: {e}");
                StatusCode::INTERNAL_SERVER_ERROR
            }
        };
        let message = match &self {
            WebError::Internal(_) => {
                "needsd could not answer this request; the reason is in its log".to_string()
            }
            other => other.to_string(),
        };
        // The error page stands alone (no session needed); if even it fails, plain text.
        let body = render(
            "error.html",
            minijinja::context! {
                status => status.as_u16(),
                title => status.canonical_reason().unwrap_or("Error"),
                message => message.as_str(),
            },
        )
        .map_or_else(|_| message.clone(), |h| h.0);
        (status, Html(body)).into_response()
    }
}

/// Percent-encodes everything but unreserved characters (for `next=` links).
pub fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
