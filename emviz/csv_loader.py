"""Turn an uploaded file (bytes) into a clean numeric table and a report.

Nothing here imports Streamlit: the page passes ``UploadedFile.getvalue()`` to
:func:`load_csv`, shows ``report.messages`` and lets the user pick columns,
then calls :func:`select_features` to get the matrix to fit.

This module is the public face; each step of the reading has a module of its
own, each with its rules in its docstring:

===========================  ================================================
:mod:`emviz.csv_decode`      bytes to text: refuse binary files, find the
                             encoding (BOM, UTF-8, UTF-16, Windows-1252, ...)
:mod:`emviz.csv_dialect`     the delimiter and whether quotes count
:mod:`emviz.csv_records`     text to records with their line numbers; blank
                             and ragged rows; the row cap (random sample)
:mod:`emviz.csv_cells`       cells to numbers: decimal commas, thousands
                             separators, missing markers, NaN/inf; the header
                             guess
:mod:`emviz.csv_table`       records to a typed table and its report
                             (:class:`LoadedTable`, :class:`LoadReport`)
:mod:`emviz.csv_features`    the columns to fit and their matrix
:mod:`emviz.csv_messages`    every sentence shown to the user, one table of
                             templates keyed by code; :class:`CsvError`,
                             :func:`safe_label`
===========================  ================================================

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
"""

from __future__ import annotations

from .csv_cells import NUMERIC_FRACTION, choose_decimal, has_header
from .csv_decode import to_text
from .csv_dialect import detect
from .csv_features import default_feature_columns, select_features
from .csv_messages import CsvError, Note, safe_label
from .csv_records import RowCap, read_body, tidy
from .csv_table import LoadedTable, LoadReport, Source, build_table

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


def _header_and_decimal(first: list[str], sample: list[list[str]], delimiter: str) -> tuple[bool, str]:
    # The decimal mark first: whether "1,5" is a number decides whether the
    # first record looks like data.
    decimal = choose_decimal((c for r in [first, *sample] for c in r), delimiter)
    return has_header(first, sample, decimal), decimal


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
    cap = RowCap(max_rows, seed)  # before reading: it refuses a cap below 1
    decoded = to_text(data, filename)
    dialect = detect(decoded.text)
    body = read_body(dialect, cap, lambda first, sample: _header_and_decimal(first, sample, dialect.delimiter))
    rows = tidy(body)
    notes = [*decoded.notes, *body.dialect.notes, *rows.notes]
    if body.sampled:
        notes.append(Note("sampled", {"n_body": body.n_body, "max_rows": max_rows, "seed": seed}))
    source = Source(dialect.delimiter, decoded.encoding, body.n_body, body.sampled, rows.blank_lines)
    return build_table(rows, body.first if body.header else [], body.decimal, source, notes)
