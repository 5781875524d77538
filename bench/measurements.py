"""The measurements, one function each: queries per page, page throughput,
traffic as it arrives, the deadline burst, slow clients, the ledger import,
the admin's claim queue, the reminder sweep and the payment file."""

import secrets
import subprocess  # nosec B404 - runs our own gunicorn, wrk and psql
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

from . import render, traffic
from .errors import kinds_sum
from .harness import DB_NAME, PG, child, log, sql
from .load import USERS, gunicorn, load
from .seeding import claims_add, ledger_file, payouts_due, sweep_claims_ensure
from .stats import percentile, spread

# Queries per page ---------------------------------------------------------------


def reseller_pages(reseller) -> dict[str, str]:
    from claims.models import Claim
    from offers.models import Offer

    offer = Offer.objects.filter(claims__reseller=reseller).first()
    claim = Claim.objects.filter(reseller=reseller).order_by("created_at").first()
    return {
        "offers": "/offers/",
        "offer": f"/offers/{offer.slug}/",
        "claim form": f"/offers/{offer.slug}/claim/",
        "dashboard": "/dashboard/",
        "claims": "/claims/",
        "claim": f"/claims/{claim.reference}/",
        "payouts": "/payouts/",
        "company": "/company/",
    }


def second_factor_typed(client, user) -> None:
    """Record in the client's session that `user` typed their TOTP code, as
    allauth does at log-in: staff pages need it (cashback.security)."""
    from allauth.account.authentication import AUTHENTICATION_METHODS_SESSION_KEY

    session = client.session
    session[AUTHENTICATION_METHODS_SESSION_KEY] = [
        {"method": "mfa", "at": time.time(), "type": "totp"}
    ]
    session["account_authentication_methods_user"] = str(user.pk)
    session.save()


def query_counts(reseller, user) -> dict[str, int]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from resellers.models import User

    counts = {}
    client = Client()
    client.force_login(user)
    staff = Client()
    reviewer = User.objects.get(email="reviewer@vendor.example")
    staff.force_login(reviewer)
    second_factor_typed(staff, reviewer)
    pages = [(client, name, url) for name, url in reseller_pages(reseller).items()]
    pages.append((staff, "admin claim queue", "/admin/claims/claim/"))
    for who, name, url in pages:
        who.get(url, secure=True)  # warm the session, as a second visit would be
        with CaptureQueriesContext(connection) as queries:
            response = who.get(url, secure=True)
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}, not 200")
        with CaptureQueriesContext(connection) as again:
            who.get(url, secure=True)
        counts[name] = (len(queries), len(again))
    return counts


def measure_queries(reseller, user) -> dict:
    from claims.models import Claim

    log("queries per page at 10 and 10,000 claims")
    have = Claim.objects.filter(reseller=reseller).count()
    claims_add(10 - have, [reseller.pk])
    small = query_counts(reseller, user)
    claims_add(10_000 - 10, [reseller.pk])
    large = query_counts(reseller, user)
    return {
        name: {
            "10": small[name][0],
            "10000": large[name][0],
            "again": large[name][1],
            "same": small[name] == large[name],
        }
        for name in small
    }


# Render budget ------------------------------------------------------------------


def measure_render(user, reseller, scale: dict) -> dict:
    """CPU per render of each reseller page's template (bench/render.py), on
    the demo's data: run before the steps that add rows."""
    log(f"render CPU per page, {render.REPEAT} renders x {scale['runs']} runs")
    pages = {"home": "/", **reseller_pages(reseller)}
    before = render.load_average()
    figures = render.render_costs(user, pages, runs=scale["runs"], repeat=render.REPEAT)
    for name, f in figures.items():
        log(f"  {name}: {f['cpu_ms']:.2f} ms CPU, {f['queries']:g} statements")
    return {
        "pages": figures,
        "budget_ms": render.BUDGET_MS,
        "load_average": [before, render.load_average()],
    }


# Page throughput -----------------------------------------------------------------


def measure_pages(reseller, user, scale: dict) -> dict:
    from django.conf import settings
    from django.test import Client

    log("page throughput with gunicorn at 20 concurrent users")
    client = Client()
    client.force_login(user)
    name = settings.SESSION_COOKIE_NAME
    cookie = f"{name}={client.cookies[name].value}"
    pages = reseller_pages(reseller)
    targets = {
        "floor (bare Django view)": "/bench/floor/",
        "/offers/": pages["offers"],
        "/dashboard/": pages["dashboard"],
        "/claims/": pages["claims"],
        "claim page": pages["claim"],
    }
    figures = {}
    with gunicorn() as server:
        for name, path in targets.items():
            url = server.base + path
            request = urllib.request.Request(  # noqa: S310 - our own http URL
                url, headers={"Cookie": cookie, "X-Forwarded-Proto": "https"}
            )
            # 60 s: a slow page's queued requests from the previous load run
            # may still be in gunicorn's workers.
            with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310  # nosec B310
                if response.status != 200 or response.url != url:
                    raise SystemExit(f"{path} did not answer 200 signed in")
            load(url, 1, cookie=cookie)  # warm-up
            runs = [
                load(url, scale["page_seconds"], cookie=cookie)
                for _ in range(scale["runs"])
            ]
            figures[name] = {
                "path": path,
                "rps": spread([r["rps"] for r in runs]),
                "p95_ms": spread([r["p95_ms"] for r in runs]),
                "errors": sum(r["errors"] for r in runs),
                "error_kinds": kinds_sum(r.get("error_kinds", {}) for r in runs),
                "requests": sum(r["requests"] for r in runs),
            }
            log(f"  {name}: {figures[name]['rps']['median']:.0f} req/s")
    floor = figures["floor (bare Django view)"]["rps"]["median"]
    for figure in figures.values():
        figure["of_floor"] = round(figure["rps"]["median"] / floor, 3)
    return figures


# Traffic as it arrives (issue 20) -------------------------------------------------


def measure_traffic(scale: dict, work: Path) -> dict:
    """Pages of many companies, every request from the next company's user with
    its own pages: first view and second view (the same users again)."""

    count = scale["companies"]
    log(f"real traffic: {count:,} companies, each with its user and 5-50 claims")
    companies = traffic.companies_create(count)
    targets = {
        "floor (bare Django view)": lambda c: "/bench/floor/",
        "/offers/": lambda c: "/offers/",
        "/dashboard/": lambda c: "/dashboard/",
        "/claims/": lambda c: "/claims/",
        "claim page": lambda c: f"/claims/{c['claim']}/",
    }
    figures = {}
    with gunicorn() as server:
        base = server.base
        for name, page in targets.items():
            users = traffic.users_file(work, name, companies, page)
            sample = companies[0]
            request = urllib.request.Request(  # noqa: S310 - our own http URL
                base + page(sample),
                headers={"Cookie": sample["cookie"], "X-Forwarded-Proto": "https"},
            )
            with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310  # nosec B310
                if response.status != 200 or response.url != base + page(sample):
                    raise SystemExit(f"{page(sample)} did not answer 200 signed in")
            # Every worker warm, on other users than those measured.
            traffic.warm(server.port, companies[-1]["cookie"], [page(companies[-1])])
            first, second = [], []
            meter = traffic.CpuMeter(server.pid)
            for _ in range(scale["runs"]):
                # Every company's first view, then the same users again.
                meter.start()
                first.append(load(base, scale["page_seconds"], users=users))
                first[-1].update(meter.stop())
                second.append(load(base, scale["page_seconds"], users=users))
            figures[name] = {
                view: {
                    "rps": spread([r["rps"] for r in runs]),
                    "p95_ms": spread([r["p95_ms"] for r in runs]),
                    "errors": sum(r["errors"] for r in runs),
                    "error_kinds": kinds_sum(r.get("error_kinds", {}) for r in runs),
                    "requests": sum(r["requests"] for r in runs),
                }
                for view, runs in (("first", first), ("second", second))
            }
            # CPU per first-view request: Python (gunicorn) against PostgreSQL.
            requests = sum(r["requests"] for r in first) or 1
            figures[name]["first"]["cpu_ms_per_request"] = {
                side: round(sum(r[f"{side}_cpu_s"] for r in first) * 1000 / requests, 2)
                for side in ("gunicorn", "postgres")
            }
            log(
                f"  {name}: first view {figures[name]['first']['rps']['median']:.0f}"
                f" req/s, second {figures[name]['second']['rps']['median']:.0f}"
            )
    floor = figures["floor (bare Django view)"]
    for figure in figures.values():
        for view in ("first", "second"):
            figure[view]["of_floor"] = round(
                figure[view]["rps"]["median"] / floor[view]["rps"]["median"], 3
            )
    return {"companies": count, "pages": figures}


def measure_burst(scale: dict) -> dict:
    """The deadline day: distinct companies file on one offer through the form."""
    from claims.models import Claim

    count = scale["burst_companies"]
    log(f"deadline burst: {count} companies file on one offer, {USERS} at a time")
    companies = traffic.companies_create(count, claims=False)
    offer = traffic.burst_offer()
    with gunicorn() as server:
        figures = traffic.burst(
            server.port, companies, offer, USERS, f"{PG}/{DB_NAME}", server.pid
        )
    log(
        f"  {figures['claims_per_s']:.0f} claims/s, POST p95"
        f" {figures['post_p95_ms']:.0f} ms, {figures['errors']} errors"
    )
    claims = Claim.objects.count()
    figures["tuples_per_filing"] = traffic.tuples_per_filing(offer, 20)
    claims_add(
        9 * claims, [pk for (pk,) in traffic.sql("SELECT id FROM resellers_reseller")]
    )
    figures["claims_1x"] = claims
    figures["claims_10x"] = Claim.objects.count()
    figures["tuples_per_filing_10x"] = traffic.tuples_per_filing(offer, 20)
    log(
        f"  tuples read per filing {figures['tuples_per_filing']:.0f} at"
        f" {claims:,} claims, {figures['tuples_per_filing_10x']:.0f} at"
        f" {figures['claims_10x']:,}"
    )
    return figures


def measure_slow(reseller, user, scale: dict) -> dict:
    """A normal client's p95 while 50 sockets sit idle or trickle headers, in
    the production set-up and, for comparison, with sync workers."""
    from django.conf import settings
    from django.test import Client

    log("slow clients: 25 idle and 25 trickling sockets")
    client = Client()
    client.force_login(user)
    name = settings.SESSION_COOKIE_NAME
    cookie = f"{name}={client.cookies[name].value}"
    figures = {}
    for setup, worker_class in (("threaded (production)", ""), ("sync", "sync")):
        with gunicorn(worker_class) as server:
            figures[setup] = traffic.measure_slow(
                server.port, cookie, "/offers/", scale["slow_seconds"]
            )
        loaded = figures[setup]["with_slow_clients"]
        log(f"  {setup}: p95 {loaded['p95_ms']} ms, {loaded['errors']} errors")
    return figures


# Ledger import ------------------------------------------------------------------


def measure_import(scale: dict, work: Path) -> dict:
    rows = scale["import_rows"]
    log(f"ledger import of {rows:,} rows against psql \\copy")
    path = work / "ledger.csv"
    ledger_file(path, rows)
    sql(
        "CREATE TABLE bench_raw_ledger (agreement_number text, reseller_org_number"
        " text, reseller_name text, customer_id text, customer_segment text,"
        " licence_type text, product_sku text, seats integer, revenue numeric(14, 2),"
        " currency text, sale_date date, new_customer boolean)"
    )
    raw, imports = [], []
    for _ in range(scale["runs"]):
        sql("TRUNCATE bench_raw_ledger")
        started = time.perf_counter()
        subprocess.run(  # nosec B603 B607
            [
                "psql",
                "-q",
                f"{PG}/{DB_NAME}",
                "-c",
                f"\\copy bench_raw_ledger FROM '{path}' WITH (FORMAT csv, HEADER)",
            ],
            check=True,
        )
        raw.append(time.perf_counter() - started)
        sql("TRUNCATE claims_openagreement CASCADE")
        imports.append(child("import", str(path)))
        if imports[-1]["inserted"] != rows or imports[-1]["rejected"]:
            raise SystemExit(f"import wrote {imports[-1]}, expected {rows} rows")
    sql("DROP TABLE bench_raw_ledger")
    # Peak memory at a tenth of the rows: flat means about the same.
    tenth = work / "ledger-tenth.csv"
    ledger_file(tenth, rows // 10)
    sql("TRUNCATE claims_openagreement CASCADE")
    small = child("import", str(tenth))
    seconds = [r["seconds"] for r in imports]
    return {
        "rows": rows,
        "import_s": spread(seconds),
        "raw_copy_s": spread(raw),
        "rows_per_s": round(rows / spread(seconds)["median"]),
        "of_raw_copy": round(spread(raw)["median"] / spread(seconds)["median"], 3),
        "rss_mb": spread([r["rss_mb"] for r in imports]),
        "rss_mb_tenth": round(small["rss_mb"], 1),
    }


# Admin claim queue ----------------------------------------------------------------


def measure_admin(scale: dict) -> dict:
    from django.test import Client

    from claims.models import Claim
    from resellers.models import Reseller, User

    total = scale["admin_claims"]
    log(f"admin claim queue with {total:,} claims")
    claims_add(
        total - Claim.objects.count(),
        list(Reseller.objects.values_list("pk", flat=True)),
    )
    sql("VACUUM ANALYZE claims_claim")
    client = Client()
    reviewer = User.objects.get(email="reviewer@vendor.example")
    client.force_login(reviewer)
    second_factor_typed(client, reviewer)
    pages = {
        "first page": "/admin/claims/claim/",
        "filtered page": "/admin/claims/claim/?status__exact=submitted&p=2",
    }
    figures = {}
    for name, url in pages.items():
        client.get(url, secure=True)
        p95s = []
        for _ in range(scale["runs"]):
            times = []
            for _ in range(20):
                started = time.perf_counter()
                response = client.get(url, secure=True)
                times.append((time.perf_counter() - started) * 1000)
                if response.status_code != 200:
                    raise SystemExit(f"{url} answered {response.status_code}")
            p95s.append(percentile(times, 0.95))
        figures[name] = {"path": url, "p95_ms": spread(p95s)}
        log(f"  {name}: p95 {figures[name]['p95_ms']['median']:.0f} ms")
    figures["claims"] = Claim.objects.count()
    return figures


def measure_sweep(scale: dict) -> dict:
    count = scale["sweep_payouts"]
    log(f"reminder sweep of {count:,} payouts awaiting bank details")
    sweep_claims_ensure(count)
    runs = []
    for _ in range(scale["runs"]):
        payouts_due(count)
        runs.append(child("sweep"))
    payouts_due(count // 10)
    small = child("sweep")
    last = runs[-1]
    return {
        "payouts": count,
        "sweep_s": spread([r["seconds"] for r in runs]),
        "reminded": last["reminders"],
        "forfeited": last["forfeited"],
        "queries": last["queries"],
        "batches": last["batches"],
        "queries_per_batch_max": last["per_batch_max"],
        "queries_fixed": last["fixed"],
        "queries_tenth": small["queries"],
        "batches_tenth": small["batches"],
        "queries_per_batch_max_tenth": small["per_batch_max"],
        "queries_fixed_tenth": small["fixed"],
        "rss_mb": spread([r["rss_mb"] for r in runs]),
        "rss_mb_tenth": round(small["rss_mb"], 1),
    }


# Payment file -------------------------------------------------------------------


def measure_pain(scale: dict) -> dict:
    from decimal import Decimal

    from schwifty import IBAN

    from payouts.pain001 import CreditTransfer, pain001_build

    count = scale["pain_payouts"]
    log(f"pain.001 for {count:,} payouts, validated")
    transfers = [
        CreditTransfer(
            end_to_end_id=f"CB-BENCH-{i:08d}",
            name=f"Reseller {i} AB",
            account_number=str(
                IBAN.generate("DE", bank_code="37040044", account_code=str(1000 + i))
            ),
            is_iban=True,
            bic="COBADEFFXXX",
            amount=Decimal("1234.50"),
            currency="EUR",
            remittance=f"Cash back claim BENCH-{i:08d}",
        )
        for i in range(count)
    ]
    times = []
    for run in range(scale["runs"]):
        started = time.perf_counter()
        xml = pain001_build(
            message_id=f"BENCH-{run}-{secrets.token_hex(4)}",
            currency="EUR",
            execution_date=datetime.now(UTC).date(),
            transfers=transfers,
        )
        times.append(time.perf_counter() - started)
    return {"payouts": count, "build_s": spread(times), "bytes": len(xml)}
