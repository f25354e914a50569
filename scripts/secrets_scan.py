#!/usr/bin/env python3
"""The secrets scan (OPS-5), run by ``make lint``.

Usage: secrets_scan.py DETECT_SECRETS_HOOK BASELINE scan|selftest

``scan``: every tracked file against the audited baseline; a finding the baseline does not
hold fails. The hook gets a copy of the baseline, because it rewrites a baseline whose line
numbers moved (exit 3): lines moving is no new secret (findings match by file and hash), so
the committed baseline stays as it is and ``make secrets-baseline`` refreshes it when wanted.

``selftest``: a green scan proves nothing unless the scan can fail. Plants fake credentials of
three kinds (a private key block, an AWS access key, a password assignment) in a temporary
file, scans it the same way (the baseline's plugins and filters), and exits 1 unless the hook
fails and names each kind. The values are random and made at run time, so none is
ever in the repository or the baseline.
"""

from __future__ import annotations

import secrets
import shutil
import string
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def planted() -> dict[str, str]:
    """Each detector's name (as the hook reports it) and a line it must flag."""
    upper = string.ascii_uppercase + "234567"
    aws_key = "AKIA" + "".join(secrets.choice(upper) for _ in range(16))
    begin = "-----BEGIN " + "RSA PRIVATE KEY-----"
    return {
        "AWS Access Key": f'aws_access_key_id = "{aws_key}"',
        "Private Key": f"{begin}\n{secrets.token_urlsafe(48)}",
        "Secret Keyword": f'db_password = "{secrets.token_urlsafe(18)}"',
    }


def _hook(hook: str, baseline: Path, folder: str, files: list[str]) -> tuple[int, str]:
    baseline_copy = Path(folder) / "baseline.json"
    shutil.copyfile(baseline, baseline_copy)
    result = subprocess.run(
        [hook, "--baseline", str(baseline_copy), *files],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    return result.returncode, result.stdout + result.stderr


def scan(hook: str, baseline: Path) -> int:
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True, timeout=60
    )
    # The baseline itself is skipped, as the hook skips the file it was given as baseline.
    skip = str(baseline.resolve().relative_to(ROOT))
    files = [name for name in listed.stdout.decode().split("\0") if name and name != skip]
    with tempfile.TemporaryDirectory(prefix="secrets-scan-") as folder:
        returncode, output = _hook(hook, baseline, folder, files)
    if returncode == 0 or returncode == 3:  # 3: only the baseline's line numbers moved
        print(f"secrets-scan: {len(files)} tracked files, no secret outside the baseline.")
        return 0
    print(f"secrets-scan FAILED (exit {returncode}):\n{output}", file=sys.stderr)
    return 1


def selftest(hook: str, baseline: Path) -> int:
    cases = planted()
    with tempfile.TemporaryDirectory(prefix="secrets-selftest-") as folder:
        target = Path(folder) / "planted_settings.py"
        target.write_text("\n".join(cases.values()) + "\n")
        returncode, output = _hook(hook, baseline, folder, [str(target)])
    missed = [kind for kind in cases if kind not in output]
    if returncode != 1 or missed:
        print(
            f"secrets-scan self-test FAILED: exit {returncode}, missed {missed}\n{output}",
            file=sys.stderr,
        )
        return 1
    print(f"secrets-scan self-test: the planted {', '.join(cases)} were all caught.")
    return 0


def main(argv: list[str]) -> int:
    if len(argv) != 4 or argv[3] not in {"scan", "selftest"}:
        print(__doc__, file=sys.stderr)
        return 2
    hook, baseline = argv[1], Path(argv[2])
    return scan(hook, baseline) if argv[3] == "scan" else selftest(hook, baseline)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
