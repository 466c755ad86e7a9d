"""The Kubernetes manifests and the broker topology definition, checked against schemas and
against the code, since no cluster runs here."""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from services.bookings.settings import BookingsSettings
from services.catalogue.settings import CatalogueSettings
from services.console.settings import ConsoleSettings
from services.notifications.settings import NotificationsSettings
from shared.messaging.declare import definitions
from shared.settings import ServiceSettings

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
K8S_VERSION = "1.30.0"
SETTINGS = {
    "catalogue": CatalogueSettings,
    "bookings": BookingsSettings,
    "notifications": NotificationsSettings,
    "console": ConsoleSettings,
}


def documents() -> list[dict[str, Any]]:
    found = []
    for path in sorted(K8S.glob("*.yaml")):
        found += [doc for doc in yaml.safe_load_all(path.read_text()) if doc]
    return found


def test_every_manifest_is_valid_against_the_kubernetes_schema() -> None:
    docs = documents()
    assert len(docs) >= 12
    for doc in docs:
        kubernetes_validate.validate(doc, K8S_VERSION, strict=True)


def test_the_validator_would_catch_a_mistake() -> None:
    broken = next(d for d in documents() if d["kind"] == "Deployment")
    broken = json.loads(json.dumps(broken))
    broken["spec"]["replicas"] = "three"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, K8S_VERSION, strict=True)


def test_each_service_has_probes_resources_and_known_settings() -> None:
    deployments = {d["metadata"]["name"]: d for d in documents() if d["kind"] == "Deployment"}
    procfile = {
        line.split(":", 1)[0]: shlex.split(line.split(":", 1)[1])
        for line in (ROOT / "Procfile").read_text().splitlines()
        if line.strip()
    }
    config = next(d for d in documents() if d["kind"] == "ConfigMap")["data"]
    for name, cls in SETTINGS.items():
        pod = deployments[name]["spec"]["template"]["spec"]
        [container] = pod["containers"]
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
        assert container["resources"]["requests"]["cpu"]
        assert container["command"][:3] == procfile[name][:3]
        for variable in [e["name"] for e in container["env"]] + list(config):
            assert variable.lower() in cls.model_fields, f"{name}: {variable} is not a setting"
        assert pod["terminationGracePeriodSeconds"] > ServiceSettings().shutdown_grace


def test_broker_definitions_match_the_code() -> None:
    committed = json.loads((ROOT / "deploy" / "rabbitmq" / "definitions.json").read_text())
    assert committed == definitions(ServiceSettings()), (
        "regenerate: python -m shared.messaging.declare --definitions"
        " > deploy/rabbitmq/definitions.json"
    )
    main_queues = [q for q in committed["queues"] if q["arguments"].get("x-delivery-limit")]
    assert main_queues and all(q["arguments"]["x-queue-type"] == "quorum" for q in main_queues)
