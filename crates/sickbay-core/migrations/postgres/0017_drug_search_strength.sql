-- The catalogue's search compares the strength and form too (issue 35, item 14: "paracetamol 500" found nothing).
-- Sickbay writes `search` with every entry (pharmacy::model::search_text: name, generic name, strength, the
-- strength without its spaces, form, folded); entries written before get their strength and form added here.
UPDATE drug SET search = search || ' ' || LOWER(strength) || ' ' || LOWER(REPLACE(strength, ' ', '')) || ' ' || form;
