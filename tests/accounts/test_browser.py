"""A person in Chromium: sign up, log in through the page, end another session, log out.

Playwright for Python drives the system's Chromium (/usr/bin/chromium); never a downloaded one.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
import requests

from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def page(live_server) -> Iterator:  # type: ignore[no-untyped-def]
    # Playwright's sync API runs an event loop in this thread; the ORM calls below are ours.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        page = browser.new_page()
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.errors = errors  # type: ignore[attr-defined]
        yield page
        browser.close()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


def test_sign_up_log_in_end_a_session_log_out(live_server, page):
    from accounts.models import UserSession

    base = live_server.url
    page.goto(f"{base}/accounts/signup/")
    page.fill("#id_email", "browser@example.com")
    page.fill("#id_password1", PASSWORD)
    page.fill("#id_password2", PASSWORD)
    page.click("button[type=submit]:has-text('Sign up')")
    page.wait_for_url(f"{base}/accounts/sessions/")

    page.click("button:has-text('Log out')")
    page.wait_for_url(f"{base}/accounts/login/")

    page.fill("#id_email", "browser@example.com")
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{base}/accounts/sessions/")
    assert page.locator("text=(this session)").count() == 1

    other = requests.post(
        f"{base}/api/v1/auth/login",
        timeout=20,
        json={"email": "browser@example.com", "password": PASSWORD},
    ).json()
    page.reload()
    rows = page.locator("tr.session-row")
    assert rows.count() == 2
    page.locator(f"tr[data-session-id='{other['session_id']}'] button").click()
    page.wait_for_url(f"{base}/accounts/sessions/")
    assert page.locator("tr.session-row").count() == 1
    me = requests.get(
        f"{base}/api/v1/auth/me", timeout=10, headers={"Authorization": f"Bearer {other['access']}"}
    )
    assert me.status_code == 401
    assert UserSession.objects.get(pk=other["session_id"]).end_reason == "revoked"

    page.click("button:has-text('Log out')")
    page.wait_for_url(f"{base}/accounts/login/")
    page.goto(f"{base}/accounts/sessions/")
    assert page.url.startswith(f"{base}/accounts/login/")
    assert not [e for e in page.errors if "Content Security Policy" in e]
    page.screenshot(path=str(_screenshot_dir() / "login.png"))


def _screenshot_dir():  # type: ignore[no-untyped-def]
    from tests.live import ROOT

    path = ROOT / "var" / "screenshots"
    path.mkdir(parents=True, exist_ok=True)
    return path
