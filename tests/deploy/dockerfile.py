"""deploy/Dockerfile as the tests read it: stages, their environment, and where paths land.

The Dockerfile is parsed with dockerfile-parse; each stage's ENV, ARG and WORKDIR are followed
in order (a stage built ``FROM`` another starts with its environment), so a RUN step is known
with exactly the environment Docker would give it. The image's own paths (``/app``, ``/venv``)
are mapped onto a temporary folder and this checkout's venv when a step runs here.
"""

from __future__ import annotations

import fnmatch
import json
import os
import posixpath
import re
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

from dockerfile_parse import DockerfileParser
from dockerfile_parse.util import extract_key_values

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "deploy" / "Dockerfile"
# The environment of the base image (python:*-slim sets these; the stages build on them).
BASE_IMAGE_ENV = {
    "PATH": "/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin",
    "LANG": "C.UTF-8",
}


@dataclass
class Step:
    instruction: str
    value: str
    env: dict[str, str]
    workdir: str


@dataclass
class Stage:
    image: str
    name: str | None
    env: dict[str, str]
    workdir: str = "/"
    steps: list[Step] = field(default_factory=list)

    def runs(self) -> list[Step]:
        return [step for step in self.steps if step.instruction == "RUN"]

    def last(self, instruction: str) -> Step | None:
        found = [step for step in self.steps if step.instruction == instruction]
        return found[-1] if found else None


def stages(path: Path = DOCKERFILE) -> list[Stage]:
    parser = DockerfileParser(path=str(path))
    result: list[Stage] = []
    args: dict[str, str] = {}
    for item in parser.structure:
        instruction, value = item["instruction"], item["value"]
        if instruction == "COMMENT":
            continue
        if instruction == "FROM":
            words = value.split()
            image = words[0]
            name = words[2] if len(words) == 3 and words[1].upper() == "AS" else None
            parent = next((stage for stage in result if stage.name == image), None)
            env = dict(parent.env) if parent else dict(BASE_IMAGE_ENV)
            result.append(Stage(image, name, env, parent.workdir if parent else "/"))
            args = {}
            continue
        stage = result[-1]
        if instruction == "ENV":
            for key, val in extract_key_values(True, args, stage.env, value):
                stage.env[key] = val
        elif instruction == "ARG":
            for key, val in extract_key_values(True, args, stage.env, value):
                args[key] = val
        elif instruction == "WORKDIR":
            stage.workdir = posixpath.join(stage.workdir, value)
        stage.steps.append(Step(instruction, value, dict(stage.env), stage.workdir))
    return result


def exec_form(value: str) -> list[str] | None:
    """The argv of an exec-form CMD/ENTRYPOINT/HEALTHCHECK CMD, or None for the shell form."""
    value = re.sub(r"^(--\S+\s+)*CMD\s+", "", value.strip())  # HEALTHCHECK options, then CMD
    try:
        argv = json.loads(value)
    except ValueError:
        return None
    return argv if isinstance(argv, list) and all(isinstance(a, str) for a in argv) else None


class ImagePaths:
    """Maps the image's /app and /venv onto a temporary folder and this checkout's venv."""

    def __init__(self, app: Path) -> None:
        self.mapping = {"/app": str(app), "/venv": sys.prefix}

    def map(self, text: str) -> str:
        for image_path, local in self.mapping.items():
            text = re.sub(rf"(?<![\w./-]){re.escape(image_path)}(?=/|\s|:|$)", local, text)
        return text

    def env(self, env: dict[str, str]) -> dict[str, str]:
        return {key: self.map(value) for key, value in env.items()}


def dockerignore_patterns() -> list[str]:
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    return [line.strip().rstrip("/") for line in lines if line.strip() and not line.startswith("#")]


def _ignored(relative: str, patterns: list[str]) -> bool:
    parts = relative.split("/")
    for pattern in patterns:
        if pattern.startswith("**/"):
            tail = pattern[3:]
            if any(fnmatch.fnmatchcase("/".join(parts[i:]), tail) for i in range(len(parts))):
                return True
        elif fnmatch.fnmatchcase(relative, pattern):
            return True
    return False


def copy_context(target: Path) -> None:
    """The build context Docker would send (``.dockerignore`` applied), copied into ``target``."""
    patterns = dockerignore_patterns()
    assert not any(p.startswith("!") for p in patterns), "exceptions: extend _ignored first"
    for folder, dirs, files in os.walk(ROOT):
        relative_folder = os.path.relpath(folder, ROOT)
        prefix = "" if relative_folder == "." else relative_folder + "/"
        dirs[:] = [d for d in dirs if not _ignored(prefix + d, patterns)]
        for name in files:
            if not _ignored(prefix + name, patterns):
                destination = target / prefix / name
                destination.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(Path(folder) / name, destination)
