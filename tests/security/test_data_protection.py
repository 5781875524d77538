"""Data protection: oversized requests, caching of sensitive pages, secrets kept
out of URLs and logs, a read-only audit trail, least-privilege groups and four
eyes in the service."""

import logging

import pytest
from django.conf import settings
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from payouts.models import BankAccount, Payout
from payouts.services import (
    PayoutError,
    bank_account_submit,
    bank_details_link,
    bank_details_link_payout_id,
    batch_create,
    batch_release,
)
from tests.payouts.conftest import sign_in_fresh
from tests.payouts.factories import PayoutFactory, approved_claim
from tests.resellers.factories import ResellerFactory, StaffUserFactory, UserFactory

IBAN = "SE4550000000058398257466"
ACCOUNT_DIGITS = IBAN[4:]


@pytest.fixture
def reseller_user(db):
    reseller = ResellerFactory(legal_name="Nordlicens AB")
    return UserFactory(reseller=reseller, is_company_admin=True)


# Oversized requests -------------------------------------------------------------


def test_an_oversized_request_is_refused_before_its_body_is_read(client, settings):
    """A body declared larger than the limit gets 413 without being read: the
    request carries only a few bytes, so reading it would fail loudly."""
    settings.MAX_REQUEST_BYTES = 1024
    response = client.generic(
        "POST",
        reverse("account_login"),
        data=b"x" * 10,
        content_type="application/x-www-form-urlencoded",
        CONTENT_LENGTH=str(50 * 1024 * 1024),
    )
    assert response.status_code == 413


@pytest.mark.django_db
def test_an_oversized_invoice_upload_is_refused_with_413(client, reseller_user):
    """An upload above the whole-request limit never reaches the view."""
    client.force_login(reseller_user)
    big = SimpleUploadedFile(
        "big.pdf", b"%PDF-1.4" + b"0" * (settings.MAX_REQUEST_BYTES + 1)
    )
    response = client.post(
        reverse("claims:upload_invoice", args=["CB-2026-000001"]), {"file": big}
    )
    assert response.status_code == 413


def test_admin_may_send_larger_files(settings):
    """The ledger is uploaded in admin: its limit is higher than the portal's."""
    assert settings.ADMIN_MAX_REQUEST_BYTES > settings.MAX_REQUEST_BYTES
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE <= settings.MAX_REQUEST_BYTES


# Sensitive pages ------------------------------------------------------------------


@pytest.mark.django_db
def test_payout_and_bank_details_pages_are_never_cached(client, reseller_user):
    """Payouts, the bank-details page and its link answer Cache-Control: no-store."""
    payout = PayoutFactory(claim=approved_claim(reseller=reseller_user.reseller))
    sign_in_fresh(client, reseller_user)
    urls = [
        reverse("payouts:list"),
        reverse("payouts:bank_details", args=[payout.pk]),
        bank_details_link(payout).split("://", 1)[1].split("/", 1)[1],
    ]
    for url in urls:
        url = url if url.startswith("/") else "/" + url
        response = client.get(url)
        assert "no-store" in response["Cache-Control"], url


@pytest.mark.django_db
def test_the_account_number_is_in_no_url_log_or_page_after_submission(
    client, reseller_user, caplog
):
    """Submitting bank details: the IBAN never appears in a log record, in the
    redirect or in the page that follows; only the last four digits are shown."""
    payout = PayoutFactory(claim=approved_claim(reseller=reseller_user.reseller))
    sign_in_fresh(client, reseller_user)
    data = {
        "account-beneficiary_name": "Nordlicens AB",
        "account-iban": IBAN,
        "account-bic": "ESSESESS",
        "account-bank_country": "SE",
        "account-currency": "SEK",
        "account-address_confirmed": "on",
    }
    # Another reseller already uses it: the warning log line must stay masked.
    other = ResellerFactory()

    url = reverse("payouts:bank_details", args=[payout.pk])
    with caplog.at_level(logging.DEBUG):
        bank_account_submit(
            reseller=other,
            user=UserFactory(reseller=other, is_company_admin=True),
            beneficiary_name=other.legal_name,
            iban=IBAN,
            bic="ESSESESS",
            bank_country="SE",
            currency="SEK",
        )
        response = client.post(url, data, follow=True)
    assert response.status_code == 200
    payout.refresh_from_db()
    assert payout.status == Payout.Status.READY
    assert caplog.records, "the shared-account warning is logged"
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert ACCOUNT_DIGITS not in logged and IBAN not in logged
    for hop, _status in response.redirect_chain:
        assert ACCOUNT_DIGITS not in hop
    assert ACCOUNT_DIGITS not in response.content.decode()
    assert (
        ACCOUNT_DIGITS not in BankAccount.objects.latest("pk").account_number_encrypted
    )


def test_the_bank_details_link_carries_no_secret_but_a_signed_payout_id(db):
    """The e-mailed link names the payout id, signed; no account number in it."""
    payout = PayoutFactory()
    link = bank_details_link(payout)
    token = link.rstrip("/").rsplit("/", 1)[1]
    assert bank_details_link_payout_id(token) == payout.pk
    assert bank_details_link_payout_id(token + "x") is None


# Audit trail -----------------------------------------------------------------------


@pytest.mark.django_db
def test_history_is_kept_for_offers_claims_payouts_and_bank_accounts():
    """django-simple-history on the four models the issue names."""
    from claims.models import Claim
    from offers.models import Offer

    for model in (Offer, Claim, Payout, BankAccount):
        assert hasattr(model, "history"), model


def editable(model_admin, request) -> bool:
    """Whether the admin (or inline) lets anyone add, change or delete a row."""
    addable = model_admin.has_add_permission(request, None) and (
        getattr(model_admin, "max_num", None) != 0
    )
    fields = model_admin.get_fields(request)
    readonly = set(model_admin.get_readonly_fields(request))
    changeable = model_admin.has_change_permission(request, None) and not (
        set(fields) <= readonly
    )
    deletable = getattr(model_admin, "can_delete", True) and (
        model_admin.has_delete_permission(request, None)
    )
    return bool(addable or changeable or deletable)


@pytest.mark.django_db
def test_staff_cannot_edit_the_audit_trail(admin_user, rf):
    """No history table is editable in admin, and event admins are read-only
    even for a superuser."""
    request = rf.get("/admin/")
    request.user = admin_user
    checked = set()
    for model, model_admin in admin.site._registry.items():
        assert not model.__name__.startswith("Historical"), "history is editable"
        admins = [(model, model_admin)] + [
            (inline.model, inline(model, admin.site)) for inline in model_admin.inlines
        ]
        for shown, shown_admin in admins:
            name = shown.__name__
            if name.endswith("Event") or name == "Reminder":
                checked.add(name)
                assert not editable(shown_admin, request), name
    assert {"ClaimEvent", "PayoutEvent", "Reminder"} <= checked


# Groups and four eyes --------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("group", "may", "may_not"),
    [
        ("Reviewers", {"claims.view_claim"}, {"payouts.change_paymentbatch"}),
        ("Operators", {"payouts.view_payout"}, {"claims.change_claim"}),
        (
            "Program managers",
            {"offers.change_offer", "claims.add_agreementimport"},
            {"payouts.change_payout", "claims.change_claim"},
        ),
        (
            "Data protection",
            {"privacy.close_account", "privacy.add_accountclosure"},
            {"claims.view_claim", "payouts.view_payout", "resellers.change_user"},
        ),
    ],
)
def test_each_staff_group_has_only_what_it_needs(group, may, may_not):
    """Least privilege: each group can do its job and not another group's."""
    staff = StaffUserFactory()
    staff.groups.add(Group.objects.get(name=group))
    staff = get_user_model().objects.get(pk=staff.pk)  # fresh permission cache
    assert all(staff.has_perm(p) for p in may), staff.get_all_permissions()
    assert not any(staff.has_perm(p) for p in may_not)
    assert not any(
        p.startswith(("auth.", "resellers.delete_", "admin."))
        for p in staff.get_all_permissions()
    )


@pytest.mark.django_db
def test_four_eyes_is_enforced_by_the_service_itself():
    """The operator who built a batch cannot release it, whatever calls the service."""
    from tests.payouts.test_batches import scheduled_payout

    builder, other = StaffUserFactory(), StaffUserFactory()
    batch = batch_create(currency="SEK", payouts=[scheduled_payout()], operator=builder)
    with pytest.raises(PayoutError):
        batch_release(batch=batch, operator=builder)
    batch = batch_release(batch=batch, operator=other)
    assert batch.released_by == other
