"""A load run's errors by kind (issue 33: "/offers/ returned 7 errors in one
run: find what they were (timeouts or 5xx) and report the kind")."""

import copy
import json
import shutil
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from bench.errors import (
    CONNECTION,
    TIMEOUT,
    errors_text,
    exception_kind,
    kinds_sum,
    status_kind,
    wrk_kinds,
)
from bench.load import load
from bench.report import markdown

RUN = json.loads(
    (Path(__file__).resolve().parents[2] / "bench/results/full.json").read_text()
)


def test_wrk_counts_become_kinds_with_each_status():
    errors = {"connect": 1, "read": 2, "write": 0, "status": 5, "timeout": 4}
    assert wrk_kinds(errors, {"502": 3, "500": 2}) == {
        CONNECTION: 3,
        "HTTP 500": 2,
        "HTTP 502": 3,
        TIMEOUT: 4,
    }


def test_a_clean_run_has_no_kinds():
    errors = {"connect": 0, "read": 0, "write": 0, "status": 0, "timeout": 0}
    assert wrk_kinds(errors, {}) == {}
    assert errors_text(0, {}) == "0"


def test_a_status_wrk_counted_but_the_script_missed_still_shows():
    errors = {"connect": 0, "read": 0, "write": 0, "status": 2, "timeout": 0}
    assert wrk_kinds(errors, {"503": 1}) == {"HTTP 503": 1, "HTTP >= 400": 1}


def test_the_python_client_names_timeouts_apart_from_connection_errors():
    assert exception_kind(TimeoutError("timed out")) == TIMEOUT
    assert exception_kind(ConnectionResetError()) == CONNECTION
    assert exception_kind(ConnectionRefusedError()) == CONNECTION
    assert status_kind(504) == "HTTP 504"


def test_the_runs_of_a_page_are_summed_by_kind():
    runs = [{TIMEOUT: 5}, {}, {TIMEOUT: 1, "HTTP 502": 2}]
    assert kinds_sum(runs) == {"HTTP 502": 2, TIMEOUT: 6}
    assert errors_text(8, kinds_sum(runs)) == "8 (2 HTTP 502, 6 timeout)"


def test_the_report_names_the_kinds_of_a_page_with_errors():
    run = copy.deepcopy(RUN)
    first = run["traffic"]["pages"]["/offers/"]["first"]
    first.update({"errors": 7, "error_kinds": {TIMEOUT: 5, "HTTP 502": 2}})
    run["pages"]["/offers/"].update({"errors": 3, "error_kinds": {CONNECTION: 3}})
    table = markdown(run)
    offers = [line for line in table.splitlines() if line.startswith("| /offers/")]
    assert "| 7 (5 timeout, 2 HTTP 502) | **missed**" in offers[0]
    assert "| 3 (3 connection error) | **missed** |" in offers[1]


class Flaky(BaseHTTPRequestHandler):
    """Every third request answers 502, every other one 200."""

    count = 0
    lock = threading.Lock()

    def do_GET(self):
        with Flaky.lock:
            Flaky.count += 1
            bad = Flaky.count % 3 == 0
        body = b"no" if bad else b"ok"
        self.send_response(502 if bad else 200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.mark.skipif(not shutil.which("wrk"), reason="the wrk scripts need wrk")
def test_a_real_wrk_run_reports_each_status_it_got():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Flaky)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        result = load(f"http://127.0.0.1:{server.server_port}/", 1)
    finally:
        server.shutdown()
        server.server_close()
    assert result["errors"] > 0
    assert result["error_kinds"] == {"HTTP 502": result["errors"]}
