//! needsd's words apart from their layout: one Project Fluent file per UN language
//! (`locales/{lang}.ftl`, compiled in), English the fallback for a message a language
//! lacks. An operator's folder of the same files takes precedence message by message,
//! and is checked when it is loaded: a message English does not have, or a variable its
//! English message does not take, is refused with the file and line. Plurals follow each
//! language's CLDR rules (Fluent's); dates are written from each file's month names and
//! `date` pattern, since Fluent has no date function. Pure but for reading the folder.

use std::collections::BTreeSet;
use std::path::Path;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use fluent_syntax::ast;
use thiserror::Error;

use crate::model::Language;

/// The built-in files, in the order of `Language::ALL`: the mail's words
/// (`locales/LL.ftl`) and the workbook's (`locales/workbook/LL.ftl`).
const EMBEDDED: [(Language, &str, &str); 6] = [
    (
        Language::En,
        include_str!("../locales/en.ftl"),
        include_str!("../locales/workbook/en.ftl"),
    ),
    (
        Language::Fr,
        include_str!("../locales/fr.ftl"),
        include_str!("../locales/workbook/fr.ftl"),
    ),
    (
        Language::Es,
        include_str!("../locales/es.ftl"),
        include_str!("../locales/workbook/es.ftl"),
    ),
    (
        Language::Ru,
        include_str!("../locales/ru.ftl"),
        include_str!("../locales/workbook/ru.ftl"),
    ),
    (
        Language::Zh,
        include_str!("../locales/zh.ftl"),
        include_str!("../locales/workbook/zh.ftl"),
    ),
    (
        Language::Ar,
        include_str!("../locales/ar.ftl"),
        include_str!("../locales/workbook/ar.ftl"),
    ),
];

/// The built-in messages of `lang`, mail's and workbook's, with their variables.
fn builtin(lang: Language) -> Vec<(String, BTreeSet<String>)> {
    let (_, mail, workbook) = EMBEDDED[index(lang)];
    [mail, workbook]
        .iter()
        .filter_map(|text| FluentResource::try_new(text.to_string()).ok())
        .flat_map(|r| messages(&r))
        .collect()
}

#[derive(Debug, Error, PartialEq)]
pub enum LocaleError {
    #[error("{file}, line {line}: {reason}")]
    Syntax {
        file: String,
        line: usize,
        reason: String,
    },
    #[error("{file}, line {line}: there is no message '{id}' to replace (check its spelling)")]
    UnknownMessage {
        file: String,
        line: usize,
        id: String,
    },
    #[error(
        "{file}, line {line}: message '{id}' uses the variable ${variable}, which it is never given (it takes {known})"
    )]
    UnknownVariable {
        file: String,
        line: usize,
        id: String,
        variable: String,
        known: String,
    },
    #[error("cannot read {file}: {reason}")]
    Read { file: String, reason: String },
    #[error("no message '{0}' in English either")]
    Missing(String),
    #[error("message '{id}' in {lang}: {reason}")]
    Format {
        id: String,
        lang: &'static str,
        reason: String,
    },
}

type Bundle = FluentBundle<FluentResource>;

/// The six languages' messages.
pub struct Locales {
    /// In the order of `Language::ALL`.
    bundles: Vec<Bundle>,
}

impl std::fmt::Debug for Locales {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Locales")
    }
}

fn index(lang: Language) -> usize {
    Language::ALL.iter().position(|l| *l == lang).unwrap_or(0)
}

fn line_of(text: &str, byte: usize) -> usize {
    text.get(..byte.min(text.len()))
        .map_or(1, |t| t.matches('\n').count() + 1)
}

/// The line where message `id` begins in `text`.
fn message_line(text: &str, id: &str) -> usize {
    text.lines()
        .position(|l| {
            l.strip_prefix(id)
                .is_some_and(|rest| rest.trim_start().starts_with('='))
        })
        .map_or(1, |i| i + 1)
}

fn parse(file: &str, text: String) -> Result<FluentResource, LocaleError> {
    FluentResource::try_new(text).map_err(|(resource, errors)| {
        let first = errors.first();
        LocaleError::Syntax {
            file: file.to_string(),
            line: first.map_or(1, |e| line_of(resource.source(), e.pos.start)),
            reason: first.map_or_else(
                || "not a Fluent file".to_string(),
                |e| format!("not valid Fluent ({})", e.kind),
            ),
        }
    })
}

fn bundle(lang: Language) -> Bundle {
    let id = lang
        .as_str()
        .parse()
        .unwrap_or_else(|_| unic_langid::LanguageIdentifier::default());
    let mut bundle = FluentBundle::new_concurrent(vec![id]);
    // Plain text: no Unicode isolation marks around what is inserted.
    bundle.set_use_isolating(false);
    bundle
}

/// The variables a message (its value and attributes) refers to.
fn variables(message: &ast::Message<&str>) -> BTreeSet<String> {
    fn walk_pattern(p: &ast::Pattern<&str>, out: &mut BTreeSet<String>) {
        for element in &p.elements {
            if let ast::PatternElement::Placeable { expression } = element {
                walk_expression(expression, out);
            }
        }
    }
    fn walk_inline(e: &ast::InlineExpression<&str>, out: &mut BTreeSet<String>) {
        match e {
            ast::InlineExpression::VariableReference { id } => {
                out.insert(id.name.to_string());
            }
            ast::InlineExpression::Placeable { expression } => walk_expression(expression, out),
            ast::InlineExpression::FunctionReference { arguments, .. }
            | ast::InlineExpression::TermReference {
                arguments: Some(arguments),
                ..
            } => {
                for a in &arguments.positional {
                    walk_inline(a, out);
                }
                for a in &arguments.named {
                    walk_inline(&a.value, out);
                }
            }
            _ => {}
        }
    }
    fn walk_expression(e: &ast::Expression<&str>, out: &mut BTreeSet<String>) {
        match e {
            ast::Expression::Inline(inline) => walk_inline(inline, out),
            ast::Expression::Select { selector, variants } => {
                walk_inline(selector, out);
                for v in variants {
                    walk_pattern(&v.value, out);
                }
            }
        }
    }
    let mut out = BTreeSet::new();
    if let Some(value) = &message.value {
        walk_pattern(value, &mut out);
    }
    for a in &message.attributes {
        walk_pattern(&a.value, &mut out);
    }
    out
}

/// Each message of a resource with the variables it refers to.
fn messages(resource: &FluentResource) -> Vec<(String, BTreeSet<String>)> {
    resource
        .entries()
        .filter_map(|e| match e {
            ast::Entry::Message(m) => Some((m.id.name.to_string(), variables(m))),
            _ => None,
        })
        .collect()
}

/// Variables a message is given that English happens not to use ("12月" needs the
/// month's number, "December" its name).
const GIVEN_UNUSED: &[(&str, &str)] = &[
    ("date", "monthnum"),
    ("day-month", "monthnum"),
    ("month-year", "monthnum"),
];

/// The built-in English messages and the variables each is given: what an override may
/// replace, and use.
fn english() -> Vec<(String, BTreeSet<String>)> {
    let mut messages = builtin(Language::En);
    for (id, variables) in &mut messages {
        variables.extend(
            GIVEN_UNUSED
                .iter()
                .filter(|(m, _)| m == id)
                .map(|(_, v)| v.to_string()),
        );
    }
    messages
}

/// Checks an operator's file against the built-in English: every message must replace
/// one that exists, with no variable its English message is not given.
fn check_override(
    file: &str,
    resource: &FluentResource,
    english: &[(String, BTreeSet<String>)],
) -> Result<(), LocaleError> {
    for (id, used) in messages(resource) {
        let line = message_line(resource.source(), &id);
        let Some((_, known)) = english.iter().find(|(e, _)| *e == id) else {
            return Err(LocaleError::UnknownMessage {
                file: file.to_string(),
                line,
                id,
            });
        };
        if let Some(variable) = used.difference(known).next() {
            return Err(LocaleError::UnknownVariable {
                file: file.to_string(),
                line,
                id: id.clone(),
                variable: variable.clone(),
                known: if known.is_empty() {
                    "none".to_string()
                } else {
                    known
                        .iter()
                        .map(|v| format!("${v}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                },
            });
        }
    }
    Ok(())
}

impl Locales {
    /// The built-in files.
    pub fn embedded() -> Result<Self, LocaleError> {
        Self::load(None)
    }

    /// The built-in files, with `dir/{lang}.ftl` taking precedence where it exists.
    pub fn load(dir: Option<&Path>) -> Result<Self, LocaleError> {
        let english = english();
        let mut bundles = Vec::with_capacity(EMBEDDED.len());
        for (lang, mail, workbook) in EMBEDDED {
            let mut bundle = bundle(lang);
            for (name, text) in [
                (format!("locales/{}.ftl", lang.as_str()), mail),
                (format!("locales/workbook/{}.ftl", lang.as_str()), workbook),
            ] {
                let name = format!("{name} (built in)");
                bundle
                    .add_resource(parse(&name, text.to_string())?)
                    .map_err(|errors| LocaleError::Syntax {
                        file: name.clone(),
                        line: 1,
                        reason: format!("{errors:?}"),
                    })?;
            }
            if let Some(dir) = dir {
                let path = dir.join(format!("{}.ftl", lang.as_str()));
                let file = path.display().to_string();
                match std::fs::read_to_string(&path) {
                    Ok(text) => {
                        let resource = parse(&file, text)?;
                        check_override(&file, &resource, &english)?;
                        bundle.add_resource_overriding(resource);
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => {
                        return Err(LocaleError::Read {
                            file,
                            reason: e.to_string(),
                        });
                    }
                }
            }
            bundles.push(bundle);
        }
        Ok(Self { bundles })
    }

    /// Message `id` in `lang` (or English), with `args`. A message that refers to a
    /// variable it is not given is an error, not a gap in the text.
    pub fn text(
        &self,
        lang: Language,
        id: &str,
        args: Option<&FluentArgs<'_>>,
    ) -> Result<String, LocaleError> {
        let own = &self.bundles[index(lang)];
        let (bundle, lang) = match own.get_message(id).and_then(|m| m.value()) {
            Some(_) => (own, lang),
            None => (&self.bundles[0], Language::En),
        };
        let pattern = bundle
            .get_message(id)
            .and_then(|m| m.value())
            .ok_or_else(|| LocaleError::Missing(id.to_string()))?;
        let mut errors = Vec::new();
        let text = bundle.format_pattern(pattern, args, &mut errors);
        match errors.first() {
            None => Ok(text.into_owned()),
            Some(e) => Err(LocaleError::Format {
                id: id.to_string(),
                lang: lang.as_str(),
                reason: e.to_string(),
            }),
        }
    }

    /// `year-month-day` written in `lang`: "15 December 2026", "15 декабря 2026 г.",
    /// "2026年12月15日".
    pub fn date(
        &self,
        lang: Language,
        year: i32,
        month: u32,
        day: u32,
    ) -> Result<String, LocaleError> {
        let mut args = self.day_args(lang, month, day)?;
        args.set("year", year);
        self.text(lang, "date", Some(&args))
    }

    /// A day of the year without the year, in `lang`: "15 December", "15 декабря".
    pub fn day_month(&self, lang: Language, month: u32, day: u32) -> Result<String, LocaleError> {
        let args = self.day_args(lang, month, day)?;
        self.text(lang, "day-month", Some(&args))
    }

    /// What the date patterns are given of a day: its number, its month's name as it
    /// stands in a date, and the month's number.
    fn day_args(
        &self,
        lang: Language,
        month: u32,
        day: u32,
    ) -> Result<FluentArgs<'static>, LocaleError> {
        let name = self.text(lang, &format!("month-{month}"), None)?;
        let mut args = FluentArgs::new();
        args.set("day", day);
        args.set("month", name);
        args.set("monthnum", month);
        Ok(args)
    }

    /// A date and a time of day in a place, in `lang`: "15 December 2026, 23:59 (New
    /// York time)"; `zone` is the place ("New York").
    pub fn date_time(
        &self,
        lang: Language,
        (year, month, day): (i32, u32, u32),
        time: &str,
        zone: &str,
    ) -> Result<String, LocaleError> {
        let mut args = FluentArgs::new();
        args.set("date", self.date(lang, year, month, day)?);
        args.set("time", time.to_string());
        args.set("zone", zone.to_string());
        self.text(lang, "date-time", Some(&args))
    }

    /// A month of a year written in `lang`: "December 2026", "décembre 2026".
    pub fn month_year(&self, lang: Language, year: i32, month: u32) -> Result<String, LocaleError> {
        let name = self.text(lang, &format!("month-name-{month}"), None)?;
        let mut args = FluentArgs::new();
        args.set("month", name);
        args.set("monthnum", month);
        args.set("year", year);
        self.text(lang, "month-year", Some(&args))
    }

    /// The ids of the built-in messages of `lang`.
    pub fn builtin_ids(lang: Language) -> Vec<String> {
        builtin(lang).into_iter().map(|(id, _)| id).collect()
    }
}

/// A template's value as a Fluent argument: numbers stay numbers (for plurals).
pub fn argument(value: &minijinja::Value) -> FluentValue<'static> {
    use minijinja::value::ValueKind;
    match value.kind() {
        ValueKind::Number => f64::try_from(value.clone())
            .map(FluentValue::from)
            .unwrap_or_else(|_| FluentValue::from(value.to_string())),
        ValueKind::Undefined | ValueKind::None => FluentValue::from(String::new()),
        _ => FluentValue::from(value.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_language_has_every_english_message_with_no_other_variable() {
        let english = english();
        assert!(english.len() > 50, "{}", english.len());
        for (lang, mail, workbook) in EMBEDDED.iter().skip(1) {
            let mut theirs = Vec::new();
            for (file, text) in [
                (format!("locales/{}.ftl", lang.as_str()), mail),
                (format!("locales/workbook/{}.ftl", lang.as_str()), workbook),
            ] {
                let resource = FluentResource::try_new(text.to_string())
                    .unwrap_or_else(|(_, e)| panic!("{file}: {e:?}"));
                assert_eq!(check_override(&file, &resource, &english), Ok(()));
                theirs.extend(messages(&resource));
            }
            for (id, _) in &english {
                assert!(
                    theirs.iter().any(|(t, _)| t == id),
                    "locales/{}.ftl (or workbook/) has no message '{id}'",
                    lang.as_str()
                );
            }
        }
    }

    #[test]
    fn dates_are_written_in_each_language() {
        let l = Locales::embedded().unwrap();
        let cases = [
            (Language::En, "15 December 2026"),
            (Language::Fr, "15 décembre 2026"),
            (Language::Es, "15 de diciembre de 2026"),
            (Language::Ru, "15 декабря 2026 г."),
            (Language::Zh, "2026年12月15日"),
            (Language::Ar, "15 ديسمبر 2026"),
        ];
        for (lang, want) in cases {
            assert_eq!(l.date(lang, 2026, 12, 15).unwrap(), want);
        }
        assert_eq!(
            l.month_year(Language::Ru, 2026, 12).unwrap(),
            "декабрь 2026 года"
        );
        assert_eq!(l.month_year(Language::Fr, 2026, 1).unwrap(), "janvier 2026");
        assert_eq!(
            l.date(Language::Fr, 2027, 1, 1).unwrap(),
            "1er janvier 2027"
        );
    }

    #[test]
    fn plurals_follow_each_languages_rules() {
        let l = Locales::embedded().unwrap();
        let count = |lang, n: i64| {
            let mut args = FluentArgs::new();
            args.set("verdict", "pending");
            args.set("count", n);
            l.text(lang, "receipt-verdict", Some(&args)).unwrap()
        };
        assert_eq!(count(Language::En, 1), "1 change awaiting review");
        assert_eq!(count(Language::En, 2), "2 changes awaiting review");
        // Russian: one (1, 21), few (2–4, 22), many (5–20).
        let (one, few, many) = (
            count(Language::Ru, 21),
            count(Language::Ru, 3),
            count(Language::Ru, 5),
        );
        assert_ne!(one, few);
        assert_ne!(few, many);
        assert!(one.contains("изменение"), "{one}");
        assert!(few.contains("изменения"), "{few}");
        assert!(many.contains("изменений"), "{many}");
        // Arabic has six forms; two is its own.
        assert_ne!(count(Language::Ar, 2), count(Language::Ar, 11));
    }

    #[test]
    fn a_missing_variable_is_an_error_and_a_missing_message_falls_back_to_english() {
        let l = Locales::embedded().unwrap();
        assert!(matches!(
            l.text(Language::Ru, "greeting", None),
            Err(LocaleError::Format { .. })
        ));
        assert_eq!(
            l.text(Language::En, "no-such-message", None),
            Err(LocaleError::Missing("no-such-message".into()))
        );
    }

    #[test]
    fn an_override_replaces_a_message_and_is_refused_for_an_unknown_variable() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("fr.ftl"),
            "# ours\ngreeting = Chère, cher { $name },\n",
        )
        .unwrap();
        let l = Locales::load(Some(dir.path())).unwrap();
        let mut args = FluentArgs::new();
        args.set("name", "Amina");
        assert_eq!(
            l.text(Language::Fr, "greeting", Some(&args)).unwrap(),
            "Chère, cher Amina,"
        );
        std::fs::write(
            dir.path().join("ru.ftl"),
            "signature-1 = Матрица\n\ngreeting = Уважаемый { $nmae },\n",
        )
        .unwrap();
        let err = Locales::load(Some(dir.path())).unwrap_err();
        assert!(
            matches!(err, LocaleError::UnknownVariable { line: 3, .. }),
            "{err}"
        );
        assert!(err.to_string().contains("ru.ftl, line 3"), "{err}");
        assert!(err.to_string().contains("$nmae"), "{err}");
        std::fs::write(
            dir.path().join("ru.ftl"),
            "greting = Уважаемый { $name },\n",
        )
        .unwrap();
        let err = Locales::load(Some(dir.path())).unwrap_err();
        assert!(
            matches!(err, LocaleError::UnknownMessage { line: 1, .. }),
            "{err}"
        );
        std::fs::write(dir.path().join("ru.ftl"), "ok = fine\nbroken = { $\n").unwrap();
        let err = Locales::load(Some(dir.path())).unwrap_err();
        assert!(matches!(err, LocaleError::Syntax { line: 2, .. }), "{err}");
    }
}
