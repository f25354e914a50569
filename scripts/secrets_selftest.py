#!/usr/bin/env python3
"""The secrets scan must catch a planted secret, or a green ``make secrets-scan`` proves nothing
(OPS-5). ``make lint`` runs this after the scan.

Usage: secrets_selftest.py DETECT_SECRETS_HOOK BASELINE

Plants fake credentials of three kinds (a private key block, an AWS access key, a password
assignment) in a temporary file, scans it with the hook and a copy of the project's baseline
(its plugins and filters; a copy because the hook may rewrite a baseline), and exits 1 unless
the hook fails and names each kind. The values are random and made at run time, so none is
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


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    hook, baseline = argv[1], Path(argv[2])
    cases = planted()
    with tempfile.TemporaryDirectory(prefix="secrets-selftest-") as folder:
        target = Path(folder) / "planted_settings.py"
        target.write_text("\n".join(cases.values()) + "\n")
        baseline_copy = Path(folder) / "baseline.json"
        shutil.copyfile(baseline, baseline_copy)
        result = subprocess.run(
            [hook, "--baseline", str(baseline_copy), str(target)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    output = result.stdout + result.stderr
    missed = [kind for kind in cases if kind not in output]
    if result.returncode == 0 or missed:
        print(
            f"secrets-scan self-test FAILED: exit {result.returncode}, missed {missed}\n{output}",
            file=sys.stderr,
        )
        return 1
    print(f"secrets-scan self-test: the planted {', '.join(cases)} were all caught.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
