"""The agent's local endpoint on its own (no server, no Django): who may print, and that each job prints once."""

import http.client
import json
import threading

import pytest

from devices.agent.config import AgentConfig
from devices.agent.journal import Journal
from devices.agent.local_endpoint import LocalEndpoint
from devices.agent.spooler import Spooler
from tests.devices.test_agent import receipt

ORIGIN = "https://pos.example.com"
KEY = "local-print-key-of-R1"
SALE_ID = "5d0f3c1e-7a4b-4c2d-9e8f-0a1b2c3d4e5f"


@pytest.fixture
def paper(tmp_path):
    """The printer: a file that every print is appended to."""
    return tmp_path / "receipts.escpos"


@pytest.fixture
def spooler(tmp_path, paper):
    spooler = Spooler(Journal(tmp_path / "journal.sqlite3"))
    spooler.remember_printer({"kind": "file", "address": str(paper), "profile": "default", "paper_width": 80})
    return spooler


@pytest.fixture
def endpoint(spooler):
    keys = {"current": KEY}
    endpoint = LocalEndpoint(
        port=0,
        spooler=spooler,
        allowed_origins=frozenset({ORIGIN}),
        key=lambda: keys["current"],
        status=lambda: {"register": "R1", "printer": spooler.printer_state},
    )
    endpoint.keys = keys
    endpoint.start()
    yield endpoint
    endpoint.stop()


def request(endpoint, method, path, *, body=None, origin=ORIGIN, key=KEY, host=None, headers=None):
    connection = http.client.HTTPConnection("127.0.0.1", endpoint.port, timeout=10)
    all_headers = {"Host": host or f"127.0.0.1:{endpoint.port}", **(headers or {})}
    if origin:
        all_headers["Origin"] = origin
    if key:
        all_headers["X-Print-Key"] = key
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        all_headers["Content-Type"] = "application/json"
    connection.request(method, path, body=data, headers=all_headers)
    response = connection.getresponse()
    raw = response.read()
    connection.close()
    return response, (json.loads(raw) if raw else None)


def print_job(job_id=SALE_ID, **document):
    return {"id": job_id, "kind": "receipt", "document": receipt(name="Milk", sale_id=SALE_ID, **document)}


def test_a_page_of_the_server_prints_a_receipt_once_however_often_it_sends_it(endpoint, paper):
    first, body = request(endpoint, "POST", "/print", body=print_job())

    assert first.status == 200 and body == {"status": "printed", "id": SALE_ID}
    assert first.getheader("Access-Control-Allow-Origin") == ORIGIN
    printed = paper.read_bytes()
    assert b"Main Street" in printed and b"Milk" in printed and b"\x1dV" in printed

    again, body = request(endpoint, "POST", "/print", body=print_job())

    assert again.status == 200 and body["status"] == "already_printed"
    assert paper.read_bytes() == printed


def test_the_same_job_sent_twice_at_once_prints_once(endpoint, paper):
    answers = []

    def send():
        answers.append(request(endpoint, "POST", "/print", body=print_job())[1]["status"])

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)

    assert sorted(answers) == ["already_printed"] * 3 + ["printed"]
    assert paper.read_bytes().count(b"R1-000007") == 1


@pytest.mark.parametrize("origin", ["https://evil.example", "http://pos.example.com", None])
def test_pages_of_other_origins_are_refused_and_learn_nothing(endpoint, paper, origin):
    response, _ = request(endpoint, "POST", "/print", body=print_job(), origin=origin)

    assert response.status == 403
    assert response.getheader("Access-Control-Allow-Origin") is None  # the browser keeps the answer from the page
    assert not paper.exists()
    status, _ = request(endpoint, "GET", "/status", origin=origin)
    assert status.status == 403


@pytest.mark.parametrize("key", ["wrong-key", None])
def test_a_wrong_or_missing_key_is_refused(endpoint, paper, key):
    response, body = request(endpoint, "POST", "/print", body=print_job(), key=key)

    assert response.status == 403
    assert "print key" in body["error"]
    # The origin is allowed: its page may read why (for the diagnostics panel).
    assert response.getheader("Access-Control-Allow-Origin") == ORIGIN
    assert not paper.exists()
    assert request(endpoint, "GET", "/status", key=key)[0].status == 403


def test_an_agent_that_has_no_key_yet_prints_for_nobody(endpoint, paper):
    endpoint.keys["current"] = ""

    response, body = request(endpoint, "POST", "/print", body=print_job(), key="")

    assert response.status == 403 and "no local print key" in body["error"]
    assert not paper.exists()


def test_a_host_name_that_is_not_loopback_is_refused_against_dns_rebinding(endpoint, paper):
    response, _ = request(endpoint, "POST", "/print", body=print_job(), host=f"pos.evil.example:{endpoint.port}")

    assert response.status == 403
    assert not paper.exists()


def test_cors_preflight_of_the_allowed_origin_is_answered_with_private_network_access(endpoint):
    headers = {
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type,x-print-key",
        "Access-Control-Request-Private-Network": "true",
    }
    response, _ = request(endpoint, "OPTIONS", "/print", key=None, headers=headers)

    assert response.status == 204
    assert response.getheader("Access-Control-Allow-Origin") == ORIGIN
    assert response.getheader("Access-Control-Allow-Private-Network") == "true"
    assert "X-Print-Key" in response.getheader("Access-Control-Allow-Headers")
    assert "POST" in response.getheader("Access-Control-Allow-Methods")

    refused, _ = request(endpoint, "OPTIONS", "/print", key=None, headers=headers, origin="https://evil.example")
    assert refused.status == 403
    assert refused.getheader("Access-Control-Allow-Origin") is None
    assert refused.getheader("Access-Control-Allow-Private-Network") is None


def test_status_tells_the_page_the_agent_and_printer_state(endpoint):
    request(endpoint, "POST", "/print", body=print_job())

    response, body = request(endpoint, "GET", "/status")

    assert response.status == 200
    assert body == {"register": "R1", "printer": {"status": "ok"}}
    assert response.getheader("Cache-Control") == "no-store"


def test_an_unreachable_printer_answers_503_and_the_retry_prints(endpoint, spooler, tmp_path, paper):
    spooler.remember_printer({"kind": "file", "address": str(tmp_path / "missing" / "lp0"), "paper_width": 80})

    response, body = request(endpoint, "POST", "/print", body=print_job())

    assert response.status == 503 and body["status"] == "failed" and "missing" in body["error"]
    assert spooler.printer_state["status"] == "error"
    spooler.remember_printer({"kind": "file", "address": str(paper), "paper_width": 80})
    response, body = request(endpoint, "POST", "/print", body=print_job())
    assert response.status == 200 and body["status"] == "printed"  # the failure was not remembered as printed


@pytest.mark.parametrize(
    ("job", "problem"),
    [
        ({"id": SALE_ID, "kind": "receipt", "document": receipt(version=2)}, "version 2"),
        ({"id": SALE_ID, "kind": "drawer_kick", "document": {}}, "receipt and reprint jobs only"),
        ({"kind": "receipt", "document": receipt()}, "needs an id"),
        ({"id": SALE_ID, "document": {"version": 1}}, "Not a receipt document"),
    ],
)
def test_what_is_not_a_receipt_job_is_refused_and_not_remembered(endpoint, paper, job, problem):
    response, body = request(endpoint, "POST", "/print", body=job)

    assert response.status == 400 and problem in body["error"]
    assert not paper.exists()
    assert request(endpoint, "POST", "/print", body=print_job())[1]["status"] == "printed"


def test_the_servers_receipt_job_of_a_sale_printed_offline_is_not_printed_again_but_a_copy_is(spooler, paper):
    printed_now = spooler.print_local_job(SALE_ID, "receipt", receipt(name="Milk", sale_id=SALE_ID))
    assert printed_now is True
    printed = paper.read_bytes()
    printer = spooler.printer

    # The sale reached the server; its receipt job comes to the agent.
    job = {"id": 41, "kind": "receipt", "payload": receipt(name="Milk", sale_id=SALE_ID), "printer": printer}
    assert spooler.print_server_job(job) is None
    assert paper.read_bytes() == printed
    assert spooler.journal.is_printed(41)

    copy_document = receipt(name="Milk", sale_id=SALE_ID, copy=True)
    copy = {"id": 42, "kind": "reprint", "payload": copy_document, "printer": printer}
    assert spooler.print_server_job(copy) is None
    assert paper.read_bytes().count(b"*** COPY ***") == 1


def test_the_allowed_origins_are_the_servers_and_the_extra_ones():
    remote = AgentConfig(server="https://POS.example.com:443/", token="t", device=1, register="R1")
    assert remote.allowed_origins == {"https://pos.example.com"}
    extra = remote.replace(extra_origins=("https://kasse.example.com:8443",))
    assert extra.allowed_origins == {"https://pos.example.com", "https://kasse.example.com:8443"}
    local = AgentConfig(server="http://127.0.0.1:8000", token="t", device=1, register="R1")
    assert local.allowed_origins == {"http://127.0.0.1:8000", "http://localhost:8000", "http://[::1]:8000"}
