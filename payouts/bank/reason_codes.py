"""The ISO 20022 reason codes the bank sends, in plain words and by whose side.

A status reason (pain.002 `StsRsnInf/Rsn/Cd`) or a return reason (pacs.004
`RtrRsnInf/Rsn/Cd`) is either about the reseller's details - the payout fails
and a new cycle of notice and reminders starts (R13) - or about the vendor's
side - its funds, its file - and then the payout goes back to scheduled and the
operators are alerted; the reseller is never told about the vendor's problem.

Codes from the ISO 20022 External Code Sets (ExternalStatusReason1Code and
ExternalReturnReason1Code).
"""

from dataclasses import dataclass
from enum import StrEnum

from django.utils.functional import Promise, lazy
from django.utils.translation import gettext_lazy as _


class Side(StrEnum):
    """Whose problem a refusal is, and so what happens to the payout."""

    # Wrong, closed or blocked account, name, address or bank: fail the payout
    # and ask the reseller for valid details (a new cycle, R13).
    RESELLER = "reseller"
    # Funds, file format, duplicate file: back to scheduled, operators alerted.
    VENDOR = "vendor"


@dataclass(frozen=True)
class ReasonCode:
    code: str
    side: Side
    text: Promise  # translatable, said to the reseller in their language


REASONS: dict[str, ReasonCode] = {
    reason.code: reason
    for reason in [
        ReasonCode("AC01", Side.RESELLER, _("the account number is wrong")),
        ReasonCode("AC04", Side.RESELLER, _("the account is closed")),
        ReasonCode(
            "AC06", Side.RESELLER, _("the account is blocked for incoming payments")
        ),
        ReasonCode(
            "AG01",
            Side.RESELLER,
            _("the account does not accept this kind of payment"),
        ),
        ReasonCode("BE04", Side.RESELLER, _("the beneficiary's address is missing")),
        ReasonCode(
            "BE05",
            Side.RESELLER,
            _("the beneficiary's name does not match the account"),
        ),
        ReasonCode("RC01", Side.RESELLER, _("the bank identifier (BIC) is wrong")),
        ReasonCode("MS03", Side.RESELLER, _("the bank gave no reason")),
        # pacs.004 return reasons: a paid transfer that came back.
        ReasonCode("AC03", Side.RESELLER, _("the account number is wrong")),
        ReasonCode("MD07", Side.RESELLER, _("the account holder is deceased")),
        ReasonCode("MS02", Side.RESELLER, _("the beneficiary's bank refused it")),
        ReasonCode(
            "NARR", Side.RESELLER, _("the beneficiary's bank returned it (see note)")
        ),
        ReasonCode(
            "RR04",
            Side.RESELLER,
            _("the beneficiary's bank returned it for regulatory reasons"),
        ),
        ReasonCode("BE01", Side.RESELLER, _("the beneficiary's name does not match")),
        # The vendor's side: nothing the reseller can fix.
        ReasonCode("AM04", Side.VENDOR, _("the paying account had insufficient funds")),
        ReasonCode("FF01", Side.VENDOR, _("the payment file was not valid")),
        ReasonCode("DUPL", Side.VENDOR, _("the payment file was sent twice")),
        ReasonCode("AM05", Side.VENDOR, _("the payment was sent twice")),
        ReasonCode("CUST", Side.VENDOR, _("the payment was cancelled by the payer")),
    ]
}

# An unknown code is treated as "not specified": the details are asked for
# again, which is what MS03 means, and the operators see the raw code.
UNSPECIFIED = REASONS["MS03"]


# A refusal of something the bank already has (the same file or payment sent
# twice): the first copy stands, so nothing is failed or scheduled again.
DUPLICATES = {"DUPL", "AM05"}


def is_duplicate(code: str) -> bool:
    return (code or "").strip().upper() in DUPLICATES


def reason_words(code: str, fallback: str = "") -> str:
    """The reason in plain words, in the active language: the code's text, or
    `fallback` (a reason recorded without a code) when there is no code."""
    if not code and fallback:
        return fallback
    return str(reason_lookup(code).text)


# The same, decided when it is rendered: an e-mail rendered once per language.
reason_words_lazy = lazy(reason_words, str)


def reason_lookup(code: str) -> ReasonCode:
    """The entry for `code`, or the "not specified" one for a code we do not list."""
    return REASONS.get((code or "").strip().upper(), UNSPECIFIED)
