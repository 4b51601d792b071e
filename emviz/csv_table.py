"""Rows to a table: name the columns, type them, and report what is odd.

A column is numeric if at least :data:`~emviz.csv_cells.NUMERIC_FRACTION` of
its non-empty cells are numbers; its other cells become NaN and are named in
the report. Other columns are text. Whole-number columns with few distinct
values are offered as labels too (class ids). Nothing is dropped here: the
feature selection drops rows, and only for the columns chosen.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .csv_cells import MISSING, NUMBER, NUMERIC_FRACTION, TEXT, columns, parse_column
from .csv_dialect import DELIMITER_NAMES
from .csv_messages import Note, error, render
from .csv_records import Rows

__all__ = ["LoadReport", "LoadedTable", "Source", "build_table"]

# At most this many columns get a sentence of their own about text cells.
_TEXT_CELL_COLUMNS = 5


@dataclass(frozen=True)
class LoadReport:
    """What happened while reading a file or selecting features.

    Attributes
    ----------
    messages : tuple of str
        Plain-text sentences, most important first: what was wrong or dropped
        and what to do. Column names appear in them verbatim (shortened if very
        long), so pass them through :func:`~emviz.csv_messages.safe_label`
        before rendering as Markdown.
    dropped_rows : tuple of int
        1-based line numbers in the file (the header is line 1) of the rows
        dropped. ``load_csv`` drops only blank rows; rows left out by
        sampling are not listed. ``select_features`` lists the rows dropped
        for bad values in the chosen columns.
    n_rows_read : int
        Data rows seen: for ``load_csv``, records after the header (including
        blank ones and ones later left out by sampling); for
        ``select_features``, rows of the table.
    n_rows_kept : int
        Rows in the resulting table or matrix.
    delimiter : str
        Field separator used: ``","``, ``";"``, ``"\\t"`` or ``"|"``.
    encoding : str
        Python codec name used to decode the bytes: ``"utf-8"``,
        ``"utf-8-sig"`` (UTF-8 with BOM), ``"utf-16"``, ``"utf-16-le"``,
        ``"utf-16-be"``, ``"utf-32"``, ``"cp1252"`` or ``"latin-1"``; ``"str"``
        when ``load_csv`` was given text rather than bytes.
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


@dataclass(frozen=True)
class Source:
    """How the file was read, for the report.

    Attributes
    ----------
    delimiter, encoding : str
    n_read : int
        Data records in the file.
    sampled : bool
    dropped : list of int
        File lines of the blank rows left out.
    """

    delimiter: str
    encoding: str
    n_read: int
    sampled: bool
    dropped: list[int]


@dataclass
class _Typed:
    """The columns, typed, and what their cells showed."""

    data: dict[str, np.ndarray] = field(default_factory=dict)
    numeric: list[str] = field(default_factory=list)
    text: list[str] = field(default_factory=list)
    empty_named: list[str] = field(default_factory=list)
    text_cells: list[tuple[str, list[int], str]] = field(default_factory=list)  # (column, lines, example)
    comma_decimals: bool = False
    n_grouped: int = 0
    grouped_example: tuple[str, float] | None = None


def unique_names(raw: Sequence[str], width: int) -> tuple[list[str], list[bool]]:
    """Header names padded to ``width`` and made unique, and whether each was named.

    Parameters
    ----------
    raw : sequence of str
        The header record, or empty for a file without one.
    width : int

    Returns
    -------
    names : list of str
        ``"column 3"`` for a missing name, ``"x (2)"`` for a second ``"x"``.
    named : list of bool
    """
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


def _add_numeric(typed: _Typed, name: str, cells: np.ndarray, lines: np.ndarray, decimal: str, parsed) -> None:
    values, kinds = parsed.values, parsed.kinds
    values[kinds != NUMBER] = np.nan
    typed.data[name] = values
    typed.numeric.append(name)
    if parsed.grouped:
        typed.n_grouped += len(parsed.grouped)
        if typed.grouped_example is None:
            first = parsed.grouped[0]
            typed.grouped_example = (cells[first].strip(), values[first])
    if decimal == "," and not typed.comma_decimals:
        has_comma = pd.Series(cells, dtype=object).str.contains(",", regex=False).to_numpy(dtype=bool)
        typed.comma_decimals = bool((has_comma & (kinds == NUMBER)).any())
    if parsed.n_text:
        where = np.flatnonzero(kinds == TEXT)
        typed.text_cells.append((name, lines[where].tolist(), cells[where[0]].strip()))


def _type_columns(rows: Rows, names: list[str], named: list[bool], decimal: str) -> _Typed:
    typed = _Typed()
    for name, was_named, cells in zip(names, named, columns(rows.records, rows.width)):
        parsed = parse_column(cells, decimal)
        if parsed.n_number + parsed.n_text == 0:
            if was_named:
                typed.empty_named.append(name)
                typed.data[name] = np.full(len(rows.records), np.nan)
            continue  # unnamed, empty: an artefact of trailing delimiters
        if parsed.numeric:
            _add_numeric(typed, name, cells, rows.lines, decimal, parsed)
        else:
            labels = np.array([c.strip() for c in cells], dtype=object)
            labels[parsed.kinds == MISSING] = np.nan
            typed.data[name] = labels  # pandas infers its default string dtype
            typed.text.append(name)
    return typed


def _cell_notes(typed: _Typed, decimal: str) -> list[Note]:
    notes = []
    if typed.comma_decimals:
        notes.append(Note("comma_decimals"))
    if typed.grouped_example is not None:
        cell, value = typed.grouped_example
        notes.append(Note("thousands", {"n": typed.n_grouped, "cell": cell, "value": value,
                                        "mark": "','" if decimal == "," else "'.'"}))
    for name, lines, example in typed.text_cells[:_TEXT_CELL_COLUMNS]:
        notes.append(Note("text_cells", {"name": name, "n": len(lines), "lines": lines, "example": example}))
    rest = typed.text_cells[_TEXT_CELL_COLUMNS:]
    if rest:
        notes.append(Note("text_cells_more", {"n": len(rest), "names": [r[0] for r in rest]}))
    if typed.empty_named:
        notes.append(Note("empty_columns", {"n": len(typed.empty_named), "names": typed.empty_named}))
    return notes


def constant_note(names: Sequence[str]) -> list[Note]:
    """A note naming the constant columns, if there are any."""
    return [Note("constant", {"n": len(names), "names": list(names)})] if names else []


def _value_notes(frame: pd.DataFrame, numeric: list[str], finite: np.ndarray) -> list[Note]:
    n = len(frame)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # "All-NaN slice" for all-missing columns
        lo, hi = np.nanmin(finite, axis=0), np.nanmax(finite, axis=0)
    notes = constant_note([c for c, a, b in zip(numeric, lo, hi) if a == b and n > 1])
    n_dup = int(frame.duplicated().sum()) if n > 1 else 0
    if n_dup:
        notes.append(Note("duplicates", {"n": n_dup}))
    if len(numeric) == 1:
        notes.append(Note("one_column", {"name": numeric[0]}))
    if n == 1:
        notes.append(Note("one_row"))
    return notes


def _class_ids(frame: pd.DataFrame, numeric: list[str], finite: np.ndarray) -> list[str]:
    """Whole-number columns with few distinct values: often class ids."""
    n = len(frame)
    integral = np.all(np.isnan(finite) | (finite == np.round(finite)), axis=0)
    found = []
    for j in np.flatnonzero(integral):
        k = frame[numeric[j]].nunique()
        if 2 <= k <= 20 and k <= n / 5:
            found.append(numeric[j])
    return found


def _no_numeric_column(frame: pd.DataFrame, delimiter: str):
    if frame.shape[1] == 0:
        found = Note("found_no_values")
    else:
        found = Note("found_text_only", {"n": frame.shape[1], "names": list(frame.columns)})
    return error("no_numeric_column", found=found, fraction=NUMERIC_FRACTION,
                 delimiter=DELIMITER_NAMES[delimiter])


def build_table(rows: Rows, header: Sequence[str], decimal: str, source: Source, notes: list[Note]) -> LoadedTable:
    """Type the columns of ``rows`` and gather the report.

    Parameters
    ----------
    rows : Rows
        The data records and their lines.
    header : sequence of str
        The header record, or empty for a file without one.
    decimal : {".", ","}
    source : Source
        How the file was read.
    notes : list of Note
        What the earlier stages have to say; the table's own notes follow.

    Returns
    -------
    LoadedTable

    Raises
    ------
    CsvError
        If no column is numeric.
    """
    names, named = unique_names(header, rows.width)
    typed = _type_columns(rows, names, named, decimal)
    frame = pd.DataFrame(typed.data, index=pd.Index(rows.lines, name="line"))
    if not typed.numeric:
        raise _no_numeric_column(frame, source.delimiter)
    block = frame[typed.numeric].to_numpy(dtype=np.float64)
    finite = np.where(np.isfinite(block), block, np.nan)
    notes = [*notes, *_cell_notes(typed, decimal), *_value_notes(frame, typed.numeric, finite)]
    report = LoadReport(
        messages=render(notes),
        dropped_rows=tuple(int(v) for v in source.dropped),
        n_rows_read=source.n_read,
        n_rows_kept=len(frame),
        delimiter=source.delimiter,
        encoding=source.encoding,
        sampled=source.sampled,
    )
    others = typed.text + _class_ids(frame, typed.numeric, finite)
    return LoadedTable(frame, tuple(typed.numeric), tuple(others), report)
