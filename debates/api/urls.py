from django.urls import path

from debates.api import views

urlpatterns = [
    path("debates", views.DebateListView.as_view(), name="debates"),
    path("debates/<int:debate_id>", views.DebateDetailView.as_view(), name="debate-detail"),
    path(
        "debates/<int:debate_id>/attachments",
        views.AttachmentUploadView.as_view(),
        name="debate-attachments",
    ),
    path("debates/<int:debate_id>/hide", views.DebateHideView.as_view(), name="debate-hide"),
    path(
        "debates/<int:debate_id>/sources", views.SourceCreateView.as_view(), name="debate-sources"
    ),
    path(
        "debates/<int:debate_id>/attachments/<int:attachment_id>",
        views.AttachmentDownloadView.as_view(),
        name="debate-attachment",
    ),
]
