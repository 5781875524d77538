"""CSV and Excel exports of admin changelists, as filtered, streamed.

A ModelAdmin that mixes in `ExportMixin` and names its `export_fields` gets two
URLs, `export/csv/` and `export/xlsx/`, that take the changelist's own query
string: the same filters, search and ordering as the list on screen. Rows are
read with `iterator(chunk_size=...)` (a server-side cursor on PostgreSQL), so a
million rows never sit in memory: CSV goes out line by line, Excel as a zip
whose sheet is deflated row by row and sent block by block as it is written.
"""

import csv
import datetime as dt
import io
import itertools
import re
import zipfile
from collections.abc import Iterable, Iterator
from decimal import Decimal
from xml.sax.saxutils import escape

from django.contrib import messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponseRedirect, StreamingHttpResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

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


class _Pipe(io.RawIOBase):
    """An unseekable file that collects what zipfile writes until it is taken.

    Being unseekable makes zipfile write each member's sizes after its data
    (a data descriptor) instead of seeking back, so the archive can leave
    before it is finished."""

    def __init__(self) -> None:
        self._buffer = bytearray()

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self._buffer += data
        return len(data)

    def pending(self) -> int:
        return len(self._buffer)

    def take(self) -> bytes:
        data = bytes(self._buffer)
        self._buffer.clear()
        return data


# Characters XML 1.0 cannot carry at all; a cell with one would make the file
# unreadable, so they are dropped.
_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_EXCEL_EPOCH = dt.datetime(1899, 12, 30)
_DATETIME_STYLE, _DATE_STYLE = 1, 2
_MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'


def _column_letters(count: int) -> list[str]:
    letters = []
    for index in range(1, count + 1):
        name = ""
        while index:
            index, remainder = divmod(index - 1, 26)
            name = chr(65 + remainder) + name
        letters.append(name)
    return letters


def _xlsx_cell(ref: str, value) -> str:
    """One <c> element; numbers and dates typed as Excel expects them."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int | float):
        return f'<c r="{ref}"><v>{value!r}</v></c>'
    if isinstance(value, Decimal):
        return f'<c r="{ref}"><v>{value:f}</v></c>'
    if isinstance(value, dt.datetime):
        serial = (_cell(value) - _EXCEL_EPOCH) / dt.timedelta(days=1)
        return f'<c r="{ref}" s="{_DATETIME_STYLE}"><v>{serial!r}</v></c>'
    if isinstance(value, dt.date):
        serial = (value - _EXCEL_EPOCH.date()).days
        return f'<c r="{ref}" s="{_DATE_STYLE}"><v>{serial}</v></c>'
    text = escape(_ILLEGAL_XML.sub("", str(value)))
    return f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'


def _sheet_rows(headers: list[str], rows: Iterable[tuple]) -> Iterator[str]:
    letters = _column_letters(len(headers))
    yield (f'{_XML_HEAD}<worksheet xmlns="{_MAIN_NS}"><sheetData>')
    for number, row in enumerate(itertools.chain([headers], rows), start=1):
        cells = "".join(
            _xlsx_cell(f"{letter}{number}", value)
            for letter, value in zip(letters, row, strict=False)
        )
        yield f'<row r="{number}">{cells}</row>'
    yield "</sheetData></worksheet>"


def _package_parts(title: str) -> dict[str, str]:
    """Everything of the workbook but the sheet itself: small and fixed."""
    name = escape(re.sub(r"[\[\]:*?/\\]", " ", title)[:31] or "Sheet1", {'"': "&quot;"})
    return {
        "[Content_Types].xml": (
            f"{_XML_HEAD}<Types xmlns="
            '"http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType='
            '"application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            '<Override PartName="/xl/styles.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
            "</Types>"
        ),
        "_rels/.rels": (
            f'{_XML_HEAD}<Relationships xmlns="{_PKG_REL_NS}">'
            f'<Relationship Id="rId1" Type="{_REL_NS}/officeDocument" '
            'Target="xl/workbook.xml"/></Relationships>'
        ),
        "xl/workbook.xml": (
            f'{_XML_HEAD}<workbook xmlns="{_MAIN_NS}" xmlns:r="{_REL_NS}">'
            f'<sheets><sheet name="{name}" sheetId="1" r:id="rId1"/></sheets>'
            "</workbook>"
        ),
        "xl/_rels/workbook.xml.rels": (
            f'{_XML_HEAD}<Relationships xmlns="{_PKG_REL_NS}">'
            f'<Relationship Id="rId1" Type="{_REL_NS}/worksheet" '
            'Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{_REL_NS}/styles" Target="styles.xml"/>'
            "</Relationships>"
        ),
        # Style 1 shows date and time, style 2 a date: both ISO, whatever the
        # reader's locale.
        "xl/styles.xml": (
            f'{_XML_HEAD}<styleSheet xmlns="{_MAIN_NS}">'
            '<numFmts count="2">'
            '<numFmt numFmtId="164" formatCode="yyyy-mm-dd hh:mm:ss"/>'
            '<numFmt numFmtId="165" formatCode="yyyy-mm-dd"/></numFmts>'
            '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
            '<fills count="2"><fill><patternFill patternType="none"/></fill>'
            '<fill><patternFill patternType="gray125"/></fill></fills>'
            '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/>'
            "</border></borders>"
            '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" '
            'borderId="0"/></cellStyleXfs>'
            '<cellXfs count="3">'
            '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
            '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" '
            'applyNumberFormat="1"/>'
            '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" '
            'applyNumberFormat="1"/></cellXfs>'
            '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/>'
            "</cellStyles></styleSheet>"
        ),
    }


def xlsx_stream(
    headers: list[str], rows: Iterable[tuple], title: str
) -> Iterator[bytes]:
    """An .xlsx file, sent as it is written: the sheet's XML is deflated into
    the zip row by row and each block leaves as soon as it is full, so neither
    memory nor disk holds the file and the download starts at once."""
    pipe = _Pipe()
    # Without force_zip64 the sheet may grow to 2 GiB deflated (millions of
    # rows); plain zip headers are what every spreadsheet program reads.
    with zipfile.ZipFile(pipe, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for part, content in _package_parts(title).items():
            archive.writestr(part, content)
        with archive.open("xl/worksheets/sheet1.xml", "w") as sheet:
            for piece in _sheet_rows(headers, rows):
                sheet.write(piece.encode())
                if pipe.pending() >= FILE_BLOCK:
                    yield pipe.take()
    yield pipe.take()


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
