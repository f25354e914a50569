"""The caller of a signed-in-only view (#11 target 3): ``signed_in_user`` gives the ``User`` and
fails closed for an anonymous request, on a page and in the API alike (AUTHZ-4: nobody is
served as someone else, nor as nobody)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.test import RequestFactory
from rest_framework.request import Request

from accounts.api_helpers import signed_in_user
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_a_signed_in_request_gives_its_user_on_a_page_and_in_the_api():
    user = UserFactory()
    page = RequestFactory().get("/")
    page.user = user
    api = Request(page)
    api.user = user
    assert signed_in_user(page) == user
    assert signed_in_user(api) == user


def test_an_anonymous_request_is_refused_not_served():
    page = RequestFactory().get("/")
    page.user = AnonymousUser()
    api = Request(page)
    api.user = AnonymousUser()
    with pytest.raises(PermissionDenied) as on_page:
        signed_in_user(page)
    with pytest.raises(PermissionDenied) as in_api:
        signed_in_user(api)
    assert str(on_page.value) == str(in_api.value) == "Sign in first."
