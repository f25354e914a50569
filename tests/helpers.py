"""Helpers for driving the API the way a client does."""

from __future__ import annotations

import json
from typing import Any

from django.test import Client

from tests.factories import PASSWORD


class Api:
    """A JSON client; ``token`` (if set) goes in the Authorization header."""

    def __init__(self, token: str | None = None, **defaults: Any) -> None:
        self.client = Client(raise_request_exception=False, **defaults)
        self.token = token

    def _headers(self, extra: dict[str, str]) -> dict[str, str]:
        headers = dict(extra)
        if self.token:
            headers.setdefault("HTTP_AUTHORIZATION", f"Bearer {self.token}")
        return headers

    def get(self, path: str, **extra: str):  # type: ignore[no-untyped-def]
        return self.client.get(path, **self._headers(extra))

    def post(self, path: str, data: Any = None, **extra: str):  # type: ignore[no-untyped-def]
        body = json.dumps(data) if data is not None else ""
        return self.client.post(path, body, content_type="application/json", **self._headers(extra))

    def put(self, path: str, data: Any = None, **extra: str):  # type: ignore[no-untyped-def]
        return self.client.put(
            path, json.dumps(data), content_type="application/json", **self._headers(extra)
        )

    def delete(self, path: str, **extra: str):  # type: ignore[no-untyped-def]
        return self.client.delete(path, **self._headers(extra))

    def login(self, email: str, password: str = PASSWORD, **body: Any) -> dict[str, Any]:
        response = self.post("/api/v1/auth/login", {"email": email, "password": password, **body})
        assert response.status_code == 200, response.content
        return response.json()  # type: ignore[no-any-return]

    def as_user(self, email: str, password: str = PASSWORD) -> dict[str, Any]:
        """Log in and use the access token from now on; return the token pair."""
        pair = self.login(email, password)
        self.token = pair["access"]
        return pair


def error_code(response) -> str:  # type: ignore[no-untyped-def]
    return response.json()["error"]["code"]  # type: ignore[no-any-return]
