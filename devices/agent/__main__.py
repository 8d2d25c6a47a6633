"""``python -m devices.agent pair --server URL --code CODE`` once, then ``python -m devices.agent run``."""

import argparse
import asyncio
import json
import logging
import socket
import ssl
import sys
import urllib.error
import urllib.request
from pathlib import Path

from devices.agent.config import (
    DEFAULT_LOCAL_PORT,
    AgentConfig,
    InsecureServer,
    check_server_url,
    default_data_dir,
    load_config,
    save_config,
    ssl_context,
)
from devices.agent.journal import Journal
from devices.agent.runner import Agent, configure_logging

logger = logging.getLogger("retailpos.agent")

EXIT_FAILED = 2


class AgentError(Exception):
    """Something the person at the register PC can fix; the message says what."""


def pair(server: str, code: str, name: str, data_dir: Path, options: dict) -> int:
    server = server.rstrip("/")
    check_server_url(server, allow_http=options.get("allow_http", False))
    request = urllib.request.Request(
        f"{server}/api/v1/devices/pair/",
        data=json.dumps({"code": code, "name": name}).encode(),
        headers={"Content-Type": "application/json"},
    )
    try:
        context = ssl_context(server, options.get("ca_file"))
        with urllib.request.urlopen(request, timeout=15, context=context) as response:
            body = json.load(response)
    except urllib.error.HTTPError as error:
        logger.error("Pairing refused (HTTP %s): %s", error.code, error.read().decode(errors="replace"))
        return EXIT_FAILED
    except urllib.error.URLError as error:
        raise AgentError(_unreachable(server, error.reason, options.get("ca_file"))) from error
    config = AgentConfig(
        server=server,
        token=body["token"],
        device=body["device"],
        register=body["register"],
        local_print_key=body.get("local_print_key", ""),
        **options,
    )
    path = save_config(data_dir, config)
    logger.info("Paired as device %s of register %s; config in %s", body["device"], body["register"], path)
    return 0


def _unreachable(server: str, reason, ca_file: str | None) -> str:
    if isinstance(reason, ssl.SSLCertVerificationError):
        hint = (
            f"is {ca_file} the CA that signed it?"
            if ca_file
            else "if a private CA signed it, pass --ca-file with that CA's certificate (PEM)."
        )
        return f"Could not verify the certificate of {server} ({reason.verify_message or reason}): {hint}"
    return f"Could not reach {server}: {reason}"


def run(data_dir: Path, options: dict) -> int:
    config = load_config(data_dir)
    if options:
        # What run was told (e.g. --ca-file) holds from now on.
        config = config.replace(**options)
        save_config(data_dir, config)
    check_server_url(config.server, allow_http=config.allow_http)
    config.ssl_context()  # a missing or unreadable CA file: say so now, not on every reconnect
    agent = Agent(config, Journal(data_dir / "journal.sqlite3"), data_dir=data_dir)
    return asyncio.run(agent.run_forever())


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devices.agent", description="Retail POS print agent")
    parser.add_argument("--data-dir", type=Path, default=None, help="config and journal (default: %(default)s)")
    commands = parser.add_subparsers(dest="command", required=True)
    pairing = commands.add_parser("pair", help="pair with a register using a code from the back office")
    pairing.add_argument("--server", required=True, help="e.g. https://pos.example.com")
    pairing.add_argument("--code", required=True)
    pairing.add_argument("--name", default=socket.gethostname())
    running = commands.add_parser("run", help="connect and print jobs until stopped")
    for command in (pairing, running):
        _connection_options(command, saved_when_given=command is running)
    args = parser.parse_args(argv)
    configure_logging()
    data_dir = args.data_dir or default_data_dir()
    options = _given_options(args)
    try:
        if args.command == "pair":
            return pair(args.server, args.code, args.name, data_dir, options)
        return run(data_dir, options)
    except (AgentError, InsecureServer, FileNotFoundError) as error:
        logger.error("%s", error)
        return EXIT_FAILED
    except ssl.SSLError as error:
        logger.error("Cannot use the CA file %s: %s", options.get("ca_file"), error)
        return EXIT_FAILED
    except KeyboardInterrupt:
        return 0


def _connection_options(parser, *, saved_when_given: bool) -> None:
    saved = " (saved in the config)" if saved_when_given else ""
    parser.add_argument(
        "--ca-file", default=None, help=f"PEM file of the CA that signed the server's certificate{saved}"
    )
    parser.add_argument(
        "--allow-http",
        action="store_true",
        default=None,
        help=f"allow plain http/ws to a server that is not on this PC (the token travels unencrypted){saved}",
    )
    parser.add_argument(
        "--local-port",
        type=int,
        default=None,
        help=f"port of the local endpoint on 127.0.0.1 for offline printing, 0 for none "
        f"(default {DEFAULT_LOCAL_PORT}){saved}",
    )
    parser.add_argument(
        "--allow-origin",
        action="append",
        default=None,
        metavar="ORIGIN",
        help=f"another origin whose pages may print through the local endpoint (the server's is always allowed){saved}",
    )


def _given_options(args) -> dict:
    """The connection options given on the command line (the others keep their saved or default value)."""
    options = {
        "ca_file": str(Path(args.ca_file).resolve()) if args.ca_file else None,
        "allow_http": args.allow_http,
        "local_port": args.local_port,
        "extra_origins": tuple(args.allow_origin) if args.allow_origin else None,
    }
    return {name: value for name, value in options.items() if value is not None}


if __name__ == "__main__":
    sys.exit(main())
