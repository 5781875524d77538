"""django-storages' SFTP backend, refusing a host whose key we do not know.

The stock backend adds an unknown host key on first sight (paramiko's
AutoAddPolicy): whoever answers for the bank's host name would be handed the
payment files and could plant answers. The bank's host key is given in
BANK_SFTP_KNOWN_HOSTS, and any other key is refused.
"""

import paramiko
from django.utils.translation import gettext as _
from storages.backends.sftpstorage import SFTPStorage

from .connection import BankConnectionError


class BankSFTPStorage(SFTPStorage):
    """SFTPStorage with the bank's host key required (RejectPolicy)."""

    def _connect(self) -> None:
        if not self.known_host_file:
            raise paramiko.SSHException(
                "BANK_SFTP_KNOWN_HOSTS must name a known_hosts file with the bank's "
                "host key."
            )
        self._ssh = paramiko.SSHClient()
        self._ssh.load_host_keys(self.known_host_file)
        self._ssh.set_missing_host_key_policy(paramiko.RejectPolicy())
        try:
            self._ssh.connect(self.host, **self.params)
        except paramiko.BadHostKeyException:
            # Someone else may be answering for the bank: a reported refusal
            # that operators act on, not a traceback in the job's log.
            raise BankConnectionError(
                _(
                    "The bank's SFTP host %(host)s presented a host key other than "
                    "the one in BANK_SFTP_KNOWN_HOSTS: connection refused. Check "
                    "with the bank before changing the known key."
                )
                % {"host": self.host}
            ) from None
        except (paramiko.SSHException, OSError) as error:
            raise BankConnectionError(
                _("The bank's SFTP host %(host)s refused the connection: %(error)s")
                % {"host": self.host, "error": error}
            ) from None
        self._sftp = self._ssh.open_sftp()
