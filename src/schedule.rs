//! Schedule arithmetic: cron expressions in a time zone, as pure functions.
//!
//! The `cron` crate wants a seconds field and counts day-of-week 1–7 from Sunday. Operators
//! know the 5-field crontab form with 0–7 (0 and 7 = Sunday), so [`CronSpec::parse`] takes
//! both and translates the crontab form, keeping the text the operator wrote for messages.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, TimeZone, Utc};
use chrono_tz::Tz;

/// A parsed cron expression. Read from a configuration file through [`CronSpec::parse`].
#[derive(Clone, serde::Deserialize)]
#[serde(try_from = "String")]
pub struct CronSpec {
    written: String,
    schedule: cron::Schedule,
}

impl fmt::Debug for CronSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CronSpec({:?})", self.written)
    }
}

impl fmt::Display for CronSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.written)
    }
}

impl TryFrom<String> for CronSpec {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        Self::parse(&s)
    }
}

impl CronSpec {
    /// Parses a 6- or 7-field cron expression (seconds first, day-of-week 1–7 from Sunday or
    /// names), a 5-field crontab expression (day-of-week 0–7, 0 and 7 = Sunday), or a
    /// shorthand such as `@daily`.
    pub fn parse(s: &str) -> Result<Self, String> {
        let written = s.trim().to_string();
        let fields: Vec<&str> = written.split_whitespace().collect();
        let expr = match fields.len() {
            _ if written.starts_with('@') => written.clone(),
            5 => {
                let dow = crontab_dow_to_cron(fields[4])?;
                format!(
                    "0 {} {} {} {} {}",
                    fields[0], fields[1], fields[2], fields[3], dow
                )
            }
            6 | 7 => written.clone(),
            n => {
                return Err(format!(
                    "has {n} fields; write 6 (seconds minutes hours day month weekday) or the 5-field crontab form"
                ));
            }
        };
        let schedule = cron::Schedule::from_str(&expr).map_err(|e| {
            // The crate's message repeats the expression with a caret line; keep the reason.
            let msg = e.to_string();
            let why = msg
                .lines()
                .last()
                .unwrap_or_default()
                .trim()
                .trim_matches(|c| c == '(' || c == ')')
                .to_string();
            format!("is not a cron expression: {why}")
        })?;
        if schedule.upcoming(Utc).next().is_none() {
            return Err("never fires".into());
        }
        Ok(Self { written, schedule })
    }

    /// The first time strictly after `after` at which this schedule fires, evaluated in `tz`.
    pub fn next_after(&self, after: DateTime<Utc>, tz: Tz) -> Option<DateTime<Utc>> {
        let local = tz.from_utc_datetime(&after.naive_utc());
        self.schedule
            .after(&local)
            .next()
            .map(|t| t.with_timezone(&Utc))
    }
}

/// A job the scheduler runs. Its name keys `job_runs`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Job {
    /// The circulation on the 1st.
    Dispatch,
    /// A reminder to those who have not answered.
    Reminder,
    /// "Today is the deadline" to those who still have not answered.
    DeadlineAlert,
    /// The summary for the experts after the deadline.
    Digest,
    /// Alerts of one-off deadlines (the `deadlines` table) due today.
    Deadlines,
    /// Two days before the next circulation: changes still await a decision.
    ReviewAlert,
}

impl Job {
    pub fn name(self) -> &'static str {
        match self {
            Job::Dispatch => "dispatch",
            Job::Reminder => "reminder",
            Job::DeadlineAlert => "deadline_alert",
            Job::Digest => "digest",
            Job::Deadlines => "deadlines",
            Job::ReviewAlert => "review_alert",
        }
    }
}

/// The schedules of every job, in one time zone.
#[derive(Debug, Clone)]
pub struct Timetable {
    pub timezone: Tz,
    pub jobs: Vec<(Job, CronSpec)>,
}

/// A job run that is due: the job and the time it was scheduled for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Due {
    pub job: Job,
    pub scheduled_for: DateTime<Utc>,
    /// The local wall-clock time it was scheduled for, `YYYY-MM-DDTHH:MM:SS`: the key of
    /// `job_runs`. An hour that happens twice when clocks go back gives one key, so the
    /// job runs once.
    pub key: String,
}

/// How far back the scheduler looks for a missed run: longer than any monthly gap.
const LOOKBACK_DAYS: u64 = 62;

impl Timetable {
    /// The latest time at or before `now` that `spec` fires, within the lookback.
    fn latest(&self, spec: &CronSpec, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let from = now.checked_sub_days(chrono::Days::new(LOOKBACK_DAYS))?;
        let local = self.timezone.from_utc_datetime(&from.naive_utc());
        spec.schedule
            .after(&local)
            .map(|t| t.with_timezone(&Utc))
            .take_while(|t| *t <= now)
            .last()
    }

    /// The runs due at `now`, before looking at which have already run: for each job its
    /// latest scheduled time, if running it now still makes sense. A dispatch counts
    /// until its cycle's deadline (`deadline_of`); reminders, alerts and one-off deadline
    /// alerts only on their own day; the digest always (its latest run, once).
    pub fn due(
        &self,
        now: DateTime<Utc>,
        deadline_of: impl Fn(crate::model::Cycle) -> DateTime<Utc>,
    ) -> Vec<Due> {
        let today = self
            .timezone
            .from_utc_datetime(&now.naive_utc())
            .date_naive();
        let mut due: Vec<Due> = Vec::new();
        for (job, spec) in &self.jobs {
            let Some(t) = self.latest(spec, now) else {
                continue;
            };
            let local = self
                .timezone
                .from_utc_datetime(&t.naive_utc())
                .naive_local();
            let keep = match job {
                Job::Dispatch => now <= deadline_of(crate::model::Cycle::of_date(local.date())),
                Job::Reminder | Job::DeadlineAlert | Job::Deadlines | Job::ReviewAlert => {
                    local.date() == today
                }
                Job::Digest => true,
            };
            let key = local.format("%Y-%m-%dT%H:%M:%S").to_string();
            if keep && !due.iter().any(|d| d.job == *job && d.key == key) {
                due.push(Due {
                    job: *job,
                    scheduled_for: t,
                    key,
                });
            }
        }
        due.sort_by_key(|d| (d.scheduled_for, d.job));
        due
    }

    /// The next time strictly after `now` that any job fires.
    pub fn next_after(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.jobs
            .iter()
            .filter_map(|(_, spec)| spec.next_after(now, self.timezone))
            .min()
    }
}

/// Translates a crontab day-of-week field (0–7, Sunday = 0 or 7) into the cron crate's
/// numbering (1–7, Sunday = 1). Names (`MON-FRI`) and `*` pass through unchanged.
fn crontab_dow_to_cron(field: &str) -> Result<String, String> {
    let shift = |n: &str| -> Result<u32, String> {
        match n.parse::<u32>() {
            Ok(v @ 0..=7) => Ok(v % 7 + 1),
            _ => Err(format!(
                "has day-of-week '{n}', which is not 0–7 or a day name"
            )),
        }
    };
    let is_num = |s: &str| s.bytes().all(|b| b.is_ascii_digit()) && !s.is_empty();
    let mut out = Vec::new();
    for item in field.split(',') {
        let (range, step) = match item.split_once('/') {
            Some((r, s)) => (r, Some(s)),
            None => (item, None),
        };
        let step = step.map(|s| format!("/{s}")).unwrap_or_default();
        match range.split_once('-') {
            Some((a, b)) if is_num(a) && is_num(b) => {
                let (a, b) = (shift(a)?, shift(b)?);
                if b >= a {
                    out.push(format!("{a}-{b}{step}"));
                } else if b == 1 && step.is_empty() {
                    // A range that ends on Sunday (7 in crontab): Sunday is 1 here.
                    out.push(if a == 7 {
                        "7".to_string()
                    } else {
                        format!("{a}-7")
                    });
                    out.push("1".to_string());
                } else {
                    return Err(format!(
                        "has day-of-week range '{range}' that runs backwards"
                    ));
                }
            }
            None if is_num(range) => out.push(format!("{}{step}", shift(range)?)),
            _ => out.push(item.to_string()),
        }
    }
    Ok(out.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .map(|d| d.with_timezone(&Utc))
            .unwrap()
    }

    #[test]
    fn six_and_five_field_forms_agree() {
        let tz: Tz = "America/New_York".parse().unwrap();
        let six = CronSpec::parse("0 0 9 1 * *").unwrap();
        let five = CronSpec::parse("0 9 1 * *").unwrap();
        let t = utc("2026-11-28T00:00:00Z");
        assert_eq!(six.next_after(t, tz), five.next_after(t, tz));
        assert_eq!(six.next_after(t, tz), Some(utc("2026-12-01T14:00:00Z")));
    }

    #[test]
    fn crontab_weekdays_are_translated() {
        assert_eq!(crontab_dow_to_cron("0").unwrap(), "1");
        assert_eq!(crontab_dow_to_cron("7").unwrap(), "1");
        assert_eq!(crontab_dow_to_cron("1-5").unwrap(), "2-6");
        assert_eq!(crontab_dow_to_cron("5-7").unwrap(), "6-7,1");
        assert_eq!(crontab_dow_to_cron("MON-FRI").unwrap(), "MON-FRI");
        assert_eq!(crontab_dow_to_cron("*").unwrap(), "*");
        assert!(crontab_dow_to_cron("8").is_err());
        // 2026-11-30 is a Monday: "every Monday at 9" in crontab form.
        let tz: Tz = "UTC".parse().unwrap();
        let monday = CronSpec::parse("0 9 * * 1").unwrap();
        assert_eq!(
            monday.next_after(utc("2026-11-28T00:00:00Z"), tz),
            Some(utc("2026-11-30T09:00:00Z"))
        );
    }

    #[test]
    fn bad_expressions_say_why() {
        assert!(CronSpec::parse("0 0 9 1").unwrap_err().contains("4 fields"));
        assert!(CronSpec::parse("0 0 25 1 * *").is_err());
        assert!(CronSpec::parse("every day").is_err());
    }

    fn default_timetable() -> Timetable {
        let spec = |s: &str| CronSpec::parse(s).unwrap();
        Timetable {
            timezone: "America/New_York".parse().unwrap(),
            jobs: vec![
                (Job::Dispatch, spec("0 0 9 1 * *")),
                (Job::Reminder, spec("0 0 9 8 * *")),
                (Job::Reminder, spec("0 0 9 13 * *")),
                (Job::DeadlineAlert, spec("0 0 9 15 * *")),
                (Job::Digest, spec("0 0 9 16 * *")),
                (Job::Deadlines, spec("0 0 9 * * *")),
            ],
        }
    }

    /// 23:59:59 New York time on the 15th (EST, UTC-5, in the months tested here).
    fn deadline(c: crate::model::Cycle) -> DateTime<Utc> {
        utc(&format!("{}T04:59:59Z", c.day(16)))
    }

    fn keys(due: &[Due]) -> Vec<(&'static str, &str)> {
        due.iter().map(|d| (d.job.name(), d.key.as_str())).collect()
    }

    #[test]
    fn on_the_eighth_the_reminder_and_the_cycle_still_open_are_due() {
        let t = default_timetable();
        let due = t.due(utc("2026-12-08T14:00:00Z"), deadline);
        assert_eq!(
            keys(&due),
            [
                ("digest", "2026-11-16T09:00:00"),
                ("dispatch", "2026-12-01T09:00:00"),
                ("reminder", "2026-12-08T09:00:00"),
                ("deadlines", "2026-12-08T09:00:00"),
            ]
        );
        // A minute before nine, today's runs are not due yet.
        let early = t.due(utc("2026-12-08T13:59:00Z"), deadline);
        assert!(
            early
                .iter()
                .all(|d| d.job != Job::Reminder && d.job != Job::Deadlines)
        );
    }

    #[test]
    fn a_missed_dispatch_is_due_until_the_deadline_and_reminders_only_on_their_day() {
        let t = default_timetable();
        // Down over the 1st and the 8th; back on the 9th.
        let due = t.due(utc("2026-12-09T15:00:00Z"), deadline);
        assert!(due.iter().any(|d| d.job == Job::Dispatch));
        assert!(due.iter().all(|d| d.job != Job::Reminder));
        // Back after the deadline: no circulation for that cycle any more.
        let late = t.due(utc("2026-12-16T05:00:00Z"), deadline);
        assert!(late.iter().all(|d| d.job != Job::Dispatch));
        // The digest of the 16th is due from nine, once (the caller keeps job_runs).
        let digest = t.due(utc("2026-12-20T12:00:00Z"), deadline);
        assert!(
            digest
                .iter()
                .any(|d| d.key == "2026-12-16T09:00:00" && d.job == Job::Digest)
        );
    }

    #[test]
    fn the_hour_that_happens_twice_gives_one_key() {
        // New York leaves daylight time at 02:00 on 1 November 2026: 01:30 happens twice.
        let t = Timetable {
            timezone: "America/New_York".parse().unwrap(),
            jobs: vec![(Job::Digest, CronSpec::parse("0 30 1 * * *").unwrap())],
        };
        let first = t.due(utc("2026-11-01T05:45:00Z"), deadline);
        let second = t.due(utc("2026-11-01T06:45:00Z"), deadline);
        assert_eq!(first[0].scheduled_for, utc("2026-11-01T05:30:00Z"));
        assert_eq!(second[0].scheduled_for, utc("2026-11-01T06:30:00Z"));
        assert_eq!(first[0].key, second[0].key);
        assert_eq!(first[0].key, "2026-11-01T01:30:00");
    }

    #[test]
    fn the_next_wake_up_is_the_earliest_job() {
        let t = default_timetable();
        assert_eq!(
            t.next_after(utc("2026-12-08T14:00:00Z")),
            Some(utc("2026-12-09T14:00:00Z"))
        );
        // Across the change to daylight time: nine o'clock is 13:00 UTC from 14 March.
        assert_eq!(
            t.next_after(utc("2027-03-13T14:00:00Z")),
            Some(utc("2027-03-14T13:00:00Z"))
        );
    }
}
