"""What an uploaded invoice copy really is, read from its first bytes.

Three signatures are all the program accepts, so a short table here is
clearer than a dependency: the `filetype` package would recognise 150 types
we must refuse anyway, and python-magic needs libmagic on every host. The name
and the browser's content type are never trusted.
"""

from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

MAX_INVOICE_BYTES = 10 * 1024 * 1024

SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
)


def content_type_detect(head: bytes) -> str | None:
    """The content type the bytes start with, or None when not PDF/PNG/JPEG."""
    for signature, content_type in SIGNATURES:
        if head.startswith(signature):
            return content_type
    return None


def invoice_file_check(upload: UploadedFile) -> tuple[str | None, str]:
    """(content type, "") for an acceptable file, else (None, the reason to show)."""
    size = upload.size or 0
    if size == 0:
        return None, str(_("The file is empty. Choose the invoice copy again."))
    if size > MAX_INVOICE_BYTES:
        return None, str(
            _("The file is larger than 10 MB. Upload a smaller scan or a PDF.")
        )
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    content_type = content_type_detect(head)
    if content_type is None:
        return None, str(
            _(
                "This file is not a PDF, PNG or JPEG image, whatever its name says. "
                "Upload the invoice as a PDF, PNG or JPEG."
            )
        )
    return content_type, ""
