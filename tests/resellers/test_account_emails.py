"""The account e-mails (allauth's) speak as the program: its name, what to do,
a link on PORTAL_URL that works, the support address, the sender from
DEFAULT_FROM_EMAIL, and the recipient's language; never the request's host."""

import re
from pathlib import Path
from urllib.parse import urlsplit

import allauth
import pytest
from allauth.account.models import EmailAddress
from allauth.core import context as allauth_context
from django.conf import settings
from django.core import mail
from django.template.loader import get_template
from django.test import RequestFactory
from django.urls import resolve, reverse
from django.utils import translation

from .account_emails import EMAILS, account_email_send
from .factories import UserFactory
from .test_signup import signup_data

pytestmark = pytest.mark.django_db

PORTAL = "https://cashback.vendor.test"
REQUEST_HOST = "internal-web-3.lan:8000"
# Host names that must never reach a reader: the request's, the development
# server's, the test client's and the example defaults'.
FORBIDDEN_HOSTS = [
    "internal-web-3",
    "127.0.0.1",
    "localhost",
    "testserver",
    "example.com",
]
ADDRESS = "kim@nordlicens.se"

# What each language's frame says, and the other's must not.
GREETING = {"en": "Hello,", "sv": "Hej!"}
QUESTIONS = {"en": "Questions:", "sv": "Frågor:"}


@pytest.fixture(autouse=True)
def production_like(settings):
    """The portal's public address and sender as in production; the request
    comes in on an internal host name."""
    settings.PORTAL_URL = PORTAL
    settings.DEFAULT_FROM_EMAIL = "Partner Cash Back <cashback@vendor.test>"
    settings.PROGRAM_NAME = "Partner Cash Back"
    settings.SUPPORT_EMAIL = "partner-help@vendor.test"
    settings.ALLOWED_HOSTS = ["internal-web-3.lan"]
    settings.LANGUAGE_CODE = "en"
    settings.ACCOUNT_EMAIL_NOTIFICATIONS = True


def request_on_internal_host():
    request = RequestFactory().get("/", HTTP_HOST=REQUEST_HOST, REMOTE_ADDR="10.1.2.3")
    request.session = {}
    return request


def sent(prefix, user, capture, page_language="en"):
    """The one message `prefix` sends to `user` (or to the unknown address),
    from a page in `page_language`."""
    with (
        capture(execute=True),
        allauth_context.request_context(request_on_internal_host()),
        translation.override(page_language),
    ):
        account_email_send(prefix, user)
    assert len(mail.outbox) == 1, [m.subject for m in mail.outbox]
    return mail.outbox[0]


def links_in(text: str) -> list[str]:
    return re.findall(r"https?://[^\s\"<>]+", text)


@pytest.mark.parametrize("language", ["en", "sv"])
@pytest.mark.parametrize("prefix", list(EMAILS))
def test_every_account_email_speaks_as_the_program(
    prefix, language, client, django_capture_on_commit_callbacks
):
    """In both languages: the program's name in the subject and body, the
    support address, the sender, a link on PORTAL_URL to the right page, and no
    host name from the request or the defaults."""
    user = UserFactory(email=ADDRESS, preferred_language=language)
    message = sent(prefix, user, django_capture_on_commit_callbacks, language)
    html = dict((mimetype, body) for body, mimetype in message.alternatives)[
        "text/html"
    ]
    other = "en" if language == "sv" else "sv"

    assert message.from_email == "Partner Cash Back <cashback@vendor.test>"
    assert "Partner Cash Back" in message.subject
    for body in (message.body, html):
        assert "Partner Cash Back" in body
        assert "partner-help@vendor.test" in body
        assert GREETING[language] in body and QUESTIONS[language] in body
        assert GREETING[other] not in body and QUESTIONS[other] not in body
    everything = "\n".join([message.subject, message.body, html])
    for host in FORBIDDEN_HOSTS:
        assert host not in everything, host

    links = links_in(message.body)
    assert links and all(link.startswith(PORTAL + "/") for link in links), links
    expected = EMAILS[prefix]
    action_links = [
        link for link in links if resolve(urlsplit(link).path).url_name == expected
    ]
    assert action_links, (expected, links)
    assert f'href="{action_links[0]}"' in html


def test_every_email_allauth_can_send_has_the_portals_template():
    """A new allauth e-mail (after an upgrade) fails here until it is written."""
    root = Path(allauth.__file__).parent / "templates"
    shipped = {
        str(path.relative_to(root)).removesuffix("_message.txt")
        for path in root.glob("*/email/*_message.txt")
        if not path.name.startswith("base_")
    }
    assert shipped == set(EMAILS)
    ours = settings.BASE_DIR / "templates"
    for prefix in EMAILS:
        for part in ("_subject.txt", "_message.txt", "_message.html"):
            origin = Path(get_template(prefix + part).origin.name)
            assert origin.is_relative_to(ours), origin


def link_to(message, url_name: str) -> str:
    """The path of the link in `message` that opens the page `url_name`."""
    for link in links_in(message.body):
        path = urlsplit(link).path
        if resolve(path).url_name == url_name:
            return path
    raise AssertionError(f"no link to {url_name} in {message.body}")


def test_the_confirmation_link_confirms_the_address(
    client, django_capture_on_commit_callbacks
):
    """The e-mailed link opens the confirmation page, which verifies the address."""
    user = UserFactory(email=ADDRESS, verified=False)
    message = sent(
        "account/email/email_confirmation_signup",
        user,
        django_capture_on_commit_callbacks,
    )
    path = link_to(message, "account_confirm_email")

    page = client.get(path, HTTP_HOST=REQUEST_HOST)
    assert page.status_code == 200
    assert ADDRESS in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(path, HTTP_HOST=REQUEST_HOST)
    assert response.status_code == 302
    assert EmailAddress.objects.get(user=user).verified


def test_the_reset_link_opens_the_new_password_form(
    client, django_capture_on_commit_callbacks
):
    """The e-mailed key leads (through allauth's redirect that hides the key) to
    the form that sets a new password."""
    user = UserFactory(email=ADDRESS)
    message = sent(
        "account/email/password_reset_key", user, django_capture_on_commit_callbacks
    )
    path = link_to(message, "account_reset_password_from_key")

    response = client.get(path, HTTP_HOST=REQUEST_HOST)
    assert response.status_code == 302
    assert resolve(response.url).url_name == "account_reset_password_from_key"
    form = client.get(response.url, HTTP_HOST=REQUEST_HOST)
    assert form.status_code == 200
    assert 'name="password1"' in form.content.decode()


def test_signing_up_in_swedish_sends_the_swedish_verification(
    client, django_capture_on_commit_callbacks
):
    """The sign-up page in Swedish, on an internal host: the verification
    e-mail is Swedish, names the program and links to PORTAL_URL."""
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("account_signup"),
            signup_data(email=ADDRESS),
            HTTP_ACCEPT_LANGUAGE="sv",
            HTTP_HOST=REQUEST_HOST,
        )
    assert response.status_code == 302
    [message] = mail.outbox
    assert message.subject == "Bekräfta din e-postadress för Partner Cash Back"
    assert "Du har registrerat dig i Partner Cash Back" in message.body
    assert "Bekräfta adressen inom 3\xa0dagar på den här sidan:" in message.body
    assert link_to(message, "account_confirm_email")
    for host in FORBIDDEN_HOSTS:
        assert host not in message.body, host


@pytest.mark.parametrize(
    ("preference", "page_language", "expected"),
    [("sv", "en", "sv"), ("en", "sv", "en"), ("", "sv", "sv"), ("", "en", "en")],
)
def test_the_email_is_in_the_readers_language_else_the_pages(
    client, django_capture_on_commit_callbacks, preference, page_language, expected
):
    """A password reset asked for from a page in one language reaches a user
    who chose the other in theirs; without a choice, in the page's."""
    UserFactory(email=ADDRESS, preferred_language=preference)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("account_reset_password"),
            {"email": ADDRESS},
            HTTP_ACCEPT_LANGUAGE=page_language,
            HTTP_HOST=REQUEST_HOST,
        )
    assert response.status_code == 302
    [message] = mail.outbox
    subject = {
        "en": "Choose a new password for Partner Cash Back",
        "sv": "Välj ett nytt lösenord för Partner Cash Back",
    }
    assert message.subject == subject[expected]
