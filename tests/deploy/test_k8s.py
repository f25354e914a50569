"""OPS-4: the Kubernetes manifests in deploy/k8s hold the hardening they promise. ``make lint``
also validates them against the Kubernetes schemas (kubernetes-validate --strict) and scans them
with checkov; these tests check what neither knows: that they agree with each other, with the
image and with the README. They were never applied to a cluster (README "Operations")."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from aragora import devsecrets
from tests.deploy.dockerfile import ROOT, exec_form, stages

K8S = ROOT / "deploy" / "k8s"
SECRET_NAMES = {*devsecrets.GENERATORS, "DATABASE_URL", "REDIS_URL"}
Doc = dict[str, Any]


def _files() -> list[Path]:
    return sorted(p for p in K8S.glob("*.yaml") if p.name != "kustomization.yaml")


def _docs() -> list[Doc]:
    return [doc for path in _files() for doc in yaml.safe_load_all(path.read_text()) if doc]


def _one(kind: str, name: str | None = None) -> Doc:
    found = [d for d in _docs() if d["kind"] == kind and name in (None, d["metadata"]["name"])]
    assert len(found) == 1, (kind, name)
    return found[0]


def _pod(doc: Doc) -> Doc:
    if doc["kind"] == "CronJob":
        return doc["spec"]["jobTemplate"]["spec"]["template"]  # type: ignore[no-any-return]
    return doc["spec"]["template"]  # type: ignore[no-any-return]


WORKLOADS = [
    ("Deployment", "aragora-web"),
    ("Deployment", "aragora-worker"),
    ("Deployment", "aragora-beat"),
    ("Job", "aragora-migrate"),
    ("CronJob", "aragora-backup"),
]


def test_kustomization_lists_every_manifest():
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    assert sorted(kustomization["resources"]) == sorted(p.name for p in _files())
    pod_kinds = {"Deployment", "Job", "CronJob"}
    assert {(d["kind"], d["metadata"]["name"]) for d in _docs() if d["kind"] in pod_kinds} == set(
        WORKLOADS
    )


def test_namespace_enforces_the_restricted_pod_security_standard():
    labels = _one("Namespace")["metadata"]["labels"]
    assert labels["pod-security.kubernetes.io/enforce"] == "restricted"
    assert all(
        d["metadata"].get("namespace") == "aragora" for d in _docs() if d["kind"] != "Namespace"
    )


def test_no_secret_value_is_shipped():
    """Secrets reach the pods only from the Secret aragora-secrets, created by hand."""
    assert [d for d in _docs() if d["kind"] == "Secret"] == []
    config = _one("ConfigMap", "aragora-config")["data"]
    assert SECRET_NAMES.isdisjoint(config)
    for kind, name in WORKLOADS:
        for container in _pod(_one(kind, name))["spec"]["containers"]:
            inline = {e["name"] for e in container.get("env", []) if "value" in e}
            assert SECRET_NAMES.isdisjoint(inline), (name, inline)
            refs = container["envFrom"]
            assert {"configMapRef": {"name": "aragora-config"}} in refs
            assert {"secretRef": {"name": "aragora-secrets"}} in refs


@pytest.mark.parametrize(("kind", "name"), WORKLOADS)
def test_every_container_is_locked_down(kind, name):
    """Non-root (the image's own user), read-only root filesystem with an emptyDir at /tmp, no
    privilege escalation, no capability, seccomp RuntimeDefault, requests and limits, and no
    service account token."""
    user = stages()[-1].last("USER").value.split(":")[0]  # type: ignore[union-attr]
    pod = _pod(_one(kind, name))["spec"]
    assert pod["automountServiceAccountToken"] is False
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    volumes = {v["name"]: v for v in pod["volumes"]}
    for container in pod["containers"]:
        context = container["securityContext"]
        assert context["runAsNonRoot"] is True and str(context["runAsUser"]) == user
        assert context["readOnlyRootFilesystem"] is True
        assert context["allowPrivilegeEscalation"] is False
        assert context["capabilities"] == {"drop": ["ALL"]}
        assert context["seccompProfile"] == {"type": "RuntimeDefault"}
        for section in ("requests", "limits"):
            assert set(container["resources"][section]) == {"cpu", "memory"}
        mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
        assert "emptyDir" in volumes[mounts["/tmp"]]


def test_beat_runs_once_and_keeps_its_schedule_in_tmp():
    beat = _one("Deployment", "aragora-beat")
    assert beat["spec"]["replicas"] == 1
    assert beat["spec"]["strategy"] == {"type": "Recreate"}
    command = _pod(beat)["spec"]["containers"][0]["command"]
    assert "--schedule=/tmp/celerybeat-schedule" in command


def test_web_is_scraped_with_a_multiprocess_metrics_dir():
    web = _pod(_one("Deployment", "aragora-web"))
    annotations = web["metadata"]["annotations"]
    assert annotations["prometheus.io/scrape"] == "true"
    assert annotations["prometheus.io/path"] == "/metrics"
    container = web["spec"]["containers"][0]
    env = {e["name"]: e.get("value") for e in container["env"]}
    assert env["PROMETHEUS_MULTIPROC_DIR"] == "/tmp/prometheus"
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    volumes = {v["name"]: v for v in web["spec"]["volumes"]}
    assert "emptyDir" in volumes[mounts["/tmp/prometheus"]]


def test_probes_run_the_images_healthcheck():
    """Exec probes with the script the image's HEALTHCHECK runs (it sends an allowed Host)."""
    healthcheck = exec_form(stages()[-1].last("HEALTHCHECK").value)  # type: ignore[union-attr]
    assert healthcheck and (ROOT / healthcheck[1]).is_file()
    container = _pod(_one("Deployment", "aragora-web"))["spec"]["containers"][0]
    for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
        assert container[probe]["exec"]["command"][:2] == healthcheck[:2]
    assert container["readinessProbe"]["exec"]["command"][2] == "/readyz"


def test_ingress_speaks_tls_12_and_13_only_with_the_certificate_of_its_host():
    ingress = _one("Ingress")
    protocols = ingress["metadata"]["annotations"]["nginx.ingress.kubernetes.io/ssl-protocols"]
    assert protocols.split() == ["TLSv1.2", "TLSv1.3"]
    assert ingress["spec"]["ingressClassName"] == "nginx"
    certificate = _one("Certificate")
    [tls] = ingress["spec"]["tls"]
    assert tls["secretName"] == certificate["spec"]["secretName"]
    hosts = _one("ConfigMap", "aragora-config")["data"]["ARAGORA_ALLOWED_HOSTS"].split(",")
    assert tls["hosts"] == certificate["spec"]["dnsNames"] == hosts
    assert [rule["host"] for rule in ingress["spec"]["rules"]] == hosts


def _labels_match(selector: Doc, labels: dict[str, str]) -> bool:
    return all(labels.get(k) == v for k, v in selector.get("matchLabels", {}).items())


def _allowed(labels: dict[str, str], direction: str) -> set[int]:
    """Ports the NetworkPolicies open for pods with these labels in one direction."""
    ports: set[int] = set()
    for policy in (d for d in _docs() if d["kind"] == "NetworkPolicy"):
        spec = policy["spec"]
        if direction in spec["policyTypes"] and _labels_match(spec["podSelector"], labels):
            for rule in spec.get(direction.lower(), []):
                ports |= {p["port"] for p in rule["ports"]}
    return ports


@pytest.mark.parametrize(
    ("name", "egress", "ingress"),
    [
        ("aragora-web", {53, 5432, 6379, 80, 443}, {8000}),
        ("aragora-worker", {53, 5432, 6379}, set()),
        ("aragora-beat", {53, 6379}, set()),
        ("aragora-migrate", {53, 5432, 6379}, set()),
        ("aragora-backup", {53, 5432, 6379}, set()),
    ],
)
def test_network_policies_deny_by_default_and_open_only_what_each_pod_needs(name, egress, ingress):
    deny = _one("NetworkPolicy", "default-deny")["spec"]
    assert deny["podSelector"] == {} and set(deny["policyTypes"]) == {"Ingress", "Egress"}
    kind = next(k for k, n in WORKLOADS if n == name)
    labels = _pod(_one(kind, name))["metadata"]["labels"]
    assert _allowed(labels, "Egress") == egress
    assert _allowed(labels, "Ingress") == ingress


def test_only_ingress_nginx_and_prometheus_reach_the_web_pods():
    rules = _one("NetworkPolicy", "web-ingress")["spec"]["ingress"]
    sources = {
        peer["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"]
        for rule in rules
        for peer in rule["from"]
    }
    assert sources == {"ingress-nginx", "monitoring"}


def test_backup_writes_into_its_own_volume():
    pod = _pod(_one("CronJob", "aragora-backup"))["spec"]
    container = pod["containers"][0]
    assert container["command"][-2:] == ["manage.py", "backup"]
    backup_dir = {e["name"]: e.get("value") for e in container["env"]}["ARAGORA_BACKUP_DIR"]
    mount = next(m for m in container["volumeMounts"] if m["mountPath"] == backup_dir)
    volume = next(v for v in pod["volumes"] if v["name"] == mount["name"])
    assert volume["persistentVolumeClaim"]["claimName"] == "aragora-backups"
    assert _one("CronJob", "aragora-backup")["spec"]["concurrencyPolicy"] == "Forbid"


def test_uploads_live_on_a_shared_volume_outside_the_app():
    upload_dir = _one("ConfigMap", "aragora-config")["data"]["ARAGORA_UPLOAD_DIR"]
    assert not upload_dir.startswith("/app")
    for name in ("aragora-web", "aragora-worker"):
        pod = _pod(_one("Deployment", name))["spec"]
        mount = next(
            m for m in pod["containers"][0]["volumeMounts"] if m["mountPath"] == upload_dir
        )
        volume = next(v for v in pod["volumes"] if v["name"] == mount["name"])
        assert volume["persistentVolumeClaim"]["claimName"] == "aragora-uploads"
    assert _one("PersistentVolumeClaim", "aragora-uploads")["spec"]["accessModes"] == [
        "ReadWriteMany"
    ]


def test_web_scales_and_keeps_one_pod_through_disruptions():
    web_labels = _pod(_one("Deployment", "aragora-web"))["metadata"]["labels"]
    hpa = _one("HorizontalPodAutoscaler")["spec"]
    assert hpa["scaleTargetRef"]["name"] == "aragora-web" and hpa["minReplicas"] >= 2
    pdb = _one("PodDisruptionBudget", "aragora-web")["spec"]
    assert _labels_match(pdb["selector"], web_labels) and pdb["minAvailable"] == 1


def test_every_checkov_skip_gives_a_reason():
    for doc in _docs():
        for key, value in doc["metadata"].get("annotations", {}).items():
            if key.startswith("checkov.io/skip"):
                assert re.fullmatch(r"CKV2?_K8S_\d+=.{20,}", value), (key, value)


def test_readme_creates_the_secret_with_every_secret_name():
    readme = (ROOT / "README.md").read_text()
    block = re.search(
        r"kubectl -n aragora create secret generic aragora-secrets.*?```", readme, re.S
    )
    assert block is not None
    missing = sorted(
        name for name in SECRET_NAMES if f"--from-literal={name}=" not in block.group(0)
    )
    assert missing == []


def test_prometheus_can_scrape_each_web_pod_and_only_the_pod_network_reads_metrics():
    """OPS-1: Prometheus scrapes ``podIP:8000/metrics`` (the scrape annotations), so the web pod
    answers its own IP as a host (from the downward API, defined before it is referenced), and
    ``ARAGORA_METRICS_ALLOWED_IPS`` admits the pod network where Prometheus runs."""
    web = _one("Deployment", "aragora-web")
    annotations = _pod(web)["metadata"]["annotations"]
    assert annotations["prometheus.io/path"] == "/metrics"
    env = _pod(web)["spec"]["containers"][0]["env"]
    names = [item["name"] for item in env]
    pod_ip = env[names.index("POD_IP")]
    assert pod_ip["valueFrom"]["fieldRef"]["fieldPath"] == "status.podIP"
    extra = env[names.index("ARAGORA_EXTRA_ALLOWED_HOSTS")]
    assert extra["value"] == "$(POD_IP)" and names.index("POD_IP") < names.index(extra["name"])
    config = _one("ConfigMap", "aragora-config")["data"]
    assert config["ARAGORA_METRICS_ALLOWED_IPS"] == config["ARAGORA_TRUSTED_PROXIES"]
