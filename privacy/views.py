"""The ``/accounts/privacy/`` page (API.md "Browser pages"): consents (PRIV-1) and the
"Do Not Sell or Share" switch (PRIV-2) as CSRF-protected forms, no script; the user's data
exports (PRIV-3: the form and the download are ``privacy.export_pages``); its "Delete account"
section leads to ``/accounts/privacy/delete/`` (PRIV-4): the step-up gate first (a fresh code
for MFA users, like every sensitive page), then the password and a confirmation; the browser
is then signed out and sees ``/accounts/privacy/deleted/``."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from accounts.lockout.responses import locked_out_response
from accounts.lockout.service import LockedOut
from accounts.mfa_pages import require_fresh_mfa
from accounts.middleware import SESSION_ID_KEY
from accounts.models import User
from aragora.http.client_ip import client_info
from aragora.ratelimit import rate_limit
from privacy import erasure, purposes, selectors, services
from privacy.forms import DeleteAccountForm

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
        "exports": selectors.recent_exports(_me(request)),
        "export_ttl_days": settings.EXPORT_TTL_DAYS,
        "error": error,
    }
    return render(request, "privacy/privacy.html", context, status=status)


@never_cache
@login_required
@rate_limit("default")  # like its API twin, POST /api/v1/privacy/erasure
@require_http_methods(["GET", "POST"])
def delete_account_page(request: HttpRequest) -> HttpResponse:
    """PRIV-4: erase the account. The one step-up gate first (MFA users confirm a fresh code
    on the step-up page and come back here; roles that must enrol are sent to enrol), then the
    password (under the lockout, LOCK-1) and a ticked confirmation."""
    gate = require_fresh_mfa(request)
    if gate is not None:
        return gate
    form = DeleteAccountForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            erasure.erase_account(
                user=_me(request),
                password=form.cleaned_data["password"],
                client=client_info(request),
            )
        except LockedOut as exc:  # the password is guarded like a login (LOCK-1)
            return locked_out_response(request, exc.retry_after)
        except ValidationError:
            form.add_error("password", "The password is not correct.")
        except erasure.LastAdmin:
            form.add_error(None, erasure.LastAdmin.message)
            status = 409
        else:
            return _signed_out_after_erasure(request)
    if form.errors and status == 200:
        status = 400
    return render(request, "privacy/delete_account.html", {"form": form}, status=status)


def _signed_out_after_erasure(request: HttpRequest) -> HttpResponse:
    """The account is gone: sign this browser out (its session record went with the account)
    and show the confirmation."""
    request.session.pop(SESSION_ID_KEY, None)
    logout(request)
    response = redirect("privacy:deleted")
    response["Clear-Site-Data"] = '"cookies", "storage"'
    return response


@never_cache
@require_http_methods(["GET"])
def account_deleted_page(request: HttpRequest) -> HttpResponse:
    """Where the browser lands after erasure; says nothing about any account."""
    return render(request, "privacy/account_deleted.html")
