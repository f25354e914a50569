"""Where the pages send a browser next: ``next`` values built with ``reverse()`` and encoded on
the way out, and checked against open redirects on the way in (issue #10 item 13)."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode

from accounts.services.stepup import Gate

GATE_PAGES = {Gate.ENROL: "accounts:mfa", Gate.STEP_UP: "accounts:step-up"}


def safe_next(request: HttpRequest, target: str | None, default: str) -> str:
    """``target`` if it stays on this site (same host, no scheme change), else ``default``."""
    allowed = bool(target) and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if allowed and target else default


def next_from(request: HttpRequest, default: str | None = None) -> str:
    """The page's ``next`` parameter (posted or in the query) through ``safe_next``: the one way
    every page reads where to go next. ``default``: ``LOGIN_REDIRECT_URL``."""
    fallback = settings.LOGIN_REDIRECT_URL if default is None else default
    return safe_next(request, request.POST.get("next") or request.GET.get("next"), fallback)


def with_next(url_name: str, next_path: str) -> str:
    """The URL of page ``url_name`` with ``next_path`` as its encoded ``next`` parameter."""
    return f"{reverse(url_name)}?{urlencode({'next': next_path})}"


def to_gate(decision: Gate, request: HttpRequest) -> HttpResponseRedirect:
    """Send the browser to enrol or to confirm a code, then back to where it was going."""
    return HttpResponseRedirect(with_next(GATE_PAGES[decision], request.get_full_path()))
