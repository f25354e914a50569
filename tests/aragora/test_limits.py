"""LIMIT-1/2: oversized bodies are refused from their headers, without being read."""

from __future__ import annotations

import io
import socket
import time

import psutil
import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import Client

from tests.live import gunicorn

pytestmark = pytest.mark.django_db
MB = 1024 * 1024


@pytest.fixture
def client() -> Client:
    return Client(raise_request_exception=False)


class CountingInput(io.RawIOBase):
    """A WSGI input that would hand out ``size`` bytes and counts what is read."""

    def __init__(self, size: int) -> None:
        self.remaining = size
        self.bytes_read = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
        n = min(len(buffer), self.remaining)
        buffer[:n] = b"{" * n
        self.remaining -= n
        self.bytes_read += n
        return n


def call_wsgi(path: str, content_type: str, length: int) -> tuple[str, int, bytes]:
    stream = CountingInput(length)
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": path,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": stream,
        "wsgi.errors": io.StringIO(),
        "CONTENT_TYPE": content_type,
        "CONTENT_LENGTH": str(length),
        "HTTP_HOST": "127.0.0.1",
    }
    status: list[str] = []
    # As Django's test client does: keep the test's database connection open.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        body = b"".join(WSGIHandler()(environ, lambda s, h, *a: status.append(s)))
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    return status[0], stream.bytes_read, body


@pytest.mark.parametrize(
    ("content_type", "size"),
    [
        ("application/octet-stream", 101 * MB),
        ("application/json", 11 * MB),
        ("multipart/form-data; boundary=x", 101 * MB),
    ],
)
def test_oversized_body_is_413_and_never_read(content_type, size):
    status, bytes_read, body = call_wsgi("/api/test/echo", content_type, size)
    assert status.startswith("413")
    assert bytes_read == 0
    assert b'"payload_too_large"' in body


def test_json_just_under_the_limit_is_parsed(client, settings):
    settings.MAX_JSON_BYTES = 1000
    payload = b'{"a": "' + b"x" * 980 + b'"}'
    response = client.generic("POST", "/api/test/echo", payload, content_type="application/json")
    assert response.status_code == 200
    too_big = b'{"a": "' + b"x" * 1000 + b'"}'
    response = client.generic("POST", "/api/test/echo", too_big, content_type="application/json")
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"


def test_413_on_pages_too(client):
    response = client.post(
        "/admin/login/", data=b"x", content_type="text/plain", CONTENT_LENGTH=str(101 * MB)
    )
    assert response.status_code == 413


def test_bad_content_length_is_400(client):
    response = client.post(
        "/api/test/echo", data=b"{}", content_type="application/json", CONTENT_LENGTH="abc"
    )
    assert response.status_code == 400


def parts(n: int) -> dict[str, str]:
    return {f"field{i}": "v" for i in range(n)}


def test_100_multipart_parts_pass_101_are_413(client):
    response = client.post("/api/test/echo", data=parts(100))
    assert response.status_code == 200
    assert len(response.json()["keys"]) == 100
    response = client.post("/api/test/echo", data=parts(101))
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"


def test_101_file_parts_are_413(client):
    files = {f"f{i}": io.BytesIO(b"data") for i in range(101)}
    for i, f in enumerate(files.values()):
        f.name = f"f{i}.txt"
    response = client.post("/api/test/echo", data=files)
    assert response.status_code == 413


def test_101_parts_on_a_page_are_413(client):
    response = client.post("/admin/login/", data=parts(101))
    assert response.status_code == 413


def _rss(process: psutil.Process) -> int:
    return sum(p.memory_info().rss for p in [process, *process.children(recursive=True)])


def _send_until_answered(port: int, headers: bytes, total: int) -> tuple[bytes, int]:
    """Stream a body of ``total`` bytes until the server answers; return (answer, sent)."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.sendall(headers)
    chunk, sent = b"0" * MB, 0
    sock.setblocking(False)
    answer = b""
    deadline = time.monotonic() + 30
    while sent < total and time.monotonic() < deadline:
        try:
            answer += sock.recv(65536)
            if answer:
                break
        except BlockingIOError:
            pass
        try:
            sent += sock.send(chunk)
        except (BlockingIOError, BrokenPipeError, ConnectionResetError):
            time.sleep(0.01)
    sock.setblocking(True)
    sock.settimeout(10)
    try:
        while b"\r\n\r\n" not in answer:
            data = sock.recv(65536)
            if not data:
                break
            answer += data
    except (ConnectionResetError, TimeoutError):
        pass
    sock.close()
    return answer, sent


@pytest.mark.parametrize(
    ("content_type", "size"),
    [("application/octet-stream", 101 * MB), ("application/json", 11 * MB)],
)
@pytest.mark.django_db(transaction=True)
def test_real_server_memory_stays_flat_on_oversized_bodies(content_type, size):
    with gunicorn(workers=1) as (base, master):
        port = int(base.rsplit(":", 1)[1])
        process = psutil.Process(master.pid)
        before = _rss(process)
        for _ in range(3):
            headers = (
                f"POST /api/v1/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                f"Content-Type: {content_type}\r\nContent-Length: {size}\r\n\r\n"
            ).encode()
            answer, _ = _send_until_answered(port, headers, size)
            assert answer.startswith(b"HTTP/1.1 413"), answer[:100]
        growth = _rss(process) - before
        assert growth < 16 * MB, f"server memory grew by {growth / MB:.1f} MB"
