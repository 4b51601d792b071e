"""The dialect of a text file: which delimiter, and whether quotes count.

Rules
-----
* An Excel ``sep=;`` first line names the delimiter (and is not data).
* Otherwise the delimiter is the first of tab, ``;``, ``|``, ``,`` that splits
  the first lines into a steady number of fields (outside quotes); tab and
  ``;`` are tried before ``,`` because files that use them often have decimal
  commas, which would make ``,`` look steady too.
* Quotes (``"``, doubled inside a quoted cell) count unless the file has an
  odd number of them; without any, quoting cannot matter and records are
  split by plain ``str.split``, which is faster and has no cell-length limit.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from .csv_messages import Note

__all__ = ["DELIMITERS", "DELIMITER_NAMES", "Dialect", "detect", "sniff_delimiter"]

#: Delimiters the loader accepts, in the order they are tried.
DELIMITERS = ("\t", ";", "|", ",")
#: How messages name them.
DELIMITER_NAMES = {"\t": "tab", ";": "';'", "|": "'|'", ",": "','"}

# The sniffer looks at this many leading lines (of at most the first 1 MB):
# enough to be steady, cheap on a 50 MB file.
_SNIFF_LINES = 200
_SNIFF_CHARS = 1_000_000

_QUOTED = re.compile(r'"[^"]*"')
_SEP_LINE = re.compile(r"\s*sep=(.)\s*")


@dataclass(frozen=True)
class Dialect:
    """How to split a text into records.

    Attributes
    ----------
    text : str
        The text to split: the file's, without an Excel ``sep=`` line.
    delimiter : str
        One of :data:`DELIMITERS`.
    quoting : int
        ``csv.QUOTE_MINIMAL`` or ``csv.QUOTE_NONE`` (quotes are ordinary
        characters).
    line_offset : int
        Lines removed from the top of the file (1 for a ``sep=`` line), to
        add to every line number.
    notes : tuple of Note
        What to tell the user about the quoting.
    """

    text: str
    delimiter: str
    quoting: int
    line_offset: int = 0
    notes: tuple[Note, ...] = ()


def sniff_delimiter(lines: Sequence[str]) -> str:
    """Pick the delimiter that splits the sample lines most steadily.

    Parameters
    ----------
    lines : sequence of str
        The first lines of the file.

    Returns
    -------
    str
        The first of :data:`DELIMITERS` whose count per line (outside quotes)
        is the same non-zero number on at least 80 % of the lines; failing
        that, the one present on most lines; failing that, ``","``.
    """
    lines = [_QUOTED.sub("", ln) for ln in lines if ln.strip()]
    if not lines:
        return ","
    best: tuple[float, str] | None = None
    for delim in DELIMITERS:
        counts = [ln.count(delim) for ln in lines]
        mode, freq = Counter(counts).most_common(1)[0]
        if mode >= 1 and freq / len(counts) >= 0.8:
            return delim  # the first steady one in priority order
        present = sum(c > 0 for c in counts) / len(counts)
        if present > 0 and (best is None or present > best[0]):
            best = (present, delim)
    return best[1] if best is not None else ","


def detect(text: str) -> Dialect:
    """The dialect of ``text`` by the rules in the module docstring.

    Parameters
    ----------
    text : str
        A whole file, decoded.

    Returns
    -------
    Dialect
    """
    delimiter, line_offset = None, 0
    first_line, _, rest = text.partition("\n")
    hint = _SEP_LINE.fullmatch(first_line)
    if hint and hint.group(1) in DELIMITERS:
        delimiter, text, line_offset = hint.group(1), rest, 1
    if delimiter is None:
        head = io.StringIO(text[:_SNIFF_CHARS], newline="").readlines()[:_SNIFF_LINES]
        delimiter = sniff_delimiter(head)
    if '"' not in text:
        return Dialect(text, delimiter, csv.QUOTE_NONE, line_offset)
    if text.count('"') % 2:
        return Dialect(text, delimiter, csv.QUOTE_NONE, line_offset, (Note("unmatched_quote"),))
    return Dialect(text, delimiter, csv.QUOTE_MINIMAL, line_offset)
