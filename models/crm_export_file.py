"""Writing export files: CSV and XLSX, streamed, with CSV-injection neutralised.

Spreadsheets run a cell that starts with ``=``, ``+``, ``-`` or ``@`` as a
formula, and a leading tab, CR or LF hides such a start. Following OWASP's
CSV-injection guidance, every text value with such a start is written with a
leading ``'``, in CSV and in XLSX alike (an XLSX file saved again as CSV stays
safe). Phone numbers are the one exemption: a value of a phone field made only
of digits and phone punctuation (``+34 612 345 678``) cannot call a function,
so it is written as it is and round-trips without a polluting quote. The
add-on's importer strips a leading ``'`` (it reads spreadsheet exports), so a
neutralised value re-imports as the original.

In XLSX every text is a string cell (inline string): no text is ever stored
as a formula, an error code or a hyperlink (openpyxl takes a text starting
with ``=`` for a formula and ``#N/A`` for an error code: those are written as
explicit string cells). Numbers are number cells.
"""

import csv
import io
import json
import re
import tempfile

import openpyxl
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE

from .crm_import_mapping import normalize_header, suggest

# The characters a formula may hide behind (OWASP, CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
# A phone number as typed: an optional +, then digits and phone punctuation.
SAFE_PHONE_RE = re.compile(r"\+?[0-9][0-9 ()./-]*")
# Rows of one XLSX sheet (Excel's limit), header included; more continue on a new sheet.
XLSX_MAX_ROWS = 1_048_576
# Longest text of an XLSX cell (Excel's limit).
XLSX_MAX_CELL = 32_767

# "The same columns the importer reads back": (import target, header). The
# headers are the importer's own English headers, not translated, so that the
# file maps itself back whatever the language of whoever imports it.
IMPORT_PRESET = (
    ("name", "Name"),
    ("first_name", "First Name"),
    ("last_name", "Last Name"),
    ("company", "Company"),
    ("email", "Email"),
    ("phone", "Phone"),
    ("mobile", "Mobile"),
    ("vat", "VAT"),
    ("function", "Job Position"),
    ("street", "Street"),
    ("city", "City"),
    ("zip", "Zip"),
    ("country", "Country"),
    ("website", "Website"),
    ("role", "Role"),
    ("client_type", "Client Type"),
    ("client_status", "Client Status"),
    ("channel", "Preferred Channel"),
    ("tags", "Tags"),
    ("owner", "Owner"),
    ("team", "Sales Team"),
    ("source", "Source"),
    ("no_email", "Do Not Email"),
    ("no_call", "Do Not Call"),
    ("comment", "Notes"),
)


def neutralize(text, phone=False):
    """``text`` made safe for a spreadsheet: prefixed with ``'`` when it starts
    like a formula, unless it is a phone number (``phone``) of digits only."""
    if text and text[0] in FORMULA_STARTS and not (phone and SAFE_PHONE_RE.fullmatch(text)):
        return "'" + text
    return text


def custom_header(label, key, field_name):
    """The header under which the importer finds custom field ``field_name``
    again: its label, unless that names another column; then its key."""
    labels = {normalize_header(label): field_name, normalize_header(key): field_name}
    if suggest(label, labels) == field_name:
        return label
    return key


class CsvWriter:
    """Rows to CSV, in a temporary file: UTF-8, optionally with a BOM and ``;``."""

    def __init__(self, excel=False):
        self.file = tempfile.TemporaryFile()
        self.text = io.TextIOWrapper(self.file, encoding="utf-8-sig" if excel else "utf-8", newline="")
        self.writer = csv.writer(self.text, delimiter=";" if excel else ",")

    def add_row(self, row, phones=()):
        self.writer.writerow(
            [
                neutralize(value, index in phones) if isinstance(value, str) else ("" if value is None else value)
                for index, value in enumerate(row)
            ]
        )

    def close(self):
        """The file's content."""
        self.text.flush()
        self.file.seek(0)
        content = self.file.read()
        self.text.close()
        return content


class XlsxWriter:
    """Rows to an XLSX workbook in openpyxl's write-only mode (memory stays
    flat), continuing on a new sheet, under the same header, past
    ``max_rows`` rows."""

    def __init__(self, header, sheet_title, max_rows=None):
        self.book = openpyxl.Workbook(write_only=True)
        self.header = header
        self.title = sheet_title
        self.max_rows = max_rows or XLSX_MAX_ROWS
        self.sheet = None
        self.sheets = 0
        self.rows = 0

    def _new_sheet(self):
        self.sheets += 1
        title = self.title if self.sheets == 1 else f"{self.title} ({self.sheets})"
        self.sheet = self.book.create_sheet(title[:31])
        self.rows = 0
        self._append(self.header, ())

    def _cell(self, value, phone):
        if value is None or value == "":
            return None
        if isinstance(value, int | float) and not isinstance(value, bool):
            return value
        text = ILLEGAL_CHARACTERS_RE.sub("", neutralize(str(value), phone))[:XLSX_MAX_CELL]
        if text.startswith("=") or text in ERROR_CODES:
            # openpyxl would store it as a formula or an error code: force a string cell.
            cell = WriteOnlyCell(self.sheet, value=text)
            cell.data_type = "s"
            return cell
        # Any other text is bound by openpyxl as a string cell (inline string).
        return text

    def _append(self, row, phones):
        self.sheet.append([self._cell(value, index in phones) for index, value in enumerate(row)])
        self.rows += 1

    def add_row(self, row, phones=()):
        if self.sheet is None or self.rows >= self.max_rows:
            self._new_sheet()
        self._append(row, phones)

    def close(self):
        if self.sheet is None:
            self._new_sheet()
        with tempfile.TemporaryFile() as file:
            self.book.save(file)
            file.seek(0)
            return file.read()


def dump_rows(rows):
    """Rows of a chunk, kept between two cron calls: JSON lines."""
    return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows).encode()


def load_rows(stream):
    for line in stream:
        if line.strip():
            yield json.loads(line)
