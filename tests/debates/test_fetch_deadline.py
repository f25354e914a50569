"""INPUT-4: one overall deadline (``ARAGORA_FETCH_TIMEOUT``) on a source fetch, whatever phase a
slow server drips through: the TLS handshake, the headers or the body. Each read on its own is
quick (a byte a second), so only a deadline over the whole fetch stops it."""

from __future__ import annotations

import datetime
import functools
import ipaddress
import select
import socket
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from debates import fetch
from debates.models import Source
from tests.debates.test_ssrf import add, debate_api  # noqa: F401  (fixture)
from tests.helpers import error_code

pytestmark = pytest.mark.django_db

DRIP_SECONDS = 40  # how long the server would keep going: one byte a second
HEADERS = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 100000\r\n\r\n"
DRIPS = {
    "headers": (b"", HEADERS + b"<html>"),
    "body": (HEADERS, b"<html><head><title>slow</title></head>" + b" " * DRIP_SECONDS),
    "tls handshake": (b"", b"\x16\x03\x03\x40\x00" + b"\x00" * DRIP_SECONDS),
}


class DripServer:
    """Accepts one connection, sends ``head`` at once, then one byte of ``drip`` a second, for at
    most ``DRIP_SECONDS`` bytes; notes whether the client hung up first."""

    def __init__(self, head: bytes, drip: bytes) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.sent = 0
        self.closed_by_client = False
        self.done = threading.Event()
        threading.Thread(target=self._serve, args=(head, drip[:DRIP_SECONDS]), daemon=True).start()

    def _serve(self, head: bytes, drip: bytes) -> None:
        conn, _ = self.listener.accept()
        with conn:
            self.closed_by_client = self._drip(conn, head, drip)
        self.done.set()

    def _drip(self, conn: socket.socket, head: bytes, drip: bytes) -> bool:
        """True when the client hung up before the drip ran out."""
        try:
            if _hung_up(conn, 1.0):
                return True
            conn.sendall(head)
            for byte in drip:
                conn.sendall(bytes([byte]))
                self.sent += 1
                if _hung_up(conn, 1.0):
                    return True
        except ConnectionError:
            return True
        return False

    def close(self) -> None:
        self.listener.close()


def _hung_up(conn: socket.socket, seconds: float) -> bool:
    """Wait up to ``seconds`` (the drip's pace), reading what the client sends; True at EOF."""
    end = time.monotonic() + seconds
    while True:
        readable, _, _ = select.select([conn], [], [], max(0.0, end - time.monotonic()))
        if not readable:
            return False
        try:
            if not conn.recv(65536):
                return True
        except ConnectionError:
            return True


@pytest.mark.parametrize("phase", list(DRIPS))
def test_a_dripping_server_is_cut_off_at_the_deadline(debate_api, settings, phase):  # noqa: F811
    settings.FETCH_TIMEOUT = 2.0
    server = DripServer(*DRIPS[phase])
    settings.FETCH_ALLOWED_HOSTS = [f"127.0.0.1:{server.port}"]
    scheme = "https" if phase == "tls handshake" else "http"
    try:
        response = add(debate_api, f"{scheme}://127.0.0.1:{server.port}/slow")
        assert server.done.wait(DRIP_SECONDS + 10)
    finally:
        server.close()
    assert response.status_code == 400 and error_code(response) == "validation_error"
    assert response.json()["error"]["details"]["url"] == ["The page took too long."]
    assert server.closed_by_client  # the fetcher hung up; the server did not run out of bytes
    assert server.sent < DRIP_SECONDS / 4  # a 2 s deadline, not the 40 s the drip would take
    assert not Source.objects.exists()


def test_the_default_deadline_is_five_seconds():
    from aragora import settings as project_settings

    assert project_settings.FETCH_TIMEOUT == 5.0


def _self_signed(tmp_path) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return str(cert_path), str(key_path)


def test_a_prompt_https_page_is_fetched_and_its_certificate_checked(
    tmp_path, settings, monkeypatch
):
    """The deadline-bound TLS socket still verifies the certificate against the host name."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = b"<title>Over TLS</title>"
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            return

    cert, key = _self_signed(tmp_path)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    settings.FETCH_ALLOWED_HOSTS = [f"localhost:{port}"]
    monkeypatch.setattr(fetch, "resolver", lambda host, port: ["127.0.0.1"])
    try:
        with pytest.raises(fetch.FetchRefused) as untrusted:
            fetch.fetch_title(f"https://localhost:{port}/")
        trusting = functools.partial(ssl.create_default_context, cafile=cert)
        monkeypatch.setattr(ssl, "create_default_context", trusting)
        page = fetch.fetch_title(f"https://localhost:{port}/")
    finally:
        server.shutdown()
        server.server_close()
    assert isinstance(untrusted.value.__cause__, ssl.SSLCertVerificationError)
    assert page.title == "Over TLS"


def test_a_name_server_that_never_answers_is_cut_off_at_the_deadline(settings, monkeypatch):
    """INPUT-4, #10 item 14 (red team): ``getaddrinfo`` takes no timeout, and a name server the
    attacker runs can answer as slowly as the system resolver waits (and again on every
    redirect). The lookup is bounded by the fetch's deadline too: the fetcher gives up while the
    lookup is still hanging."""
    settings.FETCH_TIMEOUT = 1.0
    release, finished = threading.Event(), threading.Event()

    def hanging_resolver(host: str, port: int) -> list[str]:
        release.wait(DRIP_SECONDS / 4)
        finished.set()
        return ["93.184.216.34"]

    monkeypatch.setattr(fetch, "resolver", hanging_resolver)
    try:
        with pytest.raises(fetch.FetchRefused) as refused:
            fetch.fetch_title("http://slow-dns.example/")
        still_hanging = not finished.is_set()
    finally:
        release.set()
    assert str(refused.value) == "The page took too long."
    assert still_hanging  # the fetcher did not wait for the name server
