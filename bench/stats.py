"""Latency percentiles and response tallies."""

import math
from collections import Counter
from dataclasses import dataclass, field


def percentile(sorted_values: list[float], fraction: float) -> float | None:
    """Nearest-rank percentile of already sorted values."""
    if not sorted_values:
        return None
    rank = max(1, math.ceil(fraction * len(sorted_values)))
    return sorted_values[rank - 1]


def latency_summary_ms(seconds: list[float]) -> dict:
    values = sorted(seconds)
    return {
        "count": len(values),
        "p50_ms": _ms(percentile(values, 0.50)),
        "p95_ms": _ms(percentile(values, 0.95)),
        "p99_ms": _ms(percentile(values, 0.99)),
        "max_ms": _ms(values[-1] if values else None),
        "mean_ms": _ms(sum(values) / len(values) if values else None),
    }


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 2)


@dataclass
class Tally:
    """What came back: latencies of every answer, statuses, transport errors, booked sale ids."""

    latencies: list[float] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    errors: Counter = field(default_factory=Counter)
    created_ids: list[str] = field(default_factory=list)
    # Sales whose outcome we never learned (timeout, dropped connection): maybe booked.
    unknown_ids: list[str] = field(default_factory=list)
    error_samples: dict[int, str] = field(default_factory=dict)

    def answered(self, status: int, latency: float, sale_id: str, body: bytes) -> None:
        self.latencies.append(latency)
        self.statuses[status] += 1
        if status == 201:
            self.created_ids.append(sale_id)
        elif status not in self.error_samples:
            self.error_samples[status] = body[:300].decode("utf-8", "replace")

    def failed(self, error: BaseException, sale_id: str) -> None:
        self.errors[type(error).__name__] += 1
        self.unknown_ids.append(sale_id)

    def non_201(self) -> dict[str, int]:
        counts = {str(status): n for status, n in sorted(self.statuses.items()) if status != 201}
        counts.update({f"error:{name}": n for name, n in sorted(self.errors.items())})
        return counts
