"""Choosing the columns to fit, and the matrix of the chosen ones.

The table keeps every row; here rows are dropped, and only when a *chosen*
column is missing, non-numeric or infinite on them, so a bad cell in a column
nobody fits costs nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .csv_messages import Note, error, render
from .csv_table import LoadedTable, LoadReport, constant_note

__all__ = ["default_feature_columns", "select_features"]

# Names of columns that count rows rather than measure anything. Compared
# stripped and lower-cased.
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


def _check_choice(table: LoadedTable, columns: Sequence[str]) -> list[str]:
    """The chosen columns without repeats; raise CsvError if one cannot be a feature."""
    chosen = list(dict.fromkeys(columns))
    if not chosen:
        raise error("choose_a_column")
    numeric = set(table.numeric_columns)
    for name in chosen:
        if name not in table.frame.columns:
            raise error("no_such_column", name=name)
        if name not in numeric:
            raise error("text_feature", name=name)
    return chosen


def _scale_note(X: np.ndarray, names: Sequence[str], spread: np.ndarray) -> list[Note]:
    """Suggest standardising when column magnitudes differ by over a million times."""
    scale = np.max(np.abs(X), axis=0)
    varying = [(s, c) for s, c, sd in zip(scale, names, spread) if sd > 0 and s > 0]
    if len(varying) < 2:
        return []
    (small, small_name), (big, big_name) = min(varying), max(varying)
    if big / small <= 1e6:
        return []
    return [Note("scales_differ", {"big_name": big_name, "big": big, "small_name": small_name, "small": small})]


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
    chosen = _check_choice(table, columns)
    frame = table.frame
    X = frame[chosen].to_numpy(dtype=np.float64)
    usable = np.isfinite(X).all(axis=1)
    n_total, n_kept = len(frame), int(usable.sum())
    dropped = frame.index[~usable].to_numpy()
    notes = []
    if n_kept < n_total:
        why = Note("why_missing_or_inf" if np.isinf(X).any() else "why_missing")
        notes.append(Note("dropped_rows", {"n": n_total - n_kept, "total": n_total, "why": why, "lines": dropped}))
    need = max(min_rows, 1)
    if n_kept < need:
        lead = Note("few_usable_rows", {"n": n_kept}) if n_kept else Note("no_usable_row")
        raise error("too_few_rows", lead=lead, need=need)
    X = X[usable]

    spread = X.std(axis=0)
    if n_kept > 1:
        notes += constant_note([c for c, s in zip(chosen, spread) if s == 0])
    if standardise:
        X = (X - X.mean(axis=0)) / np.where(spread > 0, spread, 1.0)
    else:
        notes += _scale_note(X, chosen, spread)

    base = table.report
    report = LoadReport(
        messages=render(notes),
        dropped_rows=tuple(int(v) for v in dropped),
        n_rows_read=n_total,
        n_rows_kept=n_kept,
        delimiter=base.delimiter,
        encoding=base.encoding,
        sampled=base.sampled,
    )
    return np.ascontiguousarray(X, dtype=np.float64), report
