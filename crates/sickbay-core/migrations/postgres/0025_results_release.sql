-- The lab setting "does a result wait for the doctor" becomes a choice of three (lab_results_release: lab,
-- abnormal, doctor). A clinic that had chosen keeps its choice; one that never saved the setting gets the new
-- default, where a low, high or abnormal result waits for the doctor who ordered it.
INSERT INTO setting (key, value, updated_at)
SELECT 'lab_results_release', CASE value WHEN '1' THEN 'doctor' ELSE 'lab' END, updated_at
FROM setting WHERE key = 'lab_doctor_releases';
DELETE FROM setting WHERE key = 'lab_doctor_releases';
