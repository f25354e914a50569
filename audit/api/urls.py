from django.urls import path

from audit.api import views

urlpatterns = [
    path("audit/events", views.EventListView.as_view(), name="audit-events"),
    path("audit/events/export", views.EventExportView.as_view(), name="audit-events-export"),
    path("audit/verify", views.VerifyView.as_view(), name="audit-verify"),
]
