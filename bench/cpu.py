"""Who used the CPU during a phase: this load generator, the server, PostgreSQL, the machine.

The server, the database and the load generator share the machine's cores, so every phase
reports the generator's own share next to the figures it produced.
"""

import os
import resource
import time
from dataclasses import dataclass

CORES = os.cpu_count() or 1
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def process_cpu_seconds(pid: int) -> float:
    """User + system time of one process from /proc; 0 once it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def machine_busy_seconds() -> tuple[float, float]:
    """(busy, total) CPU seconds of all cores since boot."""
    with open("/proc/stat") as stat:
        values = [int(v) for v in stat.readline().split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    total = sum(values[:8])  # guest time is already counted in user
    return (total - idle) / CLOCK_TICKS, total / CLOCK_TICKS


def children_of(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as children:
            return [int(child) for child in children.read().split()]
    except FileNotFoundError:
        return []


@dataclass
class CpuMeter:
    """Start it before a phase, call ``report()`` after; process groups are named pid lists."""

    groups: dict[str, list[int]]

    def __post_init__(self):
        self.wall = time.monotonic()
        self.own = own_cpu_seconds()
        self.machine = machine_busy_seconds()
        self.group_cpu = {name: sum(process_cpu_seconds(pid) for pid in pids) for name, pids in self.groups.items()}

    def report(self) -> dict:
        wall = time.monotonic() - self.wall
        own = own_cpu_seconds() - self.own
        busy, total = machine_busy_seconds()
        busy -= self.machine[0]
        total -= self.machine[1]
        report = {
            "wall_seconds": round(wall, 2),
            "cores": CORES,
            "load_generator": _share(own, wall),
            "machine_busy_percent_of_all_cores": round(100 * busy / total, 1) if total else None,
        }
        accounted = own
        for name, pids in self.groups.items():
            used = sum(process_cpu_seconds(pid) for pid in pids) - self.group_cpu[name]
            report[name] = _share(used, wall)
            accounted += used
        # Everything else on the machine (other PostgreSQL backends, other people's tests, ...):
        # when this is large, the figures of the phase are not the machine's best.
        report["everything_else"] = _share(max(0.0, busy - accounted), wall)
        return report


def _share(cpu_seconds: float, wall: float) -> dict:
    return {
        "cpu_seconds": round(cpu_seconds, 2),
        "percent_of_one_core": round(100 * cpu_seconds / wall, 1) if wall else None,
        "percent_of_all_cores": round(100 * cpu_seconds / wall / CORES, 1) if wall else None,
    }
