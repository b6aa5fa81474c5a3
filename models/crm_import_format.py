"""Per-column number and date formats of an import file.

Stock ``base_import`` takes one date format and one decimal separator for
the whole file, and the first cell that does not fit aborts the run. Here
each column gets its own, inferred from up to ``INFER_ROWS`` of its values:

- the decimal separator is voted by the values that tell (``1.234,56``,
  ``12,5``); ``1,234`` could be either and does not vote; a column where no
  value tells but one could be read both ways is flagged ambiguous, like dates;
- the date format is the one that reads the most values; when a day/month
  and a month/day format read them equally (every day is 12 or less) the
  column is flagged ambiguous and the import waits for the user's choice.

The parsers raise ``ValueError``; the job turns it into a per-row error.
"""

import datetime
import re

INFER_ROWS = 200
# The date formats a column may have, most common first: the key (which is
# also what the user sees) and its strptime format. A key is not a strptime
# format because selection values become case-insensitive xml ids.
STRPTIME = {
    "yyyy-mm-dd": "%Y-%m-%d",
    "dd.mm.yyyy": "%d.%m.%Y",
    "dd/mm/yyyy": "%d/%m/%Y",
    "mm/dd/yyyy": "%m/%d/%Y",
    "dd-mm-yyyy": "%d-%m-%Y",
    "mm-dd-yyyy": "%m-%d-%Y",
    "yyyy/mm/dd": "%Y/%m/%d",
    "dd.mm.yy": "%d.%m.%y",
    "dd/mm/yy": "%d/%m/%y",
    "mm/dd/yy": "%m/%d/%y",
}
DATE_FORMATS = [(key, key) for key in STRPTIME]
DECIMAL_SEPARATORS = [(".", "1,234.56"), (",", "1.234,56")]
TIME_FORMATS = ("%H:%M:%S", "%H:%M")
# Excel counts days from 1899-12-30 (its 1900 leap-year bug included).
EXCEL_EPOCH = datetime.datetime(1899, 12, 30)
EXCEL_SERIAL = re.compile(r"^\d{1,7}(\.\d+)?$")

DATE_LIKE = re.compile(r"^\d{1,4}[./-]\d{1,2}[./-]\d{1,4}(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?$")
NUMBER_LIKE = re.compile(r"^-?\d[\d.,]*$")
# Characters that may surround or group a number and mean nothing to its value.
NUMBER_NOISE = re.compile(r"[\s\u00a0\u202f'€$£%]")


def _other(decimal):
    return "," if decimal == "." else "."


def _decimal_vote(text):
    """',' or '.' when ``text`` tells its decimal separator, else None."""
    if "." in text and "," in text:
        return "," if text.rfind(",") > text.rfind(".") else "."
    for mark in (",", "."):
        if mark in text:
            if text.count(mark) > 1:
                return _other(mark)  # only thousands repeat
            if re.fullmatch(r"-?\d{1,3}" + re.escape(mark) + r"\d{3}", text):
                return None  # 1,234 is a thousand or one and a bit
            return mark
    return None


def infer_column(values, default_decimal=".", preferred_date=None):
    """(kind, decimal separator, date format, ambiguous) of a column.

    ``kind`` is 'date', 'number' or False (text); ``values`` are its
    non-empty cells. ``preferred_date`` (the user's language format) breaks
    a tie between formats, which is then flagged ambiguous. A number column
    where no value tells its decimal separator and one reads both ways
    (``1,500``, ``1.234``) takes ``default_decimal`` (the user's language)
    and is flagged ambiguous too."""
    values = [v.strip() for v in values if v and v.strip()]
    if not values:
        return False, False, False, False
    dates = [v for v in values if DATE_LIKE.match(v)]
    if len(dates) >= 0.8 * len(values):
        counts = {}
        for fmt in STRPTIME:
            read = 0
            for value in dates:
                try:
                    parse_date(value, fmt, iso=False)
                except ValueError:
                    continue
                read += 1
            if read:
                counts[fmt] = read
        if counts:
            best = max(counts.values())
            tied = [fmt for fmt in STRPTIME if counts.get(fmt) == best]
            chosen = preferred_date if preferred_date in tied else tied[0]
            # Same separator, day and month swapped: the values cannot tell.
            ambiguous = any(fmt != chosen and _same_fields(fmt, chosen) for fmt in tied)
            return "date", False, chosen, ambiguous
    numbers = [NUMBER_NOISE.sub("", v) for v in values]
    numbers = [v for v in numbers if NUMBER_LIKE.match(v)]
    if numbers and len(numbers) >= 0.8 * len(values):
        votes = [vote for vote in map(_decimal_vote, numbers) if vote]
        if votes:
            return "number", max((".", ","), key=votes.count), False, False
        return "number", default_decimal, False, any(map(_reads_both_ways, numbers))
    return False, False, False, False


def _reads_both_ways(text):
    """Whether ``text`` is a number with either separator: ``1,500`` (1500 or 1.5)."""
    return bool(re.fullmatch(r"-?\d{1,3}[.,]\d{3}", text))


def _same_fields(fmt, other):
    return sorted(fmt) == sorted(other)


def parse_number(text, decimal):
    """The float written as ``text`` with ``decimal`` as decimal separator;
    the other mark, spaces, apostrophes and currency signs group digits."""
    thousands = _other(decimal)
    value = NUMBER_NOISE.sub("", text)
    pattern = rf"-?(\d{{1,3}}({re.escape(thousands)}\d{{3}})+|\d+)({re.escape(decimal)}\d+)?"
    if not re.fullmatch(pattern, value):
        raise ValueError(text)
    return float(value.replace(thousands, "").replace(decimal, "."))


def parse_date(text, fmt, excel=False, iso=True):
    """The datetime written as ``text`` in ``fmt`` (a key of STRPTIME), with an optional time.

    With ``iso``, ISO dates are read whatever ``fmt`` (the reader gives an
    Excel date cell as one); ``excel`` also reads Excel's serial day numbers."""
    text = text.strip()
    if excel and EXCEL_SERIAL.match(text):
        days = float(text)
        if 1 <= days < 2958466:  # up to 9999-12-31
            return EXCEL_EPOCH + datetime.timedelta(days=days)
        raise ValueError(text)
    date_part, _sep, time_part = text.replace("T", " ", 1).partition(" ")
    day = None
    for candidate in dict.fromkeys([fmt, "yyyy-mm-dd" if iso else False]):
        if not candidate:
            continue
        try:
            day = datetime.datetime.strptime(date_part, STRPTIME[candidate])
            break
        except ValueError:
            continue
    if day is None:
        raise ValueError(text)
    time_part = time_part.strip()
    if not time_part:
        return day
    for time_format in TIME_FORMATS:
        try:
            moment = datetime.datetime.strptime(time_part, time_format)
        except ValueError:
            continue
        return day.replace(hour=moment.hour, minute=moment.minute, second=moment.second)
    raise ValueError(text)


def lang_date_format(lang_format):
    """The key of the language's strptime date format (``mm/dd/yyyy`` for en_US's ``%m/%d/%Y``)."""
    return next((key for key, fmt in STRPTIME.items() if fmt == lang_format), False)
