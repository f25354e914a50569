"""OPS-1 (#15): with ``PROMETHEUS_MULTIPROC_DIR``, counts add up across gunicorn workers and
the Celery processes sharing the directory: whichever worker answers /metrics, the total is
every process's. Real gunicorn (``deploy/gunicorn.conf.py``, two workers), PostgreSQL, Redis."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from prometheus_client.mmap_dict import MmapedDict
from prometheus_client.parser import text_string_to_metric_families

from tests.live import ROOT, burst, gunicorn, server_env

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]
HEALTHZ = {"view": "healthz", "method": "GET", "status": "200"}


def served(text: str, name: str, **labels: str) -> float:
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and sample.labels == labels:
                return float(sample.value)
    return 0.0


def per_process(directory: Path, name: str, **labels: str) -> dict[str, float]:
    """What each process wrote in its own file (``counter_<pid>.db``)."""
    counts: dict[str, float] = {}
    for path in directory.glob("counter_*.db"):
        for key, value, _timestamp, _pos in MmapedDict.read_all_values_from_file(str(path)):
            _metric, sample, sample_labels, _help = json.loads(key)
            if sample == name and sample_labels == labels and value:
                counts[path.stem] = counts.get(path.stem, 0.0) + value
    return counts


def test_counts_add_up_across_two_gunicorn_workers_and_a_celery_process(tmp_path):
    directory = tmp_path / "prometheus"
    directory.mkdir()
    env = {
        "PROMETHEUS_MULTIPROC_DIR": str(directory),
        "ARAGORA_METRICS_ALLOWED_IPS": "127.0.0.1",
        "ARAGORA_RATE_LIMIT_DEFAULT": "10000/m",
    }
    with gunicorn(workers=2, threads=4, config="deploy/gunicorn.conf.py", **env) as (base, _):
        before = requests.get(f"{base}/metrics", timeout=20).text
        # Parallel rounds on fresh connections until both workers have served some (the second
        # may still be booting when the first answers): at most 40 rounds.
        n = 0
        writers: dict[str, float] = {}
        for _ in range(40):
            statuses = burst(10, lambda _: requests.get(f"{base}/healthz", timeout=20))
            assert {r.status_code for r in statuses} == {200}
            n += 10
            writers = per_process(directory, "aragora_http_responses_total", **HEALTHZ)
            if len(writers) >= 2:
                break
        assert len(writers) >= 2, writers  # more than one process counted these requests

        # A Celery process sharing the directory (as a worker in the same pod does): its task
        # runs show in the web's /metrics too.
        task = (
            "import django; django.setup(); "
            "from audit.tasks import purge_audit_trail; purge_audit_trail.apply()"
        )
        run = subprocess.run(
            [sys.executable, "-c", task],
            cwd=ROOT,
            env=server_env(**env),
            capture_output=True,
            timeout=120,
        )
        assert run.returncode == 0, run.stderr.decode()[-2000:]

        scrapes = [requests.get(f"{base}/metrics", timeout=20).text for _ in range(6)]
    start = served(before, "aragora_http_responses_total", **HEALTHZ)
    for text in scrapes:  # whichever worker answered: the same total, exactly n more
        assert served(text, "aragora_http_responses_total", **HEALTHZ) == start + n
        tasks = served(
            text,
            "aragora_celery_tasks_total",
            task="audit.tasks.purge_audit_trail",
            outcome="success",
        )
        assert tasks == 1
