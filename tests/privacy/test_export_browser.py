"""A person in Chromium asks for their data on ``/accounts/privacy/`` and downloads it (PRIV-3):
the form posts, a reload shows the export ready, the link downloads a zip with their data, and
no CSP error on the way (no script on the page)."""

from __future__ import annotations

import json
import zipfile

import pytest

from tests.accounts.test_browser import page  # noqa: F401  (the Chromium fixture)
from tests.factories import PASSWORD, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_request_an_export_and_download_it_through_the_page(live_server, page, settings, tmp_path):  # noqa: F811
    from debates.models import Debate

    settings.EXPORT_DIR = str(tmp_path / "exports")
    user = UserFactory(email="export-browser@example.com")
    Debate.objects.create(owner=user, title="A debate of mine", body="My argument")
    base = live_server.url
    page.set_viewport_size({"width": 375, "height": 740})  # a phone
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_email", user.email)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{base}/accounts/sessions/")

    page.goto(f"{base}/accounts/privacy/")
    with page.expect_navigation():
        page.click("button:has-text('Request an export')")
    page.reload()  # embedded mode built it already; a reload is how the page shows progress
    row = page.locator("tr.export-row").first
    assert row.get_attribute("data-status") == "ready"
    assert page.evaluate("document.documentElement.scrollWidth") <= 375  # nothing too wide

    with page.expect_download() as info:
        row.locator("a:has-text('Download')").click()
    download = info.value
    assert download.suggested_filename.startswith("aragora-export-")
    archive = zipfile.ZipFile(download.path())
    assert {"profile.json", "debates.json", "manifest.json"} <= set(archive.namelist())
    assert json.loads(archive.read("profile.json"))["email"] == user.email
    debates = json.loads(archive.read("debates.json"))["debates"]
    assert [d["title"] for d in debates] == ["A debate of mine"]
    assert not [e for e in page.errors if "Content Security Policy" in e]
