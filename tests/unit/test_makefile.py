"""`make bench-*` and `make test` install the system tools they run when a fresh machine lacks
them (checked on the recipe make would run: the benchmarks themselves are never run here)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# Commands outside the venv each target runs; PostgreSQL's (pgbench, psql) and RabbitMQ's come
# with `make servers`.
NEEDS = {
    "bench-hot-event": {"wrk": "wrk"},
    "bench-campaign": {},
    "bench-confirmation-latency": {},
    "bench-cluster": {},
    "bench-relay": {},
    "test": {"chromium": "chromium"},
}


def recipe(target: str) -> str:
    done = subprocess.run(
        ["make", "-n", "-W", "pyproject.toml", target],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return done.stdout


def test_every_bench_target_is_listed() -> None:
    targets = re.findall(r"^(bench-[\w-]+):", (ROOT / "Makefile").read_text(), re.M)
    assert set(targets) == {t for t in NEEDS if t.startswith("bench-")}


def test_the_hot_event_bench_finds_wrk_where_make_installs_it() -> None:
    source = (ROOT / "bench" / "hot_event" / "measure.py").read_text()
    assert 'shutil.which("wrk")' in source
    used = set(re.findall(r'shutil\.which\("([\w-]+)"\)', source))
    assert used <= set(NEEDS["bench-hot-event"])


@pytest.mark.parametrize("target", sorted(NEEDS))
def test_each_target_installs_what_it_runs_only_when_missing(target: str) -> None:
    text = recipe(target)
    for command, package in NEEDS[target].items():
        line = next((ln for ln in text.splitlines() if f"command -v {command} " in ln), None)
        assert line is not None, f"{target} does not install {command}"
        # Only when missing, after refreshing the package lists, without recommends.
        assert re.search(
            rf"command -v {command} >/dev/null 2>&1 \|\| \{{ apt-get update -qq && .*"
            rf"apt-get install -y -qq --no-install-recommends {package};",
            text.replace("\\\n", " "),
        ), text
