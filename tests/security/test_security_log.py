"""The security log: one row for each security event, append-only, read-only
in admin and exportable."""

import time
from urllib.parse import urlsplit

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.totp.internal.auth import (
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
)
from allauth.socialaccount.models import SocialAccount
from django.contrib.auth.models import Group, Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from cashback.models import SecurityEvent
from cashback.security import mfa_enrolment_token
from payouts.crypto import payment_file_encrypt
from payouts.models import PaymentBatch
from tests.payouts.conftest import FACTORY_PASSWORD, sign_in_fresh
from tests.resellers.factories import StaffUserFactory, UserFactory
from tests.security.test_staff_access import (  # noqa: F401  (fixture)
    invoice,
    invoice_url,
    reviewer,
    without_second_factor,
)

pytestmark = pytest.mark.django_db
Kind = SecurityEvent.Kind


def current_code(secret: str) -> str:
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def only(kind: str) -> SecurityEvent:
    return SecurityEvent.objects.get(kind=kind)


def test_a_log_in_is_logged_with_the_user_and_ip(client):
    user = UserFactory()
    client.post(
        reverse("account_login"),
        {"login": user.email, "password": FACTORY_PASSWORD},
        REMOTE_ADDR="198.51.100.4",
    )
    event = only(Kind.LOGIN)
    assert event.user == user
    assert event.email == user.email
    assert event.ip_address == "198.51.100.4"


def test_a_failed_log_in_is_logged_with_the_address_tried_and_no_password(client):
    user = UserFactory()
    client.post(
        reverse("account_login"), {"login": user.email, "password": "wrong-guess-1"}
    )
    event = only(Kind.LOGIN_FAILED)
    assert event.email == user.email
    assert event.user is None
    assert "wrong-guess-1" not in str(event.detail)
    assert not SecurityEvent.objects.filter(kind=Kind.LOGIN).exists()


def test_a_log_out_is_logged(client):
    user = UserFactory()
    client.force_login(user)
    client.post(reverse("account_logout"))
    assert only(Kind.LOGOUT).user == user


def test_mfa_set_up_through_the_enrolment_link_is_logged(
    client, django_capture_on_commit_callbacks
):
    """The whole enrolment: the link, the password again, the code: MFA_ADDED."""
    staff = StaffUserFactory(with_totp=False)
    without_second_factor(client, staff)
    client.get(reverse("staff_mfa_enrol", args=[mfa_enrolment_token(staff)]))
    client.post(reverse("account_reauthenticate"), {"password": FACTORY_PASSWORD})
    page = client.get(reverse("mfa_activate_totp"))
    secret = page.context["form"].secret
    with django_capture_on_commit_callbacks(execute=True):  # allauth's signal
        response = client.post(
            reverse("mfa_activate_totp"), {"code": current_code(secret)}
        )
    assert response.status_code == 302, response.content.decode()[:400]
    added = SecurityEvent.objects.filter(kind=Kind.MFA_ADDED, user=staff)
    # allauth makes recovery codes with the first authenticator.
    assert sorted(added.values_list("detail__type", flat=True)) == [
        "recovery_codes",
        "totp",
    ]


def test_mfa_use_at_log_in_and_a_wrong_code_are_logged(client):
    staff = StaffUserFactory(with_totp=False)
    secret = generate_totp_secret()
    TOTP.activate(staff, secret)
    client.post(
        reverse("account_login"), {"login": staff.email, "password": FACTORY_PASSWORD}
    )
    client.post(reverse("mfa_authenticate"), {"code": "000000"})
    assert only(Kind.MFA_FAILED).user == staff
    client.post(reverse("mfa_authenticate"), {"code": current_code(secret)})
    assert only(Kind.MFA_USED).user == staff
    assert only(Kind.LOGIN).user == staff
    assert client.get(reverse("admin:index")).status_code in {200, 302}


def test_a_re_authentication_is_logged(client):
    user = UserFactory()
    sign_in_fresh(client, user)  # the password typed again
    event = only(Kind.REAUTHENTICATED)
    assert event.user == user
    assert event.detail["method"] == "password"


def test_an_e_mail_address_added_and_made_primary_is_logged(client):
    user = UserFactory(email="kim@reseller.example")
    sign_in_fresh(client, user)
    client.post(
        reverse("account_email"),
        {"action_add": "", "email": "kim.lind@reseller.example"},
    )
    assert only(Kind.EMAIL_ADDED).detail["new"] == "kim.lind@reseller.example"
    EmailAddress.objects.filter(email="kim.lind@reseller.example").update(verified=True)
    client.post(
        reverse("account_email"),
        {"action_primary": "", "email": "kim.lind@reseller.example"},
    )
    event = only(Kind.EMAIL_CHANGED)
    assert event.detail == {
        "old": "kim@reseller.example",
        "new": "kim.lind@reseller.example",
    }


def test_an_invoice_download_is_logged(client, invoice):  # noqa: F811
    user = reviewer()
    client.force_login(user)
    assert client.get(invoice_url(invoice)).status_code == 200
    event = only(Kind.INVOICE_DOWNLOADED)
    assert event.user == user
    assert event.detail == {
        "claim": invoice.claim.reference,
        "invoice": str(invoice.pk),
    }


def test_a_payment_file_download_is_logged(client):
    operator = StaffUserFactory()
    operator.groups.add(Group.objects.get(name="Operators"))
    batch = PaymentBatch.objects.create(
        currency="SEK",
        message_id="CB-TEST-0001",
        created_by=StaffUserFactory(),
        status=PaymentBatch.Status.RELEASED,
        payment_file=payment_file_encrypt("<Document/>"),
    )
    client.force_login(operator)
    response = client.post(
        reverse("admin:payouts_paymentbatch_changelist"),
        {"action": "download_file", "_selected_action": [batch.pk]},
    )
    assert response.status_code == 200
    event = only(Kind.PAYMENT_FILE_DOWNLOADED)
    assert event.user == operator
    assert event.detail == {"batch": "CB-TEST-0001"}


def test_group_and_permission_changes_in_admin_are_logged(client, admin_user):
    """Adding a user to a group (the user's change form in admin) and giving a
    group a permission are logged, with the administrator who did it."""
    staff = StaffUserFactory()
    operators = Group.objects.get(name="Operators")
    client.force_login(admin_user)
    response = client.post(
        reverse("admin:resellers_user_change", args=[staff.pk]),
        {
            "email": staff.email,
            "first_name": staff.first_name,
            "last_name": staff.last_name,
            "preferred_language": "",
            "is_active": "on",
            "is_staff": "on",
            "groups": [operators.pk],
            "last_login_0": "",
            "last_login_1": "",
            "date_joined_0": "2026-11-01",
            "date_joined_1": "08:00:00",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    event = SecurityEvent.objects.get(kind=Kind.GROUPS_CHANGED, detail__action="add")
    assert event.user == admin_user
    assert event.detail["target"] == staff.email
    assert event.detail["changed"] == str([operators.pk])
    operators.permissions.add(Permission.objects.get(codename="view_claim"))
    assert SecurityEvent.objects.filter(
        kind=Kind.PERMISSIONS_CHANGED, detail__target="Operators"
    ).exists()


def test_security_events_are_append_only():
    event = SecurityEvent.objects.create(kind=Kind.LOGIN, email="a@b.example")
    event.email = "someone-else@b.example"
    with pytest.raises(ValueError):
        event.save()
    with pytest.raises(ValueError):
        event.delete()


def test_the_security_log_is_read_only_in_admin_and_exportable(admin_client):
    SecurityEvent.objects.create(kind=Kind.LOGIN, email="=cmd@b.example")
    event = SecurityEvent.objects.get(email="=cmd@b.example")
    assert (
        admin_client.get(reverse("admin:cashback_securityevent_changelist")).status_code
        == 200
    )
    assert (
        admin_client.get(reverse("admin:cashback_securityevent_add")).status_code == 403
    )
    change = admin_client.get(
        reverse("admin:cashback_securityevent_change", args=[event.pk])
    )
    assert b'name="email"' not in change.content
    assert (
        admin_client.get(
            reverse("admin:cashback_securityevent_delete", args=[event.pk])
        ).status_code
        == 403
    )
    export = admin_client.get(
        reverse("admin:cashback_securityevent_export", args=["csv"])
    )
    body = b"".join(export.streaming_content).decode()
    assert "'=cmd@b.example" in body


# Issue 27: the rest of what changes who may act, or where money goes. -------


def test_a_password_reset_by_e_mail_is_logged(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    from tests.resellers.test_account_emails import link_to

    user = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("account_reset_password"), {"email": user.email})
    (message,) = mailoutbox
    form = client.get(link_to(message, "account_reset_password_from_key"))
    client.post(
        form.url,
        {"password1": "a-new-long-passphrase", "password2": "a-new-long-passphrase"},
    )
    event = only(Kind.PASSWORD_RESET)
    assert (event.user, event.ip_address) == (user, "127.0.0.1")


def test_a_password_set_on_an_account_without_one_is_logged(client):
    user = UserFactory()
    user.set_unusable_password()
    user.save(update_fields=["password"])
    client.force_login(user)
    # Re-authenticated a moment ago by an e-mailed code (no password to type
    # again), as allauth records it in the session.
    session = client.session
    session["account_authentication_methods_user"] = str(user.pk)
    session["account_authentication_methods"] = [
        {
            "method": "code",
            "email": user.email,
            "at": time.time(),
            "reauthenticated": True,
        }
    ]
    session.save()
    response = client.post(
        reverse("account_set_password"),
        {"password1": "a-new-long-passphrase", "password2": "a-new-long-passphrase"},
    )
    assert response.status_code == 302
    assert only(Kind.PASSWORD_SET).user == user


def test_an_e_mail_address_removed_is_logged(client):
    user = UserFactory(email="kim@reseller.example")
    EmailAddress.objects.create(
        user=user, email="kim.old@reseller.example", verified=True, primary=False
    )
    sign_in_fresh(client, user)
    client.post(
        reverse("account_email"),
        {"action_remove": "", "email": "kim.old@reseller.example"},
    )
    event = only(Kind.EMAIL_REMOVED)
    assert (event.user, event.detail["old"]) == (user, "kim.old@reseller.example")


def test_a_microsoft_account_connected_and_disconnected_is_logged(
    client, microsoft_provider
):
    """Connected through the real provider after the password; disconnected
    on allauth's connections page."""
    from tests.resellers.test_microsoft_signin import claims, microsoft_sign_in

    owner = UserFactory(email="anna@nordlicens.se")
    user_claims = claims("anna@nordlicens.se")
    response = microsoft_sign_in(client, microsoft_provider, user_claims=user_claims)
    logged_in = client.post(
        response["Location"],
        {"login": "anna@nordlicens.se", "password": FACTORY_PASSWORD},
    )
    client.get(logged_in["Location"])
    query = "?" + urlsplit(logged_in["Location"]).query
    microsoft_sign_in(client, microsoft_provider, user_claims=user_claims, query=query)
    connected = only(Kind.MICROSOFT_CONNECTED)
    account = SocialAccount.objects.get()
    assert (connected.user, connected.detail["uid"]) == (owner, account.uid)

    sign_in_fresh(client, owner)
    client.post(reverse("socialaccount_connections"), {"account": account.pk})
    assert not SocialAccount.objects.exists()
    disconnected = only(Kind.MICROSOFT_DISCONNECTED)
    assert (disconnected.user, disconnected.ip_address) == (owner, "127.0.0.1")


def test_staff_and_superuser_flags_changed_are_logged():
    """One row per save that changes a flag, naming the flag; a log-in's save
    of last_login writes none."""
    target = UserFactory()
    rows = SecurityEvent.objects.filter(
        kind=Kind.STAFF_FLAGS_CHANGED, detail__target_id=str(target.pk)
    )
    assert not rows.exists()
    target.is_staff = True
    target.save()
    (event,) = rows.all()
    assert event.detail["is_staff"] == "True" and "is_superuser" not in event.detail
    target.last_login = target.date_joined
    target.save(update_fields=["last_login"])
    target.save()
    assert rows.count() == 1
    target.is_superuser = True
    target.save(update_fields=["is_superuser"])
    assert rows.count() == 2


def test_an_export_is_logged_with_its_list_and_filters(admin_client):
    admin_client.get(
        reverse("admin:payouts_payout_export", args=["csv"]),
        {"status__exact": "paid"},
    )
    event = only(Kind.EXPORTED)
    assert event.detail["list"] == "payouts.payout"
    assert event.detail["filters"] == "status__exact=paid"
    assert event.ip_address == "127.0.0.1"


def test_a_bank_file_upload_and_its_confirmation_are_logged(client):
    from tests.payouts.bank.answers import operator
    from tests.payouts.bank.conftest import MESSAGES

    uploader, confirmer = operator(), operator()
    client.force_login(uploader)
    client.post(
        reverse("admin:payouts_inboundbankfile_upload"),
        {
            "file": SimpleUploadedFile(
                "p002.xml", (MESSAGES / "pain002_001_10_part.xml").read_bytes()
            )
        },
    )
    uploaded = only(Kind.BANK_FILE_UPLOADED)
    assert (uploaded.user, uploaded.detail["status"]) == (uploader, "awaiting")
    client.force_login(confirmer)
    client.post(
        reverse("admin:payouts_inboundbankfile_changelist"),
        {"action": "confirm_files", "_selected_action": [uploaded.detail["file_id"]]},
    )
    confirmed = only(Kind.BANK_FILE_CONFIRMED)
    assert confirmed.user == confirmer
    assert confirmed.detail["file_id"] == uploaded.detail["file_id"]
