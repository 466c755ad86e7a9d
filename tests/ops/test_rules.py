"""The alert and recording rules and the dashboard, checked by Debian's promtool: the rules
parse, their unit tests pass, every alert has a unit test and a runbook, every dashboard query
is a recording rule promtool accepts, and every metric they read is one the running services
really export."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import httpx
import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from tests.support.processes import ROOT
from tests.support.system import System

PROMETHEUS = ROOT / "deploy" / "prometheus"
RULE_FILES = [PROMETHEUS / "recording.yml", PROMETHEUS / "alerts.yml"]
DASHBOARD = ROOT / "deploy" / "grafana" / "booking-journey.json"
OPERATIONS = ROOT / "docs" / "operations.md"
# Made by Prometheus itself, not by a service.
SCRAPE_METRICS = {"up"}

pytestmark = pytest.mark.skipif(
    shutil.which("promtool") is None, reason="promtool missing: `make promtool` installs it"
)


def promtool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["promtool", *args], capture_output=True, text=True, timeout=120, cwd=ROOT
    )


def rules(path: Path) -> list[dict]:  # type: ignore[type-arg]
    return [rule for group in yaml.safe_load(path.read_text())["groups"] for rule in group["rules"]]


def alerts() -> list[dict]:  # type: ignore[type-arg]
    return rules(PROMETHEUS / "alerts.yml")


def recorded() -> set[str]:
    return {rule["record"] for rule in rules(PROMETHEUS / "recording.yml")}


def panel_queries() -> list[tuple[str, str]]:
    dashboard = json.loads(DASHBOARD.read_text())
    return [
        (panel["title"], target["expr"])
        for panel in dashboard["panels"]
        for target in panel["targets"]
    ]


_FUNCTIONS_AND_KEYWORDS = {
    "sum", "max", "min", "avg", "count", "by", "without", "on", "ignoring", "group_left",
    "group_right", "and", "or", "unless", "rate", "irate", "increase", "delta", "deriv",
    "changes", "histogram_quantile", "bool", "offset",
}  # fmt: skip


def metric_names(expr: str) -> set[str]:
    """The metric names an expression reads (recording rules it uses excluded)."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"', "", expr)  # label values
    text = re.sub(r"\{[^}]*\}", " ", text)  # label matchers
    text = re.sub(r"\b(by|without|on|ignoring)\s*\([^)]*\)", " ", text)  # grouping labels
    text = re.sub(r"\[[^\]]*\]", " ", text)  # ranges
    names = set(re.findall(r"[A-Za-z_:][A-Za-z0-9_:]*", text))
    return {n for n in names if n not in _FUNCTIONS_AND_KEYWORDS and ":" not in n}


def test_rule_files_pass_promtool_check() -> None:
    done = promtool("check", "rules", *map(str, RULE_FILES))
    assert done.returncode == 0, done.stdout + done.stderr


def test_rule_unit_tests_pass() -> None:
    done = promtool("test", "rules", str(PROMETHEUS / "tests" / "alerts_test.yml"))
    assert done.returncode == 0, done.stdout + done.stderr


def test_scrape_config_passes_promtool_check() -> None:
    done = promtool("check", "config", str(PROMETHEUS / "prometheus.yml"))
    assert done.returncode == 0, done.stdout + done.stderr


def test_every_alert_has_a_unit_test_and_a_runbook_paragraph() -> None:
    tested = (PROMETHEUS / "tests" / "alerts_test.yml").read_text()
    headings = {
        line.lstrip("#").strip().lower()
        for line in OPERATIONS.read_text().splitlines()
        if line.startswith("### ")
    }
    for alert in alerts():
        name = alert["alert"]
        assert f"alertname: {name}\n" in tested, f"{name} has no promtool unit test"
        anchor = alert["annotations"]["runbook"].split("#", 1)[1]
        assert anchor in headings, f"{name}: no '### {anchor}' runbook in docs/operations.md"


def test_every_dashboard_query_is_a_recording_rule_promtool_accepts(tmp_path: Path) -> None:
    queries = panel_queries()
    assert len(queries) >= 10
    names = recorded()
    for title, expr in queries:
        assert expr.split("{", 1)[0] in names, f"panel {title!r}: {expr} is not a recording rule"
    # And each expression, as written in the dashboard, parses as PromQL.
    rules_file = tmp_path / "panels.yml"
    rules_file.write_text(
        yaml.safe_dump(
            {
                "groups": [
                    {
                        "name": "panels",
                        "rules": [
                            {"record": f"panel:query_{i}:check", "expr": expr}
                            for i, (_, expr) in enumerate(queries)
                        ],
                    }
                ]
            }
        )
    )
    done = promtool("check", "rules", str(rules_file))
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_metric_name_reader_finds_what_it_should() -> None:
    expr = (
        'sum by (le) (rate(http_request_duration_seconds_bucket{route="/a/{id}"}[5m])) '
        "/ on (job) max by (queue) (queue_messages_ready) + journey:x:y"
    )
    assert metric_names(expr) == {"http_request_duration_seconds_bucket", "queue_messages_ready"}


def _exported(pages: list[str]) -> set[str]:
    names = set()
    for page in pages:
        for family in text_string_to_metric_families(page):
            names.add(family.name)
            names.update(family.name + suffix for suffix in ("_total", "_bucket", "_count", "_sum"))
            names.update(sample.name for sample in family.samples)
    return names


@pytest.mark.asyncio(loop_scope="session")
async def test_every_metric_in_the_rules_is_exported_by_a_running_service(
    system: System,
) -> None:
    async with httpx.AsyncClient(timeout=10) as client:
        pages = [
            (await client.get(f"{process.url}/metrics")).text
            for process in system.services.values()
        ]
    exported = _exported(pages)
    used = {name for rule in rules(RULE_FILES[0]) + alerts() for name in metric_names(rule["expr"])}
    assert {"queue_messages_parked", "emails_total", "smtp_send_seconds_bucket"} <= used
    missing = sorted(used - exported - SCRAPE_METRICS)
    assert not missing, f"rules read metrics no service exports: {missing}"
