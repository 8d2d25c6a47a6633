"""The agent's data directory: its config (server URL and device token, mode 0600) and journal."""

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

CONFIG_FILE = "agent.json"


@dataclass(frozen=True)
class AgentConfig:
    server: str  # e.g. https://pos.example.com
    token: str
    device: int
    register: str

    def __repr__(self):  # keep the token out of tracebacks and logs
        return f"AgentConfig(server={self.server!r}, device={self.device}, register={self.register!r})"

    @property
    def websocket_url(self) -> str:
        scheme, _, rest = self.server.rstrip("/").partition("://")
        return f"{'wss' if scheme == 'https' else 'ws'}://{rest}/ws/devices/"


def default_data_dir() -> Path:
    if configured := os.environ.get("RETAILPOS_AGENT_DIR"):
        return Path(configured)
    return Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share") / "retailpos-agent"


def save_config(data_dir: Path, config: AgentConfig) -> Path:
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = data_dir / CONFIG_FILE
    # Created 0600 from the start: the token is never readable by others, not even briefly.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as file:
        json.dump(asdict(config), file)
    os.chmod(path, 0o600)
    return path


def load_config(data_dir: Path) -> AgentConfig:
    path = data_dir / CONFIG_FILE
    if not path.exists():
        raise FileNotFoundError(
            f"Not paired yet: no {path}. Run: python -m devices.agent pair --server URL --code CODE"
        )
    return AgentConfig(**json.loads(path.read_text()))
