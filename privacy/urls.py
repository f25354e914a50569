from django.urls import path

from privacy import views

app_name = "privacy"

urlpatterns = [
    path("", views.privacy_page, name="page"),
    path("delete/", views.delete_account_page, name="delete"),
    path("deleted/", views.account_deleted_page, name="deleted"),
]
