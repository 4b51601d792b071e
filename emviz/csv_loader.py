"""Turn an uploaded file (bytes) into a clean numeric table and a report.

Nothing here imports Streamlit: the page passes ``UploadedFile.getvalue()`` to
:func:`load_csv`, shows ``report.messages`` and lets the user pick columns,
then calls :func:`select_features` to get the matrix to fit.

Design
------
* **Never give up on a row that can be used.** Problem cells become missing
  values in the table; a row is dropped only by :func:`select_features`, and
  only when one of the *chosen* columns is missing, non-numeric or infinite.
* **Say what happened in plain sentences.** Every adjustment (encoding
  fall-back, ragged rows, non-numeric cells, sampling, ...) adds one sentence to
  ``LoadReport.messages``; a file that cannot be used at all raises
  :class:`CsvError`, whose ``str()`` is a message for the user that says what
  to do.
* **Row numbers are line numbers.** ``LoadedTable.frame`` is indexed by the
  1-based line of the file on which each row starts (the header is line 1), and
  every row number in a report is such a line number: what a text editor, and
  for files without line breaks inside quoted cells also a spreadsheet, shows.

Parsing rules
-------------
* Encoding: a byte-order mark wins (UTF-8, UTF-16, UTF-32); otherwise UTF-8,
  then UTF-16 without BOM (recognised by its zero bytes), then Windows-1252,
  then Latin-1, which accepts any byte.
* Delimiter: the first of tab, ``;``, ``|``, ``,`` that splits the first lines
  into a steady number of fields (outside quotes); tab and ``;`` are tried
  before ``,`` because files that use them often have decimal commas.
* Decimal mark: ``.`` unless the cells show decimal commas (``1,5``,
  ``1.234,5``); with ``;`` as delimiter and no evidence either way, ``,``.
  Thousands separators are accepted only in strict groups of three digits
  (``1,234.5``, ``1.234,5``, ``1 234``, ``1'234``), never in the decimal mark's
  own character.
* Header: the first non-blank line is a header unless it looks like data, i.e.
  it holds a number, and no text cell of it sits above a numeric column.
* A column is numeric if at least :data:`NUMERIC_FRACTION` of its non-empty
  cells are numbers; its other cells become NaN. Missing-value markers such as
  ``NA``, ``n/a``, ``-``, ``?`` or ``#N/A`` count as empty, ``inf`` as a number.
"""

from __future__ import annotations

import csv
import io
import math
import re
import string
import warnings
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import chain

import numpy as np
import pandas as pd

__all__ = [
    "NUMERIC_FRACTION",
    "CsvError",
    "LoadReport",
    "LoadedTable",
    "default_feature_columns",
    "load_csv",
    "safe_label",
    "select_features",
]

#: Share of a column's non-empty cells that must be numbers for the column to
#: count as numeric.
NUMERIC_FRACTION = 0.8

# Header, delimiter and decimal-mark guesses look at this many leading records;
# enough to be reliable, small enough to cost nothing on huge files.
_SNIFF_RECORDS = 1000

# Cells that mean "no value" in the exports people actually upload (R, SAS,
# Excel error values, hand-typed placeholders). Compared lower-cased.
_MISSING_TOKENS = frozenset(
    {"", "na", "n/a", "nan", "-nan", "null", "none", "nil", "missing", "-", "--", "?", ".",
     "#n/a", "#na", "#null!", "#div/0!", "#value!", "#ref!", "#name?", "#num!"}
)

_MISSING, _NUMBER, _TEXT = 0, 1, 2

_DELIMITERS = ("\t", ";", "|", ",")
_DELIMITER_NAMES = {"\t": "tab", ";": "';'", "|": "'|'", ",": "','"}

# Strict thousands grouping; the separator must be the same throughout (\2).
# Apostrophes are the Swiss convention, the spaces include the no-break ones
# that spreadsheets insert.
_GROUP_SEPS_DOT = r"[, \u00a0\u202f'\u2019]"
_GROUP_SEPS_COMMA = r"[. \u00a0\u202f'\u2019]"
_GROUPED_DOT_DECIMAL = re.compile(rf"([+-]?\d{{1,3}})({_GROUP_SEPS_DOT})\d{{3}}(?:\2\d{{3}})*(?:\.\d*)?")
_GROUPED_COMMA_DECIMAL = re.compile(rf"([+-]?\d{{1,3}})({_GROUP_SEPS_COMMA})\d{{3}}(?:\2\d{{3}})*(?:,\d*)?")
_COMMA_DECIMAL = re.compile(r"[+-]?(?:\d+,\d*|,\d+)(?:[eE][+-]?\d+)?")

# Evidence for the decimal mark: a separator followed by other than exactly
# three digits, or after a "0" integer part, cannot be a thousands separator.
_EVIDENCE_COMMA = re.compile(r"[+-]?(?:\d*,(?:\d{1,2}|\d{4,})|0,\d+|\d{4,},\d+|\d{1,3}(?:\.\d{3})+,\d+)(?:[eE][+-]?\d+)?")
_EVIDENCE_DOT = re.compile(r"[+-]?(?:\d*\.(?:\d{1,2}|\d{4,})|0\.\d+|\d{4,}\.\d+|\d{1,3}(?:,\d{3})+\.\d+|\d*\.\d+[eE][+-]?\d+)")

_UNICODE_MINUS = str.maketrans({"\u2212": "-", "\u2012": "-", "\u2013": "-"})

# (leading bytes, message saying what the file is and what to do).
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
     "This looks like an old Excel workbook (.xls), not a CSV. Save it as CSV "
     "(File \u2192 Save As \u2192 CSV) and upload that."),
    (b"\x1f\x8b", "This file is compressed (gzip), not a plain CSV. Unpack it and upload the CSV inside."),
    (b"BZh", "This file is compressed (bzip2), not a plain CSV. Unpack it and upload the CSV inside."),
    (b"\xfd7zXZ\x00", "This file is compressed (xz), not a plain CSV. Unpack it and upload the CSV inside."),
    (b"7z\xbc\xaf\x27\x1c", "This file is a 7-Zip archive, not a CSV. Unpack it and upload the CSV inside."),
    (b"%PDF", "This file is a PDF document, not a CSV. Export the table as CSV and upload that."),
    (b"\x89PNG", "This file is a PNG image, not a CSV. Upload the data as a CSV file."),
    (b"\xff\xd8\xff", "This file is a JPEG image, not a CSV. Upload the data as a CSV file."),
    (b"GIF8", "This file is a GIF image, not a CSV. Upload the data as a CSV file."),
    (b"PAR1", "This file is in Parquet format, not a CSV. Convert it to CSV and upload that."),
    (b"SQLite format 3\x00", "This file is an SQLite database, not a CSV. Export a table as CSV and upload that."),
)
_EXCEL_MESSAGE = (
    "This looks like an Excel workbook, not a CSV. Save it as CSV "
    "(File \u2192 Save As \u2192 CSV) and upload that."
)


class CsvError(ValueError):
    """The file cannot be used at all; ``str(err)`` is the message for the user.

    The message is a plain sentence (no traceback) that says what is wrong
    and what to do about it.
    """


@dataclass(frozen=True)
class LoadReport:
    """What happened while reading a file or selecting features.

    Attributes
    ----------
    messages : tuple of str
        Plain-text sentences, most important first: what was wrong or dropped
        and what to do. Column names appear in them verbatim (shortened if very
        long), so pass them through :func:`safe_label` before rendering as
        Markdown.
    dropped_rows : tuple of int
        1-based line numbers in the file (the header is line 1) of the rows
        dropped. :func:`load_csv` drops only blank rows; rows left out by
        sampling are not listed. :func:`select_features` lists the rows
        dropped for bad values in the chosen columns.
    n_rows_read : int
        Data rows seen: for :func:`load_csv`, records after the header
        (including blank ones and ones later left out by sampling); for
        :func:`select_features`, rows of the table.
    n_rows_kept : int
        Rows in the resulting table or matrix.
    delimiter : str
        Field separator used: ``","``, ``";"``, ``"\\t"`` or ``"|"``.
    encoding : str
        Python codec name used to decode the bytes: ``"utf-8"``,
        ``"utf-8-sig"`` (UTF-8 with BOM), ``"utf-16"``, ``"utf-16-le"``,
        ``"utf-16-be"``, ``"utf-32"``, ``"cp1252"`` or ``"latin-1"``; ``"str"``
        when :func:`load_csv` was given text rather than bytes.
    sampled : bool
        True if the file had more than ``max_rows`` data rows and a random
        sample of them was kept.
    """

    messages: tuple[str, ...]
    dropped_rows: tuple[int, ...]
    n_rows_read: int
    n_rows_kept: int
    delimiter: str
    encoding: str
    sampled: bool


@dataclass(frozen=True)
class LoadedTable:
    """A parsed file.

    Attributes
    ----------
    frame : pandas.DataFrame
        Every column of the file under its (de-duplicated) header name, or
        ``"column 1"``, ``"column 2"``, ... when the file has no header.
        Numeric columns are float64 with NaN for empty or non-numeric cells
        (``inf`` stays ``inf``); text columns are pandas ``str`` with NaN for
        empty cells. The index, named ``"line"``, is the 1-based line of the
        file on which each row starts. Blank rows are not included.
    numeric_columns : tuple of str
        Columns usable as features, in file order.
    other_columns : tuple of str
        Candidate label columns: text columns, then numeric columns holding a
        few distinct whole numbers (such as a class id). A column may appear in
        both tuples.
    report : LoadReport
        What happened while reading.
    """

    frame: pd.DataFrame
    numeric_columns: tuple[str, ...]
    other_columns: tuple[str, ...]
    report: LoadReport


# --------------------------------------------------------------------------
# Small text helpers
# --------------------------------------------------------------------------

def _short(name: str, limit: int = 40) -> str:
    """Quote a column name for a message, flattened and shortened."""
    flat = " ".join(str(name).split())
    if len(flat) > limit:
        flat = flat[: limit - 1] + "\u2026"
    return f"'{flat}'"


def _names_phrase(names: Sequence[str], limit: int = 5) -> str:
    quoted = [_short(n) for n in names[:limit]]
    if len(names) > limit:
        return ", ".join(quoted) + f" and {len(names) - limit} more"
    if len(quoted) == 1:
        return quoted[0]
    return ", ".join(quoted[:-1]) + " and " + quoted[-1]


def _lines_phrase(lines: Sequence[int], limit: int = 3) -> str:
    """``"line 4"``, ``"lines 4, 9 and 17"`` or ``"lines 4, 9, 17 and 12 more"``."""
    lines = [int(v) for v in lines]
    if len(lines) == 1:
        return f"line {lines[0]}"
    shown = ", ".join(str(v) for v in lines[:limit])
    if len(lines) > limit:
        return f"lines {shown} and {len(lines) - limit} more"
    return f"lines {', '.join(str(v) for v in lines[:-1])} and {lines[-1]}"


def _plural(n: int, word: str, plural: str | None = None) -> str:
    return f"{n:,} {word if n == 1 else (plural or word + 's')}"


_MARKDOWN_ESCAPES = {c: "\\" + c for c in string.punctuation}
_MARKDOWN_ESCAPES.update({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"})
_MARKDOWN_TABLE = str.maketrans(_MARKDOWN_ESCAPES)


def safe_label(name: object, *, max_length: int | None = None) -> str:
    """Make a column name (or any text) safe to show inside Markdown.

    Column names come from the uploaded file and may contain Markdown or HTML
    such as ``**bold**`` or ``<script>alert(1)</script>``. The result renders
    as exactly the original characters in ``st.markdown``/``st.write`` and in
    labels that accept Markdown: ASCII punctuation is backslash-escaped and
    ``& < > " '`` become HTML entities, which Markdown shows as the
    characters. Line breaks and other control characters become spaces.

    Use the raw name, not this, where text is shown literally (``st.text``,
    ``st.code``, data-frame headers, plotly axis titles).

    Parameters
    ----------
    name : object
        The text to escape; converted with ``str()``.
    max_length : int, optional
        If given, names longer than this are cut and end in an ellipsis.

    Returns
    -------
    str

    Examples
    --------
    >>> safe_label("**bold**")
    '\\\\*\\\\*bold\\\\*\\\\*'
    >>> safe_label("<b>")
    '&lt;b&gt;'
    """
    text = "".join(ch if ch.isprintable() else " " for ch in str(name))
    if max_length is not None and len(text) > max_length:
        text = text[: max(max_length - 1, 0)] + "\u2026"
    return text.translate(_MARKDOWN_TABLE)


# --------------------------------------------------------------------------
# Bytes to text
# --------------------------------------------------------------------------

def _reject_non_text(data: bytes, filename: str) -> None:
    """Raise CsvError for well-known binary formats, with a matching hint."""
    if data[:4] in (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08"):
        head = data[:65536]
        lower_name = filename.lower()
        if b"xl/" in head or lower_name.endswith((".xlsx", ".xlsm", ".xlsb")):
            raise CsvError(_EXCEL_MESSAGE)
        if b"opendocument.spreadsheet" in head or lower_name.endswith(".ods"):
            raise CsvError(
                "This looks like a LibreOffice/OpenOffice spreadsheet (.ods), not a CSV. "
                "Save it as CSV (File \u2192 Save As \u2192 Text CSV) and upload that."
            )
        if b"word/" in head:
            raise CsvError("This looks like a Word document, not a CSV. Save the table as CSV and upload that.")
        raise CsvError("This file is a zip archive, not a CSV. Unpack it and upload the CSV inside.")
    for signature, message in _SIGNATURES:
        if data.startswith(signature):
            raise CsvError(message)


def _looks_binary(sample: bytes) -> bool:
    # Text files have no NUL bytes (UTF-16/32 are handled before this) and
    # almost no other C0 control bytes besides tab, newline, CR and form feed.
    if b"\x00" in sample:
        return True
    controls = sum(sample.count(bytes([c])) for c in (*range(1, 9), 11, *range(14, 32), 127))
    return controls > max(8, len(sample) // 100)


def _guess_bomless_utf16(sample: bytes) -> str | None:
    if len(sample) < 4:
        return None
    even, odd = sample[0::2], sample[1::2]
    even_zero, odd_zero = even.count(0) / len(even), odd.count(0) / len(odd)
    if odd_zero > 0.4 and even_zero < 0.05:
        return "utf-16-le"
    if even_zero > 0.4 and odd_zero < 0.05:
        return "utf-16-be"
    return None


def _decode(data: bytes, filename: str, messages: list[str]) -> tuple[str, str]:
    """Return (text, codec name); may append a message about the encoding."""
    _reject_non_text(data, filename)
    for bom, codec in (
        (b"\xff\xfe\x00\x00", "utf-32"),
        (b"\x00\x00\xfe\xff", "utf-32"),
        (b"\xef\xbb\xbf", "utf-8-sig"),
        (b"\xff\xfe", "utf-16"),
        (b"\xfe\xff", "utf-16"),
    ):
        if data.startswith(bom):
            try:
                text = data.decode(codec)
            except UnicodeDecodeError:
                text = data.decode(codec, errors="replace")
                messages.append(
                    f"The file starts with a {codec.upper().replace('-SIG', '')} byte-order mark but contains "
                    "bytes that are not valid in that encoding; they are shown as \ufffd. "
                    "Re-save the file as UTF-8 CSV if values look wrong."
                )
            return text, codec

    sample = data[:65536]
    utf16 = _guess_bomless_utf16(sample)
    if utf16 is not None:
        try:
            text = data.decode(utf16)
        except UnicodeDecodeError:
            pass
        else:
            if "\x00" not in text:
                return text, utf16

    if _looks_binary(sample):
        raise CsvError(
            "This file looks binary (it contains bytes that never appear in text), so it is not a CSV. "
            "Export your data as a CSV text file and upload that."
        )
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    for codec, label in (("cp1252", "Windows-1252"), ("latin-1", "Latin-1")):
        try:
            text = data.decode(codec)
        except UnicodeDecodeError:
            continue
        messages.append(
            f"The file is not UTF-8, so it was read as {label}. If accented letters in names look wrong, "
            "save the file as 'CSV UTF-8' and upload it again."
        )
        return text, "cp1252" if codec == "cp1252" else "latin-1"
    raise AssertionError("latin-1 decodes every byte string")  # pragma: no cover


# --------------------------------------------------------------------------
# Text to records
# --------------------------------------------------------------------------

_QUOTED = re.compile(r'"[^"]*"')


def _sniff_delimiter(lines: Sequence[str]) -> str:
    """Pick the delimiter that splits the sample lines most steadily."""
    lines = [_QUOTED.sub("", ln) for ln in lines if ln.strip()]
    if not lines:
        return ","
    best: tuple[float, str] | None = None
    for delim in _DELIMITERS:
        counts = [ln.count(delim) for ln in lines]
        mode, freq = Counter(counts).most_common(1)[0]
        steady = freq / len(counts)
        if mode >= 1 and steady >= 0.8:
            return delim  # the first steady one in priority order
        present = sum(c > 0 for c in counts) / len(counts)
        if present > 0 and (best is None or present > best[0]):
            best = (present, delim)
    return best[1] if best is not None else ","


def _count_lines(text: str) -> int:
    """Physical lines as ``io.StringIO(text, newline="")`` splits them."""
    crlf = text.count("\r\n")
    n = text.count("\n") + text.count("\r") - crlf
    return n + (1 if text and text[-1] not in "\r\n" else 0)


def _reader(source: Iterable[str], delimiter: str, quoting: int):
    return csv.reader(source, delimiter=delimiter, quotechar='"', doublequote=True,
                      skipinitialspace=True, strict=False, quoting=quoting)


def _stream_records(text: str, delimiter: str, quoting: int) -> Iterator[tuple[int, list[str]]]:
    """Yield (starting line, fields) for every record, tracking line numbers."""
    reader = _reader(io.StringIO(text, newline=""), delimiter, quoting)
    previous = 0
    for fields in reader:
        yield previous + 1, fields
        previous = reader.line_num


def _split_lines(lines: Iterable[str], delimiter: str) -> list[list[str]]:
    """Split lines that contain no quoting: what csv.reader would do, minus
    its 131,072-character field limit, so very long cells cannot fail."""
    return [line.rstrip("\r\n").split(delimiter) for line in lines]


def _all_records(text: str, delimiter: str, quoting: int, n_lines: int) -> tuple[list[list[str]], list[int]]:
    if quoting == csv.QUOTE_NONE:
        records = _split_lines(io.StringIO(text, newline=""), delimiter)
        return records, list(range(1, len(records) + 1))
    records = list(_reader(io.StringIO(text, newline=""), delimiter, quoting))
    if len(records) == n_lines:
        # One record per physical line (the usual case): lines are 1..n and
        # the slower line-tracking loop is not needed.
        return records, list(range(1, len(records) + 1))
    starts, records = [], []
    for start, fields in _stream_records(text, delimiter, quoting):
        starts.append(start)
        records.append(fields)
    return records, starts


def _is_blank(fields: Sequence[str]) -> bool:
    return not "".join(fields).strip()


# --------------------------------------------------------------------------
# Cells to numbers
# --------------------------------------------------------------------------

def _parse_cell(cell: str, decimal: str) -> tuple[int, float, bool]:
    """Classify one cell the slow, careful way: (kind, value, used a thousands separator)."""
    s = cell.strip()
    if s.lower() in _MISSING_TOKENS:
        return _MISSING, math.nan, False
    s = s.translate(_UNICODE_MINUS)
    for candidate in (s, s.strip("\"'").strip()):
        parsed = _parse_number(candidate, decimal)
        if parsed is not None:
            value, grouped = parsed
            if math.isnan(value):
                return _MISSING, math.nan, False
            return _NUMBER, value, grouped
    return _TEXT, math.nan, False


def _parse_number(s: str, decimal: str) -> tuple[float, bool] | None:
    """(value, grouped) or None; ``grouped`` if a thousands separator was removed."""
    grouped_pattern = _GROUPED_DOT_DECIMAL if decimal == "." else _GROUPED_COMMA_DECIMAL
    m = grouped_pattern.fullmatch(s)
    if m:
        return float(s.replace(m.group(2), "").replace(",", ".")), True
    if decimal == "," and _COMMA_DECIMAL.fullmatch(s):
        return float(s.replace(",", ".")), False
    try:
        return float(s), False
    except ValueError:
        return None


def _choose_decimal(cells: Iterable[str], delimiter: str) -> str:
    comma = dot = 0
    for cell in set(cells):
        s = cell.strip()
        if not s or len(s) > 40:
            continue
        if _EVIDENCE_COMMA.fullmatch(s):
            comma += 1
        elif _EVIDENCE_DOT.fullmatch(s):
            dot += 1
    if comma != dot:
        return "," if comma > dot else "."
    return "," if delimiter == ";" else "."


def _parse_column(cells: Sequence[str], decimal: str) -> tuple[np.ndarray, np.ndarray, list[int]]:
    """Return (values, kinds, positions read with a thousands separator) for one column.

    A vectorised fast path handles ordinary numbers; only the cells it rejects
    (missing markers, text, grouped or decimal-comma numbers) go through
    :func:`_parse_cell`, once per distinct string.
    """
    n = len(cells)
    values: np.ndarray | None = None
    if decimal == ".":
        try:
            values = np.asarray(cells, dtype=object).astype(np.float64)
        except (ValueError, TypeError):
            values = None
        if values is None:
            series = pd.Series(cells, dtype=object)
            values = pd.to_numeric(series, errors="coerce").to_numpy(dtype=np.float64, copy=True)
    else:
        series = pd.Series(cells, dtype=object)
        # Dotted cells may be thousands groups ("1.234"), so only dot-free
        # cells take the fast "replace the comma" route.
        values = np.full(n, np.nan)
        plain = ~series.str.contains(".", regex=False).to_numpy(dtype=bool)
        if plain.any():
            converted = series[plain].str.replace(",", ".", regex=False)
            values[plain] = pd.to_numeric(converted, errors="coerce").to_numpy(dtype=np.float64)
        values[~plain] = np.nan
    kinds = np.full(n, _NUMBER, dtype=np.int8)
    grouped: list[int] = []
    unresolved = np.flatnonzero(np.isnan(values))
    if unresolved.size:
        cache: dict[str, tuple[int, float, bool]] = {}
        for i in unresolved:
            cell = cells[i]
            result = cache.get(cell)
            if result is None:
                result = cache[cell] = _parse_cell(cell, decimal)
            kinds[i], values[i], was_grouped = result
            if was_grouped:
                grouped.append(int(i))
    return values, kinds, grouped


# --------------------------------------------------------------------------
# The loader
# --------------------------------------------------------------------------

def _rectangle(records: Sequence[list[str]], width: int) -> list[list[str]]:
    """Pad short records with empty cells and cut long ones to ``width``."""
    out = []
    for r in records:
        k = len(r)
        out.append(r if k == width else (r + [""] * (width - k) if k < width else r[:width]))
    return out


def _columns(records: Sequence[list[str]], width: int) -> list[np.ndarray]:
    """Split records into ``width`` object arrays of cells, one per column."""
    if not records or width == 0:
        return [np.array([], dtype=object) for _ in range(width)]
    block = np.array(list(chain.from_iterable(_rectangle(records, width))), dtype=object)
    block = block.reshape(len(records), width)
    return [block[:, j] for j in range(width)]


def _has_header(first: list[str], body: Sequence[list[str]], decimal: str) -> bool:
    width = max([len(first), *(len(r) for r in body)])
    first_kinds = _parse_column(first + [""] * (width - len(first)), decimal)[1]
    if not (first_kinds == _NUMBER).any():
        return bool((first_kinds != _MISSING).any())
    for j, column in enumerate(_columns(body, width)):
        kinds = _parse_column(column, decimal)[1]
        filled = int((kinds != _MISSING).sum())
        numeric = filled > 0 and (kinds == _NUMBER).sum() >= NUMERIC_FRACTION * filled
        if numeric and first_kinds[j] == _TEXT:
            return True
    return False


def _unique_names(raw: Sequence[str], width: int) -> tuple[list[str], list[bool]]:
    """Header names padded to ``width``; returns names and 'was named' flags."""
    names, named, seen = [], [], set()
    for j in range(width):
        name = raw[j].strip() if j < len(raw) else ""
        named.append(bool(name))
        name = name or f"column {j + 1}"
        base, k = name, 2
        while name in seen:
            name, k = f"{base} ({k})", k + 1
        seen.add(name)
        names.append(name)
    return names, named


def load_csv(
    data: bytes | bytearray | memoryview | str,
    filename: str = "upload.csv",
    *,
    max_rows: int = 200_000,
    seed: int = 0,
) -> LoadedTable:
    """Parse an uploaded delimited text file into a table.

    Parameters
    ----------
    data : bytes
        The raw file contents (``UploadedFile.getvalue()``). A ``str`` is
        accepted as already-decoded text.
    filename : str, optional
        The uploaded file's name; used only to recognise formats by extension
        (for example ``.xlsx``) in error messages.
    max_rows : int, optional
        Row cap. A file with more data rows keeps a uniform random sample of
        ``max_rows`` of them, in file order, and says so in the report
        (``sampled=True``). Sampling rather than keeping the first rows avoids
        silently fitting only the start of a file sorted by class or time.
    seed : int, optional
        Seed for that sample, so re-loading the same file gives the same rows.

    Returns
    -------
    LoadedTable

    Raises
    ------
    CsvError
        If the file is empty, has a header but no data, is not text (Excel,
        zip, PDF, image, other binary), or has no numeric column.
    ValueError
        If ``max_rows`` is less than 1.

    Notes
    -----
    Blank rows are skipped (listed in ``report.dropped_rows``); every other
    row is kept, with problem cells as NaN. Rows with more fields than the
    header keep their first fields; rows with fewer get NaN for the rest; both
    are named in a message.
    """
    if max_rows < 1:
        raise ValueError(f"max_rows must be at least 1, got {max_rows}")
    messages: list[str] = []

    if isinstance(data, str):
        text, encoding = data, "str"
    else:
        raw = bytes(data)
        if not raw.strip():
            raise CsvError("The file is empty. Upload a CSV file with a header row and rows of numbers.")
        text, encoding = _decode(raw, filename, messages)
    text = text.removeprefix("\ufeff")
    stripped = text.lstrip()[:2048].lower()
    if stripped.startswith(("<!doctype html", "<html")):
        raise CsvError("This file is a web page (HTML), not a CSV. Download or export the data as CSV and upload that.")
    if stripped.startswith("<?xml") and "urn:schemas-microsoft-com:office:spreadsheet" in text[:4096]:
        raise CsvError(_EXCEL_MESSAGE)
    if not text.strip():
        raise CsvError("The file is empty. Upload a CSV file with a header row and rows of numbers.")

    # Excel can write a first line "sep=;" naming the delimiter.
    line_offset = 0
    first_line, _, rest = text.partition("\n")
    sep_hint = re.fullmatch(r"\s*sep=(.)\s*", first_line)
    delimiter = None
    if sep_hint and sep_hint.group(1) in _DELIMITERS:
        delimiter, text, line_offset = sep_hint.group(1), rest, 1

    head_lines = io.StringIO(text[:1_000_000], newline="").readlines()[:200]
    if delimiter is None:
        delimiter = _sniff_delimiter(head_lines)

    # Without any quote character, quoting rules cannot matter; plain splitting
    # is then exact, faster and has no cell-length limit.
    quoting = csv.QUOTE_MINIMAL if '"' in text else csv.QUOTE_NONE
    if text.count('"') % 2:
        quoting = csv.QUOTE_NONE
        messages.append(
            'The file has an unmatched quote character ("), so quotes were read as ordinary characters. '
            "If a value looks cut up, check the quotes around it."
        )

    try:
        body = _gather(text, delimiter, quoting, max_rows, seed)
    except csv.Error:
        # csv.reader gives up on a quoted cell longer than 131,072
        # characters, typically a quote that opens and never closes, so
        # the rest of the file is swallowed. Plain splitting cannot fail.
        quoting = csv.QUOTE_NONE
        messages.append(
            "The quotes in this file do not pair up (a quoted cell never ends or is extremely long), so "
            "quotes were read as ordinary characters. If a value looks cut up, check the quotes around it."
        )
        body = _gather(text, delimiter, quoting, max_rows, seed)
    if body is None:
        raise CsvError("The file is empty. Upload a CSV file with a header row and rows of numbers.")
    first, header, decimal = body.first, body.header, body.decimal
    body_records, body_lines, n_body, sampled = body.records, body.lines, body.n_body, body.sampled
    if header:
        width = len(first)
    else:
        widths = Counter(len(r) for r in body_records if not _is_blank(r))
        width = widths.most_common(1)[0][0]

    blank = [i for i, r in enumerate(body_records) if _is_blank(r)]
    dropped = [body_lines[i] + line_offset for i in blank]
    if blank:
        blank_set = set(blank)
        body_records = [r for i, r in enumerate(body_records) if i not in blank_set]
        body_lines = [v for i, v in enumerate(body_lines) if i not in blank_set]

    if header and not body_records:
        names = _names_phrase([f.strip() for f in first if f.strip()])
        raise CsvError(
            f"The file has a header row ({names}) but no data rows below it. "
            "Add the data, one row per line, and upload it again."
        )

    line_numbers = np.asarray(body_lines, dtype=np.int64) + line_offset
    ragged_long = [line_numbers[i] for i, r in enumerate(body_records)
                   if len(r) > width and any(f.strip() for f in r[width:])]
    ragged_short = [line_numbers[i] for i, r in enumerate(body_records) if len(r) < width]
    reference = f"the header ({width})" if header else f"most rows ({width})"
    if ragged_long:
        messages.append(
            f"{_plural(len(ragged_long), 'row')} ({_lines_phrase(ragged_long)}) "
            f"{'has' if len(ragged_long) == 1 else 'have'} more fields than {reference}; the extra fields "
            "were ignored. Look for a delimiter inside a value that should be quoted, or a header that is "
            "missing a name."
        )
    if ragged_short:
        messages.append(
            f"{_plural(len(ragged_short), 'row')} ({_lines_phrase(ragged_short)}) "
            f"{'has' if len(ragged_short) == 1 else 'have'} fewer fields than {reference}; the missing cells "
            "were left empty."
        )
    if blank:
        messages.append(f"Skipped {_plural(len(blank), 'blank row')} ({_lines_phrase(dropped)}).")
    if sampled:
        messages.append(
            f"The file has {n_body:,} data rows, more than the limit of {max_rows:,}; a random sample of "
            f"{max_rows:,} rows (seed {seed}) is used, in file order. Upload a smaller file to use every row."
        )

    names, named = _unique_names(first if header else [], width)
    return _build_table(
        body_records, line_numbers, names, named, decimal, delimiter, encoding, messages,
        dropped, n_body, sampled,
    )


@dataclass
class _Body:
    first: list[str]          # the header, or the first data row
    header: bool
    decimal: str
    records: list[list[str]]  # data records kept (after sampling), blank ones included
    lines: list[int]          # starting line of each kept record
    n_body: int               # data records in the whole file
    sampled: bool


def _gather(text: str, delimiter: str, quoting: int, max_rows: int, seed: int) -> _Body | None:
    """Read the records, decide header and decimal mark, and apply the row cap.

    Small files are read in one go. Files with more lines than the cap are
    never held as one list of records: unquoted ones are split into lines
    (one record per line) and only the sampled lines are parsed; quoted ones
    are streamed twice, once to count and once to keep the sample.

    Returns None if every record is blank.
    """
    n_lines = _count_lines(text)
    small = n_lines <= max_rows + 1
    split_lines = not small and quoting == csv.QUOTE_NONE
    lines: list[str] = []
    records: list[list[str]] = []
    starts: list[int] = []
    if small:
        records, starts = _all_records(text, delimiter, quoting, n_lines)
        stream: Iterator[tuple[int, list[str]]] = zip(starts, records)
    elif split_lines:
        lines = io.StringIO(text, newline="").readlines()
        stream = enumerate((line.rstrip("\r\n").split(delimiter) for line in lines), start=1)
    else:
        stream = _stream_records(text, delimiter, quoting)

    # Leading blank lines are noise, not a missing header.
    lead, first = 0, None
    for _, fields in stream:
        if not _is_blank(fields):
            first = fields
            break
        lead += 1
    if first is None:
        return None
    sniff_body = []
    n_records = lead + 1
    for _, fields in stream:
        n_records += 1
        if not _is_blank(fields):
            sniff_body.append(fields)
            if len(sniff_body) >= _SNIFF_RECORDS:
                break
    decimal = _choose_decimal((c for r in [first, *sniff_body] for c in r), delimiter)
    header = _has_header(first, sniff_body, decimal)
    skip = lead + 1 if header else lead

    if small:
        body_records, body_lines = records[skip:], starts[skip:]
        return _Body(first, header, decimal, body_records, body_lines, len(body_records), False)

    if split_lines:
        n_records = len(lines)
    else:
        n_records += sum(1 for _ in stream)
    n_body = n_records - skip
    rng = np.random.default_rng(seed)
    sampled = n_body > max_rows
    chosen = (np.sort(rng.choice(n_body, size=max_rows, replace=False)) if sampled else np.arange(n_body)) + skip
    if split_lines:
        body_records = _split_lines([lines[i] for i in chosen], delimiter)
        body_lines = (chosen + 1).tolist()
    else:
        body_records, body_lines = [], []
        wanted = iter(chosen.tolist())
        target = next(wanted, None)
        for index, (start, fields) in enumerate(_stream_records(text, delimiter, quoting)):
            if index == target:
                body_records.append(fields)
                body_lines.append(start)
                target = next(wanted, None)
                if target is None:
                    break
    return _Body(first, header, decimal, body_records, body_lines, n_body, sampled)


def _build_table(
    body_records: list[list[str]],
    line_numbers: np.ndarray,
    names: list[str],
    named: list[bool],
    decimal: str,
    delimiter: str,
    encoding: str,
    messages: list[str],
    dropped: list[int],
    n_read: int,
    sampled: bool,
) -> LoadedTable:
    n = len(body_records)
    columns = _columns(body_records, len(names))
    data: dict[str, object] = {}
    numeric: list[str] = []
    text_cols: list[str] = []
    empty_named: list[str] = []
    bad_cells: list[tuple[str, list[int], str]] = []
    comma_decimals = False
    grouped_example: tuple[str, float] | None = None
    n_grouped = 0
    for name, was_named, cells in zip(names, named, columns):
        values, kinds, grouped = _parse_column(cells, decimal)
        n_number = int((kinds == _NUMBER).sum())
        n_text = int((kinds == _TEXT).sum())
        if n_number + n_text == 0:
            if was_named:
                empty_named.append(name)
                data[name] = np.full(n, np.nan)
            continue  # unnamed, empty: an artefact of trailing delimiters
        if n_number >= NUMERIC_FRACTION * (n_number + n_text):
            values[kinds != _NUMBER] = np.nan
            data[name] = values
            numeric.append(name)
            if grouped:
                n_grouped += len(grouped)
                if grouped_example is None:
                    grouped_example = (cells[grouped[0]].strip(), values[grouped[0]])
            if decimal == "," and not comma_decimals:
                has_comma = pd.Series(cells, dtype=object).str.contains(",", regex=False).to_numpy(dtype=bool)
                comma_decimals = bool((has_comma & (kinds == _NUMBER)).any())
            if n_text:
                where = np.flatnonzero(kinds == _TEXT)
                bad_cells.append((name, line_numbers[where].tolist(), cells[where[0]].strip()))
        else:
            labels = np.array([c.strip() for c in cells], dtype=object)
            labels[kinds == _MISSING] = np.nan
            data[name] = labels  # pandas infers its default string dtype
            text_cols.append(name)

    frame = pd.DataFrame(data, index=pd.Index(line_numbers, name="line"))
    if not numeric:
        if frame.shape[1] == 0:
            found = "no columns with values"
        else:
            found = f"{_plural(frame.shape[1], 'column')} ({_names_phrase(list(frame.columns))}), none of them numeric"
        raise CsvError(
            f"No column in this file holds numbers: found {found}. A column counts as numeric when at least "
            f"{NUMERIC_FRACTION:.0%} of its filled cells are numbers such as 1.5, -2e3 or 1,5. Check that "
            f"values are separated by commas, semicolons, tabs or | (this file was read with "
            f"{_DELIMITER_NAMES[delimiter]})."
        )

    if comma_decimals:
        messages.append("Commas were read as decimal marks (1,5 means 1.5).")
    if grouped_example is not None:
        cell, value = grouped_example
        mark = "','" if decimal == "," else "'.'"
        messages.append(
            f"{_plural(n_grouped, 'number')} {'was' if n_grouped == 1 else 'were'} written with thousands "
            f"separators and read that way (e.g. {_short(cell, 20)} as {value:.15g}; decimal mark {mark}). "
            "If that is wrong, re-save the file with plain numbers such as 1234.5."
        )
    for name, lines, example in bad_cells[:5]:
        messages.append(
            f"Column {_short(name)} has {_plural(len(lines), 'cell')} that {'is' if len(lines) == 1 else 'are'} "
            f"not a number ({_lines_phrase(lines)}, e.g. {_short(example, 20)}); "
            f"{'it counts' if len(lines) == 1 else 'they count'} as missing."
        )
    if len(bad_cells) > 5:
        rest = bad_cells[5:]
        messages.append(
            f"{_plural(len(rest), 'more column')} ({_names_phrase([b[0] for b in rest])}) also have cells that "
            "are not numbers; they count as missing."
        )
    if empty_named:
        verb = "has" if len(empty_named) == 1 else "have"
        messages.append(f"{'Column' if len(empty_named) == 1 else 'Columns'} {_names_phrase(empty_named)} {verb} "
                        "no values and cannot be used.")

    block = frame[numeric].to_numpy(dtype=np.float64)
    finite = np.where(np.isfinite(block), block, np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # "All-NaN slice" for all-missing columns
        lo, hi = np.nanmin(finite, axis=0), np.nanmax(finite, axis=0)
    constant = [c for c, a, b in zip(numeric, lo, hi) if a == b and n > 1]
    if constant:
        if len(constant) == 1:
            messages.append(f"Column {_short(constant[0])} is constant; it carries no information.")
        else:
            messages.append(f"Columns {_names_phrase(constant)} are constant; they carry no information.")

    n_dup = int(frame.duplicated().sum()) if n > 1 else 0
    if n_dup:
        messages.append(
            f"{_plural(n_dup, 'row')} {'is an exact copy' if n_dup == 1 else 'are exact copies'} of an earlier "
            f"row; {'it was' if n_dup == 1 else 'they were'} kept, so those points count more than once."
        )
    if len(numeric) == 1:
        messages.append(f"Only one numeric column ({_short(numeric[0])}); the fit will be one-dimensional.")
    if n == 1:
        messages.append("The file has only one data row; a mixture fit needs many more rows.")

    # Whole-number columns with few distinct values are often class ids.
    integral = np.all(np.isnan(finite) | (finite == np.round(finite)), axis=0)
    categorical = []
    for j in np.flatnonzero(integral):
        k = frame[numeric[j]].nunique()
        if 2 <= k <= 20 and k <= n / 5:
            categorical.append(numeric[j])

    report = LoadReport(
        messages=tuple(messages),
        dropped_rows=tuple(int(v) for v in dropped),
        n_rows_read=n_read,
        n_rows_kept=n,
        delimiter=delimiter,
        encoding=encoding,
        sampled=sampled,
    )
    return LoadedTable(frame, tuple(numeric), tuple(text_cols + categorical), report)


# --------------------------------------------------------------------------
# Choosing features
# --------------------------------------------------------------------------

_ID_NAMES = frozenset({"id", "index", "idx", "row", "rowid", "row_id", "#", "unnamed: 0"})


def default_feature_columns(table: LoadedTable, limit: int = 6) -> tuple[str, ...]:
    """The numeric columns to pre-select in the UI.

    Takes the first ``limit`` numeric columns that look like measurements:
    not constant or empty, not a class id (see ``other_columns``) and not a
    running index such as an ``id`` column or 1, 2, 3, .... Falls back to the
    first numeric columns if that leaves none. Keeps very wide files usable.

    Parameters
    ----------
    table : LoadedTable
    limit : int, optional
        At most this many columns.

    Returns
    -------
    tuple of str
    """
    frame = table.frame
    labels = set(table.other_columns)
    chosen = []
    for name in table.numeric_columns:
        if len(chosen) >= limit:
            break
        column = frame[name].to_numpy(dtype=np.float64)
        finite = column[np.isfinite(column)]
        if finite.size == 0 or finite.min() == finite.max() or name in labels:
            continue
        if name.strip().lower() in _ID_NAMES:
            continue
        if finite.size > 2 and np.all(np.diff(finite) == 1):
            continue  # a running index
        chosen.append(name)
    return tuple(chosen) if chosen else tuple(table.numeric_columns[:limit])


def select_features(
    table: LoadedTable,
    columns: Sequence[str],
    *,
    standardise: bool = False,
    min_rows: int = 1,
) -> tuple[np.ndarray, LoadReport]:
    """The float matrix of the chosen columns, ready to fit.

    Parameters
    ----------
    table : LoadedTable
        From :func:`load_csv`.
    columns : sequence of str
        Numeric columns to use, in order (duplicates are ignored).
    standardise : bool, optional
        Centre each column and divide by its standard deviation (constant
        columns are only centred), so that columns measured on very different
        scales weigh equally.
    min_rows : int, optional
        Raise :class:`CsvError` if fewer usable rows remain, e.g. the number
        of components.

    Returns
    -------
    X : numpy.ndarray, shape (n_kept, len(columns))
        float64, C-contiguous, all values finite.
    report : LoadReport
        ``dropped_rows`` are the file lines dropped because a chosen column
        was missing, non-numeric or infinite there; ``n_rows_read`` is the
        table's row count. Delimiter, encoding and ``sampled`` are copied from
        the table's report.

    Raises
    ------
    CsvError
        If no column is chosen, a column does not exist or holds text, or
        fewer than ``min_rows`` rows have a finite number in every chosen
        column.
    """
    if isinstance(columns, str):
        columns = [columns]
    chosen = list(dict.fromkeys(columns))
    if not chosen:
        raise CsvError("Choose at least one numeric column to fit.")
    numeric = set(table.numeric_columns)
    for name in chosen:
        if name not in table.frame.columns:
            raise CsvError(f"There is no column {_short(name)} in this file. Choose one of the numeric columns.")
        if name not in numeric:
            raise CsvError(
                f"Column {_short(name)} holds text, not numbers, so it cannot be a feature; "
                "use it as labels instead, or choose a numeric column."
            )

    frame = table.frame
    X = frame[chosen].to_numpy(dtype=np.float64)
    usable = np.isfinite(X).all(axis=1)
    n_total, n_kept = len(frame), int(usable.sum())
    messages: list[str] = []
    dropped = frame.index[~usable].to_numpy()
    if n_kept < n_total:
        n_inf = int((np.isinf(X).any(axis=1)).sum())
        why = "a missing or non-numeric value" + (" or an infinite one" if n_inf else "")
        messages.append(
            f"Dropped {_plural(n_total - n_kept, 'row')} of {n_total:,} with {why} in the chosen columns "
            f"({_lines_phrase(dropped)})."
        )
    if n_kept < max(min_rows, 1):
        need = max(min_rows, 1)
        if n_kept == 0:
            lead = "No row has a usable number in every chosen column"
        else:
            lead = f"Only {_plural(n_kept, 'row')} {'has' if n_kept == 1 else 'have'} a usable number in every chosen column"
        raise CsvError(
            f"{lead}, but at least {need:,} {'is' if need == 1 else 'are'} needed. Choose other columns, "
            "fewer clusters, or fill in the missing values."
        )
    X = X[usable]

    spread = X.std(axis=0)
    constant = [c for c, s in zip(chosen, spread) if s == 0]
    if constant and n_kept > 1:
        if len(constant) == 1:
            messages.append(f"Column {_short(constant[0])} is constant; it carries no information.")
        else:
            messages.append(f"Columns {_names_phrase(constant)} are constant; they carry no information.")
    if standardise:
        safe = np.where(spread > 0, spread, 1.0)
        X = (X - X.mean(axis=0)) / safe
    else:
        scale = np.max(np.abs(X), axis=0)
        varying = [(s, c) for s, c, sd in zip(scale, chosen, spread) if sd > 0 and s > 0]
        if len(varying) >= 2:
            (small, small_name), (big, big_name) = min(varying), max(varying)
            if big / small > 1e6:
                messages.append(
                    f"Column scales differ by more than a factor of a million ({_short(big_name)} reaches "
                    f"{big:.3g}, {_short(small_name)} only {small:.3g}); turn on standardisation so that "
                    "every column counts."
                )

    base = table.report
    report = LoadReport(
        messages=tuple(messages),
        dropped_rows=tuple(int(v) for v in dropped),
        n_rows_read=n_total,
        n_rows_kept=n_kept,
        delimiter=base.delimiter,
        encoding=base.encoding,
        sampled=base.sampled,
    )
    return np.ascontiguousarray(X, dtype=np.float64), report
