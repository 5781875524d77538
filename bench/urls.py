"""The portal's URLs plus /bench/floor/: the cheapest Django response, the floor."""

from django.http import HttpResponse
from django.urls import include, path


def floor(request):
    """A bare view through the same middleware: what any page costs at least."""
    return HttpResponse(b"ok", content_type="text/plain")


urlpatterns = [
    path("bench/floor/", floor),
    path("", include("cashback.urls")),
]
