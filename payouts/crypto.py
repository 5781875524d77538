"""Account numbers at rest: encrypted with rotatable keys, found by a keyed hash.

`FIELD_ENCRYPTION_KEYS` lists Fernet keys newest first: the first encrypts,
every key decrypts, so a key is rotated by putting a new one in front and
running `bank_accounts_reencrypt` (the accounts, their history rows and the
stored pain.001 files, which are encrypted with the same keys).
"""

import hashlib
import hmac

from cryptography.fernet import Fernet, MultiFernet
from django.conf import settings


def _multi_fernet() -> MultiFernet:
    return MultiFernet([Fernet(key) for key in settings.FIELD_ENCRYPTION_KEYS])


def account_number_encrypt(number: str) -> str:
    """Encrypt a normalised account number with the newest key."""
    return _multi_fernet().encrypt(number.encode()).decode()


def account_number_decrypt(token: str) -> str:
    """Decrypt with whichever configured key encrypted it."""
    return _multi_fernet().decrypt(token.encode()).decode()


def account_number_rotate(token: str) -> str:
    """Re-encrypt a token with the newest key (for key rotation)."""
    return _multi_fernet().rotate(token.encode()).decode()


def payment_file_encrypt(xml: str) -> str:
    """Encrypt a released batch's pain.001 file (it names every account in
    clear) with the newest key, like the account numbers."""
    return _multi_fernet().encrypt(xml.encode()).decode()


def payment_file_decrypt(token: str) -> str:
    """The pain.001 XML of a stored, encrypted payment file."""
    return _multi_fernet().decrypt(token.encode()).decode()


def bank_file_encrypt(content: bytes) -> str:
    """Encrypt a bank file an operator uploaded (it names accounts and
    amounts) until a second operator confirms it, like a pain.001."""
    return _multi_fernet().encrypt(content).decode()


def bank_file_decrypt(token: str) -> bytes:
    """The bytes of a stored, encrypted uploaded bank file."""
    return _multi_fernet().decrypt(token.encode())


def account_number_fingerprint(number: str) -> str:
    """HMAC-SHA256 of the normalised number: equal accounts, equal fingerprints."""
    key = settings.BANK_ACCOUNT_FINGERPRINT_KEY.encode()
    return hmac.new(key, number.encode(), hashlib.sha256).hexdigest()
