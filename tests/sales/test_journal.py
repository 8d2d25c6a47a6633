"""The register's hash-chained journal and ``manage.py verify_journal``."""

import uuid
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal as D
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import UUIDField

from devices.models import GENESIS_HASH, Register
from sales import journal
from sales.models import JournalEntry, Sale
from sales.services import LineRequest, PaymentRequest, complete_sale
from tests.conftest import requires_postgres
from tests.factories import ProductFactory, RegisterFactory
from tests.sales.test_concurrency import run_in_threads


@pytest.fixture
def sell(register, cashier, product):
    def sell(*, at=None, quantity="2", payments=(("cash", "5.00"),), **kwargs):
        return complete_sale(
            register=at or register,
            cashier=cashier,
            sale_id=uuid.uuid4(),
            lines=[LineRequest(product, D(quantity))],
            payments=[PaymentRequest(method, D(amount)) for method, amount in payments],
            **kwargs,
        ).sale

    return sell


def verify(*args):
    """The command's output and exit status."""
    out = StringIO()
    try:
        call_command("verify_journal", *args, stdout=out)
    except CommandError as error:
        return out.getvalue(), error.returncode
    return out.getvalue(), 0


def raw_sql(sql, params=()):
    """Tamper as someone with database access would: around the app, its models and their checks."""
    as_column = UUIDField().get_db_prep_value  # SQLite keeps UUIDs as 32 hex digits
    with connection.cursor() as cursor:
        cursor.execute(sql, [as_column(p, connection) if isinstance(p, uuid.UUID) else p for p in params])


def test_each_sale_is_the_next_entry_chained_to_the_previous_one(register, sell):
    first, second = sell(), sell()

    entries = list(JournalEntry.objects.filter(register=register).order_by("number"))
    assert [(e.number, e.kind, e.sale_id) for e in entries] == [(1, "sale", first.pk), (2, "sale", second.pk)]
    assert entries[0].prev_hash == GENESIS_HASH
    assert entries[1].prev_hash == entries[0].hash
    register.refresh_from_db()
    assert (register.last_journal_number, register.journal_head_hash) == (2, entries[1].hash)


def test_the_hash_is_sha256_of_the_previous_hash_and_the_canonical_content(register, sell):
    sale = sell()
    entry = sale.journal_entry

    content = journal.entry_content(
        register_id=register.pk, number=1, kind="sale", document=journal._sale_documents([sale.pk])[sale.pk][0]
    )
    assert entry.hash == journal.chain_hash(GENESIS_HASH, content)
    # Decimals as written, without the column's padding; times in UTC.
    assert f'"{sale.receipt_number}"' in content and '"2.38"' in content and '"5"' in content
    assert sale.completed_at.astimezone(UTC).isoformat() in content


def test_untouched_journal_verifies_ok(register, store, sell):
    other = RegisterFactory(store=store, code="R2")
    sell()
    # Decimals with more places than shown, split tender, a time with an offset, an offline number.
    sell(quantity="1.5", payments=(("card", "1.00"), ("cash", "10")))
    sell(at=other, created_at=datetime(2026, 12, 1, 9, 30, 15, 123456, tzinfo=timezone(timedelta(hours=5))))
    sell(at=other, offline_receipt_number="R2-OFF-3fa2c91e-000001")

    assert verify() == ("OK: the journal of every register is intact.\n", 0)
    assert verify("--register", "R2") == ("OK: the journal of register R2 is intact.\n", 0)


def test_a_sales_total_changed_with_raw_sql_is_named(register, sell):
    sell()
    edited = sell()
    sell()
    raw_sql("UPDATE sales_sale SET total = total - 1 WHERE id = %s", [edited.pk])

    output, status = verify()

    assert status == 1
    assert (
        output
        == f"Register R1: entry 2 (sale {edited.receipt_number}) edited: its content no longer matches its hash.\n"
    )


def test_a_line_or_payment_changed_with_raw_sql_is_named(register, sell):
    first, second = sell(), sell()
    raw_sql("UPDATE sales_saleline SET quantity = 1 WHERE sale_id = %s", [first.pk])
    raw_sql("UPDATE sales_payment SET method = 'card' WHERE sale_id = %s", [second.pk])

    output, status = verify()

    assert status == 1
    assert "entry 1 (sale R1-000001) edited" in output
    assert "entry 2 (sale R1-000002) edited" in output


def test_a_deleted_journal_row_is_named(register, sell):
    sell()
    deleted = sell()
    sell()
    raw_sql("DELETE FROM sales_journalentry WHERE sale_id = %s", [deleted.pk])

    output, status = verify()

    assert status == 1
    assert output.splitlines() == [
        "Register R1: entry 2 deleted: missing, and entry 3's previous hash does not match entry 1.",
        "Register R1: sale R1-000002 has no journal entry.",
    ]


def test_the_last_journal_row_deleted_is_named(register, sell):
    sell()
    last = sell()
    raw_sql("DELETE FROM sales_journalentry WHERE sale_id = %s", [last.pk])

    output, status = verify()

    assert status == 1
    assert "Register R1: entry 2 deleted: the register's journal reaches 2." in output.splitlines()


def test_a_number_skipped_with_raw_sql_is_named(register, sell):
    sell()
    raw_sql("UPDATE devices_register SET last_journal_number = last_journal_number + 1 WHERE id = %s", [register.pk])
    sell()

    output, status = verify()

    assert status == 1
    assert output == "Register R1: entry 2 skipped: no entry, and entry 3 follows on from 1.\n"


def test_an_entry_renumbered_with_raw_sql_is_named(register, sell):
    sell(), sell()
    raw_sql("UPDATE sales_journalentry SET number = 5 WHERE number = 2 AND register_id = %s", [register.pk])

    output, status = verify()

    assert status == 1
    assert output.splitlines() == [
        "Register R1: entries 2–4 skipped: no entry, and entry 5 follows on from 1.",
        "Register R1: entry 5 (sale R1-000002) edited: its content no longer matches its hash.",
        "Register R1: entries after 2 were added outside the register's counter (it stands at 2).",
    ]


def test_a_rewritten_chain_still_shows_against_the_registers_head(register, sell):
    """Whoever edits a sale and recomputes its entry's hash breaks the link to the next entry."""
    first, _ = sell(), sell()
    raw_sql("UPDATE sales_sale SET total = 0 WHERE id = %s", [first.pk])
    first.refresh_from_db()
    entry = JournalEntry.objects.get(sale=first)
    document = journal._sale_documents([first.pk])[first.pk][0]
    forged = journal.chain_hash(
        GENESIS_HASH, journal.entry_content(register_id=register.pk, number=1, kind="sale", document=document)
    )
    raw_sql("UPDATE sales_journalentry SET hash = %s WHERE id = %s", [forged, entry.pk])

    output, status = verify()

    assert status == 1
    assert output == "Register R1: entry 2 (sale R1-000002): its previous hash does not match entry 1's hash.\n"


def test_a_sale_without_entry_is_named_missing(register, sell):
    sell()
    # As if written around complete_sale (e.g. restored from a backup without its journal).
    raw_sql("DELETE FROM sales_journalentry")
    raw_sql("UPDATE devices_register SET last_journal_number = 0, journal_head_hash = %s", [GENESIS_HASH])

    output, status = verify()

    assert status == 1
    assert output == "Register R1: sale R1-000001 has no journal entry.\n"


def test_only_the_named_register_is_checked(register, store, sell):
    other = RegisterFactory(store=store, code="R2")
    edited = sell(at=other)
    raw_sql("UPDATE sales_sale SET total = 99 WHERE id = %s", [edited.pk])

    assert verify("--register", "R1") == ("OK: the journal of register R1 is intact.\n", 0)
    assert verify("--register", "R2")[1] == 1
    with pytest.raises(CommandError, match="No register with code 'NOPE'"):
        call_command("verify_journal", "--register", "NOPE")


def test_journal_entries_cannot_be_changed_through_the_app(sell):
    entry = sell().journal_entry
    with pytest.raises(Exception, match="cannot change"):
        entry.save()
    with pytest.raises(Exception, match="cannot be deleted"):
        entry.delete()


def test_verification_reads_a_long_journal_in_pages(register, sell, monkeypatch):
    monkeypatch.setattr(journal, "VERIFY_PAGE_SIZE", 2)
    sales = [sell(quantity="1") for _ in range(5)]
    raw_sql("UPDATE sales_sale SET total = 0 WHERE id = %s", [sales[3].pk])

    assert verify() == ("Register R1: entry 4 (sale R1-000004) edited: its content no longer matches its hash.\n", 1)
    assert Register.objects.get(pk=register.pk).last_journal_number == 5


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_sales_racing_on_two_registers_keep_both_chains_gapless_and_valid(store, cashier, standard_rate, stock):
    registers = [RegisterFactory(store=store, code="R1"), RegisterFactory(store=store, code="R2")]
    products = [stock(ProductFactory(sku=f"P{i}", price=D("1.00"), tax_rate=standard_rate), 1000) for i in range(3)]
    per_thread = 5

    def book(index):
        for n in range(per_thread):
            complete_sale(
                register=registers[index % 2],
                cashier=cashier,
                sale_id=uuid.uuid4(),
                lines=[
                    LineRequest(products[(index + n) % 3], D("1")),
                    LineRequest(products[(index + n + 1) % 3], D("2")),
                ],
                payments=[PaymentRequest("cash", D("3.00"))],
            )

    run_in_threads(8, book)

    for register in registers:
        numbers = list(
            JournalEntry.objects.filter(register=register).order_by("number").values_list("number", flat=True)
        )
        assert numbers == list(range(1, 4 * per_thread + 1))
        assert Sale.objects.filter(register=register).count() == 4 * per_thread
    assert verify() == ("OK: the journal of every register is intact.\n", 0)


def test_refunds_and_voids_are_entries_whose_edits_are_named(register, cashier, manager, sell, settings):
    from sales import roles
    from sales.approvals import approve, set_pin
    from sales.models import Approval
    from sales.refunds import ReturnLine, refund_sale
    from sales.voids import void_sale
    from tests.factories import UserFactory

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    set_pin(user=UserFactory(username="sue", role=roles.SUPERVISOR), pin="4711", set_by=manager)
    returned, voided = sell(), sell()
    refund = refund_sale(
        refund_id=uuid.uuid4(),
        register=register,
        cashier=cashier,
        sale=returned,
        lines=[ReturnLine(quantity=D("1"), sale_line_id=returned.lines.get().pk)],
    ).refund
    approval = approve(
        action=Approval.Action.VOID,
        supervisor_username="sue",
        pin="4711",
        cashier=cashier,
        register=register,
        details={"sale": str(voided.pk)},
    )
    void = void_sale(
        void_id=uuid.uuid4(), sale=voided, register=register, cashier=cashier, approval_id=approval.pk, reason="Typo"
    ).void
    assert list(JournalEntry.objects.order_by("number").values_list("number", "kind")) == [
        (1, "sale"),
        (2, "sale"),
        (3, "refund"),
        (4, "void"),
    ]
    assert verify() == ("OK: the journal of every register is intact.\n", 0)

    raw_sql("UPDATE sales_refundline SET amount = amount + 5 WHERE refund_id = %s", [refund.pk])
    raw_sql("UPDATE sales_void SET reason = 'Nothing to see' WHERE id = %s", [void.pk])

    output, status = verify()
    assert status == 1
    assert output.splitlines() == [
        "Register R1: entry 3 (refund R1-RF-000003) edited: its content no longer matches its hash.",
        "Register R1: entry 4 (void of sale R1-000002) edited: its content no longer matches its hash.",
    ]
    raw_sql("DELETE FROM sales_journalentry WHERE refund_id = %s", [refund.pk])
    assert "Register R1: refund R1-RF-000003 has no journal entry." in verify()[0].splitlines()


def test_the_migration_chains_sales_booked_before_the_journal_existed(register, store, sell, monkeypatch):
    from django.apps import apps

    other = RegisterFactory(store=store, code="R2")
    sell(), sell(at=other), sell(), sell(at=other, quantity="1.5")
    # As before the migration: sales without entries, registers at the genesis.
    raw_sql("DELETE FROM sales_journalentry")
    raw_sql("UPDATE devices_register SET last_journal_number = 0, journal_head_hash = %s", [GENESIS_HASH])
    assert len(journal.verify_journal()) == 4
    monkeypatch.setattr(journal, "VERIFY_PAGE_SIZE", 1)

    journal.chain_existing_sales(apps, None)

    assert verify() == ("OK: the journal of every register is intact.\n", 0)
    assert list(JournalEntry.objects.filter(register=other).values_list("number", "sale__receipt_number")) == [
        (1, "R2-000001"),
        (2, "R2-000002"),
    ]
    sell()  # the next sale follows on
    assert JournalEntry.objects.filter(register=register).order_by("number").last().number == 3
    assert verify()[1] == 0
