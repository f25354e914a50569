"""#10 item 4 (red team), AUTHZ-2: a token without expiry is usable only where the operator
allows such tokens (``ARAGORA_API_TOKEN_ALLOW_NO_EXPIRY``). Tokens minted without expiry
before the fix (through the very hole of item 4: a stolen access token turned into a permanent
API token) stop working when the fix is deployed, instead of living forever."""

from __future__ import annotations

import pytest

from accounts.models import ApiToken
from accounts.services import api_tokens
from tests.factories import UserFactory
from tests.helpers import Api

pytestmark = pytest.mark.django_db


def permanent_token() -> str:
    """A token as the old code made it: no ``expires_at``."""
    created = api_tokens.create_token(
        user=UserFactory(), name="old", scopes=["debates:read"], expires_in_days=None, client=None
    )
    ApiToken.objects.filter(pk=created.token.pk).update(expires_at=None)
    return created.secret


def test_a_token_without_expiry_is_refused_unless_the_operator_allows_them(settings):
    secret = permanent_token()
    settings.API_TOKEN_ALLOW_NO_EXPIRY = False
    assert Api(token=secret).get("/api/v1/debates").status_code == 401
    settings.API_TOKEN_ALLOW_NO_EXPIRY = True
    assert Api(token=secret).get("/api/v1/debates").status_code == 200
