from django.urls import path

from . import views

app_name = "resellers"
urlpatterns = [path("company/", views.company, name="company")]
