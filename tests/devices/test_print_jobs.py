import uuid
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.template.loader import render_to_string

from devices.models import Printer, PrintJob
from devices.services import create_pairing_code, mark_job_failed, mark_job_printed, pair_device
from sales.receipts import RECEIPT_DOCUMENT_VERSION, receipt_document
from sales.services import LineRequest, PaymentRequest, complete_sale, reprint_receipt
from tests.factories import ProductFactory


@pytest.fixture
def printer(register):
    return Printer.objects.create(register=register, kind=Printer.Kind.NETWORK, address="127.0.0.1:9100")


@pytest.fixture
def pushed(monkeypatch):
    """The jobs handed to the register's agents after commit."""
    sent = []
    monkeypatch.setattr("devices.services.push_print_job", lambda **kwargs: sent.append(kwargs))
    return sent


def sell(register, cashier, lines, payments):
    return complete_sale(
        register=register,
        cashier=cashier,
        sale_id=uuid.uuid4(),
        lines=[LineRequest(product=p, quantity=Decimal(q)) for p, q in lines],
        payments=[PaymentRequest(method, Decimal(amount)) for method, amount in payments],
    ).sale


@pytest.fixture
def butter(standard_rate, stock):
    return stock(ProductFactory(sku="BUTTER", name="Butter", price=Decimal("2.49"), tax_rate=standard_rate), 20)


def test_a_cash_sale_at_a_register_with_a_printer_queues_its_receipt_after_commit(
    register, cashier, product, butter, printer, pushed, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        sale = sell(register, cashier, [(product, "2"), (butter, "1")], [("cash", "10")])

    job = PrintJob.objects.get()
    assert (job.kind, job.state, job.sale_id, job.register_id) == ("receipt", "queued", sale.pk, register.pk)
    document = job.payload
    assert document["version"] == RECEIPT_DOCUMENT_VERSION
    assert document["store"]["name"] == "Main Street"
    assert [(line["name"], line["quantity"], line["amount"]) for line in document["lines"]] == [
        ("Milk", "2", "2.38"),
        ("Butter", "1", "2.49"),
    ]
    assert (document["total"], document["change"], document["receipt_number"]) == ("4.87", "5.13", "R1-000001")
    assert document["taxes"] == [{"code": "standard", "rate": "19", "net": "4.09", "tax": "0.78", "gross": "4.87"}]
    assert document["payments"][0] == {"method": "cash", "label": "Cash", "amount": "10.00", "reference": ""}
    assert document["open_drawer"] is True and document["copy"] is False
    assert document["qr"] == str(sale.pk) and document["cashier"] == "cashier"
    assert [p["message"]["id"] for p in pushed] == [job.pk]
    assert pushed[0]["message"]["printer"]["address"] == "127.0.0.1:9100"


def test_a_card_sale_does_not_open_the_drawer(register, cashier, product, printer, pushed):
    sell(register, cashier, [(product, "1")], [("card", "1.19")])

    assert PrintJob.objects.get().payload["open_drawer"] is False


def test_no_printer_no_job(register, cashier, product, pushed, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        sell(register, cashier, [(product, "1")], [("cash", "5")])

    assert not PrintJob.objects.exists()
    assert pushed == []


def test_an_inactive_printer_prints_nothing(register, cashier, product, printer, pushed):
    Printer.objects.update(active=False)

    sell(register, cashier, [(product, "1")], [("cash", "5")])

    assert not PrintJob.objects.exists()


def test_a_reprint_is_a_copy_that_keeps_the_drawer_shut(register, cashier, product, printer, pushed):
    sale = sell(register, cashier, [(product, "1")], [("cash", "5")])

    job = reprint_receipt(sale=sale)

    assert job.kind == "reprint" and job.payload["copy"] is True and job.payload["open_drawer"] is False
    assert job.payload["lines"] == PrintJob.objects.get(kind="receipt").payload["lines"]


def test_the_receipt_document_reads_the_same_every_time(register, cashier, product, printer, pushed):
    sale = sell(register, cashier, [(product, "3")], [("mobile", "3.57")])

    assert receipt_document(sale) == PrintJob.objects.get().payload


def test_printed_wins_over_a_late_failure_report(register, printer, pushed):
    device, _ = pair_device(code=create_pairing_code(register=register), name="pc")
    job = PrintJob.objects.create(register=register, kind="test_page")

    mark_job_failed(device=device, job_id=job.pk, error="paper out")
    job.refresh_from_db()
    assert (job.state, job.attempts, job.last_error) == ("failed", 1, "paper out")
    mark_job_printed(device=device, job_id=job.pk)
    mark_job_failed(device=device, job_id=job.pk, error="late")

    job.refresh_from_db()
    assert (job.state, job.last_error) == ("printed", "")


def test_the_manager_reprints_a_receipt_from_the_sales_admin(
    client, manager, register, cashier, product, printer, pushed
):
    sale = sell(register, cashier, [(product, "1")], [("cash", "5")])
    client.force_login(manager)

    response = client.post("/admin/sales/sale/", {"action": "reprint_receipts", "_selected_action": [sale.pk]})

    assert response.status_code == 302
    assert PrintJob.objects.filter(kind="reprint", sale_id=sale.pk, payload__copy=True).count() == 1


def test_the_receipt_shows_the_stores_local_time(register, cashier, product, printer, pushed):
    sale = sell(register, cashier, [(product, "1")], [("cash", "5")])

    created_at = receipt_document(sale)["created_at"]

    local = sale.created_at.astimezone(ZoneInfo("Europe/Berlin"))
    assert created_at == local.isoformat()
    assert created_at[:16] == local.strftime("%Y-%m-%dT%H:%M")  # what the agent prints
    assert not created_at.endswith("+00:00")


def test_the_receipt_page_renders_the_receipt_document_with_the_sales_qr_code(
    client, register, cashier, standard_rate, stock, printer, pushed
):
    name = "Grüße <b>€5</b> — 中文"
    special = stock(ProductFactory(sku="X", name=name, price=Decimal("5"), tax_rate=standard_rate), 5)
    sale = sell(register, cashier, [(special, "1")], [("cash", "10")])
    client.force_login(cashier)

    page = client.get(f"/pos/R1/receipts/{sale.pk}/").content.decode()

    document = receipt_document(sale)
    assert "Grüße &lt;b&gt;€5&lt;/b&gt; — 中文" in page and "<b>€5" not in page
    assert document["receipt_number"] in page and document["footer"] in page
    assert document["created_at"][:16].replace("T", " ") in page
    assert "€5.00" in page and "€10.00" in page
    assert '<div class="paper__qr"' in page and "<svg" in page
    assert "*** COPY ***" not in page


def test_a_copy_renders_as_a_copy(register, cashier, product, printer, pushed):
    sale = sell(register, cashier, [(product, "1")], [("card", "1.19")])

    html = render_to_string("sales/partials/receipt-paper.html", {"receipt": receipt_document(sale, copy=True)})

    assert "*** COPY ***" in html and "Milk" in html and "€1.19" in html
