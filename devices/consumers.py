from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from devices import selectors, services
from devices.broadcasts import device_group_name, register_devices_group_name
from devices.models import Device, Register

CLOSE_UNAUTHORIZED = 4401
CLOSE_REVOKED = 4403


class DeviceConsumer(AsyncJsonWebsocketConsumer):
    """The print agent's connection: jobs out, acknowledgements and heartbeats in.

    The agent authenticates with ``Authorization: Bearer <device token>`` in the handshake (never
    in the URL, which ends up in access logs). Sends on connect ``{"type": "config",
    "local_print_key", "printer"}`` (again when the key changes) and ``{"type": "job", "id", "kind",
    "payload", "printer"}`` for every job not yet printed, then each new one after commit; receives
    ``{"type": "hello", "local_port"}``, ``{"type": "job.printed", "id"}``, ``{"type": "job.failed",
    "id", "error"}`` and ``{"type": "heartbeat", "printer": {...}}``. Closes with 4403 when the device
    is revoked.
    """

    device: Device | None = None

    async def connect(self):
        self.device = await database_sync_to_async(selectors.device_for_token)(_bearer_token(self.scope))
        if self.device is None:
            await self.close(code=CLOSE_UNAUTHORIZED)
            return
        self.joined = [register_devices_group_name(self.device.register_id), device_group_name(self.device.pk)]
        for group in self.joined:
            await self.channel_layer.group_add(group, self.channel_name)
        # Joined first, then re-checked: a revocation in between is not missed.
        pending = await self._pending_jobs_if_still_paired()
        if pending is None:
            await self.close(code=CLOSE_UNAUTHORIZED)
            return
        await self.accept()
        for message in pending:
            await self.send_json(message)

    async def disconnect(self, code):
        for group in getattr(self, "joined", []):
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive_json(self, content, **kwargs):
        kind = content.get("type") if isinstance(content, dict) else None
        if kind == "hello":
            port = content.get("local_port")
            valid = isinstance(port, int) and not isinstance(port, bool) and 0 < port < 65536
            await database_sync_to_async(services.record_local_port)(
                device_id=self.device.pk, port=port if valid else None
            )
        elif kind == "heartbeat":
            printer = content.get("printer")
            await database_sync_to_async(services.record_heartbeat)(
                device_id=self.device.pk, printer_state=printer if isinstance(printer, dict) else None
            )
        elif kind == "job.printed" and isinstance(content.get("id"), int):
            await database_sync_to_async(services.mark_job_printed)(device=self.device, job_id=content["id"])
        elif kind == "job.failed" and isinstance(content.get("id"), int):
            await database_sync_to_async(services.mark_job_failed)(
                device=self.device, job_id=content["id"], error=str(content.get("error") or "unknown error")
            )

    async def print_job(self, event):
        await self.send_json(event["job"])
        await database_sync_to_async(services.mark_jobs_sent)(job_ids=[event["job"]["id"]])

    async def device_config(self, event):
        if event.get("except_device") != self.device.pk:
            await self.send_json(event["config"])

    async def device_revoked(self, event):
        await self.close(code=CLOSE_REVOKED)

    @database_sync_to_async
    def _pending_jobs_if_still_paired(self) -> list[dict] | None:
        if not Device.objects.filter(pk=self.device.pk, revoked_at__isnull=True).exists():
            return None
        services.record_heartbeat(device_id=self.device.pk)
        printer = selectors.printer_config(self.device.register_id)
        key = Register.objects.filter(pk=self.device.register_id).values_list("local_print_key", flat=True).get()
        jobs = selectors.undelivered_jobs(self.device.register_id)
        services.mark_jobs_sent(job_ids=[job.pk for job in jobs])
        config = {"type": "config", "local_print_key": key, "printer": printer}
        return [config, *(job.agent_message(printer) for job in jobs)]


def _bearer_token(scope) -> str:
    for name, value in scope.get("headers", []):
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            if scheme.lower() == "bearer":
                return token.strip()
    return ""
