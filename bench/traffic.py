"""Traffic as it arrives (issue 20): many companies each seen for the first
time, the deadline-day burst through the real form, and slow clients.

Used by bench/measurements.py; the data is cloned from the demo rows with SQL and
bulk inserts, never factories.
"""

import contextlib
import re
import socket
import statistics
import threading
import time
from http.client import HTTPConnection
from pathlib import Path
from urllib.parse import urlencode

from .stats import percentile

BENCH_EMAIL = "bench{n}@bench.example"


def sql(statement: str, params=None):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.fetchall() if cursor.description else None


# Companies with their own users and sessions ---------------------------------------

_company_sequence = [0]


def companies_create(count: int, claims: bool = True) -> list[dict]:
    """`count` companies like the demo's Nordlicens AB, each with one verified
    user, a signed-in session and (with `claims`) 5-50 claims of its own."""
    from allauth.account.models import EmailAddress
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session
    from django.utils import timezone

    from resellers.models import ProgramMembership, Reseller, User

    start = _company_sequence[0]
    _company_sequence[0] += count
    demo_user = User.objects.get(email="anna@nordlicens.se")
    demo = Reseller.objects.get(pk=demo_user.reseller_id)
    resellers = Reseller.objects.bulk_create(
        Reseller(
            legal_name=f"Bench {n} AB",
            normalized_name=f"bench {n}",
            country=demo.country,
            org_number=f"BENCH{n:08d}",
            preferred_language=demo.preferred_language,
            status=Reseller.Status.ACTIVE,
        )
        for n in range(start, start + count)
    )
    users = User.objects.bulk_create(
        User(
            email=BENCH_EMAIL.format(n=n),
            reseller=reseller,
            password=demo_user.password,
            preferred_language=demo_user.preferred_language,
            # The company's only user is its admin, as a first user is: it
            # sees all of it, and its payouts are reminded (issue 27: a
            # company with no admin is not).
            is_company_admin=True,
            member_approved_at=timezone.now(),
        )
        for n, reseller in zip(range(start, start + count), resellers, strict=True)
    )
    EmailAddress.objects.bulk_create(
        EmailAddress(user=user, email=user.email, verified=True, primary=True)
        for user in users
    )
    memberships = list(demo.memberships.all())
    ProgramMembership.objects.bulk_create(
        ProgramMembership(
            reseller=reseller,
            program=m.program,
            start_date=m.start_date,
            end_date=m.end_date,
        )
        for reseller in resellers
        for m in memberships
    )
    if claims:
        claims_for(resellers)
    expire = timezone.now() + timezone.timedelta(days=1)
    backend = settings.AUTHENTICATION_BACKENDS[0]
    store = SessionStore()
    sessions = []
    companies = []
    for user in users:
        key = f"bench{user.pk:012d}{time.time_ns() % 10**9:09d}"
        sessions.append(
            Session(
                session_key=key,
                expire_date=expire,
                session_data=store.encode(
                    {
                        SESSION_KEY: str(user.pk),
                        BACKEND_SESSION_KEY: backend,
                        HASH_SESSION_KEY: user.get_session_auth_hash(),
                    }
                ),
            )
        )
        companies.append(
            {
                "user_id": user.pk,
                "reseller_id": user.reseller_id,
                "cookie": f"{settings.SESSION_COOKIE_NAME}={key}",
            }
        )
    Session.objects.bulk_create(sessions)
    if claims:
        first = dict(
            sql(
                "SELECT DISTINCT ON (reseller_id) reseller_id, reference"
                " FROM claims_claim WHERE reseller_id = ANY(%s)"
                " ORDER BY reseller_id, created_at",
                [[r.pk for r in resellers]],
            )
        )
        for company in companies:
            company["claim"] = first[company["reseller_id"]]
    return companies


def claims_for(resellers) -> None:
    """5-50 claims per company, cloned from a demo claim by SQL."""
    ids = [r.pk for r in resellers]
    counts = [5 + (i * 7) % 46 for i in range(len(ids))]
    sql(
        """
        INSERT INTO claims_claim (
            reference, claim_mode, terms_accepted_at, terms_accepted_ip, status,
            validation_outcome, validation_report, validated_at, reward_amount,
            reward_currency, decision_reason_code, decision_reason, decided_at,
            disputed_at, created_at, updated_at, offer_id, reseller_id,
            reviewer_id, submitted_by_id, terms_id)
        SELECT 'BENCHC-' || r.id || '-' || g, 'one_per_sale',
            t.terms_accepted_at, t.terms_accepted_ip,
            (ARRAY['submitted', 'in_review', 'approved', 'rejected',
                   'info_requested'])[1 + g %% 5],
            t.validation_outcome, t.validation_report, t.validated_at,
            t.reward_amount, t.reward_currency, '', '', NULL, NULL,
            now() - g * interval '1 hour', now(), t.offer_id, r.id,
            NULL, t.submitted_by_id, t.terms_id
        FROM claims_claim t,
            unnest(%(ids)s::bigint[], %(counts)s::int[]) AS r(id, n),
            generate_series(1, r.n) g
        WHERE t.id = (SELECT min(id) FROM claims_claim)
        """,
        {"ids": ids, "counts": counts},
    )
    sql("ANALYZE claims_claim")


# Many companies, each seen for the first time ---------------------------------------


def users_file(work: Path, name: str, companies: list[dict], page) -> Path:
    path = work / f"users-{name.strip('/').replace('/', '-') or 'page'}.tsv"
    path.write_text(
        "".join(f"{c['cookie']}\t{page(c)}\n" for c in companies), encoding="utf-8"
    )
    return path


# The deadline-day burst ---------------------------------------------------------------

CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
TERMS_INPUT = re.compile(r'name="terms_version" value="(\d+)"')


def burst_offer():
    """A published one-claim-per-company offer that the bench companies (clones
    of the demo's Nordlicens AB) may claim."""
    from offers.eligibility import offer_eligibility
    from offers.models import Offer
    from resellers.models import Reseller

    probe = Reseller.objects.filter(legal_name__startswith="Bench ").first()
    memberships = list(probe.memberships.all())
    for offer in Offer.objects.filter(
        status=Offer.Status.PUBLISHED, claim_mode=Offer.ClaimMode.ONE_PER_RESELLER
    ).order_by("pk"):
        if offer.current_terms() is None:
            continue
        eligibility = offer_eligibility(
            offer=offer,
            reseller=probe,
            memberships=memberships,
            existing_claim_reference=None,
        )
        if not eligibility.failures:
            return offer
    raise SystemExit("no published one-claim offer the bench companies may claim")


class LockSampler(threading.Thread):
    """Samples pg_stat_activity every 50 ms: active connections of the
    benchmark's database and how many of them wait on a lock."""

    def __init__(self, dsn: str) -> None:
        super().__init__(daemon=True)
        self.dsn = dsn
        self.samples: list[tuple[int, int]] = []
        self.stopping = threading.Event()

    def run(self) -> None:
        import psycopg

        with psycopg.connect(self.dsn, autocommit=True) as conn:
            while not self.stopping.is_set():
                row = conn.execute(
                    "SELECT count(*) FILTER (WHERE state = 'active'),"
                    " count(*) FILTER (WHERE wait_event_type = 'Lock')"
                    " FROM pg_stat_activity WHERE datname = current_database()"
                    " AND pid <> pg_backend_pid()"
                ).fetchone()
                self.samples.append(row)
                time.sleep(0.05)

    def summary(self) -> dict:
        self.stopping.set()
        self.join()
        active = [a for a, _ in self.samples] or [0]
        waiting = [w for _, w in self.samples] or [0]
        return {
            "samples": len(self.samples),
            "active_mean": round(statistics.mean(active), 2),
            "lock_waits_mean": round(statistics.mean(waiting), 2),
            "lock_waits_max": max(waiting),
        }


def file_through_form(port: int, company: dict, slug: str, number: str) -> tuple:
    """GET the claim form, POST it; returns (POST seconds, error or None)."""
    from django.conf import settings

    connection = HTTPConnection("127.0.0.1", port, timeout=30)
    form_path = f"/offers/{slug}/claim/"
    headers = {"Cookie": company["cookie"], "X-Forwarded-Proto": "https"}
    try:
        connection.request("GET", form_path, headers=headers)
        response = connection.getresponse()
        page = response.read().decode()
        if response.status != 200:
            return 0.0, f"form answered {response.status}"
        csrf_cookie = None
        for name, value in response.getheaders():
            if name.lower() == "set-cookie" and value.startswith(
                settings.CSRF_COOKIE_NAME + "="
            ):
                csrf_cookie = value.split(";", 1)[0]
        token = CSRF_INPUT.search(page)
        terms = TERMS_INPUT.search(page)
        if not (csrf_cookie and token and terms):
            return 0.0, "form without its CSRF token or terms version"
        body = urlencode(
            {
                "csrfmiddlewaretoken": token[1],
                "agreement_numbers": number,
                "accepted_terms": "on",
                "terms_version": terms[1],
            }
        )
        origin = f"https://127.0.0.1:{port}"
        started = time.perf_counter()
        connection.request(
            "POST",
            form_path,
            body=body,
            headers={
                "Cookie": f"{company['cookie']}; {csrf_cookie}",
                "X-Forwarded-Proto": "https",
                "Content-Type": "application/x-www-form-urlencoded",
                "Origin": origin,
                "Referer": origin + form_path,
            },
        )
        response = connection.getresponse()
        response.read()
        seconds = time.perf_counter() - started
        if response.status != 302:
            return seconds, f"POST answered {response.status}"
        return seconds, None
    except OSError as error:
        return 0.0, f"{error.__class__.__name__}: {error}"
    finally:
        connection.close()


def burst(
    port: int, companies: list[dict], offer, clients: int, dsn: str, server_pid: int
) -> dict:
    """Each company files one claim through the form, `clients` at a time."""
    queue = iter(enumerate(companies))
    lock = threading.Lock()
    posts: list[float] = []
    errors: list[str] = []

    def client() -> None:
        while True:
            with lock:
                item = next(queue, None)
            if item is None:
                return
            n, company = item
            seconds, error = file_through_form(
                port, company, offer.slug, f"9{company['reseller_id']:09d}{n % 10}"
            )
            with lock:
                if error:
                    errors.append(error)
                else:
                    posts.append(seconds)

    warm(port, companies[0]["cookie"], [f"/offers/{offer.slug}/claim/", "/claims/"])
    sampler = LockSampler(dsn)
    sampler.start()
    meter = CpuMeter(server_pid)
    meter.start()
    began = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    cpu = meter.stop()
    locks = sampler.summary()
    filed = max(len(posts), 1)
    return {
        "cpu_ms_per_filing": {
            "gunicorn": round(cpu["gunicorn_cpu_s"] * 1000 / filed, 2),
            "postgres": round(cpu["postgres_cpu_s"] * 1000 / filed, 2),
        },
        "companies": len(companies),
        "filed": len(posts),
        "seconds": elapsed,
        "claims_per_s": len(posts) / elapsed,
        "post_p95_ms": percentile(posts, 0.95) * 1000 if posts else 0.0,
        "errors": len(errors),
        "error_examples": sorted(set(errors))[:3],
        "locks": locks,
        "checks": burst_checks(offer, companies),
    }


def burst_checks(offer, companies: list[dict]) -> dict:
    """What must hold in the database after the burst."""
    ids = [c["reseller_id"] for c in companies]
    [(one_each, several)] = sql(
        "SELECT count(*) FILTER (WHERE n = 1), count(*) FILTER (WHERE n > 1) FROM"
        " (SELECT reseller_id, count(*) n FROM claims_claim WHERE offer_id = %s"
        " AND reseller_id = ANY(%s) GROUP BY reseller_id) per_company",
        [offer.pk, ids],
    )
    [(numbers_twice,)] = sql(
        "SELECT count(*) FROM (SELECT agreement_number FROM claims_claimagreement"
        " WHERE offer_id = %s AND is_active GROUP BY agreement_number"
        " HAVING count(*) > 1) twice",
        [offer.pk],
    )
    [(claims, one_event, right_mails)] = sql(
        """
        SELECT count(*),
            count(*) FILTER (WHERE (SELECT count(*) FROM claims_claimevent e
                WHERE e.claim_id = c.id AND e.kind = 'filed') = 1),
            count(*) FILTER (WHERE (SELECT count(*) FROM cashback_outboxmessage m
                JOIN claims_claimevent e ON m.dedup_key LIKE
                    'claim-event:' || e.id || ':%%'
                WHERE e.claim_id = c.id AND e.kind = 'filed'
                    AND m.subject LIKE '%%' || c.reference || '%%'
                    AND m.recipients::text LIKE '%%@bench.example%%') = 1)
        FROM claims_claim c WHERE c.offer_id = %s AND c.reseller_id = ANY(%s)
        """,
        [offer.pk, ids],
    )
    return {
        "companies_with_one_claim": one_each,
        "companies_with_more": several,
        "numbers_on_two_active_claims": numbers_twice,
        "claims": claims,
        "claims_with_one_filed_event": one_event,
        "claims_with_their_email": right_mails,
        "ok": one_each == len(ids)
        and not several
        and not numbers_twice
        and one_event == claims == right_mails,
    }


def tuples_read() -> int:
    """Rows PostgreSQL read for the benchmark's database so far (sequential
    and index fetches over the user tables), flushed first."""
    sql("SELECT pg_stat_force_next_flush()")
    sql("SELECT 1")
    sql("SELECT pg_stat_clear_snapshot()")
    [(value,)] = sql(
        "SELECT coalesce(sum(seq_tup_read + coalesce(idx_tup_fetch, 0)), 0)"
        " FROM pg_stat_user_tables"
    )
    return int(value)


def tuples_per_filing(offer, count: int) -> float:
    """Tuples read per claim_file call, `count` new companies filing in turn."""
    from claims.services import claim_file
    from resellers.models import Reseller, User

    companies = companies_create(count, claims=False)
    # The server's connections flush their statistics as they close: wait
    # until they have, or the burst's last reads count as these filings'.
    deadline = time.monotonic() + 10
    while (
        time.monotonic() < deadline
        and sql(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND pid <> pg_backend_pid()"
        )[0][0]
    ):
        time.sleep(0.2)
    resellers = Reseller.objects.in_bulk([c["reseller_id"] for c in companies])
    users = User.objects.in_bulk([c["user_id"] for c in companies])
    before = tuples_read()
    for n, company in enumerate(companies):
        claim_file(
            reseller=resellers[company["reseller_id"]],
            offer=offer,
            user=users[company["user_id"]],
            agreement_numbers=f"8{company['reseller_id']:09d}{n % 10}",
            accepted_terms=True,
            ip="127.0.0.1",
        )
    # The statistics of this process's last transaction are flushed by the
    # next one (pg_stat_force_next_flush); tuples_read's own reads are tiny.
    return (tuples_read() - before) / count


# Slow clients ------------------------------------------------------------------------


def slow_clients(port: int, idle: int, trickle: int, stop: threading.Event) -> None:
    """Open `idle` sockets that send nothing and `trickle` that send a header
    line's byte every half second, until `stop`."""
    sockets = []
    for _ in range(idle):
        sockets.append(socket.create_connection(("127.0.0.1", port)))
    trickling = []
    for _ in range(trickle):
        sock = socket.create_connection(("127.0.0.1", port))
        sock.sendall(b"GET /offers/ HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        trickling.append(sock)
    try:
        while not stop.wait(0.5):
            for sock in trickling:
                with contextlib.suppress(OSError):
                    sock.sendall(b"X")
    finally:
        for sock in sockets + trickling:
            sock.close()


def normal_client(port: int, cookie: str, path: str, seconds: float) -> dict:
    """One user loading `path` over and over, a new connection each time."""
    latencies, errors = [], 0
    stop = time.monotonic() + seconds
    while time.monotonic() < stop:
        connection = HTTPConnection("127.0.0.1", port, timeout=10)
        started = time.perf_counter()
        try:
            connection.request(
                "GET", path, headers={"Cookie": cookie, "X-Forwarded-Proto": "https"}
            )
            response = connection.getresponse()
            response.read()
            if response.status != 200:
                errors += 1
            else:
                latencies.append(time.perf_counter() - started)
        except OSError:
            errors += 1
        finally:
            connection.close()
    return {
        "requests": len(latencies),
        "p95_ms": percentile(latencies, 0.95) * 1000 if latencies else None,
        "errors": errors,
    }


def measure_slow(port: int, cookie: str, path: str, seconds: float) -> dict:
    """The normal client alone, then while 25 idle and 25 trickling sockets
    are open."""
    warm(port, cookie, [path])
    alone = normal_client(port, cookie, path, seconds / 2)
    stop = threading.Event()
    holder = threading.Thread(target=slow_clients, args=(port, 25, 25, stop))
    holder.start()
    time.sleep(1)
    try:
        loaded = normal_client(port, cookie, path, seconds)
    finally:
        stop.set()
        holder.join()
    return {"alone": alone, "with_slow_clients": loaded}


def warm(port: int, cookie: str, paths: list[str], clients: int = 10) -> None:
    """Load each path from `clients` connections a few times, so that every
    gunicorn worker has imported and compiled what it needs before a
    measurement (a worker's first requests take seconds)."""

    def client() -> None:
        for _ in range(4):
            for path in paths:
                connection = HTTPConnection("127.0.0.1", port, timeout=60)
                try:
                    connection.request(
                        "GET",
                        path,
                        headers={"Cookie": cookie, "X-Forwarded-Proto": "https"},
                    )
                    connection.getresponse().read()
                finally:
                    connection.close()

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


# Where the time goes ------------------------------------------------------------


def _cpu(pid: int) -> float:
    """User + system CPU seconds a process has used."""
    import os

    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _children(parent: int) -> list[int]:
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == parent:
                pids.append(int(stat.parent.name))
        except (OSError, ValueError, IndexError):
            continue
    return pids


class CpuMeter:
    """CPU seconds of the gunicorn workers and of the PostgreSQL backends
    connected to the benchmark's database, between `start` and `stop`."""

    def __init__(self, server_pid: int) -> None:
        self.server_pid = server_pid

    def _backends(self) -> list[int]:
        return [
            pid
            for (pid,) in sql(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
                " AND pid <> pg_backend_pid()"
            )
        ]

    def start(self) -> None:
        self.workers = {pid: _cpu(pid) for pid in _children(self.server_pid)}
        self.backends = {pid: _cpu(pid) for pid in self._backends()}

    def stop(self) -> dict:
        workers = sum(_cpu(pid) - cpu for pid, cpu in self.workers.items())
        # Pool connections opened during the run count from zero.
        backends = sum(
            _cpu(pid) - self.backends.get(pid, 0.0) for pid in self._backends()
        )
        return {"gunicorn_cpu_s": workers, "postgres_cpu_s": backends}
