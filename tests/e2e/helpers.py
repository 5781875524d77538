"""Steps the journeys share: signing in through the pages, with MFA for staff."""

import re
import time

from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from allauth.mfa.utils import encrypt

from cashback.models import OutboxMessage
from tests.resellers.factories import StaffUserFactory
from tests.services import wait_for

PASSWORD = "correct-horse-battery"  # UserFactory's
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"  # base32, as allauth stores it

SMALL_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 3 3]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


def click(page, selector) -> None:
    """Click something that loads a new page, and wait for that page."""
    locator = page.locator(selector) if isinstance(selector, str) else selector
    with page.expect_navigation():
        locator.click()


def press_enter(page, selector: str) -> None:
    """Submit a form from one of its fields with Enter, as a keyboard user does."""
    with page.expect_navigation():
        page.locator(selector).press("Enter")


def staff_with_totp(**kwargs):
    """A staff user whose TOTP secret the test knows, so it can type a code."""
    kwargs.setdefault("is_superuser", True)
    user = StaffUserFactory(with_totp=False, **kwargs)
    Authenticator.objects.create(
        user=user, type=Authenticator.Type.TOTP, data={"secret": encrypt(TOTP_SECRET)}
    )
    return user


def totp_code() -> str:
    """The code an authenticator app would show now (time-machine aware).

    Near the end of a 30-second period the code would expire on its way to the
    server (allauth allows no drift), so wait for the next one, as a person does.
    """
    if 30 - time.time() % 30 < 3:
        time.sleep(30 - time.time() % 30 + 0.1)
    return format_hotp_value(hotp_value(TOTP_SECRET, int(time.time()) // 30))


def log_in(page, email: str, password: str = PASSWORD, next_url: str = "/") -> None:
    """allauth's log-in page, as a person types it."""
    page.goto(f"/accounts/login/?next={next_url}")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", password)
    press_enter(page, "form input[name=password]")


def staff_log_in(page, user, next_url: str = "/admin/") -> None:
    """Password, then the authenticator code on allauth's MFA step."""
    log_in(page, user.email, next_url=next_url)
    assert "/accounts/2fa/authenticate/" in page.url, page.url
    page.fill("input[name=code]", totp_code())
    press_enter(page, "input[name=code]")
    assert "/admin/" in page.url, page.url


def log_out(page) -> None:
    """allauth's log-out page asks for a confirmation click."""
    page.goto("/accounts/logout/")
    click(page, "main form button[type=submit]")


def mails_to(to: str) -> list[OutboxMessage]:
    """Every outbox message to `to`, sent or not, oldest first."""
    rows = OutboxMessage.objects.order_by("created_at", "pk")
    return [row for row in rows if to in row.recipients]


def sent_mails(to: str, timeout: float = 30, count: int = 1) -> list[OutboxMessage]:
    """The e-mails to `to` that went out, oldest first, once `count` of them have.

    They are read from the outbox rows: with a real worker the mail is sent in
    another process, so only sent_at (set when the mail server took it) shows it
    went. Waits for `count` sent messages and for none of them still pending.
    """

    def all_sent() -> bool:
        found = mails_to(to)
        return len(found) >= count and all(row.sent_at for row in found)

    wait_for(all_sent, timeout=timeout)
    found = mails_to(to)
    pending = [row.subject for row in found if row.sent_at is None]
    assert not pending, f"not sent within {timeout} s: {pending}"
    assert len(found) >= count, f"{len(found)} mails to {to}, expected {count}"
    return found


def link_in_last_mail(pattern: str, to: str) -> str:
    """The path of the first link matching `pattern` in the newest sent mail to `to`."""
    found_link: list[str] = []

    def link() -> bool:
        for message in reversed(mails_to(to)):
            found = re.search(
                rf"https?://[^/\s]+({pattern}[^\s\"<>]*)", message.text_body
            )
            if message.sent_at and found:
                found_link.append(found[1])
                return True
        return False

    if wait_for(link, timeout=30):
        return found_link[0]
    raise AssertionError(
        f"no sent mail with {pattern!r}: {[m.subject for m in mails_to(to)]}"
    )


def admin_action(page, changelist: str, pk: int, action: str) -> None:
    """Tick one row in an admin list, choose an action and press Go."""
    page.goto(changelist)
    page.check(f"input[name=_selected_action][value='{pk}']")
    page.select_option("select[name=action]", action)
    click(page, "button[name=index]")
