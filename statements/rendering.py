"""Documents as pages, PDFs and e-mails: one body template per kind
(statements/statement_body.html, statements/vat_document_body.html) that the
page, the PDF and the e-mail all include.

WeasyPrint lays the PDF out with the system's fonts (DejaVu) through pango; it
fetches nothing: every URL is refused, the styles are inline.
"""

from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

STATEMENT_BODY = "statements/statement_body.html"
VAT_DOCUMENT_BODY = "statements/vat_document_body.html"


def statement_context(content: dict[str, Any]) -> dict[str, Any]:
    return {"c": content, "body_template": STATEMENT_BODY}


def vat_document_context(content: dict[str, Any]) -> dict[str, Any]:
    """The body's context; the parties' roles in the current language."""
    return {
        "c": content,
        "body_template": VAT_DOCUMENT_BODY,
        "parties": [
            (_("Supplier"), content["supplier"]),
            (_("Customer"), content["customer"]),
        ],
    }


def _no_fetching(url: str, *args, **kwargs):
    raise ValueError(f"Documents fetch nothing ({url}).")


def pdf_render(*, context: dict[str, Any], language: str, title: str) -> bytes:
    """The PDF of a document's body in `language`."""
    from weasyprint import HTML  # loads pango: only where a PDF is made

    with translation.override(language):
        html = render_to_string(
            "statements/pdf.html",
            {
                **context,
                "language": language,
                "title": title,
                "program_name": settings.PROGRAM_NAME,
            },
        )
    return HTML(string=html, url_fetcher=_no_fetching).write_pdf()
