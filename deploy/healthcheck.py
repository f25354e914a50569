"""Container health check (OPS-4): ``GET /healthz`` on the local server; exit 0 on HTTP 200.

Standard library only and run in exec form, so the image needs neither a shell nor curl:
``python deploy/healthcheck.py [PATH]`` (default ``/healthz``; ``/readyz`` also checks the
database, the cache and the broker). The request goes to 127.0.0.1 on the port of
``ARAGORA_BIND`` with the first ``ARAGORA_ALLOWED_HOSTS`` name as its Host, since Django answers
400 to any host it does not serve.
"""

from __future__ import annotations

import http.client
import os
import sys


def _host() -> str:
    hosts = os.environ.get("ARAGORA_ALLOWED_HOSTS", "").split(",")
    names = [name.strip().lstrip(".") for name in hosts if name.strip() not in {"", "*"}]
    return names[0] if names else "localhost"


def main(argv: list[str]) -> int:
    path = argv[1] if len(argv) > 1 else "/healthz"
    port = int(os.environ.get("ARAGORA_BIND", "0.0.0.0:8000").rpartition(":")[2])  # nosec B104
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=4)
    try:
        connection.request("GET", path, headers={"Host": _host()})
        status = connection.getresponse().status
    except OSError as exc:
        print(f"unhealthy: {exc}", file=sys.stderr)
        return 1
    finally:
        connection.close()
    if status != 200:
        print(f"unhealthy: HTTP {status} from {path}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
