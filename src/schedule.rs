//! Schedule arithmetic: cron expressions in a time zone, as pure functions.
//!
//! The `cron` crate wants a seconds field and counts day-of-week 1–7 from Sunday. Operators
//! know the 5-field crontab form with 0–7 (0 and 7 = Sunday), so [`CronSpec::parse`] takes
//! both and translates the crontab form, keeping the text the operator wrote for messages.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, TimeZone, Utc};
use chrono_tz::Tz;

/// A parsed cron expression.
#[derive(Clone)]
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
}
