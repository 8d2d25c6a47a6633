"""The demo shop's print agent (``make run``): paired without HTTP, idempotent, and it prints to a file."""

import io
import stat
import uuid

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command

from devices.agent.config import load_config
from devices.models import Device, Printer, Register
from devices.selectors import device_for_token
from sales import roles
from tests.conftest import PASSWORD
from tests.devices.test_agent_end_to_end import AgentProcess, devices_server, wait_until
from tests.factories import UserFactory
from tests.servers import Browser

pytestmark = pytest.mark.django_db(transaction=True)


def seed(server="http://127.0.0.1:8100"):
    # Transactional tests flush the role groups the migrations made; seed_demo needs them.
    roles.sync_role_groups(Group, Permission)
    output = io.StringIO()
    call_command("seed_demo", products=5, demo_agent=server, stdout=output)
    return output.getvalue()


def test_seed_demo_pairs_a_demo_agent_for_r1_that_prints_to_a_file_once_however_often_it_runs(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    first = seed()

    printer = Printer.objects.get(register__code="R1")
    receipts = tmp_path / "printer" / "receipts.escpos"
    assert (printer.kind, printer.address) == ("file", str(receipts))
    assert receipts.parent.is_dir()
    assert f"receipts print to {receipts}" in first and "paired now" in first
    config = load_config(tmp_path / "agent")
    assert stat.S_IMODE((tmp_path / "agent" / "agent.json").stat().st_mode) == 0o600
    assert device_for_token(config.token).register.code == "R1"
    assert config.server == "http://127.0.0.1:8100"
    assert config.local_print_key == Register.objects.get(code="R1").local_print_key
    assert config.token not in first

    again = seed("http://127.0.0.1:8200")  # make run again, on another port

    assert "paired before" in again
    assert Device.objects.count() == 1
    assert load_config(tmp_path / "agent").token == config.token
    assert load_config(tmp_path / "agent").server == "http://127.0.0.1:8200"

    (tmp_path / "agent" / "agent.json").unlink()  # var/agent deleted: paired anew, the old device revoked
    seed()
    assert Device.objects.filter(revoked_at__isnull=True).count() == 1
    assert device_for_token(config.token) is None


def test_a_register_that_has_a_printer_keeps_it(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    seed()
    Printer.objects.update(kind="network", address="10.0.0.9:9100")

    assert "receipts print to network printer 10.0.0.9:9100" in seed()


def test_the_demo_agent_prints_a_sale_to_its_file(settings, tmp_path):
    settings.VAR_DIR = tmp_path / "demo-var"
    settings.VAR_DIR.mkdir()
    UserFactory(username="seller", role="cashier")
    with devices_server(tmp_path) as server:
        seed(server)
        agent = AgentProcess(tmp_path / "demo-var" / "agent", tmp_path / "agent.log")
        agent.start("--local-port", str(agent.local_port))
        try:
            product = Register.objects.get(code="R1").store.stock_levels.select_related("product").first().product
            seller = Browser(server)
            seller.log_in("seller", PASSWORD)
            status, sale = seller.post_json(
                "/api/v1/sales/",
                {
                    "id": str(uuid.uuid4()),
                    "register": "R1",
                    "lines": [{"sku": product.sku, "quantity": "1"}],
                    "payments": [{"method": "cash", "amount": "500"}],
                },
            )
            assert status == 201
            receipts = tmp_path / "demo-var" / "printer" / "receipts.escpos"
            printed = wait_until(lambda: receipts.exists() and receipts.read_bytes(), what="the receipt in the file")
        finally:
            agent.stop()
    assert b"Demo Shop" in printed and sale["receipt_number"].encode() in printed and b"\x1dV" in printed
