-- Reports: each closed day's figures, computed once by a job at the end of the clinic's day, so a report over a
-- year reads a few rows per day instead of every visit, payment and stock movement.

-- One figure of one day: a count (`n`) and, for money and quantities, an `amount`, under a dimension (a doctor,
-- a status, a payment method, a drug...) and, for the time histograms, a bucket in minutes (0 otherwise).
CREATE TABLE daily_figure (
    day    TEXT    NOT NULL,
    metric TEXT    NOT NULL,
    dim    TEXT    NOT NULL,
    bucket BIGINT  NOT NULL,
    n      BIGINT  NOT NULL,
    amount BIGINT  NOT NULL,
    PRIMARY KEY (metric, day, dim, bucket)
);

-- Which days have figures, and whether a late change has touched the day since: every change to a closed day
-- adds one to `changes`; the figures are fresh while `summarized` (the `changes` they were computed at) equals it.
CREATE TABLE summary_day (
    day           TEXT    PRIMARY KEY,
    changes       BIGINT  NOT NULL DEFAULT 0,
    summarized    BIGINT,
    summarized_at BIGINT
);

-- A day's rows of each source, read by the summary job and by the reports for today.
CREATE INDEX visit_day ON visit (day, doctor_id);
CREATE INDEX patient_created ON patient (created_at);
CREATE INDEX invoice_issued_day ON invoice (issued_day) WHERE issued_day IS NOT NULL;
CREATE INDEX stock_movement_day ON stock_movement (day, kind);
