//! Documents as rules: which files are accepted (PDF, JPEG or PNG, told by their first bytes, never by their
//! name or the type the browser claims), how large, the title, who may upload and read them, and how a
//! document is named when it is served.

use crate::db::Timestamp;
use crate::identity::Role;
use crate::text_enum;
use crate::validation::{FieldErrors, forbidden_character, forbidden_message};

text_enum! {
    /// What a document holds, as its stored media type.
    pub enum DocumentKind {
        Pdf => "application/pdf",
        Jpeg => "image/jpeg",
        Png => "image/png",
    }
}

impl DocumentKind {
    /// The kind the content's first bytes say, whatever the file is called.
    pub fn sniff(data: &[u8]) -> Option<DocumentKind> {
        if data.starts_with(b"%PDF-") {
            Some(DocumentKind::Pdf)
        } else if data.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(DocumentKind::Jpeg)
        } else if data.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(DocumentKind::Png)
        } else {
            None
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            DocumentKind::Pdf => "PDF",
            DocumentKind::Jpeg => "JPEG image",
            DocumentKind::Png => "PNG image",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            DocumentKind::Pdf => "pdf",
            DocumentKind::Jpeg => "jpg",
            DocumentKind::Png => "png",
        }
    }

    pub fn mime(self) -> &'static str {
        self.as_str()
    }

    /// A PDF may carry script and forms: it is served in a sandbox.
    pub fn needs_sandbox(self) -> bool {
        self == DocumentKind::Pdf
    }
}

/// The largest document accepted: 10 MB.
pub const MAX_BYTES: usize = 10 * 1024 * 1024;
/// The request that carries a document may be a little larger (the title, the form's token, the boundaries).
pub const MAX_REQUEST_BYTES: usize = MAX_BYTES + 64 * 1024;
pub const TITLE_MAX_CHARS: usize = 120;

pub const TOO_LARGE: &str = "A document may be at most 10 MB. Scan it at a lower resolution or split it.";
pub const NOT_ACCEPTED: &str = "This file is not a PDF, JPEG or PNG (Sickbay looks at what the file holds, not its name). Save it as one of those.";

/// The file sent with the form, checked: its kind and bytes.
pub fn check_file(data: &[u8]) -> Result<DocumentKind, String> {
    if data.is_empty() {
        return Err("Choose the file to upload.".into());
    }
    if data.len() > MAX_BYTES {
        return Err(TOO_LARGE.into());
    }
    DocumentKind::sniff(data).ok_or_else(|| NOT_ACCEPTED.into())
}

pub fn parse_title(text: &str) -> Result<String, String> {
    if let Some(c) = forbidden_character(text, false) {
        return Err(forbidden_message("The title", c));
    }
    let title = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match title.chars().count() {
        0 => Err("Give the document a title, e.g. Chest X-ray report.".into()),
        n if n > TITLE_MAX_CHARS => Err(format!("Keep the title to {TITLE_MAX_CHARS} characters or fewer.")),
        _ => Ok(title),
    }
}

/// A validated upload.
#[derive(Clone, Debug)]
pub struct Upload {
    pub title: String,
    pub kind: DocumentKind,
}

/// Checks the title and the file together, so the form shows every message at once.
pub fn validate(title: &str, data: &[u8]) -> Result<Upload, FieldErrors> {
    let mut errors = FieldErrors::default();
    let title = errors.check("title", parse_title(title));
    let kind = errors.check("file", check_file(data));
    match (title, kind) {
        (Some(title), Some(kind)) => Ok(Upload { title, kind }),
        _ => Err(errors),
    }
}

/// Who may upload documents and read them: doctors, lab attendants and admins (never reception or the
/// pharmacy), by any role they hold. A lab attendant reads a patient's documents (outside lab reports), not
/// their clinical notes.
pub fn staff_may_use(roles: impl Into<crate::identity::Roles>) -> bool {
    roles.into().first_of(&[Role::Doctor, Role::Lab, Role::Admin]).is_some()
}

/// The name a document is served under: its title in plain ASCII letters, digits and dashes (nothing that
/// could break out of the header's quotes), and the extension of what it really is.
pub fn file_name(title: &str, kind: DocumentKind) -> String {
    let mut name = String::new();
    for c in title.chars() {
        if c.is_ascii_alphanumeric() {
            name.push(c);
        } else if (c.is_ascii_whitespace() || c.is_ascii_punctuation()) && !name.ends_with('-') && !name.is_empty() {
            name.push('-');
        }
        if name.len() >= 60 {
            break;
        }
    }
    let name = name.trim_end_matches('-');
    let name = if name.is_empty() { "document" } else { name };
    format!("{name}.{}", kind.extension())
}

/// A size as people read it: `820 bytes`, `14 KB`, `2.4 MB`.
pub fn size_text(bytes: i64) -> String {
    const KB: i64 = 1024;
    const MB: i64 = 1024 * 1024;
    match bytes {
        b if b < KB => format!("{b} bytes"),
        b if b < MB => format!("{} KB", (b + KB / 2) / KB),
        b => {
            let tenths = (b * 10 + MB / 2) / MB;
            format!("{}.{} MB", tenths / 10, tenths % 10)
        }
    }
}

/// A document's details, without its content.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct DocumentMeta {
    pub id: i64,
    pub patient_id: i64,
    pub visit_id: Option<i64>,
    pub title: String,
    pub mime: DocumentKind,
    pub size: i64,
    pub uploaded_by_name: String,
    pub uploaded_at: Timestamp,
}

impl DocumentMeta {
    pub fn kind(&self) -> DocumentKind {
        self.mime
    }

    pub fn size_text(&self) -> String {
        size_text(self.size)
    }

    pub fn file_name(&self) -> String {
        file_name(&self.title, self.mime)
    }
}

/// A list of documents and the upload form, as the visit's section and the patient's page show them.
#[derive(Clone, Debug, Default)]
pub struct DocumentList {
    /// Where the upload form posts (`/visits/7/documents`, `/patients/3/documents`).
    pub action: String,
    /// Where a document opens for this reader (`/documents/` or `/me/documents/`).
    pub view_base: &'static str,
    pub documents: Vec<DocumentMeta>,
    pub can_upload: bool,
    pub errors: FieldErrors,
    pub title: String,
    pub form_id: String,
}

impl DocumentList {
    pub fn href(&self, document: &DocumentMeta) -> String {
        format!("{}{}", self.view_base, document.id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_content_decides_the_kind() {
        assert_eq!(DocumentKind::sniff(b"%PDF-1.4\n..."), Some(DocumentKind::Pdf));
        assert_eq!(
            DocumentKind::sniff(&[0xFF, 0xD8, 0xFF, 0xE0, 0]),
            Some(DocumentKind::Jpeg)
        );
        assert_eq!(
            DocumentKind::sniff(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"),
            Some(DocumentKind::Png)
        );
        assert_eq!(DocumentKind::sniff(b"hello, I am a pdf"), None);
        assert_eq!(DocumentKind::sniff(b"%PD"), None);
        assert_eq!(DocumentKind::sniff(b"\x89PNG\r\n"), None);
        assert_eq!(DocumentKind::sniff(b"GIF89a"), None);
        assert_eq!(DocumentKind::sniff(b""), None);
    }

    #[test]
    fn files_are_checked_for_size_and_kind() {
        assert!(check_file(b"").is_err());
        assert_eq!(check_file(b"%PDF-1.7"), Ok(DocumentKind::Pdf));
        let mut big = b"%PDF-1.7".to_vec();
        big.resize(MAX_BYTES, b' ');
        assert_eq!(check_file(&big), Ok(DocumentKind::Pdf));
        big.push(b' ');
        assert_eq!(check_file(&big), Err(TOO_LARGE.to_owned()));
        assert_eq!(check_file(b"plain text"), Err(NOT_ACCEPTED.to_owned()));
    }

    #[test]
    fn titles_are_one_short_line() {
        assert_eq!(parse_title("  Chest   X-ray "), Ok("Chest X-ray".to_owned()));
        assert!(parse_title("").is_err());
        assert!(parse_title("two\nlines").is_err());
        assert!(parse_title(&"t".repeat(121)).is_err());
        let errors = validate("", b"nope").expect_err("both wrong");
        assert!(errors.get("title").is_some() && errors.get("file").is_some());
    }

    #[test]
    fn served_names_cannot_break_the_header() {
        assert_eq!(
            file_name("Chest X-ray report", DocumentKind::Pdf),
            "Chest-X-ray-report.pdf"
        );
        assert_eq!(file_name("\"; evil=\"x\r\n", DocumentKind::Png), "evil-x.png");
        assert_eq!(file_name("Adéwálé's scan", DocumentKind::Jpeg), "Adwl-s-scan.jpg");
        assert_eq!(file_name("", DocumentKind::Pdf), "document.pdf");
        assert_eq!(file_name("../../etc/passwd", DocumentKind::Pdf), "etc-passwd.pdf");
        assert!(file_name(&"a".repeat(300), DocumentKind::Pdf).len() <= 64);
    }

    #[test]
    fn sizes_read_naturally() {
        assert_eq!(size_text(820), "820 bytes");
        assert_eq!(size_text(14 * 1024), "14 KB");
        assert_eq!(size_text(2_516_582), "2.4 MB");
        assert_eq!(size_text(10 * 1024 * 1024), "10.0 MB");
    }

    #[test]
    fn only_clinical_staff_use_documents() {
        assert!(staff_may_use(Role::Doctor));
        assert!(staff_may_use(Role::Lab));
        assert!(staff_may_use(Role::Admin));
        assert!(!staff_may_use(Role::Reception));
        assert!(!staff_may_use(Role::Pharmacist));
    }
}
