-- Background jobs: when each may run next. An instance runs a job only after moving `next_run_at` forward with a
-- conditional update, so with several instances each run happens once.
CREATE TABLE job (
    name        TEXT    PRIMARY KEY,
    next_run_at BIGINT  NOT NULL,
    last_run_at BIGINT,
    last_error  TEXT    NOT NULL DEFAULT ''
);
