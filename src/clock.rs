//! The only place that reads the time. Everything else takes a [`Clock`], so tests can
//! run a whole month in seconds.

use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, Utc};

/// A future a clock returns.
pub type Wait<'a> = Pin<Box<dyn Future<Output = ()> + Send + 'a>>;

pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;

    /// Resolves once the clock reads `t` or later.
    fn sleep_until(&self, t: DateTime<Utc>) -> Wait<'_>;
}

/// The system clock.
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        #[expect(
            clippy::disallowed_methods,
            reason = "the one sanctioned reader of the system time"
        )]
        Utc::now()
    }

    /// Sleeps in steps of at most a minute, so a system time set forward or back (NTP, a
    /// suspended VM) is noticed within a minute.
    fn sleep_until(&self, t: DateTime<Utc>) -> Wait<'_> {
        Box::pin(async move {
            loop {
                let left = t - self.now();
                if left <= chrono::TimeDelta::zero() {
                    return;
                }
                let step = left
                    .to_std()
                    .unwrap_or_default()
                    .min(Duration::from_secs(60));
                tokio::time::sleep(step).await;
            }
        })
    }
}

/// A clock that stands still until a test (or the demo) moves it.
pub struct TestClock {
    at: Mutex<DateTime<Utc>>,
    moved: tokio::sync::Notify,
}

impl TestClock {
    pub fn new(at: DateTime<Utc>) -> Self {
        Self {
            at: Mutex::new(at),
            moved: tokio::sync::Notify::new(),
        }
    }
    pub fn set(&self, at: DateTime<Utc>) {
        *self.at.lock().unwrap_or_else(|p| p.into_inner()) = at;
        self.moved.notify_waiters();
    }
}

impl Clock for TestClock {
    fn now(&self) -> DateTime<Utc> {
        *self.at.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn sleep_until(&self, t: DateTime<Utc>) -> Wait<'_> {
        Box::pin(async move {
            loop {
                // Listen before looking, so a move in between is not missed.
                let moved = self.moved.notified();
                tokio::pin!(moved);
                moved.as_mut().enable();
                if self.now() >= t {
                    return;
                }
                moved.await;
            }
        })
    }
}

/// A time as the database stores it: RFC 3339 in UTC, whole seconds, so that text order
/// is time order on every backend.
pub fn db_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// A time the database holds, read back: RFC 3339 text as SQLite keeps it, or a
/// timestamptz as PostgreSQL writes one as text (`2026-12-01 09:00:00+00`, fractions of
/// a second allowed); `None` for anything else.
pub fn from_db_time(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .or_else(|_| DateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f%#z"))
        .ok()
        .map(|t| t.with_timezone(&Utc))
}
