import pytest
from django.db import DatabaseError, connection, transaction

from audit.models import AppendOnly, AuditEntry
from audit.services import Action, record
from tests.conftest import PASSWORD, requires_postgres
from tests.factories import UserFactory


def test_record_keeps_who_where_what_and_the_request_address(rf, cashier, register, product):
    request = rf.post("/pos/", REMOTE_ADDR="203.0.113.7")
    request.user = cashier

    entry = record(
        Action.LINE_VOIDED,
        store=register.store,
        register=register,
        target=product,
        details={"quantity": product.price},
        request=request,
    )

    entry.refresh_from_db()
    assert (entry.actor, entry.actor_username) == (cashier, "cashier")
    assert (entry.store_code, entry.register_code) == ("main", "R1")
    assert (entry.object_type, entry.object_id) == ("inventory.product", str(product.pk))
    assert entry.details == {"quantity": "1.19"}
    assert entry.ip == "203.0.113.7"
    assert entry.at is not None


def test_the_username_survives_the_user(db):
    user = UserFactory(username="leaver")
    entry = record(Action.CASH_OUT, actor=user, approver=user)

    user.delete()

    entry.refresh_from_db()
    assert entry.actor is None and entry.approver is None
    assert entry.actor_username == entry.approver_username == "leaver"


def test_an_entry_rolls_back_with_the_business_change(db):
    with pytest.raises(RuntimeError), transaction.atomic():
        record(Action.NO_SALE, actor="cashier")
        raise RuntimeError("the business change failed")

    assert not AuditEntry.objects.exists()


def test_unknown_action_and_oversized_details_are_refused(db):
    with pytest.raises(ValueError):
        record("rewrite_history")
    with pytest.raises(ValueError, match="4000 characters"):
        record(Action.IMPORT, details={"rows": "x" * 5000})
    assert not AuditEntry.objects.exists()


def test_the_app_cannot_change_or_delete_an_entry(db):
    entry = record(Action.LOGIN, actor="cashier")

    entry.actor_username = "someone else"
    with pytest.raises(AppendOnly):
        entry.save()
    with pytest.raises(AppendOnly):
        entry.delete()
    with pytest.raises(AppendOnly):
        AuditEntry.objects.filter(pk=entry.pk).update(actor_username="someone else")
    with pytest.raises(AppendOnly):
        AuditEntry.objects.all().delete()

    assert AuditEntry.objects.get().actor_username == "cashier"


@requires_postgres
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_auditentry SET actor_username = 'someone else'",
        "UPDATE audit_auditentry SET actor_id = NULL, details = '{}'",
        "DELETE FROM audit_auditentry",
    ],
)
def test_postgresql_refuses_raw_updates_and_deletes(db, statement):
    record(Action.LOGIN, actor=UserFactory(username="cashier"), details={"kept": True})

    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement)

    entry = AuditEntry.objects.get()
    assert entry.actor_username == "cashier" and entry.details == {"kept": True}


@requires_postgres
@pytest.mark.django_db(transaction=True)  # the entry committed, as in a real log
def test_postgresql_refuses_truncate_outside_the_test_suite():
    record(Action.LOGIN, actor="cashier")

    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        # What the test suite's PGOPTIONS turns on for its own flushes; an application session has it off.
        cursor.execute("SET LOCAL retailpos.audit_truncate_allowed = 'off'")
        cursor.execute("TRUNCATE audit_auditentry")

    assert AuditEntry.objects.count() == 1


def test_logins_and_failed_logins_are_recorded(client, cashier):
    assert client.post("/login/", {"username": "cashier", "password": "wrong"}, REMOTE_ADDR="198.51.100.4")
    assert client.post("/login/", {"username": "cashier", "password": PASSWORD}).status_code == 302

    failed, login = AuditEntry.objects.order_by("id")
    assert (failed.action, failed.actor, failed.actor_username, failed.ip) == (
        Action.LOGIN_FAILED,
        None,
        "cashier",
        "198.51.100.4",
    )
    assert (login.action, login.actor) == (Action.LOGIN, cashier)
    assert "wrong" not in str(failed.details)
