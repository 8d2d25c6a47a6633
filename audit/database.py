"""The PostgreSQL guard that keeps the audit log append-only below the application."""

# The one exception: a test database is emptied between tests with TRUNCATE. The test suite sets
# this session variable (tests/conftest.py); nothing in the application does.
TRUNCATE_ALLOWED_SETTING = "retailpos.audit_truncate_allowed"

_INSTALL = [
    f"""
CREATE OR REPLACE FUNCTION audit_entry_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' AND current_setting('{TRUNCATE_ALLOWED_SETTING}', true) = 'on' THEN
        RETURN NULL;
    END IF;
    -- Deleting a user sets the entry's user columns to NULL (its username text stays): allowed,
    -- and nothing else is.
    IF TG_OP = 'UPDATE'
       AND (to_jsonb(NEW) - 'actor_id' - 'approver_id') = (to_jsonb(OLD) - 'actor_id' - 'approver_id')
       AND (NEW.actor_id IS NULL OR NEW.actor_id = OLD.actor_id)
       AND (NEW.approver_id IS NULL OR NEW.approver_id = OLD.approver_id) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION USING ERRCODE = 'insufficient_privilege',
        MESSAGE = 'The audit log is append-only: ' || TG_OP || ' on ' || TG_TABLE_NAME || ' refused';
END;
$$""",
    """CREATE TRIGGER audit_entry_no_update_delete BEFORE UPDATE OR DELETE ON audit_auditentry
    FOR EACH ROW EXECUTE FUNCTION audit_entry_append_only()""",
    """CREATE TRIGGER audit_entry_no_truncate BEFORE TRUNCATE ON audit_auditentry
    FOR EACH STATEMENT EXECUTE FUNCTION audit_entry_append_only()""",
]

_REMOVE = [
    "DROP TRIGGER IF EXISTS audit_entry_no_truncate ON audit_auditentry",
    "DROP TRIGGER IF EXISTS audit_entry_no_update_delete ON audit_auditentry",
    "DROP FUNCTION IF EXISTS audit_entry_append_only()",
]


def install_append_only_trigger(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        for statement in _INSTALL:  # one by one: prepared statements hold one command
            schema_editor.execute(statement, params=None)


def remove_append_only_trigger(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        for statement in _REMOVE:
            schema_editor.execute(statement, params=None)
