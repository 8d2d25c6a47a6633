import logging
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone
from rest_framework.test import APIClient

from devices.models import Device, PairingCode, PrintJob, Register
from devices.selectors import device_for_token, token_hash
from devices.services import PAIRING_ATTEMPTS_ALLOWED, create_pairing_code, revoke_device

URL = "/api/v1/devices/pair/"


@pytest.fixture(autouse=True)
def _fresh_rate_limit():
    cache.clear()
    yield
    cache.clear()


def pair(code, name="till-pc"):
    return APIClient().post(URL, {"code": code, "name": name}, format="json")


def test_a_pairing_code_gives_a_token_once(register, manager):
    code = create_pairing_code(register=register, created_by=manager)

    first = pair(code)
    again = pair(code)

    assert first.status_code == 201, first.json()
    body = first.json()
    assert body["register"] == "R1" and body["name"] == "till-pc" and body["websocket"] == "/ws/devices/"
    assert first["Cache-Control"] == "no-store"
    assert device_for_token(body["token"]).pk == body["device"]
    assert again.status_code == 400
    assert "already used" in again.json()["code"][0]


def test_the_code_is_typed_forgivingly(register):
    code = create_pairing_code(register=register)

    assert pair(f" {code[:4].lower()}-{code[4:].lower()} ").status_code == 201


def test_an_expired_code_is_refused(register):
    code = create_pairing_code(register=register)
    PairingCode.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    response = pair(code)

    assert response.status_code == 400
    assert "expired" in response.json()["code"][0]
    assert not Device.objects.exists()


def test_an_unknown_code_is_refused(register):
    create_pairing_code(register=register)

    assert pair("ABCDEFGH").status_code == 400


def test_only_hashes_of_the_code_and_token_are_stored(register):
    code = create_pairing_code(register=register)
    token = pair(code).json()["token"]

    pairing = PairingCode.objects.get()
    device = Device.objects.get()
    assert pairing.code_hash == token_hash(code) and code not in pairing.code_hash
    assert device.token_hash == token_hash(token)
    assert device.token_prefix == token[:12]
    stored = [str(value) for value in Device.objects.values_list().get()]
    assert not any(token in value for value in stored)


def test_a_revoked_token_is_refused_at_once(register):
    token = pair(create_pairing_code(register=register)).json()["token"]
    device = device_for_token(token)

    revoke_device(device=device)

    assert device_for_token(token) is None
    assert Device.objects.get().revoked_at is not None


def test_a_wrong_token_with_a_known_prefix_is_refused(register):
    token = pair(create_pairing_code(register=register)).json()["token"]

    assert device_for_token(token[:12] + "x" * 40) is None
    assert device_for_token("") is None


def test_pairing_attempts_are_rate_limited_per_address(register):
    for _ in range(PAIRING_ATTEMPTS_ALLOWED):
        assert pair("WRONGONE").status_code == 400
    code = create_pairing_code(register=register)

    refused = pair(code)

    assert refused.status_code == 429
    assert not Device.objects.exists()
    other_address = APIClient(REMOTE_ADDR="10.0.0.7").post(URL, {"code": code}, format="json")
    assert other_address.status_code == 201


def test_the_token_never_reaches_the_logs(register, caplog):
    caplog.set_level(logging.DEBUG)
    token = pair(create_pairing_code(register=register)).json()["token"]

    assert token not in caplog.text


def test_the_manager_makes_a_pairing_code_in_the_register_admin(client, manager, register):
    client.force_login(manager)

    response = client.post(
        "/admin/devices/register/",
        {"action": "make_pairing_code", "_selected_action": [register.pk]},
        follow=True,
    )

    message = next(str(m) for m in response.context["messages"])
    code = message.split(": ")[1].split(" ")[0]
    assert len(code) == 8
    assert pair(code).status_code == 201


def test_the_device_list_shows_online_printer_state_and_jobs_not_printed(client, manager, register):
    _, token = pair_device_for(register)
    Device.objects.update(last_seen=timezone.now(), printer_state={"status": "error", "error": "paper out"})
    PrintJob.objects.create(register=register, kind="test_page")
    client.force_login(manager)

    page = client.get("/admin/devices/device/").content.decode()

    assert "till-pc" in page and "paper out" in page and 'alt="True"' in page
    assert token not in page


def pair_device_for(register):
    response = pair(create_pairing_code(register=register))
    return response.json()["device"], response.json()["token"]


def test_the_checkout_page_of_a_paired_register_has_its_agents_address_and_local_key_never_the_token(
    client, cashier, register
):
    client.force_login(cashier)
    assert "data-agent-key" not in client.get("/pos/R1/").content.decode()  # no agent: the page prints no other way

    _, token = pair_device_for(register)
    page = client.get("/pos/R1/").content.decode()

    key = Register.objects.get().local_print_key
    assert f'data-agent-url="http://127.0.0.1:8631" data-agent-key="{key}"' in page
    assert token not in page and token[:12] not in page
