//! Receiving the Matrix on request, and stopping. Pure: whether a message's own words ask
//! for the Matrix, and in which language; what an unsubscribe means for the experts.
//!
//! The follow-up plan circulates the Matrix to every organization of its annex and to
//! the States that ask for it. A State asks by mail ("please send us the matrix", in any
//! of the six languages, or the word "subscribe"); an expert approves the request naming
//! the State. Only a message with no token of needsd's and no workbook is a candidate
//! (the caller checks both): anything else is a reply.

use crate::mail::classify::own_words;
use crate::model::{Language, PartyKind, normalize_word};

/// How much of a message's own text is searched: a request is a line or two.
const SEARCHED_CHARS: usize = 4000;

/// One language's words for asking: a whole word (after `normalize_word`) that is one of
/// `subscribe`, or a sentence holding one of `verbs` and one of `nouns` and none of
/// `stops` (which turn "send us the matrix" into "do not send us the matrix").
struct Asking {
    language: Language,
    subscribe: &'static [&'static str],
    verbs: &'static [&'static str],
    nouns: &'static [&'static str],
    stops: &'static [&'static str],
    joined: Joined,
}

/// How a language's words stand in a sentence.
#[derive(PartialEq)]
enum Joined {
    /// Apart: a word is one of the list.
    Words,
    /// Arabic joins articles and prepositions to a word ("بالمصفوفة"): a word holds a
    /// stem of `subscribe`, `verbs` or `nouns`; stop words stand apart.
    Affixed,
    /// Chinese has no spaces: the sentence holds the word.
    Unspaced,
}

const ASKING: [Asking; 6] = [
    Asking {
        language: Language::En,
        subscribe: &["subscribe", "subscription"],
        verbs: &[
            "send", "receive", "forward", "share", "include", "add", "provide", "get",
        ],
        nouns: &["matrix"],
        stops: &[
            "not",
            "no",
            "stop",
            "dont",
            "never",
            "unsubscribe",
            "remove",
        ],
        joined: Joined::Words,
    },
    Asking {
        language: Language::Fr,
        subscribe: &[
            "abonner",
            "abonnez",
            "abonnement",
            "inscrire",
            "inscription",
        ],
        verbs: &[
            "envoyer",
            "envoyez",
            "transmettre",
            "transmettez",
            "recevoir",
            "parvenir",
            "adresser",
            "adressez",
            "communiquer",
            "communiquez",
            "inclure",
            "ajouter",
        ],
        nouns: &["matrice"],
        stops: &[
            "ne",
            "pas",
            "plus",
            "arreter",
            "arretez",
            "desabonner",
            "desinscrire",
        ],
        joined: Joined::Words,
    },
    Asking {
        language: Language::Es,
        subscribe: &[
            "suscribir",
            "suscribirse",
            "suscribirme",
            "suscribirnos",
            "suscripcion",
        ],
        verbs: &[
            "enviar",
            "envien",
            "envie",
            "enviennos",
            "envienos",
            "enviarnos",
            "enviarme",
            "remitir",
            "remitan",
            "remitannos",
            "remita",
            "remitirnos",
            "recibir",
            "incluir",
            "incluirnos",
            "agregar",
            "compartir",
            "llegar",
        ],
        nouns: &["matriz"],
        stops: &["no", "dejar", "dejen", "detener", "cancelar", "baja"],
        joined: Joined::Words,
    },
    Asking {
        language: Language::Ru,
        subscribe: &["подписаться", "подписка", "подписку", "подписать"],
        verbs: &[
            "отправьте",
            "отправить",
            "отправлять",
            "пришлите",
            "прислать",
            "присылать",
            "направьте",
            "направить",
            "направлять",
            "вышлите",
            "выслать",
            "получать",
            "получить",
            "включите",
            "включить",
        ],
        nouns: &["матрица", "матрицу", "матрицы", "матрице", "матрицей"],
        stops: &["не", "прекратить", "прекратите", "отписаться", "отпишите"],
        joined: Joined::Words,
    },
    Asking {
        language: Language::Zh,
        subscribe: &["订阅", "訂閱"],
        verbs: &[
            "发送", "發送", "寄送", "发给", "發給", "寄给", "寄給", "提供", "接收", "收到", "转发",
            "轉發",
        ],
        nouns: &["矩阵", "矩陣"],
        stops: &[
            "不要", "不再", "请勿", "請勿", "停止", "取消", "退订", "退訂",
        ],
        joined: Joined::Unspaced,
    },
    Asking {
        language: Language::Ar,
        subscribe: &["اشتراك", "الاشتراك"],
        verbs: &["ارسال", "ارسل", "ترسل", "تلقي", "استلام", "تزويد", "موافا"],
        nouns: &["مصفوفة"],
        stops: &["لا", "عدم", "الغاء", "ايقاف", "توقف", "توقفوا"],
        joined: Joined::Affixed,
    },
];

/// Whether a message asks to receive the Matrix, and in which language it asks: its
/// subject or its own words (above any quoted message) hold a subscribe word, or a
/// sentence that asks to send or receive the matrix and does not say no.
pub fn asks_for_matrix(subject: &str, text: &str) -> Option<Language> {
    let own = own_words(text);
    let mut searched: String = subject.to_string();
    // The subject is a sentence of its own.
    searched.push('\u{2029}');
    searched.extend(own.chars().take(SEARCHED_CHARS));
    for sentence in searched.split(is_sentence_end) {
        let words: Vec<String> = sentence
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(normalize_word)
            .collect();
        if words.is_empty() {
            continue;
        }
        for a in &ASKING {
            let has = |list: &[&str], stems: bool| {
                list.iter().any(|word| {
                    let word = normalize_word(word);
                    words.iter().any(|w| match a.joined {
                        Joined::Words => *w == word,
                        Joined::Affixed if stems => w.contains(&word),
                        Joined::Affixed => *w == word,
                        Joined::Unspaced => w.contains(&word),
                    })
                })
            };
            let asks = has(a.subscribe, true) || has(a.verbs, true) && has(a.nouns, true);
            if asks && !has(a.stops, false) {
                return Some(a.language);
            }
        }
    }
    None
}

/// Where a sentence ends. Not at a line's end: mail programs wrap lines mid-sentence.
fn is_sentence_end(c: char) -> bool {
    matches!(
        c,
        '.' | '!' | '?' | ';' | '。' | '！' | '？' | '；' | '؟' | '\u{2029}'
    )
}

/// Whether the experts must hear that a party stopped receiving the Matrix: the plan
/// circulates it to every organization of its annex, so an organization that asks to stop
/// is flagged, not silently dropped.
pub fn flag_unsubscribe(kind: PartyKind) -> bool {
    kind == PartyKind::Organization
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_in_each_of_the_six_languages_is_heard_in_its_language() {
        for (text, lang) in [
            (
                "Dear colleagues,\nplease send us the matrix.\nRegards",
                Language::En,
            ),
            (
                "Could we receive the Matrix of Needs each month?",
                Language::En,
            ),
            (
                "Bonjour, pourriez-vous nous envoyer la matrice des besoins ?",
                Language::Fr,
            ),
            ("Nous souhaitons recevoir la Matrice.", Language::Fr),
            (
                "Por favor, envíennos la matriz de necesidades.",
                Language::Es,
            ),
            ("Quisiéramos recibir la Matriz.", Language::Es),
            ("Просим направить нам матрицу потребностей.", Language::Ru),
            ("Пришлите, пожалуйста, матрицу.", Language::Ru),
            ("请发送需求矩阵给我们。", Language::Zh),
            ("請寄給我們需求矩陣", Language::Zh),
            ("يرجى إرسال المصفوفة إلينا", Language::Ar),
            ("نرجو موافاتنا بمصفوفة الاحتياجات", Language::Ar),
        ] {
            assert_eq!(asks_for_matrix("", text), Some(lang), "{text}");
        }
    }

    #[test]
    fn the_word_subscribe_is_enough_and_may_stand_in_the_subject() {
        assert_eq!(asks_for_matrix("subscribe", ""), Some(Language::En));
        assert_eq!(
            asks_for_matrix("Re: SUBSCRIBE", "Thanks"),
            Some(Language::En)
        );
        assert_eq!(
            asks_for_matrix("", "Je voudrais m'abonner."),
            Some(Language::Fr)
        );
        assert_eq!(asks_for_matrix("订阅", ""), Some(Language::Zh));
        assert_eq!(
            asks_for_matrix("", "Хотим подписаться."),
            Some(Language::Ru)
        );
    }

    #[test]
    fn whole_words_only_and_no_request_that_says_no() {
        for text in [
            "unsubscribe",
            "Please unsubscribe me.",
            "Please do not send us the matrix any more.",
            "Stop sending the matrix.",
            "The matrix is attached.",
            "Please send us the report.",
            "We send our regards; the matrix was discussed.",
            "Ne plus nous envoyer la matrice, merci.",
            "No nos envíen la matriz.",
            "Не присылайте нам матрицу.",
            "请不要再发送矩阵",
            "退订",
            "الرجاء عدم إرسال المصفوفة",
            "subscribers matrixes",
            "",
        ] {
            assert_eq!(asks_for_matrix("", text), None, "{text}");
        }
    }

    #[test]
    fn a_quoted_circulation_asks_for_nothing() {
        let text = "Thanks, noted.\n\nOn Tue, 1 Dec 2026, needs@ctc.example wrote:\n\
                    > Please send us the matrix back by 15 December.\n";
        assert_eq!(asks_for_matrix("Re: [Matrix of Needs 2026-12]", text), None);
    }

    #[test]
    fn an_organization_that_stops_is_flagged_a_state_is_not() {
        assert!(flag_unsubscribe(PartyKind::Organization));
        assert!(!flag_unsubscribe(PartyKind::State));
    }
}
