from django.urls import path

from . import views

app_name = "claims"
urlpatterns = [
    path("offers/<slug:slug>/claim/", views.claim_file, name="file"),
    path("claims/", views.claim_list, name="list"),
    path("claims/<str:reference>/", views.claim_detail, name="detail"),
    path("claims/<str:reference>/withdraw/", views.claim_withdraw, name="withdraw"),
    path("claims/<str:reference>/dispute/", views.claim_dispute, name="dispute"),
    path(
        "claims/<str:reference>/invoice/",
        views.claim_upload_invoice,
        name="upload_invoice",
    ),
    path(
        "claims/<str:reference>/invoices/<int:invoice_id>/",
        views.invoice_download,
        name="invoice",
    ),
]
