"""Browser pages for signing in and managing sessions (server-rendered, CSRF-protected)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from accounts import selectors
from accounts.api_helpers import signed_in_user
from accounts.forms import LoginForm, PasswordChangeForm, SignupForm, TokenForm
from accounts.lockout.responses import locked_out_response
from accounts.lockout.service import LockedOut
from accounts.mfa_pages import BACKEND, CHALLENGE_KEY, NEXT_KEY, require_fresh_mfa
from accounts.middleware import PASSWORD_CHANGE_FLAG, SESSION_ID_KEY
from accounts.models import EndReason
from accounts.redirects import next_from, with_next
from accounts.services import api_tokens, auth, mfa
from accounts.services.sessions import end_other_sessions, end_session
from aragora.http.client_ip import client_info
from aragora.ratelimit import rate_limit


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def admin_login_redirect(request: HttpRequest) -> HttpResponse:
    """``/admin/login/``: the Django admin signs in through ``/accounts/login/`` (MFA-5, issue #10
    item 1), so it passes the same gates (lockout, rate limit, audit, the code step). Nothing
    posted here is checked: a password sent to this address verifies nothing and signs no one
    in. Staff then meet the admin gate (``AdminMFAMiddleware``)."""
    return redirect(with_next("accounts:login", next_from(request, reverse("admin:index"))))


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def admin_password_change_redirect(request: HttpRequest) -> HttpResponse:
    """``/admin/password_change/``: Django's own form would change the password with no session
    end, no API token revocation and no audit (SESS-2, #10 item 4); staff change theirs on
    ``/accounts/password/change/`` like everyone. Nothing posted here is used."""
    return redirect("accounts:password-change")


@never_cache
@rate_limit("auth")
@require_http_methods(["GET", "POST"])
def login_page(request: HttpRequest) -> HttpResponse:
    form = LoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = auth.check_credentials(
                request=request,
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password"],
            )
        except LockedOut as exc:
            return locked_out_response(request, exc.retry_after)
        if user is not None and selectors.has_mfa(user):  # MFA-5: a code comes next
            auth.release_login(request)
            request.session[CHALLENGE_KEY] = mfa.begin_challenge(user=user, transport="browser")
            request.session[NEXT_KEY] = next_from(request)
            return redirect("accounts:login-mfa")
        if user is not None:
            login(request, user)  # new session key (SESS-5); the session record follows
            if user.password_expired:
                request.session[PASSWORD_CHANGE_FLAG] = True
                messages.warning(request, "Your password has expired. Choose a new one.")
                return redirect("accounts:password-change")
            return redirect(next_from(request))
        form.add_error(None, "Invalid email or password.")
    status = 400 if form.errors else 200
    return render(
        request, "accounts/login.html", {"form": form, "next": next_from(request)}, status=status
    )


@require_POST
def logout_page(request: HttpRequest) -> HttpResponse:
    logout(request)  # ends the session record through the user_logged_out adapter
    response = redirect("accounts:login")
    response["Clear-Site-Data"] = '"cookies", "storage"'
    return response


@never_cache
@rate_limit("auth")
@require_http_methods(["GET", "POST"])
def signup_page(request: HttpRequest) -> HttpResponse:
    if not settings.ALLOW_SIGNUP:
        raise Http404
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = auth.register_user(
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password1"],
                client=client_info(request),
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                for error in errors:
                    form.add_error("password1" if field == "password" else field, error)
        else:
            login(request, user, backend=BACKEND)
            messages.success(request, "Welcome to Aragora.")
            return redirect(settings.LOGIN_REDIRECT_URL)
    return render(
        request, "accounts/signup.html", {"form": form}, status=400 if form.errors else 200
    )


@never_cache
@login_required
@rate_limit("default")  # the one gate, like the API twin: a blocked user is refused (RATE-4)
@require_http_methods(["GET", "POST"])
def password_change_page(request: HttpRequest) -> HttpResponse:
    gate = require_fresh_mfa(request)
    if gate is not None:
        return gate
    form = PasswordChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = signed_in_user(request)
        try:
            changed = auth.change_password(
                user=user,
                client=client_info(request),
                current_password=form.cleaned_data["current_password"],
                new_password=form.cleaned_data["new_password"],
                keep_session_id=request.session.get(SESSION_ID_KEY),
            )
        except LockedOut as exc:  # the current password is guarded like a login (LOCK-1)
            return locked_out_response(request, exc.retry_after)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                for error in errors:
                    form.add_error(field, error)
        else:
            update_session_auth_hash(request, user)
            request.session.pop(PASSWORD_CHANGE_FLAG, None)
            auth.rebind_browser_session(
                request.session.get(SESSION_ID_KEY), request.session.session_key
            )
            messages.success(
                request,
                "Password changed. Your other sessions were signed out and "
                f"{changed.tokens_revoked} API token(s) revoked.",
            )
            return redirect("accounts:sessions")
    return render(
        request, "accounts/password_change.html", {"form": form}, status=400 if form.errors else 200
    )


@never_cache
@login_required
@rate_limit("default")  # the one gate, like the API twin: a blocked user is refused (RATE-4)
@require_http_methods(["GET", "POST"])
def sessions_page(request: HttpRequest) -> HttpResponse:
    current = request.session.get(SESSION_ID_KEY)
    if request.method == "POST":
        _end_from_page(request, current)
        return redirect("accounts:sessions")
    sessions = selectors.active_sessions(signed_in_user(request))
    return render(request, "accounts/sessions.html", {"sessions": sessions, "current": current})


def _end_from_page(request: HttpRequest, current: str | None) -> None:
    user = signed_in_user(request)
    if request.POST.get("action") == "others":
        ended = end_other_sessions(user=user, keep_session_id=current, client=client_info(request))
        messages.success(
            request,
            f"Signed out {ended.sessions} other session(s); revoked {ended.tokens} API token(s).",
        )
        return
    session_id = request.POST.get("session_id")
    try:
        session = selectors.active_session(user, session_id) if session_id else None
    except ValidationError:
        session = None
    if session is None or str(session.pk) == current:
        messages.error(request, "That session cannot be ended here.")
        return
    end_session(session=session, reason=EndReason.REVOKED, client=client_info(request))
    messages.success(request, "Session ended.")


@never_cache
@login_required
@rate_limit("default")  # the one gate, like the API twin: a blocked user is refused (RATE-4)
@require_http_methods(["GET", "POST"])
def tokens_page(request: HttpRequest) -> HttpResponse:
    """Create (secret shown once), list and revoke personal API tokens.

    Creating one is a sensitive operation (MFA-6, #10 item 4): MFA users need a fresh code,
    roles that must enrol must have enrolled, and users without MFA confirm their password.
    """
    user = signed_in_user(request)
    if request.method == "POST" and "revoke" in request.POST:
        token = selectors.listed_token(user, request.POST["revoke"])
        if token is not None:
            api_tokens.revoke_token(token=token, actor=user, client=client_info(request))
            messages.success(request, "Token revoked.")
        return redirect("accounts:tokens")
    creating = request.method == "POST" and "name" in request.POST
    if creating:
        gate = require_fresh_mfa(request)
        if gate is not None:
            return gate
    form = _token_form(request, request.POST if creating else None)
    created = None
    if creating and form.is_valid():
        try:
            created = _create_token_from_page(request, form)
        except LockedOut as exc:
            return locked_out_response(request, exc.retry_after)
        if created is not None:
            form = _token_form(request, None)
    tokens = selectors.listed_tokens(user)
    return render(
        request,
        "accounts/tokens.html",
        {"tokens": tokens, "form": form, "created": created},
        status=400 if form.errors else 200,
    )


def _token_form(request: HttpRequest, data: object) -> TokenForm:
    """The new-token form; it asks for the password when a user without MFA has no fresh
    step-up in this session."""
    user = signed_in_user(request)
    fresh = selectors.step_up_fresh(request.session.get(SESSION_ID_KEY), user)
    ask = not selectors.has_mfa(user) and not fresh
    return TokenForm(data, allowed=api_tokens.allowed_scopes(user), ask_password=ask)


def _create_token_from_page(request: HttpRequest, form: TokenForm) -> str | None:
    """The new token's secret, or None with the reasons added to ``form``."""
    data = form.cleaned_data
    user = signed_in_user(request)
    if "password" in form.fields:
        if not auth.confirm_password(user=user, password=data["password"], request=request):
            form.add_error("password", "The password is not correct.")
            return None
        mfa.mark_step_up(request.session.get(SESSION_ID_KEY))
    try:
        return api_tokens.create_token(
            user=user,
            name=data["name"],
            scopes=data["scopes"],
            expires_in_days=data.get("expires_in_days"),
            never_expires=bool(data.get("never_expires")),
            client=client_info(request),
        ).secret
    except ValidationError as exc:
        for field, errors in exc.message_dict.items():
            for error in errors:
                form.add_error(field if field in form.fields else None, error)
    except DjangoPermissionDenied as exc:
        form.add_error("scopes", str(exc))
    return None
