"""The layout's static files (cashback.context_processors.assets)."""

from django.templatetags.static import static
from django.test import RequestFactory

from cashback.context_processors import LAYOUT_ASSETS, assets


def test_each_asset_is_its_static_url_looked_up_once():
    request = RequestFactory().get("/")
    urls = assets(request)["ASSETS"]
    assert urls == {key: static(path) for key, path in LAYOUT_ASSETS.items()}
    assert assets(request)["ASSETS"] is urls  # not looked up again


def test_another_static_url_is_looked_up_afresh(settings):
    request = RequestFactory().get("/")
    settings.STATIC_URL = "/elsewhere/"
    assert assets(request)["ASSETS"]["portal_css"] == static("css/portal.css")
    assert assets(request)["ASSETS"]["portal_css"].startswith("/elsewhere/")
