"""`make run` takes PORT, and its links follow (issue 28)."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="no make")


def dry_run(*args: str) -> str:
    env = {k: v for k, v in os.environ.items() if k != "PORTAL_URL"}
    return subprocess.run(
        ["make", "-n", "run", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def test_make_run_serves_and_links_on_the_port_given():
    out = dry_run("PORT=8123")
    assert "runserver 127.0.0.1:8123" in out
    assert "e-mailed links to http://127.0.0.1:8123" in out


def test_make_run_keeps_port_8000_by_default():
    assert "runserver 127.0.0.1:8000" in dry_run()


def test_the_readme_quick_start_stays_two_commands_and_names_port():
    readme = (ROOT / "README.md").read_text()
    assert "make run    #" in readme and "make test   #" in readme
    assert "make run PORT=8001" in readme
    # What /admin/ tells staff without a second factor: the enrolment link.
    assert "enrolment link an administrator sends" in readme
