"""deploy/rabbitmq/cluster.yaml: a RabbitmqCluster (the operator's CRD, unknown to the
Kubernetes schema, so its required fields are checked here) of three replicas, and a
PodDisruptionBudget that is validated against the Kubernetes schema."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import kubernetes_validate
import yaml

ROOT = Path(__file__).resolve().parents[2]
K8S_VERSION = "1.30.0"


def documents() -> dict[str, dict[str, Any]]:
    text = (ROOT / "deploy" / "rabbitmq" / "cluster.yaml").read_text()
    return {doc["kind"]: doc for doc in yaml.safe_load_all(text) if doc}


def test_a_three_node_rabbitmq_cluster_for_the_operator() -> None:
    cluster = documents()["RabbitmqCluster"]
    assert cluster["apiVersion"] == "rabbitmq.com/v1beta1"
    assert cluster["metadata"]["name"] and cluster["metadata"]["namespace"] == "gm-programme"
    spec = cluster["spec"]
    assert spec["replicas"] == 3
    assert isinstance(spec["image"], str) and spec["image"].startswith("rabbitmq:")
    major, minor = (int(p) for p in spec["image"].split(":")[1].split("-")[0].split(".")[:2])
    assert (major, minor) >= (3, 10), "quorum queue TTL and at-least-once need 3.10"
    config = dict(
        line.split(" = ", 1)
        for line in spec["rabbitmq"]["additionalConfig"].splitlines()
        if " = " in line and not line.lstrip().startswith("#")
    )
    assert config["cluster_partition_handling"] == "pause_minority"
    assert config["quorum_queue.initial_cluster_size"] == "3"
    # Only keys the operator's schema knows at the top of spec.
    known = {
        "replicas",
        "image",
        "resources",
        "persistence",
        "rabbitmq",
        "affinity",
        "override",
        "service",
        "tls",
        "tolerations",
        "terminationGracePeriodSeconds",
        "secretBackend",
        "imagePullSecrets",
        "skipPostDeploySteps",
        "delayStartSeconds",
    }
    assert set(spec) <= known, set(spec) - known


def test_the_disruption_budget_is_valid_and_keeps_a_majority() -> None:
    budget = documents()["PodDisruptionBudget"]
    kubernetes_validate.validate(budget, K8S_VERSION, strict=True)
    assert budget["spec"]["maxUnavailable"] == 1
    labels = documents()["RabbitmqCluster"]["spec"]["affinity"]["podAntiAffinity"]
    selector = labels["requiredDuringSchedulingIgnoredDuringExecution"][0]["labelSelector"]
    assert budget["spec"]["selector"] == selector
