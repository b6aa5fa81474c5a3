"""Reading import files as streams: CSV/TXT, XLSX (openpyxl read-only), XLS (xlrd).

Nothing here holds a whole file's rows: ``iter_rows`` yields one row at a
time and the import job stages them in batches (see readme/CONFIGURE.md).
Every refusal is a ``CrmImportFileError`` with a translated sentence.
"""

import codecs
import csv
import io
import re
import zipfile

import chardet
import openpyxl
import xlrd

from ..exceptions import CrmClientSuiteError

SEPARATORS = [",", ";", "\t", "|"]
SEPARATOR_SAMPLE_LINES = 50
DETECTOR_SAMPLE = 64 * 1024
# Languages whose users mostly write files in Windows-1252.
CP1252_LANGS = ("en", "es", "de", "fr", "it", "pt", "nl")
FORMATS = {"csv": "csv", "txt": "csv", "xlsx": "xlsx", "xls": "xls"}
MACRO_EXTENSIONS = ("xlsm", "xltm", "xlsb", "xlam")
XLSX_MAGIC = b"PK\x03\x04"
XLS_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# Multi-byte UTF-8 sequences: their presence in a file that is not valid
# UTF-8 as a whole means two encodings were mixed.
UTF8_SEQUENCE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}")
# Control characters that no text file holds (tab, CR, LF excepted).
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


class CrmImportFileError(CrmClientSuiteError):
    """The import file is refused: empty, corrupt, unsafe or too large."""


def file_format(env, file_name, head):
    """'csv', 'xlsx' or 'xls' from the name, checked against the content."""
    extension = (file_name or "").rsplit(".", 1)[-1].lower() if "." in (file_name or "") else ""
    if extension in MACRO_EXTENSIONS:
        raise CrmImportFileError(
            env._("Macro-enabled workbooks are not accepted. Save the file as .xlsx without macros.")
        )
    if extension not in FORMATS:
        raise CrmImportFileError(env._("Only .csv, .txt, .xlsx and .xls files can be imported."))
    kind = FORMATS[extension]
    if not head:
        raise CrmImportFileError(env._("The file is empty."))
    is_zip, is_ole = head.startswith(XLSX_MAGIC), head.startswith(XLS_MAGIC)
    if (kind == "xlsx" and not is_zip) or (kind == "xls" and not is_ole) or (kind == "csv" and (is_zip or is_ole)):
        raise CrmImportFileError(
            env._("The content of the file does not match its extension .%(extension)s.", extension=extension)
        )
    return kind


# Encodings -------------------------------------------------------------------


CHUNK = 1024 * 1024


def _chunks(stream):
    stream.seek(0)
    while chunk := stream.read(CHUNK):
        yield chunk
    stream.seek(0)


def _decodes(stream, encoding):
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    try:
        for chunk in _chunks(stream):
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        stream.seek(0)
        return False
    return True


def detect_encoding(env, stream, lang):
    """The encoding of the binary ``stream``: its BOM, else strict UTF-8,
    else the codepage of ``lang`` (cp1252 for es/de/en), else a detector's
    guess on a 64 KiB sample. Read chunk by chunk, never whole."""
    stream.seek(0)
    head = stream.read(DETECTOR_SAMPLE)
    stream.seek(0)
    for bom, name in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
        if head.startswith(bom):
            return name
    if _decodes(stream, "utf-8"):
        return "utf-8"
    if any(UTF8_SEQUENCE.search(chunk) for chunk in _chunks(stream)):
        # Part of the file is UTF-8, the rest is not.
        raise CrmImportFileError(
            env._("The file mixes several text encodings. Save it again in one encoding, preferably UTF-8.")
        )
    if (lang or "en").split("_")[0] in CP1252_LANGS and _decodes(stream, "cp1252"):
        return "cp1252"
    guess = chardet.detect(head).get("encoding")
    return (guess or "latin-1").lower()


def text_stream(env, stream, encoding):
    """``stream`` decoded as ``encoding``, checked to be text, as a stream."""
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise CrmImportFileError(
            env._("The file cannot be read as %(encoding)s. Choose another encoding.", encoding=encoding)
        ) from None
    if encoding.startswith("utf-16"):
        nul = False
    else:
        nul = any(b"\x00" in chunk for chunk in _chunks(stream))
    if nul:
        raise CrmImportFileError(env._("The file holds NUL bytes: it is not a text file."))
    stream.seek(0)
    text = io.TextIOWrapper(stream, encoding=encoding, errors="strict", newline="")
    try:
        sample = text.read(DETECTOR_SAMPLE)
    except UnicodeDecodeError:
        raise CrmImportFileError(
            env._("The file cannot be read as %(encoding)s. Choose another encoding.", encoding=encoding)
        ) from None
    if sample and len(CONTROL.findall(sample)) > max(5, len(sample) // 100):
        raise CrmImportFileError(env._("The file is not a text file: it holds binary data."))
    text.seek(0)
    return text, sample


# CSV -------------------------------------------------------------------------


def detect_separator(sample):
    """The separator among , ; tab | that splits the first lines of
    ``sample`` most consistently into more than one column. Measured on the
    most common column count, so that a few ragged rows do not defeat it."""
    lines = sample.splitlines()[:SEPARATOR_SAMPLE_LINES]
    best, best_score = ",", (0, 0)
    for separator in SEPARATORS:
        try:
            counts = [len(row) for row in csv.reader(lines, delimiter=separator) if row]
        except csv.Error:
            continue
        if not counts:
            continue
        mode = max(set(counts), key=counts.count)
        if mode < 2:
            continue
        score = (counts.count(mode), mode)
        if score > best_score:
            best, best_score = separator, score
    return best


def iter_csv(env, text, separator):
    reader = csv.reader(text, delimiter=separator, strict=True)
    try:
        yield from reader
    except UnicodeDecodeError:
        raise CrmImportFileError(
            env._("The file cannot be read as %(encoding)s. Choose another encoding.", encoding=text.encoding)
        ) from None
    except csv.Error as e:
        raise CrmImportFileError(
            env._(
                "Line %(line)s of the file cannot be read (%(reason)s), for example a quote that is never closed.",
                line=reader.line_num,
                reason=str(e),
            )
        ) from None


# XLSX ------------------------------------------------------------------------


def check_xlsx(env, stream, max_bytes, max_ratio):
    """Refuse a corrupt workbook, a zip bomb, macros, DTDs and external entities
    before openpyxl parses anything."""
    try:
        archive = zipfile.ZipFile(stream)
        members = archive.infolist()
    except (zipfile.BadZipFile, ValueError):
        raise CrmImportFileError(env._("The Excel file is damaged and cannot be opened.")) from None
    total = sum(member.file_size for member in members)
    packed = sum(member.compress_size for member in members) or 1
    if total > max_bytes or total / packed > max_ratio:
        raise CrmImportFileError(
            env._("The Excel file unpacks to far more data than it holds: it is refused as unsafe.")
        )
    names = {member.filename for member in members}
    if any(name.lower().endswith("vbaproject.bin") for name in names):
        raise CrmImportFileError(
            env._("Macro-enabled workbooks are not accepted. Save the file as .xlsx without macros.")
        )
    if "[Content_Types].xml" not in names:
        raise CrmImportFileError(env._("The Excel file is damaged and cannot be opened."))
    for member in members:
        if not member.filename.endswith((".xml", ".rels")):
            continue
        with archive.open(member) as stream:
            # A DTD can only come before the root element: the head suffices.
            head = stream.read(4096)
        if b"<!DOCTYPE" in head.upper() or b"<!ENTITY" in head.upper():
            raise CrmImportFileError(
                env._("The Excel file declares a DTD or external entities: it is refused as unsafe.")
            )


def xlsx_book(env, stream):
    stream.seek(0)
    try:
        book = openpyxl.load_workbook(stream, read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds on a bad file
        raise CrmImportFileError(env._("The Excel file is damaged and cannot be opened.")) from None
    return book


def cell_text(value):
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "isoformat"):
        text = value.isoformat()
        return text[:10] if text.endswith("T00:00:00") else text
    return str(value)


def iter_xlsx(env, stream, sheet):
    book = xlsx_book(env, stream)
    try:
        worksheet = book[sheet] if sheet else book.worksheets[0]
        for row in worksheet.iter_rows(values_only=True):
            yield [cell_text(value) for value in row]
    finally:
        book.close()


# XLS -------------------------------------------------------------------------


def xls_book(env, stream):
    stream.seek(0)
    try:
        return xlrd.open_workbook(file_contents=stream.read(), on_demand=True)
    except Exception:  # xlrd raises many kinds on a bad file
        raise CrmImportFileError(env._("The Excel file is damaged and cannot be opened.")) from None


def iter_xls(env, stream, sheet):
    book = xls_book(env, stream)
    worksheet = book.sheet_by_name(sheet) if sheet else book.sheet_by_index(0)
    for index in range(worksheet.nrows):
        values = []
        for cell in worksheet.row(index):
            if cell.ctype == xlrd.XL_CELL_DATE:
                values.append(cell_text(xlrd.xldate.xldate_as_datetime(cell.value, book.datemode)))
            else:
                values.append(cell_text(cell.value))
        yield values


def sheet_names(env, kind, stream):
    if kind == "xlsx":
        book = xlsx_book(env, stream)
        names = book.sheetnames
        book.close()
        return names
    if kind == "xls":
        return xls_book(env, stream).sheet_names()
    return []
