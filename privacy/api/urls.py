from django.urls import path

from privacy.api import erasure, views

urlpatterns = [
    path("privacy/consents", views.ConsentListView.as_view(), name="privacy-consents"),
    path(
        "privacy/consents/<str:purpose>",
        views.ConsentDetailView.as_view(),
        name="privacy-consent",
    ),
    path("privacy/do-not-sell", views.DoNotSellView.as_view(), name="privacy-do-not-sell"),
    path("privacy/erasure", erasure.ErasureView.as_view(), name="privacy-erasure"),
    path("privacy/exports", views.ExportListView.as_view(), name="privacy-exports"),
    path(
        "privacy/exports/<str:export_id>",
        views.ExportDetailView.as_view(),
        name="privacy-export",
    ),
    path(
        "privacy/exports/<str:export_id>/download",
        views.ExportDownloadView.as_view(),
        name="privacy-export-download",
    ),
]
