"""OPS-4: the image. These tests follow deploy/Dockerfile (tests/deploy/dockerfile.py parses it):
they build the context ``.dockerignore`` gives, run every build step that depends on the
settings with exactly the environment the Dockerfile gives it, then start the final stage's CMD
and HEALTHCHECK as the container would. There is no Docker daemon here: the image itself is
never built, and the base image's contents are not checked (README "Operations" > "Image")."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
import yaml

from aragora import devsecrets
from tests.deploy.dockerfile import (
    DOCKERFILE,
    ROOT,
    ImagePaths,
    Stage,
    copy_context,
    exec_form,
    stages,
)

SETTINGS_STEP = re.compile(r"\bmanage\.py\b")


def _final() -> Stage:
    return stages()[-1]


def _build_stage() -> Stage:
    final = _final()
    copy_from = [s.value for s in final.steps if s.instruction == "COPY" and "--from=" in s.value]
    app = next(value for value in copy_from if value.split()[-2:] == ["/app", "/app"])
    name = re.search(r"--from=(\S+)", app).group(1)  # type: ignore[union-attr]
    return next(stage for stage in stages() if stage.name == name)


def _snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    return {
        str(path.relative_to(folder)): (path.stat().st_size, path.stat().st_mtime_ns)
        for path in sorted(folder.rglob("*"))
    }


@pytest.fixture(scope="module")
def built_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, ImagePaths]]:
    """/app as the build stage leaves it: the context copied in, then every RUN step that runs
    manage.py, in the stage's WORKDIR, with the stage's environment and nothing else."""
    build = _build_stage()
    assert any(s.instruction == "COPY" and s.value.split() == [".", "."] for s in build.steps)
    assert build.workdir == "/app"
    app = tmp_path_factory.mktemp("image") / "app"
    app.mkdir()
    copy_context(app)
    paths = ImagePaths(app)
    steps = [step for step in build.runs() if SETTINGS_STEP.search(step.value)]
    assert steps, "the build stage runs no manage.py step"
    for step in steps:
        result = subprocess.run(
            ["sh", "-c", paths.map(step.value)],
            cwd=paths.map(step.workdir),
            env=paths.env(step.env),  # exactly the stage's environment: no secret, no .env
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        assert result.returncode == 0, f"RUN {step.value}\n{result.stdout}\n{result.stderr}"
    yield app, paths


def test_build_steps_need_no_secret():
    """No layer holds a secret: no ENV, ARG or RUN of any stage names one, and the build's
    collectstatic runs in build mode, which needs none (aragora.E040 keeps it to that)."""
    text = DOCKERFILE.read_text()
    named = sorted(name for name in devsecrets.GENERATORS if name in text)
    assert named == []
    collect = [s for s in _build_stage().runs() if "collectstatic" in s.value]
    assert collect and collect[0].env["ARAGORA_ENV"] == "build"


def test_collectstatic_at_build_writes_production_manifest(built_app):
    app, _ = built_app
    manifest = json.loads((app / "staticfiles" / "staticfiles.json").read_text())
    assert "admin/css/base.css" in manifest["paths"]
    assert not (app / "var").exists()  # build mode generated no development secrets file
    assert list((app / "staticfiles").rglob("*.gz"))  # compressed copies, as WhiteNoise serves


def test_build_mode_refuses_anything_but_collectstatic(built_app):
    """The same environment that collects the static files cannot serve or migrate."""
    app, paths = built_app
    build = _build_stage()
    env = paths.env(build.runs()[-1].env)
    for argv in (
        ["python", "manage.py", "migrate", "--noinput"],
        ["python", "-c", "import aragora.wsgi"],
    ):
        result = subprocess.run(
            argv, cwd=app, env=env, capture_output=True, text=True, timeout=120, check=False
        )
        assert result.returncode != 0, argv
        assert "aragora.E040" in result.stderr


def _pod_env(paths: ImagePaths, port: int, scratch: Path) -> dict[str, str]:
    """The final stage's environment plus what a pod adds: the ConfigMap of deploy/k8s, the
    secrets (throwaway values of valid form), and places outside /app for state."""
    final = _final()
    env = paths.env(final.env)
    config = yaml.safe_load((ROOT / "deploy" / "k8s" / "configmap.yaml").read_text())
    env.update({key: str(value) for key, value in config["data"].items()})
    env.update({name: make() for name, make in devsecrets.GENERATORS.items()})
    env.update(
        ARAGORA_BIND=f"127.0.0.1:{port}",
        ARAGORA_SQLITE_PATH=str(scratch / "db.sqlite3"),
        ARAGORA_UPLOAD_DIR=str(scratch / "uploads"),
        GUNICORN_WORKERS="1",
        # The test's requests stand where ingress-nginx stands (a trusted proxy).
        ARAGORA_TRUSTED_PROXIES="127.0.0.1",
        HOME=str(scratch / "home"),  # the image user's home does not exist
    )
    return env


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _healthcheck(argv: list[str], app: Path, env: dict[str, str]) -> int:
    return subprocess.run(argv, cwd=app, env=env, capture_output=True, timeout=30).returncode


def test_final_stage_serves_and_reports_health_without_writing_to_app(built_app, tmp_path):
    """The final stage's CMD serves, its HEALTHCHECK reports it, the static files collected at
    build time are served, and nothing is written into /app (the root filesystem is
    read-only in the pod)."""
    app, paths = built_app
    final = _final()
    cmd = exec_form(final.last("CMD").value)  # type: ignore[union-attr]
    check = exec_form(final.last("HEALTHCHECK").value)  # type: ignore[union-attr]
    assert cmd and check
    port = _free_port()
    env = _pod_env(paths, port, tmp_path)
    workdir = Path(paths.map(final.workdir))
    (tmp_path / "home").mkdir()
    # As in the cluster, the migrate Job (deploy/k8s/migrate-job.yaml) runs first.
    job = yaml.safe_load((ROOT / "deploy" / "k8s" / "migrate-job.yaml").read_text())
    migrate = job["spec"]["template"]["spec"]["containers"][0]["command"]
    result = subprocess.run(
        migrate, cwd=workdir, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    before = _snapshot(app)
    log = tmp_path / "server.log"
    server = subprocess.Popen(
        cmd, cwd=workdir, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT
    )
    try:
        for _ in range(120):  # up to a minute for gunicorn to start
            if _healthcheck(check, workdir, env) == 0 or server.poll() is not None:
                break
            time.sleep(0.5)
        assert server.poll() is None, log.read_text()
        assert _healthcheck(check, workdir, env) == 0
        manifest = json.loads((app / "staticfiles" / "staticfiles.json").read_text())
        hashed = manifest["paths"]["admin/css/base.css"]
        host = env["ARAGORA_ALLOWED_HOSTS"].split(",")[0]
        response = requests.get(
            f"http://127.0.0.1:{port}/static/{hashed}",
            headers={"Host": host, "X-Forwarded-Proto": "https"},
            timeout=10,
            allow_redirects=False,
        )
        assert response.status_code == 200
        assert response.content == (app / "staticfiles" / hashed).read_bytes()
        assert _snapshot(app) == before
        assert list((tmp_path / "home").iterdir()) == []
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert _healthcheck(check, workdir, env) != 0  # nothing serving: unhealthy


def test_image_is_pinned_multi_stage_and_runs_without_root_or_shell():
    all_stages = stages()
    assert len(all_stages) >= 2
    for stage in all_stages:
        if stage.image not in {s.name for s in all_stages}:
            assert re.fullmatch(r"[\w./-]+:[\w.-]+@sha256:[0-9a-f]{64}", stage.image)
    final = all_stages[-1]
    assert final.name is None or final.name not in {"build"}
    user = final.last("USER")
    assert user is not None and re.fullmatch(r"[1-9]\d*(:[1-9]\d*)?", user.value)
    assert exec_form(final.last("CMD").value)  # type: ignore[union-attr]
    assert exec_form(final.last("HEALTHCHECK").value)  # type: ignore[union-attr]
    entrypoint = final.last("ENTRYPOINT")
    assert entrypoint is None or exec_form(entrypoint.value)
    # Only the build's artefacts reach the final stage: no context copy there.
    copies = [s.value for s in final.steps if s.instruction in {"COPY", "ADD"}]
    assert copies and all("--from=" in value for value in copies)


def test_dependencies_install_hash_checked():
    installs = [s.value for stage in stages() for s in stage.runs() if "pip install" in s.value]
    assert installs and all("--require-hashes" in value for value in installs)
    text = (ROOT / "requirements" / "base.txt").read_text()
    blocks = re.split(r"\n(?=\S)", text.strip())
    pins = [block for block in blocks if not block.startswith("#")]
    assert pins
    unhashed = [b.split()[0] for b in pins if not re.search(r"--hash=sha256:[0-9a-f]{64}", b)]
    assert unhashed == [], "requirements/base.txt needs hashes: make lock"
    assert all(re.match(r"[A-Za-z0-9_.\-]+==\S+", block) for block in pins)
