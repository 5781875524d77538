"""A company's bank details for payouts: each change a new version."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField
from simple_history.models import HistoricalRecords

from resellers.models import Reseller


class BankAccountQuerySet(models.QuerySet):
    def notice_undelivered(self) -> "BankAccountQuerySet":
        """Accounts held because the notice that starts their cooling-off has
        not yet reached the mail server for every admin (issue 27)."""
        return self.filter(BankAccount.notice_undelivered_q())

    def shared_waiting(self) -> "BankAccountQuerySet":
        """Accounts with another company's number, waiting for an operator
        to clear or refuse them (issue 27)."""
        return self.filter(BankAccount.shared_waiting_q())


class BankAccount(models.Model):
    """One version of a reseller's bank details; a change is a new version.

    The account number (IBAN or national number) is stored encrypted; only its
    last four characters are kept in clear, for display.
    """

    reseller = models.ForeignKey(
        Reseller,
        on_delete=models.PROTECT,
        related_name="bank_accounts",
        verbose_name=_("reseller"),
    )
    version = models.PositiveIntegerField(_("version"))
    is_current = models.BooleanField(_("current"), default=True)
    beneficiary_name = models.CharField(_("beneficiary name"), max_length=200)
    account_number_encrypted = models.TextField(editable=False)
    # Keyed hash of the normalised account number: finds one account used by two
    # resellers without decrypting anything.
    account_fingerprint = models.CharField(max_length=64, editable=False, db_index=True)
    account_last4 = models.CharField(_("account ends with"), max_length=4)
    is_iban = models.BooleanField(_("IBAN"), default=True)
    bank_code = models.CharField(_("bank code"), max_length=20, blank=True)
    bic = models.CharField(_("BIC"), max_length=11, blank=True)
    bank_country = CountryField(_("bank country"))
    currency = models.CharField(_("currency"), max_length=3)
    # Set when another reseller has an account with the same fingerprint: a
    # reviewer looks before anything is paid to it.
    shared_with_other_reseller = models.BooleanField(
        _("same account as another reseller"), default=False, db_index=True
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    # Payment-redirection fraud (issue 15): a new account is paid only once
    # every company admin was told and did not object until
    # `cooling_off_until`, or once an operator verified it another way.
    # Set once the outbox handed the notice named by `told_notice_key` (the
    # dedup-key prefix of its messages) to the mail server for every admin;
    # the cooling-off counts from then, never from the queueing (issue 27).
    admins_told_at = models.DateTimeField(_("admins told at"), null=True, blank=True)
    told_notice_key = models.CharField(
        _("notice whose delivery starts the cooling-off"),
        max_length=120,
        blank=True,
        editable=False,
    )
    cooling_off_until = models.DateTimeField(
        _("cooling-off until"), null=True, blank=True
    )
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("verified by"),
    )
    verification_method = models.TextField(_("how it was verified"), blank=True)
    # "This was not us": nothing is paid to a frozen account.
    frozen_at = models.DateTimeField(_("frozen at"), null=True, blank=True)
    frozen_reason = models.TextField(_("why frozen"), blank=True)
    # The bank refused a payment to it: never paid again, never re-entered.
    refused_at = models.DateTimeField(
        _("refused by the bank at"), null=True, blank=True
    )
    refusal_reason = models.TextField(_("bank's refusal reason"), blank=True)
    # A shared account is paid only after an operator cleared it with a reason.
    shared_cleared_at = models.DateTimeField(
        _("sharing cleared at"), null=True, blank=True
    )
    shared_cleared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("cleared by"),
    )
    shared_cleared_reason = models.TextField(_("why sharing is cleared"), blank=True)

    # Audit trail: who created or changed which version (encrypted field only).
    history = HistoricalRecords()

    objects = BankAccountQuerySet.as_manager()

    class Meta:
        verbose_name = _("bank account")
        verbose_name_plural = _("bank accounts")
        permissions = [
            ("verify_bank_account", "Can verify a new bank account"),
            ("clear_shared_bank_account", "Can clear an account shared by companies"),
        ]
        ordering = ["reseller", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["reseller", "version"], name="bank_account_unique_version"
            ),
            models.UniqueConstraint(
                fields=["reseller"],
                condition=Q(is_current=True),
                name="bank_account_one_current",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.beneficiary_name} ****{self.account_last4}"

    @property
    def can_be_confirmed(self) -> bool:
        """Whether an admin may still confirm payouts to this account: not
        once the bank refused it nor once the company froze it."""
        return self.refused_at is None and self.frozen_at is None

    @property
    def masked_account(self) -> str:
        return f"****{self.account_last4}"

    @staticmethod
    def notice_undelivered_q() -> Q:
        """`notice_undelivered` as a condition, for counts beside others."""
        return Q(admins_told_at__isnull=True, verified_at__isnull=True) & ~Q(
            told_notice_key=""
        )

    @staticmethod
    def shared_waiting_q() -> Q:
        """`shared_waiting` as a condition, for counts beside others."""
        return Q(
            shared_with_other_reseller=True,
            shared_cleared_at__isnull=True,
            refused_at__isnull=True,
        )
