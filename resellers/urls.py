from django.urls import path

from . import microsoft, views

app_name = "resellers"
urlpatterns = [
    path("company/", views.company, name="company"),
    path(
        "company/members/<int:member_id>/remove/",
        views.member_remove,
        name="member_remove",
    ),
    path(
        "company/members/<int:member_id>/approve/",
        views.member_approve,
        name="member_approve",
    ),
    path(
        "company/members/<int:member_id>/make-admin/",
        views.member_make_admin,
        name="member_make_admin",
    ),
    path(
        "accounts/verification-required/",
        views.verification_required,
        name="verification_required",
    ),
    path("company/pending/", views.company_pending, name="company_pending"),
    # microsoft: Entra ID sign-in (register .../callback/ as the redirect URI)
    path(
        "accounts/microsoft/login/", microsoft.microsoft_login, name="microsoft_login"
    ),
    path(
        "accounts/microsoft/login/callback/",
        microsoft.microsoft_callback,
        name="microsoft_callback",
    ),
]
