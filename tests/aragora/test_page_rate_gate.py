"""#10 red team 2 on item 11: every page POST passes the one rate gate (``enforce``) with the
policy its API twin uses (RATE-1, RATE-2, RATE-4). Before, the attachment form of the debate
page was not limited at all (the API allows 5 uploads a minute) and a blocked user could still
create API tokens, change the password or end sessions through the pages."""

from __future__ import annotations

import io

import pytest
from django.test import Client

from abuse import services as abuse
from accounts.models import ApiToken
from debates.models import Attachment, Debate
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


def browser(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.post("/accounts/login/", {"email": user.email, "password": PASSWORD})
    return client


def png(name: str) -> io.BytesIO:
    data = io.BytesIO(PNG)
    data.name = name
    return data


def test_page_uploads_count_against_the_upload_policy(user, settings):
    """RATE-2: the debate page's upload form is limited like the upload API (``upload``)."""
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "upload": "2/h"}
    page = browser(user)
    debate = Debate.objects.create(owner=user, title="t", body="b")
    statuses = [
        page.post(f"/debates/{debate.pk}/", {"file": png(f"{n}.png")}).status_code for n in range(3)
    ]
    assert statuses == [302, 302, 429]
    assert Attachment.objects.filter(debate=debate).count() == 2


@pytest.mark.parametrize(
    ("path", "form"),
    [
        ("/accounts/tokens/", {"name": "stolen", "scopes": "debates:read", "password": PASSWORD}),
        ("/accounts/password/change/", {"current_password": PASSWORD}),
        ("/accounts/sessions/", {"action": "others"}),
        ("/accounts/privacy/", {"purpose": "x", "value": "true"}),
    ],
)
def test_a_blocked_user_is_refused_by_every_account_page_post(user, path, form):
    """RATE-4: a block on the user is refused by the pages' POSTs as by the API."""
    page = browser(user)
    abuse.block(f"user:{user.pk}", seconds=600, reason="escalation", level=1)
    response = page.post(path, form)
    assert response.status_code == 429
    assert int(response["Retry-After"]) >= 590
    assert not ApiToken.objects.filter(user=user).exists()
