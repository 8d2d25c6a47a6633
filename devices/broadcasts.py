"""Push print jobs and revocations to the agents' websockets. Called only after commit."""

import asyncio
import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

logger = logging.getLogger(__name__)
_pending_sends: set = set()  # keeps scheduled sends alive until they finish


def register_devices_group_name(register_id: int) -> str:
    return f"devices.register-{register_id}"


def device_group_name(device_id: int) -> str:
    return f"devices.device-{device_id}"


def push_print_job(*, register_id: int, message: dict) -> None:
    """Hand a job to the register's connected agents (``print.job``); a missed push is resent on connect."""
    _send(register_devices_group_name(register_id), {"type": "print.job", "job": message}, what="a print job")


def push_device_config(*, register_id: int, message: dict, except_device_id: int | None = None) -> None:
    """Send the register's agents their new settings (``device.config``), e.g. a new local print key."""
    event = {"type": "device.config", "config": message, "except_device": except_device_id}
    _send(register_devices_group_name(register_id), event, what="device settings")


def close_device_connections(*, device_id: int) -> None:
    """Close the revoked device's open websockets (``device.revoked``)."""
    _send(device_group_name(device_id), {"type": "device.revoked"}, what="a revocation")


def _send(group: str, event: dict, *, what: str) -> None:
    channel_layer = get_channel_layer()
    if channel_layer is None:
        return
    try:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        if loop is None:
            async_to_sync(channel_layer.group_send)(group, event)
        else:
            # Committed from code running inside an event loop: async_to_sync would refuse.
            task = loop.create_task(channel_layer.group_send(group, event))
            _pending_sends.add(task)
            task.add_done_callback(_pending_sends.discard)
    except Exception:
        # Committed already; a lost job push is resent when the agent reconnects.
        logger.exception("Could not send %s to %s", what, group)
