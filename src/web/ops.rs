//! Operations endpoints, without login: `/healthz` and Prometheus `/metrics`, answered
//! to this machine or with the operations bearer token.

use std::fmt::Write as _;
use std::sync::atomic::Ordering;

use axum::extract::{ConnectInfo, FromRequestParts, State as Extract};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::State;

/// A request the operations endpoints may answer: from this machine, or with the bearer
/// token `web.ops_token_env` names. What the metrics tell (how many replies, who is
/// bouncing, when the inbox was last read) is not for anyone who can reach the port.
/// Behind a reverse proxy listed in `web.trusted_proxies`, "this machine" is judged by
/// the client the proxy names, as for logins, not by the proxy's own loopback address.
pub struct Ops;

impl FromRequestParts<State> for Ops {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, s: &State) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<std::net::SocketAddr>>()
            .map(|c| c.0.ip())
            .ok_or_else(refused)?;
        let client = ops_client(
            peer,
            super::auth::forwarded_for(&parts.headers),
            parts.headers.contains_key(header::FORWARDED),
            &s.app.cfg.web.trusted_proxies,
        );
        let authorization = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok());
        let token = s.app.cfg.web.ops_token.as_ref().map(|t| t.expose());
        if ops_allowed(client, token, authorization) {
            Ok(Ops)
        } else {
            Err(refused())
        }
    }
}

/// Who asks, for [`Ops`]: the client a trusted proxy names, the peer itself, or nobody
/// from this machine when a proxy that is not trusted relays the request (it carries
/// `X-Forwarded-For` or `Forwarded`): a reverse proxy on this machine left out of
/// `web.trusted_proxies` would otherwise make every outside request look local.
fn ops_client(
    peer: std::net::IpAddr,
    forwarded_for: Option<&str>,
    forwarded: bool,
    proxies: &[crate::settings::Cidr],
) -> std::net::IpAddr {
    let relayed = forwarded_for.is_some() || forwarded;
    if relayed && !proxies.iter().any(|p| p.contains(peer)) {
        return std::net::IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED);
    }
    super::auth::client_address(peer, forwarded_for, proxies)
}

/// The rule of [`Ops`], over plain values.
fn ops_allowed(client: std::net::IpAddr, token: Option<&str>, authorization: Option<&str>) -> bool {
    if client.is_loopback() {
        return true;
    }
    let (Some(token), Some(given)) = (token, authorization.and_then(|a| a.strip_prefix("Bearer ")))
    else {
        return false;
    };
    // Compared as digests, so the time taken says nothing about the token.
    use sha2::{Digest, Sha256};
    !given.is_empty() && Sha256::digest(given) == Sha256::digest(token)
}

fn refused() -> Response {
    (
        StatusCode::FORBIDDEN,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        "only from this machine, or with the operations token\n",
    )
        .into_response()
}

fn unavailable(e: &dyn std::fmt::Display) -> Response {
    // The cause is for the operator's log, not for whoever asked.
    tracing::warn!("the database does not answer: {e}");
    (
        StatusCode::SERVICE_UNAVAILABLE,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        "database unavailable\n",
    )
        .into_response()
}

/// `ok` (200) whenever the database answers, then who leads (`leader: this daemon`, or
/// the one that does and when it last renewed its lead) and a line per daemon task
/// (`scheduler: running`, or `sender: restarting, 2 restarts`); `database unavailable`
/// (503) when the database does not answer.
pub async fn healthz(_: Ops, Extract(s): Extract<State>) -> Response {
    if let Err(e) = s.app.store.ping().await {
        return unavailable(&e);
    }
    let mut body = String::from("ok\n");
    if s.health.leading.load(Ordering::Relaxed) {
        body.push_str("leader: this daemon\n");
    } else {
        match s.app.store.leader().await {
            Ok(Some(l)) => {
                let renewed = l.renewed_at.map(crate::clock::db_time).unwrap_or_default();
                let _ = writeln!(
                    body,
                    "leader: {} (web on {}), renewed {renewed}",
                    l.owner,
                    l.listen.as_deref().unwrap_or("?")
                );
            }
            Ok(None) => body.push_str("leader: none yet\n"),
            Err(e) => return unavailable(&e),
        }
    }
    for (name, t) in s.health.tasks() {
        let state = if t.running { "running" } else { "restarting" };
        let _ = match t.restarts {
            0 => writeln!(body, "{name}: {state}"),
            1 => writeln!(body, "{name}: {state}, 1 restart"),
            n => writeln!(body, "{name}: {state}, {n} restarts"),
        };
    }
    ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], body).into_response()
}

/// Prometheus text format.
pub async fn metrics(_: Ops, Extract(s): Extract<State>) -> Response {
    let g = match s.app.store.gauges().await {
        Ok(g) => g,
        Err(e) => return unavailable(&e),
    };
    let leader = match s.app.store.leader().await {
        Ok(l) => l,
        Err(e) => return unavailable(&e),
    };
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        exposition(&all_metrics(&g, &s.health, leader.as_ref())),
    )
        .into_response()
}

/// One metric: its name, type, help, and samples (label set, value).
struct Metric {
    name: &'static str,
    kind: &'static str,
    help: &'static str,
    samples: Vec<(String, i64)>,
}

/// Every metric, from the store's gauges, the daemon's health and the leader the
/// database records.
fn all_metrics(
    g: &crate::store::jobs::Gauges,
    h: &crate::health::Health,
    leader: Option<&crate::store::leader::Leader>,
) -> Vec<Metric> {
    let one = |v: i64| vec![(String::new(), v)];
    let counter = |a: &std::sync::atomic::AtomicU64| one(a.load(Ordering::Relaxed) as i64);
    let labelled = |key: &str, pairs: &[(String, i64)]| -> Vec<(String, i64)> {
        pairs
            .iter()
            .map(|(l, v)| (format!("{{{key}=\"{}\"}}", escape_label(l)), *v))
            .collect()
    };
    let outbox = |k: &str| g.outbox.iter().find(|(s, _)| s == k).map_or(0, |(_, v)| *v);
    let metric = |name, kind, help, samples| Metric {
        name,
        kind,
        help,
        samples,
    };
    vec![
        metric(
            "needsd_messages_sent_total",
            "counter",
            "Outbound messages the server accepted.",
            one(outbox("sent")),
        ),
        metric(
            "needsd_messages_failed_total",
            "counter",
            "Outbound messages refused for good.",
            one(outbox("failed")),
        ),
        metric(
            "needsd_outbox_messages",
            "gauge",
            "Outbound messages by state.",
            labelled("state", &g.outbox),
        ),
        metric(
            "needsd_replies_ingested_total",
            "counter",
            "Inbound messages stored, by classification.",
            labelled("classification", &g.inbox),
        ),
        metric(
            "needsd_submissions_pending",
            "gauge",
            "Submissions awaiting an expert's review.",
            one(g.submissions_pending),
        ),
        metric(
            "needsd_submissions_quarantined",
            "gauge",
            "Submissions waiting for their sender to be accepted.",
            one(g.submissions_quarantined),
        ),
        metric(
            "needsd_last_successful_poll_timestamp_seconds",
            "gauge",
            "When the inbox was last read without error (0: not yet).",
            one(h.last_poll.load(Ordering::Relaxed)),
        ),
        metric(
            "needsd_inbox_polls_total",
            "counter",
            "Inbox passes that worked.",
            counter(&h.polls),
        ),
        metric(
            "needsd_jobs_total",
            "counter",
            "Scheduled job runs, by outcome.",
            vec![
                (
                    "{outcome=\"ok\"}".into(),
                    h.jobs_ok.load(Ordering::Relaxed) as i64,
                ),
                (
                    "{outcome=\"failed\"}".into(),
                    h.jobs_failed.load(Ordering::Relaxed) as i64,
                ),
            ],
        ),
        metric(
            "needsd_scheduler_passes_total",
            "counter",
            "Looks of the scheduler that ran every due job (or found it already run).",
            counter(&h.scheduler_passes),
        ),
        metric(
            "needsd_task_restarts_total",
            "counter",
            "Times a daemon task stopped unexpectedly and was started again.",
            h.tasks()
                .iter()
                .map(|(name, t)| (format!("{{task=\"{name}\"}}"), t.restarts as i64))
                .collect(),
        ),
        metric(
            "needsd_start_timestamp_seconds",
            "gauge",
            "When this daemon started.",
            one(h.started.load(Ordering::Relaxed)),
        ),
        metric(
            "needsd_leading",
            "gauge",
            "1 while this daemon runs the scheduler, the inbox watcher and the sender.",
            one(i64::from(h.leading.load(Ordering::Relaxed))),
        ),
        metric(
            "needsd_lead_taken_total",
            "counter",
            "Times this daemon took the lead (PostgreSQL).",
            counter(&h.lead_taken),
        ),
        metric(
            "needsd_leader_renewed_timestamp_seconds",
            "gauge",
            "When the leading daemon, named by its labels, last renewed its lead.",
            leader
                .map(|l| {
                    let labels = format!(
                        "{{owner=\"{}\",listen=\"{}\"}}",
                        escape_label(&l.owner),
                        escape_label(l.listen.as_deref().unwrap_or(""))
                    );
                    vec![(labels, l.renewed_at.unwrap_or(l.since).timestamp())]
                })
                .unwrap_or_default(),
        ),
    ]
}

/// The Prometheus text exposition of every metric with its samples.
fn exposition(metrics: &[Metric]) -> String {
    let mut out = String::new();
    for m in metrics {
        let _ = writeln!(
            out,
            "# HELP {} {}\n# TYPE {} {}",
            m.name, m.help, m.name, m.kind
        );
        for (labels, v) in &m.samples {
            let _ = writeln!(out, "{}{labels} {v}", m.name);
        }
    }
    out
}

/// A Prometheus label value: backslash, quote and newline escaped.
fn escape_label(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod ops_tests {
    use super::{ops_allowed, ops_client};

    #[test]
    fn operations_answer_this_machine_or_the_token() {
        let here: std::net::IpAddr = "127.0.0.1".parse().unwrap();
        let here6: std::net::IpAddr = "::1".parse().unwrap();
        let away: std::net::IpAddr = "192.0.2.7".parse().unwrap();
        assert!(ops_allowed(here, None, None));
        assert!(ops_allowed(here6, None, None));
        assert!(!ops_allowed(away, None, None));
        assert!(!ops_allowed(away, None, Some("Bearer anything")));
        assert!(!ops_allowed(away, Some("s3cret"), None));
        assert!(!ops_allowed(away, Some("s3cret"), Some("Bearer wrong")));
        assert!(
            !ops_allowed(away, Some("s3cret"), Some("s3cret")),
            "not a bearer token"
        );
        assert!(ops_allowed(away, Some("s3cret"), Some("Bearer s3cret")));
        // Through a trusted proxy on this machine, the client it names is judged.
        let proxy = [crate::settings::Cidr::parse("127.0.0.1").unwrap()];
        let via = |xff| ops_client(here, Some(xff), false, &proxy);
        assert!(!ops_allowed(via("192.0.2.7"), None, None));
        assert!(ops_allowed(via("127.0.0.1"), None, None));
        // Through a proxy on this machine that is not trusted, nobody is local: whatever
        // it relays came from elsewhere, the token is needed.
        let untrusted = |xff, forwarded| ops_client(here, xff, forwarded, &[]);
        assert!(!ops_allowed(
            untrusted(Some("127.0.0.1"), false),
            None,
            None
        ));
        assert!(!ops_allowed(untrusted(None, true), None, None));
        assert!(ops_allowed(untrusted(None, false), None, None));
        assert!(ops_allowed(
            untrusted(Some("192.0.2.7"), false),
            Some("s3cret"),
            Some("Bearer s3cret")
        ));
    }
}
