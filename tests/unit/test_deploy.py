"""The Compose file and Kubernetes manifests are validated here (no Docker engine runs on CI)."""

import re
from pathlib import Path

import msgspec
import yaml

from contracts import subjects
from lifeboat.supervisor import UpSettings

ROOT = Path(__file__).parents[2]
KNOWN = {f"LIFEBOAT_{f.name.upper()}" for f in msgspec.structs.fields(UpSettings)}


def test_compose_runs_every_service_after_provisioning_with_known_settings():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    for name in subjects.SERVICES:
        assert services[name]["command"] == ["run", name]
        assert services[name]["depends_on"]["provision"]["condition"] == "service_completed_successfully"
    assert services["provision"]["command"] == ["provision"]
    used = set(re.findall(r"\b(LIFEBOAT_[A-Z_]+)\s*:", (ROOT / "docker-compose.yml").read_text()))
    assert used - {"LIFEBOAT_DB_PASSWORD"} <= KNOWN, used - KNOWN


def test_kubernetes_has_a_deployment_per_service_and_a_provision_job():
    documents = list(yaml.safe_load_all((ROOT / "deploy/k8s/lifeboat.yaml").read_text()))
    deployments = {d["metadata"]["name"]: d for d in documents if d["kind"] == "Deployment"}
    assert set(deployments) == {f"lifeboat-{name}" for name in subjects.SERVICES}
    for name in subjects.SERVICES:
        [container] = deployments[f"lifeboat-{name}"]["spec"]["template"]["spec"]["containers"]
        assert container["args"] == ["run", name]
    assert any(d["kind"] == "Job" and d["metadata"]["name"] == "lifeboat-provision" for d in documents)
    config = next(d for d in documents if d["kind"] == "ConfigMap")["data"]
    assert set(config) <= KNOWN


def test_the_readme_documents_every_setting():
    readme = (ROOT / "README.md").read_text()
    missing = sorted(name for name in KNOWN if f"`{name}`" not in readme)
    assert not missing, f"settings missing from the README table: {missing}"
