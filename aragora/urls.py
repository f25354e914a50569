"""The root URL configuration."""

from django.contrib import admin
from django.urls import include, path

from aragora import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("api/", include("aragora.api_urls")),
    path("accounts/", include("accounts.urls")),
    path("debates/", include("debates.urls")),
    path("admin/", admin.site.urls),
]

handler400 = "aragora.http.errors.handler400"
handler403 = "aragora.http.errors.handler403"
handler404 = "aragora.http.errors.handler404"
handler500 = "aragora.http.errors.handler500"
