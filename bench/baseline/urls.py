from django.urls import path

from bench.baseline import views

urlpatterns = [
    path("noauth", views.NoAuth.as_view()),
    path("me", views.Me.as_view()),
    path("debates", views.DebateList.as_view()),
]
