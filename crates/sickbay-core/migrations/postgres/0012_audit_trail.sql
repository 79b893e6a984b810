-- The audit trail (issue 14): its filters, and a log that can't be changed.
--
-- The trail lists entries newest first by (at, id), and pages from a cursor. Each filter has an index that holds
-- its entries in that order, so a page of any filter (with or without a range of days) is a walk down one
-- index, never a sort of every match: the patient, a staff member, a kind of actor, an action, a kind of
-- record, and the time alone. The time's index replaces the one on `at` alone. The indexes of the filters that
-- match many entries (a kind of actor, an action, a kind of record) also hold the action or the kind of record,
-- so the other filters' conditions (reads only, above all) are checked on the index without reading the rows.
DROP INDEX audit_event_at;
CREATE INDEX audit_event_time ON audit_event (at, id);
CREATE INDEX audit_event_patient ON audit_event (patient_id, at, id);
CREATE INDEX audit_event_actor ON audit_event (actor_kind, actor_id, at, id);
CREATE INDEX audit_event_actor_kind ON audit_event (actor_kind, at, id, action);
CREATE INDEX audit_event_action ON audit_event (action, at, id, record_type);
CREATE INDEX audit_event_record_type ON audit_event (record_type, at, id, action);

-- The log is append-only: nothing may change, delete or empty it, whoever asks. (A later migration that must
-- rewrite entries drops these triggers, rewrites, and creates them again, in its one transaction.)
CREATE FUNCTION audit_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only';
END
$$;
CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event
    FOR EACH ROW EXECUTE FUNCTION audit_event_append_only();
CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event
    FOR EACH ROW EXECUTE FUNCTION audit_event_append_only();
CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event
    FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only();
