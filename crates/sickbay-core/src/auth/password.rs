//! Password hashing (argon2id, off the async runtime) and generated passwords.

use std::sync::OnceLock;

use anyhow::Context;
use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use rand::seq::IndexedRandom;

use crate::db::types::InvalidValue;

pub const MIN_LENGTH: usize = 10;
pub const MAX_LENGTH: usize = 128;

/// Hashes a password with argon2id's default parameters, in a blocking thread.
pub async fn hash(password: &str) -> anyhow::Result<String> {
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || hash_blocking(&password))
        .await
        .context("hashing task")?
}

fn hash_blocking(password: &str) -> anyhow::Result<String> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|hash| hash.to_string())
        .map_err(|err| anyhow::anyhow!("hashing a password: {err}"))
}

/// Checks a password against a stored hash, in a blocking thread. With no hash (an unknown user) it
/// checks against a dummy hash instead, so the answer takes as long either way.
pub async fn verify(password: &str, stored: Option<String>) -> anyhow::Result<bool> {
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || {
        let known = stored.is_some();
        let hash = match stored {
            Some(hash) => hash,
            None => dummy_hash()?.to_owned(),
        };
        let matches = Argon2::default()
            .verify_password(password.as_bytes(), hash.as_str())
            .is_ok();
        Ok(known && matches)
    })
    .await
    .context("verifying task")?
}

fn dummy_hash() -> anyhow::Result<&'static str> {
    static DUMMY: OnceLock<String> = OnceLock::new();
    if let Some(hash) = DUMMY.get() {
        return Ok(hash);
    }
    let hash = hash_blocking(&generate())?;
    Ok(DUMMY.get_or_init(|| hash))
}

/// A random password of 16 characters without look-alikes (no 0/O, 1/l/I), for accounts and resets.
pub fn generate() -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    (0..16)
        .filter_map(|_| ALPHABET.choose(&mut rng).map(|&b| b as char))
        .collect()
}

/// The rule below in words, shown beside every field where a person chooses a password, before any mistake.
pub fn rules() -> String {
    format!(
        "At least {MIN_LENGTH} characters, not containing your username or number. A short sentence is easy to \
         remember and hard to guess."
    )
}

/// The rule for a password a person chooses.
pub fn check_new(password: &str, username: &str) -> Result<(), InvalidValue> {
    let length = password.chars().count();
    if length < MIN_LENGTH {
        return Err(InvalidValue(format!("Use at least {MIN_LENGTH} characters.")));
    }
    if length > MAX_LENGTH {
        return Err(InvalidValue(format!("Use at most {MAX_LENGTH} characters.")));
    }
    if password.to_lowercase().contains(&username.to_lowercase()) {
        return Err(InvalidValue("The password must not contain your username.".into()));
    }
    if password.chars().all(|c| c == password.chars().next().unwrap_or(' ')) {
        return Err(InvalidValue("Use more than one repeated character.".into()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hash_then_verify() {
        let hash = hash("correct horse battery").await.unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify("correct horse battery", Some(hash.clone())).await.unwrap());
        assert!(!verify("wrong horse battery", Some(hash)).await.unwrap());
    }

    #[tokio::test]
    async fn unknown_user_never_verifies() {
        assert!(!verify("anything", None).await.unwrap());
    }

    #[test]
    fn generated_passwords_pass_the_rule() {
        let a = generate();
        assert_eq!(a.len(), 16);
        assert_ne!(a, generate());
        assert!(check_new(&a, "someone").is_ok());
    }

    #[test]
    fn weak_passwords_are_refused() {
        assert!(check_new("short", "ada").is_err());
        assert!(check_new("aaaaaaaaaaaa", "bob").is_err());
        assert!(check_new("my-ADA-password", "ada").is_err());
        assert!(check_new(&"x1".repeat(70), "ada").is_err());
        assert!(check_new("a sensible passphrase", "ada.obi").is_ok());
    }
}
