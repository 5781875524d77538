"""Bank answers written by the portal itself, for the demo data and tests only.

A real bank writes these; seed_demo puts its demo payouts in their states by
reading such answers through the same path as the bank's own files, so there
is one way in. Minimal but valid pain.002.001.10 and camt.054.001.08.
"""

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from xml.sax.saxutils import escape

from django.conf import settings

NS = "urn:iso:std:iso:20022:tech:xsd:"


def status_report(
    *,
    message_id: str,
    batch_message_id: str,
    payments: Iterable[tuple[str, str, str]],
    group_status: str = "PART",
    group_reason: str = "",
) -> bytes:
    """A pain.002 answering payment file `batch_message_id`; `payments` are
    (end-to-end id, status, reason code)."""
    transactions = "".join(
        f"<TxInfAndSts><OrgnlEndToEndId>{escape(e2e)}</OrgnlEndToEndId>"
        f"<TxSts>{status}</TxSts>"
        + (f"<StsRsnInf><Rsn><Cd>{code}</Cd></Rsn></StsRsnInf>" if code else "")
        + "</TxInfAndSts>"
        for e2e, status, code in payments
    )
    group_reason_xml = (
        f"<StsRsnInf><Rsn><Cd>{group_reason}</Cd></Rsn></StsRsnInf>"
        if group_reason
        else ""
    )
    payment_block = (
        f"<OrgnlPmtInfAndSts><OrgnlPmtInfId>{escape(batch_message_id)}"
        f"</OrgnlPmtInfId>{transactions}</OrgnlPmtInfAndSts>"
        if transactions
        else ""
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>'
        f'<Document xmlns="{NS}pain.002.001.10"><CstmrPmtStsRpt>'
        f"<GrpHdr><MsgId>{escape(message_id)}</MsgId>"
        f"<CreDtTm>{dt.datetime.now(dt.UTC):%Y-%m-%dT%H:%M:%S}Z</CreDtTm></GrpHdr>"
        f"<OrgnlGrpInfAndSts><OrgnlMsgId>{escape(batch_message_id)}</OrgnlMsgId>"
        f"<OrgnlMsgNmId>pain.001.001.09</OrgnlMsgNmId>"
        f"<GrpSts>{group_status}</GrpSts>{group_reason_xml}</OrgnlGrpInfAndSts>"
        f"{payment_block}</CstmrPmtStsRpt></Document>"
    ).encode()


def debit_notification(
    *,
    message_id: str,
    batch_message_id: str,
    booking_date: dt.date,
    entries: Iterable[tuple[str, Decimal, str, str]],
    credit_debit: str = "DBIT",
    return_reason: str = "",
    account_iban: str = "",
) -> bytes:
    """A camt.054 with one booked entry per payment; `entries` are
    (end-to-end id, amount, currency, bank reference). The account is the
    vendor's paying account (PAYOUT_DEBTOR_IBAN) unless `account_iban`."""
    account_iban = account_iban or settings.PAYOUT_DEBTOR_IBAN
    rows = []
    for e2e, amount, currency, reference in entries:
        returned = (
            f"<RtrInf><Rsn><Cd>{return_reason}</Cd></Rsn></RtrInf>"
            if return_reason
            else ""
        )
        rows.append(
            f'<Ntry><Amt Ccy="{currency}">{amount}</Amt>'
            f"<CdtDbtInd>{credit_debit}</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>"
            f"<BookgDt><Dt>{booking_date.isoformat()}</Dt></BookgDt>"
            f"<AcctSvcrRef>{escape(reference)}</AcctSvcrRef>"
            f"<NtryDtls><TxDtls><Refs><MsgId>{escape(batch_message_id)}</MsgId>"
            f"<EndToEndId>{escape(e2e)}</EndToEndId></Refs>"
            f'<Amt Ccy="{currency}">{amount}</Amt>{returned}</TxDtls></NtryDtls>'
            f"</Ntry>"
        )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>'
        f'<Document xmlns="{NS}camt.054.001.08"><BkToCstmrDbtCdtNtfctn>'
        f"<GrpHdr><MsgId>{escape(message_id)}</MsgId>"
        f"<CreDtTm>{dt.datetime.now(dt.UTC):%Y-%m-%dT%H:%M:%S}Z</CreDtTm></GrpHdr>"
        f"<Ntfctn><Id>{escape(message_id)}</Id>"
        f"<Acct><Id><IBAN>{escape(account_iban)}</IBAN></Id></Acct>"
        f"{''.join(rows)}</Ntfctn>"
        f"</BkToCstmrDbtCdtNtfctn></Document>"
    ).encode()


def payment_return(
    *,
    message_id: str,
    batch_message_id: str,
    end_to_end_id: str,
    amount: Decimal,
    currency: str,
    reason: str,
    settled_on: dt.date,
) -> bytes:
    """A pacs.004 returning one payment of `batch_message_id` with `reason`."""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>'
        f'<Document xmlns="{NS}pacs.004.001.09"><PmtRtr>'
        f"<GrpHdr><MsgId>{escape(message_id)}</MsgId>"
        f"<CreDtTm>{dt.datetime.now(dt.UTC):%Y-%m-%dT%H:%M:%S}Z</CreDtTm>"
        f"<NbOfTxs>1</NbOfTxs></GrpHdr>"
        f"<OrgnlGrpInf><OrgnlMsgId>{escape(batch_message_id)}</OrgnlMsgId>"
        f"<OrgnlMsgNmId>pain.001.001.09</OrgnlMsgNmId></OrgnlGrpInf>"
        f"<TxInf><RtrId>{escape(message_id)}-1</RtrId>"
        f"<OrgnlEndToEndId>{escape(end_to_end_id)}</OrgnlEndToEndId>"
        f'<RtrdIntrBkSttlmAmt Ccy="{currency}">{amount}</RtrdIntrBkSttlmAmt>'
        f"<IntrBkSttlmDt>{settled_on.isoformat()}</IntrBkSttlmDt>"
        f"<RtrRsnInf><Rsn><Cd>{reason}</Cd></Rsn></RtrRsnInf></TxInf>"
        f"</PmtRtr></Document>"
    ).encode()
