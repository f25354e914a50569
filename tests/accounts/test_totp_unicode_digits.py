"""MFA-1, TEST-1 (#16) finding: a code of six non-ASCII digits (Arabic-Indic, full-width)
passed ``isdigit`` and reached ``hmac.compare_digest``, which raises ``TypeError`` on
non-ASCII text: the code step of the login answered 500. Now it is a wrong code (401)."""

from __future__ import annotations

import pytest

from accounts.mfa import totp
from tests.helpers import Api, enrol_mfa, error_code

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("code", ["١٢٣٤٥٦", "\uff11\uff12\uff13\uff14\uff15\uff16", "12345\u0666"])
def test_a_code_of_non_ascii_digits_is_a_wrong_code_not_a_server_error(user, code):
    enrol_mfa(user)
    assert totp.matching_step(b"12345678901234567890", code, 59) is None
    api = Api()
    first = api.login(user.email)
    response = api.post("/api/v1/auth/mfa/verify", {"mfa_token": first["mfa_token"], "code": code})
    assert response.status_code in (400, 401), response.content
    assert error_code(response) != "server_error"
