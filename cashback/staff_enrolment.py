"""The one-time link that lets a new member of staff set up their second factor.

Staff cannot enrol an authenticator after a password log-in alone (see
cashback.middleware.StaffMfaRequiredMiddleware): an administrator sends this
link to the staff member's address, so whoever first types a leaked password
cannot enrol their own authenticator.
"""

import hashlib

from django.conf import settings
from django.contrib import admin, messages
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .models import SecurityEvent
from .outbox import outbox_email_enqueue
from .security import mfa_enrolment_token, user_has_totp
from .security_log import security_event_record


def mfa_enrolment_link_send(*, user, sent_by, request: HttpRequest | None = None):
    """E-mail `user` a link to enrol a TOTP authenticator; log who sent it."""
    token = mfa_enrolment_token(user)
    link = settings.PORTAL_URL.rstrip("/") + reverse("staff_mfa_enrol", args=[token])
    digest = hashlib.sha256(token.encode()).hexdigest()[:24]
    with transaction.atomic():
        outbox_email_enqueue(
            dedup_key=f"staff:mfa_enrolment:{user.pk}:{digest}",
            recipients=[user.email],
            template="emails/mfa_enrolment",
            context={
                "user": user,
                "link": link,
                "hours": settings.STAFF_MFA_ENROLMENT_MAX_AGE_HOURS,
            },
            language=getattr(user, "preferred_language", "") or settings.LANGUAGE_CODE,
        )
        security_event_record(
            kind=SecurityEvent.Kind.MFA_ENROLMENT_SENT,
            request=request,
            user=sent_by,
            recipient=user.email,
        )


@admin.action(description=_("Send an MFA enrolment link"), permissions=["change"])
def send_mfa_enrolment_link(modeladmin, request, queryset) -> None:
    """Admin action on users: staff without an authenticator get the link."""
    sent = 0
    for user in queryset.filter(is_staff=True, is_active=True):
        if user_has_totp(user):
            continue
        mfa_enrolment_link_send(user=user, sent_by=request.user, request=request)
        sent += 1
    modeladmin.message_user(
        request,
        ngettext(
            "%(count)d enrolment link sent.",
            "%(count)d enrolment links sent.",
            sent,
        )
        % {"count": sent},
        messages.SUCCESS if sent else messages.WARNING,
    )
