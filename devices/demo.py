"""The demo shop's print agent (``make run``): register R1 prints to a file, its agent is paired already.

Pairs without HTTP (the server may not be up yet): makes the device and writes the agent's config
file itself. Safe to run again: a config whose token still works is kept (only the server URL is
brought up to date), so repeated ``make run`` neither piles up devices nor reprints anything.
"""

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from django.db import transaction

from devices.agent.config import AgentConfig, is_local_host, load_config, save_config
from devices.models import Device, Printer, Register
from devices.selectors import device_for_token
from devices.services import create_device, revoke_device

DEMO_AGENT_NAME = "Demo agent (make run)"


@dataclass(frozen=True)
class DemoAgent:
    data_dir: Path
    printer: Printer
    paired_now: bool


def install_demo_print_agent(*, register: Register, server: str, data_dir: Path, printer_file: Path) -> DemoAgent:
    """A file printer for ``register`` (unless it has a printer) and an agent config in ``data_dir``."""
    printer_file.parent.mkdir(parents=True, exist_ok=True)
    printer, _ = Printer.objects.get_or_create(
        register=register, defaults={"kind": Printer.Kind.FILE, "address": str(printer_file.resolve())}
    )
    allow_http = not is_local_host(urlsplit(server).hostname)
    config = _working_config(data_dir, register)
    if config is not None:
        if config.server != server:
            save_config(data_dir, config.replace(server=server, allow_http=allow_http))
        return DemoAgent(data_dir=data_dir, printer=printer, paired_now=False)
    with transaction.atomic():
        # An earlier demo agent whose config is gone: revoked, so only one stays.
        for stale in Device.objects.filter(register=register, name=DEMO_AGENT_NAME, revoked_at__isnull=True):
            revoke_device(device=stale)
        device, token = create_device(register=register, name=DEMO_AGENT_NAME)
    register.refresh_from_db(fields=["local_print_key"])
    save_config(
        data_dir,
        AgentConfig(
            server=server,
            token=token,
            device=device.pk,
            register=register.code,
            local_print_key=register.local_print_key,
            allow_http=allow_http,
        ),
    )
    return DemoAgent(data_dir=data_dir, printer=printer, paired_now=True)


def _working_config(data_dir: Path, register: Register) -> AgentConfig | None:
    try:
        config = load_config(data_dir)
    except (FileNotFoundError, ValueError, TypeError):
        return None
    device = device_for_token(config.token)
    return config if device is not None and device.register_id == register.pk else None
