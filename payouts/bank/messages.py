"""Readers for the bank's ISO 20022 answers: pain.002, camt.054, camt.053, pacs.004.

Each reader turns one file into a `BankMessage`: plain data, payment by payment,
that says nothing yet about payouts (inbound.py and the apply step do that).
A file that cannot be read - not XML, cut short, a namespace we do not read, a
required element missing - raises one `BankFileError` with a code and a reason,
never anything else.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from lxml import etree

NAMESPACE_PREFIX = "urn:iso:std:iso:20022:tech:xsd:"

# Message kinds, and the versions of each that we read. The mock bank and most
# banks today write the 2019 set (pain.002.001.10, camt.05x.001.08,
# pacs.004.001.09); many banks still write the 2009 set (.001.03/.001.02).
PAIN002 = "pain.002"
CAMT054 = "camt.054"
CAMT053 = "camt.053"
PACS004 = "pacs.004"
READ_VERSIONS = {
    PAIN002: {"001.03", "001.10"},
    CAMT054: {"001.02", "001.08"},
    CAMT053: {"001.02", "001.08"},
    PACS004: {"001.09"},
}

# Transaction and group statuses (ExternalPaymentTransactionStatus1Code /
# ExternalPaymentGroupStatus1Code) and entry statuses.
ACCEPTED = {"ACCP", "ACSP", "ACSC", "ACTC", "ACWC", "ACCC"}
REJECTED = "RJCT"
PARTLY = "PART"
PENDING = "PDNG"
BOOKED = "BOOK"
RETURNED = "RTRN"  # our own name for a pacs.004 transaction: a return

MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_IDENTIFIER = 35  # Max35Text: message ids, end-to-end ids


class BankFileError(Exception):
    """A bank file the portal cannot read or will not apply, and why.

    `code` is stable for tests and logs (`not_xml`, `unknown_message`,
    `missing_element`, `bad_value`, `already_read`, `unknown_batch`,
    `not_ours`, ...); `reason` is said to the operators.
    """

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(f"{code}: {reason}")
        self.code = code
        self.reason = reason


@dataclass(frozen=True)
class BankPayment:
    """What the bank says about one payment (one of our transfers)."""

    end_to_end_id: str
    # pain.002: the transaction's own status, or its batch's or group's when it
    # has none (ACCP, ACSP, ACSC, RJCT, ...); camt: the entry's (BOOK, PDNG);
    # pacs.004: RTRN.
    status: str
    reason_code: str = ""
    reason_text: str = ""
    amount: Decimal | None = None
    currency: str = ""
    booking_date: date | None = None
    bank_reference: str = ""
    # camt: DBIT (our payment booked) or CRDT (money back, e.g. a return).
    credit_debit: str = ""
    # camt.054/camt.053 entry and pacs.004 transaction: why it came back.
    return_reason: str = ""
    # The pain.001 this payment was in, where the bank says so per payment.
    original_message_id: str = ""

    @property
    def is_rejected(self) -> bool:
        return self.status == REJECTED

    @property
    def is_accepted(self) -> bool:
        return self.status in ACCEPTED

    @property
    def is_booked_debit(self) -> bool:
        return self.status == BOOKED and self.credit_debit == "DBIT"

    @property
    def is_return(self) -> bool:
        return self.status == RETURNED or bool(
            self.return_reason and self.credit_debit == "CRDT"
        )


@dataclass(frozen=True)
class BankMessage:
    """One file from the bank, read."""

    message_id: str
    message_type: str  # the full version, e.g. "pain.002.001.10"
    created_at: datetime | None
    # pain.002 and pacs.004: the pain.001 the whole message answers.
    original_message_id: str = ""
    # pain.002 only: the group status (ACCP, PART, RJCT, ...) and its reason.
    group_status: str = ""
    group_reason_code: str = ""
    group_reason_text: str = ""
    payments: tuple[BankPayment, ...] = field(default_factory=tuple)
    # camt.054 / camt.053: the account of each notification or statement, as
    # the bank names it (IBAN, or another identifier); "" where none is named.
    accounts: frozenset[str] = frozenset()

    @property
    def kind(self) -> str:
        """ "pain.002", "camt.054", "camt.053" or "pacs.004"."""
        return self.message_type[:8]

    @property
    def original_message_ids(self) -> set[str]:
        """Every pain.001 message id this message names, at group or payment level."""
        ids = {p.original_message_id for p in self.payments}
        ids.add(self.original_message_id)
        ids.discard("")
        return ids


# Parsing ----------------------------------------------------------------------

_TYPE = re.compile(r"^(pain\.002|camt\.05[34]|pacs\.004)\.(\d{3}\.\d{2})$")


def bank_message_read(content: bytes) -> BankMessage:
    """Read one file from the bank, or raise BankFileError saying why not."""
    if not content or not content.strip():
        raise BankFileError("empty", "The file is empty.")
    if len(content) > MAX_FILE_BYTES:
        raise BankFileError("too_large", "The file is larger than 50 MB.")
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
    )
    try:
        root = etree.fromstring(content, parser)
    except etree.XMLSyntaxError as error:
        raise BankFileError(
            "not_xml", f"The file is not well-formed XML (cut short?): {error}"
        ) from None
    except ValueError as error:  # e.g. an encoding declaration lxml refuses
        raise BankFileError(
            "not_xml", f"The file is not readable XML: {error}"
        ) from None
    namespace = etree.QName(root).namespace or ""
    message_type = namespace.removeprefix(NAMESPACE_PREFIX)
    match = (
        _TYPE.match(message_type) if namespace.startswith(NAMESPACE_PREFIX) else None
    )
    if (
        etree.QName(root).localname != "Document"
        or match is None
        or match.group(2) not in READ_VERSIONS[match.group(1)]
    ):
        known = ", ".join(
            f"{kind}.{version}"
            for kind, versions in READ_VERSIONS.items()
            for version in sorted(versions)
        )
        raise BankFileError(
            "unknown_message",
            f"Not a message the portal reads (namespace {namespace or 'none'!r}); "
            f"it reads {known}.",
        )
    reader = _READERS[match.group(1)]
    return reader(_Element(root, namespace), message_type)


class _Element:
    """An lxml element with paths written without namespace prefixes."""

    def __init__(self, element, namespace: str) -> None:
        self.element = element
        self.namespace = namespace

    def _path(self, path: str) -> str:
        return "/".join(
            f"{{{self.namespace}}}{part}" if part not in {".", ".."} else part
            for part in path.split("/")
        )

    def all(self, path: str) -> list["_Element"]:
        return [
            _Element(child, self.namespace)
            for child in self.element.iterfind(self._path(path))
        ]

    def first(self, path: str) -> "_Element | None":
        found = self.element.find(self._path(path))
        return None if found is None else _Element(found, self.namespace)

    def text(self, path: str) -> str:
        found = self.element.find(self._path(path))
        return (found.text or "").strip() if found is not None else ""

    def required(self, path: str) -> str:
        value = self.text(path)
        if not value:
            raise BankFileError(
                "missing_element",
                f"<{path}> is missing under <{etree.QName(self.element).localname}>.",
            )
        return value

    def identifier(self, path: str, *, required: bool = True) -> str:
        """An ISO 20022 identifier (Max35Text): present if required, 35 at most."""
        value = self.required(path) if required else self.text(path)
        if len(value) > MAX_IDENTIFIER:
            raise BankFileError(
                "bad_value", f"<{path}> is longer than {MAX_IDENTIFIER} characters."
            )
        return value

    def attribute(self, path: str, name: str) -> str:
        found = self.element.find(self._path(path))
        return (found.get(name) or "").strip() if found is not None else ""


def _amount(node: _Element, path: str) -> tuple[Decimal | None, str]:
    value = node.text(path)
    if not value:
        return None, ""
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise BankFileError(
            "bad_value", f"<{path}> is not an amount: {value!r}."
        ) from None
    if not amount.is_finite():
        raise BankFileError("bad_value", f"<{path}> is not an amount: {value!r}.")
    return amount, node.attribute(path, "Ccy").upper()


def _date(value: str, path: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        raise BankFileError(
            "bad_value", f"<{path}> is not a date: {value!r}."
        ) from None


def _datetime(value: str) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if value else None
    except ValueError:
        raise BankFileError(
            "bad_value", f"<CreDtTm> is not a date and time: {value!r}."
        ) from None


def _reason(node: _Element | None, path: str) -> tuple[str, str]:
    """The first reason code (Cd, or Prtry) and its additional information."""
    if node is None:
        return "", ""
    reason = node.first(path)
    if reason is None:
        return "", ""
    code = reason.text("Rsn/Cd") or reason.text("Rsn/Prtry")
    info = " ".join(
        (item.element.text or "").strip() for item in reason.all("AddtlInf")
    ).strip()
    return code.upper(), info


def _pain002(root: _Element, message_type: str) -> BankMessage:
    report = root.first("CstmrPmtStsRpt")
    if report is None:
        raise BankFileError("missing_element", "<CstmrPmtStsRpt> is missing.")
    group = report.first("OrgnlGrpInfAndSts")
    if group is None:
        raise BankFileError("missing_element", "<OrgnlGrpInfAndSts> is missing.")
    group_status = group.text("GrpSts")
    group_code, group_text = _reason(group, "StsRsnInf")
    payments = []
    for batch in report.all("OrgnlPmtInfAndSts"):
        batch_status = batch.text("PmtInfSts") or group_status
        batch_code, batch_text = _reason(batch, "StsRsnInf")
        for tx in batch.all("TxInfAndSts"):
            code, text = _reason(tx, "StsRsnInf")
            amount, currency = _amount(tx, "OrgnlTxRef/Amt/InstdAmt")
            status = tx.text("TxSts") or batch_status
            if not status:
                raise BankFileError(
                    "missing_element",
                    "A payment has no status (<TxSts>, <PmtInfSts> or <GrpSts>).",
                )
            payments.append(
                BankPayment(
                    end_to_end_id=tx.identifier("OrgnlEndToEndId"),
                    status=status.upper(),
                    reason_code=code or batch_code,
                    reason_text=text or batch_text,
                    amount=amount,
                    currency=currency,
                    bank_reference=tx.text("AcctSvcrRef") or tx.text("StsId"),
                    original_message_id=group.identifier("OrgnlMsgId"),
                )
            )
    if not group_status and not payments:
        raise BankFileError(
            "missing_element", "The report has neither a group status nor payments."
        )
    return BankMessage(
        message_id=report.identifier("GrpHdr/MsgId"),
        message_type=message_type,
        created_at=_datetime(report.text("GrpHdr/CreDtTm")),
        original_message_id=group.identifier("OrgnlMsgId"),
        group_status=group_status.upper(),
        group_reason_code=group_code,
        group_reason_text=group_text,
        payments=tuple(payments),
    )


def _entry_status(entry: _Element) -> str:
    # camt.05x.001.08 wraps it (<Sts><Cd>BOOK</Cd></Sts>); .001.02 does not.
    return (
        entry.text("Sts/Cd") or entry.text("Sts/Prtry") or entry.text("Sts")
    ).upper()


def _camt_payments(report: _Element) -> list[BankPayment]:
    payments = []
    for entry in report.all("Ntry"):
        status = _entry_status(entry)
        entry_amount, entry_currency = _amount(entry, "Amt")
        booked = entry.text("BookgDt/Dt") or entry.text("BookgDt/DtTm")
        booking_date = _date(booked, "BookgDt")
        indicator = entry.required("CdtDbtInd").upper()
        entry_reference = entry.text("AcctSvcrRef")
        details = [tx for d in entry.all("NtryDtls") for tx in d.all("TxDtls")]
        for tx in details:
            amount, currency = _amount(tx, "Amt")
            if amount is None:  # camt.05x.001.02 puts it under AmtDtls
                amount, currency = _amount(tx, "AmtDtls/TxAmt/Amt")
            if amount is None and len(details) == 1:
                amount, currency = entry_amount, entry_currency
            return_code, _text = _reason(tx, "RtrInf")
            payments.append(
                BankPayment(
                    end_to_end_id=tx.text("Refs/EndToEndId"),
                    status=status,
                    amount=amount,
                    currency=currency,
                    booking_date=booking_date,
                    bank_reference=tx.text("Refs/AcctSvcrRef") or entry_reference,
                    credit_debit=(tx.text("CdtDbtInd") or indicator).upper(),
                    return_reason=return_code,
                    original_message_id=tx.text("Refs/MsgId"),
                )
            )
        if not details:
            # An entry without details (a fee, a transfer that is not ours) is
            # kept, with no end-to-end id, so the operators can see it.
            payments.append(
                BankPayment(
                    end_to_end_id="",
                    status=status,
                    amount=entry_amount,
                    currency=entry_currency,
                    booking_date=booking_date,
                    bank_reference=entry_reference,
                    credit_debit=indicator,
                )
            )
    return payments


def _camt(container: str, report_tag: str) -> Callable[[_Element, str], BankMessage]:
    def read(root: _Element, message_type: str) -> BankMessage:
        document = root.first(container)
        if document is None:
            raise BankFileError("missing_element", f"<{container}> is missing.")
        payments, accounts = [], set()
        for report in document.all(report_tag):
            payments.extend(_camt_payments(report))
            accounts.add(
                (report.text("Acct/Id/IBAN") or report.text("Acct/Id/Othr/Id"))
                .replace(" ", "")
                .upper()
            )
        return BankMessage(
            message_id=document.identifier("GrpHdr/MsgId"),
            message_type=message_type,
            created_at=_datetime(document.text("GrpHdr/CreDtTm")),
            payments=tuple(payments),
            accounts=frozenset(accounts),
        )

    return read


def _pacs004(root: _Element, message_type: str) -> BankMessage:
    document = root.first("PmtRtr")
    if document is None:
        raise BankFileError("missing_element", "<PmtRtr> is missing.")
    group_original = document.identifier("OrgnlGrpInf/OrgnlMsgId", required=False)
    group_date = document.text("GrpHdr/IntrBkSttlmDt")
    payments = []
    for tx in document.all("TxInf"):
        amount, currency = _amount(tx, "RtrdIntrBkSttlmAmt")
        if amount is None:
            amount, currency = _amount(tx, "OrgnlTxRef/Amt/InstdAmt")
        code, text = _reason(tx, "RtrRsnInf")
        settled = tx.text("IntrBkSttlmDt") or group_date
        payments.append(
            BankPayment(
                end_to_end_id=tx.identifier("OrgnlEndToEndId"),
                status=RETURNED,
                reason_code=code,
                reason_text=text,
                amount=amount,
                currency=currency,
                booking_date=_date(settled, "IntrBkSttlmDt"),
                bank_reference=tx.text("RtrId"),
                credit_debit="CRDT",
                return_reason=code,
                original_message_id=tx.text("OrgnlGrpInf/OrgnlMsgId") or group_original,
            )
        )
    if not payments:
        raise BankFileError("missing_element", "The return has no <TxInf>.")
    return BankMessage(
        message_id=document.identifier("GrpHdr/MsgId"),
        message_type=message_type,
        created_at=_datetime(document.text("GrpHdr/CreDtTm")),
        original_message_id=group_original,
        payments=tuple(payments),
    )


_READERS: dict[str, Callable[[_Element, str], BankMessage]] = {
    PAIN002: _pain002,
    CAMT054: _camt("BkToCstmrDbtCdtNtfctn", "Ntfctn"),
    CAMT053: _camt("BkToCstmrStmt", "Stmt"),
    PACS004: _pacs004,
}
