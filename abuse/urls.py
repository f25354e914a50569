"""The blocks admin API (RATE-4), under ``/api/v1/``."""

from django.urls import path

from abuse.api import BlockClearView, BlockListView

urlpatterns = [
    path("admin/blocks", BlockListView.as_view(), name="admin-blocks"),
    path("admin/blocks/clear", BlockClearView.as_view(), name="admin-blocks-clear"),
]
