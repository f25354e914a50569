"""``make deploy-check`` (HDR-3) runs ``check --deploy`` in production mode with throwaway
secrets: it must set every secret production requires, or it fails for the wrong reason."""

from __future__ import annotations

import re
from pathlib import Path

from aragora import devsecrets

ROOT = Path(__file__).resolve().parents[2]


def test_deploy_check_sets_every_production_secret():
    makefile = (ROOT / "Makefile").read_text()
    target = re.search(r"^deploy-check:.*?(?=^\S)", makefile, re.S | re.M)
    assert target is not None
    required = {*devsecrets.GENERATORS, "ARAGORA_ALLOWED_HOSTS"}
    missing = sorted(name for name in required if f"{name}=" not in target.group(0))
    assert missing == []
