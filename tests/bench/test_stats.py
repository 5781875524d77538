"""The benchmark's figure helpers."""

import pytest

from bench.stats import percentile, spread


def test_spread_is_median_min_max():
    """An even count takes the mean of the middle two."""
    assert spread([3.0, 1.0, 10.0, 2.0]) == {"median": 2.5, "min": 1.0, "max": 10.0}


def test_percentile_is_nearest_rank():
    """p95 of 1..20 is 19, of one value is that value; none is an error."""
    assert percentile([float(v) for v in range(20, 0, -1)], 0.95) == 19.0
    assert percentile([7.0], 0.95) == 7.0
    with pytest.raises(ValueError):
        percentile([], 0.95)
