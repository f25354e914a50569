"""The export part of ``/accounts/privacy/`` (PRIV-3): a CSRF-protected form that asks for an
archive, and its download for the owner. No script: the page lists the exports and their
status; a reload shows when one is ready."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from accounts.api_helpers import signed_in_user
from aragora.http.client_ip import client_info
from aragora.ratelimit import rate_limit
from privacy import exports, tasks
from privacy.responses import archive_response


def _back() -> HttpResponse:
    return redirect(reverse("privacy:page") + "#exports")


@never_cache
@login_required
@rate_limit("export")  # the API twin's policy, through the same gate (RATE-1, RATE-4)
@require_POST
def request_export(request: HttpRequest) -> HttpResponse:
    try:
        export = exports.request_export(user=signed_in_user(request), client=client_info(request))
    except exports.ExportInProgress:
        messages.error(request, "An export is already being prepared; wait for it to finish.")
        return _back()
    tasks.start(export)
    messages.success(request, "Your export is being prepared. Reload this page to see it.")
    return _back()


@never_cache
@login_required
@rate_limit("default", methods=("GET",))  # like the download API
@require_GET
def download_export(request: HttpRequest, export_id: str) -> HttpResponseBase:
    opened = exports.open_download(
        user=signed_in_user(request), export_id=export_id, client=client_info(request)
    )
    if opened is None:  # someone else's, unknown, malformed, not ready or expired: alike
        raise Http404
    return archive_response(*opened)
