"""The e-mail domain policy (R1): one function for every way an address gets in."""

import pytest

from resellers.domain_policy import email_domain_refusal
from resellers.models import EmailDomainRule

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "email",
    [
        "kim@gmail.com",
        "kim@hotmail.com",
        "kim@hotmail.se",
        "kim@outlook.com",
        "kim@yahoo.com",
        "kim@live.se",
        "kim@icloud.com",
    ],
)
def test_free_webmail_is_refused(email):
    """Free webmail domains are refused and the message names the domain."""
    refusal = email_domain_refusal(email)
    assert refusal is not None
    assert email.split("@")[1] in refusal
    assert "company" in refusal


@pytest.mark.parametrize(
    "email", ["kim@telia.com", "kim@comhem.se", "kim@bredband.net", "kim@tele2.se"]
)
def test_isp_domains_are_refused(email):
    """Consumer ISP mail domains (the lists miss some) are refused."""
    assert email_domain_refusal(email) is not None


@pytest.mark.parametrize("email", ["kim@mailinator.com", "kim@10minutemail.com"])
def test_disposable_domains_are_refused(email):
    """Throw-away mail domains are refused."""
    assert email_domain_refusal(email) is not None


def test_a_company_domain_is_accepted():
    """An ordinary company domain passes."""
    assert email_domain_refusal("anna@nordlicens.se") is None


def test_a_domain_blocked_in_admin_is_refused():
    """A program manager's block rule refuses a domain the lists do not know."""
    assert email_domain_refusal("kim@localisp.se") is None
    EmailDomainRule.objects.create(
        domain="localisp.se", action=EmailDomainRule.Action.BLOCK
    )
    refusal = email_domain_refusal("kim@localisp.se")
    assert refusal is not None
    assert "localisp.se" in refusal


def test_a_domain_allowed_in_admin_overrides_the_lists():
    """An allow rule lets through a domain the packaged lists block by mistake."""
    assert email_domain_refusal("kim@spray.se") is not None
    EmailDomainRule.objects.create(
        domain="spray.se", action=EmailDomainRule.Action.ALLOW
    )
    assert email_domain_refusal("kim@spray.se") is None


@pytest.mark.parametrize(
    "email",
    ["KIM@GMAIL.COM", "  kim@Hotmail.SE  ", "kim@mail.hotmail.se", "kim@a.b.telia.com"],
)
def test_case_spaces_and_sub_domains_make_no_difference(email):
    """Upper case, surrounding spaces and sub-domains of blocked domains: refused."""
    assert email_domain_refusal(email) is not None


def test_sub_domain_of_an_admin_blocked_domain_is_refused():
    """A block rule covers the domain's sub-domains too."""
    EmailDomainRule.objects.create(
        domain="isp.example", action=EmailDomainRule.Action.BLOCK
    )
    assert email_domain_refusal("kim@mail.isp.example") is not None


def test_a_more_specific_allow_wins_over_a_parent_block():
    """The most specific rule decides: allow a company's sub-domain of a blocked one."""
    EmailDomainRule.objects.create(
        domain="isp.example", action=EmailDomainRule.Action.BLOCK
    )
    EmailDomainRule.objects.create(
        domain="acme.isp.example", action=EmailDomainRule.Action.ALLOW
    )
    assert email_domain_refusal("kim@acme.isp.example") is None
    assert email_domain_refusal("kim@other.isp.example") is not None
