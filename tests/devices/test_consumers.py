"""The print agent's websocket (/ws/devices/) in-process: the local print key and the endpoint's port."""

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

from devices.consumers import DeviceConsumer
from devices.models import Device, Printer, Register
from devices.selectors import local_print_agent
from devices.services import create_pairing_code, pair_device, revoke_device

pytestmark = pytest.mark.django_db(transaction=True)


def paired(register, name="till-pc"):
    return pair_device(code=create_pairing_code(register=register), name=name)


def agent_socket(token):
    return WebsocketCommunicator(
        DeviceConsumer.as_asgi(), "/ws/devices/", headers=[(b"authorization", f"Bearer {token}".encode())]
    )


def test_pairing_gives_the_register_a_local_print_key_the_agent_gets_with_its_printer_on_connect(register):
    Printer.objects.create(register=register, kind="network", address="10.0.0.9:9100")
    _, token = paired(register)
    key = Register.objects.get().local_print_key
    assert len(key) >= 32

    async def scenario():
        agent = agent_socket(token)
        assert (await agent.connect())[0]
        config = await agent.receive_json_from(timeout=2)
        assert config == {
            "type": "config",
            "local_print_key": key,
            "printer": {
                "kind": "network",
                "address": "10.0.0.9:9100",
                "profile": "default",
                "paper_width": 80,
                "text_fallback": "image",
            },
        }
        await agent.send_json_to({"type": "hello", "local_port": 18631})
        await agent.send_json_to({"type": "heartbeat", "printer": {"status": "ok"}})  # processed in order
        await agent.receive_nothing(timeout=0.3)
        await agent.disconnect()

    async_to_sync(scenario)()
    assert local_print_agent(Register.objects.get()) == {"url": "http://127.0.0.1:18631", "key": key}
    # A second device of the register shares the key: the page cannot know which PC it runs on.
    paired(register, name="second-pc")
    assert Register.objects.get().local_print_key == key


def test_the_page_is_never_sent_to_an_address_the_agent_made_up(register):
    _, token = paired(register)

    async def scenario():
        agent = agent_socket(token)
        assert (await agent.connect())[0]
        await agent.receive_json_from(timeout=2)
        await agent.send_json_to({"type": "hello", "local_port": "evil.example:80"})
        await agent.send_json_to({"type": "heartbeat"})
        await agent.receive_nothing(timeout=0.3)
        await agent.disconnect()

    async_to_sync(scenario)()
    assert local_print_agent(Register.objects.get())["url"] == "http://127.0.0.1:8631"  # the default port


def test_revoking_a_device_changes_the_key_and_tells_the_registers_other_agents_only(register):
    revoked_device, revoked_token = paired(register, name="stolen-pc")
    _, other_token = paired(register, name="till-pc")
    old_key = Register.objects.get().local_print_key

    async def scenario():
        revoked, other = agent_socket(revoked_token), agent_socket(other_token)
        for agent in (revoked, other):
            assert (await agent.connect())[0]
            assert (await agent.receive_json_from(timeout=2))["local_print_key"] == old_key

        await database_sync_to_async(revoke_device)(device=revoked_device)

        new_key = await database_sync_to_async(lambda: Register.objects.get().local_print_key)()
        assert new_key != old_key
        assert await other.receive_json_from(timeout=2) == {"type": "config", "local_print_key": new_key}
        assert (await revoked.receive_output(timeout=2)) == {"type": "websocket.close", "code": 4403}
        assert await revoked.receive_nothing(timeout=0.5)  # and not the new key on its way out
        await other.disconnect()

    async_to_sync(scenario)()
    assert local_print_agent(Register.objects.get())["key"] != old_key


def test_a_register_without_a_paired_agent_gives_its_page_no_local_endpoint(register):
    assert local_print_agent(register) is None
    device, _ = paired(register)
    revoke_device(device=device)

    assert local_print_agent(Register.objects.get()) is None
    assert Device.objects.get().revoked_at is not None


def test_a_printer_changed_in_the_back_office_reaches_the_connected_agent_at_once(register, manager):
    printer = Printer.objects.create(register=register, kind="network", address="10.0.0.9:9100")
    _, token = paired(register)
    client = Client()
    client.force_login(manager)
    form = {
        "store": register.store_id,
        "code": register.code,
        "name": register.name,
        "active": "on",
        "printer-TOTAL_FORMS": "1",
        "printer-INITIAL_FORMS": "1",
        "printer-MIN_NUM_FORMS": "0",
        "printer-MAX_NUM_FORMS": "1",
        "printer-0-id": printer.pk,
        "printer-0-register": register.pk,
        "printer-0-kind": "network",
        "printer-0-address": "10.0.0.10:9100",
        "printer-0-profile": "TM-T88V",
        "printer-0-paper_width": "58",
        "printer-0-text_fallback": "GB18030",
        "printer-0-active": "on",
    }

    async def scenario():
        agent = agent_socket(token)
        assert (await agent.connect())[0]
        assert (await agent.receive_json_from(timeout=2))["printer"]["address"] == "10.0.0.9:9100"

        response = await database_sync_to_async(client.post)(f"/admin/devices/register/{register.pk}/change/", form)

        assert response.status_code == 302, response.content.decode()[-2000:]
        assert await agent.receive_json_from(timeout=2) == {
            "type": "config",
            "printer": {
                "kind": "network",
                "address": "10.0.0.10:9100",
                "profile": "TM-T88V",
                "paper_width": 58,
                "text_fallback": "GB18030",
            },
        }
        await agent.disconnect()

    async_to_sync(scenario)()
