"""WSGI entry points of both contenders, each answering with ``X-Bench-Worker: <pid>`` so the
revocation measurement knows which gunicorn worker answered (a header, nothing else)."""

import os
from collections.abc import Callable, Iterable
from typing import Any


def _tagged(app: Callable[..., Iterable[bytes]]) -> Callable[..., Iterable[bytes]]:
    def tagged(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        def start(status: str, headers: list[tuple[str, str]], *exc: Any) -> Any:
            return start_response(status, [*headers, ("X-Bench-Worker", str(os.getpid()))], *exc)

        return app(environ, start)

    return tagged


def _application(settings: str) -> Callable[..., Iterable[bytes]]:
    os.environ["DJANGO_SETTINGS_MODULE"] = settings
    from django.core.wsgi import get_wsgi_application

    return _tagged(get_wsgi_application())


def project() -> Callable[..., Iterable[bytes]]:
    return _application("aragora.settings")


def baseline() -> Callable[..., Iterable[bytes]]:
    return _application("bench.baseline.settings")
