"""Cells to numbers: decimal marks, thousands separators, missing markers.

Rules
-----
* Decimal mark: ``.`` unless the cells show decimal commas (``1,5``,
  ``1.234,5``); with ``;`` as delimiter and no evidence either way, ``,``.
* Thousands separators are accepted only in strict groups of three digits
  (``1,234.5``, ``1.234,5``, ``1 234``, ``1'234``), never in the decimal mark's
  own character.
* Missing-value markers such as ``NA``, ``n/a``, ``-``, ``?`` or ``#N/A`` and
  ``NaN`` count as empty; ``inf`` is a number (the feature selection drops it).
* Unicode minus signs and a quote around a number are tolerated.
* Header: the first record is a header unless it looks like data, i.e. it
  holds a number and no text cell of it sits above a numeric column.

No library does this: ``pandas.to_numeric`` and ``float`` know neither
decimal commas nor thousands groups, and pandas' own ``thousands=`` option
accepts any grouping (``1,23``) and needs the mark to be known beforehand.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import chain

import numpy as np
import pandas as pd

__all__ = [
    "MISSING",
    "NUMBER",
    "NUMERIC_FRACTION",
    "TEXT",
    "ParsedColumn",
    "choose_decimal",
    "columns",
    "has_header",
    "parse_column",
]

#: Share of a column's non-empty cells that must be numbers for the column to
#: count as numeric.
NUMERIC_FRACTION = 0.8

#: Kinds of cell.
MISSING, NUMBER, TEXT = 0, 1, 2

# Cells that mean "no value" in the exports people actually upload (R, SAS,
# Excel error values, hand-typed placeholders). Compared lower-cased.
_MISSING_TOKENS = frozenset(
    {"", "na", "n/a", "nan", "-nan", "null", "none", "nil", "missing", "-", "--", "?", ".",
     "#n/a", "#na", "#null!", "#div/0!", "#value!", "#ref!", "#name?", "#num!"}
)

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


@dataclass(frozen=True)
class ParsedColumn:
    """One column's cells read as numbers.

    Attributes
    ----------
    values : numpy.ndarray of float64
        The number in each cell, NaN where there is none.
    kinds : numpy.ndarray of int8
        :data:`MISSING`, :data:`NUMBER` or :data:`TEXT` per cell.
    grouped : list of int
        Positions of the cells read with a thousands separator.
    """

    values: np.ndarray
    kinds: np.ndarray
    grouped: list[int]

    @property
    def n_number(self) -> int:
        return int((self.kinds == NUMBER).sum())

    @property
    def n_text(self) -> int:
        return int((self.kinds == TEXT).sum())

    @property
    def numeric(self) -> bool:
        """Whether enough filled cells are numbers (see :data:`NUMERIC_FRACTION`)."""
        filled = self.n_number + self.n_text
        return filled > 0 and self.n_number >= NUMERIC_FRACTION * filled


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


def _parse_cell(cell: str, decimal: str) -> tuple[int, float, bool]:
    """Classify one cell the slow, careful way: (kind, value, used a thousands separator)."""
    s = cell.strip()
    if s.lower() in _MISSING_TOKENS:
        return MISSING, math.nan, False
    s = s.translate(_UNICODE_MINUS)
    for candidate in (s, s.strip("\"'").strip()):
        parsed = _parse_number(candidate, decimal)
        if parsed is not None:
            value, grouped = parsed
            if math.isnan(value):
                return MISSING, math.nan, False
            return NUMBER, value, grouped
    return TEXT, math.nan, False


def choose_decimal(cells: Iterable[str], delimiter: str) -> str:
    """The decimal mark, ``"."`` or ``","``, that the cells give evidence for.

    Parameters
    ----------
    cells : iterable of str
        A sample of the file's cells.
    delimiter : str
        Breaks a tie: files separated by ``;`` are usually written with
        decimal commas.

    Returns
    -------
    str
    """
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


def _fast_values(cells: Sequence[str], decimal: str) -> np.ndarray:
    """Numbers of the ordinary cells, NaN for every cell that needs a closer look."""
    if decimal == ".":
        try:
            return np.asarray(cells, dtype=object).astype(np.float64)
        except (ValueError, TypeError):
            series = pd.Series(cells, dtype=object)
            return pd.to_numeric(series, errors="coerce").to_numpy(dtype=np.float64, copy=True)
    series = pd.Series(cells, dtype=object)
    # Dotted cells may be thousands groups ("1.234"), so only dot-free
    # cells take the fast "replace the comma" route.
    values = np.full(len(cells), np.nan)
    plain = ~series.str.contains(".", regex=False).to_numpy(dtype=bool)
    if plain.any():
        converted = series[plain].str.replace(",", ".", regex=False)
        values[plain] = pd.to_numeric(converted, errors="coerce").to_numpy(dtype=np.float64)
    return values


def parse_column(cells: Sequence[str], decimal: str) -> ParsedColumn:
    """Read one column's cells as numbers.

    A vectorised fast path handles ordinary numbers; only the cells it
    rejects (missing markers, text, grouped or decimal-comma numbers) are
    looked at one by one, once per distinct string.

    Parameters
    ----------
    cells : sequence of str
    decimal : {".", ","}

    Returns
    -------
    ParsedColumn
    """
    values = _fast_values(cells, decimal)
    kinds = np.full(len(cells), NUMBER, dtype=np.int8)
    grouped: list[int] = []
    cache: dict[str, tuple[int, float, bool]] = {}
    for i in np.flatnonzero(np.isnan(values)):
        cell = cells[i]
        result = cache.get(cell)
        if result is None:
            result = cache[cell] = _parse_cell(cell, decimal)
        kinds[i], values[i], was_grouped = result
        if was_grouped:
            grouped.append(int(i))
    return ParsedColumn(values, kinds, grouped)


def _rectangle(records: Sequence[list[str]], width: int) -> Iterable[list[str]]:
    """Pad short records with empty cells and cut long ones to ``width``."""
    for r in records:
        k = len(r)
        yield r if k == width else (r + [""] * (width - k) if k < width else r[:width])


def columns(records: Sequence[list[str]], width: int) -> list[np.ndarray]:
    """Split records into ``width`` object arrays of cells, one per column.

    Short records are padded with empty cells, long ones cut.
    """
    if not records or width == 0:
        return [np.array([], dtype=object) for _ in range(width)]
    block = np.array(list(chain.from_iterable(_rectangle(records, width))), dtype=object)
    block = block.reshape(len(records), width)
    return [block[:, j] for j in range(width)]


def has_header(first: list[str], body: Sequence[list[str]], decimal: str) -> bool:
    """Whether ``first`` is a header row above the sample ``body`` of records.

    It is, unless it holds a number and none of its text cells sits above a
    numeric column: a row of names has no numbers, and a data row's text
    cells sit above text columns.
    """
    width = max([len(first), *(len(r) for r in body)])
    first_kinds = parse_column(first + [""] * (width - len(first)), decimal).kinds
    if not (first_kinds == NUMBER).any():
        return bool((first_kinds != MISSING).any())
    for j, column in enumerate(columns(body, width)):
        if first_kinds[j] == TEXT and parse_column(column, decimal).numeric:
            return True
    return False
