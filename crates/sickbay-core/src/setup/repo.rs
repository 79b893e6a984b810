//! All SQL of the first run: one read of the counts its steps are decided from.

use super::model::Counts;
use crate::db::Reader;

pub async fn counts(mut db: impl Reader) -> Result<Counts, sqlx::Error> {
    sqlx::query_as(
        "SELECT
           (SELECT COUNT(*) FROM setting WHERE key = 'clinic_name') AS settings_saved,
           (SELECT COUNT(*) FROM room WHERE active = 1) AS rooms,
           (SELECT COUNT(*) FROM staff WHERE active = 1 AND role = 'doctor') AS doctors,
           (SELECT COUNT(*) FROM staff s WHERE s.active = 1 AND (s.role = 'reception'
              OR EXISTS (SELECT 1 FROM staff_role r WHERE r.staff_id = s.id AND r.role = 'reception'))) AS front_desk,
           (SELECT COUNT(DISTINCT h.doctor_id) FROM doctor_hours h JOIN staff s ON s.id = h.doctor_id
              WHERE h.active = 1 AND s.active = 1) AS doctors_with_hours,
           (SELECT COUNT(*) FROM fee WHERE active = 1 AND (price > 0 OR updated_at > 0)) AS fees,
           (SELECT COUNT(*) FROM patient WHERE password_hash IS NOT NULL) AS portal_accounts",
    )
    .fetch_one(db.exec())
    .await
}
