use crate::db::{Db, Timestamp, Tx};

pub async fn load_all(db: &Db) -> Result<Vec<(String, String)>, sqlx::Error> {
    sqlx::query_as("SELECT key, value FROM setting")
        .fetch_all(db.pool())
        .await
}

/// Inserts or replaces one setting inside the caller's transaction.
pub async fn save(tx: &mut Tx, key: &str, value: &str) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO setting (key, value, updated_at) VALUES ($1, $2, $3)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
    )
    .bind(key)
    .bind(value)
    .bind(Timestamp::now())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Every stored setting, as it is inside the caller's transaction.
pub async fn load_all_in(tx: &mut Tx) -> Result<Vec<(String, String)>, sqlx::Error> {
    sqlx::query_as("SELECT key, value FROM setting")
        .fetch_all(&mut **tx)
        .await
}
