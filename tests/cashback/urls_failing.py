"""The portal's URLs plus one view that fails, for the 500 page's tests."""

from django.urls import path

from cashback.urls import handler500, urlpatterns

__all__ = ["handler500", "urlpatterns"]


def failing_view(request):
    raise RuntimeError("a storage outage, say")


urlpatterns = [*urlpatterns, path("failing/", failing_view, name="failing")]
