"""The benchmark's report says which targets are met and which are missed
(issue 9: "where a target is missed, the table says so")."""

import copy
import json
from pathlib import Path

from bench.__main__ import markdown

RUN = json.loads(
    (Path(__file__).resolve().parents[2] / "bench/results/full.json").read_text()
)


def row(table: str, starts: str) -> str:
    return next(line for line in table.splitlines() if line.startswith(starts))


def test_the_recorded_run_reads_as_the_docs_say():
    table = markdown(RUN)
    assert row(table, "| claim page").endswith("| met |")
    assert "**missed** (>= 30 %)" in row(table, "| psql \\copy")
    assert "met (< 30 s)" in row(table, "| reminder sweep")


def test_a_page_under_half_the_floor_is_missed():
    run = copy.deepcopy(RUN)
    run["pages"]["claim page"]["of_floor"] = 0.49
    assert row(markdown(run), "| claim page").endswith("| **missed** |")


def test_a_slow_or_failing_page_is_missed_whatever_its_ratio():
    slow, failing = copy.deepcopy(RUN), copy.deepcopy(RUN)
    slow["pages"]["/offers/"]["p95_ms"]["median"] = 151
    failing["pages"]["/offers/"]["errors"] = 1
    for run in (slow, failing):
        assert row(markdown(run), "| /offers/").endswith("| **missed** |")


def test_a_query_count_that_grows_is_missed():
    run = copy.deepcopy(RUN)
    run["queries"]["claims"].update({"10000": 5, "same": False})
    assert row(markdown(run), "| claims |").endswith("| **missed** |")


def test_a_sweep_batch_that_grows_with_the_data_is_missed():
    run = copy.deepcopy(RUN)
    run["sweep"]["queries_per_batch_max"] += 1
    assert "**missed** (bounded" in row(markdown(run), "| sweep queries per batch")
