"""The Django admin's lockout page: the live state of the store in use (Redis or database)."""

from __future__ import annotations

from datetime import UTC, datetime
from ipaddress import ip_address
from typing import Any

from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse

from accounts.lockout import service as lockout
from accounts.models import LockoutState
from aragora.http.client_ip import client_info


def _valid_ip(value: str) -> str | None:
    try:
        return str(ip_address(value.strip()))
    except ValueError:
        return None


@admin.register(LockoutState)
class LockoutAdmin(admin.ModelAdmin):
    """Replaces the row list with the live entries; clearing is audited (LOCK-5).

    No raw delete (issue #10 item 12): Django's delete page would drop a database row with no
    audit event, behind the store's back. Clearing goes through ``lockout.clear`` only, which
    needs the ``delete_lockoutstate`` permission (the admin role holds it).
    """

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_clear_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.has_perm("accounts.delete_lockoutstate"))

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        if not self.has_view_permission(request):
            return redirect("admin:index")
        can_clear = self.has_clear_permission(request)
        if request.method == "POST" and can_clear:
            return self._clear(request)
        now = lockout.clock.now()
        entries = [
            {
                "key_type": e.key_type,
                "key": e.key,
                "failures": e.failures,
                "locked_until": datetime.fromtimestamp(e.locked_until, tz=UTC)
                if e.locked_until > now
                else None,
            }
            for e in lockout.entries()
        ]
        context = {
            **self.admin_site.each_context(request),
            "entries": entries,
            "can_clear": can_clear,
            "store": _store_name(),
            "title": "Lockouts",
        }
        return TemplateResponse(request, "admin/accounts/lockouts.html", context)

    def _clear(self, request: HttpRequest) -> HttpResponse:
        email = request.POST.get("email", "").strip() or None
        raw_ip = request.POST.get("ip", "").strip()
        ip = _valid_ip(raw_ip) if raw_ip else None
        if raw_ip and ip is None:
            messages.error(request, "That is not an IP address.")
        elif email or ip:
            cleared = lockout.clear(
                email=email, ip=ip, actor=request.user, client=client_info(request)
            )
            messages.success(request, f"Cleared {cleared} lockout key(s).")
        return redirect("admin:accounts_lockoutstate_changelist")


def _store_name() -> str:
    from django.conf import settings

    return "Redis" if settings.SERVICE_CACHE else "database"
