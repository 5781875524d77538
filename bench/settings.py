"""Production settings plus the benchmark's floor view; used only by `make bench`.

The environment (secrets, database, hosts) is set by bench/harness.py.
"""

import os
from pathlib import Path

from cashback.settings.production import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
STATIC_ROOT = Path(os.environ["BENCH_STATIC_ROOT"])
