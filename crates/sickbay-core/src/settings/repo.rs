use crate::db::{Reader, Timestamp, Tx, run};

/// Every stored setting, on the pool or as it is inside the caller's transaction.
pub async fn load_all(mut db: impl Reader) -> Result<Vec<(String, String)>, sqlx::Error> {
    sqlx::query_as("SELECT key, value FROM setting")
        .fetch_all(db.exec())
        .await
}

/// Inserts or replaces one setting inside the caller's transaction.
pub async fn save(tx: &mut Tx, key: &str, value: &str) -> Result<(), sqlx::Error> {
    run(
        tx,
        sqlx::query(
            "INSERT INTO setting (key, value, updated_at) VALUES ($1, $2, $3)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
        )
        .bind(key)
        .bind(value)
        .bind(Timestamp::now()),
    )
    .await
}
