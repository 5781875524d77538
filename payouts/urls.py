from django.urls import path

from . import views

app_name = "payouts"
urlpatterns = [path("payouts/", views.payout_list, name="list")]
