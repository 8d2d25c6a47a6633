"""Customer CSV import and export: encodings, delimiters, errors by line and column, all or nothing."""

import io

import pytest

from loyalty.importing import CustomerImportRefused, import_customers, write_customers_csv
from loyalty.models import Customer
from loyalty.selectors import balance


def run(text, *, encoding="utf-8", **kwargs):
    return import_customers(source=io.BytesIO(text.encode(encoding)), **kwargs)


def test_a_windows_spreadsheet_with_semicolons_imports_with_balances(program):
    report = run(
        "Name;Phone;E-Mail;Card;Consent;Balance\r\n"
        "Jürgen Groß;0049 30 1234567;jg@example.com;LC-0001;ja;120\r\n"
        '"Müller, Anna";;;;nein;\r\n',
        encoding="cp1252",
    )

    assert report.committed, report.errors
    assert (report.new, report.updated, report.encoding, report.delimiter) == (2, 0, "cp1252", ";")
    jurgen = Customer.objects.get(card_number="LC-0001")
    assert (jurgen.name, jurgen.phone, jurgen.marketing_consent) == ("Jürgen Groß", "+49301234567", True)
    assert balance(jurgen.pk) == 120
    anna = Customer.objects.get(name="Müller, Anna")
    assert len(anna.card_number) == 10 and not anna.marketing_consent


def test_errors_name_line_and_column_and_nothing_is_written(program, customer):
    report = run(
        "name,phone,email,points\n"
        "Ok Person,+49 170 1,ok@example.com,5\n"
        ",+49 170 2,,\n"
        "Dup,+49 170 1,,\n"
        "Mail,,not-an-email,\n"
        "Known,+49 151 1234567,,\n"
        "Neg,,,-3\n"
    )

    assert not report.committed
    assert [str(e) for e in report.errors] == [
        'line 3, column "name": a name is required',
        'line 4, column "phone": +491701 is already on line 2',
        "line 5, column \"email\": 'not-an-email' is not an e-mail address",
        'line 7, column "points": -3 is negative; a balance is 0 or more',
    ]
    assert Customer.objects.count() == 1  # only the fixture's
    # "Known" has Ada's phone: it updates Ada (matched by phone) rather than duplicating her.


def test_keep_valid_writes_the_valid_rows_and_a_second_run_adds_no_points(program):
    text = "name,phone,points\nGood,+1 555 1,10\n,+1 555 2,\n"

    first = run(text, keep_valid=True)
    second = run(text, keep_valid=True)

    assert (first.committed, first.new, first.invalid_rows) == (True, 1, 1)
    assert (second.new, second.updated) == (0, 1)
    assert balance(Customer.objects.get(name="Good").pk) == 10


def test_dry_run_writes_nothing_and_a_file_without_names_is_refused(program):
    assert run("name\nSomeone\n", dry_run=True).new == 1
    assert not Customer.objects.exists()
    with pytest.raises(CustomerImportRefused, match="needs a column name"):
        run("phone,email\n1,a@b.c\n")


def test_the_export_reads_back_as_the_same_customers(program, customer, give_points):
    give_points(customer, 7)
    out = io.StringIO()
    assert write_customers_csv(out) == 1
    Customer.objects.filter(pk=customer.pk).update(name="Changed")

    report = run(out.getvalue())

    assert (report.committed, report.updated, report.new) == (True, 1, 0)
    customer.refresh_from_db()
    assert customer.name == "Ada Lovelace"
    assert balance(customer.pk) == 7


def test_the_admin_imports_and_exports(client, manager, program):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(manager)
    upload = SimpleUploadedFile("c.csv", b"name,phone\nGrace,+1 555 0100\n", content_type="text/csv")

    page = client.post("/admin/loyalty/customer/import-csv/", {"file": upload, "dry_run": ""})

    assert "Imported. 1 rows: 1 new" in page.content.decode()
    export = client.get("/admin/loyalty/customer/export-csv/")
    assert export.status_code == 200
    assert "Grace,+15550100" in export.content.decode()
