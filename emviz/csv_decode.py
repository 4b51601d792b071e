"""Bytes to text: refuse files that are not text, then find the encoding.

Rules, in order:

1. Well-known binary formats (Excel, zip, gzip, PDF, images, ...) are refused
   with a sentence saying what to do instead, recognised by their leading
   bytes (and, for zip containers, by their member names or the file name).
2. A byte-order mark wins (UTF-8, UTF-16, UTF-32).
3. UTF-16 without a BOM is recognised by its zero bytes in every other place.
4. Other text with NUL or many control bytes is refused as binary.
5. UTF-8, then Windows-1252, then Latin-1 (which accepts any byte).

Why not ``charset-normalizer`` for step 5: on the short, mostly-ASCII files
people upload it guesses a neighbour of the right code page (Windows-1250 for
Windows-1252 text, Korean for Latin-1 text), which garbles the column names;
``benchmarks/bench_csv_detection.py`` counts this.
"""

from __future__ import annotations

from dataclasses import dataclass

from .csv_messages import Note, error

__all__ = ["Decoded", "decode", "to_text"]

# How far into the file the binary and UTF-16 checks look; enough to be sure,
# small enough to cost nothing on a 50 MB upload.
_SAMPLE_BYTES = 65536

# (leading bytes, message code).
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "not_old_excel"),
    (b"\x1f\x8b", "not_gzip"),
    (b"BZh", "not_bzip2"),
    (b"\xfd7zXZ\x00", "not_xz"),
    (b"7z\xbc\xaf\x27\x1c", "not_7z"),
    (b"%PDF", "not_pdf"),
    (b"\x89PNG", "not_png"),
    (b"\xff\xd8\xff", "not_jpeg"),
    (b"GIF8", "not_gif"),
    (b"PAR1", "not_parquet"),
    (b"SQLite format 3\x00", "not_sqlite"),
)

# UTF-32 before UTF-16: the UTF-32-LE mark starts with the UTF-16-LE one.
_BOMS: tuple[tuple[bytes, str], ...] = (
    (b"\xff\xfe\x00\x00", "utf-32"),
    (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)

# Tried in order once UTF-8 has failed: (codec, name for the user).
_FALLBACKS = (("cp1252", "Windows-1252"), ("latin-1", "Latin-1"))


@dataclass(frozen=True)
class Decoded:
    """Text of a file and how it was read.

    Attributes
    ----------
    text : str
        Without a leading BOM character.
    encoding : str
        Python codec name, or ``"str"`` for text given as text.
    notes : tuple of Note
        What to tell the user about the encoding.
    """

    text: str
    encoding: str
    notes: tuple[Note, ...] = ()


def _reject_non_text(data: bytes, filename: str) -> None:
    """Raise CsvError for well-known binary formats, with a matching hint."""
    if data[:4] in (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08"):
        head = data[:_SAMPLE_BYTES]
        lower_name = filename.lower()
        if b"xl/" in head or lower_name.endswith((".xlsx", ".xlsm", ".xlsb")):
            raise error("not_excel")
        if b"opendocument.spreadsheet" in head or lower_name.endswith(".ods"):
            raise error("not_ods")
        raise error("not_word" if b"word/" in head else "not_zip")
    for signature, code in _SIGNATURES:
        if data.startswith(signature):
            raise error(code)


def _looks_binary(sample: bytes) -> bool:
    # Text files have no NUL bytes (UTF-16/32 are handled before this) and
    # almost no other C0 control bytes besides tab, newline, CR and form feed.
    if b"\x00" in sample:
        return True
    controls = sum(sample.count(bytes([c])) for c in (*range(1, 9), 11, *range(14, 32), 127))
    return controls > max(8, len(sample) // 100)


def _guess_bomless_utf16(sample: bytes) -> str | None:
    # ASCII in UTF-16 puts a zero byte in every other place; which half holds
    # them gives the byte order.
    if len(sample) < 4:
        return None
    even, odd = sample[0::2], sample[1::2]
    even_zero, odd_zero = even.count(0) / len(even), odd.count(0) / len(odd)
    if odd_zero > 0.4 and even_zero < 0.05:
        return "utf-16-le"
    if even_zero > 0.4 and odd_zero < 0.05:
        return "utf-16-be"
    return None


def decode(data: bytes, filename: str = "upload.csv") -> Decoded:
    """Decode the bytes of an upload by the rules in the module docstring.

    Parameters
    ----------
    data : bytes
    filename : str, optional
        Used only to recognise spreadsheets by their extension.

    Returns
    -------
    Decoded

    Raises
    ------
    CsvError
        If the bytes are a known binary format or look binary.
    """
    _reject_non_text(data, filename)
    for bom, codec in _BOMS:
        if data.startswith(bom):
            try:
                return Decoded(data.decode(codec), codec)
            except UnicodeDecodeError:
                mark = codec.upper().replace("-SIG", "")
                return Decoded(data.decode(codec, errors="replace"), codec, (Note("bad_bytes_after_bom", {"codec": mark}),))

    sample = data[:_SAMPLE_BYTES]
    utf16 = _guess_bomless_utf16(sample)
    if utf16 is not None:
        try:
            text = data.decode(utf16)
        except UnicodeDecodeError:
            pass
        else:
            if "\x00" not in text:
                return Decoded(text, utf16)

    if _looks_binary(sample):
        raise error("not_binary")
    try:
        return Decoded(data.decode("utf-8"), "utf-8")
    except UnicodeDecodeError:
        pass
    for codec, label in _FALLBACKS:
        try:
            text = data.decode(codec)
        except UnicodeDecodeError:
            continue
        return Decoded(text, codec, (Note("not_utf8", {"label": label}),))
    raise AssertionError("latin-1 decodes every byte string")  # pragma: no cover


def to_text(data: bytes | bytearray | memoryview | str, filename: str = "upload.csv") -> Decoded:
    """Like :func:`decode`, but also takes text, and refuses files that are empty or not a CSV.

    Parameters
    ----------
    data : bytes-like or str
        Raw bytes, or text already decoded (reported as encoding ``"str"``).
    filename : str, optional
        As for :func:`decode`.

    Raises
    ------
    CsvError
        Where :func:`decode` does, and if the file is empty, an HTML page or an
        Excel XML workbook.
    """
    if isinstance(data, str):
        decoded = Decoded(data, "str")
    else:
        raw = bytes(data)
        if not raw.strip():
            raise error("empty")
        decoded = decode(raw, filename)
    # The BOM codecs drop the mark; text handed over as str may still have it.
    text = decoded.text.removeprefix("\ufeff")
    head = text.lstrip()[:2048].lower()
    if head.startswith(("<!doctype html", "<html")):
        raise error("not_html")
    if head.startswith("<?xml") and "urn:schemas-microsoft-com:office:spreadsheet" in text[:4096]:
        raise error("not_excel")
    if not text.strip():
        raise error("empty")
    return Decoded(text, decoded.encoding, decoded.notes)
