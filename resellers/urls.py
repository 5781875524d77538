from django.urls import path

from . import views

app_name = "resellers"
urlpatterns = [
    path("company/", views.company, name="company"),
    path(
        "company/members/<int:member_id>/remove/",
        views.member_remove,
        name="member_remove",
    ),
    path(
        "accounts/verification-required/",
        views.verification_required,
        name="verification_required",
    ),
    path("company/pending/", views.company_pending, name="company_pending"),
]
