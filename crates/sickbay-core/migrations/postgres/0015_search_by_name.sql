-- A search lists the first 20 matches by surname, then first name. With the names beside each token, a common
-- name's hundreds of matches are ordered from this index alone, and only the 20 shown are read from `patient`
-- (they were all read, to be sorted). The names are written with the tokens, which every change of a name
-- already rewrites.
ALTER TABLE patient_search_token ADD COLUMN surname TEXT NOT NULL DEFAULT '';
ALTER TABLE patient_search_token ADD COLUMN first_name TEXT NOT NULL DEFAULT '';
UPDATE patient_search_token
   SET surname = (SELECT p.surname FROM patient p WHERE p.id = patient_search_token.patient_id),
       first_name = (SELECT p.first_name FROM patient p WHERE p.id = patient_search_token.patient_id);
CREATE INDEX patient_search_token_by_name ON patient_search_token (token, surname, first_name, patient_id);
