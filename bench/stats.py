"""Small helpers for the figures: a median with its spread, a percentile."""

import math
import statistics


def spread(values: list[float]) -> dict[str, float]:
    """Median, minimum and maximum of several runs (rounded to 4 places)."""
    if not values:
        raise ValueError("no values")
    return {
        "median": round(statistics.median(values), 4),
        "min": round(min(values), 4),
        "max": round(max(values), 4),
    }


def percentile(values: list[float], fraction: float) -> float:
    """The nearest-rank percentile: the smallest value >= `fraction` of them."""
    if not values:
        raise ValueError("no values")
    ordered = sorted(values)
    rank = max(math.ceil(fraction * len(ordered)), 1)
    return ordered[rank - 1]
