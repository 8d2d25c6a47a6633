"""The print agent on its own: rendering, its config file, its journal, and that it needs no Django."""

import stat
import subprocess
import sys

from devices.agent.config import AgentConfig, load_config, save_config
from devices.agent.journal import Journal
from devices.agent.rendering import render_job
from tests.servers import BASE_DIR

NAME = "Grüße €5 — 中文 😀"
RASTER_IMAGE = b"\x1dv0"


def receipt(name=NAME, **overrides):
    return {
        "version": 1,
        "copy": False,
        "sale_id": "0b6f7f6e-3c1a-4c55-9a43-7d1b5d0c2a10",
        "receipt_number": "R1-000007",
        "store": {"code": "main", "name": "Main Street", "address": "Hauptstraße 1\n10115 Berlin"},
        "register": {"code": "R1", "name": "Register 1"},
        "cashier": "cashier",
        "created_at": "2026-11-21T10:30:00+00:00",
        "currency": "EUR",
        "prices_include_tax": True,
        "lines": [
            {
                "name": name,
                "sku": "X",
                "quantity": "1",
                "unit_price": "5.00",
                "discount_percent": "0",
                "discount_amount": "0.00",
                "amount": "5.00",
                "tax_code": "standard",
            }
        ],
        "subtotal": "5.00",
        "discount_total": "0.00",
        "taxes": [{"code": "standard", "rate": "19", "net": "4.20", "tax": "0.80"}],
        "tax_total": "0.80",
        "total": "5.00",
        "payments": [{"method": "card", "label": "Card", "amount": "5.00", "reference": ""}],
        "paid_total": "5.00",
        "change": "0.00",
        "qr": "0b6f7f6e-3c1a-4c55-9a43-7d1b5d0c2a10",
        "footer": "Thank you!",
        "open_drawer": False,
        **overrides,
    }


def printer(**overrides):
    return {"kind": "network", "address": "x", "profile": "default", "paper_width": 80, "text_fallback": "image"} | (
        overrides
    )


def test_a_name_no_code_page_can_print_is_printed_as_an_image():
    data = render_job("receipt", receipt(), printer=printer())

    assert RASTER_IMAGE in data  # the line as a picture, not '?' or bytes the printer would garble
    assert "中".encode("gb18030") not in data


def test_what_the_profile_can_print_goes_in_its_code_pages_and_the_rest_in_the_fallback_encoding():
    data = render_job("receipt", receipt(), printer=printer(text_fallback="GB18030"))

    assert b"\x1bt\x00" in data and b"Gr\x81\xe1e" in data  # CP437 (ESC t 0): ü and ß
    assert b"\x1bt\x0f\xa45" in data  # € from a code page that has it
    assert "中文".encode("gb18030") in data  # the rest: in the fallback encoding
    assert RASTER_IMAGE not in data.split(b"R1-000007")[0]  # the name line was text, not an image


def test_a_58_mm_receipt_fits_32_columns_and_a_copy_says_so():
    data = render_job("reprint", receipt(name="Milk", copy=True), printer=printer(paper_width=58))

    assert b"*** COPY ***" in data
    assert b"-" * 32 + b"\n" in data and b"-" * 33 not in data


def test_a_receipt_document_from_a_newer_server_is_refused_not_misprinted():
    try:
        render_job("receipt", receipt(version=2), printer=printer())
    except Exception as error:
        assert "version 2" in str(error)
    else:
        raise AssertionError("a version 2 document was printed")


def z_report(**overrides):
    return {
        "version": 1,
        "title": "Z report",
        "subtitle": "Main Street",
        "currency": "EUR",
        "rows": [["Register", "Register 1 (R1)"], [], ["Expected cash", "64.27"], ["Variance", "-0.27"]],
        "footer": "Shift 1e601ff7",
        **overrides,
    }


def test_a_report_prints_its_rows_in_columns_with_rules_and_is_cut():
    data = render_job("report", z_report(), printer=printer(paper_width=58))

    assert b"Z report" in data and b"Main Street" in data
    assert b"Expected cash" + b" " * (32 - len("Expected cash") - 5) + b"64.27\n" in data
    assert b"Variance" + b" " * (32 - len("Variance") - 5) + b"-0.27\n" in data
    assert data.count(b"-" * 32 + b"\n") == 3  # under the title, the empty row, at the end
    assert b"\x1dV" in data  # cut
    assert b"\x1bp" not in data  # a report never opens the drawer


def test_a_report_document_from_a_newer_server_is_refused_not_misprinted():
    try:
        render_job("report", z_report(version=2), printer=printer())
    except Exception as error:
        assert "version 2" in str(error)
    else:
        raise AssertionError("a version 2 document was printed")


def test_the_config_file_is_readable_by_its_owner_only_and_keeps_the_token_out_of_repr(tmp_path):
    config = AgentConfig(server="http://pos", token="rpd_secret-token", device=3, register="R1")

    path = save_config(tmp_path / "agent", config)

    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_config(tmp_path / "agent") == config
    assert "secret" not in repr(config)
    assert config.websocket_url == "ws://pos/ws/devices/"


def test_the_journal_remembers_printed_jobs_across_restarts(tmp_path):
    Journal(tmp_path / "j.sqlite3").printed(5)

    journal = Journal(tmp_path / "j.sqlite3")

    assert journal.is_printed(5) and not journal.is_printed(6)
    assert journal.printed_not_acknowledged() == [5]
    journal.acknowledged(5)
    assert journal.printed_not_acknowledged() == []


def test_the_agent_imports_nothing_from_django_or_the_app():
    code = (
        "import sys, devices.agent.__main__, devices.agent.runner\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'django', 'rest_framework', 'channels', 'retailpos', 'sales', 'inventory', 'loyalty'} "
        "or m in {'devices.models', 'devices.services'})\n"
        "assert not bad, bad\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=BASE_DIR, capture_output=True, timeout=60)

    assert result.returncode == 0, result.stderr.decode()
