//! Page numbers for long lists.

use serde::Deserialize;

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

/// Where a page sits among all pages of a list, for the "previous / next" links.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Paging {
    pub page: i64,
    pub pages: i64,
    pub total: i64,
}

impl Paging {
    pub fn new(request: PageRequest, total: i64) -> Self {
        let pages = ((total + PAGE_SIZE - 1) / PAGE_SIZE).max(1);
        Paging {
            page: request.0,
            pages,
            total,
        }
    }

    pub fn previous(&self) -> Option<i64> {
        (self.page > 1).then(|| (self.page - 1).min(self.pages))
    }

    pub fn next(&self) -> Option<i64> {
        (self.page < self.pages).then_some(self.page + 1)
    }
}

/// The link to page `page` of the searchable list at `path` for `search` (`/admin/staff?q=ada&page=2`).
pub fn search_page_link(path: &str, search: &str, page: i64) -> String {
    let q: String = form_urlencoded::byte_serialize(search.as_bytes()).collect();
    format!("{path}?q={q}&page={page}")
}

/// The common query string of a paged, searchable list.
#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    pub q: Option<String>,
    pub page: Option<String>,
}

impl ListQuery {
    pub fn search(&self) -> String {
        self.q.as_deref().unwrap_or("").trim().chars().take(100).collect()
    }

    pub fn page(&self) -> PageRequest {
        PageRequest::from_query(self.page.as_deref())
    }
}

/// The `?before=` of a list paged from a cursor: the id of the last row of the page before. Anything
/// unreadable is the first page.
#[derive(Debug, Default, Deserialize)]
pub struct CursorQuery {
    #[serde(default)]
    pub before: String,
}

impl CursorQuery {
    pub fn before(&self) -> Option<i64> {
        crate::validation::parse_id(&self.before)
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
    fn a_page_link_keeps_the_search_encoded() {
        assert_eq!(search_page_link("/admin/staff", "", 2), "/admin/staff?q=&page=2");
        assert_eq!(
            search_page_link("/queue/due", "Ada O'Neil & co", 3),
            "/queue/due?q=Ada+O%27Neil+%26+co&page=3"
        );
    }

    #[test]
    fn paging_links() {
        let p = Paging::new(PageRequest(1), 0);
        assert_eq!((p.pages, p.previous(), p.next()), (1, None, None));
        let p = Paging::new(PageRequest(2), PAGE_SIZE * 2 + 1);
        assert_eq!((p.pages, p.previous(), p.next()), (3, Some(1), Some(3)));
        let p = Paging::new(PageRequest(9), PAGE_SIZE);
        assert_eq!((p.previous(), p.next()), (Some(1), None));
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
    fn an_unreadable_cursor_is_the_first_page() {
        for raw in ["", "abc", "-4", "0", "1e9"] {
            let query = CursorQuery { before: raw.into() };
            assert_eq!(query.before(), None, "{raw:?}");
        }
        assert_eq!(CursorQuery { before: " 42 ".into() }.before(), Some(42));
    }

    #[test]
    fn like_escapes_wildcards() {
        assert_eq!(like_pattern("Ada_B%"), "%ada\\_b\\%%");
        assert_eq!(like_pattern(""), "%%");
    }
}
