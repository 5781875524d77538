"""Users, the reseller companies they belong to, the e-mail domain policy and
program memberships (MRI)."""

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField
from simple_history.models import HistoricalRecords

from .managers import UserManager


class Reseller(models.Model):
    """A reseller company; its users file claims and receive payouts for it."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        HELD = "held", _("Held for review")
        SUSPENDED = "suspended", _("Suspended")

    legal_name = models.CharField(_("legal name"), max_length=200)
    # cleanco-normalised legal name: what beneficiary names and ledger names match.
    normalized_name = models.CharField(
        _("normalised name"), max_length=200, db_index=True, editable=False
    )
    country = CountryField(_("country"))
    org_number = models.CharField(
        _("organisation number"), max_length=40, help_text=_("Stored normalised.")
    )
    vat_number = models.CharField(_("VAT number"), max_length=40, blank=True)
    street_address = models.CharField(_("street address"), max_length=200, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    region = models.CharField(_("region or state"), max_length=100, blank=True)
    preferred_currency = models.CharField(
        _("preferred payout currency"), max_length=3, blank=True
    )
    preferred_language = models.CharField(
        _("preferred language"), max_length=8, choices=settings.LANGUAGES, default="en"
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.ACTIVE
    )
    review_note = models.TextField(_("review note"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("reseller")
        verbose_name_plural = _("resellers")
        permissions = [("approve_reseller", "Can let in a company held for a check")]
        ordering = ["legal_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["country", "org_number"], name="reseller_unique_org_number"
            )
        ]
        indexes = [models.Index(fields=["org_number"], name="reseller_org_number_idx")]

    def __str__(self) -> str:
        return f"{self.legal_name} ({self.country.code} {self.org_number})"

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE


class ResellerDomain(models.Model):
    """An e-mail domain of a reseller: colleagues on it can join the company."""

    reseller = models.ForeignKey(
        Reseller, on_delete=models.CASCADE, related_name="domains"
    )
    domain = models.CharField(_("domain"), max_length=253)

    class Meta:
        verbose_name = _("reseller e-mail domain")
        verbose_name_plural = _("reseller e-mail domains")
        constraints = [
            models.UniqueConstraint(
                fields=["reseller", "domain"], name="reseller_domain_unique"
            )
        ]
        indexes = [models.Index(fields=["domain"], name="reseller_domain_idx")]

    def __str__(self) -> str:
        return self.domain


def language_for(own: str, company: str | None) -> str:
    """The language of a user's e-mails: their own choice, else their company's,
    else English. User.language and resellers.selectors.recipients_by_language
    both decide it here."""
    return own or company or "en"


def active_admin_exists(reseller_ref: str = "reseller_id") -> models.Exists:
    """Whether the company named by the outer row's `reseller_ref` has an
    active admin, i.e. someone who may give its bank details (issue 27): the
    one home of that question in a query."""
    return models.Exists(
        User.objects.filter(
            reseller_id=models.OuterRef(reseller_ref),
            is_active=True,
            is_company_admin=True,
        )
    )


def approved_member_q() -> Q:
    """`User.is_approved_member` in a query: the same rule, for reads that pick
    the users who may see all of their company (its e-mail recipients)."""
    return Q(is_company_admin=True) | Q(member_approved_at__isnull=False)


class User(AbstractUser):
    """A person who signs in with an e-mail address: reseller staff or vendor staff."""

    username = None
    email = models.EmailField(_("e-mail address"), unique=True)
    reseller = models.ForeignKey(
        Reseller,
        on_delete=models.PROTECT,
        related_name="members",
        null=True,
        blank=True,
        verbose_name=_("reseller"),
    )
    is_company_admin = models.BooleanField(_("company admin"), default=False)
    # A colleague who joined by domain reaches bank details, colleagues' claims
    # and the company settings only once a company admin approved them (R20).
    member_approved_at = models.DateTimeField(
        _("member approved at"), null=True, blank=True
    )
    member_approved_by = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("member approved by"),
    )
    preferred_language = models.CharField(
        _("preferred language"),
        max_length=8,
        choices=settings.LANGUAGES,
        blank=True,
        help_text=_("Pages and e-mails use this language when set."),
    )

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []
    # Who changed a user's staff flags, groups' holder or address, and when;
    # the password hash and the log-in time stay out of it.
    history = HistoricalRecords(excluded_fields=["password", "last_login"])

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.email

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.email

    @property
    def is_approved_member(self) -> bool:
        """Whether the user may see all of the company: its bank details, every
        member's claims and payouts, its settings. A company admin always may;
        a colleague who joined by domain once a company admin approved them.
        `approved_member_q` says the same in a query."""
        return self.is_company_admin or self.member_approved_at is not None

    @property
    def language(self) -> str:
        """The language for this user's e-mails."""
        return language_for(
            self.preferred_language,
            self.reseller.preferred_language if self.reseller_id else "",
        )


class EmailDomainRule(models.Model):
    """A program manager's addition to the packaged webmail and disposable lists."""

    class Action(models.TextChoices):
        BLOCK = "block", _("Block")
        ALLOW = "allow", _("Allow")

    domain = models.CharField(_("domain"), max_length=253, unique=True)
    action = models.CharField(_("action"), max_length=5, choices=Action.choices)
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("e-mail domain rule")
        verbose_name_plural = _("e-mail domain rules")
        ordering = ["domain"]

    def __str__(self) -> str:
        return f"{self.get_action_display()}: {self.domain}"


class ProgramMembership(models.Model):
    """A reseller's membership of a partner program (MRI), imported by managers."""

    reseller = models.ForeignKey(
        Reseller, on_delete=models.CASCADE, related_name="memberships"
    )
    program = models.CharField(_("program"), max_length=40)
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"), null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("program membership")
        verbose_name_plural = _("program memberships")
        ordering = ["reseller", "program", "start_date"]
        constraints = [
            models.UniqueConstraint(
                fields=["reseller", "program", "start_date"],
                name="membership_unique_start",
            ),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True)
                | Q(end_date__gte=models.F("start_date")),
                name="membership_end_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.program} {self.start_date}..{self.end_date or ''}"


class WaitingMembership(models.Model):
    """A program membership imported for an organisation number no company has
    registered yet: kept, and made a ProgramMembership the day a company with
    that number signs up (or is corrected to it), so signing up after the
    import does not escape the excluded program (R5)."""

    # The number as letters and digits only (identifiers.org_number_match_key).
    org_number_key = models.CharField(_("organisation number key"), max_length=40)
    org_number = models.CharField(_("organisation number as imported"), max_length=40)
    program = models.CharField(_("program"), max_length=40)
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"), null=True, blank=True)
    imported_at = models.DateTimeField(_("imported at"), auto_now=True)

    class Meta:
        verbose_name = _("membership waiting for its company")
        verbose_name_plural = _("memberships waiting for their company")
        ordering = ["org_number_key", "program", "start_date"]
        constraints = [
            models.UniqueConstraint(
                fields=["org_number_key", "program", "start_date"],
                name="waiting_membership_unique_start",
            ),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True)
                | Q(end_date__gte=models.F("start_date")),
                name="waiting_membership_end_after_start",
            ),
        ]

    def __str__(self) -> str:
        period = f"{self.start_date}..{self.end_date or ''}"
        return f"{self.org_number}: {self.program} {period}"


class PendingMembership(models.Model):
    """A colleague who signed up with a company's domain and organisation number.

    They join the company only once their address is verified, so an
    unverified address on the domain never sees the company's data.
    """

    user = models.OneToOneField(
        User,
        on_delete=models.CASCADE,
        related_name="pending_membership",
        verbose_name=_("user"),
    )
    reseller = models.ForeignKey(
        Reseller,
        on_delete=models.CASCADE,
        related_name="pending_members",
        verbose_name=_("reseller"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("pending membership")
        verbose_name_plural = _("pending memberships")

    def __str__(self) -> str:
        return f"{self.user} -> {self.reseller}"


class ResellerEvent(models.Model):
    """One change to a company or its members: who, when, what."""

    class Kind(models.TextChoices):
        REGISTERED = "registered", _("Company registered")
        HELD = "held", _("Held for a program manager's check")
        APPROVED = "approved", _("Approved by a program manager")
        MEMBER_JOINED = "member_joined", _("Member joined")
        MEMBER_REMOVED = "member_removed", _("Member removed")
        PROFILE_CHANGED = "profile_changed", _("Company details changed")
        STATUS_CHANGED = "status_changed", _("Status changed")
        ORG_NUMBER_CHANGED = "org_number_changed", _("Organisation number changed")
        LEGAL_NAME_CHANGED = "legal_name_changed", _("Legal name changed")
        MEMBER_CHANGED = "member_changed", _("Member's company or role changed")
        ADMIN_ADDED = "admin_added", _("Member made company admin")
        MEMBER_APPROVED = "member_approved", _("Member approved by a company admin")
        ADMIN_REMOVED = "admin_removed", _("Company admin removed")
        ADMIN_DEMOTED = "admin_demoted", _("Company admin made a plain member")
        ADMIN_RESTORED = "admin_restored", _("Company admin restored")

    reseller = models.ForeignKey(
        Reseller, on_delete=models.CASCADE, related_name="events"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    actor = models.ForeignKey(
        User,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("company event")
        verbose_name_plural = _("company events")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["reseller", "-created_at"], name="reseller_event_idx")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.created_at:%Y-%m-%d})"


class CompanyAdminEnd(models.Model):
    """When someone stopped being a company's admin (removed or demoted), by
    whom, and whether the "this was not us" link restored them (issue 27).

    Bank-details notices also go to whoever was an admin in the last
    `FORMER_ADMIN_NOTICE_DAYS` days, so removing a co-admin before changing the
    account does not keep them from hearing of it.
    """

    class How(models.TextChoices):
        REMOVED = "removed", _("Removed from the company")
        DEMOTED = "demoted", _("Made a plain member")

    reseller = models.ForeignKey(
        Reseller,
        on_delete=models.CASCADE,
        related_name="admin_ends",
        verbose_name=_("reseller"),
    )
    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="+", verbose_name=_("user")
    )
    how = models.CharField(_("how"), max_length=10, choices=How.choices)
    ended_at = models.DateTimeField(_("ended at"), auto_now_add=True)
    ended_by = models.ForeignKey(
        User,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("ended by"),
    )
    restored_at = models.DateTimeField(_("restored at"), null=True, blank=True)

    class Meta:
        verbose_name = _("end of a company admin's rights")
        verbose_name_plural = _("ends of company admins' rights")
        ordering = ["-ended_at"]
        indexes = [
            models.Index(fields=["reseller", "-ended_at"], name="admin_end_recent_idx")
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_how_display()}, {self.ended_at:%Y-%m-%d})"
