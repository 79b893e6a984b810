-- A staff account may hold roles beside its own (issue 35, item 22): an admin grants a lab attendant's or a
-- pharmacist's work to a colleague in a small clinic, and takes it back. The account's `role` stays its main
-- role (its home page and label); each extra role is a row here, granted by an admin (audited).
CREATE TABLE staff_role (
    staff_id   BIGINT NOT NULL REFERENCES staff (id),
    role       TEXT   NOT NULL CHECK (role IN ('pharmacist', 'lab', 'reception')),
    granted_by BIGINT NOT NULL REFERENCES staff (id),
    granted_at BIGINT NOT NULL,
    PRIMARY KEY (staff_id, role)
);

-- The role a staff member acted in, for the rows written from now on (older rows and those of patients, the
-- system and logins have none). Adding a column changes no entry, so the log stays append-only.
ALTER TABLE audit_event ADD COLUMN actor_role TEXT;
