"""Supervisor approvals: who may approve, the PIN and its lock, single-use proofs, all audited."""

import io
from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.contrib.auth.hashers import check_password
from django.core.management import CommandError, call_command
from django.db import transaction
from django.utils import timezone

from audit.models import AuditEntry
from audit.services import Action as AuditAction
from sales import roles
from sales.approvals import PIN_ATTEMPTS_ALLOWED, PIN_LOCK_DURATION, approve, set_pin, use_approval
from sales.exceptions import ApprovalRefused
from sales.models import Approval, StaffPin
from tests.conftest import requires_postgres
from tests.factories import RegisterFactory, UserFactory

PIN = "4711"
PRICE = Approval.Action.PRICE_OVERRIDE


@pytest.fixture(autouse=True)
def _fast_hashes(settings):
    # The production hasher takes ~0.3 s per PIN check; the rules under test do not depend on it.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def supervisor(db, manager):
    user = UserFactory(username="sue", role=roles.SUPERVISOR)
    set_pin(user=user, pin=PIN, set_by=manager)
    return user


def ask(supervisor_username="sue", pin=PIN, *, cashier, register, details=None, now=None, action=PRICE):
    return approve(
        action=action,
        supervisor_username=supervisor_username,
        pin=pin,
        cashier=cashier,
        register=register,
        details=details if details is not None else {"product": 7, "unit_price": D("0.99")},
        now=now,
    )


def test_an_approval_is_given_and_audited_with_both_people(supervisor, cashier, register):
    approval = ask(cashier=cashier, register=register)

    assert (approval.cashier, approval.supervisor, approval.register, approval.action) == (
        cashier,
        supervisor,
        register,
        PRICE,
    )
    assert approval.details == {"product": 7, "unit_price": "0.99"}
    entry = AuditEntry.objects.get(action=AuditAction.APPROVAL)
    assert (entry.actor, entry.approver, entry.register_code, entry.store_code) == (cashier, supervisor, "R1", "main")
    assert entry.details == {"action": "price_override", "product": 7, "unit_price": "0.99"}
    assert entry.object_id == str(approval.pk)


def test_wrong_pin_five_times_locks_it_and_the_right_pin_fails_until_the_lock_expires(supervisor, cashier, register):
    start = timezone.now()
    messages = []
    for attempt in range(PIN_ATTEMPTS_ALLOWED):
        with pytest.raises(ApprovalRefused) as refused:
            ask(pin="0000", cashier=cashier, register=register, now=start + timedelta(seconds=attempt))
        messages.append(refused.value.message)
    assert messages[0] == "Wrong PIN for sue; 4 more wrong entries lock it."
    assert messages[-1] == "Wrong PIN. The PIN of sue is now locked for 15 minutes."

    locked_at = start + timedelta(seconds=PIN_ATTEMPTS_ALLOWED - 1)
    for later in (timedelta(seconds=1), PIN_LOCK_DURATION - timedelta(seconds=1)):
        with pytest.raises(ApprovalRefused, match="locked until"):
            ask(cashier=cashier, register=register, now=locked_at + later)
    assert not Approval.objects.exists()

    assert ask(cashier=cashier, register=register, now=locked_at + PIN_LOCK_DURATION + timedelta(seconds=1))
    assert StaffPin.objects.get(user=supervisor).failed_attempts == 0

    locked = AuditEntry.objects.get(action=AuditAction.PIN_LOCKED)
    assert (locked.actor, locked.approver) == (cashier, supervisor)
    refusals = AuditEntry.objects.filter(action=AuditAction.APPROVAL_REFUSED)
    assert refusals.count() == PIN_ATTEMPTS_ALLOWED + 2
    assert {(entry.actor_id, entry.approver_id) for entry in refusals} == {(cashier.pk, supervisor.pk)}


def test_a_right_pin_before_the_fifth_wrong_one_starts_the_count_again(supervisor, cashier, register):
    for _ in range(PIN_ATTEMPTS_ALLOWED - 1):
        with pytest.raises(ApprovalRefused):
            ask(pin="0000", cashier=cashier, register=register)
    ask(cashier=cashier, register=register)

    with pytest.raises(ApprovalRefused, match="4 more wrong entries"):
        ask(pin="0000", cashier=cashier, register=register)


def test_only_someone_else_who_may_approve_can(supervisor, cashier, register, manager):
    other_cashier = UserFactory(username="carl", role=roles.CASHIER)
    cases = [
        ("carl", cashier, "carl may not approve: only supervisors and managers can."),
        ("nobody", cashier, "No active supervisor 'nobody'."),
        ("sue", supervisor, "A supervisor cannot approve their own action; ask another one."),
        ("manager", cashier, "manager has no counter PIN yet; a manager sets it."),
    ]
    for username, asking, message in cases:
        with pytest.raises(ApprovalRefused) as refused:
            ask(username, cashier=asking, register=register)
        assert refused.value.message == message
    assert not Approval.objects.exists()
    assert AuditEntry.objects.filter(action=AuditAction.APPROVAL_REFUSED).count() == len(cases)
    assert other_cashier.pk not in StaffPin.objects.values_list("user", flat=True)


def test_approve_refuses_to_run_inside_the_callers_transaction(supervisor, cashier, register):
    # A rolled-back caller would take the wrong-PIN count (and the lock) with it.
    with pytest.raises(RuntimeError), transaction.atomic():
        ask(cashier=cashier, register=register)


def test_an_approval_is_proof_once_for_what_was_approved(supervisor, cashier, register):
    approval = ask(cashier=cashier, register=register)
    other_register = RegisterFactory(store=register.store, code="R2")

    for wrong in [
        {"action": Approval.Action.VOID, "register": register},
        {"action": PRICE, "register": other_register},
        {"action": PRICE, "register": register, "details": {"unit_price": D("0.49")}},
        {"action": PRICE, "register": register, "cashier": supervisor},
    ]:
        with pytest.raises(ApprovalRefused):
            use_approval(approval_id=approval.pk, **wrong)

    with pytest.raises(ZeroDivisionError), transaction.atomic():
        use_approval(approval_id=approval.pk, action=PRICE, register=register)
        raise ZeroDivisionError  # the approved action failed: the approval stays usable

    used = use_approval(
        approval_id=str(approval.pk), action=PRICE, register=register, cashier=cashier, details={"unit_price": "0.99"}
    )
    assert used.used_at is not None
    with pytest.raises(ApprovalRefused, match="already used"):
        use_approval(approval_id=approval.pk, action=PRICE, register=register)
    with pytest.raises(ApprovalRefused, match="not an approval"):
        use_approval(approval_id="forged", action=PRICE, register=register)


def test_an_approval_expires_unused(supervisor, cashier, register):
    approval = ask(cashier=cashier, register=register)

    with pytest.raises(ApprovalRefused, match="expired"):
        use_approval(approval_id=approval.pk, action=PRICE, register=register, now=approval.at + timedelta(minutes=11))


def test_the_pin_is_stored_hashed_and_setting_it_unlocks_and_is_audited(settings, supervisor, cashier, manager):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    StaffPin.objects.filter(user=supervisor).update(failed_attempts=0, locked_until=timezone.now() + PIN_LOCK_DURATION)

    set_pin(user=supervisor, pin="123456", set_by=manager)

    staff_pin = StaffPin.objects.get(user=supervisor)
    assert staff_pin.pin_hash.startswith("pbkdf2_sha256$") and "123456" not in staff_pin.pin_hash
    assert check_password("123456", staff_pin.pin_hash)
    assert staff_pin.locked_until is None
    entries = AuditEntry.objects.filter(action=AuditAction.PIN_SET, object_id=str(supervisor.pk))
    assert [entry.actor for entry in entries] == [manager, manager]
    assert not any("123456" in str(entry.details) for entry in entries)


def test_only_digits_and_only_approvers_get_a_pin(supervisor, cashier):
    with pytest.raises(ApprovalRefused, match="4 to 12 digits"):
        set_pin(user=supervisor, pin="12a4")
    with pytest.raises(ApprovalRefused, match="cannot approve at the counter"):
        set_pin(user=cashier, pin="1234")


def test_set_pin_command(supervisor, cashier, monkeypatch):
    answers = iter(["9876", "9876"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))

    call_command("set_pin", "sue")

    assert check_password("9876", StaffPin.objects.get(user=supervisor).pin_hash)
    monkeypatch.setattr("sys.stdin", io.StringIO("1234\n"))
    with pytest.raises(CommandError, match="cannot approve"):
        call_command("set_pin", "cashier", "--pin-stdin")
    with pytest.raises(CommandError, match="No user"):
        call_command("set_pin", "ghost")


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_wrong_pins_typed_at_once_on_several_registers_still_lock_after_five(settings, manager):
    from tests.sales.test_concurrency import run_in_threads

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    supervisor = UserFactory(username="sue", role=roles.SUPERVISOR)
    set_pin(user=supervisor, pin=PIN, set_by=manager)
    cashier = UserFactory(username="cashier", role=roles.CASHIER)
    registers = [RegisterFactory(code=f"R{index}") for index in range(8)]

    def wrong_pin(index):
        try:
            ask(pin="0000", cashier=cashier, register=registers[index])
        except ApprovalRefused as refused:
            return refused.message

    messages = run_in_threads(len(registers), wrong_pin)

    # Without the row lock, attempts read the same count and overwrite each other: no lock.
    assert sum("locked" in message for message in messages) == len(registers) - PIN_ATTEMPTS_ALLOWED + 1
    assert StaffPin.objects.get(user=supervisor).locked_until is not None
    assert AuditEntry.objects.filter(action=AuditAction.PIN_LOCKED).count() == 1
    assert AuditEntry.objects.filter(action=AuditAction.APPROVAL_REFUSED).count() == len(registers)
    with pytest.raises(ApprovalRefused, match="locked until"):
        ask(cashier=cashier, register=registers[0])


def test_a_manager_sets_a_pin_in_the_back_office(client, manager, supervisor, cashier):
    client.force_login(manager)

    refused = client.post("/admin/sales/staffpin/add/", {"user": cashier.pk, "pin": "1234", "pin_again": "1234"})
    differ = client.post(f"/admin/sales/staffpin/{supervisor.staff_pin.pk}/change/", {"pin": "1234", "pin_again": "9"})
    changed = client.post(
        f"/admin/sales/staffpin/{supervisor.staff_pin.pk}/change/", {"pin": "2468", "pin_again": "2468"}
    )

    assert refused.status_code == 200 and "Select a valid choice" in refused.content.decode()
    assert differ.status_code == 200 and "The two PINs differ." in differ.content.decode()
    assert changed.status_code == 302
    assert check_password("2468", StaffPin.objects.get(user=supervisor).pin_hash)
    assert AuditEntry.objects.filter(action=AuditAction.PIN_SET, actor=manager).count() == 2
    assert client.get("/admin/sales/approval/").status_code == 200
