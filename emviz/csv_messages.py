"""Every sentence the CSV loader says to a user, in one table.

The parsing modules never write prose: they record a :class:`Note` (a code
from :data:`MESSAGES` and the facts that fill it) or raise :class:`CsvError`
through :func:`error`. This module turns both into sentences, so the wording
can be read, reviewed and changed in one place.

Templates are :meth:`str.format` strings with a few extra format specs, so
that number agreement and quoting stay in the table rather than in the code:

``{n:#row}``
    ``"1 row"`` / ``"1,234 rows"`` (the count, then the noun, pluralised).
``{n:is|are}``
    The first word when ``n == 1``, else the second.
``{lines:lines}``
    ``"line 4"``, ``"lines 4, 9 and 17"``, ``"lines 4, 9, 17 and 2 more"``.
``{names:names}``
    ``"'a'"``, ``"'a' and 'b'"``, ``"'a', ..., 'e' and 3 more"``.
``{name:q}``, ``{name:q20}``
    A column name or cell, quoted, flattened to one line and cut at 40
    (or the given number of) characters.
``{reference}`` given a :class:`Note`
    That note's sentence (a phrase shared by several templates).

Any other spec is the ordinary one (``{value:.15g}``, ``{n:,}``).
"""

from __future__ import annotations

import string
from collections.abc import Sequence
from dataclasses import dataclass, field

__all__ = ["MESSAGES", "CsvError", "Note", "error", "render", "safe_label", "say"]

_TO_CSV = "Save it as CSV (File \u2192 Save As \u2192 CSV) and upload that."
_UNPACK = "not a plain CSV. Unpack it and upload the CSV inside."
_EMPTY = "The file is empty. Upload a CSV file with a header row and rows of numbers."

#: Message templates keyed by code. Codes starting with ``not_`` name files
#: that are not CSV text at all; their sentences say what to do instead.
MESSAGES: dict[str, str] = {
    # Files that cannot be used (raised as CsvError)
    "empty": _EMPTY,
    "header_only": (
        "The file has a header row ({names:names}) but no data rows below it. "
        "Add the data, one row per line, and upload it again."
    ),
    "no_numeric_column": (
        "No column in this file holds numbers: found {found}. A column counts as numeric when at least "
        "{fraction:.0%} of its filled cells are numbers such as 1.5, -2e3 or 1,5. Check that values are "
        "separated by commas, semicolons, tabs or | (this file was read with {delimiter})."
    ),
    "found_no_values": "no columns with values",
    "found_text_only": "{n:#column} ({names:names}), none of them numeric",
    "not_binary": (
        "This file looks binary (it contains bytes that never appear in text), so it is not a CSV. "
        "Export your data as a CSV text file and upload that."
    ),
    "not_excel": "This looks like an Excel workbook, not a CSV. " + _TO_CSV,
    "not_old_excel": "This looks like an old Excel workbook (.xls), not a CSV. " + _TO_CSV,
    "not_ods": (
        "This looks like a LibreOffice/OpenOffice spreadsheet (.ods), not a CSV. "
        "Save it as CSV (File \u2192 Save As \u2192 Text CSV) and upload that."
    ),
    "not_word": "This looks like a Word document, not a CSV. Save the table as CSV and upload that.",
    "not_zip": "This file is a zip archive, not a CSV. Unpack it and upload the CSV inside.",
    "not_gzip": "This file is compressed (gzip), " + _UNPACK,
    "not_bzip2": "This file is compressed (bzip2), " + _UNPACK,
    "not_xz": "This file is compressed (xz), " + _UNPACK,
    "not_7z": "This file is a 7-Zip archive, not a CSV. Unpack it and upload the CSV inside.",
    "not_pdf": "This file is a PDF document, not a CSV. Export the table as CSV and upload that.",
    "not_png": "This file is a PNG image, not a CSV. Upload the data as a CSV file.",
    "not_jpeg": "This file is a JPEG image, not a CSV. Upload the data as a CSV file.",
    "not_gif": "This file is a GIF image, not a CSV. Upload the data as a CSV file.",
    "not_parquet": "This file is in Parquet format, not a CSV. Convert it to CSV and upload that.",
    "not_sqlite": "This file is an SQLite database, not a CSV. Export a table as CSV and upload that.",
    "not_html": (
        "This file is a web page (HTML), not a CSV. Download or export the data as CSV and upload that."
    ),
    # What happened while reading (LoadReport.messages of load_csv)
    "bad_bytes_after_bom": (
        "The file starts with a {codec} byte-order mark but contains bytes that are not valid in that "
        "encoding; they are shown as \ufffd. Re-save the file as UTF-8 CSV if values look wrong."
    ),
    "not_utf8": (
        "The file is not UTF-8, so it was read as {label}. If accented letters in names look wrong, "
        "save the file as 'CSV UTF-8' and upload it again."
    ),
    "unmatched_quote": (
        'The file has an unmatched quote character ("), so quotes were read as ordinary characters. '
        "If a value looks cut up, check the quotes around it."
    ),
    "unpaired_quotes": (
        "The quotes in this file do not pair up (a quoted cell never ends or is extremely long), so "
        "quotes were read as ordinary characters. If a value looks cut up, check the quotes around it."
    ),
    "ragged_long": (
        "{n:#row} ({lines:lines}) {n:has|have} more fields than {reference}; the extra fields were "
        "ignored. Look for a delimiter inside a value that should be quoted, or a header that is "
        "missing a name."
    ),
    "ragged_short": (
        "{n:#row} ({lines:lines}) {n:has|have} fewer fields than {reference}; the missing cells were "
        "left empty."
    ),
    "reference_header": "the header ({width})",
    "reference_most_rows": "most rows ({width})",
    "blank_rows": "Skipped {n:#blank row} ({lines:lines}).",
    "sampled": (
        "The file has {n_body:,} data rows, more than the limit of {max_rows:,}; a random sample of "
        "{max_rows:,} rows (seed {seed}) is used, in file order. Upload a smaller file to use every row."
    ),
    "comma_decimals": "Commas were read as decimal marks (1,5 means 1.5).",
    "thousands": (
        "{n:#number} {n:was|were} written with thousands separators and read that way "
        "(e.g. {cell:q20} as {value:.15g}; decimal mark {mark}). "
        "If that is wrong, re-save the file with plain numbers such as 1234.5."
    ),
    "text_cells": (
        "Column {name:q} has {n:#cell} that {n:is|are} not a number ({lines:lines}, e.g. {example:q20}); "
        "{n:it counts|they count} as missing."
    ),
    "text_cells_more": (
        "{n:#more column} ({names:names}) also have cells that are not numbers; they count as missing."
    ),
    "empty_columns": (
        "{n:Column|Columns} {names:names} {n:has|have} no values and cannot be used."
    ),
    "constant": "{n:Column|Columns} {names:names} {n:is|are} constant; {n:it carries|they carry} no information.",
    "duplicates": (
        "{n:#row} {n:is an exact copy|are exact copies} of an earlier row; {n:it was|they were} kept, "
        "so those points count more than once."
    ),
    "one_column": "Only one numeric column ({name:q}); the fit will be one-dimensional.",
    "one_row": "The file has only one data row; a mixture fit needs many more rows.",
    # Choosing features (select_features)
    "choose_a_column": "Choose at least one numeric column to fit.",
    "no_such_column": "There is no column {name:q} in this file. Choose one of the numeric columns.",
    "text_feature": (
        "Column {name:q} holds text, not numbers, so it cannot be a feature; "
        "use it as labels instead, or choose a numeric column."
    ),
    "dropped_rows": (
        "Dropped {n:#row} of {total:,} with {why} in the chosen columns ({lines:lines})."
    ),
    "why_missing": "a missing or non-numeric value",
    "why_missing_or_inf": "a missing or non-numeric value or an infinite one",
    "too_few_rows": (
        "{lead}, but at least {need:,} {need:is|are} needed. Choose other columns, "
        "fewer clusters, or fill in the missing values."
    ),
    "no_usable_row": "No row has a usable number in every chosen column",
    "few_usable_rows": "Only {n:#row} {n:has|have} a usable number in every chosen column",
    "scales_differ": (
        "Column scales differ by more than a factor of a million ({big_name:q} reaches {big:.3g}, "
        "{small_name:q} only {small:.3g}); turn on standardisation so that every column counts."
    ),
}


class CsvError(ValueError):
    """The file cannot be used at all; ``str(err)`` is the message for the user.

    The message is a plain sentence (no traceback) that says what is wrong
    and what to do about it.
    """


@dataclass(frozen=True)
class Note:
    """One thing to tell the user: a :data:`MESSAGES` code and its facts."""

    code: str
    fields: dict[str, object] = field(default_factory=dict)


def _short(name: object, limit: int = 40) -> str:
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
    lines = [int(v) for v in lines]
    if len(lines) == 1:
        return f"line {lines[0]}"
    if len(lines) > limit:
        return f"lines {', '.join(str(v) for v in lines[:limit])} and {len(lines) - limit} more"
    return f"lines {', '.join(str(v) for v in lines[:-1])} and {lines[-1]}"


class _Formatter(string.Formatter):
    """``str.format`` plus the specs listed in the module docstring."""

    def format_field(self, value, format_spec):
        if isinstance(value, Note):  # a phrase of its own, such as "the header (3)"
            return say(value.code, **value.fields)
        if format_spec.startswith("#"):
            noun = format_spec[1:]
            return f"{value:,} {noun if value == 1 else noun + 's'}"
        if "|" in format_spec:
            one, many = format_spec.split("|")
            return one if value == 1 else many
        if format_spec == "lines":
            return _lines_phrase(value)
        if format_spec == "names":
            return _names_phrase(value)
        if format_spec == "q" or (format_spec[:1] == "q" and format_spec[1:].isdigit()):
            return _short(value, int(format_spec[1:] or 40))
        return super().format_field(value, format_spec)


_FORMATTER = _Formatter()


def say(code: str, **fields: object) -> str:
    """The sentence for ``code`` with ``fields`` filled in.

    Parameters
    ----------
    code : str
        A key of :data:`MESSAGES`.
    **fields
        The values its template names.

    Returns
    -------
    str

    Examples
    --------
    >>> say("blank_rows", n=2, lines=[3, 5])
    'Skipped 2 blank rows (lines 3 and 5).'
    """
    return _FORMATTER.format(MESSAGES[code], **fields)


def render(notes: Sequence[Note]) -> tuple[str, ...]:
    """The sentences of ``notes``, in order."""
    return tuple(say(note.code, **note.fields) for note in notes)


def error(code: str, **fields: object) -> CsvError:
    """A :class:`CsvError` whose message is ``say(code, **fields)``; raise it."""
    return CsvError(say(code, **fields))


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
