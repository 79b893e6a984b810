//! Multi-row INSERTs: a row type names its table and columns and binds its values; [`insert_all`] writes many
//! of them in as few statements as the databases allow.

use std::fmt::Write as _;

use sqlx::Any;
use sqlx::any::AnyArguments;
use sqlx::query::Query;

use super::{Backend, Connection};

/// The parameters of one multi-row INSERT: SQLite allows 32,766, PostgreSQL 65,535.
const PARAMETERS_PER_STATEMENT: usize = 32_766;

pub type AnyQuery<'q> = Query<'q, Any, AnyArguments<'q>>;

/// A row of a multi-row INSERT: its table, its columns, and its values bound in that order.
pub trait Insert {
    const TABLE: &'static str;
    const COLUMNS: &'static [&'static str];
    fn bind<'q>(&'q self, query: AnyQuery<'q>) -> AnyQuery<'q>;
}

/// Inserts `rows` in as few statements as the parameter limit allows.
pub async fn insert_all<R: Insert>(conn: &mut Connection, rows: &[R]) -> Result<(), sqlx::Error> {
    let backend = conn.backend();
    for batch in rows.chunks(rows_per_statement(R::COLUMNS.len())) {
        let sql = insert_sql(backend, R::TABLE, R::COLUMNS, batch.len());
        let query = batch.iter().fold(sqlx::query(&sql), |query, row| row.bind(query));
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

fn rows_per_statement(columns: usize) -> usize {
    (PARAMETERS_PER_STATEMENT / columns.max(1)).max(1)
}

/// `INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4), ...` for `rows` rows. SQLite gets anonymous `?`
/// placeholders instead: it finds a numbered one by its name with a linear search, so binding n of them costs
/// n² (a statement of 30,000 takes seconds), while `?` binds by position.
fn insert_sql(backend: Backend, table: &str, columns: &[&str], rows: usize) -> String {
    let mut sql = format!("INSERT INTO {table} ({}) VALUES ", columns.join(", "));
    for row in 0..rows {
        sql.push_str(if row == 0 { "(" } else { ", (" });
        for column in 0..columns.len() {
            let separator = if column == 0 { "" } else { ", " };
            let _ = match backend {
                Backend::Sqlite => write!(sql, "{separator}?"),
                Backend::Postgres => write!(sql, "{separator}${}", row * columns.len() + column + 1),
            };
        }
        sql.push(')');
    }
    sql
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insert_statements_number_their_parameters_row_by_row() {
        assert_eq!(
            insert_sql(Backend::Postgres, "t", &["a", "b"], 2),
            "INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4)"
        );
        assert_eq!(
            insert_sql(Backend::Sqlite, "t", &["a", "b"], 2),
            "INSERT INTO t (a, b) VALUES (?, ?), (?, ?)"
        );
        assert_eq!(
            insert_sql(Backend::Postgres, "t", &["a"], 1),
            "INSERT INTO t (a) VALUES ($1)"
        );
    }

    #[test]
    fn a_batch_fills_its_parameters_within_sqlites_limit() {
        for columns in [1, 2, 10, 18, 28] {
            let rows = rows_per_statement(columns);
            assert!(rows * columns <= 32_766 && (rows + 1) * columns > 32_766);
        }
        assert_eq!(rows_per_statement(0), 32_766);
    }
}
