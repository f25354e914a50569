"""One step-up gate (MFA-6, AUTHZ-3): may this user, in this session, do a sensitive thing now?

Every caller asks ``check`` and maps its answer with a thin wrapper: the DRF permission
(``accounts.permissions.FreshMFA``), the pages (``accounts.mfa_pages.require_fresh_mfa``), the
Django admin (``accounts.middleware.AdminMFAMiddleware``) and the admin's MFA-reset action.
"Fresh" has one meaning everywhere: a code confirmed in this session within
``ARAGORA_STEP_UP_MAX_AGE`` seconds (``UserSession.step_up_at``). django-otp's per-session
``is_verified()`` never expires, so it only says that the login's code step was done in this
session (``passed_second_factor``), never that a sensitive operation may go ahead.
"""

from __future__ import annotations

from enum import StrEnum

from accounts import selectors
from accounts.models import User


class Gate(StrEnum):
    OK = "ok"
    ENROL = "enrol"  # MFA is required for this user and not set up: enrol first
    STEP_UP = "step_up"  # MFA is on: confirm a fresh code first


def check(*, user: User, session_id: str | None) -> Gate:
    """The decision for a sensitive operation by ``user`` in session ``session_id``.

    Enrolment is required by role (``ARAGORA_MFA_REQUIRED_ROLES``) and for every staff user.
    Fails closed: without a session id (an API token, a session without its record) a user
    with MFA is never fresh, and neither with a session of another user.
    """
    if selectors.needs_enrolment(user):
        return Gate.ENROL
    if selectors.has_mfa(user) and not selectors.step_up_fresh(session_id, user):
        return Gate.STEP_UP
    return Gate.OK


def passed_second_factor(user: User) -> bool:
    """Issue #10 item 1, MFA-5: a browser session of a user with MFA counts as signed in only
    once the code step was done in it. django-otp's middleware binds ``user.otp_device`` to the
    device verified in this session (None when none was, or when it is no longer the user's
    confirmed device). Without that middleware ``is_verified`` is missing: MFA users fail."""
    is_verified = getattr(user, "is_verified", None)
    if is_verified is not None and is_verified():
        return True
    return not selectors.has_mfa(user)
