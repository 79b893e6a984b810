//! Pages of long lists as the repos read them: a page number's offset, a page read from a cursor, and the
//! pattern of a search. What the pages show of them (links, the query string) is in `web::paging`.

pub const PAGE_SIZE: i64 = 25;

/// The `?page=` of a list (1-based). Anything unreadable or out of range is page 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageRequest(pub i64);

impl PageRequest {
    pub fn from_query(raw: Option<&str>) -> Self {
        let n = raw
            .and_then(|s| s.trim().parse::<i64>().ok())
            .filter(|n| (1..=1_000_000).contains(n));
        PageRequest(n.unwrap_or(1))
    }

    pub fn offset(self) -> i64 {
        (self.0 - 1) * PAGE_SIZE
    }

    pub fn limit(self) -> i64 {
        PAGE_SIZE
    }

    /// `LIMIT 25 OFFSET 50`, written into a query rather than bound (see [`crate::db::limit`]).
    pub fn sql(self) -> String {
        format!("LIMIT {} OFFSET {}", self.limit(), self.offset())
    }
}

/// One page of a list paged from a cursor, newest first: never counted, never read by offset.
#[derive(Clone, Debug)]
pub struct CursorPage<T> {
    pub rows: Vec<T>,
    /// Whether these are the newest rows (the page did not start from a cursor).
    pub newest: bool,
    /// The `before` of the next, older page, if there are older rows.
    pub older: Option<i64>,
}

impl<T> CursorPage<T> {
    /// The page from `rows` read with a limit of `size + 1`: the row past `size` is not shown, it only tells
    /// that older rows exist.
    pub fn from_rows(mut rows: Vec<T>, size: i64, newest: bool, id: impl Fn(&T) -> i64) -> Self {
        let size = usize::try_from(size).unwrap_or(usize::MAX);
        let more = rows.len() > size;
        rows.truncate(size);
        CursorPage {
            older: rows.last().filter(|_| more).map(id),
            newest,
            rows,
        }
    }
}

/// `%text%` for a case-insensitive `LIKE ... ESCAPE '\'`, with the user's own wildcards escaped.
pub fn like_pattern(text: &str) -> String {
    let mut pattern = String::with_capacity(text.len() + 2);
    pattern.push('%');
    for c in text.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_page_numbers_mean_page_one() {
        for raw in [None, Some(""), Some("abc"), Some("0"), Some("-3"), Some("99999999999")] {
            assert_eq!(PageRequest::from_query(raw), PageRequest(1), "{raw:?}");
        }
        assert_eq!(PageRequest::from_query(Some(" 3 ")).offset(), 2 * PAGE_SIZE);
    }

    #[test]
    fn a_cursor_page_links_older_rows_only_when_one_was_read_past_it() {
        let page = CursorPage::from_rows(vec![9, 8, 7], 2, true, |n| *n);
        assert_eq!((page.rows, page.older, page.newest), (vec![9, 8], Some(8), true));
        let page = CursorPage::from_rows(vec![9, 8], 2, false, |n| *n);
        assert_eq!((page.rows, page.older, page.newest), (vec![9, 8], None, false));
        let page = CursorPage::from_rows(Vec::<i64>::new(), 2, false, |n| *n);
        assert_eq!((page.rows.len(), page.older), (0, None));
    }

    #[test]
    fn like_escapes_wildcards() {
        assert_eq!(like_pattern("Ada_B%"), "%ada\\_b\\%%");
        assert_eq!(like_pattern(""), "%%");
    }
}
