"""The report: each figure against its target, as the Markdown table of
bench/results/<scale>.md."""

from .errors import errors_text
from .load import USERS

# Report -------------------------------------------------------------------------

TARGETS = {
    "first_view_of_floor": 0.5,
    "first_view_p95_ms": 100,
    "burst_claims_per_s": 150,
    "burst_p95_ms": 250,
    "tuples_per_filing": 200,
    "slow_p95_ms": 200,
    "page_of_floor": 0.5,
    "page_p95_ms": 150,
    "import_s": 60,
    "import_of_raw": 0.3,
    "sweep_s": 30,
    "admin_p95_ms": 300,
    "pain_s": 5,
    "rss_mb": 300,
}


def verdict(ok: bool) -> str:
    return "met" if ok else "**missed**"


def fmt(figure: dict, unit: str = "", digits: int = 1) -> str:
    return (
        f"{figure['median']:.{digits}f}{unit} "
        f"({figure['min']:.{digits}f}–{figure['max']:.{digits}f})"
    )


def markdown_render(results: dict) -> list[str]:
    """CPU per render of each reseller page (issue 33); absent from runs made
    before it."""
    if "render" not in results:
        return []
    r = results["render"]
    load = ", ".join(
        f"{before:.2f} → {after:.2f}"
        for before, after in zip(*r["load_average"], strict=True)
    )
    lines = [
        "",
        "## Render budget",
        "",
        "CPU per render of each page's template with the context its view built, "
        "in one process (bench/render.py); median of the runs. Load average "
        f"(1, 5, 15 min) before → after: {load}.",
        "",
        "| page | template | CPU ms per render | statements per render | KiB "
        "| target |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for name, f in r["pages"].items():
        lines.append(
            f"| {name} | {f['template']} | {f['cpu_ms']:.2f} | {f['queries']:g} | "
            f"{f['bytes'] / 1024:.1f} | "
            f"{verdict(f['cpu_ms'] < r['budget_ms'])} (< {r['budget_ms']} ms) |"
        )
    return lines


def markdown_traffic(results: dict) -> list[str]:
    """The real-traffic case, the deadline burst and slow clients (issue 20),
    first in the report; absent from runs made before them."""
    t = TARGETS
    lines = []
    if "traffic" in results:
        r = results["traffic"]
        lines += [
            f"## Real traffic: {r['companies']:,} companies, each request from the "
            "next company's user with its own pages (gunicorn as in production, "
            f"{USERS} connections)",
            "",
            "First view: each company's first request in the run (the pages "
            "keep no cache). Second view: the same users again at once.",
            "",
            "CPU ms per first-view request: the gunicorn workers (Python) and "
            "the PostgreSQL backends of the benchmark's database.",
            "",
            "| page | first view req/s | of floor | p95 ms | errors | target "
            "| CPU ms: gunicorn / PostgreSQL "
            "| second view req/s | of floor | p95 ms |",
            "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
        ]
        for name, f in r["pages"].items():
            first, second = f["first"], f["second"]
            cpu = first.get("cpu_ms_per_request", {})
            floor = name.startswith("floor")
            ok = (
                first["errors"] == 0
                and first["p95_ms"]["median"] < t["first_view_p95_ms"]
                and (floor or first["of_floor"] >= t["first_view_of_floor"])
            )
            goal = "floor" if floor else verdict(ok) + " (>= 50 %, p95 < 100 ms)"
            lines.append(
                f"| {name} | {fmt(first['rps'], digits=0)} | {first['of_floor']:.0%} "
                f"| {fmt(first['p95_ms'])} "
                f"| {errors_text(first['errors'], first.get('error_kinds'))} | {goal} "
                f"| {cpu.get('gunicorn', 0):.1f} / {cpu.get('postgres', 0):.1f} "
                f"| {fmt(second['rps'], digits=0)} | {second['of_floor']:.0%} "
                f"| {fmt(second['p95_ms'])} |"
            )
        lines.append("")
    if "burst" in results:
        b = results["burst"]
        c = b["checks"]
        lk = b["locks"]
        fast = (
            b["claims_per_s"] >= t["burst_claims_per_s"]
            and b["post_p95_ms"] < t["burst_p95_ms"]
        )
        # "The same at 10x": within a fifth (plus a few rows of noise).
        one, ten = b["tuples_per_filing"], b["tuples_per_filing_10x"]
        tuples_ok = max(one, ten) < t["tuples_per_filing"] and ten <= 1.2 * one + 5
        lines += [
            f"## Deadline burst: {b['companies']} companies file one claim each on "
            f"one offer through the form, {USERS} at a time",
            "",
            "| what | figure | target |",
            "| --- | --- | --- |",
            f"| claims filed per second, POST p95 | {b['claims_per_s']:.0f} claims/s "
            f"({b['filed']} in {b['seconds']:.1f} s, form view included), "
            f"p95 {b['post_p95_ms']:.0f} ms | {verdict(fast)} "
            "(>= 150 claims/s, p95 < 250 ms) |",
            f"| errors | {b['errors']} "
            f"{'; '.join(b['error_examples'])} | {verdict(b['errors'] == 0)} (0) |",
            f"| exactly once (database) | {c['companies_with_one_claim']} of "
            f"{b['companies']} companies with one claim, {c['companies_with_more']} "
            f"with more; {c['numbers_on_two_active_claims']} numbers on two active "
            f"claims; {c['claims_with_one_filed_event']} of {c['claims']} claims with "
            f"one filed event, {c['claims_with_their_email']} with their e-mail | "
            f"{verdict(c['ok'])} (all) |",
            f"| CPU per filing (form view and POST): gunicorn / PostgreSQL | "
            f"{b.get('cpu_ms_per_filing', {}).get('gunicorn', 0):.1f} / "
            f"{b.get('cpu_ms_per_filing', {}).get('postgres', 0):.1f} ms | – |",
            f"| lock waits (pg_stat_activity every 50 ms, {lk['samples']} samples) "
            f"| {lk['lock_waits_mean']:.2f} of {lk['active_mean']:.2f} active "
            f"connections wait on a lock on average, at most {lk['lock_waits_max']} "
            "| – |",
            f"| tuples read per filing (claim_file, pg_stat_user_tables) at "
            f"{b['claims_1x']:,} / {b['claims_10x']:,} claims | "
            f"{b['tuples_per_filing']:.0f} / {b['tuples_per_filing_10x']:.0f} | "
            f"{verdict(tuples_ok)} (< 200, the same at 10x) |",
            "",
        ]
    if "slow" in results:
        lines += [
            "## Slow clients: one user loads /offers/ (a new connection each time) "
            "while 25 sockets sit idle and 25 trickle their headers",
            "",
            "| gunicorn | alone: p95 ms, requests | with the 50 slow sockets: p95 ms, "
            "requests, errors | target |",
            "| --- | --- | --- | --- |",
        ]
        for setup, f in results["slow"].items():
            alone, loaded = f["alone"], f["with_slow_clients"]
            p95 = loaded["p95_ms"]
            ok = p95 is not None and p95 < t["slow_p95_ms"] and not loaded["errors"]
            production = setup.endswith("(production)")
            goal = verdict(ok) + " (p95 < 200 ms)" if production else "before"
            lines.append(
                f"| {setup} | {alone['p95_ms'] or 0:.0f}, {alone['requests']} | "
                f"{'–' if p95 is None else f'{p95:.0f}'}, {loaded['requests']}, "
                f"{loaded['errors']} | {goal} |"
            )
        lines.append("")
    return lines


def markdown(results: dict) -> str:
    t = TARGETS
    m = results["machine"]
    lines = [
        f"# Benchmark results: scale {results['scale']}",
        "",
        f"Run {results['started']} in {results['seconds']:.0f} s on {m['nproc']} cores "
        f"({m['cpu']}), {m['memory']} memory, PostgreSQL {m['postgresql']}, "
        f"Python {m['python']}, load generator {m['load_generator']}.",
        "Figures are median (min–max) of the runs.",
        "",
        *markdown_traffic(results),
        "## One company (secondary): 20 connections share one session of "
        "Nordlicens AB, which has 10,000 claims",
        "",
        "| page | requests/s | of floor | p95 ms | errors | target |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for name, f in results["pages"].items():
        floor = name.startswith("floor")
        ok = f["errors"] == 0 and f["p95_ms"]["median"] < t["page_p95_ms"]
        if not floor:
            ok = ok and f["of_floor"] >= t["page_of_floor"]
        lines.append(
            f"| {name} | {fmt(f['rps'], digits=0)} | {f['of_floor']:.0%} | "
            f"{fmt(f['p95_ms'])} | {errors_text(f['errors'], f.get('error_kinds'))} | "
            f"{'floor' if floor else verdict(ok)} |"
        )
    lines += markdown_render(results)
    lines += [
        "",
        "## Queries per page",
        "",
        "Counted on a view after the session's first, and on the view after it",
        "(the pages keep no cache: the two are the same).",
        "",
        "| page | 10 claims | 10,000 claims | second view | target (same) |",
        "| --- | --- | --- | --- | --- |",
    ]
    for name, f in results["queries"].items():
        lines.append(
            f"| {name} | {f['10']} | {f['10000']} | {f.get('again', '–')} | "
            f"{verdict(f['same'])} |"
        )
    i = results["import"]
    s = results["sweep"]
    a = results["admin"]
    p = results["pain001"]
    lines += [
        "",
        "## Batch work",
        "",
        "| what | figure | target |",
        "| --- | --- | --- |",
        f"| ledger import, {i['rows']:,} rows | {fmt(i['import_s'], ' s')}, "
        f"{i['rows_per_s']:,} rows/s | "
        f"{verdict(i['import_s']['median'] < t['import_s'])} (< 60 s) |",
        "| psql \\copy of the same file into a bare table | "
        f"{fmt(i['raw_copy_s'], ' s')} "
        f"| import at {i['of_raw_copy']:.0%} of its speed: "
        f"{verdict(i['of_raw_copy'] >= t['import_of_raw'])} (>= 30 %) |",
        f"| reminder sweep, {s['payouts']:,} payouts due ({s['reminded']:,} reminded, "
        f"{s['forfeited']:,} forfeited) | {fmt(s['sweep_s'], ' s')} | "
        f"{verdict(s['sweep_s']['median'] < t['sweep_s'])} (< 30 s) |",
        f"| sweep queries per batch (most in any batch) at {s['payouts']:,} / "
        f"{s['payouts'] // 10:,} payouts | {s['queries_per_batch_max']} / "
        f"{s['queries_per_batch_max_tenth']} ({s['queries']:,} queries in "
        f"{s['batches']} batches + {s['queries_fixed']} per run / "
        f"{s['queries_tenth']:,} in {s['batches_tenth']} + "
        f"{s['queries_fixed_tenth']}) | "
        f"{verdict(s['queries_per_batch_max'] <= s['queries_per_batch_max_tenth'])}"
        " (bounded: no more per batch at 10x the data) |",
    ]
    for name in ("first page", "filtered page"):
        f = a[name]
        lines.append(
            f"| admin claim queue, {a['claims']:,} claims, {name} (`{f['path']}`), "
            f"p95 of 20 | {fmt(f['p95_ms'], ' ms')} | "
            f"{verdict(f['p95_ms']['median'] < t['admin_p95_ms'])} (< 300 ms) |"
        )
    lines += [
        f"| pain.001 for {p['payouts']:,} payouts, built and validated | "
        f"{fmt(p['build_s'], ' s', 2)} | "
        f"{verdict(p['build_s']['median'] < t['pain_s'])} (< 5 s) |",
        f"| peak memory of the import at {i['rows']:,} / {i['rows'] // 10:,} rows | "
        f"{fmt(i['rss_mb'], ' MB', 0)} / {i['rss_mb_tenth']:.0f} MB | "
        f"{verdict(i['rss_mb']['max'] < t['rss_mb'])} (< 300 MB, flat) |",
        f"| peak memory of the sweep at {s['payouts']:,} / {s['payouts'] // 10:,} "
        f"payouts | {fmt(s['rss_mb'], ' MB', 0)} / {s['rss_mb_tenth']:.0f} MB | "
        f"{verdict(s['rss_mb']['max'] < t['rss_mb'])} (< 300 MB, flat) |",
        "",
    ]
    return "\n".join(lines)
