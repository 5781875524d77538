"""Settings of payments and the bank: bank details at rest, the payout link,
exchange rates, the account holds, the vendor's own account and its VAT
documents, and the bank connection's folders. Imported by base.py; each
value comes from the environment."""

from .environment import VAR_DIR, env

# Bank details at rest: Fernet keys, newest first; older keys still decrypt, so
# a key is rotated by putting a new one in front.
FIELD_ENCRYPTION_KEYS = env.list(
    "FIELD_ENCRYPTION_KEYS",
    default=["bG9jYWwtb25seS1rZXktbmV2ZXItcHJvZHVjdGlvbiE="],
)

# The keyed hash that spots one bank account used by two resellers (kept
# apart from the encryption keys so rotating those leaves fingerprints alone) and
# the vendor's own account that pays the pain.001 batches.
BANK_ACCOUNT_FINGERPRINT_KEY = env.str(
    "BANK_ACCOUNT_FINGERPRINT_KEY", default="local-only-fingerprint-key"
)

# How long a bank-details link in a payout's e-mail works.
PAYOUT_LINK_MAX_AGE_DAYS = env.int("PAYOUT_LINK_MAX_AGE_DAYS", default=30)

# An exchange rate further than this many percent from its currency pair's
# previous rate (or the pair's first) waits for a second operator before a
# payout may be converted with it (payouts.services.rates).
EXCHANGE_RATE_CONFIRM_ABOVE_PERCENT = env.str(
    "EXCHANGE_RATE_CONFIRM_ABOVE_PERCENT", default="5"
)
# A new or changed bank account is paid only this many days after every company
# admin was told of it without objecting, unless an operator verified it first.
BANK_ACCOUNT_COOLING_OFF_DAYS = env.int("BANK_ACCOUNT_COOLING_OFF_DAYS", default=3)
# Bank-details notices also go to whoever stopped being a company admin in
# this many days (issue 27: a removed co-admin still hears of a new account).
FORMER_ADMIN_NOTICE_DAYS = env.int("FORMER_ADMIN_NOTICE_DAYS", default=30)
# How long the "this was not us" link in those e-mails works.
BANK_ACCOUNT_OBJECTION_MAX_AGE_DAYS = env.int(
    "BANK_ACCOUNT_OBJECTION_MAX_AGE_DAYS", default=30
)

# The vendor's own account, which pays the pain.001 batches.
PAYOUT_DEBTOR_NAME = env.str("PAYOUT_DEBTOR_NAME", default="Vendor Nordic AB")
PAYOUT_DEBTOR_IBAN = env.str("PAYOUT_DEBTOR_IBAN", default="SE4550000000058398257466")
PAYOUT_DEBTOR_BIC = env.str("PAYOUT_DEBTOR_BIC", default="ESSESESS")

# statements (R25): the vendor as its VAT documents name it. Every part comes
# from the environment; the defaults are the demo's. VENDOR_VAT_RATES is
# "country=percent" pairs: the VAT rate a domestic document applies, per the
# country the supply is taxed in (the vendor's own, for a credit note or a
# settlement note; the reseller's, for a self-billed invoice).
VENDOR_LEGAL_NAME = env.str("VENDOR_LEGAL_NAME", default=PAYOUT_DEBTOR_NAME)
VENDOR_ORG_NUMBER = env.str("VENDOR_ORG_NUMBER", default="556677-8899")
VENDOR_VAT_NUMBER = env.str("VENDOR_VAT_NUMBER", default="SE556677889901")
VENDOR_STREET_ADDRESS = env.str("VENDOR_STREET_ADDRESS", default="Sveavägen 1")
VENDOR_POSTAL_CODE = env.str("VENDOR_POSTAL_CODE", default="111 57")
VENDOR_CITY = env.str("VENDOR_CITY", default="Stockholm")
VENDOR_COUNTRY = env.str("VENDOR_COUNTRY", default="SE")
VENDOR_VAT_RATES = env.dict("VENDOR_VAT_RATES", default={"SE": "25"})

# payouts/bank: the bank connection is two folders, one the portal writes the
# released batches' pain.001 files to and one the bank's answers (pain.002,
# camt.054, camt.053, pacs.004) arrive in. Local folders under var/bank/ unless
# BANK_SFTP_HOST is set; then both are folders on the bank's SFTP host, logged in
# to with a key, the host known by its key (django-storages' SFTP backend).
BANK_SFTP_HOST = env.str("BANK_SFTP_HOST", default="")
if BANK_SFTP_HOST:
    _bank_sftp = {
        "host": BANK_SFTP_HOST,
        "params": {
            "port": env.int("BANK_SFTP_PORT", default=22),
            "username": env.str("BANK_SFTP_USER"),
            "key_filename": env.str("BANK_SFTP_KEY_PATH"),
            "allow_agent": False,
            "look_for_keys": False,
            # A bank host that stops answering fails the job in seconds.
            "timeout": env.float("BANK_SFTP_TIMEOUT_SECONDS", default=10),
            "banner_timeout": env.float("BANK_SFTP_TIMEOUT_SECONDS", default=10),
            "auth_timeout": env.float("BANK_SFTP_TIMEOUT_SECONDS", default=10),
        },
        # The bank's host key: any other is refused (payouts/bank/sftp.py).
        "known_host_file": env.str("BANK_SFTP_KNOWN_HOSTS"),
    }
    BANK_OUTBOUND_STORAGE = {
        "BACKEND": "payouts.bank.sftp.BankSFTPStorage",
        "OPTIONS": {
            **_bank_sftp,
            "root_path": env.str("BANK_SFTP_OUTBOUND_DIR", default="outbound"),
        },
    }
    BANK_INBOUND_STORAGE = {
        "BACKEND": "payouts.bank.sftp.BankSFTPStorage",
        "OPTIONS": {
            **_bank_sftp,
            "root_path": env.str("BANK_SFTP_INBOUND_DIR", default="inbound"),
        },
    }
else:
    BANK_OUTBOUND_STORAGE = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {
            "location": env.path(
                "BANK_OUTBOUND_DIR", default=VAR_DIR / "bank" / "outbound"
            )
        },
    }
    BANK_INBOUND_STORAGE = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {
            "location": env.path(
                "BANK_INBOUND_DIR", default=VAR_DIR / "bank" / "inbound"
            )
        },
    }
# The reconciliation view flags payments the bank has not settled (or said
# nothing about) this many business days after their batch was released.
BANK_ANSWER_BUSINESS_DAYS = env.int("BANK_ANSWER_BUSINESS_DAYS", default=3)
# end payouts/bank
