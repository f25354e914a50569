"""The test URLs with error handlers that raise (HDR-1: headers even when error pages fail)."""

from tests.urls import urlpatterns  # noqa: F401

handler404 = "tests.broken_templates.raising_handler"
handler500 = "tests.broken_templates.raising_handler"
