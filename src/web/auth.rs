//! Who is asking: argon2 password hashes, server-side sessions behind an HttpOnly,
//! SameSite=Strict cookie, the CSRF token of every form, and a limit on login attempts.

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};
use thiserror::Error;

use super::{State, WebError};
use crate::store::users::{Role, User};

/// The session cookie.
pub const SESSION_COOKIE: &str = "needsd_session";
/// The login form's CSRF cookie (double submit: there is no session yet).
pub const LOGIN_COOKIE: &str = "needsd_login";

#[derive(Debug, Error)]
pub enum AuthError {
    #[error("cannot hash the password: {0}")]
    Hash(String),
    #[error("the password is empty")]
    EmptyPassword,
}

/// An argon2id hash of `password` in PHC form, with a fresh random salt. Slow on purpose:
/// call it off the async workers.
pub fn hash_password(password: &str) -> Result<String, AuthError> {
    if password.is_empty() {
        return Err(AuthError::EmptyPassword);
    }
    // A 16-byte salt from the OS random source (RFC 9106 recommends 16).
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| AuthError::Hash(e.to_string()))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| AuthError::Hash(e.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AuthError::Hash(e.to_string()))
}

/// [`hash_password`] on a blocking thread, for async callers.
pub async fn hash_password_blocking(password: String) -> Result<String, AuthError> {
    tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|e| AuthError::Hash(e.to_string()))?
}

/// The shortest password a user may have.
pub const MIN_PASSWORD_CHARS: usize = 10;

/// Why a user cannot be saved as given: `needsd users add` and the users page check the
/// same rules and say the same thing.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum UserError {
    #[error(
        "'{0}' is not a user name: use 1 to 64 letters, digits, dots, dashes, underscores or @"
    )]
    Name(String),
    #[error("'{0}' is not a role: choose expert or admin")]
    Role(String),
    #[error("the password must have at least {MIN_PASSWORD_CHARS} characters")]
    Password,
}

/// A user's name (trimmed) and role as typed, or what is wrong with them.
pub fn check_user(name: &str, role: &str) -> Result<(String, Role), UserError> {
    let name = name.trim();
    let valid = (1..=64).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '.' | '-' | '_' | '@'));
    if !valid {
        return Err(UserError::Name(name.to_string()));
    }
    let role = Role::parse(role).ok_or_else(|| UserError::Role(role.trim().to_string()))?;
    Ok((name.to_string(), role))
}

/// Whether a new password is long enough.
pub fn check_password(password: &str) -> Result<(), UserError> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(UserError::Password);
    }
    Ok(())
}

/// Whether `password` matches `hash`. With no hash (an unknown user), a dummy hash is
/// checked anyway so the answer takes as long either way.
pub fn verify_password(password: &str, hash: Option<&str>) -> bool {
    static DUMMY: OnceLock<String> = OnceLock::new();
    let dummy = DUMMY.get_or_init(|| hash_password("not a password").unwrap_or_default());
    let stored = hash.unwrap_or(dummy);
    let ok = PasswordHash::new(stored)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false);
    ok && hash.is_some()
}

/// 32 random bytes, hex: a session cookie or a CSRF token.
pub fn random_token() -> Result<String, WebError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)
        .map_err(|e| WebError::Internal(format!("the OS random source failed: {e}")))?;
    Ok(hex::encode(bytes))
}

/// What the database keeps of a cookie: its hash.
pub fn session_key(cookie: &str) -> String {
    hex::encode(Sha256::digest(cookie.as_bytes()))
}

/// The value of cookie `name` in the request's headers.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// A `Set-Cookie` value: HttpOnly and SameSite=Strict always, Secure when configured.
pub fn set_cookie(name: &str, value: &str, path: &str, max_age: i64, secure: bool) -> String {
    format!(
        "{name}={value}; Path={path}; Max-Age={max_age}; HttpOnly; SameSite=Strict{}",
        if secure { "; Secure" } else { "" }
    )
}

/// Compares two tokens in time that does not depend on where they differ.
pub fn same_token(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && !a.is_empty()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// A logged-in user and their session's CSRF token.
#[derive(Debug, Clone)]
pub struct Authed {
    pub user: User,
    pub csrf: String,
    /// The session's key in the database.
    pub key: String,
}

impl Authed {
    pub fn is_admin(&self) -> bool {
        self.user.role == Role::Admin
    }

    /// Refuses anyone but an admin.
    pub fn admin(&self) -> Result<(), WebError> {
        if self.is_admin() {
            Ok(())
        } else {
            Err(WebError::Forbidden(
                "only an administrator may do this".into(),
            ))
        }
    }
}

/// Without a live session: a page redirects to the login form, anything else is refused.
pub struct NotLoggedIn {
    method: Method,
    target: String,
}

impl IntoResponse for NotLoggedIn {
    fn into_response(self) -> Response {
        if self.method == Method::GET || self.method == Method::HEAD {
            let next = super::url_encode(&self.target);
            Redirect::to(&format!("/login?next={next}")).into_response()
        } else {
            WebError::Forbidden("you are not logged in, or your session has ended".into())
                .into_response()
        }
    }
}

impl FromRequestParts<State> for Authed {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, s: &State) -> Result<Self, Self::Rejection> {
        let refuse = || {
            NotLoggedIn {
                method: parts.method.clone(),
                target: parts
                    .uri
                    .path_and_query()
                    .map_or("/", |p| p.as_str())
                    .to_string(),
            }
            .into_response()
        };
        let Some(value) = cookie(&parts.headers, SESSION_COOKIE) else {
            return Err(refuse());
        };
        let key = session_key(value);
        match s.app.store.session(&key, s.app.clock.now()).await {
            Ok(Some(session)) => Ok(Authed {
                user: session.user,
                csrf: session.csrf_token,
                key,
            }),
            Ok(None) => Err(refuse()),
            Err(e) => Err(WebError::from(e).into_response()),
        }
    }
}

/// A form posted by a logged-in user whose CSRF token matches their session's. Every
/// POST handler behind the login takes one, so none can forget the check.
pub struct Posted<T> {
    pub auth: Authed,
    pub form: T,
}

#[derive(serde::Deserialize)]
struct CsrfField {
    #[serde(default)]
    csrf: String,
}

impl<T: DeserializeOwned> FromRequest<State> for Posted<T> {
    type Rejection = Response;

    async fn from_request(req: Request, s: &State) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = req.into_parts();
        let auth = Authed::from_request_parts(&mut parts, s).await?;
        let bytes = Bytes::from_request(Request::from_parts(parts, body), s)
            .await
            .map_err(IntoResponse::into_response)?;
        let token: CsrfField = serde_urlencoded::from_bytes(&bytes).map_err(|e| {
            WebError::BadRequest(format!("the form cannot be read: {e}")).into_response()
        })?;
        if !same_token(&token.csrf, &auth.csrf) {
            return Err(WebError::Forbidden(
                "the form's security token is missing or out of date; reload the page and try again"
                    .into(),
            )
            .into_response());
        }
        let form = serde_urlencoded::from_bytes(&bytes).map_err(|e| {
            WebError::BadRequest(format!("the form cannot be read: {e}")).into_response()
        })?;
        Ok(Posted { auth, form })
    }
}

/// Failed logins per user name and client address together, and per client address, in
/// a sliding window. They slow the next answers down; they never refuse one.
#[derive(Default)]
pub struct Limiter {
    failures: Mutex<HashMap<String, VecDeque<Instant>>>,
}

/// How long failed attempts count.
pub const WINDOW: Duration = Duration::from_secs(15 * 60);
/// Failed attempts for one name from one address that cost no wait.
pub const FREE_PER_NAME: usize = 5;
/// Failed attempts from one address (any names) that cost no wait.
pub const FREE_PER_ADDRESS: usize = 20;
/// The longest wait before an answer.
pub const MAX_DELAY: Duration = Duration::from_secs(60);

impl Limiter {
    /// How long to wait before checking another attempt for `name` from `address`: nothing
    /// for the first few failures, then a second, doubling with each failure up to a
    /// minute. Never a refusal: a correct password always logs in, at worst late, so
    /// nobody can lock an expert out by typing their name. The attempt is counted as a
    /// failure at once, under the same lock, so that parallel requests each wait their
    /// turn; [`Limiter::succeeded`] takes it back.
    pub fn attempt(&self, name: &str, address: &str, now: Instant) -> Duration {
        let mut map = self.lock();
        let keys = [pair_key(name, address), address_key(address)];
        let free = [FREE_PER_NAME, FREE_PER_ADDRESS];
        let mut excess = 0;
        for (key, free) in keys.iter().zip(free) {
            if let Some(q) = map.get_mut(key) {
                while q.front().is_some_and(|t| now.duration_since(*t) >= WINDOW) {
                    q.pop_front();
                }
                excess = excess.max((q.len() + 1).saturating_sub(free));
            }
        }
        // Forget quiet keys so the map cannot grow without bound.
        if map.len() > 10_000 {
            map.retain(|_, q| q.back().is_some_and(|t| now.duration_since(*t) < WINDOW));
        }
        for key in keys {
            map.entry(key).or_default().push_back(now);
        }
        delay(excess)
    }

    /// The attempt for `name` from `address` succeeded: the pair starts afresh, and the
    /// address loses the failure [`Limiter::attempt`] counted in advance.
    pub fn succeeded(&self, name: &str, address: &str) {
        let mut map = self.lock();
        map.remove(&pair_key(name, address));
        if let Some(q) = map.get_mut(&address_key(address)) {
            q.pop_back();
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, VecDeque<Instant>>> {
        // A panic while holding it leaves counts, not broken invariants.
        self.failures
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The wait for an attempt `excess` past the free ones: 0, then 1 s, 2 s, 4 s … 60 s.
fn delay(excess: usize) -> Duration {
    match excess {
        0 => Duration::ZERO,
        n => Duration::from_secs(1u64 << (n - 1).min(6)).min(MAX_DELAY),
    }
}

/// The `X-Forwarded-For` header of a request, if it has one (believed only through
/// [`client_address`]).
pub fn forwarded_for(headers: &HeaderMap) -> Option<&str> {
    headers.get("x-forwarded-for").and_then(|v| v.to_str().ok())
}

/// The client's address: the peer's, unless the peer is a trusted reverse proxy, whose
/// X-Forwarded-For is then read from the right, past the trusted proxies it lists, to
/// the first address that is not one (the leftmost entries are the client's to write).
pub fn client_address(
    peer: std::net::IpAddr,
    forwarded_for: Option<&str>,
    trusted: &[crate::settings::Cidr],
) -> std::net::IpAddr {
    let is_trusted = |ip: std::net::IpAddr| trusted.iter().any(|c| c.contains(ip));
    if !is_trusted(peer) {
        return peer;
    }
    let mut client = peer;
    for hop in forwarded_for.unwrap_or("").rsplit(',') {
        let Ok(ip) = hop.trim().parse::<std::net::IpAddr>() else {
            break;
        };
        client = ip;
        if !is_trusted(ip) {
            break;
        }
    }
    client
}

fn pair_key(name: &str, address: &str) -> String {
    format!("name:{}|{}", name.to_lowercase(), address_key(address))
}

/// One key per IPv4 address, and per /64 for IPv6: a single host commonly holds a whole
/// /64, and counting its addresses one by one would be no limit at all.
fn address_key(address: &str) -> String {
    match address.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V6(v6)) if v6.to_ipv4_mapped().is_none() => {
            let s = v6.segments();
            format!("addr:{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
        Ok(std::net::IpAddr::V6(v6)) => format!("addr:{}", v6.to_canonical()),
        _ => format!("addr:{address}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_and_verify() {
        let h = hash_password("correct horse").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct horse", Some(&h)));
        assert!(!verify_password("wrong", Some(&h)));
        assert!(!verify_password("correct horse", None));
        assert!(!verify_password("x", Some("not a hash")));
        assert!(hash_password("").is_err());
        // Two hashes of one password differ by their salt.
        assert_ne!(h, hash_password("correct horse").unwrap());
    }

    #[test]
    fn a_hash_stored_by_an_earlier_version_still_verifies() {
        // Made by needsd with argon2 0.6 (`users add`), before it moved to argon2 0.5.
        let stored = "$argon2id$v=19$m=19456,t=2,p=1$bFRFHmzZI3ItTQYHUa5DSA$nfkn86LUyiUBekowluTeuno0rH6HwdLkXjHpZdKWsmQ";
        assert!(verify_password("correct horse battery", Some(stored)));
        assert!(!verify_password("correct horse", Some(stored)));
    }

    #[test]
    fn users_are_checked_as_typed() {
        assert_eq!(
            check_user(" ann.o-b_1@un ", "admin"),
            Ok(("ann.o-b_1@un".into(), Role::Admin))
        );
        assert_eq!(
            check_user("bob smith", "expert"),
            Err(UserError::Name("bob smith".into()))
        );
        assert_eq!(
            check_user("", "expert"),
            Err(UserError::Name(String::new()))
        );
        assert_eq!(
            check_user("bob", "owner"),
            Err(UserError::Role("owner".into()))
        );
        assert_eq!(check_password("0123456789"), Ok(()));
        assert_eq!(check_password("ééééééééé"), Err(UserError::Password));
    }

    #[test]
    fn failed_logins_slow_down_and_never_lock_out() {
        let l = Limiter::default();
        let t0 = Instant::now();
        for _ in 0..FREE_PER_NAME {
            assert_eq!(l.attempt("Ann", "192.0.2.1", t0), Duration::ZERO);
        }
        // Then each failure waits longer, up to a minute; the answer still comes.
        let waits: Vec<u64> = (0..9)
            .map(|_| l.attempt("ANN", "192.0.2.1", t0).as_secs())
            .collect();
        assert_eq!(waits, [1, 2, 4, 8, 16, 32, 60, 60, 60]);
        // Ann from her own address is not slowed by a stranger guessing her name.
        assert_eq!(l.attempt("ann", "198.51.100.7", t0), Duration::ZERO);
        assert_eq!(
            l.attempt("bob", "192.0.2.1", t0),
            Duration::ZERO,
            "other names"
        );
        assert_eq!(
            l.attempt("ann", "192.0.2.1", t0 + WINDOW),
            Duration::ZERO,
            "the window passes"
        );
        l.succeeded("ann", "192.0.2.1");
        assert_eq!(l.attempt("ann", "192.0.2.1", t0), Duration::ZERO);
    }

    #[test]
    fn a_forwarded_address_is_believed_only_from_a_trusted_proxy() {
        let proxies = [crate::settings::Cidr::parse("127.0.0.1").unwrap()];
        let ip = |s: &str| s.parse::<std::net::IpAddr>().unwrap();
        let from = |peer: &str, xff: Option<&str>| client_address(ip(peer), xff, &proxies);
        assert_eq!(from("127.0.0.1", Some("203.0.113.9")), ip("203.0.113.9"));
        // The client may write anything on the left; the proxy appends the real peer.
        assert_eq!(
            from("127.0.0.1", Some("10.9.9.9, 203.0.113.9")),
            ip("203.0.113.9")
        );
        assert_eq!(
            from("198.51.100.4", Some("203.0.113.9")),
            ip("198.51.100.4")
        );
        assert_eq!(from("127.0.0.1", None), ip("127.0.0.1"));
        assert_eq!(from("127.0.0.1", Some("garbage")), ip("127.0.0.1"));
        assert_eq!(
            client_address(ip("127.0.0.1"), Some("203.0.113.9"), &[]),
            ip("127.0.0.1")
        );
    }

    #[test]
    fn the_limiter_counts_an_address_and_its_ipv6_neighbours() {
        let l = Limiter::default();
        let t0 = Instant::now();
        for i in 0..FREE_PER_ADDRESS {
            let wait = l.attempt(&format!("user{i}"), &format!("2001:db8::{i:x}"), t0);
            assert_eq!(wait, Duration::ZERO);
        }
        assert!(
            !l.attempt("someone", "2001:db8::ffff", t0).is_zero(),
            "the /64 waits"
        );
        assert!(
            l.attempt("someone", "2001:db8:0:1::1", t0).is_zero(),
            "the next /64 does not"
        );
        // A success gives back the failure counted in advance, one per success.
        let l = Limiter::default();
        for i in 0..FREE_PER_ADDRESS * 2 {
            let name = format!("user{i}");
            assert!(l.attempt(&name, "10.0.0.1", t0).is_zero());
            l.succeeded(&name, "10.0.0.1");
        }
    }

    #[test]
    fn cookies_are_found_and_tokens_compared() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            "a=1; needsd_session=abc; b=2".parse().unwrap(),
        );
        assert_eq!(cookie(&h, SESSION_COOKIE), Some("abc"));
        assert_eq!(cookie(&h, "c"), None);
        assert!(same_token("abc", "abc"));
        assert!(!same_token("abc", "abd"));
        assert!(!same_token("", ""));
    }
}
