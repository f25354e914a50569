"""Everything under ``/api/``."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from aragora.permissions import PublicDocsOrAdmin
from aragora.views import ApiRootView

urlpatterns = [
    path("v1/", ApiRootView.as_view(), name="api-root"),
    path("v1/", include("accounts.api.urls")),
    path("v1/", include("debates.api.urls")),
    path("v1/", include("abuse.urls")),
    path("v1/", include("audit.api.urls")),
    path("v1/", include("privacy.api.urls")),
    path(
        "schema/",
        SpectacularAPIView.as_view(permission_classes=[PublicDocsOrAdmin]),
        name="api-schema",
    ),
    path(
        "docs/",
        SpectacularSwaggerSplitView.as_view(
            url_name="api-schema", permission_classes=[PublicDocsOrAdmin]
        ),
        name="api-docs",
    ),
]
