"""Red team (OPS-1, #15): with tracing on (``ARAGORA_SENTRY_TRACES_SAMPLE_RATE`` > 0), sentry-sdk
sends transactions, which never pass ``before_send``: their request URL and query string, span
descriptions (SQL, Redis commands, outgoing URLs) and data must be redacted all the same."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.aragora.test_sentry import CANARIES, CANARY_EMAIL, CANARY_JWT, CANARY_TOKEN
from tests.live import ROOT, server_env

_SCRIPT = f"""
import json, django
django.setup()
import sentry_sdk
from sentry_sdk.transport import Transport

captured = []

class Capture(Transport):
    def capture_envelope(self, envelope):
        for item in envelope.items:
            if item.type == "transaction":
                captured.append(item.payload.json)

client = sentry_sdk.get_client()
client.transport = Capture(client.options)

with sentry_sdk.start_transaction(op="http.server", name="/api/v1/auth/login") as txn:
    sentry_sdk.get_current_scope().set_extra("query", "token={CANARY_TOKEN}")
    with sentry_sdk.start_span(op="db", description="SELECT 1 WHERE email = '{CANARY_EMAIL}'"):
        pass
    with sentry_sdk.start_span(op="http.client", description="GET /?token={CANARY_TOKEN}") as s:
        s.set_data("headers", {{"Authorization": "Bearer {CANARY_JWT}"}})
sentry_sdk.flush()
print(json.dumps({{"transactions": captured}}))
"""


def test_transactions_are_redacted_like_error_events():
    env = server_env(
        SENTRY_DSN="https://public@o0.ingest.sentry.io/0", ARAGORA_SENTRY_TRACES_SAMPLE_RATE="1.0"
    )
    run = subprocess.run(
        [sys.executable, "-c", _SCRIPT], cwd=ROOT, env=env, capture_output=True, timeout=60
    )
    assert run.returncode == 0, run.stderr.decode()[-2000:]
    report = json.loads(run.stdout.decode().strip().splitlines()[-1])
    assert len(report["transactions"]) == 1  # tracing works: the transaction is sent
    text = json.dumps(report["transactions"])
    assert "http.client" in text  # its spans are kept
    for canary in CANARIES:
        assert canary not in text, canary
