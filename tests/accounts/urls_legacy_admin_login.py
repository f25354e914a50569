"""The project's URLs plus Django's own admin login view at another address: a stand-in for any
entry point that signs a browser in with the password alone (issue #10 item 1)."""

from django.contrib import admin
from django.urls import include, path

from tests.urls import handler400, handler403, handler404, handler500  # noqa: F401

urlpatterns = [
    path("legacy/admin-login/", admin.site.login),
    path("", include("tests.urls")),
]
