"""How the signed-in user is loaded on each request.

Every reseller page asks four things of the user before it starts: who they
are, which company they belong to and their role in it, whether an address is
verified (`resellers.access.reseller_required`), and, for a member no company
admin has approved yet, who the company's admins are (the pages name them).
Loading all of it in the one query Django runs for the session's user spares
each page two or three round trips (issue 33).
"""

from allauth.account.auth_backends import AuthenticationBackend
from allauth.account.models import EmailAddress
from django.db.models import Exists, OuterRef

from .models import User
from .selectors import company_admins_joined


class PortalAuthenticationBackend(AuthenticationBackend):
    """allauth's backend (log-in by e-mail address), loading the user with the
    company and the verified flag."""

    def get_user(self, user_id):
        user = (
            User._default_manager.select_related("reseller")
            .annotate(
                has_verified_email=Exists(
                    EmailAddress.objects.filter(user=OuterRef("pk"), verified=True)
                ),
                # What a member waiting for approval reads on every page.
                company_admins_joined=company_admins_joined(),
            )
            .filter(pk=user_id)
            .first()
        )
        return user if user is not None and self.user_can_authenticate(user) else None
