"""One measured job in its own process, so its peak memory is its own.

`python -m bench.child import FILE` or `python -m bench.child sweep` prints one
JSON line: seconds, peak resident memory (MB), SQL statements run and, for the
sweep, the batches (row-locking SELECTs) they were spread over.

A batch's statements are those from its SKIP LOCKED select up to the next
one; `per_batch_max` is the most any batch ran, and `fixed` the statements
before the first batch (once per run). Dividing the total by the batches
mixed the two and made small runs look cheaper per batch (issue 9).
"""

import json
import sys
import time

import django


def peak_rss_mb() -> float:
    """VmHWM: this process's own peak (ru_maxrss would carry the parent's over
    the fork and exec)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def main() -> None:
    django.setup()
    from django.db import connection

    counts = {"queries": 0, "batches": 0, "fixed": 0}
    per_batch: list[int] = []

    def count(execute, sql, params, many, context):
        counts["queries"] += 1
        if "SKIP LOCKED" in sql:
            counts["batches"] += 1
            per_batch.append(0)
        if per_batch:
            per_batch[-1] += 1
        else:
            counts["fixed"] += 1
        return execute(sql, params, many, context)

    job = sys.argv[1]
    started = time.perf_counter()
    with connection.execute_wrapper(count):
        if job == "import":
            from claims.ledger_import import ledger_import

            with open(sys.argv[2], encoding="utf-8-sig", newline="") as stream:
                result = ledger_import(stream=stream)
            detail = {"inserted": result.inserted, "rejected": result.rejected}
        elif job == "sweep":
            from payouts.services import payouts_send_reminders

            result = payouts_send_reminders()
            detail = {"reminders": result.reminders, "forfeited": result.forfeited}
        else:
            raise SystemExit(f"unknown job {job}")
    seconds = time.perf_counter() - started
    peak = peak_rss_mb()
    counts["per_batch_max"] = max(per_batch, default=0)
    print(json.dumps({"seconds": seconds, "rss_mb": peak, **counts, **detail}))


if __name__ == "__main__":
    main()
