"""Debate pages: list and create, read with attachments and sources. Text is always escaped
(Django's autoescape; no formatting is rendered), so user input is shown, never run."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from accounts.api_helpers import signed_in_user
from aragora.http.client_ip import client_info
from aragora.ratelimit import rate_limit
from debates import selectors, services, uploads
from debates.fetch import FetchRefused
from debates.forms import AttachmentForm, DebateForm, SourceForm
from debates.models import Debate


@login_required
@rate_limit("debates")
@require_http_methods(["GET", "POST"])
def debate_list_page(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    if not user.has_perm("debates.view_debate"):
        raise PermissionDenied
    form = DebateForm(request.POST or None)
    if request.method == "POST":
        if not user.has_perm("debates.add_debate"):
            raise PermissionDenied
        if form.is_valid():
            debate = services.create_debate(owner=user, **form.cleaned_data)
            return redirect("debates:detail", debate_id=debate.pk)
    debates = selectors.visible_debates(user)[:100]
    return render(
        request,
        "debates/list.html",
        {"debates": debates, "form": form},
        status=400 if form.errors else 200,
    )


def _has_file(request: HttpRequest) -> bool:
    return bool(request.FILES.get("file"))


@login_required
# The policies of the API twins (RATE-2, RATE-4): uploads count as ``upload``, sources ``default``.
@rate_limit("upload", when=_has_file)
@rate_limit("default", when=lambda request: not _has_file(request))
@require_http_methods(["GET", "POST"])
def debate_detail_page(request: HttpRequest, debate_id: int) -> HttpResponse:
    user = signed_in_user(request)
    debate = selectors.visible_debate(user, debate_id)
    if debate is None:
        raise Http404
    services.read_debate(debate=debate, reader=user, client=client_info(request))
    if request.method == "POST":
        return _post(request, debate)
    return render(
        request,
        "debates/detail.html",
        {
            "debate": debate,
            "attachments": debate.attachments.all(),
            "sources": debate.sources.all(),
            "source_form": SourceForm(),
            "attachment_form": AttachmentForm(),
            "is_owner": debate.owner_id == user.pk,
        },
    )


def _post(request: HttpRequest, debate: Debate) -> HttpResponse:
    user = signed_in_user(request)
    if debate.owner_id != user.pk:
        raise Http404
    try:
        if "url" in request.POST:
            form = SourceForm(request.POST)
            if form.is_valid():
                services.add_source(debate=debate, url=form.cleaned_data["url"])
                messages.success(request, "Source added.")
        elif request.FILES.get("file"):
            services.attach(debate=debate, upload=request.FILES["file"], uploader=user)
            messages.success(request, "File attached.")
    except (FetchRefused, uploads.UploadRefused) as exc:
        messages.error(request, str(exc))
    return redirect("debates:detail", debate_id=debate.pk)
