"""CSV and Excel exports of admin changelists, as filtered, streamed.

A ModelAdmin that mixes in `ExportMixin` and names its `export_fields` gets two
URLs, `export/csv/` and `export/xlsx/`, that take the changelist's own query
string: the same filters, search and ordering as the list on screen. Rows are
read with `iterator(chunk_size=...)` (a server-side cursor on PostgreSQL), so a
million rows never sit in memory: CSV goes out line by line; Excel is
written by openpyxl's write-only mode to a temporary file, then sent block by
block.
"""

import csv
import datetime as dt
import re
import tempfile
from collections.abc import Iterable, Iterator
from decimal import Decimal

from django.contrib import messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponseRedirect, StreamingHttpResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from .models import SecurityEvent
from .security_log import security_event_record

CHUNK_SIZE = 2000
FILE_BLOCK = 64 * 1024
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class _Echo:
    """A file-like object that hands back what csv.writer writes to it."""

    def write(self, value: str) -> str:
        return value


def _cell(value):
    """A value as a spreadsheet cell: aware moments in local time, no tz info."""
    if isinstance(value, dt.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return value.replace(tzinfo=None)
    return value


# A spreadsheet reads a cell starting with one of these as a formula (or, for
# tab and carriage return, shifts it into one): text from resellers such as a
# company called "=HYPERLINK(...)" must stay text.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formula(text: str) -> str:
    """Text a spreadsheet shows as written: a leading quote marks it as text."""
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return _cell(value).isoformat(sep=" ", timespec="seconds")
    if isinstance(value, dt.date | Decimal | int | float):
        # Numbers and dates are ours, never a formula: -12.50 stays a number.
        return str(value)
    return neutralise_formula(str(value))


def export_rows(queryset: QuerySet, fields: list[str]) -> Iterator[tuple]:
    """The rows of `queryset` as tuples of `fields`, read in chunks."""
    return queryset.values_list(*fields).iterator(chunk_size=CHUNK_SIZE)


def csv_stream(headers: list[str], rows: Iterable[tuple]) -> Iterator[str]:
    """CSV lines, one at a time; a BOM first so spreadsheet programs read UTF-8."""
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow([neutralise_formula(str(h)) for h in headers])
    for row in rows:
        yield writer.writerow([_text(value) for value in row])


def _xlsx_value(value):
    """A value as openpyxl writes it: local naive moments, text without the
    characters XML cannot carry (a cell with one would break the file) and
    neutralised as in CSV (openpyxl stores text starting with "=" as a
    formula, issue 27)."""
    if isinstance(value, dt.datetime):
        return _cell(value)
    if isinstance(value, str):
        return neutralise_formula(ILLEGAL_CHARACTERS_RE.sub("", value))
    return value


def _sheet_title(title: str) -> str:
    return re.sub(r"[\[\]:*?/\\]", " ", title)[:31] or "Sheet1"


def xlsx_stream(
    headers: list[str], rows: Iterable[tuple], title: str
) -> Iterator[bytes]:
    """An .xlsx file written by openpyxl's write-only mode, then sent in blocks.

    Write-only mode keeps no rows in memory (each appended row goes to a
    temporary file), so memory stays flat whatever the number of rows; the
    finished file is a temporary file too, read back block by block and gone
    once sent (or when the download is abandoned). openpyxl gives dates and
    moments ISO formats (yyyy-mm-dd, yyyy-mm-dd h:mm:ss) whatever the reader's
    locale.
    """
    with tempfile.TemporaryFile() as handle:
        book = Workbook(write_only=True)
        sheet = book.create_sheet(title=_sheet_title(title))
        sheet.append([_xlsx_value(str(header)) for header in headers])
        for row in rows:
            sheet.append([_xlsx_value(value) for value in row])
        book.save(handle)
        handle.seek(0)
        while block := handle.read(FILE_BLOCK):
            yield block


class ExportMixin:
    """Adds CSV and Excel exports of the filtered changelist to a ModelAdmin.

    `export_fields` is a list of (column header, field lookup) pairs; lookups
    may follow relations (`reseller__legal_name`).
    """

    export_fields: list[tuple[str, str]] = []
    change_list_template = "admin/change_list_export.html"

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        urls = [
            path(
                "export/<str:file_format>/",
                self.admin_site.admin_view(self.export_view),
                name="{}_{}_export".format(*info),
            )
        ]
        return urls + super().get_urls()

    def export_queryset(self, request: HttpRequest) -> QuerySet:
        """The changelist's queryset: its filters, search and ordering applied."""
        return self.get_changelist_instance(request).queryset

    def export_view(self, request: HttpRequest, file_format: str):
        if file_format not in {"csv", "xlsx"}:
            raise PermissionDenied
        if not self.has_view_permission(request):
            raise PermissionDenied
        try:
            queryset = self.export_queryset(request)
        except IncorrectLookupParameters:
            changelist = reverse(
                f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist"
            )
            self.message_user(
                request, _("Those filters cannot be exported."), messages.ERROR
            )
            return HttpResponseRedirect(changelist)
        headers = [str(header) for header, _lookup in self.export_fields]
        rows = export_rows(queryset, [lookup for _header, lookup in self.export_fields])
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        name = f"{self.opts.model_name}s-{stamp}.{file_format}"
        if file_format == "csv":
            response = StreamingHttpResponse(
                csv_stream(headers, rows), content_type="text/csv; charset=utf-8"
            )
        else:
            response = StreamingHttpResponse(
                xlsx_stream(headers, rows, str(self.opts.verbose_name_plural)),
                content_type=XLSX_TYPE,
            )
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        security_event_record(
            kind=SecurityEvent.Kind.EXPORTED,
            request=request,
            list=f"{self.opts.app_label}.{self.opts.model_name}",
            format=file_format,
            filters=request.GET.urlencode(),
        )
        return response

    def changelist_view(self, request, extra_context=None):
        extra_context = extra_context or {}
        name = f"admin:{self.opts.app_label}_{self.opts.model_name}_export"
        extra_context["export_urls"] = [
            (label, reverse(name, args=[file_format]))
            for file_format, label in [
                ("csv", _("Export CSV")),
                ("xlsx", _("Export Excel")),
            ]
        ]
        return super().changelist_view(request, extra_context)
