from django.urls import path

from . import views

app_name = "payouts"
urlpatterns = [
    path("payouts/", views.payout_list, name="list"),
    path(
        "payouts/<int:payout_id>/bank-details/",
        views.bank_details,
        name="bank_details",
    ),
    path(
        "payouts/bank-details/<str:token>/",
        views.bank_details_link,
        name="bank_details_link",
    ),
    path(
        "payouts/account-objection/<str:token>/",
        views.bank_account_objection,
        name="bank_account_objection",
    ),
]
