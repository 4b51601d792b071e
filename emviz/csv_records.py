"""Text to records: split by the dialect, number the lines, cap the rows.

Row numbers are line numbers: every record carries the 1-based line of the
file on which it starts (a quoted cell may span lines), so a report can say
"line 17" and mean what a text editor shows.

Files with more data records than the cap keep a seeded uniform random sample
of them, in file order, rather than the first ones, which would silently fit
only the start of a file sorted by class or time. Such files are never held
as one list of records: unquoted ones are split into lines and only the
sampled lines are split into fields; quoted ones are streamed twice, once to
count and once to keep the sample.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace

import numpy as np

from .csv_dialect import Dialect
from .csv_messages import Note, error

__all__ = ["Body", "RowCap", "Rows", "read_body", "tidy"]

# Header and decimal-mark guesses look at this many leading records; enough to
# be reliable, small enough to cost nothing on huge files.
_SNIFF_RECORDS = 1000

#: Decides (header?, decimal mark) from the first non-blank record and a
#: sample of the records after it.
Decide = Callable[[list[str], list[list[str]]], tuple[bool, str]]


@dataclass(frozen=True)
class RowCap:
    """Keep at most ``max_rows`` data records, sampled with ``seed``.

    Raises
    ------
    ValueError
        If ``max_rows`` is less than 1.
    """

    max_rows: int
    seed: int

    def __post_init__(self):
        # A cap of 0 would keep no record, and the file would then be reported
        # as a header without data: refuse it where the cap is made.
        if self.max_rows < 1:
            raise ValueError(f"max_rows must be at least 1, got {self.max_rows}")


@dataclass(frozen=True)
class Body:
    """The records of a file, split and sampled.

    Attributes
    ----------
    first : list of str
        The header, or the first data record.
    header : bool
        Whether ``first`` is a header (and not among ``records``).
    decimal : str
        Decimal mark of the numbers.
    records : list of list of str
        Data records kept (after sampling), blank ones included.
    lines : list of int
        Line of the text on which each kept record starts.
    n_body : int
        Data records in the whole file.
    sampled : bool
        Whether ``records`` is a sample of them: fewer than ``n_body``.
    dialect : Dialect
        As used: quoting is off if the quotes did not pair up.
    """

    first: list[str]
    header: bool
    decimal: str
    records: list[list[str]]
    lines: list[int]
    n_body: int
    dialect: Dialect

    @property
    def sampled(self) -> bool:
        # Read off the counts rather than stored beside them, so the two cannot disagree.
        return len(self.records) < self.n_body


@dataclass(frozen=True)
class Rows:
    """The data rows, ready to become columns.

    Attributes
    ----------
    records : list of list of str
        Non-blank data records.
    lines : numpy.ndarray of int64
        The file line on which each starts.
    width : int
        Number of columns: the header's, else the commonest record length.
    blank_lines : list of int
        File lines of the blank records that were dropped.
    notes : list of Note
        Ragged and blank rows.
    """

    records: list[list[str]]
    lines: np.ndarray
    width: int
    blank_lines: list[int]
    notes: list[Note]


def is_blank(fields: Sequence[str]) -> bool:
    """Whether a record has no visible character (``",,"`` is blank)."""
    return not "".join(fields).strip()


def _count_lines(text: str) -> int:
    """Physical lines as ``io.StringIO(text, newline="")`` splits them."""
    crlf = text.count("\r\n")
    n = text.count("\n") + text.count("\r") - crlf
    return n + (1 if text and text[-1] not in "\r\n" else 0)


def _reader(source: Iterable[str], dialect: Dialect):
    return csv.reader(source, delimiter=dialect.delimiter, quotechar='"', doublequote=True,
                      skipinitialspace=True, strict=False, quoting=dialect.quoting)


def _stream_records(dialect: Dialect) -> Iterator[tuple[int, list[str]]]:
    """Yield (starting line, fields) for every record, tracking line numbers."""
    reader = _reader(io.StringIO(dialect.text, newline=""), dialect)
    previous = 0
    for fields in reader:
        yield previous + 1, fields
        previous = reader.line_num


def _split_lines(lines: Iterable[str], delimiter: str) -> list[list[str]]:
    """Split lines that contain no quoting: what csv.reader would do, minus
    its 131,072-character field limit, so very long cells cannot fail."""
    return [line.rstrip("\r\n").split(delimiter) for line in lines]


def _all_records(dialect: Dialect, n_lines: int) -> tuple[list[list[str]], list[int]]:
    if dialect.quoting == csv.QUOTE_NONE:
        records = _split_lines(io.StringIO(dialect.text, newline=""), dialect.delimiter)
        return records, list(range(1, len(records) + 1))
    records = list(_reader(io.StringIO(dialect.text, newline=""), dialect))
    if len(records) == n_lines:
        # One record per physical line (the usual case): lines are 1..n and
        # the slower line-tracking loop is not needed.
        return records, list(range(1, len(records) + 1))
    starts, records = [], []
    for start, fields in _stream_records(dialect):
        starts.append(start)
        records.append(fields)
    return records, starts


def _sample(n_body: int, cap: RowCap) -> np.ndarray:
    """Indices (0-based, sorted) of the data records to keep."""
    if n_body <= cap.max_rows:
        return np.arange(n_body)
    rng = np.random.default_rng(cap.seed)
    return np.sort(rng.choice(n_body, size=cap.max_rows, replace=False))


def _pick(stream: Iterator[tuple[int, list[str]]], wanted: np.ndarray) -> tuple[list[list[str]], list[int]]:
    """The records of ``stream`` at the sorted positions ``wanted``, with their lines."""
    records, lines = [], []
    targets = iter(wanted.tolist())
    target = next(targets, None)
    for index, (start, fields) in enumerate(stream):
        if target is None:
            break
        if index == target:
            records.append(fields)
            lines.append(start)
            target = next(targets, None)
    return records, lines


def _gather(dialect: Dialect, cap: RowCap, decide: Decide) -> Body | None:
    """Read the records, decide header and decimal mark, and apply the row cap."""
    n_lines = _count_lines(dialect.text)
    small = n_lines <= cap.max_rows + 1
    split_lines = not small and dialect.quoting == csv.QUOTE_NONE
    lines: list[str] = []
    if small:
        records, starts = _all_records(dialect, n_lines)
        stream: Iterator[tuple[int, list[str]]] = iter(zip(starts, records))
    elif split_lines:
        lines = io.StringIO(dialect.text, newline="").readlines()
        stream = enumerate((line.rstrip("\r\n").split(dialect.delimiter) for line in lines), start=1)
    else:
        stream = _stream_records(dialect)

    # Leading blank lines are noise, not a missing header.
    lead, first = 0, None
    for _, fields in stream:
        if not is_blank(fields):
            first = fields
            break
        lead += 1
    if first is None:
        return None
    sniff_body: list[list[str]] = []
    n_records = lead + 1
    for _, fields in stream:
        n_records += 1
        if not is_blank(fields):
            sniff_body.append(fields)
            if len(sniff_body) >= _SNIFF_RECORDS:
                break
    header, decimal = decide(first, sniff_body)
    skip = lead + 1 if header else lead

    if small:
        kept = records[skip:]
        return Body(first, header, decimal, kept, starts[skip:], len(kept), dialect)
    n_records = len(lines) if split_lines else n_records + sum(1 for _ in stream)
    n_body = n_records - skip
    chosen = _sample(n_body, cap) + skip
    if split_lines:
        kept, kept_lines = _split_lines([lines[i] for i in chosen], dialect.delimiter), (chosen + 1).tolist()
    else:
        kept, kept_lines = _pick(_stream_records(dialect), chosen)
    return Body(first, header, decimal, kept, kept_lines, n_body, dialect)


def read_body(dialect: Dialect, cap: RowCap, decide: Decide) -> Body:
    """Split the text into records, find the header and keep at most the cap.

    Parameters
    ----------
    dialect : Dialect
    cap : RowCap
    decide : callable
        ``decide(first, sample) -> (header, decimal)``, given the first
        non-blank record and up to 1,000 non-blank records after it.

    Returns
    -------
    Body

    Raises
    ------
    CsvError
        If every record is blank.
    """
    try:
        body = _gather(dialect, cap, decide)
    except csv.Error:
        # csv.reader gives up on a quoted cell longer than 131,072
        # characters, typically a quote that opens and never closes, so
        # the rest of the file is swallowed. Plain splitting cannot fail.
        plain = replace(dialect, quoting=csv.QUOTE_NONE, notes=(*dialect.notes, Note("unpaired_quotes")))
        body = _gather(plain, cap, decide)
    if body is None:
        raise error("empty")
    return body


def _ragged_notes(records: list[list[str]], lines: np.ndarray, width: int, header: bool) -> list[Note]:
    long = [int(lines[i]) for i, r in enumerate(records) if len(r) > width and any(f.strip() for f in r[width:])]
    short = [int(lines[i]) for i, r in enumerate(records) if len(r) < width]
    reference = Note("reference_header" if header else "reference_most_rows", {"width": width})
    notes = []
    for code, found in (("ragged_long", long), ("ragged_short", short)):
        if found:
            notes.append(Note(code, {"n": len(found), "lines": found, "reference": reference}))
    return notes


def tidy(body: Body) -> Rows:
    """Drop blank records, settle the width and note ragged records.

    Parameters
    ----------
    body : Body

    Returns
    -------
    Rows

    Raises
    ------
    CsvError
        If the file has a header but no data record.
    """
    offset = body.dialect.line_offset
    blank = {i for i, r in enumerate(body.records) if is_blank(r)}
    blank_lines = [body.lines[i] + offset for i in sorted(blank)]
    records = [r for i, r in enumerate(body.records) if i not in blank]
    lines = np.asarray([v for i, v in enumerate(body.lines) if i not in blank], dtype=np.int64) + offset
    if body.header and not records:
        raise error("header_only", names=[f.strip() for f in body.first if f.strip()])
    if body.header:
        width = len(body.first)
    else:
        width = Counter(len(r) for r in records).most_common(1)[0][0]
    notes = _ragged_notes(records, lines, width, body.header)
    if blank_lines:
        notes.append(Note("blank_rows", {"n": len(blank_lines), "lines": blank_lines}))
    return Rows(records, lines, width, blank_lines, notes)
