"""Issue #10 item 1 in Chromium, through the real Django admin login page: the password alone
reaches neither the admin nor the API (MFA-5); password then code reaches the admin."""

from __future__ import annotations

import pytest

from tests.accounts.test_browser import page  # noqa: F401  (the Chromium fixture)
from tests.factories import PASSWORD, UserFactory
from tests.helpers import enrol_mfa, fresh_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_admin_login_needs_the_code_step_then_opens_the_admin(live_server, page, settings):  # noqa: F811
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "auth": "1000/m"}
    admin = UserFactory(roles=["admin"], is_staff=True, is_superuser=True)
    secret, _ = enrol_mfa(admin)
    base = live_server.url

    def me_status() -> int:
        return page.request.get(f"{base}/api/v1/auth/me").status

    page.goto(f"{base}/admin/")  # the admin sends the browser to its login page, and on
    page.wait_for_url(f"{base}/accounts/login/?next=%2Fadmin%2F")
    page.fill("#id_email", admin.email)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{base}/accounts/login/mfa/")

    # The password alone: no API, no admin, not even by posting the admin's old login form.
    assert me_status() == 401
    csrf = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    old_form = page.request.post(
        f"{base}/admin/login/",
        form={"username": admin.email, "password": PASSWORD, "csrfmiddlewaretoken": csrf},
    )
    assert old_form.url.startswith(f"{base}/accounts/login/")
    assert me_status() == 401
    page.goto(f"{base}/admin/")
    assert page.url.startswith(f"{base}/accounts/login/")

    page.goto(f"{base}/accounts/login/mfa/")
    page.fill("#id_code", fresh_code(admin, secret))
    page.click("main button[type=submit]")
    page.wait_for_url(f"{base}/admin/")
    assert page.locator("text=Site administration").count() >= 1
    assert me_status() == 200
