from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("login/", views.login_page, name="login"),
    path("logout/", views.logout_page, name="logout"),
    path("signup/", views.signup_page, name="signup"),
    path("password/change/", views.password_change_page, name="password-change"),
    path("sessions/", views.sessions_page, name="sessions"),
]
