//! Operations endpoints, without login: `/healthz` and Prometheus `/metrics`.

use std::fmt::Write as _;
use std::sync::atomic::Ordering;

use axum::extract::State as Extract;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::State;

/// `ok` when the database answers; 503 with the reason when it does not.
pub async fn healthz(Extract(s): Extract<State>) -> Response {
    match s.store.ping().await {
        Ok(()) => (
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            "ok\n",
        )
            .into_response(),
        Err(e) => (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            format!("the database does not answer: {e}\n"),
        )
            .into_response(),
    }
}

/// Prometheus text format.
pub async fn metrics(Extract(s): Extract<State>) -> Response {
    let g = match s.store.gauges().await {
        Ok(g) => g,
        Err(e) => {
            return (
                StatusCode::SERVICE_UNAVAILABLE,
                format!("the database does not answer: {e}\n"),
            )
                .into_response();
        }
    };
    let h = &s.health;
    let mut out = String::new();
    let mut metric = |name: &str, kind: &str, help: &str, samples: &[(String, i64)]| {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
        for (labels, v) in samples {
            let _ = writeln!(out, "{name}{labels} {v}");
        }
    };
    let labelled = |key: &str, pairs: &[(String, i64)]| -> Vec<(String, i64)> {
        pairs
            .iter()
            .map(|(l, v)| (format!("{{{key}=\"{}\"}}", escape_label(l)), *v))
            .collect()
    };
    let count = |k: &str| g.outbox.iter().find(|(s, _)| s == k).map_or(0, |(_, v)| *v);
    metric(
        "needsd_messages_sent_total",
        "counter",
        "Outbound messages the server accepted.",
        &[(String::new(), count("sent"))],
    );
    metric(
        "needsd_messages_failed_total",
        "counter",
        "Outbound messages refused for good.",
        &[(String::new(), count("failed"))],
    );
    metric(
        "needsd_outbox_messages",
        "gauge",
        "Outbound messages by state.",
        &labelled("state", &g.outbox),
    );
    metric(
        "needsd_replies_ingested_total",
        "counter",
        "Inbound messages stored, by classification.",
        &labelled("classification", &g.inbox),
    );
    metric(
        "needsd_submissions_pending",
        "gauge",
        "Submissions awaiting an expert's review.",
        &[(String::new(), g.submissions_pending)],
    );
    metric(
        "needsd_submissions_quarantined",
        "gauge",
        "Submissions waiting for their sender to be accepted.",
        &[(String::new(), g.submissions_quarantined)],
    );
    let last = h.last_poll.load(Ordering::Relaxed);
    metric(
        "needsd_last_successful_poll_timestamp_seconds",
        "gauge",
        "When the inbox was last read without error (0: not yet).",
        &[(String::new(), last)],
    );
    metric(
        "needsd_inbox_polls_total",
        "counter",
        "Inbox passes that worked.",
        &[(String::new(), h.polls.load(Ordering::Relaxed) as i64)],
    );
    metric(
        "needsd_jobs_total",
        "counter",
        "Scheduled job runs, by outcome.",
        &[
            (
                "{outcome=\"ok\"}".into(),
                h.jobs_ok.load(Ordering::Relaxed) as i64,
            ),
            (
                "{outcome=\"failed\"}".into(),
                h.jobs_failed.load(Ordering::Relaxed) as i64,
            ),
        ],
    );
    metric(
        "needsd_start_timestamp_seconds",
        "gauge",
        "When this daemon started.",
        &[(String::new(), h.started.load(Ordering::Relaxed))],
    );
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        out,
    )
        .into_response()
}

/// A Prometheus label value: backslash, quote and newline escaped.
fn escape_label(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}
