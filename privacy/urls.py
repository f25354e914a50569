from django.urls import path

from privacy import export_pages, views

app_name = "privacy"

urlpatterns = [
    path("", views.privacy_page, name="page"),
    path("exports/", export_pages.request_export, name="export-request"),
    path("exports/<str:export_id>/download", export_pages.download_export, name="export-download"),
]
