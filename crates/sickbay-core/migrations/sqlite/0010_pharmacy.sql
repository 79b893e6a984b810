-- The pharmacy: where a drug is kept, dispensing from batches, refusals, and the stock ledger. Every change to
-- a batch's quantity is a stock_movement row, so the movements of a batch always sum to its quantity.

ALTER TABLE drug ADD COLUMN shelf TEXT NOT NULL DEFAULT '';
-- Name and generic name folded (lower case, accents dropped) as the catalogue's search compares them: one LIKE
-- per entry instead of two LOWER()s and two LIKEs. Sickbay writes it with every entry; entries made before it
-- existed get the lower case here.
ALTER TABLE drug ADD COLUMN search TEXT NOT NULL DEFAULT '';
UPDATE drug SET search = LOWER(name || ' ' || generic_name);
CREATE INDEX drug_shelf ON drug (shelf);
-- The catalogue's order, so a page of it is read in order instead of sorting every entry.
CREATE INDEX drug_order ON drug (active DESC, LOWER(name), strength, id);

-- Why the pharmacy will not give (the rest of) an item; NULL while it may still be dispensed.
ALTER TABLE prescription_item ADD COLUMN refusal TEXT;

CREATE INDEX drug_batch_expiry ON drug_batch (expires_on, drug_id) WHERE quantity > 0;

-- One pharmacist's handing over of (part of) a prescription.
CREATE TABLE dispensation (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    prescription_id INTEGER NOT NULL REFERENCES prescription (id),
    pharmacist_id   INTEGER NOT NULL REFERENCES staff (id),
    dispensed_at    INTEGER NOT NULL
);
CREATE INDEX dispensation_prescription ON dispensation (prescription_id);

CREATE TABLE dispensation_item (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    dispensation_id      INTEGER NOT NULL REFERENCES dispensation (id),
    prescription_item_id INTEGER NOT NULL REFERENCES prescription_item (id),
    batch_id             INTEGER NOT NULL REFERENCES drug_batch (id),
    quantity             INTEGER NOT NULL CHECK (quantity > 0)
);
CREATE INDEX dispensation_item_dispensation ON dispensation_item (dispensation_id);
CREATE INDEX dispensation_item_item ON dispensation_item (prescription_item_id);

CREATE TABLE stock_movement (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    batch_id             INTEGER NOT NULL REFERENCES drug_batch (id),
    drug_id              INTEGER NOT NULL REFERENCES drug (id),
    kind                 TEXT    NOT NULL CHECK (kind IN ('receipt', 'dispense', 'supply', 'adjustment', 'write_off')),
    reason               TEXT    NOT NULL DEFAULT '' CHECK (reason IN ('', 'count', 'damage', 'supplier_return',
                                                                       'patient_return')),
    -- The change: positive into the batch, negative out of it.
    quantity             INTEGER NOT NULL CHECK (quantity <> 0),
    -- The batch's quantity after the change.
    balance              INTEGER NOT NULL CHECK (balance >= 0),
    note                 TEXT    NOT NULL DEFAULT '',
    dispensation_item_id INTEGER REFERENCES dispensation_item (id),
    -- The procedure that used a supply: no foreign key, because a procedure recorded by mistake is deleted
    -- while the ledger keeps its rows (its supplies come back as rows of their own).
    visit_procedure_id   INTEGER,
    -- NULL for the opening balances this migration writes.
    staff_id             INTEGER REFERENCES staff (id),
    at                   INTEGER NOT NULL,
    -- The clinic's local day of `at`, for the ledger's filters.
    day                  TEXT    NOT NULL
);
CREATE INDEX stock_movement_batch ON stock_movement (batch_id, id);
CREATE INDEX stock_movement_drug ON stock_movement (drug_id, day, id);
CREATE INDEX stock_movement_kind ON stock_movement (kind, at, drug_id, quantity);

-- Batches received before the ledger existed open it with their quantity.
INSERT INTO stock_movement (batch_id, drug_id, kind, reason, quantity, balance, note, staff_id, at, day)
SELECT id, drug_id, 'receipt', '', quantity, quantity, 'opening balance', NULL, created_at, received_on
FROM drug_batch WHERE quantity > 0;
