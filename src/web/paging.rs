//! The pager of long lists: links to the pages before and after, and the query string of a paged search.

use serde::Deserialize;

use sickbay_core::db::paging::{CursorPage, PAGE_SIZE, PageRequest};

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

/// The bar of a paged list, ready to show (`m::pager` in `macros.html`): numbered pages ("Previous", "Next")
/// or a list read from a cursor, newest first ("Newest", "Older").
pub struct Pager {
    /// `31 bookings · page 2 of 2`, and anything the page adds about the list (nothing for a cursor's list).
    pub summary: String,
    previous: Option<String>,
    next: Option<String>,
    /// What the two links say.
    pub words: (&'static str, &'static str),
    /// The back link's `rel`: `prev` for the page before; none for a cursor's way back to the newest.
    pub back_rel: Option<&'static str>,
}

/// The words of a cursor pager of entries or notices.
pub const OLDER: (&str, &str) = ("Newest", "Older");

/// Where a list read from a cursor, newest first, stands: on its newest page or not, and the `before` of the
/// page of older rows, if there are any.
#[derive(Clone, Copy, Debug)]
pub struct Cursor {
    newest: bool,
    older: Option<i64>,
}

impl Default for Cursor {
    fn default() -> Self {
        Cursor {
            newest: true,
            older: None,
        }
    }
}

impl<T> From<&CursorPage<T>> for Cursor {
    fn from(page: &CursorPage<T>) -> Self {
        Cursor {
            newest: page.newest,
            older: page.older,
        }
    }
}

impl Cursor {
    /// The bar: back to `first` (unless this is the newest page) and on to the older rows at `link(older)`.
    pub fn pager(self, first: String, link: impl Fn(i64) -> String, words: (&'static str, &'static str)) -> Pager {
        Pager {
            summary: String::new(),
            previous: (!self.newest).then_some(first),
            next: self.older.map(link),
            words,
            back_rel: None,
        }
    }

    /// The bar of the list at `path`, its older pages at `path?before=…`.
    pub fn pager_at(self, path: &str, words: (&'static str, &'static str)) -> Pager {
        self.pager(path.to_owned(), |before| format!("{path}?before={before}"), words)
    }

    pub fn older(self) -> Option<i64> {
        self.older
    }

    pub fn is_newest(self) -> bool {
        self.newest
    }
}

impl Pager {
    pub fn previous(&self) -> Option<&str> {
        self.previous.as_deref()
    }

    pub fn next(&self) -> Option<&str> {
        self.next.as_deref()
    }
}

impl Paging {
    /// The bar for this page: `noun` is what the list holds, one and many (`("entry", "entries")`), and `link`
    /// the address of a page.
    pub fn pager(&self, noun: (&str, &str), link: impl Fn(i64) -> String) -> Pager {
        let noun = if self.total == 1 { noun.0 } else { noun.1 };
        Pager {
            summary: format!("{} {noun} · page {} of {}", self.total, self.page, self.pages),
            previous: self.previous().map(&link),
            next: self.next().map(&link),
            words: ("Previous", "Next"),
            back_rel: Some("prev"),
        }
    }
}

/// `path` with the pairs that have a value as its query string (`/pharmacy/drugs?show=reorder`), or `path` alone.
pub fn address(path: &str, pairs: &[(&str, &str)]) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    for (key, value) in pairs.iter().filter(|(_, value)| !value.is_empty()) {
        query.append_pair(key, value);
    }
    match query.finish() {
        query if query.is_empty() => path.to_owned(),
        query => format!("{path}?{query}"),
    }
}

/// A page's number as the `page` value of an [`address`]: empty for the first page (or none), which the
/// address then leaves out.
pub fn page_value(page: Option<i64>) -> String {
    page.filter(|page| *page > 1)
        .map(|page| page.to_string())
        .unwrap_or_default()
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
        sickbay_core::validation::parse_id(&self.before)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn an_unreadable_cursor_is_the_first_page() {
        for raw in ["", "abc", "-4", "0", "1e9"] {
            let query = CursorQuery { before: raw.into() };
            assert_eq!(query.before(), None, "{raw:?}");
        }
        assert_eq!(CursorQuery { before: " 42 ".into() }.before(), Some(42));
    }
}
