//! The ICD-10-CM code list bundled in the binary (this crate's `data/icd10cm-2026.tsv`), searched as the
//! doctor types.

use std::sync::LazyLock;

use crate::patients::model::fold;
use crate::validation::{FieldErrors, forbidden_character, forbidden_message};

const LIST: &str = include_str!("../../data/icd10cm-2026.tsv");

/// The most a search answers with.
pub const MAX_MATCHES: usize = 20;
/// The longest diagnosis text, in characters.
pub const DESCRIPTION_MAX_CHARS: usize = 300;

pub struct Code {
    pub code: &'static str,
    pub description: &'static str,
    /// The description folded for search (lower case, no diacritics).
    folded: String,
    /// A heading that says no more than its first refinement ("J03.9 Acute tonsillitis, unspecified" over
    /// J03.90 of the same words): the search offers only the refinement, so a list holds no twins.
    echoed: bool,
}

/// The list, sorted by code for lookups.
static CODES: LazyLock<Vec<Code>> = LazyLock::new(|| {
    let mut codes: Vec<Code> = LIST
        .lines()
        .filter_map(|line| line.split_once('\t'))
        .map(|(code, description)| Code {
            code,
            description,
            folded: fold(description),
            echoed: false,
        })
        .collect();
    codes.sort_by(|a, b| a.code.cmp(b.code));
    for i in 1..codes.len() {
        let (heading, refinement) = (&codes[i - 1], &codes[i]);
        if refinement.code.starts_with(heading.code) && refinement.description == heading.description {
            codes[i - 1].echoed = true;
        }
    }
    codes
});

/// Reads and indexes the list (once; later calls return at once).
pub fn load() {
    LazyLock::force(&CODES);
}

/// The code's description, if the code is in the list.
pub fn describe(code: &str) -> Option<&'static str> {
    let codes = &*CODES;
    codes
        .binary_search_by(|c| c.code.cmp(code))
        .ok()
        .map(|i| codes[i].description)
}

/// Chapters a clinic's visit seldom codes: pregnancy (O), the newborn (P), congenital conditions (Q), external
/// causes (V to Y) and the factors behind a contact (Z, "personal history of"). Words match them first by length
/// ("Congenital malaria" is shorter than "Unspecified malaria"), so they come after the others.
fn seldom_coded(code: &str) -> bool {
    matches!(
        code.as_bytes().first(),
        Some(b'O' | b'P' | b'Q' | b'V' | b'W' | b'X' | b'Y' | b'Z')
    )
}

/// Codes that start with the query (`J45`, `j45.9`), or whose description holds every word of it: the codes in
/// `preferred` first (the doctor's own most used, in their order), then the shortest description first (the
/// general code before its refinements), the seldom-coded chapters last.
pub fn search(query: &str, preferred: &[&str]) -> Vec<&'static Code> {
    let query = query.trim();
    if query.chars().count() < 2 {
        return Vec::new();
    }
    let upper = query.to_uppercase();
    let words: Vec<String> = fold(query).split_whitespace().map(str::to_owned).collect();
    let mut found: Vec<&Code> = CODES
        .iter()
        .filter(|c| !c.echoed)
        .filter(|c| c.code.starts_with(&upper) || words.iter().all(|w| c.folded.contains(w.as_str())))
        .take(2_000)
        .collect();
    found.sort_by_key(|c| {
        let by_code = c.code.starts_with(&upper);
        let preference = preferred.iter().position(|p| *p == c.code).unwrap_or(usize::MAX);
        (
            preference,
            !by_code,
            !by_code && seldom_coded(c.code),
            c.description.len(),
            c.code,
        )
    });
    found.truncate(MAX_MATCHES);
    found
}

/// A diagnosis as typed: a known code or none, and a one-line description (the code's own when left empty).
pub fn validate(code: Option<&str>, description: &str) -> Result<(Option<String>, String), FieldErrors> {
    let mut errors = FieldErrors::default();
    let code = code.map(|c| c.trim().to_uppercase()).filter(|c| !c.is_empty());
    let known = code.as_deref().map(|c| (c, describe(c)));
    if let Some((typed, None)) = known {
        errors.add(
            "code",
            format!("{typed} is not an ICD-10-CM code. Pick one from the list, or leave it empty."),
        );
    }
    let mut description = description.trim().to_owned();
    if description.is_empty()
        && let Some((_, Some(own))) = known
    {
        description = own.to_owned();
    }
    if description.is_empty() {
        errors.add("description", "Write the diagnosis, or pick a code.");
    } else if description.chars().count() > DESCRIPTION_MAX_CHARS {
        errors.add(
            "description",
            format!("A diagnosis holds at most {DESCRIPTION_MAX_CHARS} characters."),
        );
    } else if let Some(c) = forbidden_character(&description, false) {
        errors.add("description", forbidden_message("The diagnosis", c));
    }
    match errors.is_empty() {
        true => Ok((code, description)),
        false => Err(errors),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundled_list_is_read_whole_and_looked_up_by_code() {
        assert!(CODES.len() > 40_000);
        assert!(CODES.windows(2).all(|w| w[0].code < w[1].code));
        assert_eq!(describe("B54"), Some("Unspecified malaria"));
        assert_eq!(describe("Z99.99"), None);
    }

    #[test]
    fn a_heading_with_the_words_of_its_refinement_is_not_offered_twice() {
        let codes: Vec<&str> = search("acute tonsillitis, unspecified", &[])
            .iter()
            .map(|c| c.code)
            .collect();
        assert!(codes.contains(&"J03.90") && !codes.contains(&"J03.9"), "{codes:?}");
        let by_code: Vec<&str> = search("J03.9", &[]).iter().map(|c| c.code).collect();
        assert_eq!(by_code, ["J03.90", "J03.91"]);
        // A code still reads as itself, for the diagnoses already made with it.
        assert_eq!(describe("J03.9"), Some("Acute tonsillitis, unspecified"));
        // A heading with words of its own stays.
        assert_eq!(search("A01.0", &[])[0].code, "A01.0");
    }

    #[test]
    fn search_finds_by_code_prefix_and_by_words() {
        let by_code = search("b54", &[]);
        assert_eq!(by_code[0].code, "B54");
        let by_words = search("malaria unspecified", &[]);
        assert!(
            by_words.iter().any(|c| c.code == "B54"),
            "{:?}",
            by_words.iter().map(|c| c.code).collect::<Vec<_>>()
        );
        assert!(search("typhoid", &[]).iter().any(|c| c.code.starts_with("A01")));
        // Words find the diseases before the newborn's, the history's and the like.
        let malaria: Vec<&str> = search("malaria", &[]).iter().map(|c| c.code).collect();
        assert_eq!(malaria.first(), Some(&"B54"), "{malaria:?}");
        let first_seldom = malaria.iter().position(|code| seldom_coded(code));
        assert!(
            first_seldom.is_none_or(|at| malaria[at..].iter().all(|code| seldom_coded(code))),
            "{malaria:?}"
        );
        // A code typed is found as typed, whatever its chapter.
        assert_eq!(search("z86.1", &[]).first().map(|c| c.code.get(..3)), Some(Some("Z86")));
        assert!(search("x", &[]).is_empty());
        assert!(search("zzzzqqq", &[]).is_empty());
    }

    #[test]
    fn a_doctors_own_codes_come_first_among_the_matches() {
        let mine: Vec<&str> = search("malaria", &["J45.909", "B50.9"])
            .iter()
            .map(|c| c.code)
            .collect();
        assert_eq!(mine.first(), Some(&"B50.9"), "{mine:?}");
        assert_eq!(mine.get(1), Some(&"B54"), "then as before: {mine:?}");
        assert!(!mine.contains(&"J45.909"), "a preferred code still has to match");
    }

    #[test]
    fn a_diagnosis_needs_a_known_code_or_text() {
        assert_eq!(
            validate(Some("b54"), "").unwrap(),
            (Some("B54".into()), "Unspecified malaria".into())
        );
        assert_eq!(validate(None, " Malaria ").unwrap(), (None, "Malaria".into()));
        assert!(validate(Some("Q99.999"), "x").unwrap_err().get("code").is_some());
        assert!(validate(None, "").unwrap_err().get("description").is_some());
        assert!(validate(None, "a\nb").unwrap_err().get("description").is_some());
    }
}
