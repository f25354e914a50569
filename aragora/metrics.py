"""Prometheus metrics (OPS-1): what the project counts, and the text ``GET /metrics`` serves.

Every metric is defined here, in the floor layer, so any app can count without importing
another: ``aragora.ratelimit`` counts refusals, ``aragora.http`` request latency and refused
requests, ``accounts.revocation`` revocations, and ``audit.services.record`` hands every
recorded security event to ``observe_event``, which maps event types (and their outcome fields)
to counters. Counting never raises: a broken metric must not break a login.

Two kinds of state:

- **Counters and histograms** live in the process. Under gunicorn (several workers) and Celery
  (prefork children) ``PROMETHEUS_MULTIPROC_DIR`` names a directory where every process writes
  its values (prometheus-client's multiprocess mode), and a scrape adds them up, so a count is
  the same whichever worker answers. gunicorn's ``child_exit`` hook (``deploy/gunicorn.conf.py``)
  marks dead workers. Without the variable (embedded mode, ``runserver``, tests) the ordinary
  in-process registry serves.
- **Gauges of periodic jobs** (last success and failure of each Celery task, the last audit
  verification) are written to the database (``aragora.models.RecordedGauge``) and read at each
  scrape, so they are right whichever process ran the job (a worker in another pod included)
  and survive restarts: a stuck beat shows as an old timestamp, never as a missing one.

Labels are bounded: view names (the resolved URL pattern's name, never the raw path), policies,
outcomes and reasons from fixed lists (anything else is ``other``), Celery task names. No user
ids, emails, IPs or keys ever become a label.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from functools import wraps
from typing import Any, ParamSpec

from django.db import DatabaseError, transaction
from django.utils import timezone
from prometheus_client import (
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from aragora.models import RecordedGauge

logger = logging.getLogger(__name__)

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
OTHER = "other"


def multiprocess_dir() -> str | None:
    """``PROMETHEUS_MULTIPROC_DIR`` when set (prometheus-client reads it at import too)."""
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


# No ``*_created`` series: they double the output and nothing here reads them.
disable_created_metrics()
# Our own registry: exactly our metrics, nothing a library registers on the global one.
REGISTRY = CollectorRegistry(auto_describe=True)

LOGINS = Counter(
    "aragora_logins",
    "Sign-in attempts by outcome: success (signed in), invalid_credentials, locked_out, "
    "mfa_required (password right, code step next).",
    ["outcome"],
    registry=REGISTRY,
)
LOGIN_OUTCOMES = frozenset({"success", "invalid_credentials", "locked_out", "mfa_required"})
MFA_FAILURES = Counter(
    "aragora_mfa_failures",
    "Wrong or reused MFA codes (sign-in code step, step-up, enrolment).",
    registry=REGISTRY,
)
LOCKOUTS = Counter(
    "aragora_lockouts",
    "Lockouts started (a key reached a lockout tier), by key type (email or ip).",
    ["key_type"],
    registry=REGISTRY,
)
KEY_TYPES = frozenset({"email", "ip"})
RATE_LIMIT_REFUSALS = Counter(
    "aragora_rate_limit_refusals",
    "Requests refused by the rate gate (429), by policy and reason (limit or blocked).",
    ["policy", "reason"],
    registry=REGISTRY,
)
POLICIES = frozenset({"auth", "debates", "upload", "default"})
REFUSAL_REASONS = frozenset({"limit", "blocked"})
BLOCKS = Counter(
    "aragora_blocks",
    "Clients blocked by the abuse escalation, by reason (escalation or severe_abuse).",
    ["reason"],
    registry=REGISTRY,
)
BLOCK_REASONS = frozenset({"escalation", "severe_abuse"})
REVOCATIONS = Counter(
    "aragora_revocations",
    "Revocations: session (every token of a session), access_token (one access token), "
    "api_token (a personal API token).",
    ["kind"],
    registry=REGISTRY,
)
REVOCATION_KINDS = frozenset({"session", "access_token", "api_token"})
REFRESH_REUSES = Counter(
    "aragora_refresh_reuses",
    "Consumed refresh tokens presented again past the grace (the family is revoked).",
    registry=REGISTRY,
)
REQUESTS_REJECTED = Counter(
    "aragora_requests_rejected",
    "Requests the HTTP layer refused before any view (413, malformed or too deep JSON...), by "
    "code.",
    ["code"],
    registry=REGISTRY,
)
REJECTION_CODES = frozenset({"payload_too_large", "invalid_json", "bad_request"})
AUDIT_EVENTS = Counter(
    "aragora_audit_events",
    "Security events recorded in the audit trail, by type (sampled types such as "
    "http.request.rate_limited count their written samples only).",
    ["type"],
    registry=REGISTRY,
)
REQUEST_LATENCY = Histogram(
    "aragora_http_request_duration_seconds",
    "Time from the first middleware to the response, by view (the resolved URL pattern's name) "
    "and method.",
    ["view", "method"],
    registry=REGISTRY,
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
RESPONSES = Counter(
    "aragora_http_responses",
    "Responses by view, method and status code.",
    ["view", "method", "status"],
    registry=REGISTRY,
)
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
TASKS = Counter(
    "aragora_celery_tasks",
    "Celery task runs by task name and outcome (success, failure, retry, other).",
    ["task", "outcome"],
    registry=REGISTRY,
)
TASK_DURATION = Histogram(
    "aragora_celery_task_duration_seconds",
    "Celery task run time by task name.",
    ["task"],
    registry=REGISTRY,
    buckets=(0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0, 900.0, 3600.0),
)

# Every known label value starts at 0, so a rate is defined from the first scrape and an alert's
# increase() sees the first event too.
for _outcome in LOGIN_OUTCOMES:
    LOGINS.labels(outcome=_outcome)
for _key_type in KEY_TYPES:
    LOCKOUTS.labels(key_type=_key_type)
for _policy in POLICIES:
    for _reason in REFUSAL_REASONS:
        RATE_LIMIT_REFUSALS.labels(policy=_policy, reason=_reason)
for _reason in BLOCK_REASONS:
    BLOCKS.labels(reason=_reason)
for _kind in REVOCATION_KINDS:
    REVOCATIONS.labels(kind=_kind)
for _code in REJECTION_CODES:
    REQUESTS_REJECTED.labels(code=_code)

# Gauges kept in the database (``RecordedGauge``): name -> (help, label name or None).
DURABLE_GAUGES: dict[str, tuple[str, str | None]] = {
    "aragora_task_last_success_timestamp_seconds": (
        "When each Celery task last finished without error (Unix time).",
        "task",
    ),
    "aragora_task_last_failure_timestamp_seconds": (
        "When each Celery task last failed (Unix time).",
        "task",
    ),
    "aragora_audit_verification_ok": (
        "1 if the last audit trail verification found the trail intact, 0 if it found a bad "
        "event (AUDIT-3).",
        None,
    ),
    "aragora_audit_verification_timestamp_seconds": (
        "When the audit trail was last verified (Unix time).",
        None,
    ),
    "aragora_audit_verification_checked_events": (
        "Events the last audit trail verification checked.",
        None,
    ),
}


def bounded(value: object, allowed: Iterable[str]) -> str:
    """``value`` as a label if it is one of ``allowed``, else ``other``: no free text."""
    text = str(value)
    return text if text in allowed else OTHER


P = ParamSpec("P")


def _safely(count: Callable[P, None]) -> Callable[P, None]:
    """Run a counting function without ever letting it fail the caller."""

    @wraps(count)
    def wrapped(*args: P.args, **kwargs: P.kwargs) -> None:
        try:
            count(*args, **kwargs)
        except Exception:  # metrics are never worth a failed request
            logger.warning("metrics: could not count %s", count.__name__, exc_info=True)

    return wrapped


@_safely
def count_login(outcome: str) -> None:
    LOGINS.labels(outcome=bounded(outcome, LOGIN_OUTCOMES)).inc()


@_safely
def count_rate_limit_refusal(policy: str, reason: str) -> None:
    RATE_LIMIT_REFUSALS.labels(
        policy=bounded(policy, POLICIES), reason=bounded(reason, REFUSAL_REASONS)
    ).inc()


@_safely
def count_revocation(kind: str) -> None:
    REVOCATIONS.labels(kind=bounded(kind, REVOCATION_KINDS)).inc()


@_safely
def count_rejection(code: str) -> None:
    REQUESTS_REJECTED.labels(code=bounded(code, REJECTION_CODES)).inc()


@_safely
def observe_request(view: str, method: str, status: int, seconds: float) -> None:
    method = bounded(method, METHODS)
    REQUEST_LATENCY.labels(view=view, method=method).observe(seconds)
    code = str(status) if 100 <= status <= 599 else OTHER
    RESPONSES.labels(view=view, method=method, status=code).inc()


# Audit event codes (``audit.events.EventType`` values; ``aragora`` cannot import ``audit``,
# a test keeps both in step) and what each one counts.
LOGIN_SUCCEEDED = "accounts.login.succeeded"
LOGIN_FAILED = "accounts.login.failed"
MFA_VERIFY_FAILED = "accounts.mfa.verify.failed"
LOCKOUT_LOCKED = "accounts.lockout.locked"
CLIENT_BLOCKED = "http.client.blocked"
API_TOKEN_REVOKED = "accounts.api_token.revoked"  # noqa: S105  (an event code)
REFRESH_REUSED = "accounts.refresh.reused"
OBSERVED_EVENTS = frozenset(
    {
        LOGIN_SUCCEEDED,
        LOGIN_FAILED,
        MFA_VERIFY_FAILED,
        LOCKOUT_LOCKED,
        CLIENT_BLOCKED,
        API_TOKEN_REVOKED,
        REFRESH_REUSED,
    }
)


@_safely
def observe_event(event_type: str, data: Mapping[str, Any], *, known_types: Iterable[str]) -> None:
    """One recorded audit event (``audit.services.record``): every security event is audited,
    so this one hook counts sign-ins, MFA failures, lockouts, blocks and revocations. The
    ``type`` label is bounded by ``known_types`` (the audit app's registry of event types)."""
    AUDIT_EVENTS.labels(type=bounded(event_type, known_types)).inc()
    if event_type == LOGIN_SUCCEEDED:
        LOGINS.labels(outcome="success").inc()
    elif event_type == LOGIN_FAILED:
        LOGINS.labels(outcome=bounded(data.get("outcome"), LOGIN_OUTCOMES)).inc()
    elif event_type == MFA_VERIFY_FAILED:
        MFA_FAILURES.inc()
    elif event_type == LOCKOUT_LOCKED:
        LOCKOUTS.labels(key_type=bounded(data.get("key_type"), KEY_TYPES)).inc()
    elif event_type == CLIENT_BLOCKED:
        BLOCKS.labels(reason=bounded(data.get("reason"), BLOCK_REASONS)).inc()
    elif event_type == API_TOKEN_REVOKED:
        REVOCATIONS.labels(kind="api_token").inc()
    elif event_type == REFRESH_REUSED:
        REFRESH_REUSES.inc()


# --- Durable gauges ----------------------------------------------------------------------------


def set_durable_gauge(name: str, value: float, label: str = "") -> None:
    """Store a job's gauge in the database (read back at every scrape). Never raises."""
    if name not in DURABLE_GAUGES:
        raise ValueError(f"unknown durable gauge {name}")
    try:
        with transaction.atomic():  # a savepoint: a failure leaves a caller's transaction usable
            RecordedGauge.objects.update_or_create(
                name=name, label=label, defaults={"value": value, "updated_at": timezone.now()}
            )
    except DatabaseError:  # the job's own outcome stands; only its gauge is lost
        logger.warning("metrics: could not store %s", name, exc_info=True)


def record_audit_verification(*, ok: bool, checked: int) -> None:
    """The result of an audit trail verification (the task or ``manage.py verify_audit``)."""
    set_durable_gauge("aragora_audit_verification_ok", 1.0 if ok else 0.0)
    set_durable_gauge("aragora_audit_verification_checked_events", float(checked))
    set_durable_gauge("aragora_audit_verification_timestamp_seconds", time.time())


class DurableGaugeCollector(Collector):
    """Reads ``RecordedGauge`` rows at scrape time (a handful of rows: one per periodic task
    and a few for the audit verification). A database outage leaves them out of that scrape."""

    def describe(self) -> Iterator[Metric]:
        """The families without their values: registering reads no database."""
        return self._families({})

    def collect(self) -> Iterator[Metric]:
        try:
            rows = list(RecordedGauge.objects.values_list("name", "label", "value"))
        except DatabaseError:
            logger.warning("metrics: recorded gauges unavailable", exc_info=True)
            return iter(())
        by_name: dict[str, list[tuple[str, float]]] = {}
        for name, label, value in rows:
            by_name.setdefault(name, []).append((label, value))
        return self._families(by_name)

    @staticmethod
    def _families(by_name: dict[str, list[tuple[str, float]]]) -> Iterator[Metric]:
        for name, (documentation, label_name) in DURABLE_GAUGES.items():
            family = GaugeMetricFamily(
                name, documentation, labels=[label_name] if label_name else None
            )
            for label, value in sorted(by_name.get(name, [])):
                family.add_metric([label] if label_name else [], value)
            yield family


REGISTRY.register(DurableGaugeCollector())


def exposition() -> bytes:
    """The Prometheus text of every metric: summed over every process's files in
    multiprocess mode, this process's registry otherwise."""
    directory = multiprocess_dir()
    if directory is None:
        return generate_latest(REGISTRY)
    from prometheus_client import multiprocess  # reads the directory; only in that mode

    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry, path=directory)
    registry.register(DurableGaugeCollector())
    return generate_latest(registry)


# --- Celery tasks ------------------------------------------------------------------------------

_STARTED_ATTR = "_aragora_metrics_started"
_TASK_OUTCOMES = {"SUCCESS": "success", "FAILURE": "failure", "RETRY": "retry"}


def task_started(task: Any) -> None:
    """``task_prerun``: note when the run started (on the task's request context)."""
    try:
        setattr(task.request, _STARTED_ATTR, time.monotonic())
    except Exception:
        logger.warning("metrics: could not note a task start", exc_info=True)


@_safely
def task_finished(task: Any, state: str | None) -> None:
    """``task_postrun`` (sent after every run, failed ones too, with the run's state): count
    the run, time it, and store when the task last succeeded or failed."""
    name = str(getattr(task, "name", OTHER))
    outcome = _TASK_OUTCOMES.get(str(state), OTHER)
    TASKS.labels(task=name, outcome=outcome).inc()
    started = getattr(task.request, _STARTED_ATTR, None)
    if started is not None:
        TASK_DURATION.labels(task=name).observe(time.monotonic() - started)
    if outcome in {"success", "failure"}:
        gauge = f"aragora_task_last_{outcome}_timestamp_seconds"
        set_durable_gauge(gauge, time.time(), label=name)


def connect_task_signals() -> None:
    """Count every Celery task run (the worker, beat-sent tasks, eager runs alike)."""
    from celery import signals

    signals.task_prerun.connect(_on_prerun, weak=False, dispatch_uid="aragora-metrics-prerun")
    signals.task_postrun.connect(_on_postrun, weak=False, dispatch_uid="aragora-metrics-postrun")


def _on_prerun(sender: Any = None, task: Any = None, **kwargs: Any) -> None:
    task_started(task or sender)


def _on_postrun(sender: Any = None, task: Any = None, state: str | None = None, **_: Any) -> None:
    task_finished(task or sender, state)
