"""The ``/accounts/privacy/`` page (API.md "Browser pages"): consents (PRIV-1) and the
"Do Not Sell or Share" switch (PRIV-2) as CSRF-protected forms, no script. Export and account
deletion (PRIV-3, PRIV-4) join it later."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from accounts.models import User
from aragora.http.client_ip import client_info
from aragora.ratelimit import rate_limit
from privacy import purposes, selectors, services

CHOICES = {"true": True, "false": False}  # strict: anything else is refused


@never_cache
@login_required
@rate_limit("default")  # the one gate, like the API twin: a blocked user is refused (RATE-4)
@require_http_methods(["GET", "POST"])
def privacy_page(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        error = _change(request)
        if error is None:
            return redirect("privacy:page")
        return _render(request, error, status=400)
    return _render(request, None)


def _me(request: HttpRequest) -> User:
    user = request.user
    if not isinstance(user, User):  # login_required let only a signed-in user through
        raise PermissionDenied
    return user


def _change(request: HttpRequest) -> str | None:
    """Apply one form's change; return an error message when the form is not one of ours."""
    value = CHOICES.get(request.POST.get("value", ""))
    if value is None:
        return "Choose on or off."
    action = request.POST.get("action")
    if action == "do_not_sell":
        services.set_do_not_sell(user=_me(request), enabled=value, client=client_info(request))
        messages.success(request, "Your Do Not Sell or Share choice is saved.")
        return None
    purpose = purposes.get(request.POST.get("purpose", "")) if action == "consent" else None
    if purpose is None:
        return "Unknown choice."
    services.set_consent(
        user=_me(request), purpose=purpose, granted=value, client=client_info(request)
    )
    messages.success(request, "Your consent choice is saved.")
    return None


def _render(request: HttpRequest, error: str | None, status: int = 200) -> HttpResponse:
    context = {
        "consents": selectors.consents(_me(request)),
        "do_not_sell": selectors.do_not_sell(_me(request)),
        "error": error,
    }
    return render(request, "privacy/privacy.html", context, status=status)
