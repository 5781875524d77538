"""A node told to stop drains first (issue 32): /readyz answers 503 while the
node still serves, then gunicorn stops."""

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from tests.conftest import ROOT
from tests.services import free_port


def get(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@pytest.fixture
def node(tmp_path):
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "cashback.wsgi:application"],
        cwd=ROOT,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "cashback.settings.test",
            "GUNICORN_BIND": f"127.0.0.1:{port}",
            "GUNICORN_WORKERS": "1",
            "GUNICORN_THREADS": "4",
            "GUNICORN_DRAIN_SECONDS": "5",
            "CASHBACK_DRAIN_FILE": str(tmp_path / "drain"),
        },
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"{url}/healthz", timeout=1)  # noqa: S310
            break
        except OSError:
            time.sleep(0.2)
    yield process, url
    if process.poll() is None:
        process.kill()
        process.wait()


@pytest.mark.postgres
def test_readyz_answers_503_during_a_drain_then_the_node_stops(node):
    process, url = node
    status, body = get(f"{url}/readyz")
    assert status == 200, body
    process.send_signal(signal.SIGTERM)
    time.sleep(0.5)
    status, body = get(f"{url}/readyz")
    assert status == 503
    assert body["status"] == "draining"
    # Still serving while the load balancer moves away.
    assert get(f"{url}/healthz")[0] == 200
    assert process.wait(timeout=60) == 0
