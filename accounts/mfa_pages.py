"""MFA pages: the login code step, enrolment and management, and step-up (MFA-5, MFA-6)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login

from accounts import selectors
from accounts.api_helpers import signed_in_user
from accounts.forms import CodeForm, PasswordForm
from accounts.lockout.responses import locked_out_response
from accounts.lockout.service import LockedOut
from accounts.middleware import SESSION_ID_KEY
from accounts.models import User
from accounts.redirects import next_from, safe_next, to_gate
from accounts.services import mfa, stepup
from aragora.http.client_ip import client_info
from aragora.ratelimit import rate_limit

# The backend a login names when no password was just checked by ``authenticate()`` (the code
# step, a new account): the pages share this one name.
BACKEND = "django.contrib.auth.backends.ModelBackend"
CHALLENGE_KEY = "aragora_mfa_challenge"
NEXT_KEY = "aragora_mfa_next"


GATE_MESSAGES = {
    stepup.Gate.ENROL: "Your role requires two-factor authentication. Set it up first.",
    stepup.Gate.STEP_UP: "Confirm it is you with a code first.",
}


def require_fresh_mfa(request: HttpRequest) -> HttpResponse | None:
    """MFA-6 on the pages: the page wrapper of the one step-up gate. None: go ahead; else a
    redirect to enrol or to confirm a code, with this page as the encoded ``next``."""
    user = signed_in_user(request)
    decision = stepup.check(user=user, session_id=request.session.get(SESSION_ID_KEY))
    if decision is stepup.Gate.OK:
        return None
    messages.info(request, GATE_MESSAGES[decision])
    return to_gate(decision, request)


@never_cache
@rate_limit("auth")
@require_http_methods(["GET", "POST"])
def login_mfa_page(request: HttpRequest) -> HttpResponse:
    """Second login step: the code for the challenge the password step left in the session."""
    token = request.session.get(CHALLENGE_KEY)
    if not token:
        return redirect("accounts:login")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            challenge = mfa.open_challenge(token)
            user = mfa.finish_challenge(
                challenge=challenge, code=form.cleaned_data["code"], client=client_info(request)
            )
        except LockedOut as exc:
            return locked_out_response(request, exc.retry_after)
        except mfa.InvalidChallenge:
            request.session.pop(CHALLENGE_KEY, None)
            messages.error(request, "That sign-in expired. Enter your password again.")
            return redirect("accounts:login")
        except mfa.InvalidCode:
            form.add_error("code", "That code is not valid.")
        else:
            target = request.session.pop(NEXT_KEY, None)
            request.session.pop(CHALLENGE_KEY, None)
            login(request, user, backend=BACKEND)
            _mark_verified(request, user)
            return redirect(safe_next(request, target, settings.LOGIN_REDIRECT_URL))
    return render(
        request, "accounts/login_mfa.html", {"form": form}, status=400 if form.errors else 200
    )


def _mark_verified(request: HttpRequest, user: User) -> None:
    """Both marks of a code confirmed in this session: django-otp's device binding (the code
    step of the login was done, issue #10 item 1) and a fresh step-up (MFA-6)."""
    device = selectors.confirmed_device(user)
    if device is not None:
        otp_login(request, device)
    mfa.mark_step_up(request.session.get(SESSION_ID_KEY))


@never_cache
@login_required
@rate_limit("auth")
@require_http_methods(["GET", "POST"])
def step_up_page(request: HttpRequest) -> HttpResponse:
    """A fresh code for sensitive actions and for the Django admin."""
    target = next_from(request, reverse("accounts:mfa"))
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = signed_in_user(request)
        try:
            mfa.verify_code(
                user=user,
                code=form.cleaned_data["code"],
                client=client_info(request),
                completes_login=False,
            )
        except LockedOut as exc:
            return locked_out_response(request, exc.retry_after)
        except mfa.InvalidCode:
            form.add_error("code", "That code is not valid.")
        else:
            _mark_verified(request, user)
            return redirect(target)
    return render(
        request,
        "accounts/step_up.html",
        {"form": form, "next": target},
        status=400 if form.errors else 200,
    )


@never_cache
@login_required
@rate_limit("auth")  # the set-up confirmation takes codes: throttled like the other code forms
@require_http_methods(["GET", "POST"])
def mfa_page(request: HttpRequest) -> HttpResponse:
    """Enrol (QR, manual key, confirm), see backup codes left, regenerate, disable."""
    user = signed_in_user(request)
    action = request.POST.get("action") if request.method == "POST" else None
    context: dict[str, Any] = {
        "enabled": selectors.has_mfa(user),
        "required": selectors.needs_enrolment(user),
        "next": next_from(request, ""),
    }
    try:
        if action == "setup":
            context["setup"] = mfa.begin_setup(user=user, client=client_info(request))
            context["form"] = CodeForm()
        elif action == "confirm":
            return _confirm(request, context)
        elif action in {"regenerate", "disable"}:
            gate = require_fresh_mfa(request)
            if gate is not None:
                return gate
            return _regenerate(request, context) if action == "regenerate" else _disable(request)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("accounts:mfa")
    if context["enabled"]:
        context["backup_codes_left"] = selectors.backup_codes_left(user)
        context["password_form"] = PasswordForm()
    return render(request, "accounts/mfa.html", context)


def _confirm(request: HttpRequest, context: dict[str, Any]) -> HttpResponse:
    form = CodeForm(request.POST)
    if form.is_valid():
        user = signed_in_user(request)
        try:
            codes = mfa.confirm_setup(
                user=user,
                code=form.cleaned_data["code"],
                client=client_info(request),
                session_id=request.session.get(SESSION_ID_KEY),
            )
        except LockedOut as exc:  # wrong codes count toward the lockout (MFA-2, LOCK-1)
            return locked_out_response(request, exc.retry_after)
        except ValidationError:
            messages.error(request, "That code is not valid. Start again and scan the new code.")
            return redirect("accounts:mfa")
        _mark_verified(request, user)
        context = {"codes": codes, "next": context["next"] or reverse("accounts:mfa")}
        return render(request, "accounts/backup_codes.html", context)
    return redirect("accounts:mfa")


def _regenerate(request: HttpRequest, context: dict[str, Any]) -> HttpResponse:
    codes = mfa.regenerate_backup_codes(user=signed_in_user(request), client=client_info(request))
    return render(
        request, "accounts/backup_codes.html", {"codes": codes, "next": reverse("accounts:mfa")}
    )


def _disable(request: HttpRequest) -> HttpResponse:
    form = PasswordForm(request.POST)
    if not form.is_valid():
        raise ValidationError("Enter your password.")
    user = signed_in_user(request)
    try:
        mfa.disable(user=user, password=form.cleaned_data["password"], client=client_info(request))
    except LockedOut as exc:  # the password is guarded like a login (LOCK-1)
        return locked_out_response(request, exc.retry_after)
    messages.success(request, "Two-factor authentication is off.")
    return redirect("accounts:mfa")
