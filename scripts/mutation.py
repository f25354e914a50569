"""Mutation testing of the critical modules (TEST-3, #16), with mutmut 3.

    python scripts/mutation.py                 # every module below (``make mutation``)
    python scripts/mutation.py --smoke         # the smoke set (``make mutation-smoke``, CI)
    python scripts/mutation.py tiers backup    # named modules only

mutmut 3 reads its settings from ``[tool.mutmut]`` in the ``pyproject.toml`` of the folder it
runs in and keeps its state (a mutated copy of the project) in ``mutants/`` there. Each module
needs its own settings (which file to mutate, which tests exercise it), so each runs in a
folder of its own, ``var/mutation/<module>/`` (git-ignored): symbolic links to the project's
packages, tests and templates, and a ``pyproject.toml`` that is the project's plus a
``[tool.mutmut]`` section for that module. ``mutants/`` is rebuilt on every run (mutmut skips
files it has already copied, so a kept copy would test stale code); ``--keep`` resumes instead,
and ``--retest`` reruns only the last run's survivors (after adding tests to the module's test
files; tests are copied afresh on every run).

Each module's score is (killed + timed out) / (every mutant that was tested or had no test).
A module under ``--threshold`` (85 %) fails the run; so does a run that tested nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("aragora", "audit", "accounts", "abuse", "debates", "privacy")
LINKED = (*PACKAGES, "tests", "templates", "static", "manage.py")


@dataclass(frozen=True)
class Module:
    files: tuple[str, ...]  # the files mutated
    tests: tuple[str, ...]  # the tests that exercise them (pytest node ids or paths)
    # Run in service mode (PostgreSQL and Redis: MUTATION_DATABASE_URL, MUTATION_REDIS_URL),
    # where the module's Redis paths have tests; otherwise embedded, service tests skipped.
    services: bool = False


MODULES: dict[str, Module] = {
    "tiers": Module(
        ("accounts/lockout/tiers.py", "aragora/tiers.py"),
        ("tests/accounts/test_tier_rules.py",),
    ),
    "backup": Module(
        ("accounts/mfa/backup.py",),
        ("tests/accounts/test_backup_code_rules.py",),
    ),
    "totp": Module(
        ("accounts/mfa/totp.py",),
        ("tests/accounts/test_totp_rules.py",),
    ),
    "validators": Module(
        ("accounts/validators.py",),
        (
            "tests/accounts/test_passwords.py",
            "tests/accounts/test_password_properties.py",
            "tests/accounts/test_password_validator_rules.py",
        ),
    ),
    "limits": Module(
        ("aragora/http/limits.py",),
        (
            "tests/aragora/test_limits.py",
            "tests/aragora/test_limit_rules.py",
            "tests/aragora/test_request_limit_properties.py",
            "tests/audit/test_rejected_requests.py",
        ),
    ),
    "rates": Module(
        ("aragora/rates.py",),
        ("tests/aragora/test_rates.py", "tests/aragora/test_request_limit_properties.py"),
    ),
    "client_ip": Module(
        ("aragora/http/client_ip.py",),
        (
            "tests/aragora/test_client_ip.py",
            "tests/aragora/test_ipv6_keys.py",
            "tests/aragora/test_client_ip_properties.py",
        ),
    ),
    "tokens": Module(
        ("accounts/tokens.py",),
        (
            "tests/accounts/test_token_rules.py",
            "tests/accounts/test_tokens.py",
            "tests/accounts/test_refresh.py",
        ),
    ),
    "revocation": Module(
        ("accounts/revocation.py",),
        ("tests/accounts/test_revocation.py", "tests/accounts/test_tokens.py"),
        services=True,
    ),
    "fetch": Module(
        ("debates/fetch.py",),
        (
            "tests/debates/test_ssrf.py",
            "tests/debates/test_fetch_deadline.py",
            "tests/debates/test_ssrf_properties.py",
        ),
    ),
    "mfa_service": Module(
        ("accounts/services/mfa.py",),
        ("tests/accounts/test_mfa.py", "tests/accounts/test_mfa_gate.py"),
    ),
    "lockout": Module(
        ("accounts/lockout/service.py", "accounts/lockout/stores.py"),
        (
            "tests/accounts/test_lockout.py",
            "tests/accounts/test_lockout_tiers.py",
            "tests/accounts/test_lockout_fallback.py",
        ),
        services=True,
    ),
}
# The two smallest modules: run by `make mutation-smoke` and at the end of .ci/run.
SMOKE = ("tiers", "backup")


def _workdir(name: str, module: Module, keep: bool) -> Path:
    work = ROOT / "var" / "mutation" / name
    work.mkdir(parents=True, exist_ok=True)
    for entry in LINKED:
        link = work / entry
        if not link.is_symlink():
            link.symlink_to(ROOT / entry)
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    if "mutmut" in project.get("tool", {}):
        sys.exit("pyproject.toml has its own [tool.mutmut]: scripts/mutation.py writes it")
    config = {
        "source_paths": list(PACKAGES),
        "only_mutate": list(module.files),
        "also_copy": ["templates/", "static/", "manage.py"],
        "pytest_add_cli_args_test_selection": list(module.tests),
        # One test database for the whole run (migrated once, each test rolled back).
        "pytest_add_cli_args": ["-p", "no:xdist", "-p", "no:randomly", "--reuse-db"],
        "use_git_change_detection": False,
    }
    lines = ["", "[tool.mutmut]"] + [f"{key} = {json.dumps(val)}" for key, val in config.items()]
    (work / "pyproject.toml").write_text(
        (ROOT / "pyproject.toml").read_text("utf-8") + "\n".join(lines) + "\n", "utf-8"
    )
    if not keep:
        shutil.rmtree(work / "mutants", ignore_errors=True)
    return work


def _mutmut(work: Path, *args: str, services: bool = False) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    if services:
        env["ARAGORA_TEST_SERVICES"] = "1"
        env["DATABASE_URL"] = os.environ.get(
            "MUTATION_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/test"
        )
        env["REDIS_URL"] = os.environ.get("MUTATION_REDIS_URL", "redis://127.0.0.1:6379/15")
    else:
        env.pop("ARAGORA_TEST_SERVICES", None)
    return subprocess.run(
        [str(Path(sys.executable).parent / "mutmut"), *args],
        cwd=work,
        env=env,
        text=True,
        capture_output=True,
        check=False,
    )


def _survivors(work: Path) -> list[str]:
    results = _mutmut(work, "results").stdout
    return [
        line.split(":")[0].strip()
        for line in results.splitlines()
        if line.strip().endswith(("survived", "no tests"))
    ]


def run_module(
    name: str, children: int, keep: bool, retest: bool = False
) -> tuple[float, dict[str, int], list[str]]:
    module = MODULES[name]
    work = _workdir(name, module, keep or retest)
    # --retest: only the last run's survivors, against the tests as they are now (new tests in
    # the module's test files are picked up; a changed test list needs a full run).
    names = _survivors(work) if retest else []
    if retest and not names:
        print(f"{name}: no survivors to retest")
    run = _mutmut(work, "run", "--max-children", str(children), *names, services=module.services)
    if run.returncode != 0:
        print(run.stdout[-4000:], run.stderr[-4000:], sep="\n")
        raise SystemExit(f"mutmut run failed for {name} (exit {run.returncode})")
    _mutmut(work, "export-cicd-stats")
    stats: dict[str, int] = json.loads((work / "mutants" / "mutmut-cicd-stats.json").read_text())
    survivors = _survivors(work)
    caught = stats["killed"] + stats["timeout"]
    tested = caught + stats["survived"] + stats["no_tests"] + stats["suspicious"]
    score = 100.0 * caught / tested if tested else 0.0
    return score, stats, survivors


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("modules", nargs="*", metavar="module", help=", ".join(MODULES))
    parser.add_argument("--smoke", action="store_true", help=f"only {', '.join(SMOKE)}")
    parser.add_argument("--threshold", type=float, default=85.0)
    # One at a time by default: forked children inherit one test database name (tests/settings.py
    # names it after the parent's process id), so two at once would clobber each other's.
    parser.add_argument("--children", type=int, default=1, help="mutants tested at once")
    parser.add_argument("--keep", action="store_true", help="resume from the last run's state")
    parser.add_argument("--retest", action="store_true", help="rerun the last run's survivors")
    parser.add_argument("--show", action="store_true", help="print each survivor's diff")
    args = parser.parse_args()
    names = list(SMOKE) if args.smoke else (args.modules or list(MODULES))
    unknown = sorted(set(names) - set(MODULES))
    if unknown:
        parser.error(f"unknown module(s): {', '.join(unknown)}")
    failed = []
    for name in names:
        score, stats, survivors = run_module(name, args.children, args.keep, args.retest)
        verdict = "ok" if score >= args.threshold and stats["total"] else "BELOW THRESHOLD"
        print(
            f"{name:12} {score:5.1f}% killed  (killed {stats['killed']}, timeout "
            f"{stats['timeout']}, survived {stats['survived']}, no tests {stats['no_tests']}, "
            f"total {stats['total']})  {verdict}",
            flush=True,
        )
        for survivor in survivors:
            print(f"    survivor: {survivor}")
            if args.show:
                print(_mutmut(ROOT / "var" / "mutation" / name, "show", survivor).stdout)
        if verdict != "ok":
            failed.append(name)
    if failed:
        print(f"under {args.threshold:.0f} %: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
