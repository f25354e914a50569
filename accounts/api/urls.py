from django.urls import path

from accounts.api import admin_views, mfa_views, token_views, views

urlpatterns = [
    path("auth/register", views.RegisterView.as_view(), name="auth-register"),
    path("auth/login", views.LoginView.as_view(), name="auth-login"),
    path("auth/refresh", views.RefreshView.as_view(), name="auth-refresh"),
    path("auth/logout", views.LogoutView.as_view(), name="auth-logout"),
    path("auth/me", views.MeView.as_view(), name="auth-me"),
    path("auth/password/change", views.PasswordChangeView.as_view(), name="auth-password-change"),
    path("sessions", views.SessionListView.as_view(), name="sessions"),
    path(
        "sessions/revoke-others",
        views.RevokeOtherSessionsView.as_view(),
        name="sessions-revoke-others",
    ),
    path("sessions/<uuid:session_id>", views.SessionDetailView.as_view(), name="session-detail"),
    path("tokens", token_views.TokenListView.as_view(), name="tokens"),
    path("tokens/<str:token_id>", token_views.TokenDetailView.as_view(), name="token-detail"),
    path("auth/mfa/verify", mfa_views.MFAVerifyView.as_view(), name="auth-mfa-verify"),
    path("auth/step-up", mfa_views.StepUpView.as_view(), name="auth-step-up"),
    path("mfa/totp/setup", mfa_views.TOTPSetupView.as_view(), name="mfa-totp-setup"),
    path("mfa/totp/confirm", mfa_views.TOTPConfirmView.as_view(), name="mfa-totp-confirm"),
    path(
        "mfa/backup-codes/regenerate",
        mfa_views.BackupCodesRegenerateView.as_view(),
        name="mfa-backup-codes-regenerate",
    ),
    path("mfa/disable", mfa_views.MFADisableView.as_view(), name="mfa-disable"),
    path(
        "admin/users/<int:user_id>/mfa-reset",
        mfa_views.AdminMFAResetView.as_view(),
        name="admin-user-mfa-reset",
    ),
    path(
        "admin/users/<int:user_id>/roles",
        admin_views.UserRolesView.as_view(),
        name="admin-user-roles",
    ),
    path(
        "admin/users/<int:user_id>/sessions/revoke",
        admin_views.UserSessionsRevokeView.as_view(),
        name="admin-user-sessions-revoke",
    ),
    path("admin/lockouts", admin_views.LockoutListView.as_view(), name="admin-lockouts"),
    path(
        "admin/lockouts/clear", admin_views.LockoutClearView.as_view(), name="admin-lockouts-clear"
    ),
]
