"""django-storages' SFTP backend, refusing a host whose key we do not know.

The stock backend adds an unknown host key on first sight (paramiko's
AutoAddPolicy): whoever answers for the bank's host name would be handed the
payment files and could plant answers. The bank's host key is given in
BANK_SFTP_KNOWN_HOSTS, and any other key is refused.
"""

import paramiko
from storages.backends.sftpstorage import SFTPStorage


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
        self._ssh.connect(self.host, **self.params)
        self._sftp = self._ssh.open_sftp()
