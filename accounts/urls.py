from django.urls import path

from accounts import mfa_pages, views

app_name = "accounts"

urlpatterns = [
    path("login/", views.login_page, name="login"),
    path("logout/", views.logout_page, name="logout"),
    path("signup/", views.signup_page, name="signup"),
    path("password/change/", views.password_change_page, name="password-change"),
    path("sessions/", views.sessions_page, name="sessions"),
    path("tokens/", views.tokens_page, name="tokens"),
    path("login/mfa/", mfa_pages.login_mfa_page, name="login-mfa"),
    path("mfa/", mfa_pages.mfa_page, name="mfa"),
    path("mfa/verify/", mfa_pages.step_up_page, name="step-up"),
]
