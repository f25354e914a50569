"""Typed request notes (#11): what our code learns about a request, in one dataclass.

Modelled on Zulip's ``RequestNotes``: instead of ad-hoc attributes set on the request from
several modules, each request carries one ``RequestNotes``, reached through
``request_notes(request)``, which creates it on first use. DRF's ``Request`` proxies attribute
reads to the Django ``HttpRequest`` it wraps but not writes, so the notes always live on the
underlying ``HttpRequest``: middleware, DRF authentication, throttles and views see the same
object whichever of the two they hold.

Also here, as plain data every layer may use:

- ``ClientInfo``: who is calling (client IP and user agent); what services and the audit trail
  take instead of the request (``aragora.http.client_ip.client_info`` builds it once per
  request);
- ``AuthContext``: the authenticated principal's facts (how it authenticated, its user, session,
  access token, API token and scopes). The DRF authentication classes return it as
  ``request.auth`` and note it here, so code below DRF (the rate gate) reads the same facts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from django.http import HttpRequest
from rest_framework.request import Request

from aragora.rates import Usage

_NOTES_ATTR = "_aragora_notes"  # the one attribute of ours on a request

AuthKind = Literal["jwt", "api_token", "session"]


@dataclass(frozen=True)
class ClientInfo:
    """The calling client as the audit trail records it: the trusted client IP (LOCK-6) and the
    user agent, cut to 256 characters (the audit and session columns' length)."""

    ip: str
    user_agent: str


@dataclass(frozen=True)
class AuthContext:
    """How the caller authenticated, and the facts that came with it (DRF's ``request.auth``).

    ``jwt``: an access token; ``session_id`` is its ``sid``, ``token_jti`` its ``jti``.
    ``api_token``: an ``arg_`` token; ``api_token_id`` and its ``scopes``; no session.
    ``session``: the browser's Django session; ``session_id`` is its ``UserSession``.
    Frozen and hashable: the one place the principal's facts live, fit to key a cache on (a
    per-process snapshot of the user, #14). A new fact about the principal goes here, set by
    the authentication class that learns it, not on the request.
    """

    kind: AuthKind
    user_id: int
    session_id: str | None = None
    token_jti: str | None = None
    api_token_id: int | None = None
    scopes: frozenset[str] = frozenset()


@dataclass
class RequestNotes:
    """Everything our code notes on one request (see the module docstring)."""

    client: ClientInfo | None = None  # resolved once (``client_ip.client_info``)
    auth: AuthContext | None = None  # set by our DRF authentication classes
    ratelimit_usage: Usage | None = None  # the rate gate's last count (RATE-2 headers)
    # The lockout reservation of the attempt in flight (LOCK-1, LOCK-3): an
    # ``accounts.lockout.service.Reservation``, which this floor layer cannot name; accounts
    # writes and reads it through ``lockout.hold`` and ``lockout.held`` (an ``isinstance``).
    lockout_reservation: object | None = None
    lockout_retry_after: int | None = None  # seconds, when django-axes' path was locked out


def request_notes(request: HttpRequest | Request) -> RequestNotes:
    """The notes of ``request`` (a Django or DRF request: the same object for both), created
    on first use."""
    http = request._request if isinstance(request, Request) else request
    notes = getattr(http, _NOTES_ATTR, None)
    if not isinstance(notes, RequestNotes):
        notes = RequestNotes()
        setattr(http, _NOTES_ATTR, notes)
    return notes
