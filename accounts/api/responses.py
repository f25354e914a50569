"""How token pairs leave the server: in the body (bearer) or as HttpOnly cookies (AUTH-2)."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from rest_framework.response import Response

from accounts.services.auth import IssuedTokens
from aragora.http.headers import NO_STORE

__all__ = ["NO_STORE", "clear_auth_cookies", "set_auth_cookies", "token_response"]


def token_response(request: HttpRequest, tokens: IssuedTokens, *, transport: str) -> Response:
    """200 with the pair; with the cookie transport the secrets travel only in cookies."""
    cookie = transport == "cookie"
    body = {
        "access": None if cookie else tokens.access.token,
        "refresh": None if cookie else tokens.refresh,
        "access_expires_at": tokens.access.expires_at.isoformat(),
        "session_id": str(tokens.session.pk),
        "token_type": "Bearer",
        "transport": transport,
        "password_change_required": tokens.session.user.password_expired,
    }
    if cookie:
        body["csrf_token"] = get_token(request)
    response = Response(body, headers={"Cache-Control": NO_STORE})
    if cookie:
        set_auth_cookies(response, tokens)
    return response


def set_auth_cookies(response: HttpResponse, tokens: IssuedTokens) -> None:
    secure = not settings.DEBUG
    response.set_cookie(
        settings.ACCESS_COOKIE_NAME,
        tokens.access.token,
        expires=tokens.access.expires_at,
        httponly=True,
        secure=secure,
        samesite="Strict",
        path="/",
    )
    response.set_cookie(
        settings.REFRESH_COOKIE_NAME,
        tokens.refresh,
        expires=tokens.session.expires_at,
        httponly=True,
        secure=secure,
        samesite="Strict",
        path=settings.REFRESH_COOKIE_PATH,
    )


def clear_auth_cookies(response: HttpResponse) -> None:
    response.delete_cookie(settings.ACCESS_COOKIE_NAME, path="/", samesite="Strict")
    response.delete_cookie(
        settings.REFRESH_COOKIE_NAME, path=settings.REFRESH_COOKIE_PATH, samesite="Strict"
    )
    response["Clear-Site-Data"] = '"cookies", "storage"'
