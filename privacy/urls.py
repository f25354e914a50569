from django.urls import path

from privacy import export_pages, views

app_name = "privacy"

urlpatterns = [
    path("", views.privacy_page, name="page"),
    path("delete/", views.delete_account_page, name="delete"),
    path("deleted/", views.account_deleted_page, name="deleted"),
    path("exports/", export_pages.request_export, name="export-request"),
    path("exports/<str:export_id>/download", export_pages.download_export, name="export-download"),
]
