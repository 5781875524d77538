from django.urls import path

from . import views

app_name = "privacy"
urlpatterns = [
    path("account/", views.account, name="account"),
    path("account/data/", views.export_request, name="export_request"),
    path("account/data/<str:token>/", views.export_download, name="export_download"),
    path("account/close/", views.close, name="close"),
]
