"""The dialect of a text file: which delimiter, and whether quotes count.

Rules
-----
* An Excel ``sep=;`` first line names the delimiter (and is not data).
* Otherwise ``clevercsv`` picks the delimiter among tab, ``;``, ``|`` and ``,``
  from the start of the file: its data-consistency measure (steady row
  lengths, cells that look like numbers, dates, ...) was built and measured on
  messy real-world CSV files. It replaced a hand-written "first delimiter that
  splits the lines steadily" rule: on the loader's test corpus both are right
  every time, on hostile files (a comma file with a ``;`` inside every
  unquoted note) clevercsv is right where the rule was not
  (``benchmarks/bench_csv_detection.py`` counts them). ``","`` if it finds
  none (a one-column file).
* Quotes (``"``, doubled inside a quoted cell) count unless the file has an
  odd number of them; without any, quoting cannot matter and records are
  split by plain ``str.split``, which is faster and has no cell-length limit.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass

from .csv_messages import Note

__all__ = ["DELIMITERS", "DELIMITER_NAMES", "Dialect", "detect", "sniff_delimiter"]

#: Delimiters the loader accepts, in the order they are tried.
DELIMITERS = ("\t", ";", "|", ",")
#: How messages name them.
DELIMITER_NAMES = {"\t": "tab", ";": "';'", "|": "'|'", ",": "','"}

# clevercsv's detection costs about 4 ms per KB of sample (0.35 s for 64 KB),
# so it sees the first 16 KB, cut after the last whole line in them.
_SNIFF_CHARS = 16384
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


def sniff_delimiter(text: str) -> str:
    """The delimiter of ``text``, as clevercsv detects it on its first 16 KB.

    Parameters
    ----------
    text : str
        The file, or its start.

    Returns
    -------
    str
        One of :data:`DELIMITERS`; ``","`` when none is found.
    """
    # Imported here: it takes ~0.35 s, which every page would pay at start-up
    # although only an upload needs it.
    import clevercsv

    sample = text[:_SNIFF_CHARS]
    cut = sample.rfind("\n") + 1
    if 0 < cut < len(sample) and len(text) > _SNIFF_CHARS:
        sample = sample[:cut]
    # clevercsv's parser refuses NUL characters, which are no delimiter anyway.
    found = clevercsv.Detector().detect(sample.replace("\x00", " "), delimiters=list(DELIMITERS))
    return found.delimiter if found is not None and found.delimiter else ","


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
        delimiter = sniff_delimiter(text)
    if '"' not in text:
        return Dialect(text, delimiter, csv.QUOTE_NONE, line_offset)
    if text.count('"') % 2:
        return Dialect(text, delimiter, csv.QUOTE_NONE, line_offset, (Note("unmatched_quote"),))
    return Dialect(text, delimiter, csv.QUOTE_MINIMAL, line_offset)
