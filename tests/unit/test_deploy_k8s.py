"""The Kubernetes manifests and the broker topology definition, checked against schemas and
against the code, since no cluster runs here."""

from __future__ import annotations

import json
import os
import re
import secrets
import shlex
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import kubernetes_validate
import pytest
import yaml
from pydantic import SecretStr, ValidationError

from services.bookings.settings import BookingsSettings
from services.catalogue.settings import CatalogueSettings
from services.console.settings import ConsoleSettings
from services.notifications.settings import NotificationsSettings
from shared.messaging.declare import definitions
from shared.settings import ServiceSettings, is_loopback_url
from tests.support.staff_keys import PUBLIC_KEY

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


def example_secret() -> dict[str, str]:
    """The example Secret with every placeholder replaced by a random value, as a deployer
    would fill it in."""
    secret = next(d for d in documents() if d["kind"] == "Secret")
    return {
        key: re.sub(r"REPLACE-ME[\w-]*", lambda _: secrets.token_urlsafe(48), value)
        for key, value in secret["stringData"].items()
    }


def filled_config(data: dict[str, str]) -> dict[str, str]:
    """The ConfigMap as a deployer fills it in: its one placeholder is the console's public
    key (not a secret), here a real one."""
    filled = {**data, "STAFF_TOKEN_PUBLIC_KEY": PUBLIC_KEY}
    assert not [k for k, v in filled.items() if "REPLACE-ME" in v], "a placeholder is left"
    return filled


def environment_of(container: dict[str, Any]) -> dict[str, str]:
    """A container's environment as Kubernetes would build it from these manifests."""
    by_name = {
        (d["kind"], d["metadata"]["name"]): d for d in documents() if d["kind"] != "Namespace"
    }
    secret = example_secret()
    env: dict[str, str] = {}
    for source in container.get("envFrom", []):
        if "configMapRef" in source:
            env.update(
                filled_config(by_name[("ConfigMap", source["configMapRef"]["name"])]["data"])
            )
        if "secretRef" in source:
            assert source["secretRef"]["name"] == "gm-secrets"
            env.update(secret)
    for entry in container.get("env", []):
        if "value" in entry:
            env[entry["name"]] = entry["value"]
        else:
            ref = entry["valueFrom"]["secretKeyRef"]
            assert ref["name"] == "gm-secrets"
            assert ref["key"] in secret, f"{entry['name']}: {ref['key']} is not in the Secret"
            env[entry["name"]] = secret[ref["key"]]
    return env


def public_urls(settings: ServiceSettings) -> dict[str, str]:
    return {
        name: getattr(settings, name)
        for name in type(settings).model_fields
        if "public" in name and name.endswith("_url")
    }


@pytest.mark.parametrize("name", sorted(SETTINGS))
def test_each_deployment_starts_in_production_from_the_manifests(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    deployments = {d["metadata"]["name"]: d for d in documents() if d["kind"] == "Deployment"}
    [container] = deployments[name]["spec"]["template"]["spec"]["containers"]
    env = environment_of(container)
    for variable in list(os.environ):
        monkeypatch.delenv(variable)
    for variable, value in env.items():
        monkeypatch.setenv(variable, value)
    settings = SETTINGS[name]()  # raises if production refuses anything
    assert settings.environment == "production"
    # Every secret the service uses comes from the Secret, not from a default.
    unused = settings.secrets_unused_in_production()
    for field, info in type(settings).model_fields.items():
        if info.annotation is SecretStr and field not in unused:
            assert field.upper() in env, f"{name}: {field.upper()} is not wired"
    for field, url in public_urls(settings).items():
        host = urlsplit(url).hostname or ""
        assert url.startswith("https://") and not is_loopback_url(url), (name, field, url)
        assert host in ingress_hosts(), f"{name}: {field} {host} has no Ingress rule"
    assert settings.trusted_proxies and settings.metrics_port


def test_the_migration_job_starts_in_production_from_the_manifests(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    job = next(d for d in documents() if d["kind"] == "Job")
    [container] = job["spec"]["template"]["spec"]["containers"]
    env = environment_of(container)
    for variable, value in env.items():
        monkeypatch.setenv(variable, value)
    for name in SETTINGS:
        settings = ServiceSettings(
            service_name=name, database_url=env[f"{name.upper()}_DATABASE_URL"]
        )
        assert settings.environment == "production"


def test_the_example_secret_itself_is_refused() -> None:
    secret = next(d for d in documents() if d["kind"] == "Secret")["stringData"]
    with pytest.raises(ValidationError, match="INVITATION_SIGNING_KEY"):
        ServiceSettings(
            environment="production",
            staff_token_public_key=PUBLIC_KEY,
            invitation_signing_key=secret["INVITATION_SIGNING_KEY"],
        )
    # And so is the ConfigMap's placeholder for the staff token key.
    config = next(d for d in documents() if d["kind"] == "ConfigMap")["data"]
    with pytest.raises(ValidationError, match="STAFF_TOKEN_PUBLIC_KEY still holds a placeholder"):
        ServiceSettings(
            environment="production",
            staff_token_public_key=config["STAFF_TOKEN_PUBLIC_KEY"],
            invitation_signing_key=secrets.token_hex(32),
        )


def ingress_hosts() -> set[str]:
    hosts = set()
    for ingress in (d for d in documents() if d["kind"] == "Ingress"):
        hosts |= {rule["host"] for rule in ingress["spec"]["rules"]}
    return hosts


def test_the_ingress_serves_the_public_hosts_over_tls_and_never_metrics() -> None:
    ingresses = [d for d in documents() if d["kind"] == "Ingress"]
    assert ingresses
    services = {d["metadata"]["name"]: d for d in documents() if d["kind"] == "Service"}
    for ingress in ingresses:
        tls_hosts = {h for entry in ingress["spec"]["tls"] for h in entry["hosts"]}
        assert all(entry["secretName"] for entry in ingress["spec"]["tls"])
        for rule in ingress["spec"]["rules"]:
            assert rule["host"] in tls_hosts, f"{rule['host']} is served without TLS"
            for path in rule["http"]["paths"]:
                assert "metrics" not in path["path"]
                backend = path["backend"]["service"]
                port = backend["port"]
                # The port routed is the http one, never the one metrics listen on.
                [target] = [
                    p
                    for p in services[backend["name"]]["spec"]["ports"]
                    if p["name"] == port.get("name") or p["port"] == port.get("number")
                ]
                assert target["targetPort"] == "http", (rule["host"], target)
    config = next(d for d in documents() if d["kind"] == "ConfigMap")["data"]
    deployments = [d for d in documents() if d["kind"] == "Deployment"]
    for deployment in deployments:
        [container] = deployment["spec"]["template"]["spec"]["containers"]
        ports = {p["name"]: p["containerPort"] for p in container["ports"]}
        assert ports["metrics"] == int(config["METRICS_PORT"]) != ports["http"]
        annotations = deployment["spec"]["template"]["metadata"]["annotations"]
        assert annotations["prometheus.io/port"] == config["METRICS_PORT"]
    assert len(ingress_hosts()) >= len(SETTINGS)


def test_every_service_reads_the_client_from_trusted_proxies_only() -> None:
    commands = [
        container["command"]
        for d in documents()
        if d["kind"] == "Deployment"
        for container in d["spec"]["template"]["spec"]["containers"]
    ]
    procfile = [
        shlex.split(line.split(":", 1)[1])
        for line in (ROOT / "Procfile").read_text().splitlines()
        if "uvicorn" in line
    ]
    for command in commands + procfile:
        # shared/proxies.py is the one reader of X-Forwarded-For (TRUSTED_PROXIES); uvicorn's
        # own would trust 127.0.0.1 and rewrite the client before it.
        assert "--no-proxy-headers" in command, command
