"""The register of personal data (R26): one row per kind of personal data the
portal holds, with where it is stored, why, on what legal basis, how long, and
what closing an account does to it.

The export ("your data"), the erasure ("close my account") and the retention
job all read this table, and docs/privacy.md is written from it
(`manage.py privacy_register`), so the four cannot disagree. A new model that
holds personal data adds its row here; tests/portal/privacy/ then check that
the export shows it and that erasure leaves no trace of the person in it.
"""

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from django.apps import apps
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Basis(StrEnum):
    """The legal ground for holding the data (GDPR Art. 6(1))."""

    CONTRACT = "contract"
    LEGAL_OBLIGATION = "legal_obligation"
    LEGITIMATE_INTEREST = "legitimate_interest"


BASIS_WORDS = {
    Basis.CONTRACT: _("Contract: taking part in the program (GDPR Art. 6(1)(b))"),
    Basis.LEGAL_OBLIGATION: _(
        "Legal obligation: Bokföringslagen 7 kap. 2 § (GDPR Art. 6(1)(c))"
    ),
    Basis.LEGITIMATE_INTEREST: _(
        "Legitimate interest: security, fraud prevention and an audit trail "
        "(GDPR Art. 6(1)(f))"
    ),
}


class Retention(StrEnum):
    """How long a kind is kept; the retention job has one step per kind that
    ends by time (portal.privacy.retention.STEPS), the others end when the
    account is closed."""

    ACCOUNT = "account"
    UNVERIFIED = "unverified"
    ACCOUNTING = "accounting"
    BANK_DETAILS = "bank_details"
    SESSIONS = "sessions"
    SECURITY_LOG = "security_log"
    EXPORT = "export"


RETENTION_WORDS = {
    Retention.ACCOUNT: _("While the account is open; erased when it is closed."),
    Retention.UNVERIFIED: _(
        "While the account is open; deleted after PRIVACY_UNVERIFIED_ACCOUNT_DAYS "
        "(30) days if the address was never verified; erased when it is closed."
    ),
    Retention.ACCOUNTING: _(
        "Accounting record: until the end of the PRIVACY_ACCOUNTING_YEARS (7th) "
        "year after the financial year of the payment, never while a claim or "
        "payout referring to it is open or disputed; then its files are deleted."
    ),
    Retention.BANK_DETAILS: _(
        "The company's current details while it takes part; a refused or replaced "
        "account is reduced to its masked form and fingerprint after the "
        "accounting period."
    ),
    Retention.SESSIONS: _(
        "Until PRIVACY_SESSION_RETENTION_DAYS after the session expired; ended "
        "when the account is closed."
    ),
    Retention.SECURITY_LOG: _("PRIVACY_SECURITY_LOG_RETENTION_DAYS (730) days."),
    Retention.EXPORT: _("PRIVACY_EXPORT_VALID_DAYS (7) days after it is ready."),
}


class Erasure(StrEnum):
    """What closing the account does to a kind."""

    IDENTITY = "identity"  # the fields become the pseudonym (or blank)
    MENTIONS = "mentions"  # the person's name and addresses in the text become it
    DELETE = "delete"  # the rows are deleted
    KEEP = "keep"  # an accounting record of the company: kept whole


ERASURE_WORDS = {
    Erasure.IDENTITY: _("Replaced by a pseudonym."),
    Erasure.MENTIONS: _("The name and e-mail address in it replaced by a pseudonym."),
    Erasure.DELETE: _("Deleted."),
    Erasure.KEEP: _(
        "Kept: an accounting record of the company; it points at the pseudonym."
    ),
}


@dataclass(frozen=True)
class PersonalData:
    """One kind of personal data in the register."""

    kind: str
    label: str
    model: str  # "app_label.ModelName"
    fields: tuple[str, ...]
    purpose: str
    basis: Basis
    retention: Retention
    erasure: Erasure
    # The rows about the person, by reference to their account.
    person: Callable[..., Q] | None = None
    # Text fields searched for the person's e-mail addresses: rows that name
    # them without a reference (the security log, e-mails sent to them).
    mentions: tuple[str, ...] = ()
    # Further text fields erasure searches and rewrites (an e-mail to a
    # colleague that names the person), never exported.
    erase_mentions: tuple[str, ...] = ()
    # Fields erasure empties (an IP address).
    clear: tuple[str, ...] = ()
    # Files that go with a row (a FileField's name), for "where" and the job.
    files: str = ""
    # Held about staff only (reviewers, operators); a reseller's export has none.
    staff_only: bool = False
    # The company's own record, about no person by reference: personal data
    # only where the company's legal name and address are a person's (a sole
    # trader). A person's export has none of its rows; erasure keeps it.
    company_record: bool = False

    @property
    def model_class(self) -> type[models.Model]:
        return apps.get_model(self.model)

    @property
    def where(self) -> str:
        place = f"database table `{self.model_class._meta.db_table}`"
        if self.files:
            place += f"; files in the private storage ({self.files})"
        return place


def _user(field: str) -> Callable[..., Q]:
    return lambda user: Q(**{field: user.pk})


def _any(*fields: str) -> Callable[..., Q]:
    def person(user) -> Q:
        query = Q()
        for field in fields:
            query |= Q(**{field: user.pk})
        return query

    return person


REGISTER: tuple[PersonalData, ...] = (
    PersonalData(
        kind="profile",
        label=_("Profile"),
        model="resellers.User",
        fields=(
            "email",
            "first_name",
            "last_name",
            "preferred_language",
            "reseller_id",
            "is_company_admin",
            "member_approved_at",
            "date_joined",
            "last_login",
            "is_active",
        ),
        purpose=_("Signing in, company membership and role, who did what."),
        basis=Basis.CONTRACT,
        retention=Retention.UNVERIFIED,
        erasure=Erasure.IDENTITY,
        person=_user("pk"),
    ),
    PersonalData(
        kind="profile_history",
        label=_("Changes to the profile"),
        model="resellers.HistoricalUser",
        fields=(
            "history_date",
            "history_type",
            "email",
            "first_name",
            "last_name",
            "reseller_id",
            "is_company_admin",
            "is_staff",
        ),
        purpose=_("Audit: who changed an account's address, company or role."),
        basis=Basis.LEGITIMATE_INTEREST,
        retention=Retention.ACCOUNT,
        erasure=Erasure.IDENTITY,
        person=_user("id"),
    ),
    PersonalData(
        kind="email_addresses",
        label=_("E-mail addresses"),
        model="account.EmailAddress",
        fields=("email", "verified", "primary"),
        purpose=_("Signing in and receiving the program's e-mails."),
        basis=Basis.CONTRACT,
        retention=Retention.ACCOUNT,
        erasure=Erasure.DELETE,
        person=_user("user"),
    ),
    PersonalData(
        kind="microsoft_sign_in",
        label=_("Microsoft sign-in"),
        model="socialaccount.SocialAccount",
        fields=("provider", "uid", "date_joined", "last_login"),
        purpose=_("Signing in with a Microsoft work account (R23)."),
        basis=Basis.CONTRACT,
        retention=Retention.ACCOUNT,
        erasure=Erasure.DELETE,
        person=_user("user"),
        staff_only=True,  # only those who chose it have one
    ),
    PersonalData(
        kind="second_factors",
        label=_("Second factors"),
        model="mfa.Authenticator",
        fields=("type", "created_at", "last_used_at"),
        purpose=_("Staff sign-in with a second factor (R24)."),
        basis=Basis.LEGITIMATE_INTEREST,
        retention=Retention.ACCOUNT,
        erasure=Erasure.DELETE,
        person=_user("user"),
        staff_only=True,
    ),
    PersonalData(
        kind="sessions",
        label=_("Sessions"),
        model="sessions.Session",
        fields=("expire_date",),
        purpose=_("Keeping a person signed in."),
        basis=Basis.CONTRACT,
        retention=Retention.SESSIONS,
        erasure=Erasure.DELETE,
        # Found by decoding the open sessions (portal.privacy.collect).
    ),
    PersonalData(
        kind="security_log",
        label=_("Sign-ins and security events"),
        model="cashback.SecurityEvent",
        fields=("created_at", "kind", "email", "ip_address", "detail"),
        purpose=_("Security: sign-ins, failed sign-ins, changes to an account."),
        basis=Basis.LEGITIMATE_INTEREST,
        retention=Retention.SECURITY_LOG,
        erasure=Erasure.MENTIONS,
        person=_user("user"),
        mentions=("email",),
        erase_mentions=("detail",),
        clear=("ip_address",),
    ),
    PersonalData(
        kind="pending_membership",
        label=_("Company membership waiting for verification"),
        model="resellers.PendingMembership",
        fields=("reseller_id", "created_at"),
        purpose=_("Joining a company once the address is verified."),
        basis=Basis.CONTRACT,
        retention=Retention.UNVERIFIED,
        erasure=Erasure.DELETE,
        person=_user("user"),
        staff_only=True,  # gone once the address is verified
    ),
    PersonalData(
        kind="company_events",
        label=_("Company events"),
        model="resellers.ResellerEvent",
        fields=("created_at", "kind", "reseller_id", "detail"),
        purpose=_("The company's record of who joined, left or changed what."),
        basis=Basis.LEGITIMATE_INTEREST,
        retention=Retention.ACCOUNT,
        erasure=Erasure.MENTIONS,
        person=_user("actor"),
        mentions=("detail",),
    ),
    PersonalData(
        kind="claims",
        label=_("Claims filed or decided"),
        model="claims.Claim",
        fields=(
            "reference",
            "status",
            "created_at",
            "terms_accepted_at",
            "terms_accepted_ip",
            "reward_amount",
            "reward_currency",
            "decided_at",
        ),
        purpose=_("The claim and the acceptance of the offer's terms (R8)."),
        basis=Basis.LEGAL_OBLIGATION,
        retention=Retention.ACCOUNTING,
        erasure=Erasure.KEEP,
        person=_any("submitted_by", "reviewer"),
    ),
    PersonalData(
        kind="claim_events",
        label=_("Steps on claims"),
        model="claims.ClaimEvent",
        fields=(
            "created_at",
            "claim_id",
            "kind",
            "from_status",
            "to_status",
            "message",
        ),
        purpose=_("The claim's timeline: who moved it, when and why."),
        basis=Basis.LEGAL_OBLIGATION,
        retention=Retention.ACCOUNTING,
        erasure=Erasure.MENTIONS,
        person=_user("actor"),
    ),
    PersonalData(
        kind="invoice_uploads",
        label=_("Invoice copies uploaded"),
        model="claims.InvoiceDocument",
        fields=("uploaded_at", "claim_id", "original_name", "content_type", "size"),
        purpose=_("Evidence for a claim a reviewer asked for (R9)."),
        basis=Basis.LEGAL_OBLIGATION,
        retention=Retention.ACCOUNTING,
        erasure=Erasure.KEEP,
        person=_user("uploaded_by"),
        files="invoices/",
    ),
    PersonalData(
        kind="duplicate_attempts",
        label=_("Agreement numbers tried twice"),
        model="claims.DuplicateAttempt",
        fields=("attempted_at", "agreement_number"),
        purpose=_("Flagging a number claimed by another company to reviewers (R7)."),
        basis=Basis.LEGITIMATE_INTEREST,
        retention=Retention.ACCOUNTING,
        erasure=Erasure.KEEP,
        person=_user("user"),
        staff_only=True,
    ),
    PersonalData(
        kind="reward_adjustments",
        label=_("Reward adjustments"),
        model="claims.RewardAdjustment",
        fields=("claim_id", "amount", "currency", "reason", "status"),
        purpose=_("Four eyes on a raised reward (R21)."),
        basis=Basis.LEGAL_OBLIGATION,
        retention=Retention.ACCOUNTING,
        erasure=Erasure.KEEP,
        person=_any("requested_by", "confirmed_by"),
        staff_only=True,
    ),
    PersonalData(
        kind="ledger_uploads",
        label=_("Ledger files uploaded"),
        model="claims.AgreementImport",
        fields=("created_at", "original_name", "status"),
        purpose=_("The Open agreement ledger claims are checked against."),
        basis=Basis.LEGAL_OBLIGATION,
        retention=Retention.ACCOUNTING,
        erasure=Erasure.KEEP,
        person=_user("created_by"),
        files="ledger/",
        staff_only=True,
    ),
    PersonalData(
        kind="bank_details",
        label=_("Bank details entered"),
        model="payouts.BankAccount",
        fields=(
            "created_at",
            "version",
            "beneficiary_name",
            "account_last4",
            "bic",
            "bank_country",
            "currency",
            "is_current",
        ),
        purpose=_("Paying the company's rewards (R12, R20); who entered them."),
        basis=Basis.LEGAL_OBLIGATION,
        retention=Retention.BANK_DETAILS,
        erasure=Erasure.KEEP,
        person=_user("created_by"),
    ),
    PersonalData(
        kind="payout_events",
        label=_("Steps on payouts"),
        model="payouts.PayoutEvent",
        fields=(
            "created_at",
            "payout_id",
            "kind",
            "from_status",
            "to_status",
            "message",
        ),
        purpose=_("The payout's timeline: who moved it, when and why."),
        basis=Basis.LEGAL_OBLIGATION,
        retention=Retention.ACCOUNTING,
        erasure=Erasure.MENTIONS,
        person=_user("actor"),
        staff_only=True,
    ),
    PersonalData(
        kind="payment_batches",
        label=_("Payment batches built or released"),
        model="payouts.PaymentBatch",
        fields=("created_at", "currency", "status", "message_id", "released_at"),
        purpose=_("Four eyes on payments; the pain.001 file sent to the bank."),
        basis=Basis.LEGAL_OBLIGATION,
        retention=Retention.ACCOUNTING,
        erasure=Erasure.KEEP,
        person=_any("created_by", "released_by"),
        files="pain.001 kept with the batch",
        staff_only=True,
    ),
    PersonalData(
        kind="payment_statements",
        label=_("Payment statements"),
        model="statements.PaymentStatement",
        fields=(
            "reseller_id",
            "payment_id",
            "execution_date",
            "amount",
            "currency",
            "issued_at",
            "content",
        ),
        purpose=_(
            "The remittance advice of a payment to the company (R25). Its frozen "
            "content names the company (legal name, organisation number, address), "
            "the masked account and the claims paid; no user's name or e-mail "
            "address. It names a person only where the company's legal name and "
            "address are theirs (a sole trader)."
        ),
        basis=Basis.LEGAL_OBLIGATION,
        retention=Retention.ACCOUNTING,
        erasure=Erasure.KEEP,
        files="statements/",
        company_record=True,
    ),
    PersonalData(
        kind="vat_documents",
        label=_("VAT documents"),
        model="statements.VatDocument",
        fields=(
            "reseller_id",
            "kind",
            "number",
            "issue_date",
            "currency",
            "total_amount",
            "content",
        ),
        purpose=_(
            "The credit note, self-billed invoice or settlement note of a payment "
            "(R25; Mervärdesskattelagen 17 kap.). Its frozen content names the "
            "company and the vendor as parties and the claims paid; no user's name "
            "or e-mail address. It names a person only where the company's legal "
            "name and address are theirs (a sole trader)."
        ),
        basis=Basis.LEGAL_OBLIGATION,
        retention=Retention.ACCOUNTING,
        erasure=Erasure.KEEP,
        files="statements/",
        company_record=True,
    ),
    PersonalData(
        kind="self_billing_agreements",
        label=_("Self-billing agreements accepted or withdrawn"),
        model="statements.SelfBillingAgreement",
        fields=(
            "reseller_id",
            "accepted_at",
            "accepted_ip",
            "withdrawn_at",
        ),
        purpose=_(
            "Evidence that the company agreed to self-billing (Mervärdesskattelagen "
            "17 kap. 15 §): who accepted or withdrew it, when, and the IP address "
            "it was accepted from. The IP address is kept with the record, as with "
            "a claim's acceptance of the terms; closing the account leaves the "
            "record pointing at the pseudonym."
        ),
        basis=Basis.LEGAL_OBLIGATION,
        retention=Retention.ACCOUNTING,
        erasure=Erasure.KEEP,
        person=_any("accepted_by", "withdrawn_by"),
    ),
    PersonalData(
        kind="emails",
        label=_("E-mails sent"),
        model="cashback.OutboxMessage",
        fields=("created_at", "sent_at", "recipients", "subject", "text_body"),
        purpose=_("Notices about claims, payouts, the company and the account."),
        basis=Basis.CONTRACT,
        retention=Retention.ACCOUNT,
        erasure=Erasure.MENTIONS,
        mentions=("recipients",),
        erase_mentions=("subject", "text_body", "html_body"),
    ),
    PersonalData(
        kind="admin_log",
        label=_("Changes made in administration"),
        model="admin.LogEntry",
        fields=("action_time", "object_repr", "change_message"),
        purpose=_("Audit of staff changes in administration."),
        basis=Basis.LEGITIMATE_INTEREST,
        retention=Retention.ACCOUNT,
        erasure=Erasure.MENTIONS,
        person=_user("user"),
        erase_mentions=("object_repr", "change_message"),
        staff_only=True,
    ),
    PersonalData(
        kind="data_exports",
        label=_("Copies of your data"),
        model="privacy.DataExport",
        fields=("requested_at", "status", "expires_at"),
        purpose=_("The person's copy of their data (GDPR Art. 15)."),
        basis=Basis.LEGAL_OBLIGATION,
        retention=Retention.EXPORT,
        erasure=Erasure.DELETE,
        person=_user("user"),
        files="exports/",
    ),
)


def register_entry(kind: str) -> PersonalData:
    """The register's row for `kind`."""
    for entry in REGISTER:
        if entry.kind == kind:
            return entry
    raise KeyError(kind)
