-- Staff digests (issue 39, item 4): the pharmacists' daily stock digest and the admins' weekly summary, in
-- their bells and by email to those who want it. A run is claimed by inserting its row, so it happens once a
-- day (or week) however many instances run the job.
ALTER TABLE staff ADD COLUMN digest_by TEXT NOT NULL DEFAULT 'email' CHECK (digest_by IN ('email', 'none'));
CREATE TABLE digest_run (
    kind       TEXT    NOT NULL,
    day        TEXT    NOT NULL,
    created_at BIGINT  NOT NULL,
    PRIMARY KEY (kind, day)
);
