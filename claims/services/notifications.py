"""The company's e-mail about a claim's event, each user in their language."""

from django.conf import settings
from django.utils.functional import lazy

from cashback.outbox import outbox_email_enqueue
from resellers.selectors import recipients_by_language

from ..models import Claim, ClaimEvent


def event_message_in_words(event: ClaimEvent) -> str:
    return event.message_in_words


def claim_notify(claim: Claim, event: ClaimEvent) -> None:
    """Tell every user of the company who may see the claim, each in their
    language, with a link."""
    by_language = recipients_by_language(
        reseller_ids=[claim.reseller_id], also_user_ids=[claim.submitted_by_id]
    )
    url = settings.PORTAL_URL.rstrip("/") + claim.get_absolute_url()
    for language, recipients in sorted(by_language[claim.reseller_id].items()):
        outbox_email_enqueue(
            dedup_key=f"claim-event:{event.pk}:{language}",
            recipients=sorted(recipients),
            template="emails/claim_update",
            context={
                "claim": claim,
                "offer": claim.offer,
                "kind": event.kind,
                # Rendered under the recipient's language by the outbox.
                "message": lazy(event_message_in_words, str)(event),
                "url": url,
            },
            language=language,
        )
