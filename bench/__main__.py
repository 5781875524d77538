"""`make bench [SCALE=full]`: measure the portal against the floor of its own stack,
with traffic as it arrives: many companies, the deadline burst, slow clients.

Needs PostgreSQL on 127.0.0.1:5432 (user postgres, trust) and Redis on
127.0.0.1:6379; starts neither. It creates and drops its own database
(cashback_benchmark, or BENCH_DB), uses Redis database 13 (or BENCH_REDIS;
flushed), starts its own gunicorn and load generator (wrk, or a threaded
Python client without it), and writes bench/results/<scale>.md and .json.
See docs/performance.md.

This module runs the steps; `harness` holds the settings, the database and
the machine, `seeding` the synthetic rows, `measurements` one function per
figure and `report` the Markdown table.
"""

import json
import os
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from .harness import (
    DB_NAME,
    REDIS,
    RESULTS,
    SCALES,
    database_create,
    database_drop,
    environment,
    log,
    machine,
    preflight,
)
from .measurements import (
    measure_admin,
    measure_burst,
    measure_import,
    measure_pages,
    measure_pain,
    measure_queries,
    measure_render,
    measure_slow,
    measure_sweep,
    measure_traffic,
)
from .report import markdown
from .seeding import demo_reseller, demo_seed


def main() -> None:
    if {"-h", "--help"} & set(sys.argv[1:]):
        print(__doc__.strip() + "\n\nUsage: python -m bench [small|full]")
        print("BENCH_ONLY=render,queries runs only the named steps.")
        return
    scale_name = (
        sys.argv[1] if len(sys.argv) > 1 else os.environ.get("SCALE")
    ) or "small"
    if scale_name not in SCALES:
        raise SystemExit(f"SCALE must be one of {', '.join(SCALES)}")
    scale = SCALES[scale_name]
    began = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix="cashback-bench-"))
    environment(str(work / "static"))
    preflight()
    log(f"scale {scale_name}: database {DB_NAME}, Redis {REDIS}")
    database_create()
    try:
        import django
        from django.core.management import call_command

        django.setup()
        call_command("migrate", verbosity=0)
        call_command("collectstatic", verbosity=0, interactive=False)
        demo_seed()
        reseller, user = demo_reseller()
        results = {
            "scale": scale_name,
            "started": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "settings": scale,
            "machine": machine(),
        }
        # BENCH_ONLY=import,sweep runs a part (while working on it); the
        # report needs them all.
        only = set(filter(None, os.environ.get("BENCH_ONLY", "").split(",")))
        steps = {
            "render": lambda: measure_render(user, reseller, scale),
            "traffic": lambda: measure_traffic(scale, work),
            "burst": lambda: measure_burst(scale),
            "slow": lambda: measure_slow(reseller, user, scale),
            "queries": lambda: measure_queries(reseller, user),
            "pages": lambda: measure_pages(reseller, user, scale),
            "pain001": lambda: measure_pain(scale),
            "import": lambda: measure_import(scale, work),
            "admin": lambda: measure_admin(scale),
            "sweep": lambda: measure_sweep(scale),
        }
        for step, measure in steps.items():
            if not only or step in only:
                results[step] = measure()
                log(f"{step}: {json.dumps(results[step])}")
        results["seconds"] = time.monotonic() - began
        results.setdefault("seconds", time.monotonic() - began)
    finally:
        if not os.environ.get("BENCH_KEEP_DB"):
            database_drop()
        shutil.rmtree(work, ignore_errors=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    if only:
        # A part run keeps its figures, without the table that needs them all.
        name = f"{scale_name}-{'-'.join(sorted(only))}.json"
        (RESULTS / name).write_text(json.dumps(results, indent=2) + "\n")
        log(f"wrote bench/results/{name}")
        return
    (RESULTS / f"{scale_name}.json").write_text(json.dumps(results, indent=2) + "\n")
    table = markdown(results)
    (RESULTS / f"{scale_name}.md").write_text(table)
    print(table)
    log(f"wrote bench/results/{scale_name}.md and .json")


if __name__ == "__main__":
    main()
