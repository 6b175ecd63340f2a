//! The workbook's words in all six languages, for reading: a header, priority, status,
//! area or answer written in any of them, in any copy, is known. The words are the
//! built-in `locales/workbook/LL.ftl` messages (`header-*`, `priority-*`, `status-*`,
//! `area-*`, `answer-*`), compared after `normalize_word`; the variants people type
//! beyond them stay beside each parser (`model.rs`, `workbook/read.rs`). Pure; built
//! once.

use std::collections::HashMap;
use std::sync::OnceLock;

use crate::locale::Locales;
use crate::model::{Language, normalize_word};

/// Which list a word belongs to: the prefix of its messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum List {
    Header,
    Priority,
    Status,
    Area,
    Answer,
    /// The Programmes sheet's headers (`programme-header-*`; the ID column is `id`).
    ProgrammeHeader,
    /// The "Needs you could meet" sheet's headers (`offer-header-*`).
    OfferHeader,
}

impl List {
    const ALL: [List; 7] = [
        List::Header,
        List::Priority,
        List::Status,
        List::Area,
        List::Answer,
        List::ProgrammeHeader,
        List::OfferHeader,
    ];

    /// The prefix of its messages' ids (`priority-`).
    pub fn prefix(self) -> &'static str {
        match self {
            List::Header => "header-",
            List::Priority => "priority-",
            List::Status => "status-",
            List::Area => "area-",
            List::Answer => "answer-",
            List::ProgrammeHeader => "programme-header-",
            List::OfferHeader => "offer-header-",
        }
    }
}

/// Each list's normalized words, and the message (without its prefix) each one names.
struct Words(HashMap<(List, String), &'static str>);

/// Every word of every list in every language, with what it names; first a word's own
/// language, so a clash inside a list is found by the test below, not here.
fn all_words() -> Vec<(List, Language, String, String)> {
    let Some(locales) = builtin() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for lang in Language::ALL {
        for id in Locales::builtin_ids(lang) {
            let Some(list) = List::ALL.into_iter().find(|l| id.starts_with(l.prefix())) else {
                continue;
            };
            if let Ok(text) = locales.text(lang, &id, None) {
                out.push((
                    list,
                    lang,
                    normalize_word(&text),
                    id[list.prefix().len()..].to_string(),
                ));
            }
        }
    }
    out
}

fn words() -> &'static Words {
    static WORDS: OnceLock<Words> = OnceLock::new();
    WORDS.get_or_init(|| {
        let mut map = HashMap::new();
        for (list, _, word, name) in all_words() {
            // Names are a handful of short ids, leaked once for the life of the process.
            let name: &'static str = Box::leak(name.into_boxed_str());
            map.entry((list, word)).or_insert(name);
        }
        Words(map)
    })
}

/// What `text` names in `list` ("high" for "Élevée"? no: for "Haute", "Высокий", "高"),
/// in whatever language it is written.
pub fn lookup(list: List, text: &str) -> Option<&'static str> {
    words().0.get(&(list, normalize_word(text))).copied()
}

/// The built-in words, loaded once.
pub fn builtin() -> Option<&'static Locales> {
    static LOCALES: OnceLock<Option<Locales>> = OnceLock::new();
    LOCALES.get_or_init(|| Locales::embedded().ok()).as_ref()
}

/// The word for `name` in `list` in `lang`, as the workbook writes it.
pub fn word(list: List, name: &str, lang: Language) -> Option<String> {
    builtin()?
        .text(lang, &format!("{}{name}", list.prefix()), None)
        .ok()
}

/// Whether `text` is message `id` (one without variables) in any of the six languages.
pub fn means(id: &str, text: &str) -> bool {
    let Some(locales) = builtin() else {
        return false;
    };
    let text = normalize_word(text);
    Language::ALL.iter().any(|l| {
        locales
            .text(*l, id, None)
            .is_ok_and(|t| normalize_word(&t) == text)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_two_things_of_one_list_are_spelled_alike_in_any_language() {
        let mut seen: HashMap<(List, String), (Language, String)> = HashMap::new();
        let all = all_words();
        assert!(all.len() > 150, "{}", all.len());
        for (list, lang, word, name) in all {
            assert!(!word.is_empty(), "{list:?} {name} in {lang} is empty");
            if let Some((other_lang, other)) =
                seen.insert((list, word.clone()), (lang, name.clone()))
            {
                assert_eq!(
                    other, name,
                    "'{word}' is {list:?} {other} in {other_lang} and {name} in {lang}"
                );
            }
        }
    }

    #[test]
    fn every_language_is_read_whatever_the_copy() {
        assert_eq!(lookup(List::Priority, "Haute"), Some("high"));
        assert_eq!(lookup(List::Priority, "ВЫСОКИЙ"), Some("high"));
        assert_eq!(lookup(List::Priority, "高"), Some("high"));
        assert_eq!(lookup(List::Priority, "منخفضة"), Some("low"));
        assert_eq!(lookup(List::Status, "Удовлетворена"), Some("met"));
        assert_eq!(lookup(List::Status, "已撤回"), Some("withdrawn"));
        assert_eq!(
            lookup(List::Status, "Asistencia ofrecida"),
            Some("assistance-offered")
        );
        // Arabic with and without its hamza, and with a tatweel.
        assert_eq!(lookup(List::Header, "الاولوية"), Some("priority"));
        assert_eq!(lookup(List::Header, "الأولـوية"), Some("priority"));
        assert_eq!(lookup(List::Area, "Trafic illicite d’armes"), Some("ARM"));
        assert_eq!(lookup(List::Answer, "ДА"), Some("yes"));
        assert_eq!(lookup(List::Answer, "si"), Some("yes"));
        assert_eq!(lookup(List::Priority, "Urgentissime"), None);
        assert_eq!(
            word(List::Priority, "high", Language::Ru).as_deref(),
            Some("Высокий")
        );
    }
}
