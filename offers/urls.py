from django.urls import path

from . import views

app_name = "offers"
urlpatterns = [
    path("offers/", views.offer_list, name="list"),
    path("offers/<slug:slug>/", views.offer_detail, name="detail"),
]
