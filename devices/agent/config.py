"""The agent's data directory: its config (server URL, device token, local print key; mode 0600) and journal."""

import dataclasses
import ipaddress
import json
import os
import ssl
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import urlsplit

CONFIG_FILE = "agent.json"
DEFAULT_LOCAL_PORT = 8631
LOOPBACK_NAMES = {"localhost", "127.0.0.1", "::1"}


class InsecureServer(ValueError):
    """A plain-HTTP server that is not on this PC, without the explicit opt-in."""


@dataclass(frozen=True)
class AgentConfig:
    server: str  # e.g. https://pos.example.com
    token: str
    device: int
    register: str
    # What the checkout page sends to the local endpoint; never the device token.
    local_print_key: str = ""
    # 127.0.0.1 port of the local endpoint; 0 turns it off.
    local_port: int = DEFAULT_LOCAL_PORT
    # Origins of pages that may print through the local endpoint besides the server's own.
    extra_origins: tuple[str, ...] = ()
    # CA bundle that signed the server's certificate; None: the system's trusted CAs.
    ca_file: str | None = None
    # Plain http/ws to a server that is not on this PC: only when asked for explicitly.
    allow_http: bool = False

    def __repr__(self):  # keep the token and the key out of tracebacks and logs
        return f"AgentConfig(server={self.server!r}, device={self.device}, register={self.register!r})"

    @property
    def websocket_url(self) -> str:
        scheme, _, rest = self.server.rstrip("/").partition("://")
        return f"{'wss' if scheme == 'https' else 'ws'}://{rest}/ws/devices/"

    @property
    def allowed_origins(self) -> frozenset[str]:
        """Origins whose pages may use the local endpoint: the server's (all loopback names of it when
        it runs on this PC) and the extra ones."""
        origins = {origin_of(self.server), *(origin_of(origin) for origin in self.extra_origins)}
        parts = urlsplit(self.server)
        if parts.hostname in LOOPBACK_NAMES:
            port = f":{parts.port}" if parts.port else ""
            origins |= {f"{parts.scheme}://{host}{port}" for host in ("127.0.0.1", "localhost", "[::1]")}
        return frozenset(origins)

    def ssl_context(self) -> ssl.SSLContext | None:
        return ssl_context(self.server, self.ca_file)

    def replace(self, **changes) -> "AgentConfig":
        return dataclasses.replace(self, **changes)


def origin_of(url: str) -> str:
    """``https://Pos.Example.com:443/path`` → ``https://pos.example.com``, as browsers send Origin."""
    parts = urlsplit(url.strip())
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    default_port = {"http": 80, "https": 443}.get(scheme)
    port = f":{parts.port}" if parts.port and parts.port != default_port else ""
    return f"{scheme}://{host}{port}"


def is_local_host(host: str | None) -> bool:
    if not host:
        return False
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_server_url(server: str, *, allow_http: bool) -> None:
    """Refuse what would send the device token unencrypted over a network, unless asked for."""
    parts = urlsplit(server)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InsecureServer(f"The server must be an http(s) URL such as https://pos.example.com, not {server!r}.")
    if parts.scheme == "http" and not allow_http and not is_local_host(parts.hostname):
        raise InsecureServer(
            f"Refusing plain HTTP to {parts.hostname}: the device token would cross the network unencrypted. "
            "Use https:// (with --ca-file for a private CA), or pass --allow-http on a network you trust."
        )


def ssl_context(server: str, ca_file: str | None) -> ssl.SSLContext | None:
    """Certificate and host name verification for https/wss; ``ca_file`` replaces the system's CAs."""
    if urlsplit(server).scheme != "https":
        return None
    return ssl.create_default_context(cafile=ca_file)


def default_data_dir() -> Path:
    if configured := os.environ.get("RETAILPOS_AGENT_DIR"):
        return Path(configured)
    return Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share") / "retailpos-agent"


def save_config(data_dir: Path, config: AgentConfig) -> Path:
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = data_dir / CONFIG_FILE
    temporary = data_dir / f".{CONFIG_FILE}.tmp"
    # Created 0600 from the start: the token is never readable by others, not even briefly.
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as file:
        json.dump(asdict(config), file, indent=1)
        file.flush()
        os.fsync(file.fileno())
    os.chmod(temporary, 0o600)
    # Replaced in one step: a crash while saving a new key never leaves half a file.
    os.replace(temporary, path)
    return path


def load_config(data_dir: Path) -> AgentConfig:
    path = data_dir / CONFIG_FILE
    if not path.exists():
        raise FileNotFoundError(
            f"Not paired yet: no {path}. Run: python -m devices.agent pair --server URL --code CODE"
        )
    values = json.loads(path.read_text())
    known = {field.name for field in dataclasses.fields(AgentConfig)}
    values = {name: value for name, value in values.items() if name in known}
    if "extra_origins" in values:
        values["extra_origins"] = tuple(values["extra_origins"])
    return AgentConfig(**values)
