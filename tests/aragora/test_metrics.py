"""OPS-1 (#15): ``GET /metrics`` in the Prometheus text format, for allowed IPs and admin-scope
API tokens only (404 for everyone else), and counters that move with real security events."""

from __future__ import annotations

import re

import pytest
from django.test import RequestFactory
from prometheus_client.parser import text_string_to_metric_families

from accounts.models import Scope
from accounts.services.api_tokens import create_token
from aragora import metrics
from aragora.http.client_ip import client_info
from aragora.models import RecordedGauge
from aragora.permissions import METRICS_TOKEN_SCOPE
from audit.events import EventType
from tests.factories import PASSWORD, UserFactory
from tests.helpers import Api, enrol_mfa, error_code

pytestmark = pytest.mark.django_db
SCRAPER = "10.20.30.40"  # in the allowlist below
OUTSIDER = "198.51.100.77"
WRONG = "Wrong-Password-123"
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


@pytest.fixture(autouse=True)
def allowlist(settings):
    settings.METRICS_ALLOWED_IPS = ["10.20.30.0/24", "2001:db8:5::/48"]


def scrape(ip: str = SCRAPER) -> Samples:
    """Every sample /metrics serves to ``ip``, parsed by prometheus-client's own parser."""
    response = Api(REMOTE_ADDR=ip).get("/metrics")
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    samples: Samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return samples


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def admin_token(scopes: list[str]) -> str:
    owner = UserFactory(roles=["admin"])
    request = RequestFactory().post("/api/v1/tokens")
    created = create_token(
        user=owner,
        name="prometheus",
        scopes=scopes,
        expires_in_days=30,
        client=client_info(request),
    )
    return created.secret


# --- Who may read it ---------------------------------------------------------------------------


def test_an_allowed_ip_reads_the_metrics_and_they_parse():
    response = Api(REMOTE_ADDR=SCRAPER).get("/metrics")
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    samples = scrape()
    assert value(samples, "aragora_logins_total", outcome="invalid_credentials") >= 0
    assert ("aragora_logins_total", frozenset({("outcome", "success")})) in samples


def test_a_client_outside_the_allowlist_gets_the_sites_plain_404():
    refused = Api(REMOTE_ADDR=OUTSIDER).get("/metrics")
    unknown = Api(REMOTE_ADDR=OUTSIDER).get("/no-such-page")
    assert refused.status_code == 404
    assert refused.content == unknown.content  # nothing tells the two apart
    assert "Allow" not in refused and "WWW-Authenticate" not in refused
    assert b"aragora_" not in refused.content


def test_an_ipv6_scraper_inside_an_allowed_network_reads_them():
    assert Api(REMOTE_ADDR="2001:db8:5:1::9").get("/metrics").status_code == 200
    assert Api(REMOTE_ADDR="2001:db8:6::9").get("/metrics").status_code == 404


def test_the_allowlist_applies_to_the_client_ip_behind_a_trusted_proxy(settings):
    settings.TRUSTED_PROXIES = ["192.0.2.1"]
    via_proxy = Api(REMOTE_ADDR="192.0.2.1", HTTP_X_FORWARDED_FOR=SCRAPER).get("/metrics")
    assert via_proxy.status_code == 200
    outsider = Api(REMOTE_ADDR="192.0.2.1", HTTP_X_FORWARDED_FOR=OUTSIDER).get("/metrics")
    assert outsider.status_code == 404
    forged = Api(REMOTE_ADDR=OUTSIDER, HTTP_X_FORWARDED_FOR=SCRAPER).get("/metrics")
    assert forged.status_code == 404  # an untrusted peer's header is dropped (LOCK-6)


def test_an_admin_scope_token_reads_them_from_anywhere():
    token = admin_token([Scope.ADMIN])
    response = Api(token, REMOTE_ADDR=OUTSIDER).get("/metrics")
    assert response.status_code == 200
    assert b"aragora_logins_total" in response.content


def test_a_token_without_the_admin_scope_is_refused_with_404():
    token = admin_token([Scope.AUDIT_READ, Scope.DEBATES_READ])
    assert Api(token, REMOTE_ADDR=OUTSIDER).get("/metrics").status_code == 404


def test_an_admin_scope_token_of_a_demoted_owner_is_refused():
    token = admin_token([Scope.ADMIN])
    from accounts.models import ApiToken

    owner = ApiToken.objects.get().user
    owner.groups.clear()
    assert Api(token, REMOTE_ADDR=OUTSIDER).get("/metrics").status_code == 404


def test_an_unknown_token_is_404_but_still_counts_as_a_failed_authentication():
    response = Api("arg_nosuch.secret", REMOTE_ADDR=OUTSIDER).get("/metrics")
    assert response.status_code == 404
    assert response["X-RateLimit-Remaining"]  # counted per IP like any failed credential


def test_an_admins_session_or_jwt_is_not_enough():
    admin = UserFactory(roles=["admin"])
    api = Api(REMOTE_ADDR=OUTSIDER)
    api.as_user(admin.email)
    assert api.get("/metrics").status_code == 404


def test_no_token_setting_denies_every_token(settings):
    settings.METRICS_TOKEN_PERMISSION_CLASSES = []
    token = admin_token([Scope.ADMIN])
    assert Api(token, REMOTE_ADDR=OUTSIDER).get("/metrics").status_code == 404


def test_the_scope_constant_is_accounts_admin_scope():
    assert METRICS_TOKEN_SCOPE == Scope.ADMIN


def test_other_methods_are_405_and_metrics_are_not_in_the_openapi_schema():
    assert Api(REMOTE_ADDR=SCRAPER).post("/metrics").status_code == 405
    schema = Api().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert "/metrics" not in schema.content.decode()


def test_a_scrape_every_15_seconds_stays_far_inside_the_default_rate(settings):
    """The view is under the default policy like any call; two Prometheus servers scraping
    every 15 s send 8 a minute from one IP: all answered, most of the budget left. (The
    window is an hour here, the same count, so the test never straddles a minute's edge.)"""
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "default": "100/h"}
    api = Api(REMOTE_ADDR=SCRAPER)
    responses = [api.get("/metrics") for _ in range(8)]
    assert [r.status_code for r in responses] == [200] * 8
    assert responses[-1]["X-RateLimit-Limit"] == "100"
    assert int(responses[-1]["X-RateLimit-Remaining"]) == 92


def test_metrics_are_rate_limited_like_any_call(settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "default": "3/h"}
    api = Api(REMOTE_ADDR=SCRAPER)
    statuses = [api.get("/metrics").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]


# --- Counters that move with real events ------------------------------------------------------


def test_a_failed_login_counts(user):
    before = scrape()
    response = Api().post("/api/v1/auth/login", {"email": user.email, "password": WRONG})
    assert response.status_code == 401
    after = scrape()
    name = "aragora_logins_total"
    assert value(after, name, outcome="invalid_credentials") == (
        value(before, name, outcome="invalid_credentials") + 1
    )
    assert value(after, name, outcome="success") == value(before, name, outcome="success")
    audited = ("aragora_audit_events_total", frozenset({("type", EventType.LOGIN_FAILED.value)}))
    assert after[audited] == before.get(audited, 0) + 1


def test_a_successful_login_and_an_mfa_step_count(user):
    before = scrape()
    Api().login(user.email)
    enrol_mfa(user)
    first = Api().login(user.email)
    assert first["mfa_required"] is True
    code_step = {"mfa_token": first["mfa_token"], "code": "000000"}
    wrong = Api().post("/api/v1/auth/mfa/verify", code_step)
    assert wrong.status_code in {400, 401}
    after = scrape()
    name = "aragora_logins_total"
    assert value(after, name, outcome="success") == value(before, name, outcome="success") + 1
    assert value(after, name, outcome="mfa_required") == (
        value(before, name, outcome="mfa_required") + 1
    )
    mfa = "aragora_mfa_failures_total"
    assert value(after, mfa) == value(before, mfa) + 1


def test_a_lockout_counts(settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "auth": "10000/h", "default": "10000/h"}
    user = UserFactory()
    before = scrape()
    api = Api(REMOTE_ADDR="198.51.100.20")
    statuses = [
        api.post("/api/v1/auth/login", {"email": user.email, "password": WRONG}).status_code
        for _ in range(6)
    ]
    assert statuses == [401] * 5 + [429]
    after = scrape()
    locks = "aragora_lockouts_total"
    assert value(after, locks, key_type="email") == value(before, locks, key_type="email") + 1
    logins = "aragora_logins_total"
    assert value(after, logins, outcome="locked_out") == (
        value(before, logins, outcome="locked_out") + 1
    )


def test_a_rate_limit_refusal_counts_by_policy(settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "auth": "2/h"}
    before = scrape()
    api = Api(REMOTE_ADDR="198.51.100.30")
    body = {"email": "nobody@example.com", "password": WRONG}
    statuses = [api.post("/api/v1/auth/login", body).status_code for _ in range(5)]
    assert statuses == [401, 401, 429, 429, 429]
    after = scrape()
    name = "aragora_rate_limit_refusals_total"
    assert value(after, name, policy="auth", reason="limit") == (
        value(before, name, policy="auth", reason="limit") + 3
    )


def test_revocations_count(user):
    before = scrape()
    api = Api()
    api.as_user(user.email)
    assert api.post("/api/v1/auth/logout").status_code == 204
    token = admin_token([Scope.ADMIN])
    from accounts.models import ApiToken
    from accounts.services.api_tokens import revoke_token

    stored = ApiToken.objects.get(public_id=token.removeprefix("arg_").split(".")[0])
    assert revoke_token(token=stored, actor=stored.user, client=None)
    after = scrape()
    name = "aragora_revocations_total"
    assert value(after, name, kind="session") == value(before, name, kind="session") + 1
    assert value(after, name, kind="api_token") == value(before, name, kind="api_token") + 1


def test_a_rejected_request_counts():
    before = scrape()
    response = Api().client.post("/api/v1/auth/login", "{not json", content_type="application/json")
    assert response.status_code == 400 and error_code(response) == "invalid_json"
    after = scrape()
    name = "aragora_requests_rejected_total"
    assert value(after, name, code="invalid_json") == value(before, name, code="invalid_json") + 1


def test_request_latency_is_labelled_by_view_never_by_path(user):
    Api().get("/debates/123456789/")
    Api().get("/healthz")
    Api().get("/no/such/path/42")
    samples = scrape()
    labels = {dict(k[1]).get("view") for k in samples if k[0].startswith("aragora_http_")}
    assert "healthz" in labels and "unmatched" in labels
    assert any(label and label.startswith("debates:") for label in labels)
    assert not any(label and re.search(r"\d{3}", label) for label in labels)
    count = value(
        samples, "aragora_http_request_duration_seconds_count", view="healthz", method="GET"
    )
    assert count >= 1
    ok = value(samples, "aragora_http_responses_total", view="healthz", method="GET", status="200")
    assert ok >= 1


def test_no_label_carries_an_ip_an_email_or_a_user_id(user, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "auth": "1/h"}
    api = Api(REMOTE_ADDR="198.51.100.99")
    for _ in range(3):
        api.post("/api/v1/auth/login", {"email": user.email, "password": WRONG})
    Api().login(user.email)
    text = Api(REMOTE_ADDR=SCRAPER).get("/metrics").content.decode()
    label_values = re.findall(r'="([^"]*)"', text)
    assert label_values
    for label in label_values:
        assert "@" not in label and "198.51.100" not in label and SCRAPER not in label
        assert not re.fullmatch(r"\d+", label) or label in {str(c) for c in range(100, 600)}
    assert user.email not in text and PASSWORD not in text


def test_an_unexpected_label_value_becomes_other():
    before = scrape()
    metrics.count_login("'; DROP TABLE users; --")
    metrics.count_rate_limit_refusal("made-up", "blocked")
    after = scrape()
    name = "aragora_logins_total"
    assert value(after, name, outcome="other") == value(before, name, outcome="other") + 1
    refusals = "aragora_rate_limit_refusals_total"
    assert value(after, refusals, policy="other", reason="blocked") == (
        value(before, refusals, policy="other", reason="blocked") + 1
    )


def test_the_event_codes_the_hook_maps_are_audit_event_types():
    assert {e.value for e in EventType} >= metrics.OBSERVED_EVENTS


# --- Gauges of periodic jobs (kept in the database) --------------------------------------------


def test_a_task_run_sets_its_last_success_timestamp_and_counts():
    from audit.tasks import purge_audit_trail

    before = scrape()
    purge_audit_trail.apply()  # run here as a worker runs it: Celery's signals fire
    after = scrape()
    task = "audit.tasks.purge_audit_trail"
    assert value(after, "aragora_task_last_success_timestamp_seconds", task=task) > 1.7e9
    tasks = "aragora_celery_tasks_total"
    assert value(after, tasks, task=task, outcome="success") == (
        value(before, tasks, task=task, outcome="success") + 1
    )


def test_a_failing_task_sets_its_last_failure_timestamp(monkeypatch):
    from audit import retention
    from audit.tasks import purge_audit_trail

    def broken() -> dict[str, int]:
        raise RuntimeError("disk full")

    monkeypatch.setattr(retention, "purge_audit_trail", broken)
    before = scrape()
    # As a worker runs it: the error is kept in the result, not raised into the caller (an
    # eager run that propagates raises before Celery sends any signal).
    result = purge_audit_trail.apply(throw=False)
    assert isinstance(result.result, RuntimeError)
    after = scrape()
    task = "audit.tasks.purge_audit_trail"
    assert value(after, "aragora_task_last_failure_timestamp_seconds", task=task) > 1.7e9
    tasks = "aragora_celery_tasks_total"
    assert value(after, tasks, task=task, outcome="failure") == (
        value(before, tasks, task=task, outcome="failure") + 1
    )


def test_the_audit_verification_sets_its_gauges(user):
    from django.core.management import call_command

    from audit.models import AuditEvent
    from audit.tasks import verify_audit_trail

    Api().login(user.email)
    result = verify_audit_trail.apply().get()
    assert result["ok"] is True
    samples = scrape()
    assert value(samples, "aragora_audit_verification_ok") == 1.0
    assert value(samples, "aragora_audit_verification_checked_events") == result["checked"] > 0
    # Tamper with an event, as an intruder with database access would (through the trigger's
    # erasure door on PostgreSQL, as tests/audit/test_integrity.py does).
    from audit import integrity

    with integrity.erasure_scope():
        first = AuditEvent.objects.order_by("id").first()
        assert first is not None
        AuditEvent.objects.filter(pk=first.pk).update(data={"forged": True})
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("verify_audit")
    assert value(scrape(), "aragora_audit_verification_ok") == 0.0


def test_recorded_gauges_accept_only_declared_names():
    with pytest.raises(ValueError):
        metrics.set_durable_gauge("aragora_anything_goes", 1.0)
    assert not RecordedGauge.objects.filter(name="aragora_anything_goes").exists()


def test_the_alerting_rules_and_the_dashboard_name_only_metrics_we_serve():
    """A renamed metric must not leave an alert that can never fire (rules.yml) or an empty
    panel (the Grafana dashboard)."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    exposition = Api(REMOTE_ADDR=SCRAPER).get("/metrics").content.decode()
    suffixes = {"counter": ["_total"], "gauge": [""], "histogram": ["_bucket", "_count", "_sum"]}
    served = {
        family.name + suffix
        for family in text_string_to_metric_families(exposition)
        for suffix in suffixes[family.type]
    }
    for document in ("deploy/prometheus/rules.yml", "deploy/grafana/aragora.json"):
        text = (root / document).read_text()
        named = set(re.findall(r"\baragora_[a-z_]+", text))
        assert named, document
        assert named <= served, (document, sorted(named - served))


def test_a_broken_metric_never_fails_the_request(user, monkeypatch):
    def broken(**labels: str):  # type: ignore[no-untyped-def]
        raise RuntimeError("metrics store gone")

    monkeypatch.setattr(metrics.LOGINS, "labels", broken)
    monkeypatch.setattr(metrics.RESPONSES, "labels", broken)
    pair = Api().login(user.email)  # audited, counted (and failing to count): still signed in
    assert pair["access"]
    refused = Api().post("/api/v1/auth/login", {"email": user.email, "password": WRONG})
    assert refused.status_code == 401
