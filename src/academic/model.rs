use crate::db::{Date, Flag};

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Faculty {
    pub id: i64,
    pub name: String,
    pub code: String,
    #[sqlx(try_from = "Flag")]
    pub active: bool,
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Department {
    pub id: i64,
    pub faculty_id: i64,
    pub name: String,
    pub code: String,
    #[sqlx(try_from = "Flag")]
    pub active: bool,
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Level {
    pub id: i64,
    pub name: String,
    pub sort_order: i64,
    #[sqlx(try_from = "Flag")]
    pub active: bool,
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct AcademicSession {
    pub id: i64,
    pub name: String,
    pub starts_on: Date,
    pub ends_on: Date,
    #[sqlx(try_from = "Flag")]
    pub is_current: bool,
    #[sqlx(try_from = "Flag")]
    pub active: bool,
}

/// The active choices for a student's faculty, department, level and session, for forms.
#[derive(Clone, Debug, Default)]
pub struct AcademicOptions {
    pub faculties: Vec<Faculty>,
    pub departments: Vec<Department>,
    pub levels: Vec<Level>,
    pub sessions: Vec<AcademicSession>,
}

impl AcademicOptions {
    pub fn faculty_name(&self, id: Option<i64>) -> Option<&str> {
        id.and_then(|id| self.faculties.iter().find(|f| f.id == id))
            .map(|f| f.name.as_str())
    }

    pub fn department_name(&self, id: Option<i64>) -> Option<&str> {
        id.and_then(|id| self.departments.iter().find(|d| d.id == id))
            .map(|d| d.name.as_str())
    }

    pub fn level_name(&self, id: Option<i64>) -> Option<&str> {
        id.and_then(|id| self.levels.iter().find(|l| l.id == id))
            .map(|l| l.name.as_str())
    }

    pub fn session_name(&self, id: Option<i64>) -> Option<&str> {
        id.and_then(|id| self.sessions.iter().find(|s| s.id == id))
            .map(|s| s.name.as_str())
    }

    /// The department's faculty, for checking that a student's department belongs to their faculty.
    pub fn faculty_of(&self, department_id: i64) -> Option<i64> {
        self.departments
            .iter()
            .find(|d| d.id == department_id)
            .map(|d| d.faculty_id)
    }

    pub fn current_session(&self) -> Option<&AcademicSession> {
        self.sessions.iter().find(|s| s.is_current)
    }
}
