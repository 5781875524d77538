from django.urls import path

from . import views

app_name = "statements"
urlpatterns = [
    path("statements/", views.statement_list, name="list"),
    path("statements/self-billing/", views.self_billing, name="self_billing"),
    path("statements/<int:statement_id>/", views.statement_detail, name="detail"),
    path("statements/<int:statement_id>/pdf/", views.statement_pdf, name="pdf"),
    path(
        "statements/documents/<int:document_id>/",
        views.vat_document_detail,
        name="document",
    ),
    path(
        "statements/documents/<int:document_id>/pdf/",
        views.vat_document_pdf,
        name="document_pdf",
    ),
    path(
        "statements/documents/<int:document_id>/ubl/",
        views.vat_document_ubl,
        name="document_ubl",
    ),
]
