"""HDR-3: the shipped gunicorn config serves TLS 1.2+ with forward-secret AEAD ciphers when
ARAGORA_TLS_CERT and ARAGORA_TLS_KEY are set, plain HTTP when neither is, and refuses to start
with only one. The servers are real gunicorn processes started with deploy/gunicorn.conf.py."""

from __future__ import annotations

import datetime
import ipaddress
import runpy
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from tests.live import ROOT, _stop, free_port, server_env

CONFIG = ROOT / "deploy" / "gunicorn.conf.py"
# A client that can still speak TLS 1.1 and non-forward-secret ciphers: OpenSSL's default
# security level forbids both on the client side, so the refusal must come from the server.
OLD_CIPHERS = "ALL:@SECLEVEL=0"
# The servers read the test database (blocked IPs): it must exist, and no test transaction may
# hold its lock.
pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.filterwarnings("ignore:ssl.TLSVersion.TLSv1:DeprecationWarning"),
]


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for localhost and 127.0.0.1 (RSA, so that a client can also
    offer RSA key exchange, which the server must refuse)."""
    folder = tmp_path_factory.mktemp("tls")
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    key_path.chmod(0o600)
    return cert_path, key_path


def _command(port: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "aragora.wsgi:application",
        "-c",
        str(CONFIG),
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        "1",
        "--log-level",
        "warning",
    ]


@contextmanager
def shipped_gunicorn(scheme: str, cafile: Path | None = None, **env: str) -> Iterator[int]:
    """gunicorn with deploy/gunicorn.conf.py on a free port; yield the port once /healthz
    answers over ``scheme``."""
    port = free_port()
    process = subprocess.Popen(
        _command(port), cwd=ROOT, env=server_env(**env), stdout=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, f"gunicorn exited with {process.returncode}"
            try:
                url = f"{scheme}://localhost:{port}/healthz"
                if requests.get(url, timeout=1, verify=str(cafile or True)).status_code == 200:
                    break
            except requests.RequestException:
                pass
            assert time.monotonic() < deadline, "gunicorn did not become ready"
            time.sleep(0.2)
        yield port
    finally:
        _stop(process)


def client(cafile: Path, version: ssl.TLSVersion, ciphers: str | None = None) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.load_verify_locations(cafile)
    if ciphers:
        context.set_ciphers(ciphers)
    context.minimum_version = version
    context.maximum_version = version
    return context


def handshake(context: ssl.SSLContext, port: int) -> ssl.SSLSocket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    try:
        return context.wrap_socket(sock, server_hostname="localhost")
    except BaseException:
        sock.close()
        raise


def get_healthz(tls: ssl.SSLSocket) -> bytes:
    with tls:
        tls.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        response = b""
        while chunk := tls.recv(65536):
            response += chunk
    return response


@contextmanager
def permissive_server(cert: Path, key: Path) -> Iterator[int]:
    """A TLS server that accepts anything (TLS 1.0+, every cipher): it shows that the probing
    clients below do get through where a server lets them, so their failure against gunicorn
    is gunicorn's refusal, not the client's inability."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    context.set_ciphers(OLD_CIPHERS)
    context.minimum_version = ssl.TLSVersion.TLSv1
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def serve() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            try:
                with context.wrap_socket(conn, server_side=True) as tls:
                    tls.recv(1)
            except (OSError, ssl.SSLError):
                pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield port
    finally:
        listener.close()
        thread.join(timeout=5)


PROBES = {
    "TLS 1.1": (ssl.TLSVersion.TLSv1_1, OLD_CIPHERS),
    "TLS 1.2 with RSA key exchange (no forward secrecy)": (
        ssl.TLSVersion.TLSv1_2,
        "AES256-GCM-SHA384",
    ),
    "TLS 1.2 with CBC": (ssl.TLSVersion.TLSv1_2, "ECDHE-RSA-AES128-SHA:@SECLEVEL=0"),
}


@pytest.fixture(scope="module")
def tls_server(tls_files: tuple[Path, Path], django_db_blocker) -> Iterator[int]:  # type: ignore[no-untyped-def]
    """One server for the module; stopping it closes its PostgreSQL sessions (tests/live.py),
    which needs database access outside any one test."""
    cert, key = tls_files
    with (
        django_db_blocker.unblock(),
        shipped_gunicorn(
            "https", cert, ARAGORA_TLS_CERT=str(cert), ARAGORA_TLS_KEY=str(key)
        ) as port,
    ):
        yield port


@pytest.mark.parametrize("probe", list(PROBES))
def test_old_protocols_and_weak_ciphers_are_refused(tls_files, tls_server, probe):
    cert, key = tls_files
    version, ciphers = PROBES[probe]
    with permissive_server(cert, key) as control:
        handshake(client(cert, version, ciphers), control).close()  # the client can do it
    with pytest.raises(ssl.SSLError):
        handshake(client(cert, version, ciphers), tls_server).close()


@pytest.mark.parametrize("version", [ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3])
def test_tls_1_2_and_1_3_are_served(tls_files, tls_server, version):
    cert, _ = tls_files
    tls = handshake(client(cert, version), tls_server)
    assert tls.version() == {"TLSv1_2": "TLSv1.2", "TLSv1_3": "TLSv1.3"}[version.name]
    cipher = tls.cipher()[0]
    assert version is ssl.TLSVersion.TLSv1_3 or cipher.startswith("ECDHE-")
    response = get_healthz(tls)
    assert response.startswith(b"HTTP/1.1 200") and b'{"status": "ok"}' in response


def test_without_certificate_and_key_it_serves_plain_http():
    with shipped_gunicorn("http") as port:
        assert requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5).json() == {
            "status": "ok"
        }


@pytest.mark.parametrize("only", ["ARAGORA_TLS_CERT", "ARAGORA_TLS_KEY"])
def test_a_certificate_without_key_or_a_key_without_certificate_refuses_to_start(tls_files, only):
    cert, key = tls_files
    value = str(cert if only == "ARAGORA_TLS_CERT" else key)
    env = server_env(**{only: value})
    env.pop(
        {"ARAGORA_TLS_CERT": "ARAGORA_TLS_KEY", "ARAGORA_TLS_KEY": "ARAGORA_TLS_CERT"}[only], None
    )
    result = subprocess.run(
        _command(free_port()), cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0
    assert "set both ARAGORA_TLS_CERT and ARAGORA_TLS_KEY" in result.stderr


def test_the_config_hook_raises_any_context_to_tls_1_2_and_aead_ciphers(monkeypatch, tls_files):
    """The hook itself, on a context that would allow everything."""
    cert, key = tls_files
    monkeypatch.setenv("ARAGORA_TLS_CERT", str(cert))
    monkeypatch.setenv("ARAGORA_TLS_KEY", str(key))
    config = runpy.run_path(str(CONFIG))

    def permissive() -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1
        context.set_ciphers(OLD_CIPHERS)
        return context

    context = config["ssl_context"](None, permissive)
    assert (config["certfile"], config["keyfile"]) == (str(cert), str(key))
    assert context.minimum_version is ssl.TLSVersion.TLSv1_2
    tls12 = [c for c in context.get_ciphers() if c["protocol"] == "TLSv1.2"]
    assert tls12 and all(c["kea"] == "kx-ecdhe" and c["aead"] for c in tls12)
