from django.urls import path

from debates import views

app_name = "debates"

urlpatterns = [
    path("", views.debate_list_page, name="list"),
    path("<int:debate_id>/", views.debate_detail_page, name="detail"),
]
