"""What the bank said about a payout, in the plain words a reseller reads."""

from django.utils import formats, timezone
from django.utils.translation import gettext as _

from .bank.reason_codes import reason_words
from .models import PayoutEvent

K = PayoutEvent.Kind

# The bank's events a reseller sees; a refusal for the vendor's side, a
# repeated confirmation and an entry listed for the operators are theirs only.
RESELLER_BANK_KINDS = [K.BANK_ACCEPTED, K.PAID, K.FAILED, K.BANK_RETURNED]


def _day(event: PayoutEvent) -> str:
    day = event.bank_date or timezone.localdate(event.created_at)
    return formats.date_format(day, "j F Y")


def bank_event_words(event: PayoutEvent) -> str:
    """One of the bank's events in a sentence, in the active language."""
    reason = reason_words(event.bank_code, event.message)
    if event.kind == K.BANK_ACCEPTED:
        return _("Accepted by the bank on %(date)s.") % {"date": _day(event)}
    if event.kind == K.PAID:
        return _("Paid on %(date)s.") % {"date": _day(event)}
    if event.kind == K.BANK_RETURNED:
        return _("Returned by the bank on %(date)s: %(reason)s.") % {
            "date": _day(event),
            "reason": reason,
        }
    return _("Refused by the bank: %(reason)s.") % {"reason": reason}
