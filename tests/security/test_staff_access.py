"""Staff access: a second factor on every staff request, the permission each
staff path and admin action needs, and the one-time enrolment link.

The URLs are discovered from the URLconf, so a new page (in admin or outside
it) is checked without being listed here.
"""

import hashlib
import itertools
import time

import pytest
from allauth.account.authentication import AUTHENTICATION_METHODS_SESSION_KEY
from allauth.mfa.models import Authenticator
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import NoReverseMatch, get_resolver, resolve, reverse

from cashback.middleware import StaffMfaRequiredMiddleware
from cashback.models import OutboxMessage, SecurityEvent
from cashback.security import mfa_enrolment_token
from claims import services as claim_services
from claims.models import Claim, InvoiceDocument
from tests.claims.factories import ClaimFactory
from tests.conftest import record_second_factor
from tests.resellers.factories import ResellerFactory, StaffUserFactory, UserFactory
from tests.security.admin_actions import (
    GROUPS,
    actual_matrix,
    documented_matrix,
    matrix_as_table,
    registered_actions,
)

pytestmark = pytest.mark.django_db

# Sample values for URL parameters: an id, an app label, a word.
SAMPLES = ["1", "claims", "x"]
OPEN_WITHOUT_SECOND_FACTOR = (
    StaffMfaRequiredMiddleware.EXEMPT | StaffMfaRequiredMiddleware.ENROLMENT
)


def every_url() -> dict[str, str]:
    """'namespace:name' -> a path that resolves to it, for every named URL."""
    found = {}

    def walk(resolver, namespace: str) -> None:
        for key in resolver.reverse_dict:
            if not isinstance(key, str):
                continue
            name = f"{namespace}:{key}" if namespace else key
            for (
                possibility,
                _pattern,
                _defaults,
                _converters,
            ) in resolver.reverse_dict.getlist(key):
                for _format, params in possibility:
                    path = _reverse_with_samples(name, params)
                    if path is not None:
                        found[name] = path
        for child, (_prefix, sub_resolver) in resolver.namespace_dict.items():
            walk(sub_resolver, f"{namespace}:{child}" if namespace else child)

    walk(get_resolver(), "")
    return found


def _reverse_with_samples(name: str, params: list[str]) -> str | None:
    for values in itertools.product(SAMPLES, repeat=len(params)):
        try:
            path = reverse(name, kwargs=dict(zip(params, values, strict=True)))
        except NoReverseMatch:
            continue
        resolve(path)
        return path
    return None


def staff_urls() -> dict[str, str]:
    """Every URL a staff user could ask for, minus the few that only let them
    leave, prove their second factor or enrol."""
    return {
        name: path
        for name, path in every_url().items()
        if name not in OPEN_WITHOUT_SECOND_FACTOR
    }


def without_second_factor(client, user) -> None:
    """Signed in with the password just now: allauth recorded no TOTP."""
    client.force_login(user)
    session = client.session
    session[AUTHENTICATION_METHODS_SESSION_KEY] = [
        {"method": "password", "at": time.time(), "email": user.email}
    ]
    session["account_authentication_methods_user"] = str(user.pk)
    session.save()


@pytest.fixture
def invoice(db, settings, tmp_path) -> InvoiceDocument:
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    claim = ClaimFactory()
    content = b"%PDF-1.4 customer invoice"
    document = InvoiceDocument(
        claim=claim,
        original_name="invoice.pdf",
        content_type="application/pdf",
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        uploaded_by=claim.submitted_by,
    )
    document.file.save("invoice", ContentFile(content), save=False)
    document.save()
    return document


def invoice_url(document: InvoiceDocument) -> str:
    return reverse("claims:invoice", args=[document.claim.reference, document.pk])


def reviewer(**kwargs):
    user = StaffUserFactory(**kwargs)
    user.groups.add(Group.objects.get(name="Reviewers"))
    return user


# A second factor on every request ---------------------------------------------


def test_the_url_discovery_finds_admin_and_staff_paths():
    """The walk reaches admin's pages, the exports and the invoice download, so
    the test below covers them."""
    urls = staff_urls()
    assert "admin:index" in urls
    assert "admin:claims_claim_change" in urls
    assert "admin:claims_claim_export" in urls
    assert "claims:invoice" in urls
    assert len([name for name in urls if name.startswith("admin:")]) > 100


def test_staff_without_a_totp_in_the_session_get_no_staff_url(client):
    """A superuser holding an authenticator, signed in with the password alone
    (no TOTP recorded in the session), is sent to type the code on every URL
    of the URLconf, whatever its path; no page is served."""
    staff = StaffUserFactory(is_superuser=True)
    without_second_factor(client, staff)
    reauthenticate = reverse("mfa_reauthenticate")
    served = {}
    for name, path in staff_urls().items():
        response = client.get(path)
        if not (
            response.status_code == 302
            and response["Location"].startswith(reauthenticate)
        ):
            served[name] = response.status_code
    assert not served, f"served without a second factor: {served}"


def test_the_same_staff_with_the_totp_in_the_session_reach_admin(client):
    """So the redirects above mean something: with the TOTP recorded, admin opens."""
    staff = StaffUserFactory(is_superuser=True)
    without_second_factor(client, staff)
    record_second_factor(client, staff)
    assert client.get(reverse("admin:index")).status_code == 200
    assert client.get(reverse("admin:claims_claim_changelist")).status_code == 200


def test_an_authenticator_that_exists_is_not_enough_for_the_invoice(client, invoice):
    """A reviewer with an authenticator but no TOTP in this session gets no
    invoice copy: the download redirects to the code, and nothing is logged."""
    user = reviewer()
    assert Authenticator.objects.filter(user=user).exists()
    without_second_factor(client, user)
    response = client.get(invoice_url(invoice))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("mfa_reauthenticate"))
    assert not SecurityEvent.objects.filter(
        kind=SecurityEvent.Kind.INVOICE_DOWNLOADED
    ).exists()


def test_typing_the_code_again_lets_the_session_in(client):
    """allauth's re-authentication with the TOTP code records it in the session."""
    from allauth.mfa.totp.internal.auth import (
        TOTP,
        format_hotp_value,
        generate_totp_secret,
        hotp_value,
        yield_hotp_counters_from_time,
    )

    staff = StaffUserFactory(is_superuser=True, with_totp=False)
    secret = generate_totp_secret()
    TOTP.activate(staff, secret)
    without_second_factor(client, staff)
    assert client.get(reverse("admin:index")).status_code == 302
    counters = list(yield_hotp_counters_from_time())
    counter = counters[len(counters) // 2]
    code = format_hotp_value(hotp_value(secret, counter))
    response = client.post(reverse("mfa_reauthenticate"), {"code": code})
    assert response.status_code == 302, response.content.decode()[:400]
    assert client.get(reverse("admin:index")).status_code == 200


# The permission a staff path needs --------------------------------------------


def test_staff_without_view_invoicedocument_get_no_invoice(client, invoice):
    """An operator (staff, second factor, no invoice permission) is refused."""
    operator = StaffUserFactory()
    operator.groups.add(Group.objects.get(name="Operators"))
    client.force_login(operator)
    assert client.get(invoice_url(invoice)).status_code == 403


def test_a_reviewer_with_the_second_factor_downloads_the_invoice(client, invoice):
    client.force_login(reviewer())
    response = client.get(invoice_url(invoice))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-1.4 customer invoice"


# Enrolment only through the administrator's link ------------------------------


def test_new_staff_cannot_enrol_after_a_password_log_in(client):
    """Staff without an authenticator who typed only the password see the
    explanation, not the page that would enrol an authenticator."""
    staff = StaffUserFactory(with_totp=False)
    without_second_factor(client, staff)
    assert client.get(reverse("admin:index")).status_code == 403
    response = client.get(reverse("mfa_activate_totp"))
    assert response.status_code == 403
    assert "enrolment link" in response.content.decode()


def test_the_enrolment_link_opens_the_set_up_page_for_its_user_only(client):
    staff = StaffUserFactory(with_totp=False)
    other = StaffUserFactory(with_totp=False)
    without_second_factor(client, staff)
    foreign = reverse("staff_mfa_enrol", args=[mfa_enrolment_token(other)])
    assert client.get(foreign).status_code == 403
    assert client.get(reverse("mfa_activate_totp")).status_code == 403
    own = reverse("staff_mfa_enrol", args=[mfa_enrolment_token(staff)])
    response = client.get(own)
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")
    # The password log-in just now counts as the re-authentication that
    # setting up a factor needs (issue 28): the set-up page opens.
    assert client.get(reverse("mfa_activate_totp")).status_code == 200


def test_the_enrolment_link_is_spent_once_an_authenticator_exists(client):
    staff = StaffUserFactory(with_totp=False)
    link = reverse("staff_mfa_enrol", args=[mfa_enrolment_token(staff)])
    Authenticator.objects.create(
        user=staff, type=Authenticator.Type.TOTP, data={"secret": "x"}
    )
    without_second_factor(client, staff)
    assert client.get(link).status_code == 403


def test_an_administrator_sends_the_enrolment_link_from_admin(client, admin_user):
    """The admin action on users e-mails the link (through the outbox) to staff
    without an authenticator, and logs who sent it."""
    staff = StaffUserFactory(with_totp=False)
    client.force_login(admin_user)
    response = client.post(
        reverse("admin:resellers_user_changelist"),
        {"action": "send_mfa_enrolment_link", "_selected_action": [staff.pk]},
    )
    assert response.status_code == 302
    message = OutboxMessage.objects.get(dedup_key__startswith="staff:mfa_enrolment:")
    assert message.recipients == [staff.email]
    path = message.text_body.split("/accounts/staff-enrolment/", 1)[1].split()[0]
    assert resolve(f"/accounts/staff-enrolment/{path}").url_name == "staff_mfa_enrol"
    event = SecurityEvent.objects.get(kind=SecurityEvent.Kind.MFA_ENROLMENT_SENT)
    assert event.user == admin_user
    assert event.detail["recipient"] == staff.email


# Every admin action, every group: docs/security.md is the truth ----------------


def test_every_admin_action_declares_its_permissions():
    """No action runs merely because its list can be seen."""
    undeclared = [
        f"{label}.{name}"
        for label, name, function in registered_actions()
        if not getattr(function, "allowed_permissions", None)
    ]
    assert not undeclared


def test_who_may_run_each_admin_action_is_as_documented():
    """Each group's staff member sees exactly the actions docs/security.md's
    table gives that group, for every action of every registered model."""
    actual = actual_matrix()
    documented = documented_matrix()
    assert actual == documented, (
        "docs/security.md disagrees with admin; the actual table is:\n"
        + matrix_as_table(actual)
    )


def test_the_table_parser_reads_yes_and_no():
    """The parser above is what makes the document binding: check it reads."""
    text = (
        "## Who may run each admin action\n\n"
        "| admin | action | " + " | ".join(GROUPS) + " |\n"
        "| --- | --- | --- | --- | --- |\n"
        "| `offers.offer` | `publish` | — | yes | — |\n"
    )
    assert documented_matrix(text) == {
        ("offers.offer", "publish"): {
            "Reviewers": False,
            "Program managers": True,
            "Operators": False,
        }
    }


def test_a_reviewer_cannot_publish_an_offer_through_the_admin(client):
    """The issue's case: a reviewer sees offers but cannot run publish."""
    from tests.offers.factories import OfferFactory

    offer = OfferFactory(status="draft")
    client.force_login(reviewer())
    response = client.post(
        reverse("admin:offers_offer_changelist"),
        {"action": "publish", "_selected_action": [offer.pk]},
    )
    offer.refresh_from_db()
    assert offer.status == "draft"
    assert response.status_code in {200, 302}


# A reviewer is never judge in their own cause ---------------------------------


def test_a_reviewer_cannot_decide_a_claim_of_their_own_company():
    company = ResellerFactory()
    claim = ClaimFactory(reseller=company)
    insider = reviewer(reseller=company)
    with pytest.raises(claim_services.ClaimError) as refused:
        claim_services.claim_approve(claim=claim, actor=insider)
    assert refused.value.error_dict["__all__"][0].code == "own_company"
    claim.refresh_from_db()
    assert claim.status == Claim.Status.SUBMITTED
    claim_services.claim_approve(claim=claim, actor=reviewer())
    claim.refresh_from_db()
    assert claim.status == Claim.Status.APPROVED


def test_a_reviewer_cannot_decide_the_dispute_of_their_own_rejection():
    claim = ClaimFactory()
    first = reviewer()
    claim_services.claim_reject(
        claim=claim, actor=first, reason_code="other", reason="No such sale."
    )
    claim_services.claim_dispute(
        claim=claim, user=claim.submitted_by, comment="The sale is in the ledger."
    )
    with pytest.raises(claim_services.ClaimError) as refused:
        claim_services.claim_reject(
            claim=claim, actor=first, reason_code="other", reason="Still no."
        )
    assert refused.value.error_dict["__all__"][0].code == "own_rejection"
    claim.refresh_from_db()
    assert claim.status == Claim.Status.DISPUTED
    claim_services.claim_approve(claim=claim, actor=reviewer())
    claim.refresh_from_db()
    assert claim.status == Claim.Status.APPROVED


# Large bodies: the ledger upload only, staff only -----------------------------


def _upload(client, path: str):
    ledger = SimpleUploadedFile("ledger.csv", b"agreement_number\n" + b"1\n" * 2000)
    return client.post(path, {"file": ledger})


def test_only_staff_may_send_a_large_body_and_only_to_the_ledger_upload(
    client, settings
):
    """Over MAX_REQUEST_BYTES: refused for a reseller at the ledger URL and for
    staff anywhere else; staff with their second factor get past the door at
    the ledger upload, where the import takes it."""
    settings.MAX_REQUEST_BYTES = 1024
    ledger = reverse("admin:claims_agreementimport_add")
    client.force_login(UserFactory())
    assert _upload(client, ledger).status_code == 413
    client.logout()
    manager = StaffUserFactory()
    manager.groups.add(Group.objects.get(name="Program managers"))
    client.force_login(manager)
    assert _upload(client, reverse("admin:index")).status_code == 413
    assert _upload(client, reverse("claims:list")).status_code == 413
    response = _upload(client, ledger)
    assert response.status_code == 302, response.content.decode()[:300]


# Absolute session lifetime ----------------------------------------------------


def test_a_busy_session_still_ends_at_its_absolute_lifetime(
    client, settings, time_machine
):
    """Used every few minutes, a session still ends after the absolute limit."""
    time_machine.move_to("2026-11-26 08:00:00+00:00", tick=False)
    client.force_login(UserFactory())
    step = 30 * 60
    for _ in range(settings.SESSION_ABSOLUTE_LIFETIME_SECONDS // step):
        assert client.get(reverse("dashboard")).status_code == 200
        time_machine.shift(step)
    time_machine.shift(60)
    response = client.get(reverse("dashboard"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
