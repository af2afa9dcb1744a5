"""Medians over interleaved rounds and percentiles: machines are noisy (±20 %), so every
benchmark runs its variants in turn, round after round, and reports middles, not means."""

import math
import statistics
from collections.abc import Iterable, Mapping
from typing import Any


def median(rounds: Iterable[Mapping[str, Any]], key: str) -> float | None:
    """The median of `key` over the rounds that have it (None when none has)."""
    values = [row[key] for row in rounds if row.get(key) is not None]
    return float(statistics.median(values)) if values else None


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of a non-empty list."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def spread(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"p50": None, "p99": None, "max": None, "min": None}
    return {
        "min": round(min(values), 4),
        "p50": round(percentile(values, 50), 4),
        "p99": round(percentile(values, 99), 4),
        "max": round(max(values), 4),
    }
