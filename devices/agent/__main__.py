"""``python -m devices.agent pair --server URL --code CODE`` once, then ``python -m devices.agent run``."""

import argparse
import asyncio
import json
import logging
import socket
import sys
import urllib.error
import urllib.request
from pathlib import Path

from devices.agent.config import AgentConfig, default_data_dir, load_config, save_config
from devices.agent.journal import Journal
from devices.agent.runner import Agent, configure_logging

logger = logging.getLogger("retailpos.agent")


def pair(server: str, code: str, name: str, data_dir: Path) -> int:
    request = urllib.request.Request(
        f"{server.rstrip('/')}/api/v1/devices/pair/",
        data=json.dumps({"code": code, "name": name}).encode(),
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=15) as response:
            body = json.load(response)
    except urllib.error.HTTPError as error:
        logger.error("Pairing refused (HTTP %s): %s", error.code, error.read().decode(errors="replace"))
        return 2
    path = save_config(
        data_dir, AgentConfig(server=server, token=body["token"], device=body["device"], register=body["register"])
    )
    logger.info("Paired as device %s of register %s; config in %s", body["device"], body["register"], path)
    return 0


def run(data_dir: Path) -> int:
    config = load_config(data_dir)
    return asyncio.run(Agent(config, Journal(data_dir / "journal.sqlite3")).run_forever())


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devices.agent", description="Retail POS print agent")
    parser.add_argument("--data-dir", type=Path, default=None, help="config and journal (default: %(default)s)")
    commands = parser.add_subparsers(dest="command", required=True)
    pairing = commands.add_parser("pair", help="pair with a register using a code from the back office")
    pairing.add_argument("--server", required=True, help="e.g. https://pos.example.com")
    pairing.add_argument("--code", required=True)
    pairing.add_argument("--name", default=socket.gethostname())
    commands.add_parser("run", help="connect and print jobs until stopped")
    args = parser.parse_args(argv)
    configure_logging()
    data_dir = args.data_dir or default_data_dir()
    if args.command == "pair":
        return pair(args.server, args.code, args.name, data_dir)
    try:
        return run(data_dir)
    except FileNotFoundError as error:
        logger.error("%s", error)
        return 2
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    sys.exit(main())
