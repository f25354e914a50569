"""PRIV-3 on ``/accounts/privacy/``: "Request an export" is a CSRF-protected form (no script),
the page lists the user's exports with their status and, when ready, a download link that
serves the archive to its owner only; the export rate policy holds here as in the API."""

from __future__ import annotations

import zipfile
from io import BytesIO

import pytest
from django.test import Client

from accounts.models import User
from privacy import exports
from privacy.models import DataExport, ExportStatus
from tests.accounts.test_pages import assert_no_inline_code
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
PAGE = "/accounts/privacy/"
REQUEST = "/accounts/privacy/exports/"


@pytest.fixture(autouse=True)
def _own_export_dir(tmp_path, settings):  # type: ignore[no-untyped-def]
    settings.EXPORT_DIR = str(tmp_path / "exports")


def signed_in(user: User, csrf: bool = False) -> Client:
    client = Client(enforce_csrf_checks=csrf)
    client.force_login(user)
    return client


def test_the_page_offers_the_form_and_works_on_a_phone(user):
    html = signed_in(user).get(PAGE).content.decode()
    assert f'action="{REQUEST}"' in html and "Request an export" in html
    assert 'id="exports"' in html and "No exports yet." in html
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    assert_no_inline_code(html)
    assert "width:" not in html and 'width="' not in html  # no fixed widths


def test_request_list_and_download_through_the_page(user, django_capture_on_commit_callbacks):
    client = signed_in(user, csrf=True)
    token = client.get(PAGE).cookies["csrftoken"].value
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(REQUEST, {"csrfmiddlewaretoken": token})
    assert response.status_code == 302 and response["Location"] == f"{PAGE}#exports"
    export = DataExport.objects.get(user=user)
    assert export.status == ExportStatus.READY
    html = client.get(PAGE).content.decode()
    assert 'data-status="ready"' in html
    link = f"/accounts/privacy/exports/{export.pk}/download"
    assert f'href="{link}"' in html and "being prepared" in html  # the success message
    download = client.get(link)
    assert download.status_code == 200 and "no-store" in download["Cache-Control"]
    assert download["Content-Disposition"].startswith("attachment;")
    archive = zipfile.ZipFile(BytesIO(b"".join(download.streaming_content)))
    assert "profile.json" in archive.namelist() and user.email.encode() in archive.read(
        "profile.json"
    )


def test_statuses_other_than_ready_show_no_link(user):
    for status in (ExportStatus.FAILED, ExportStatus.EXPIRED, ExportStatus.PENDING):
        exports.request_export(user=user)
        DataExport.objects.filter(user=user, status=ExportStatus.PENDING).update(status=status)
    html = signed_in(user).get(PAGE).content.decode()
    for status in ("failed", "expired", "pending"):
        assert f'data-status="{status}"' in html
    assert "/download" not in html


def test_a_post_without_the_csrf_token_is_refused(user):
    assert signed_in(user, csrf=True).post(REQUEST).status_code == 403
    assert not DataExport.objects.exists()


def test_a_second_request_in_flight_says_so_and_starts_nothing(user):
    client = signed_in(user)
    assert client.post(REQUEST).status_code == 302  # pending: no commit in this test
    response = client.post(REQUEST, follow=True)
    assert "already being prepared" in response.content.decode()
    assert DataExport.objects.filter(user=user).count() == 1


def test_the_page_requests_count_against_the_export_policy(user, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "export": "1/h"}
    client = signed_in(user)
    assert client.post(REQUEST).status_code == 302
    DataExport.objects.update(status=ExportStatus.FAILED)
    refused = client.post(REQUEST)
    assert refused.status_code == 429 and refused["X-RateLimit-Limit"] == "1"
    assert DataExport.objects.count() == 1


def test_someone_elses_or_a_bad_id_is_404_on_the_page_download(
    user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        export = exports.request_export(user=user)
        from privacy import tasks

        tasks.start(export)
    stranger = signed_in(UserFactory())
    for export_id in (str(export.pk), "nope", "0" * 300):
        response = stranger.get(f"/accounts/privacy/exports/{export_id}/download")
        assert response.status_code == 404
    assert signed_in(user).get(f"/accounts/privacy/exports/{export.pk}/download").status_code == 200


def test_the_request_url_takes_only_post_and_the_download_only_get(user):
    client = signed_in(user)
    assert client.get(REQUEST).status_code == 405
    assert client.post("/accounts/privacy/exports/x/download").status_code == 405


def test_anonymous_visitors_are_sent_to_log_in():
    response = Client().post(REQUEST)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
