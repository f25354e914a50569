"""The root URL configuration."""

from django.contrib import admin
from django.urls import include, path

from accounts.views import admin_login_redirect, admin_password_change_redirect
from aragora import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("metrics", views.MetricsView.as_view(), name="metrics"),
    path("api/", include("aragora.api_urls")),
    # Before accounts' own pages: privacy sits above accounts, which never imports it.
    path("accounts/privacy/", include("privacy.urls")),
    path("accounts/", include("accounts.urls")),
    path("debates/", include("debates.urls")),
    # Before the admin's own login view: the admin signs in through /accounts/login/ (MFA-5).
    path("admin/login/", admin_login_redirect, name="admin-login"),
    # The admin's own password form skips SESS-2 (sessions and API tokens end) and the audit.
    path("admin/password_change/", admin_password_change_redirect, name="admin-password-change"),
    path("admin/", admin.site.urls),
]

handler400 = "aragora.http.errors.handler400"
handler403 = "aragora.http.errors.handler403"
handler404 = "aragora.http.errors.handler404"
handler500 = "aragora.http.errors.handler500"
