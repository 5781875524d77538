"""The cluster of tests/cluster/cluster.py (issue 32): two web nodes, a worker and
two beats over one database, S3 (moto) and SFTP (asyncssh) run as processes.

Slow by nature (the release step migrates a fresh database, the demo loads):
one cluster for the module, the tests in the order a deployment lives.
"""

import re
import signal
import time
import uuid

import psycopg
import pytest
import requests
from django.conf import settings

from tests.claims.test_pages import SMALL_PDF
from tests.cluster.cluster import Cluster, server_url_from_environment
from tests.services import RedisServer

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

DEMO_ADMIN = "anna@nordlicens.se"
DEMO_PASSWORD = "cashback-demo-2026"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    if not RedisServer.available():
        pytest.skip("needs redis-server")
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        pytest.skip("needs PostgreSQL")
    running = Cluster(
        server_url=server_url_from_environment(),
        database=f"cluster_{uuid.uuid4().hex[:10]}",
        workdir=tmp_path_factory.mktemp("cluster"),
    )
    try:
        running.start()
        yield running
    finally:
        running.stop()
        running.drop_database()


def sign_in(base_url: str) -> requests.Session:
    session = requests.Session()
    session.headers["Accept-Language"] = "en"
    page = session.get(f"{base_url}/accounts/login/", timeout=30)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert token, page.text[:500]
    response = session.post(
        f"{base_url}/accounts/login/",
        data={
            "login": DEMO_ADMIN,
            "password": DEMO_PASSWORD,
            "csrfmiddlewaretoken": token.group(1),
        },
        allow_redirects=False,
        timeout=30,
    )
    assert response.status_code == 302, response.text[:1000]
    return session


def on(session: requests.Session, base_url: str) -> requests.Session:
    """The same browser (cookies) talking to another node."""
    other = requests.Session()
    other.headers.update(session.headers)
    other.cookies.update(session.cookies)
    return other


def test_a_sign_in_on_node_a_continues_on_node_b(cluster):
    session = sign_in(cluster.url("a"))
    page = on(session, cluster.url("b")).get(
        f"{cluster.url('b')}/dashboard/", allow_redirects=False, timeout=30
    )
    assert page.status_code == 200
    assert "Nordlicens" in page.text


def test_an_invoice_uploaded_on_node_a_is_read_on_node_b_from_s3(cluster):
    with psycopg.connect(cluster.database_url) as db:
        reference = db.execute(
            "SELECT c.reference FROM claims_claim c "
            "JOIN resellers_user u ON u.reseller_id = c.reseller_id "
            "WHERE u.email = %s AND c.status = 'info_requested' LIMIT 1",
            [DEMO_ADMIN],
        ).fetchone()[0]
    session = sign_in(cluster.url("a"))
    claim_page = session.get(f"{cluster.url('a')}/claims/{reference}/", timeout=30)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', claim_page.text)
    uploaded = session.post(
        f"{cluster.url('a')}/claims/{reference}/invoice/",
        data={"csrfmiddlewaretoken": token.group(1)},
        files={"file": ("invoice.pdf", SMALL_PDF, "application/pdf")},
        allow_redirects=False,
        timeout=60,
    )
    assert uploaded.status_code == 302, uploaded.text[:1000]
    stored = cluster.s3().list_objects_v2(Bucket="cashback-cluster", Prefix="private/")
    assert stored.get("KeyCount", 0) >= 1
    with psycopg.connect(cluster.database_url) as db:
        invoice_id = db.execute(
            "SELECT max(id) FROM claims_invoicedocument"
        ).fetchone()[0]
    download = on(session, cluster.url("b")).get(
        f"{cluster.url('b')}/claims/{reference}/invoices/{invoice_id}/", timeout=30
    )
    assert download.status_code == 200
    assert download.content == SMALL_PDF


def test_the_periodic_jobs_run_on_the_cluster(cluster):
    """With two beats, the lease holder sends the schedules to the worker: job
    runs appear, none twice for one tick."""
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        with psycopg.connect(cluster.database_url) as db:
            runs = db.execute("SELECT count(*) FROM cashback_jobrun").fetchone()[0]
        if runs:
            break
        time.sleep(2)
    assert runs, cluster.log("worker")
    with psycopg.connect(cluster.database_url) as db:
        doubled = db.execute(
            "SELECT count(*) FROM cashback_jobrun a JOIN cashback_jobrun b "
            "ON a.periodic_task_name = b.periodic_task_name AND a.id < b.id "
            "AND abs(extract(epoch FROM b.started_at - a.started_at)) < 2"
        ).fetchone()[0]
    assert doubled == 0, "two beats sent one tick twice"


def test_log_ins_work_with_the_clusters_redis_stopped(cluster):
    cluster.redis.stop()
    try:
        session = sign_in(cluster.url("b"))
        page = session.get(f"{cluster.url('b')}/dashboard/", timeout=30)
        assert page.status_code == 200
        ready = requests.get(f"{cluster.url('b')}/readyz", timeout=30)
        assert ready.status_code == 200
        assert ready.json()["status"] == "degraded"
    finally:
        cluster.redis.start()


def test_readyz_answers_503_while_node_a_drains(cluster):
    assert requests.get(f"{cluster.url('a')}/readyz", timeout=30).status_code == 200
    cluster.signal("node-a", signal.SIGTERM)
    time.sleep(0.5)
    draining = requests.get(f"{cluster.url('a')}/readyz", timeout=30)
    assert draining.status_code == 503
    assert draining.json()["status"] == "draining"
    assert requests.get(f"{cluster.url('b')}/readyz", timeout=30).status_code == 200
