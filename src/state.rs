//! The states things pass through, each an enum with the one mapping to and from the
//! words the database, the JSON shapes and the web filters use.

use serde::Serialize;

/// Defines an enum of states spelled as lowercase words: `as_str`, `parse`, `ALL`,
/// `Display`, and `Serialize` as the word.
macro_rules! states {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $word:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl $name {
            /// Every value, in order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The word stored and shown.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $word),+
                }
            }

            /// The value a stored or typed word names.
            pub fn parse(word: &str) -> Option<Self> {
                match word {
                    $($word => Some($name::$variant),)+
                    _ => None,
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                Self::parse(s.trim()).ok_or_else(|| {
                    let all: Vec<&str> = Self::ALL.iter().map(|v| v.as_str()).collect();
                    format!("'{s}' is not one of {}", all.join(", "))
                })
            }
        }

        /// Compares with a word, as the JSON shapes and outsiders' tests spell it.
        impl PartialEq<&str> for $name {
            fn eq(&self, word: &&str) -> bool {
                self.as_str() == *word
            }
        }

        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }
    };
}

states! {
    /// Where a submission stands.
    SubmissionState {
        /// Its changes await the experts.
        Pending = "pending",
        /// Its sender is not trusted yet: an expert accepts or refuses it.
        Quarantined = "quarantined",
        /// Settled, with at least one change approved.
        Applied = "applied",
        /// Settled with nothing approved, or its sender refused.
        Rejected = "rejected",
        /// The reply said there was nothing to change.
        NoChanges = "no_changes",
        /// Nothing could be read from it.
        Unparseable = "unparseable",
    }
}

states! {
    /// What became of one proposed change.
    Decision {
        Pending = "pending",
        Approved = "approved",
        Rejected = "rejected",
        /// A later reply of the same party proposed something else for the same thing.
        Superseded = "superseded",
    }
}

states! {
    /// What a message in the outbox is.
    MessageKind {
        /// The Matrix on the 1st, with the recipient's own workbook.
        Circulation = "circulation",
        /// To a recipient whose party has not answered.
        Reminder = "reminder",
        /// The reminder on the deadline day.
        DeadlineAlert = "deadline_alert",
        /// The answer to a reply: what was understood.
        Receipt = "receipt",
        /// The experts' decisions on a reply.
        Decision = "decision",
        /// To the experts after the deadline.
        Digest = "digest",
        /// To the experts two days before a circulation, when submissions await them.
        ReviewAlert = "review_alert",
        /// To the owner of a one-off deadline.
        Deadline = "deadline",
        /// To a contact who stopped receiving the Matrix: the confirmation.
        Unsubscribed = "unsubscribed",
    }
}

states! {
    /// Where a request to receive the Matrix stands.
    RequestState {
        /// Awaits an expert.
        Pending = "pending",
        /// An expert named the party; its contact receives the Matrix.
        Approved = "approved",
        /// An expert decided it was not a request (or not one to grant).
        Dismissed = "dismissed",
    }
}

states! {
    /// How a contact asked to stop receiving the Matrix.
    UnsubscribeVia {
        /// The one-click link of a circulation's `List-Unsubscribe` (RFC 8058), or the
        /// page it opens.
        Link = "link",
        /// A message to the `List-Unsubscribe` mailto address.
        Mail = "mail",
    }
}

states! {
    /// Where a message in the outbox stands.
    OutboxState {
        Queued = "queued",
        /// Claimed by a sender, under a lease.
        Sending = "sending",
        Sent = "sent",
        /// Refused for good, or out of attempts.
        Failed = "failed",
    }
}

states! {
    /// Where a stored message stands.
    InboxState {
        /// Stored raw, not read yet.
        Stored = "stored",
        /// Read: what it is and what it proposed are recorded.
        Parsed = "parsed",
        /// A reply whose sender is not trusted yet.
        Quarantined = "quarantined",
        /// Cannot be read (or too large to fetch): kept, and shown to the experts.
        Failed = "failed",
    }
}

/// What reading a message leads to unless it finds otherwise.
impl Default for InboxState {
    fn default() -> Self {
        InboxState::Parsed
    }
}

impl SubmissionState {
    /// The state a submission reaches once none of its changes is pending: applied when
    /// at least one was approved, else rejected; `None` while some are still pending.
    pub fn settled(decisions: impl IntoIterator<Item = Decision>) -> Option<Self> {
        let mut approved = false;
        for d in decisions {
            match d {
                Decision::Pending => return None,
                Decision::Approved => approved = true,
                Decision::Rejected | Decision::Superseded => {}
            }
        }
        Some(if approved {
            SubmissionState::Applied
        } else {
            SubmissionState::Rejected
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_state_reads_back_from_its_word() {
        for s in SubmissionState::ALL {
            assert_eq!(SubmissionState::parse(s.as_str()), Some(*s));
        }
        for d in Decision::ALL {
            assert_eq!(Decision::parse(d.as_str()), Some(*d));
        }
        for k in MessageKind::ALL {
            assert_eq!(MessageKind::parse(k.as_str()), Some(*k));
        }
        for i in InboxState::ALL {
            assert_eq!(InboxState::parse(i.as_str()), Some(*i));
        }
        for o in OutboxState::ALL {
            assert_eq!(OutboxState::parse(o.as_str()), Some(*o));
        }
        assert_eq!(SubmissionState::parse("Pending"), None);
        assert!(
            "done"
                .parse::<SubmissionState>()
                .unwrap_err()
                .contains("pending, quarantined")
        );
    }

    #[test]
    fn a_submission_settles_once_nothing_is_pending() {
        use Decision::*;
        let cases: &[(&[Decision], Option<SubmissionState>)] = &[
            (&[Approved, Pending], None),
            (&[Approved, Rejected], Some(SubmissionState::Applied)),
            (&[Rejected, Superseded], Some(SubmissionState::Rejected)),
            (&[Superseded], Some(SubmissionState::Rejected)),
            (&[], Some(SubmissionState::Rejected)),
        ];
        for (decisions, settled) in cases {
            assert_eq!(
                SubmissionState::settled(decisions.iter().copied()),
                *settled,
                "{decisions:?}"
            );
        }
    }
}
