//! The rules of logging in: failed-login throttling per identifier and per client address. Failures
//! are rows in the database (see `repo`), so every instance of a multi-instance clinic sees the same counts.

use crate::db::Timestamp;

pub const WINDOW_MINUTES: i64 = 15;
/// Failures of one identifier within the window before it is refused.
pub const MAX_PER_IDENTIFIER: i64 = 5;
/// Failures from one address within the window (a whole lab of students may share one address).
pub const MAX_PER_IP: i64 = 50;

/// Self-registrations from one address within the window: each creates a record and costs a password hash. They
/// are kept beside the failed logins under this key, which no account can have as its identifier.
pub const REGISTRATION_KEY: &str = "#registration";
pub const MAX_REGISTRATIONS_PER_IP: i64 = 10;

/// Password-reset requests from one address within the window (the same answer is given whether or not an
/// account matched, so this is the only limit a stranger can see), under this key beside the failed logins.
pub const RESET_KEY: &str = "#password_reset";
pub const MAX_RESETS_PER_IP: i64 = 10;
/// Links sent for one account, and to one address, within an hour; more are not sent (and not said).
pub const MAX_RESETS_PER_HOUR: i64 = 3;
/// How long a reset link works.
pub const RESET_MINUTES: i64 = 30;

/// A new reset token: 32 random bytes, in hex (the link carries it; the database keeps only its hash).
pub fn new_reset_token() -> String {
    let bytes: [u8; 32] = rand::random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The hash a token is kept and looked up by.
pub fn reset_token_hash(token: &str) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Whether `text` can be a token this clinic made (64 hex digits): anything else is refused unread.
pub fn looks_like_reset_token(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// The failures counted against a login attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Failures {
    pub by_identifier: i64,
    pub by_ip: i64,
    /// The oldest failure inside the window that counts towards a block.
    pub oldest: Option<Timestamp>,
}

/// When a block ends: the oldest counted failure leaves the window. `None` when not blocked.
pub fn blocked_until(failures: Failures) -> Option<Timestamp> {
    let blocked = failures.by_identifier >= MAX_PER_IDENTIFIER || failures.by_ip >= MAX_PER_IP;
    blocked.then(|| Timestamp(failures.oldest.map_or(0, |t| t.0) + WINDOW_MINUTES * 60_000))
}

/// The message for someone who must wait until `until`.
pub fn wait_message(what: &str, until: Timestamp, now: Timestamp) -> String {
    let minutes = minutes_to_wait(until, now);
    format!(
        "{what} Wait {minutes} minute{} before trying again.",
        if minutes == 1 { "" } else { "s" }
    )
}

/// Whole minutes to wait, rounded up, never less than one.
pub fn minutes_to_wait(until: Timestamp, now: Timestamp) -> i64 {
    ((until.0 - now.0 + 59_999) / 60_000).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reset_tokens_are_random_hex_and_kept_as_their_hash() {
        let (a, b) = (new_reset_token(), new_reset_token());
        assert_ne!(a, b);
        assert!(looks_like_reset_token(&a), "{a}");
        assert!(!looks_like_reset_token(&a.to_uppercase()));
        assert!(!looks_like_reset_token("../../etc/passwd"));
        assert_eq!(reset_token_hash(&a), reset_token_hash(&a));
        assert_ne!(reset_token_hash(&a), a);
        assert_eq!(reset_token_hash(&a).len(), 64);
    }

    #[test]
    fn below_the_limits_is_not_blocked() {
        let f = Failures {
            by_identifier: MAX_PER_IDENTIFIER - 1,
            by_ip: MAX_PER_IP - 1,
            oldest: None,
        };
        assert_eq!(blocked_until(f), None);
    }

    #[test]
    fn a_block_lasts_until_the_counted_failure_leaves_the_window() {
        let f = Failures {
            by_identifier: MAX_PER_IDENTIFIER,
            by_ip: 0,
            oldest: Some(Timestamp(1_000_000)),
        };
        assert_eq!(blocked_until(f), Some(Timestamp(1_000_000 + WINDOW_MINUTES * 60_000)));
        let f = Failures {
            by_identifier: 0,
            by_ip: MAX_PER_IP,
            oldest: Some(Timestamp(0)),
        };
        assert!(blocked_until(f).is_some());
    }

    #[test]
    fn waits_round_up_to_minutes() {
        assert_eq!(minutes_to_wait(Timestamp(60_000), Timestamp(0)), 1);
        assert_eq!(minutes_to_wait(Timestamp(60_001), Timestamp(0)), 2);
        assert_eq!(minutes_to_wait(Timestamp(0), Timestamp(5)), 1);
    }
}
