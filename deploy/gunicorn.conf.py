"""gunicorn settings for the container (OPS-4). TLS terminates at the ingress (TLS 1.2+), or
here when ARAGORA_TLS_CERT and ARAGORA_TLS_KEY are set (HDR-3; see the TLS block below)."""

import os
import ssl
import sys

bind = os.environ.get("ARAGORA_BIND", "0.0.0.0:8000")  # nosec B104  (in the container)
workers = int(os.environ.get("GUNICORN_WORKERS", "2"))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = 30
graceful_timeout = 20
keepalive = 5
# Bounded request lines and headers: part of the request limits (LIMIT-1).
limit_request_line = 8190
limit_request_fields = 100
limit_request_field_size = 8190
# The read-only root filesystem leaves /tmp (an emptyDir) for worker heartbeats.
worker_tmp_dir = "/tmp"  # noqa: S108  # nosec B108  (an emptyDir volume in the pod)
# No control socket (gunicorn 25.1+ would create ~/.gunicorn/gunicorn.ctl): the container has
# no writable home, and nothing should resize or reload the server from inside the pod.
control_socket_disable = True
# Access log without the query string (%(U)s), so no secret in a URL reaches the log.
accesslog = "-"
access_log_format = '%(h)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms'
errorlog = "-"
forwarded_allow_ips = os.environ.get("ARAGORA_TRUSTED_PROXIES", "127.0.0.1")


def child_exit(server: object, worker: object) -> None:
    """OPS-1: in prometheus-client's multiprocess mode (``PROMETHEUS_MULTIPROC_DIR``), a dead
    worker's live gauges are dropped; its counters stay in the sum, as they should."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)  # type: ignore[attr-defined]


# --- TLS without an ingress (HDR-3) -------------------------------------------------------------
# ARAGORA_TLS_CERT (PEM chain) and ARAGORA_TLS_KEY (PEM key) together: serve HTTPS, TLS 1.2 and
# 1.3 only, forward-secret AEAD ciphers. Neither: plain HTTP behind a TLS ingress. Only one: refuse
# to start (a half-configured server must not quietly serve plain HTTP).
_tls_cert = os.environ.get("ARAGORA_TLS_CERT", "").strip()
_tls_key = os.environ.get("ARAGORA_TLS_KEY", "").strip()
TLS_CIPHERS = "ECDHE+AESGCM:ECDHE+CHACHA20"  # TLS 1.2; TLS 1.3's suites are all AEAD

if bool(_tls_cert) != bool(_tls_key):
    sys.exit(
        "gunicorn.conf.py: set both ARAGORA_TLS_CERT and ARAGORA_TLS_KEY to serve HTTPS, "
        "or neither to serve plain HTTP behind a TLS ingress."
    )
if _tls_cert:
    certfile = _tls_cert
    keyfile = _tls_key

    def ssl_context(config, default_ssl_context_factory):
        context = default_ssl_context_factory()
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.set_ciphers(TLS_CIPHERS)
        return context
