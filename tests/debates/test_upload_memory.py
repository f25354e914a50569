"""LIMIT-1/INPUT-1 on a real server: an upload one byte over the cap is refused with 413,
nothing is stored, and the server's memory stays flat (the cap is counted while streaming)."""

from __future__ import annotations

import os

import psutil
import pytest
import requests

from debates.models import Attachment
from tests.factories import PASSWORD, UserFactory
from tests.live import gunicorn

pytestmark = pytest.mark.django_db(transaction=True)
MB = 1024 * 1024


def test_cap_plus_one_byte_is_413_with_flat_memory(tmp_path):
    user = UserFactory()
    cap = 24 * MB
    upload_dir = tmp_path / "uploads"
    with gunicorn(
        workers=1, ARAGORA_UPLOAD_MAX_BYTES=str(cap), ARAGORA_UPLOAD_DIR=str(upload_dir)
    ) as (base, master):
        token = requests.post(
            f"{base}/api/v1/auth/login",
            timeout=30,
            json={"email": user.email, "password": PASSWORD},
        ).json()["access"]
        headers = {"Authorization": f"Bearer {token}"}
        debate = requests.post(
            f"{base}/api/v1/debates", json={"title": "t", "body": "b"}, headers=headers, timeout=10
        ).json()["id"]
        process = psutil.Process(master.pid)

        def rss() -> int:
            return sum(p.memory_info().rss for p in [process, *process.children(recursive=True)])

        before = rss()
        body = b"%PDF-1.7\n" + b"0" * (cap + 1 - 9)
        response = requests.post(
            f"{base}/api/v1/debates/{debate}/attachments",
            timeout=120,
            headers=headers,
            files={"file": ("big.pdf", body)},
        )
        growth = rss() - before
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"
    assert not Attachment.objects.exists()
    assert not upload_dir.exists() or os.listdir(upload_dir) == []
    assert growth < 12 * MB, f"server memory grew by {growth / MB:.1f} MB for a 24 MB upload"
