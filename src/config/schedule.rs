//! `[schedule]`: when each monthly job runs, in the operators' time zone.

use chrono_tz::Tz;
use serde::Deserialize;

use super::value;
use crate::schedule::{CronSpec, Job, Timetable};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ScheduleConfig {
    #[serde(deserialize_with = "value::zone")]
    pub timezone: Tz,
    pub dispatch: CronSpec,
    pub reminders: Vec<CronSpec>,
    #[serde(deserialize_with = "deadline_day")]
    pub deadline_day: u32,
    pub deadline_alert: CronSpec,
    pub digest: CronSpec,
    /// When one-off deadlines (`needsd deadline add`) are checked for today's alerts.
    pub deadlines: CronSpec,
    /// When the experts are alerted, two days before the next dispatch, that changes
    /// still await a decision (checked at each firing; sent only on that day).
    pub review_alert: CronSpec,
    /// When the inbox is looked at where IMAP IDLE does not tell of new mail at once
    /// (a Maildir, a server without IDLE); an IDLE is renewed at each.
    pub inbox_poll: CronSpec,
}

fn deadline_day<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    let day = value::within(
        d,
        1,
        28,
        "must be a day between 1 and 28, so that every month has it",
    )?;
    // At most 28.
    Ok(day as u32)
}

impl Default for ScheduleConfig {
    fn default() -> Self {
        // The texts are constants that `cron_defaults_parse` below reads.
        let cron = |s: &str| CronSpec::parse(s).unwrap_or_else(|why| unreachable!("{s}: {why}"));
        Self {
            timezone: chrono_tz::America::New_York,
            dispatch: cron("0 0 9 1 * *"),
            reminders: vec![cron("0 0 9 8 * *"), cron("0 0 9 13 * *")],
            deadline_day: 15,
            deadline_alert: cron("0 0 9 15 * *"),
            digest: cron("0 0 9 16 * *"),
            deadlines: cron("0 0 9 * * *"),
            review_alert: cron("0 0 9 * * *"),
            inbox_poll: cron("0 * * * * *"),
        }
    }
}

impl ScheduleConfig {
    /// Every scheduled job with its schedule, for the scheduler.
    pub fn timetable(&self) -> Timetable {
        let mut jobs = vec![(Job::Dispatch, self.dispatch.clone())];
        jobs.extend(self.reminders.iter().map(|r| (Job::Reminder, r.clone())));
        jobs.push((Job::DeadlineAlert, self.deadline_alert.clone()));
        jobs.push((Job::Digest, self.digest.clone()));
        jobs.push((Job::Deadlines, self.deadlines.clone()));
        jobs.push((Job::ReviewAlert, self.review_alert.clone()));
        Timetable {
            timezone: self.timezone,
            jobs,
        }
    }

    /// How long until the next look at the inbox.
    pub fn until_poll(&self, now: chrono::DateTime<chrono::Utc>) -> std::time::Duration {
        self.inbox_poll
            .next_after(now, self.timezone)
            .and_then(|t| (t - now).to_std().ok())
            .unwrap_or(std::time::Duration::from_secs(60))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn cron_defaults_parse() {
        let s = super::ScheduleConfig::default();
        assert_eq!(s.dispatch.to_string(), "0 0 9 1 * *");
        assert_eq!(s.reminders.len(), 2);
    }
}
