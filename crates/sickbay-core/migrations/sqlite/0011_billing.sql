-- Billing: the fee schedule and prices by patient category, payer schemes, invoices with their lines, payments
-- and refunds, credit notes, and the cashier's closed days. Money is INTEGER minor units (kobo, cents).

-- The clinic's services that are not a lab test, a procedure or a drug: the consultation fee (one row of kind
-- 'consultation') and any other service (a medical report, a card replacement...).
CREATE TABLE fee (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    kind       TEXT    NOT NULL CHECK (kind IN ('consultation', 'service')),
    name       TEXT    NOT NULL,
    price      INTEGER NOT NULL CHECK (price >= 0),
    active     INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX fee_name_key ON fee (LOWER(name));
CREATE UNIQUE INDEX fee_consultation_key ON fee (kind) WHERE kind = 'consultation';
INSERT INTO fee (kind, name, price, active, created_at, updated_at) VALUES ('consultation', 'Consultation', 0, 1, 0, 0);

-- A price for one category of patient, where it differs from the item's own price (its default).
CREATE TABLE category_price (
    item_kind TEXT    NOT NULL CHECK (item_kind IN ('fee', 'lab_test', 'procedure')),
    item_id   INTEGER NOT NULL,
    category  TEXT    NOT NULL CHECK (category IN ('student', 'staff', 'dependant', 'visitor')),
    price     INTEGER NOT NULL CHECK (price >= 0),
    PRIMARY KEY (item_kind, item_id, category)
);

-- Who pays part of a covered patient's invoices: a health insurance scheme, an HMO, the university.
CREATE TABLE scheme (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    name               TEXT    NOT NULL,
    -- The share of a covered line the scheme pays, in percent.
    percent            INTEGER NOT NULL CHECK (percent BETWEEN 1 AND 100),
    covers_consultation INTEGER NOT NULL CHECK (covers_consultation IN (0, 1)),
    covers_services    INTEGER NOT NULL CHECK (covers_services IN (0, 1)),
    covers_lab         INTEGER NOT NULL CHECK (covers_lab IN (0, 1)),
    covers_procedures  INTEGER NOT NULL CHECK (covers_procedures IN (0, 1)),
    covers_drugs       INTEGER NOT NULL CHECK (covers_drugs IN (0, 1)),
    -- The most the scheme pays for one patient in a calendar year; 0 for no limit.
    yearly_limit       INTEGER NOT NULL DEFAULT 0 CHECK (yearly_limit >= 0),
    active             INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL
);
CREATE UNIQUE INDEX scheme_name_key ON scheme (LOWER(name));

-- The scheme a patient is covered by (one at a time).
CREATE TABLE patient_scheme (
    patient_id    INTEGER PRIMARY KEY REFERENCES patient (id),
    scheme_id     INTEGER NOT NULL REFERENCES scheme (id),
    member_number TEXT    NOT NULL DEFAULT '',
    updated_at    INTEGER NOT NULL
);

CREATE TABLE invoice (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    -- INV-2026-000001, given when the invoice is issued: gap-free per year (a void keeps its number).
    number           TEXT,
    patient_id       INTEGER NOT NULL REFERENCES patient (id),
    visit_id         INTEGER REFERENCES visit (id),
    -- The patient's category its prices were taken for.
    category         TEXT    NOT NULL CHECK (category IN ('student', 'staff', 'dependant', 'visitor')),
    status           TEXT    NOT NULL CHECK (status IN ('draft', 'issued', 'partly_paid', 'paid', 'void')),
    subtotal         INTEGER NOT NULL DEFAULT 0 CHECK (subtotal >= 0),
    discount         INTEGER NOT NULL DEFAULT 0 CHECK (discount >= 0 AND discount <= subtotal),
    -- A percentage discount in basis points (1250 = 12.5 %), NULL for an amount.
    discount_bp      INTEGER CHECK (discount_bp BETWEEN 0 AND 10000),
    discount_reason  TEXT    NOT NULL DEFAULT '',
    tax_bp           INTEGER NOT NULL DEFAULT 0 CHECK (tax_bp BETWEEN 0 AND 10000),
    tax              INTEGER NOT NULL DEFAULT 0 CHECK (tax >= 0),
    total            INTEGER NOT NULL DEFAULT 0 CHECK (total >= 0),
    scheme_id        INTEGER REFERENCES scheme (id),
    -- The patient's member number with the scheme when the invoice was figured, for the claim.
    member_number    TEXT    NOT NULL DEFAULT '',
    scheme_share     INTEGER NOT NULL DEFAULT 0 CHECK (scheme_share >= 0),
    patient_share    INTEGER NOT NULL DEFAULT 0 CHECK (patient_share >= 0),
    -- What the patient has paid, less what was refunded, and what credit notes took off their share.
    paid             INTEGER NOT NULL DEFAULT 0 CHECK (paid >= 0),
    credited         INTEGER NOT NULL DEFAULT 0 CHECK (credited >= 0),
    -- The scheme's share as a line of its claim.
    claim_status     TEXT    NOT NULL DEFAULT 'none' CHECK (claim_status IN ('none', 'pending', 'submitted', 'paid',
                                                                          'rejected')),
    claim_reason     TEXT    NOT NULL DEFAULT '',
    void_reason      TEXT    NOT NULL DEFAULT '',
    created_by       INTEGER NOT NULL REFERENCES staff (id),
    created_at       INTEGER NOT NULL,
    issued_at        INTEGER,
    -- The clinic's local day it was issued, and its month (YYYY-MM) for the scheme's claim.
    issued_day       TEXT,
    issued_month     TEXT,
    updated_at       INTEGER NOT NULL,
    CHECK (scheme_share + patient_share = total),
    CHECK (paid + credited <= patient_share)
);
CREATE UNIQUE INDEX invoice_number_key ON invoice (number);
-- One live invoice per visit: a second "bill this visit" finds the first.
CREATE UNIQUE INDEX invoice_visit_live_key ON invoice (visit_id) WHERE status <> 'void';
CREATE INDEX invoice_patient ON invoice (patient_id, created_at);
CREATE INDEX invoice_status ON invoice (status, created_at);
CREATE INDEX invoice_claim ON invoice (scheme_id, issued_month) WHERE scheme_id IS NOT NULL;
-- Reception's completed visits still to bill, newest first.
CREATE INDEX visit_completed ON visit (completed_at) WHERE status = 'completed';

CREATE TABLE invoice_line (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    invoice_id  INTEGER NOT NULL REFERENCES invoice (id),
    kind        TEXT    NOT NULL CHECK (kind IN ('consultation', 'service', 'lab_test', 'procedure', 'drug', 'other')),
    -- The catalogue entry it was priced from (none for a line typed by hand).
    item_id     INTEGER,
    description TEXT    NOT NULL,
    quantity    INTEGER NOT NULL CHECK (quantity > 0),
    unit_price  INTEGER NOT NULL CHECK (unit_price >= 0),
    total       INTEGER NOT NULL CHECK (total >= 0),
    created_at  INTEGER NOT NULL
);
CREATE INDEX invoice_line_invoice ON invoice_line (invoice_id, id);

-- Money in (a payment) and out (a refund, a negative amount) at the cashier's desk.
CREATE TABLE payment (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    -- RCT-2026-000001 for a payment, RFD-2026-000001 for a refund: gap-free per year.
    number      TEXT    NOT NULL,
    invoice_id  INTEGER NOT NULL REFERENCES invoice (id),
    patient_id  INTEGER NOT NULL REFERENCES patient (id),
    kind        TEXT    NOT NULL CHECK (kind IN ('payment', 'refund')),
    method      TEXT    NOT NULL CHECK (method IN ('cash', 'card', 'transfer')),
    amount      INTEGER NOT NULL,
    -- Cash handed over, when more than the amount (the change is the difference).
    tendered    INTEGER,
    reference   TEXT    NOT NULL DEFAULT '',
    reason      TEXT    NOT NULL DEFAULT '',
    received_by INTEGER NOT NULL REFERENCES staff (id),
    received_at INTEGER NOT NULL,
    -- The clinic's local day of `received_at`, for the cashier's day.
    day         TEXT    NOT NULL,
    CHECK ((kind = 'payment' AND amount > 0) OR (kind = 'refund' AND amount < 0)),
    CHECK (tendered IS NULL OR tendered >= amount)
);
CREATE UNIQUE INDEX payment_number_key ON payment (number);
CREATE INDEX payment_invoice ON payment (invoice_id, id);
CREATE INDEX payment_day ON payment (day, received_by, method);
CREATE INDEX payment_patient ON payment (patient_id, id);

-- What was taken off an issued invoice's patient share, with why.
CREATE TABLE credit_note (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    -- CRN-2026-000001, gap-free per year.
    number     TEXT    NOT NULL,
    invoice_id INTEGER NOT NULL REFERENCES invoice (id),
    amount     INTEGER NOT NULL CHECK (amount > 0),
    reason     TEXT    NOT NULL,
    created_by INTEGER NOT NULL REFERENCES staff (id),
    created_at INTEGER NOT NULL,
    day        TEXT    NOT NULL
);
CREATE UNIQUE INDEX credit_note_number_key ON credit_note (number);
CREATE INDEX credit_note_invoice ON credit_note (invoice_id);

-- A cashier's closed day: the cash they counted against what Sickbay expected.
CREATE TABLE cash_close (
    day        TEXT    NOT NULL,
    cashier_id INTEGER NOT NULL REFERENCES staff (id),
    expected   INTEGER NOT NULL,
    counted    INTEGER NOT NULL CHECK (counted >= 0),
    note       TEXT    NOT NULL DEFAULT '',
    closed_at  INTEGER NOT NULL,
    PRIMARY KEY (day, cashier_id)
);
