"""The portal's URLs; each app adds its own under its prefix."""

from allauth.account.decorators import secure_admin_login
from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from portal import views

from . import health

admin.site.site_header = _("Cash Back administration")
admin.site.site_title = _("Cash Back administration")
admin.site.index_title = _("Program administration")
# Admin log-in goes through allauth, so staff pass its rate limits and MFA.
admin.site.login = secure_admin_login(admin.site.login)

urlpatterns = [
    path("", views.home, name="home"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("language/", views.language_switch, name="language_switch"),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("accounts/", include("allauth.urls")),
    path(
        "accounts/staff-enrolment/<str:token>/",
        views.staff_mfa_enrol,
        name="staff_mfa_enrol",
    ),
    path("", include("resellers.urls")),
    path("", include("offers.urls")),
    path("", include("claims.urls")),
    path("", include("payouts.urls")),
    path("", include("portal.privacy.urls")),
    path("", include("statements.urls")),
    path("admin/", admin.site.urls),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
