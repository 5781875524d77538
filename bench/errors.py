"""What went wrong in a load run, by kind (issue 33: "/offers/ returned 7
errors in one run: find what they were"): a timeout, a connection error or
the HTTP status, counted per page and summed over the runs."""

from collections import Counter
from collections.abc import Iterable, Mapping

TIMEOUT = "timeout"
CONNECTION = "connection error"


def status_kind(status: int) -> str:
    """An HTTP answer that counts as an error (status >= 400) by its status."""
    return f"HTTP {status}"


def exception_kind(error: OSError) -> str:
    """The Python client's failure: a socket timeout, else a connection error
    (refused, reset, closed before the answer)."""
    return TIMEOUT if isinstance(error, TimeoutError) else CONNECTION


def wrk_kinds(errors: Mapping[str, int], statuses: Mapping) -> dict[str, int]:
    """wrk's `summary.errors` (connect, read, write, timeout, status) and the
    statuses >= 400 bench/*.lua counted: connect, read and write failures are
    connection errors; wrk's own status count is replaced by the statuses."""
    kinds: Counter[str] = Counter()
    kinds[TIMEOUT] += int(errors.get("timeout", 0))
    for failure in ("connect", "read", "write"):
        kinds[CONNECTION] += int(errors.get(failure, 0))
    for status, count in statuses.items():
        kinds[status_kind(int(status))] += int(count)
    # A status wrk counted that the script did not see (it should not happen)
    # still shows, without its code.
    unseen = int(errors.get("status", 0)) - sum(int(c) for c in statuses.values())
    if unseen > 0:
        kinds["HTTP >= 400"] += unseen
    return {kind: count for kind, count in sorted(kinds.items()) if count}


def kinds_sum(runs: Iterable[Mapping[str, int]]) -> dict[str, int]:
    """The kinds of several runs together."""
    total: Counter[str] = Counter()
    for kinds in runs:
        total.update(kinds)
    return {kind: count for kind, count in sorted(total.items()) if count}


def errors_text(count: int, kinds: Mapping[str, int] | None) -> str:
    """ "7 (5 timeout, 2 HTTP 502)" for the report; "0" without errors."""
    if not count or not kinds:
        return str(count)
    return f"{count} ({', '.join(f'{n} {kind}' for kind, n in kinds.items())})"
