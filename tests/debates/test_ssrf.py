"""INPUT-4: the source fetcher refuses every internal target, and never connects to it."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from debates import fetch
from debates.models import Source
from tests.helpers import Api, error_code

pytestmark = pytest.mark.django_db


class Server:
    """A local HTTP server that counts the requests it gets."""

    def __init__(self, redirect_to: str | None = None) -> None:
        self.hits = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.hits += 1
                if redirect_to:
                    self.send_response(302)
                    self.send_header("Location", redirect_to)
                    self.end_headers()
                    return
                body = b"<html><head><title>Local &amp; test page</title></head></html>"
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                return

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def internal():  # type: ignore[no-untyped-def]
    server = Server()
    yield server
    server.close()


@pytest.fixture
def debate_api(user):  # type: ignore[no-untyped-def]
    api = Api()
    api.as_user(user.email)
    debate = api.post("/api/v1/debates", {"title": "t", "body": "b"}).json()["id"]
    return api, debate


def add(debate_api, url: str):  # type: ignore[no-untyped-def]
    api, debate = debate_api
    return api.post(f"/api/v1/debates/{debate}/sources", {"url": url})


def refused(response) -> bool:  # type: ignore[no-untyped-def]
    return response.status_code == 400 and error_code(response) == "validation_error"


def test_internal_targets_are_refused_without_a_connection(debate_api, internal):
    port = internal.port
    for url in [
        f"http://127.0.0.1:{port}/",
        f"http://localhost:{port}/",
        f"http://[::1]:{port}/",
        f"http://127.1:{port}/",
        f"http://0x7f000001:{port}/",
        f"http://2130706433:{port}/",
        f"http://0177.0.0.1:{port}/",
        f"http://[::ffff:127.0.0.1]:{port}/",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.1/",
        "http://192.168.1.1/",
        "http://100.64.0.1/",
        "http://0.0.0.0/",
        "http://[fe80::1]/",
        "http://224.0.0.1/",
        "file:///etc/passwd",
        "gopher://127.0.0.1:70/",
        "ftp://example.com/",
        f"http://user:pass@127.0.0.1:{port}/",
        "http:///nohost",
    ]:
        assert refused(add(debate_api, url)), url
    assert internal.hits == 0
    assert not Source.objects.exists()


def test_a_public_looking_name_that_resolves_inside_is_refused(debate_api, internal, monkeypatch):
    monkeypatch.setattr(fetch, "resolver", lambda host, port: ["127.0.0.1"])
    assert refused(add(debate_api, f"http://news.example.com:{internal.port}/"))
    assert internal.hits == 0


def test_an_allowed_server_is_fetched_and_its_title_recorded(debate_api, internal, settings):
    settings.FETCH_ALLOWED_HOSTS = [f"127.0.0.1:{internal.port}"]
    response = add(debate_api, f"http://127.0.0.1:{internal.port}/article")
    assert response.status_code == 201, response.content
    assert response.json()["title"] == "Local & test page"
    assert internal.hits == 1


def test_a_redirect_to_an_internal_address_is_refused(debate_api, internal, settings):
    redirector = Server(redirect_to=f"http://127.0.0.1:{internal.port}/secret")
    try:
        settings.FETCH_ALLOWED_HOSTS = [f"127.0.0.1:{redirector.port}"]
        assert refused(add(debate_api, f"http://127.0.0.1:{redirector.port}/"))
        assert redirector.hits == 1 and internal.hits == 0
    finally:
        redirector.close()


def test_the_address_checked_is_the_address_connected(monkeypatch, settings):
    """Resolve once: a DNS answer that changes between check and connect changes nothing."""
    answers = iter([["93.184.216.34"], ["127.0.0.1"]])
    monkeypatch.setattr(fetch, "resolver", lambda host, port: next(answers))
    connected = []
    monkeypatch.setattr(
        fetch,
        "_get",
        lambda target, deadline: connected.append(target.address) or (200, {}, b"<title>x</title>"),
    )
    page = fetch.fetch_title("http://rebinding.example/")
    assert connected == ["93.184.216.34"] and page.title == "x"
