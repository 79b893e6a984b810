//! Numbers in words as the pages say them.

/// `count` with its noun, singular for one: "1 room", "3 rooms", "0 rooms".
pub fn count(count: i64, one: &str, many: &str) -> String {
    format!("{count} {}", noun(count, one, many))
}

/// The noun alone for `count`, where the number stands apart from it (a dashboard's figure and its label).
pub fn noun<'a>(count: i64, one: &'a str, many: &'a str) -> &'a str {
    if count == 1 { one } else { many }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_is_singular_and_every_other_count_plural() {
        assert_eq!(count(1, "time", "times"), "1 time");
        assert_eq!(count(0, "time", "times"), "0 times");
        assert_eq!(count(2, "patient", "patients"), "2 patients");
        assert_eq!(count(-1, "day", "days"), "-1 days");
        assert_eq!(noun(1, "Payment", "Payments"), "Payment");
        assert_eq!(noun(4, "Payment", "Payments"), "Payments");
    }
}
